"""Who may see a case and who owns each step of its loop.

Reading follows the territory scope (`people.scopes.scope_paths`): a case is
visible to whoever may read its area. Each step belongs to certain roles
(DOMAIN.md §3), always within their scope:

- dispatcher (accept, reject, dispatch): an office admin who administers the
  case's area, or a secretary of the community it lies in. Dispatch stays
  inside the case's community and within the dispatcher's own regions;
  departments need the office (`dispatch_targets_for`).
- handler (start, rectify, ask to send back, extend or defer): whoever the
  case is assigned to — the secretaries of the assigned community or area, the
  assigned team's leader (or its community's secretaries), or the staff of the
  assigned department.
- verifier: an office admin or an inspector whose scope covers the area, and
  never the person who rectified it nor one of its handlers (independent
  verification, which FixMyStreet lacks).
- approver (decide a request, resume a deferral): an office admin who
  administers the area (责任倒逼: the office, not the handler, moves deadlines).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from zhenxing.cases.models import CLOCK_STATES, Case, CaseRequest, RequestStatus, Source, Status
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.models import DEPARTMENT_ROLES, Department, Role, RoleAssignment, WorkTeam
from zhenxing.people.scopes import (
    ALL,
    assignments_of,
    has_role,
    in_scope,
    is_office_admin,
    office_admin_paths,
    role_regions,
    scope_paths,
)
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import ancestor_and_self_paths, community_path, path_prefix_q


def _under(path: str, paths: list[str] | None) -> bool:
    return paths is ALL or any(path.startswith(p) for p in paths)


def _role_paths(user: Any, *roles: str) -> list[str]:
    return [region.path for region in role_regions(user, *roles)]


def department_ids(user: Any) -> set[int]:
    """The departments the user works in as department staff."""
    return {
        a.department_id
        for a in assignments_of(user)
        if a.department_id and a.role == Role.DEPARTMENT_STAFF
    }


def sees_escalations(user: Any) -> bool:
    """Office admins (their territory's escalations) and department staff (their agenda)."""
    return is_office_admin(user) or bool(department_ids(user))


def cases_visible_to(user: Any) -> Any:
    paths = scope_paths(user)
    if paths is ALL:
        return Case.objects.all()  # no always-true condition in every list query
    return Case.objects.under_any(paths)


def get_case_for_user(user: Any, number: str) -> Case:
    """The case with this number if the user may see it; 404 otherwise."""
    return get_visible_or_404(
        lambda u: cases_visible_to(u).select_related(
            "category__parent",
            "region",
            "assigned_region",
            "assigned_team__region",
            "assigned_department",
            "reporter",
            "relapse_of",
        ),
        user,
        number=number,
    )


def _administers_case(user: Any, case: Case) -> bool:
    return _under(case.region_path, office_admin_paths(user))


# --- intake -------------------------------------------------------------------


def sources_for(user: Any) -> list[str]:
    """The sources a user may file a case under, by role (the first is the default)."""
    if not getattr(user, "is_authenticated", False):
        return []
    sources: list[str] = []
    if is_office_admin(user):
        sources += [Source.OFFICE, Source.RESIDENT]
    if has_role(user, Role.INSPECTOR):
        sources.append(Source.INSPECTION)
    if has_role(user, Role.PARTY_MEMBER):
        sources.append(Source.PARTY_PATROL)
    if has_role(user, Role.DEPARTMENT_STAFF):
        sources.append(Source.DEPARTMENT)
    if has_role(user, Role.SECRETARY, Role.TEAM_LEADER):
        sources += [Source.OFFICE, Source.RESIDENT]
    return list(dict.fromkeys(sources))


def can_report(user: Any) -> bool:
    return bool(sources_for(user)) and scope_paths(user) != []


def can_report_at(user: Any, area: Region) -> bool:
    """File a case in this area: a reporting role whose read scope covers it."""
    return can_report(user) and in_scope(user, area)


# --- the loop -----------------------------------------------------------------


def can_dispatch(user: Any, case: Case) -> bool:
    """Accept, reject or dispatch this case (the dispatcher's steps)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if _administers_case(user, case):
        return True
    return _under(case.region_path, _role_paths(user, Role.SECRETARY))


def dispatch_targets_for(user: Any, case: Case) -> dict[str, Any]:
    """The regions, teams and departments this user may dispatch the case to.

    The one rule behind the case page's choices, the API's check and the
    service's (`can_dispatch_to` is membership in these):

    - everything stays inside the case's community: the community node and any
      region below it (cooperatives, areas, streets), and the work teams of
      the community or of a region below it;
    - each dispatcher only within the paths they dispatch from: an office admin
      within what they administer, a secretary within their role's regions
      (the secretary of one area does not get the community node);
    - a team only if its leader (when it has one) can see the community, for a
      leader who cannot open the case could not act on it;
    - departments only for an office admin who administers the case.
    """
    if not can_dispatch(user, case):
        return {
            "regions": Region.objects.none(),
            "teams": WorkTeam.objects.none(),
            "departments": Department.objects.none(),
        }
    community = community_path(case.region_path)
    administers_case = _administers_case(user, case)
    own: list[str] | None = list(_role_paths(user, Role.SECRETARY))
    if administers_case:
        admin_paths = office_admin_paths(user)
        own = ALL if admin_paths is ALL else [*own, *admin_paths]
    regions = Region.objects.filter(
        path_prefix_q([community], "path") & path_prefix_q(own, "path")
    ).order_by("path")
    teams = (
        WorkTeam.objects.filter(
            path_prefix_q([community], "region__path") & path_prefix_q(own, "region__path")
        )
        .filter(Q(leader__isnull=True) | _sees_path(community, "leader"))
        .select_related("region")
        .order_by("region__path", "name")
    )
    departments = Department.objects.all() if administers_case else Department.objects.none()
    return {"regions": regions, "teams": teams, "departments": departments}


def _sees_path(path: str, user_field: str) -> Q:
    """A Q over rows whose `user_field` user may read `path` (as `scope_paths` decides)."""
    holds = RoleAssignment.objects.filter(user=OuterRef(user_field))
    return (
        Q(**{f"{user_field}__is_superuser": True})
        | Exists(holds.filter(role__in=DEPARTMENT_ROLES))
        | Exists(holds.filter(region__path__in=ancestor_and_self_paths(path)))
    )


def can_dispatch_to(user: Any, case: Case, target: Any) -> bool:
    """May this dispatcher send the case to this community/area, team or department?"""
    targets = dispatch_targets_for(user, case)
    if isinstance(target, Department):
        pool = targets["departments"]
    elif isinstance(target, WorkTeam):
        pool = targets["teams"]
    elif isinstance(target, Region):
        pool = targets["regions"]
    else:
        return False
    return target.pk is not None and pool.filter(pk=target.pk).exists()


def is_handler(user: Any, case: Case) -> bool:
    """Is the case assigned to this user (directly or through their community or department)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if case.assigned_department_id:
        return case.assigned_department_id in department_ids(user)
    if case.assigned_team_id:
        team = case.assigned_team
        if team.leader_id == user.pk:
            return True
        return _under(team.region.path, _role_paths(user, Role.SECRETARY))
    if case.assigned_region_id:
        return _under(case.assigned_region.path, _role_paths(user, Role.SECRETARY))
    return False


def can_handle(user: Any, case: Case) -> bool:
    return case.status in CLOCK_STATES and is_handler(user, case)


def can_verify(user: Any, case: Case) -> bool:
    """Verify a rectification: office or inspector in scope, never the handler side."""
    if not getattr(user, "is_authenticated", False):
        return False
    if case.rectified_by_id is not None and case.rectified_by_id == user.pk:
        return False
    if is_handler(user, case):
        return False
    if _administers_case(user, case):
        return True
    return _under(case.region_path, _role_paths(user, Role.INSPECTOR))


def can_decide_requests(user: Any, case: Case) -> bool:
    """Approve or deny a send-back, extension or deferral; resume a deferred case."""
    return getattr(user, "is_authenticated", False) and _administers_case(user, case)


def can_add_report(user: Any, case: Case) -> bool:
    """Add a further report to an open case instead of opening a duplicate."""
    return case.is_open and can_report_at(user, case.region)


# --- work queues ----------------------------------------------------------------


def queue_filter(user: Any) -> Q:
    """A Q over Case for "what waits for me": each step's owner sees the cases at that step.

    Broad by design (it follows the same rules as the `can_*` functions, in
    SQL); callers intersect it with `cases_visible_to`.
    """
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    admin_paths = office_admin_paths(user)
    secretary_paths = _role_paths(user, Role.SECRETARY)
    inspector_paths = _role_paths(user, Role.INSPECTOR)

    def under(paths: list[str] | None, field: str = "region_path") -> Q:
        # The case's own area by default; the assignee's region where named.
        return path_prefix_q(paths, field)

    dispatch_scope = under(admin_paths) | under(secretary_paths)
    condition |= Q(status__in=[Status.REPORTED, Status.ACCEPTED]) & dispatch_scope
    assigned_to_me = (
        Q(assigned_department_id__in=department_ids(user))
        | Q(assigned_team__leader_id=user.pk)
        | (Q(assigned_team__isnull=False) & under(secretary_paths, "assigned_team__region__path"))
        | (Q(assigned_region__isnull=False) & under(secretary_paths, "assigned_region__path"))
    )
    condition |= Q(status__in=CLOCK_STATES) & assigned_to_me
    verify_scope = under(admin_paths) | under(inspector_paths)
    # As `can_verify`: neither the one who rectified nor a handler verifies.
    condition |= (
        Q(status=Status.RECTIFIED) & verify_scope & ~Q(rectified_by_id=user.pk) & ~assigned_to_me
    )
    pending = CaseRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING)
    condition |= Q(Exists(pending)) & under(admin_paths)
    condition |= Q(status=Status.DEFERRED) & under(admin_paths)
    return condition
