"""Who sees which case, who may file where, and whose work queue holds what.

The queue ("what waits for me") is checked against the `can_*` rules case by
case: a case is in a persona's queue exactly when that persona may take its
next step, so the queue never shows work one cannot do, nor hides work one must.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from zhenxing.cases import permissions, services
from zhenxing.cases.models import CLOCK_STATES, Case, RequestKind, Status
from zhenxing.cases.permissions import cases_visible_to, get_case_for_user, queue_filter
from zhenxing.people.models import WorkTeam

from .conftest import IN_A1, IN_B1
from .test_loop import PERSONAS, after_photos, dispatched, fresh_user, report

IN_A2 = (23.005, 113.115)


@pytest.fixture
def spread(world, cats, private_media):
    """Cases in every state, in both communities."""
    inspector_team = WorkTeam.objects.create(
        name="巡查队", region=world.a, leader=world.inspector_a
    )
    s = SimpleNamespace()
    s.reported_a = report(world, cats.garbage)
    s.accepted_a = report(world, cats.garbage, at=IN_A2)
    services.case_accept(case=s.accepted_a, actor=world.secretary_a)
    s.to_area = dispatched(world, cats.garbage)
    s.to_dept = dispatched(world, cats.floating, to=world.dept, by=world.admin)
    s.rectified = dispatched(world, cats.garbage)
    services.case_rectify(
        case=s.rectified, actor=world.secretary_a, note="已清", photos=after_photos()
    )
    # Rectified by the secretary, but the inspector leads the team it was sent to.
    s.by_inspectors_team = dispatched(world, cats.garbage, to=inspector_team)
    services.case_rectify(
        case=s.by_inspectors_team, actor=world.secretary_a, note="已清", photos=after_photos()
    )
    s.requested = dispatched(world, cats.garbage)
    services.case_request(
        case=s.requested, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
    )
    s.deferred = dispatched(world, cats.garbage)
    request = services.case_request(
        case=s.deferred, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    s.deferred.refresh_from_db()
    s.closed = dispatched(world, cats.garbage)
    services.case_rectify(
        case=s.closed, actor=world.secretary_a, note="已清", photos=after_photos()
    )
    services.case_verify(case=s.closed, actor=world.admin, passed=True)
    s.rejected = report(world, cats.garbage)
    services.case_reject(case=s.rejected, actor=world.admin, reason="误报")
    s.reported_b = report(world, cats.garbage, world.outsider, at=IN_B1)
    return s


def test_visibility_follows_the_territory_scope(world, spread):
    everything = set(Case.objects.all())
    in_b = {spread.reported_b}
    in_a = everything - in_b
    expected = {
        "admin": everything,
        "dept_staff": everything,  # departments receive problems from anywhere
        "secretary_a": in_a,
        "inspector_a": in_a,
        "party_member_a": in_a,
        "team_leader_a": in_a,
        "outsider": in_b,
        "nobody": set(),
    }
    for name, cases in expected.items():
        assert set(cases_visible_to(getattr(world, name))) == cases, name
    assert not cases_visible_to(AnonymousUser()).exists()


def test_a_case_outside_ones_scope_is_not_found(world, spread):
    number = spread.reported_a.number
    assert get_case_for_user(world.inspector_a, number) == spread.reported_a
    assert get_case_for_user(world.dept_staff, number) == spread.reported_a
    for user in (world.outsider, world.nobody, AnonymousUser()):
        with pytest.raises(Http404):
            get_case_for_user(user, number)
    for odd in ("", "x" * 50, "2026\x00", "../../"):
        with pytest.raises(Http404):
            get_case_for_user(world.admin, odd)


@pytest.mark.parametrize(
    "name, sources",
    [
        ("admin", ["office", "resident"]),
        ("secretary_a", ["office", "resident"]),
        ("team_leader_a", ["office", "resident"]),
        ("inspector_a", ["inspection"]),
        ("party_member_a", ["party_patrol"]),
        ("dept_staff", ["department"]),
        ("outsider", ["office", "resident"]),
        ("nobody", []),
    ],
)
def test_sources_by_role(world, name, sources):
    assert permissions.sources_for(getattr(world, name)) == sources


def test_who_may_report_where(world):
    where = {
        "admin": {"a1", "b1"},
        "dept_staff": {"a1", "b1"},
        "secretary_a": {"a1"},
        "inspector_a": {"a1"},
        "party_member_a": {"a1"},
        "team_leader_a": {"a1"},
        "outsider": {"b1"},
        "nobody": set(),
    }
    areas = {"a1": world.area_a1, "b1": world.area_b1}
    for name, allowed in where.items():
        user = getattr(world, name)
        assert permissions.can_report(user) is bool(allowed), name
        got = {key for key, area in areas.items() if permissions.can_report_at(user, area)}
        assert got == allowed, name
    assert not permissions.can_report(AnonymousUser())
    assert not permissions.can_report_at(AnonymousUser(), world.area_a1)


def _may_act(user: Any, case: Case) -> bool:
    """Whether the user may take the step the case now waits for."""
    if case.status in (Status.REPORTED, Status.ACCEPTED):
        return permissions.can_dispatch(user, case)
    if case.status in CLOCK_STATES:
        pending = case.requests.filter(status="pending").exists()
        return permissions.is_handler(user, case) or (
            pending and permissions.can_decide_requests(user, case)
        )
    if case.status == Status.RECTIFIED:
        return permissions.can_verify(user, case)
    if case.status == Status.DEFERRED:
        return permissions.can_decide_requests(user, case)
    return False


def test_the_queue_holds_exactly_the_cases_one_may_act_on(world, spread):
    for name in PERSONAS:
        user = fresh_user(getattr(world, name))
        queue = set(cases_visible_to(user).filter(queue_filter(user)))
        expected = {c for c in cases_visible_to(user) if _may_act(user, c)}
        assert queue == expected, name


def test_a_superusers_queue_holds_every_step_of_the_office(world, spread):
    # A superuser's scope is "everything" (None), which must not vanish from the OR.
    boss = fresh_user(world.nobody)
    boss.is_superuser = True
    queue = set(cases_visible_to(boss).filter(queue_filter(boss)))
    expected = {c for c in cases_visible_to(boss) if _may_act(boss, c)}
    assert {spread.reported_a, spread.rectified, spread.deferred} <= queue
    assert queue == expected


def test_queues_by_persona(world, spread):
    def queue(user: Any) -> set[Case]:
        user = fresh_user(user) if user.is_authenticated else user
        return set(cases_visible_to(user).filter(queue_filter(user)))

    s = spread
    assert queue(world.admin) == {
        s.reported_a,
        s.accepted_a,
        s.reported_b,
        s.rectified,
        s.by_inspectors_team,
        s.requested,
        s.deferred,
    }
    assert queue(world.secretary_a) == {
        s.reported_a,
        s.accepted_a,
        s.to_area,
        s.requested,
    }
    assert queue(world.inspector_a) == {s.rectified}
    assert queue(world.dept_staff) == {s.to_dept}
    assert queue(world.outsider) == {s.reported_b}
    for user in (world.party_member_a, world.team_leader_a, world.nobody, AnonymousUser()):
        assert queue(user) == set()


def test_can_handle_only_while_the_clock_runs(world, spread):
    assert permissions.can_handle(world.secretary_a, spread.to_area)
    assert not permissions.can_handle(world.secretary_a, spread.rectified)
    assert not permissions.can_handle(world.secretary_a, spread.deferred)
    assert not permissions.can_handle(world.admin, spread.to_area)
    assert permissions.can_handle(world.dept_staff, spread.to_dept)
    assert not permissions.can_handle(world.dept_staff, spread.to_area)


def test_add_report_only_to_open_cases_in_scope(world, spread):
    assert permissions.can_add_report(world.party_member_a, spread.to_area)
    assert not permissions.can_add_report(world.party_member_a, spread.closed)
    assert not permissions.can_add_report(world.party_member_a, spread.rejected)
    assert not permissions.can_add_report(world.outsider, spread.to_area)
    assert not permissions.can_add_report(world.nobody, spread.to_area)
    assert permissions.can_add_report(world.dept_staff, spread.reported_b)


def test_points_are_where_the_fixture_says(world):
    from zhenxing.territory.lookup import find_area

    assert find_area(*IN_A1) == world.area_a1
    assert find_area(*IN_A2) == world.area_a2
    assert find_area(*IN_B1) == world.area_b1
