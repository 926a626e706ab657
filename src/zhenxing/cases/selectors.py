"""Reads about cases that more than one page, the API or a service need."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseRequest,
    Category,
    RequestStatus,
    Status,
)
from zhenxing.people.models import Role, User
from zhenxing.people.scopes import with_assignments
from zhenxing.territory.selectors import ancestor_and_self_paths, community_path

EARTH_RADIUS_M = 6_371_000.0
METRES_PER_DEGREE_LAT = 111_320.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _bounding_box(lat: float, lng: float, radius_m: float) -> Q:
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    return Q(lat__gte=lat - dlat, lat__lte=lat + dlat, lng__gte=lng - dlng, lng__lte=lng + dlng)


def nearby(
    cases: QuerySet[Case], *, lat: float, lng: float, radius_m: float
) -> list[tuple[Case, float]]:
    """Cases of `cases` within `radius_m` of the point, nearest first, with their distance."""
    found = []
    for case in cases.filter(_bounding_box(lat, lng, radius_m)):
        d = distance_m(lat, lng, case.lat, case.lng)
        if d <= radius_m:
            found.append((case, d))
    found.sort(key=lambda pair: pair[1])
    return found


def possible_duplicates(
    visible: QuerySet[Case], *, category: Category, lat: float, lng: float, limit: int = 5
) -> list[tuple[Case, float]]:
    """Open cases of the same category within the category's radius: offered before saving."""
    candidates = visible.open().filter(category=category).select_related("category", "region")
    return nearby(candidates, lat=lat, lng=lng, radius_m=category.duplicate_radius_m)[:limit]


def relapse_origin(
    *, category: Category, lat: float, lng: float, region_path: str, at: datetime.datetime
) -> Case | None:
    """The case closed most recently at this place and category within the relapse window.

    Only within the same community (`region_path` is the new case's area): a
    spot near a community line is another community's work on the other
    side, and its closure is not this community's relapse.
    """
    since = at - datetime.timedelta(days=category.relapse_days)
    candidates = Case.objects.filter(
        category=category,
        status=Status.CLOSED,
        closed_at__gte=since,
        closed_at__lte=at,
        region_path__startswith=community_path(region_path),
    ).order_by("-closed_at")
    found = nearby(candidates, lat=lat, lng=lng, radius_m=category.duplicate_radius_m)
    if not found:
        return None
    return max(found, key=lambda pair: pair[0].closed_at)[0]


def visible_relapses(user: Any, case: Case) -> QuerySet[Case]:
    """The relapses of a case that this user may see (the page and the API show the same)."""
    from zhenxing.cases.permissions import cases_visible_to

    return cases_visible_to(user).filter(relapse_of=case).order_by("reported_at", "pk")


def pending_request(case: Case) -> CaseRequest | None:
    return case.requests.filter(status=RequestStatus.PENDING).select_related("requested_by").first()


def _users_with(role: str, paths: Iterable[str]) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        role_assignments__role=role,
        role_assignments__region__path__in=list(paths),
    )


def office_admins_for(case: Case) -> QuerySet[User]:
    return _users_with(Role.OFFICE_ADMIN, ancestor_and_self_paths(case.region_path))


def responsible_users(case: Case) -> list[User]:
    """The people a case waits for now (they are notified when it reaches them).

    Nobody, once the case is rejected or closed: telling its reporter is the
    services' business (`services._recipients`).
    """
    around = ancestor_and_self_paths(case.region_path)
    users: QuerySet[User]
    if case.status in (Status.REPORTED, Status.ACCEPTED):
        users = office_admins_for(case) | _users_with(Role.SECRETARY, around)
    elif (
        case.status in CLOCK_STATES and case.requests.filter(status=RequestStatus.PENDING).exists()
    ):
        # A pending send-back, extension or deferral waits for the office's decision.
        users = office_admins_for(case)
    elif case.status in CLOCK_STATES:
        if case.assigned_department_id:
            users = department_staff(case.assigned_department_id)
        elif case.assigned_team_id:
            team = case.assigned_team
            users = _users_with(
                Role.SECRETARY, ancestor_and_self_paths(team.region.path)
            ) | User.objects.filter(pk=team.leader_id, is_active=True)
        elif case.assigned_region_id:
            users = _users_with(Role.SECRETARY, ancestor_and_self_paths(case.assigned_region.path))
        else:
            users = User.objects.none()
    elif case.status == Status.RECTIFIED:
        # Those who may verify, by the same rule: never the one who rectified
        # it, never one of its handlers.
        from zhenxing.cases.permissions import can_verify

        candidates = (office_admins_for(case) | _users_with(Role.INSPECTOR, around)).exclude(
            pk=case.rectified_by_id or 0
        )
        # can_verify reads each candidate's roles: load them all in one query.
        with_roles = with_assignments(candidates.distinct().order_by("pk"))
        return [u for u in with_roles if can_verify(u, case)]
    elif case.status == Status.DEFERRED:
        users = office_admins_for(case)
    else:
        users = User.objects.none()
    return list(users.distinct().order_by("pk"))


def department_staff(department_id: int) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        role_assignments__role=Role.DEPARTMENT_STAFF,
        role_assignments__department_id=department_id,
    ).distinct()
