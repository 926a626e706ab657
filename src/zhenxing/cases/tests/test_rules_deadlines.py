"""Deadlines within reach, requests only before the deadline, honest "closed on time".

And escalations resolved when the case stops being a handler's overdue work.
"""

from __future__ import annotations

import datetime

import pytest

from zhenxing.cases import services
from zhenxing.cases.models import (
    Case,
    Category,
    Escalation,
    RequestKind,
    RequestStatus,
    Status,
    TimeLimitUnit,
)
from zhenxing.cases.services import MAX_DEADLINE_AHEAD, CaseError

from .test_loop import MONDAY, after_photos, dispatched, report, state

MEETING_AFTER = datetime.timedelta(hours=48)


@pytest.fixture(autouse=True)
def _messages_in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


def accepted(world, cats) -> Case:
    case = report(world, cats.garbage)
    services.case_accept(case=case, actor=world.secretary_a)
    return case


def test_the_limit_is_a_year_and_a_day():
    assert datetime.timedelta(days=366) == MAX_DEADLINE_AHEAD


# --- 1. deadlines far ahead ----------------------------------------------------------------


@pytest.mark.parametrize(
    "ahead",
    [
        MAX_DEADLINE_AHEAD + datetime.timedelta(minutes=1),
        datetime.timedelta(days=5000),
    ],
)
def test_a_dispatch_deadline_beyond_the_limit_is_refused(world, cats, private_media, frozen, ahead):
    case = accepted(world, cats)
    before = state()
    with pytest.raises(CaseError, match="366 days"):
        services.case_dispatch(
            case=case, actor=world.secretary_a, to=world.area_a1, deadline=MONDAY + ahead
        )
    assert state() == before
    services.case_dispatch(
        case=case, actor=world.secretary_a, to=world.area_a1, deadline=MONDAY + MAX_DEADLINE_AHEAD
    )
    assert case.deadline == MONDAY + MAX_DEADLINE_AHEAD


def test_the_year_9999_is_refused_not_a_crash(world, cats, private_media, frozen):
    case = accepted(world, cats)
    far = datetime.datetime(9999, 12, 31, 23, 0, tzinfo=datetime.UTC)
    with pytest.raises(CaseError, match="366 days"):
        services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1, deadline=far)


def test_a_category_limit_beyond_a_year_is_refused_at_dispatch(world, cats, private_media, frozen):
    slow = Category.objects.create(
        parent=cats.sanitation,
        code="HJ99",
        name="慢",
        time_limit=24 * 400,
        time_limit_unit=TimeLimitUnit.HOURS,
        after_photo_required=False,
    )
    case = report(world, slow)
    services.case_accept(case=case, actor=world.secretary_a)
    before = state()
    with pytest.raises(CaseError, match="366 days"):
        services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    assert state() == before


@pytest.mark.parametrize("kind", [RequestKind.EXTENSION, RequestKind.DEFERRAL])
def test_a_requested_date_beyond_the_limit_is_refused(world, cats, private_media, frozen, kind):
    case = dispatched(world, cats.garbage)
    before = state()
    with pytest.raises(CaseError, match="366 days"):
        services.case_request(
            case=case,
            actor=world.secretary_a,
            kind=kind,
            reason="等待",
            until=MONDAY + MAX_DEADLINE_AHEAD + datetime.timedelta(days=1),
        )
    assert state() == before


def test_a_resume_deadline_beyond_the_limit_is_refused(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待拆迁"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    case.refresh_from_db()
    before = state()
    with pytest.raises(CaseError, match="366 days"):
        services.case_resume(
            case=case, actor=world.admin, deadline=MONDAY + datetime.timedelta(days=400)
        )
    assert state() == before
    services.case_resume(case=case, actor=world.admin, deadline=MONDAY + datetime.timedelta(days=9))
    assert case.status == Status.RECTIFYING


# --- 6. requests only before the deadline; approval of a date already past ------------------


@pytest.mark.parametrize("kind", [RequestKind.EXTENSION, RequestKind.DEFERRAL])
def test_no_extension_or_deferral_once_overdue(world, cats, private_media, frozen, kind):
    case = dispatched(world, cats.garbage)
    frozen.move_to(case.deadline + datetime.timedelta(minutes=1), tick=False)
    before = state()
    with pytest.raises(CaseError, match="deadline has passed"):
        services.case_request(
            case=case,
            actor=world.secretary_a,
            kind=kind,
            reason="来不及",
            until=case.deadline + datetime.timedelta(days=3),
        )
    assert state() == before
    # What is left: rectify, or ask to send it back.
    services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="不属本片区"
    )


def test_an_extension_whose_date_has_passed_is_not_approved(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    until = case.deadline + datetime.timedelta(days=1)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.EXTENSION, reason="雨天", until=until
    )
    frozen.move_to(until + datetime.timedelta(hours=1), tick=False)
    before = state()
    with pytest.raises(CaseError, match="has passed; deny"):
        services.case_decide_request(request=request, actor=world.admin, approve=True)
    assert state() == before
    services.case_decide_request(
        request=request, actor=world.admin, approve=False, note="日期已过，请重新申请"
    )
    assert request.status == RequestStatus.DENIED


# --- 6. closed on time means never escalated ---------------------------------------------------


def test_an_escalated_case_is_not_closed_on_time_after_a_fresh_dispatch(
    world, cats, private_media, frozen
):
    case = dispatched(world, cats.garbage)
    frozen.move_to(case.deadline + datetime.timedelta(hours=1), tick=False)
    assert [e.level for e in services.escalate_overdue(meeting_after=MEETING_AFTER)] == [1]
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    case.refresh_from_db()
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a2)
    # Rectified well within the new deadline: still, it was late once.
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    assert case.rectified_at <= case.deadline
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    assert case.status == Status.CLOSED and case.closed_on_time is False
    assert case.escalation_level == 1


def test_rectified_in_time_and_never_escalated_is_on_time(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    assert case.closed_on_time is True


# --- 7. escalations resolved at send-back and deferral ---------------------------------------


def _escalated(world, cats, frozen) -> Case:
    case = dispatched(world, cats.garbage)
    frozen.move_to(case.deadline + MEETING_AFTER, tick=False)
    assert [e.level for e in services.escalate_overdue(meeting_after=MEETING_AFTER)] == [1, 2]
    case.refresh_from_db()
    return case


def test_an_approved_send_back_resolves_the_escalations(world, cats, private_media, frozen):
    case = _escalated(world, cats, frozen)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
    )
    assert Escalation.objects.filter(case=case, resolved_at__isnull=True).count() == 2
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    open_ones = Escalation.objects.filter(case=case, resolved_at__isnull=True)
    assert not open_ones.exists()
    case.refresh_from_db()
    assert case.escalation_level == 2  # the record that it was late stays


def test_an_approved_deferral_resolves_the_escalations(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    # Asked for in time; the office decides only after the deadline has passed.
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="等待拆迁"
    )
    frozen.move_to(case.deadline + datetime.timedelta(hours=1), tick=False)
    assert [e.level for e in services.escalate_overdue(meeting_after=MEETING_AFTER)] == [1]
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    assert not Escalation.objects.filter(case=case, resolved_at__isnull=True).exists()
    assert Escalation.objects.get(case=case).resolved_at is not None
    case.refresh_from_db()
    assert (case.status, case.escalation_level) == (Status.DEFERRED, 1)


def test_a_denied_request_leaves_the_escalation_open(world, cats, private_media, frozen):
    case = _escalated(world, cats, frozen)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=False, note="自行处理")
    assert Escalation.objects.filter(case=case, resolved_at__isnull=True).count() == 2
