"""Who may see scores and rankings, and who runs periods, lists and circulars.

Scores include the inspection score, which is under the covert-results
embargo (`inspections.permissions`). So:

- office admins and inspectors of the whole territory see every period's
  figures at any time (`sees_unreleased`);
- everyone else with a role sees a period's figures only when the period
  has ended and no scored inspection in it is still embargoed (the circulars
  that cover it are published) — `period_released`;
- a unit's explanation (the cases and inspections behind its score) only
  for units within the viewer's read scope, and the case lists in it are
  filtered by `cases_visible_to` again.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from zhenxing.assessment.models import Period
from zhenxing.people.scopes import ALL, administers_whole_territory, is_office_admin, scope_paths


def can_manage_periods(user: Any) -> bool:
    """Close and recompute periods, edit list rules: office admins of the whole territory."""
    return administers_whole_territory(user)


def can_draft_circulars(user: Any) -> bool:
    return administers_whole_territory(user)


def can_record_incentives(user: Any) -> bool:
    """Record commendations, criticism and interviews (约谈): the office."""
    return is_office_admin(user)


def sees_unreleased(user: Any) -> bool:
    """May see figures that mix every unit's inspection scores before their release.

    Only who sees every result before release (`sees_all_results`: an office
    admin or inspector of the whole territory); an admin or inspector of one
    community follows the release rule like everyone else.
    """
    from zhenxing.inspections.permissions import sees_all_results

    return sees_all_results(user)


def period_released(period: Period) -> bool:
    """Ended, and no scored inspection inside it is still under embargo."""
    from zhenxing.inspections.models import Inspection

    if period.end > timezone.localdate():
        return False
    return not (
        Inspection.objects.scored().between(period.start, period.end).filter(released_at=None)
    ).exists()


def can_view_period(user: Any, period: Period) -> bool:
    from zhenxing.people.scopes import has_any_role

    if not has_any_role(user):
        return False
    return sees_unreleased(user) or period_released(period)


def can_view_unit(user: Any, unit_path: str) -> bool:
    """Open a unit's explanation: its territory lies in the viewer's scope."""
    paths = scope_paths(user)
    if not unit_path:
        return paths is ALL or is_office_admin(user)
    return paths is ALL or any(unit_path.startswith(p) for p in paths)
