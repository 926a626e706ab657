"""The closed loop walked by the right people, and refused to everyone else.

Each step is checked table-driven: the set of personas allowed to take it.
Every allowed persona takes it once inside a savepoint that is rolled back
(so each is proven able to, not just the one who goes on); every other
persona, and an anonymous visitor, is refused with `PermissionDenied` and
leaves the database exactly as it was. Then one allowed persona takes the
step for real, and its `CaseEvent` and audit row are checked.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from zhenxing.cases import permissions, services
from zhenxing.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Escalation,
    EventKind,
    RequestKind,
    RequestStatus,
    Status,
)
from zhenxing.cases.photos import validate_photos
from zhenxing.cases.services import CaseConflict, CaseError
from zhenxing.cases.workdays import deadline_for
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import RoleAssignment, User, WorkTeam

from .conftest import IN_A1, upload


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions below read the services' messages in their English source text."""
    from django.utils import translation

    with translation.override("en"):
        yield


PERSONAS = (
    "admin",
    "secretary_a",
    "inspector_a",
    "party_member_a",
    "team_leader_a",
    "dept_staff",
    "outsider",
    "nobody",
)
REPORTERS = {"admin", "secretary_a", "inspector_a", "party_member_a", "team_leader_a", "dept_staff"}
DISPATCHERS = {"admin", "secretary_a"}
VERIFIERS = {"admin", "inspector_a"}
APPROVERS = {"admin"}

# Monday 2 March 2026, 09:00 in the platform's zone: no holiday within two weeks.
MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

Step = Callable[[Case, Any], Any]


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint and undo it, whatever it wrote."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def state() -> tuple[Any, ...]:
    """Everything a step could write: counts of every loop table and each case's row."""
    cases = list(
        Case.objects.order_by("pk").values_list(
            "pk",
            "status",
            "version",
            "deadline",
            "assigned_region",
            "assigned_team",
            "assigned_department",
            "report_count",
            "escalation_level",
            "rectified_by",
            "closed_at",
        )
    )
    requests = list(CaseRequest.objects.order_by("pk").values_list("pk", "status"))
    return (
        cases,
        requests,
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
        CasePhoto.objects.count(),
        Escalation.objects.count(),
    )


def fresh_user(user: Any) -> Any:
    # A new object: the role cache kept on a user object must not carry over.
    return User.objects.get(pk=user.pk)


def only(world: Any, case: Case | None, step: Step, allowed: set[str]) -> None:
    """`step` is open to exactly the personas in `allowed`; refusals write nothing."""
    for name in PERSONAS:
        user = fresh_user(getattr(world, name))
        before = state()
        target = Case.objects.get(pk=case.pk) if case is not None else None
        if name in allowed:
            with rolled_back():
                step(target, user)
        else:
            with pytest.raises(PermissionDenied):
                step(target, user)
        assert state() == before, f"{name} left a trace"
    target = Case.objects.get(pk=case.pk) if case is not None else None
    with pytest.raises(PermissionDenied):
        step(target, AnonymousUser())
    assert state() == before


def report(world: Any, category: Any, actor: Any = None, *, at: tuple = IN_A1, **kw: Any) -> Case:
    actor = actor or world.inspector_a
    return services.case_report(
        actor=actor,
        category=category,
        # The reporter's default source; "office" for one who has none (and is refused).
        source=kw.pop("source", None) or ([*permissions.sources_for(actor), "office"])[0],
        description=kw.pop("description", "路边暴露垃圾"),
        lat=at[0],
        lng=at[1],
        photos=kw.pop("photos", None) or validate_photos([upload()]),
        **kw,
    )


def after_photos() -> list:
    return validate_photos([upload("after.jpg")])


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-pk").first()


def assert_recorded(
    case: Case,
    *,
    kind: str,
    actor: Any,
    from_status: str,
    to_status: str,
    note: str = "",
    action: str = "",
) -> None:
    """The step left its CaseEvent (actor, from, to, note) and an audit row."""
    event = last_event(case)
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        kind,
        actor,
        from_status,
        to_status,
    )
    assert event.note == note
    entry = AuditEntry.objects.filter(
        action=action or f"case.{kind}", object_id=str(case.pk)
    ).latest("pk")
    assert entry.actor == actor
    if not action:
        assert entry.changes["status"] == [from_status, to_status]


def dispatched(world: Any, category: Any, to: Any = None, by: Any = None) -> Case:
    """A reported case accepted and dispatched (by the secretary to 甲一片区 unless told)."""
    case = report(world, category)
    by = by or world.secretary_a
    services.case_accept(case=case, actor=by)
    services.case_dispatch(case=case, actor=by, to=to or world.area_a1)
    return case


@pytest.fixture
def team(world):
    return WorkTeam.objects.create(name="甲清洁队", region=world.a, leader=world.team_leader_a)


@pytest.fixture
def team_b(world):
    return WorkTeam.objects.create(name="乙清洁队", region=world.b)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


# --- the main path -------------------------------------------------------------------


def test_report_accept_dispatch_rectify_rework_and_close(world, cats, private_media, frozen):
    only(world, None, lambda c, u: report(world, cats.garbage, u), REPORTERS)
    case = report(world, cats.garbage, world.inspector_a)
    assert (case.status, case.region, case.version) == (Status.REPORTED, world.area_a1, 1)
    assert case.source == "inspection" and case.number.startswith("20260302")
    assert_recorded(
        case,
        kind=EventKind.REPORTED,
        actor=world.inspector_a,
        from_status="",
        to_status=Status.REPORTED,
        note="路边暴露垃圾",
        action="case.report",
    )
    assert case.photos.get().kind == "before"

    only(world, case, lambda c, u: services.case_accept(case=c, actor=u), DISPATCHERS)
    services.case_accept(case=case, actor=world.secretary_a, note="属实")
    assert (case.status, case.version) == (Status.ACCEPTED, 2)
    assert_recorded(
        case,
        kind=EventKind.ACCEPTED,
        actor=world.secretary_a,
        from_status=Status.REPORTED,
        to_status=Status.ACCEPTED,
        note="属实",
    )

    only(
        world,
        case,
        lambda c, u: services.case_dispatch(case=c, actor=u, to=world.area_a1),
        DISPATCHERS,
    )
    frozen.shift(datetime.timedelta(hours=1))
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    assert case.status == Status.DISPATCHED and case.assigned_region == world.area_a1
    # Two working days from Monday 10:00.
    assert case.deadline == MONDAY + datetime.timedelta(days=2, hours=1)
    assert case.deadline == deadline_for(cats.garbage, timezone.now())
    assert_recorded(
        case,
        kind=EventKind.DISPATCHED,
        actor=world.secretary_a,
        from_status=Status.ACCEPTED,
        to_status=Status.DISPATCHED,
    )
    assert last_event(case).data["to_kind"] == "region"
    assert last_event(case).data["deadline"] == case.deadline.astimezone(datetime.UTC).isoformat()

    # The area's handler is the community's secretary; nobody else.
    only(world, case, lambda c, u: services.case_start(case=c, actor=u), {"secretary_a"})
    services.case_start(case=case, actor=world.secretary_a)
    assert case.status == Status.RECTIFYING
    assert_recorded(
        case,
        kind=EventKind.STARTED,
        actor=world.secretary_a,
        from_status=Status.DISPATCHED,
        to_status=Status.RECTIFYING,
    )

    photos = after_photos()
    only(
        world,
        case,
        lambda c, u: services.case_rectify(case=c, actor=u, note="已清理", photos=photos),
        {"secretary_a"},
    )
    with pytest.raises(CaseError, match="after-photo"):
        services.case_rectify(case=case, actor=world.secretary_a, note="已清理")
    with pytest.raises(CaseError):
        services.case_rectify(case=case, actor=world.secretary_a, note="  ", photos=photos)
    services.case_rectify(case=case, actor=world.secretary_a, note="已清理", photos=photos)
    assert (case.status, case.rectified_by) == (Status.RECTIFIED, world.secretary_a)
    assert_recorded(
        case,
        kind=EventKind.RECTIFIED,
        actor=world.secretary_a,
        from_status=Status.RECTIFYING,
        to_status=Status.RECTIFIED,
        note="已清理",
    )
    assert list(last_event(case).photos.values_list("kind", flat=True)) == ["after"]

    # The handler (who also rectified) may not verify; office and inspector may.
    only(
        world,
        case,
        lambda c, u: services.case_verify(case=c, actor=u, passed=False, note="仍有残留"),
        VERIFIERS,
    )
    with pytest.raises(CaseError):
        services.case_verify(case=case, actor=world.inspector_a, passed=False, note="")
    services.case_verify(case=case, actor=world.inspector_a, passed=False, note="仍有残留")
    assert (case.status, case.rework_count) == (Status.REWORK, 1)
    assert_recorded(
        case,
        kind=EventKind.VERIFY_FAILED,
        actor=world.inspector_a,
        from_status=Status.RECTIFIED,
        to_status=Status.REWORK,
        note="仍有残留",
    )
    # Rework keeps the clock: still the first deadline.
    assert case.deadline == MONDAY + datetime.timedelta(days=2, hours=1)

    only(world, case, lambda c, u: services.case_start(case=c, actor=u), {"secretary_a"})
    services.case_start(case=case, actor=world.secretary_a)
    assert_recorded(
        case,
        kind=EventKind.STARTED,
        actor=world.secretary_a,
        from_status=Status.REWORK,
        to_status=Status.RECTIFYING,
    )
    services.case_rectify(case=case, actor=world.secretary_a, note="彻底清理", photos=photos)

    only(
        world,
        case,
        lambda c, u: services.case_verify(case=c, actor=u, passed=True),
        VERIFIERS,
    )
    services.case_verify(case=case, actor=world.admin, passed=True, note="合格")
    assert case.status == Status.CLOSED and case.closed_on_time is True
    assert case.closed_at == timezone.now()
    assert_recorded(
        case,
        kind=EventKind.VERIFIED,
        actor=world.admin,
        from_status=Status.RECTIFIED,
        to_status=Status.CLOSED,
        note="合格",
    )
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "reported",
        "accepted",
        "dispatched",
        "started",
        "rectified",
        "verify_failed",
        "started",
        "rectified",
        "verified",
    ]
    assert case.version == 9
    assert Case.objects.get(pk=case.pk).version == 9

    # A closed case takes no further step from anyone.
    for step in (
        lambda: services.case_start(case=case, actor=world.secretary_a),
        lambda: services.case_verify(case=case, actor=world.admin, passed=True),
        lambda: services.case_accept(case=case, actor=world.admin),
    ):
        before = state()
        with pytest.raises(CaseConflict):
            step()
        assert state() == before


def test_closed_late_is_not_on_time(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    frozen.shift(datetime.timedelta(days=5))
    assert case.is_overdue() and case.urgency() == "overdue"
    services.case_rectify(case=case, actor=world.secretary_a, note="迟了", photos=after_photos())
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    assert case.closed_on_time is False


def test_reject_needs_a_reason_and_ends_the_case(world, cats, private_media):
    case = report(world, cats.garbage)
    only(
        world, case, lambda c, u: services.case_reject(case=c, actor=u, reason="重复"), DISPATCHERS
    )
    before = state()
    with pytest.raises(CaseError):
        services.case_reject(case=case, actor=world.secretary_a, reason=" ")
    assert state() == before
    services.case_reject(case=case, actor=world.secretary_a, reason="不属于整治范围")
    assert case.status == Status.REJECTED and case.closed_at is not None and not case.is_open
    assert_recorded(
        case,
        kind=EventKind.REJECTED,
        actor=world.secretary_a,
        from_status=Status.REPORTED,
        to_status=Status.REJECTED,
        note="不属于整治范围",
    )
    with pytest.raises(CaseConflict):
        services.case_accept(case=case, actor=world.admin)


def test_add_report_to_an_open_case(world, cats, private_media):
    case = report(world, cats.garbage)
    only(
        world,
        case,
        lambda c, u: services.case_add_report(case=c, actor=u, description="又见"),
        REPORTERS,
    )
    services.case_add_report(
        case=case,
        actor=world.party_member_a,
        description="又见",
        photos=validate_photos([upload()]),
    )
    case.refresh_from_db()
    assert case.report_count == 2 and case.photos.count() == 2
    event = last_event(case)
    assert (event.kind, event.actor, event.note) == ("report_added", world.party_member_a, "又见")
    services.case_reject(case=case, actor=world.admin, reason="重复")
    with pytest.raises(PermissionDenied):
        services.case_add_report(case=case, actor=world.party_member_a, description="再报")


def test_the_office_may_file_at_an_address_without_a_pin(world, cats, private_media):
    case = services.case_report(
        actor=world.admin,
        category=cats.garbage,
        source="resident",
        description="群众来电",
        area=world.area_a2,
        address="甲二片区 3 号",
        reporter_name="张三",
        reporter_mobile="13900000000",
    )
    assert case.region == world.area_a2 and case.region_path == world.area_a2.path
    assert case.reporter == world.admin and case.reporter_name == "张三"


def test_intake_rules(world, cats, private_media):
    before = state()
    with pytest.raises(CaseError):  # a main category
        report(world, cats.sanitation)
    with pytest.raises(CaseError):  # no location at all
        services.case_report(
            actor=world.admin, category=cats.garbage, source="office", description="x"
        )
    with pytest.raises(CaseError):  # outside the territory
        report(world, cats.garbage, world.admin, at=(22.0, 112.0))
    with pytest.raises(PermissionDenied):  # a source the reporter's role lacks
        report(world, cats.garbage, world.party_member_a, source="inspection")
    cats.garbage.is_active = False
    cats.garbage.save()
    with pytest.raises(CaseError):
        report(world, cats.garbage)
    assert state() == before


# --- dispatch targets ----------------------------------------------------------------


def test_dispatch_targets_of_a_secretary_and_of_the_office(
    world, cats, private_media, team, team_b
):
    case = report(world, cats.garbage)
    services.case_accept(case=case, actor=world.secretary_a)
    before = state()
    for target in (world.dept, world.area_b1, world.b, team_b, world.root):
        with pytest.raises(PermissionDenied):
            services.case_dispatch(case=case, actor=world.secretary_a, to=target)
    assert state() == before
    # Dispatch stays inside the case's community, for the office too: never the
    # whole subdistrict, never another community's regions or teams.
    for target in (world.root, world.b, world.coop_b, world.area_b1, team_b):
        with pytest.raises(PermissionDenied):
            services.case_dispatch(case=case, actor=world.admin, to=target)
    assert state() == before
    # Inside it, both dispatch to the community, any region below it and its
    # teams; only the office to a department.
    inside = (world.a, world.coop_a, world.area_a1, world.area_a2, team)
    for actor, targets in ((world.admin, (*inside, world.dept)), (world.secretary_a, inside)):
        for target in targets:
            with rolled_back():
                c = Case.objects.get(pk=case.pk)
                services.case_dispatch(case=c, actor=actor, to=target)
                assert c.assignee == target
    assert state() == before

    # The form offers exactly what the service accepts.
    forms = permissions.dispatch_targets_for(world.secretary_a, case)
    assert not forms["departments"].exists()
    assert set(forms["teams"]) == {team}
    assert list(forms["regions"]) == [world.a, world.coop_a, world.area_a1, world.area_a2]
    office = permissions.dispatch_targets_for(world.admin, case)
    assert list(office["regions"]) == [world.a, world.coop_a, world.area_a1, world.area_a2]
    assert set(office["teams"]) == {team}
    assert set(office["departments"]) == {world.dept}
    nothing = permissions.dispatch_targets_for(world.outsider, case)
    assert not any(qs.exists() for qs in nothing.values())

    with pytest.raises(CaseError):  # a deadline already past
        services.case_dispatch(
            case=case,
            actor=world.secretary_a,
            to=world.area_a1,
            deadline=timezone.now() - datetime.timedelta(hours=1),
        )
    due = timezone.now() + datetime.timedelta(days=10)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1, deadline=due)
    assert case.deadline == due


def test_a_team_is_handled_by_its_leader_and_the_community_secretary(
    world, cats, private_media, team
):
    case = dispatched(world, cats.garbage, to=team)
    assert case.assigned_team == team
    handlers = {"secretary_a", "team_leader_a"}
    only(world, case, lambda c, u: services.case_start(case=c, actor=u), handlers)
    services.case_start(case=case, actor=world.team_leader_a)
    photos = after_photos()
    only(
        world,
        case,
        lambda c, u: services.case_rectify(case=c, actor=u, note="已清", photos=photos),
        handlers,
    )
    services.case_rectify(case=case, actor=world.team_leader_a, note="已清", photos=photos)
    only(world, case, lambda c, u: services.case_verify(case=c, actor=u, passed=True), VERIFIERS)


def test_a_department_case_is_handled_by_its_staff_only(world, cats, private_media):
    case = report(world, cats.floating)
    services.case_accept(case=case, actor=world.secretary_a)
    only(
        world,
        case,
        lambda c, u: services.case_dispatch(case=c, actor=u, to=world.dept),
        {"admin"},
    )
    services.case_dispatch(case=case, actor=world.admin, to=world.dept)
    # 24 hours, by the clock.
    assert case.deadline - case.dispatched_at == datetime.timedelta(hours=24)
    only(world, case, lambda c, u: services.case_start(case=c, actor=u), {"dept_staff"})
    # No after-photo needed for this category.
    only(
        world,
        case,
        lambda c, u: services.case_rectify(case=c, actor=u, note="已打捞"),
        {"dept_staff"},
    )
    services.case_rectify(case=case, actor=world.dept_staff, note="已打捞")
    assert case.status == Status.RECTIFIED
    only(world, case, lambda c, u: services.case_verify(case=c, actor=u, passed=True), VERIFIERS)


# --- verifier independence ---------------------------------------------------------------


def test_who_rectified_may_not_verify_even_as_office_admin(world, cats, private_media):
    from zhenxing.people.models import Role

    both = User.objects.create_user(username="admin_and_dept", password="x-Long-enough-1")
    RoleAssignment.objects.create(user=both, role=Role.OFFICE_ADMIN, region=world.root)
    dept_role = RoleAssignment.objects.create(
        user=both, role=Role.DEPARTMENT_STAFF, department=world.dept
    )
    case = dispatched(world, cats.floating, to=world.dept, by=world.admin)
    services.case_rectify(case=case, actor=both, note="已打捞")
    assert case.rectified_by == both
    with pytest.raises(PermissionDenied):
        services.case_verify(case=case, actor=fresh_user(both), passed=True)
    # No longer in the department: still the one who rectified.
    dept_role.delete()
    assert not permissions.is_handler(fresh_user(both), case)
    with pytest.raises(PermissionDenied):
        services.case_verify(case=case, actor=fresh_user(both), passed=True)
    services.case_verify(case=case, actor=world.admin, passed=True)
    assert case.status == Status.CLOSED


def test_a_handler_may_not_verify_even_as_inspector(world, cats, private_media):
    team = WorkTeam.objects.create(name="巡查队", region=world.a, leader=world.inspector_a)
    case = dispatched(world, cats.garbage, to=team)
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    assert permissions.is_handler(world.inspector_a, case)
    with pytest.raises(PermissionDenied):
        services.case_verify(case=case, actor=world.inspector_a, passed=True)
    services.case_verify(case=case, actor=world.admin, passed=True)


# --- requests: send back, extension, deferral -----------------------------------------


def _request(kind: str, **kw: Any) -> Step:
    return lambda c, u: services.case_request(case=c, actor=u, kind=kind, reason="原因", **kw)


def _decide(approve: bool, note: str = "") -> Step:
    def step(c: Case, u: Any) -> Any:
        pending = CaseRequest.objects.get(case=c, status=RequestStatus.PENDING)
        return services.case_decide_request(request=pending, actor=u, approve=approve, note=note)

    return step


def test_send_back_returns_the_case_to_the_dispatcher(world, cats, private_media, team):
    case = dispatched(world, cats.garbage)
    only(world, case, _request(RequestKind.SEND_BACK), {"secretary_a"})
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="不属本片区"
    )
    assert request.status == RequestStatus.PENDING and request.requested_by == world.secretary_a
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert_recorded(
        case,
        kind=EventKind.SEND_BACK_REQUESTED,
        actor=world.secretary_a,
        from_status=Status.DISPATCHED,
        to_status=Status.DISPATCHED,
        note="不属本片区",
    )
    # One pending request at a time.
    before = state()
    with pytest.raises(CaseConflict):
        services.case_request(
            case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="再等"
        )
    assert state() == before

    only(world, case, _decide(True), APPROVERS)
    services.case_decide_request(request=request, actor=world.admin, approve=True, note="同意")
    assert (request.status, request.decided_by) == (RequestStatus.APPROVED, world.admin)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.assignee is None and case.deadline is None and case.dispatched_at is None
    assert_recorded(
        case,
        kind=EventKind.REQUEST_APPROVED,
        actor=world.admin,
        from_status=Status.DISPATCHED,
        to_status=Status.ACCEPTED,
        note="同意",
    )
    # Deciding again: the request is no longer pending.
    with pytest.raises(CaseConflict):
        services.case_decide_request(request=request, actor=world.admin, approve=False, note="x")

    services.case_dispatch(case=case, actor=world.secretary_a, to=team)
    assert case.status == Status.DISPATCHED and case.assigned_team == team
    assert case.deadline is not None


def test_extension_approved_moves_the_deadline(world, cats, private_media):
    case = dispatched(world, cats.garbage)
    old = case.deadline
    until = old + datetime.timedelta(days=3)
    with pytest.raises(CaseError):  # an extension names its new deadline
        services.case_request(
            case=case, actor=world.secretary_a, kind=RequestKind.EXTENSION, reason="雨天"
        )
    with pytest.raises(CaseError):  # and it must be later than the current one
        services.case_request(
            case=case,
            actor=world.secretary_a,
            kind=RequestKind.EXTENSION,
            reason="雨天",
            until=old - datetime.timedelta(minutes=1),
        )
    only(world, case, _request(RequestKind.EXTENSION, until=until), {"secretary_a"})
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.EXTENSION, reason="雨天", until=until
    )
    assert last_event(case).data == {"until": until.astimezone(datetime.UTC).isoformat()}
    only(world, case, _decide(True), APPROVERS)
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    case.refresh_from_db()
    assert case.deadline == until and case.status == Status.DISPATCHED
    assert last_event(case).data == {
        "request": "extension",
        "approved": True,
        "deadline": until.astimezone(datetime.UTC).isoformat(),
    }


def test_extension_denied_needs_a_note_and_keeps_the_deadline(world, cats, private_media):
    case = dispatched(world, cats.garbage)
    old = case.deadline
    request = services.case_request(
        case=case,
        actor=world.secretary_a,
        kind=RequestKind.EXTENSION,
        reason="雨天",
        until=old + datetime.timedelta(days=3),
    )
    only(world, case, _decide(False, note="理由不足"), APPROVERS)
    before = state()
    with pytest.raises(CaseError):
        services.case_decide_request(request=request, actor=world.admin, approve=False, note="")
    assert state() == before
    services.case_decide_request(request=request, actor=world.admin, approve=False, note="理由不足")
    assert request.status == RequestStatus.DENIED and request.decision_note == "理由不足"
    case.refresh_from_db()
    assert case.deadline == old and case.status == Status.DISPATCHED
    assert_recorded(
        case,
        kind=EventKind.REQUEST_DENIED,
        actor=world.admin,
        from_status=Status.DISPATCHED,
        to_status=Status.DISPATCHED,
        note="理由不足",
    )
    # Decided: the handler may ask again.
    services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
    )


def test_deferral_stops_the_clock_until_the_office_resumes(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    services.case_start(case=case, actor=world.secretary_a)
    only(world, case, _request(RequestKind.DEFERRAL), {"secretary_a"})
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待拆迁"
    )
    only(world, case, _decide(True), APPROVERS)
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    case.refresh_from_db()
    assert case.status == Status.DEFERRED

    # Long past the old deadline: a deferred case is not overdue and not escalated.
    frozen.shift(datetime.timedelta(days=30))
    assert not case.is_overdue()
    assert not Case.objects.overdue().filter(pk=case.pk).exists()
    assert services.escalate_overdue(meeting_after=datetime.timedelta(hours=48)) == []
    for step in (
        _request(RequestKind.SEND_BACK),
        lambda c, u: services.case_start(case=c, actor=u),
    ):
        with pytest.raises(CaseConflict):
            step(case, world.secretary_a)

    only(world, case, lambda c, u: services.case_resume(case=c, actor=u), APPROVERS)
    services.case_resume(case=case, actor=world.admin, note="恢复")
    assert case.status == Status.RECTIFYING
    assert case.deadline == deadline_for(cats.garbage, timezone.now()) > timezone.now()
    assert_recorded(
        case,
        kind=EventKind.RESUMED,
        actor=world.admin,
        from_status=Status.DEFERRED,
        to_status=Status.RECTIFYING,
        note="恢复",
    )
    assert last_event(case).data == {"deadline": case.deadline.astimezone(datetime.UTC).isoformat()}


def test_rectifying_withdraws_a_pending_request(world, cats, private_media):
    case = dispatched(world, cats.garbage)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待"
    )
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    with pytest.raises(CaseConflict):
        services.case_decide_request(request=request, actor=world.admin, approve=True)


def test_a_stale_version_is_refused_with_nothing_written(world, cats, private_media):
    case = report(world, cats.garbage)
    seen = case.version
    services.case_accept(case=case, actor=world.secretary_a, expected_version=seen)
    before = state()
    with pytest.raises(CaseConflict):
        services.case_dispatch(
            case=case, actor=world.secretary_a, to=world.area_a1, expected_version=seen
        )
    assert state() == before
    services.case_dispatch(
        case=case, actor=world.secretary_a, to=world.area_a1, expected_version=seen + 1
    )
