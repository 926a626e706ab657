"""`escalate_overdue`: an overdue case goes to the office, then onto the joint meeting's agenda.

The periodic job that calls it and the notifications it sends are tested
with the notify app; here the service itself, with the clock moved by
time-machine past each deadline.
"""

from __future__ import annotations

import datetime

import pytest

from zhenxing.cases import services
from zhenxing.cases.models import CaseEvent, Escalation, EventKind, RequestKind, Status
from zhenxing.core.models import AuditEntry

from .test_loop import MONDAY, after_photos, dispatched, report

MEETING_AFTER = datetime.timedelta(hours=48)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


def escalate() -> list[Escalation]:
    return services.escalate_overdue(meeting_after=MEETING_AFTER)


def test_overdue_goes_to_the_office_then_to_the_joint_meeting(world, cats, private_media, frozen):
    case = dispatched(world, cats.floating, to=world.dept, by=world.admin)
    deadline = case.deadline
    assert deadline == MONDAY + datetime.timedelta(hours=24)
    version = case.version

    # Not yet due: nothing happens.
    frozen.move_to(deadline - datetime.timedelta(minutes=1), tick=False)
    assert escalate() == []

    frozen.move_to(deadline + datetime.timedelta(hours=1), tick=False)
    raised = escalate()
    assert [(e.case_id, e.level, e.department) for e in raised] == [(case.pk, 1, None)]
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.escalated_at is not None
    # Escalation is not a step of the handler's: their open form stays valid.
    assert case.version == version and case.status == Status.DISPATCHED
    event = CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATED).get()
    assert event.actor is None and event.data == {"level": 1, "department": ""}
    assert AuditEntry.objects.filter(action="case.escalated", object_id=str(case.pk)).count() == 1

    # Running again at once raises nothing twice.
    assert escalate() == []

    # Overdue for `meeting_after`: onto the joint meeting's agenda, under the department.
    frozen.move_to(deadline + MEETING_AFTER, tick=False)
    raised = escalate()
    assert [(e.level, e.department) for e in raised] == [(2, world.dept)]
    case.refresh_from_db()
    assert case.escalation_level == 2
    agenda = Escalation.objects.filter(level=2, resolved_at__isnull=True)
    assert list(agenda.values_list("case", "department")) == [(case.pk, world.dept.pk)]
    frozen.shift(datetime.timedelta(days=10))
    assert escalate() == []
    assert Escalation.objects.filter(case=case).count() == 2

    # Closing the case takes it off the agenda.
    services.case_rectify(case=case, actor=world.dept_staff, note="已打捞")
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    assert case.closed_on_time is False
    assert not Escalation.objects.filter(case=case, resolved_at__isnull=True).exists()


def test_a_case_found_long_overdue_gets_both_levels_at_once(world, cats, private_media, frozen):
    case = dispatched(world, cats.floating, to=world.dept, by=world.admin)
    frozen.move_to(case.deadline + MEETING_AFTER + datetime.timedelta(hours=1), tick=False)
    assert [e.level for e in escalate()] == [1, 2]
    case.refresh_from_db()
    assert case.escalation_level == 2


def test_the_department_on_the_agenda_follows_the_category_for_a_community_case(
    world, cats, private_media, frozen
):
    # 河涌 cases belong to the department by default even when a community handles one.
    river = dispatched(world, cats.floating, to=world.area_a1)
    garbage = dispatched(world, cats.garbage)
    frozen.move_to(garbage.deadline + MEETING_AFTER, tick=False)
    found = {e.case_id: e.department for e in escalate() if e.level == 2}
    assert found == {river.pk: world.dept, garbage.pk: None}


def test_only_cases_on_the_clock_escalate(world, cats, private_media, frozen):
    waiting = dispatched(world, cats.garbage)
    deferred = dispatched(world, cats.garbage)
    request = services.case_request(
        case=deferred, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    rectified = dispatched(world, cats.garbage)
    # Reported and accepted cases have no deadline yet.
    accepted = report(world, cats.garbage)
    services.case_accept(case=accepted, actor=world.admin)
    services.case_rectify(
        case=rectified, actor=world.secretary_a, note="已清", photos=after_photos()
    )
    frozen.shift(datetime.timedelta(days=30))
    assert {e.case_id for e in escalate()} == {waiting.pk}
    for case in (deferred, rectified, accepted):
        case.refresh_from_db()
        assert case.escalation_level == 0


def test_an_extension_before_the_deadline_keeps_the_case_off_the_list(
    world, cats, private_media, frozen
):
    case = dispatched(world, cats.garbage)
    request = services.case_request(
        case=case,
        actor=world.secretary_a,
        kind=RequestKind.EXTENSION,
        reason="雨天",
        until=case.deadline + datetime.timedelta(days=5),
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    frozen.move_to(case.deadline + datetime.timedelta(days=1), tick=False)
    assert escalate() == []
