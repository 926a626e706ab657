"""Who may see and change the plan, the arrangements and the progress.

- Reading follows the territory scope (`people.scopes.scope_paths`): a row
  is visible to whoever may read its place.
- Targets and arrangements (the plan) are set by office admins within what
  they administer and by community secretaries within their role's regions.
- Progress is reported by those planners and by team leaders for the places
  of their team's community (a team works where it is arranged).
- Campaigns and task types are reference data: office admins of the whole
  territory, in the Django admin.
- Inspection scores on the battle map follow the covert-inspection embargo:
  only inspections in `inspections_visible_to(user)` count for the viewer.
"""

from __future__ import annotations

from typing import Any

from zhenxing.people.models import Role
from zhenxing.people.scopes import (
    ALL,
    has_any_role,
    office_admin_paths,
    role_regions,
    scope_paths,
)
from zhenxing.plans.models import Arrangement, ProgressReport, WeeklyTarget
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q


def _under(path: str, paths: list[str] | None) -> bool:
    return paths is ALL or any(path.startswith(p) for p in paths)


def planning_paths(user: Any) -> list[str] | None:
    """Where the user may set targets and arrangements (None: everywhere)."""
    if not getattr(user, "is_authenticated", False):
        return []
    admin = office_admin_paths(user)
    if admin is ALL:
        return ALL
    return [*admin, *(r.path for r in role_regions(user, Role.SECRETARY))]


def reporting_paths(user: Any) -> list[str] | None:
    """Where the user may report progress: planners, and team leaders in their community."""
    plan = planning_paths(user)
    if plan is ALL:
        return ALL
    return [*plan, *(r.path for r in role_regions(user, Role.TEAM_LEADER))]


def can_plan_at(user: Any, region: Region) -> bool:
    return _under(region.path, planning_paths(user))


def can_plan(user: Any) -> bool:
    paths = planning_paths(user)
    return paths is ALL or bool(paths)


def can_report_at(user: Any, region: Region) -> bool:
    return _under(region.path, reporting_paths(user))


def can_report(user: Any) -> bool:
    paths = reporting_paths(user)
    return paths is ALL or bool(paths)


def sees_today_board(user: Any) -> bool:
    """Today's board is for the people who arrange and do the work of a community."""
    return can_report(user)


def _visible(model: Any, user: Any) -> Any:
    if not has_any_role(user):
        return model.objects.none()
    return model.objects.filter(path_prefix_q(scope_paths(user), "region_path"))


def targets_visible_to(user: Any) -> Any:
    return _visible(WeeklyTarget, user)


def arrangements_visible_to(user: Any) -> Any:
    return _visible(Arrangement, user)


def reports_visible_to(user: Any) -> Any:
    return _visible(ProgressReport, user)
