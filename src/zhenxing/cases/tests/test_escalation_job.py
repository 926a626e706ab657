"""The periodic escalation job: overdue → the office, then the joint meeting's agenda."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from zhenxing.cases import services
from zhenxing.cases.models import CaseEvent, Escalation, EventKind, RequestKind
from zhenxing.cases.photos import validate_photos
from zhenxing.cases.tasks import ESCALATION_EVERY, escalate_overdue_cases
from zhenxing.core import periodic
from zhenxing.notify.models import Notification
from zhenxing.people.models import Department, Role, RoleAssignment, User

from .conftest import IN_A1, upload

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Monday morning, far from any public holiday.
MONDAY = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Run the job as the worker would: each escalation's notifications go out after commit."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return escalate_overdue_cases.call()

    return run


def dispatched(world, category, *, to, by=None):
    case = services.case_report(
        actor=world.inspector_a,
        category=category,
        source="inspection",
        description="待整改",
        lat=IN_A1[0],
        lng=IN_A1[1],
    )
    by = by or world.admin
    services.case_accept(case=case, actor=by)
    services.case_dispatch(case=case, actor=by, to=to)
    return case


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_the_job_runs_every_fifteen_minutes():
    job = {j.name: j for j in periodic.jobs()}["escalate_overdue_cases"]
    assert job.task is escalate_overdue_cases
    assert job.every == ESCALATION_EVERY == datetime.timedelta(minutes=15)


def test_overdue_goes_to_the_office_then_to_the_joint_meeting(world, cats, clock, run_job):
    # 水面漂浮物: 24 hours; sent to an area, so the category's department answers at level 2.
    case = dispatched(world, cats.floating, to=world.area_a1)
    assert case.deadline == MONDAY + 24 * HOUR

    clock.move_to(case.deadline - datetime.timedelta(minutes=1))
    assert run_job() == 0
    assert not Escalation.objects.exists()

    clock.move_to(case.deadline + HOUR)
    assert run_job() == 1
    first = Escalation.objects.get()
    assert (first.level, first.department, first.resolved_at) == (1, None, None)
    case.refresh_from_db()
    assert case.escalation_level == 1
    event = case.events.get(kind=EventKind.ESCALATED)
    assert event.actor is None and event.data["level"] == 1
    assert told("escalated_1") == {"office"}
    note = Notification.objects.get(kind="escalated_1")
    assert case.number in note.text and note.case == case

    # Running again in the same state raises nothing and tells nobody twice.
    assert run_job() == 0
    assert Escalation.objects.count() == 1
    assert Notification.objects.filter(kind="escalated_1").count() == 1

    clock.move_to(case.deadline + 72 * HOUR - datetime.timedelta(minutes=1))
    assert run_job() == 0

    clock.move_to(case.deadline + 72 * HOUR)
    assert run_job() == 1
    second = Escalation.objects.get(level=2)
    assert second.department == world.dept
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert told("escalated_2") == {"office", "dept"}
    assert world.dept.name in Notification.objects.filter(kind="escalated_2").first().text

    assert run_job() == 0
    assert Escalation.objects.count() == 2
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATED).count() == 2
    assert Notification.objects.filter(kind__startswith="escalated_").count() == 3


def test_level_two_names_the_assigned_department_before_the_categorys(world, cats, clock, run_job):
    roads = Department.objects.create(code="D02", name="建设办")
    roads_staff = User.objects.create_user(username="roads", password="x-x-x-x-x-1")
    RoleAssignment.objects.create(user=roads_staff, role=Role.DEPARTMENT_STAFF, department=roads)
    case = dispatched(world, cats.floating, to=roads)

    # A first run long after the deadline raises both levels at once.
    clock.move_to(case.deadline + 100 * HOUR)
    assert run_job() == 2
    assert Escalation.objects.get(level=2).department == roads
    assert told("escalated_2") == {"office", "roads"}
    # The handler department was told at level 2 only; the category's department not at all.
    assert told("escalated_1") == {"office"}
    assert not Notification.objects.filter(user=world.dept_staff).exists()


def test_the_meeting_threshold_follows_the_setting(world, cats, clock, run_job, settings):
    settings.ZHENXING_ESCALATE_TO_MEETING_AFTER_HOURS = 2
    case = dispatched(world, cats.floating, to=world.area_a1)
    clock.move_to(case.deadline + 3 * HOUR)
    assert run_job() == 2
    assert set(Escalation.objects.values_list("level", flat=True)) == {1, 2}


def test_an_extension_approved_before_the_deadline_stops_escalation(world, cats, clock, run_job):
    # 暴露垃圾: 2 working days, dispatched by the community to its area.
    case = dispatched(world, cats.garbage, to=world.area_a1, by=world.secretary_a)
    original = case.deadline
    request = services.case_request(
        case=case,
        actor=world.secretary_a,
        kind=RequestKind.EXTENSION,
        reason="雨天无法清运",
        until=original + 48 * HOUR,
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)

    clock.move_to(original + HOUR)
    assert run_job() == 0
    assert not Escalation.objects.exists()

    clock.move_to(original + 49 * HOUR)
    assert run_job() == 1
    assert Escalation.objects.get().level == 1


def test_closing_the_case_resolves_its_escalations(world, cats, clock, run_job, private_media):
    case = dispatched(world, cats.garbage, to=world.area_a1, by=world.secretary_a)
    clock.move_to(case.deadline + HOUR)
    assert run_job() == 1
    escalation = Escalation.objects.get()
    assert escalation.resolved_at is None

    services.case_rectify(
        case=case, actor=world.secretary_a, note="已清理", photos=validate_photos([upload()])
    )
    # Awaiting verification: the handler's clock has stopped, so nothing more is raised.
    clock.move_to(case.deadline + 100 * HOUR)
    assert run_job() == 0
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    escalation.refresh_from_db()
    assert escalation.resolved_at is not None
    case.refresh_from_db()
    assert case.closed_on_time is False
    assert run_job() == 0
    assert Escalation.objects.count() == 1
