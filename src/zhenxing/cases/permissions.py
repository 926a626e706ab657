"""Who may see a case and who owns each step of its loop.

Reading follows the territory scope (`people.scopes.scope_paths`): a case is
visible to whoever may read its area. Each step belongs to certain roles
(DOMAIN.md §3), always within their scope:

- dispatcher (accept, reject, dispatch): an office admin who administers the
  case's area, or a secretary of the community it lies in. A secretary
  dispatches only inside that community; departments need the office.
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

from zhenxing.cases.models import Case, CaseRequest, RequestStatus, Source, Status
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.models import Department, Role, WorkTeam
from zhenxing.people.scopes import (
    ALL,
    administers,
    assignments_of,
    has_role,
    is_office_admin,
    office_admin_paths,
    scope_paths,
)
from zhenxing.territory.models import Region


def _under(path: str, paths: list[str] | None) -> bool:
    return paths is ALL or any(path.startswith(p) for p in paths)


def _role_paths(user: Any, *roles: str) -> list[str]:
    return [a.region.path for a in assignments_of(user) if a.region_id and a.role in roles]


def department_ids(user: Any) -> set[int]:
    """The departments the user works in as department staff."""
    return {
        a.department_id
        for a in assignments_of(user)
        if a.department_id and a.role == Role.DEPARTMENT_STAFF
    }


def cases_visible_to(user: Any) -> Any:
    paths = scope_paths(user)
    if paths is ALL:
        return Case.objects.all()
    return Case.objects.under_any(paths)


def get_case_for_user(user: Any, number: str) -> Case:
    """The case with this number if the user may see it; 404 otherwise."""
    return get_visible_or_404(
        lambda u: cases_visible_to(u).select_related(
            "category__parent",
            "region",
            "assigned_region",
            "assigned_team",
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
    return can_report(user) and _under(area.path, scope_paths(user))


# --- the loop -----------------------------------------------------------------


def can_dispatch(user: Any, case: Case) -> bool:
    """Accept, reject or dispatch this case (the dispatcher's steps)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if _administers_case(user, case):
        return True
    return _under(case.region_path, _role_paths(user, Role.SECRETARY))


def can_dispatch_to(user: Any, case: Case, target: Any) -> bool:
    """May this dispatcher send the case to this community/area, team or department?"""
    if not can_dispatch(user, case):
        return False
    if _administers_case(user, case):
        if isinstance(target, Department):
            return True
        if isinstance(target, WorkTeam):
            return administers(user, target.region)
        if isinstance(target, Region):
            return administers(user, target) and target.depth >= 2
        return False
    # A secretary keeps the work inside the community: its areas and teams.
    secretary_paths = _role_paths(user, Role.SECRETARY)
    if isinstance(target, WorkTeam):
        return _under(target.region.path, secretary_paths)
    if isinstance(target, Region):
        return _under(target.path, secretary_paths)
    return False


def dispatch_targets_for(user: Any, case: Case) -> dict[str, Any]:
    """The regions, teams and departments this user may dispatch the case to (for forms)."""
    if not can_dispatch(user, case):
        return {
            "regions": Region.objects.none(),
            "teams": WorkTeam.objects.none(),
            "departments": Department.objects.none(),
        }
    community_path = _community_path(case.region_path)
    # Dispatch stays inside the case's community: its community node and its areas.
    regions = Region.objects.filter(Q(path=community_path) | Q(pk=case.region_id)).order_by("path")
    teams = WorkTeam.objects.filter(region__path=community_path).select_related("region")
    if _administers_case(user, case):
        departments = Department.objects.all()
    else:
        departments = Department.objects.none()
    return {"regions": regions, "teams": teams, "departments": departments}


def _community_path(path: str) -> str:
    from zhenxing.territory.models import PATH_SEP
    from zhenxing.territory.selectors import COMMUNITY_DEPTH

    codes = path.rstrip(PATH_SEP).split(PATH_SEP)
    return PATH_SEP.join(codes[:COMMUNITY_DEPTH]) + PATH_SEP


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
    return case.status in {Status.DISPATCHED, Status.RECTIFYING, Status.REWORK} and is_handler(
        user, case
    )


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


def can_decide_request(user: Any, request: CaseRequest) -> bool:
    return can_decide_requests(user, request.case)


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
        if paths is ALL:
            # Not Q(): an empty Q drops out of an OR ("Q() | X" is X), and
            # "everything" would silently become "only X".
            return Q(pk__isnull=False)
        if not paths:
            return Q(pk__in=[])
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(**{f"{field}__startswith": p})
        return q

    dispatch_scope = under(admin_paths) | under(secretary_paths)
    condition |= Q(status__in=[Status.REPORTED, Status.ACCEPTED]) & dispatch_scope
    assigned_to_me = (
        Q(assigned_department_id__in=department_ids(user))
        | Q(assigned_team__leader_id=user.pk)
        | (Q(assigned_team__isnull=False) & under(secretary_paths, "assigned_team__region__path"))
        | (Q(assigned_region__isnull=False) & under(secretary_paths, "assigned_region__path"))
    )
    condition |= (
        Q(status__in=[Status.DISPATCHED, Status.RECTIFYING, Status.REWORK]) & assigned_to_me
    )
    verify_scope = under(admin_paths) | under(inspector_paths)
    # As `can_verify`: neither the one who rectified nor a handler verifies.
    condition |= (
        Q(status=Status.RECTIFIED) & verify_scope & ~Q(rectified_by_id=user.pk) & ~assigned_to_me
    )
    pending = CaseRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING)
    condition |= Q(Exists(pending)) & under(admin_paths)
    condition |= Q(status=Status.DEFERRED) & under(admin_paths)
    return condition
