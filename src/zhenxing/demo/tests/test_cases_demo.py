"""The demo's cases: categories, holiday calendar, and ~3,000 cases whose histories hold together.

The full demo is loaded once for this module (inside a transaction rolled
back at the end), at a fixed moment shortly after the 2026 National Day
holiday, so that deadlines across the holiday can be checked.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone
from django.utils.functional import empty
from PIL import Image
from shapely.geometry import Point, shape

from zhenxing.cases import permissions, workdays
from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Category,
    Escalation,
    EventKind,
    Holiday,
    RequestKind,
    RequestStatus,
    Source,
    Status,
    TimeLimitUnit,
)
from zhenxing.cases.photos import private_storage
from zhenxing.cases.selectors import distance_m, relapse_origin
from zhenxing.core.models import AuditEntry
from zhenxing.demo import case_data
from zhenxing.demo.cases import CASES_PER_COPY
from zhenxing.demo.guicheng import load_guicheng
from zhenxing.people.models import Department, User, WorkTeam
from zhenxing.people.scopes import ALL, scope_paths
from zhenxing.territory.models import Region

NOW = datetime.datetime(2026, 10, 20, 10, 30, tzinfo=datetime.UTC)
MEETING_AFTER = datetime.timedelta(hours=72)

_UNVERSIONED = {EventKind.REPORTED, EventKind.REPORT_ADDED, EventKind.ESCALATED}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Guicheng demo with its cases, photo files included, loaded once for the module."""
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(
            ZHENXING_PRIVATE_MEDIA_ROOT=private,
            # As the root conftest sets for each test, so a later load finds the same hash.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        private_storage._wrapped = empty  # follow the overridden setting
        try:
            # The photo files are written after commit; run those callbacks here.
            with (
                time_machine.travel(NOW, tick=False),
                TestCase.captureOnCommitCallbacks(execute=True),
            ):
                summary = load_guicheng(password="demo-pass-1")
            yield SimpleNamespace(summary=summary, private=private)
        finally:
            transaction.set_rollback(True)
            private_storage._wrapped = empty


@pytest.fixture
def events_by_case(demo, db):
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in CaseEvent.objects.order_by("at", "pk").values():
        grouped[row["case_id"]].append(row)
    return grouped


def test_categories_are_a_two_level_tree_with_limits(demo, db):
    mains = Category.objects.filter(parent=None)
    assert {c.name for c in mains} == {m.name for m in case_data.CATEGORIES}
    subs = Category.objects.exclude(parent=None).select_related("parent", "default_department")
    assert subs.count() == sum(len(m.subs) for m in case_data.CATEGORIES) >= 25
    for sub in subs:
        assert sub.time_limit > 0
        assert 30 <= sub.duplicate_radius_m <= 100
        assert sub.relapse_days == 30
        # Every category names the department that answers for it at the joint meeting.
        assert sub.default_department is not None
    garbage = subs.get(parent__name="环境卫生", name="暴露垃圾")
    assert (garbage.time_limit, garbage.time_limit_unit) == (24, TimeLimitUnit.HOURS)
    assert garbage.default_handler == "community" and garbage.after_photo_required
    building = subs.get(parent__name="违法建设", name="违章搭建")
    assert building.time_limit_unit == TimeLimitUnit.WORKING_DAYS
    assert 5 <= building.time_limit <= 10
    assert building.default_handler == "department"
    assert building.default_department.name == "城市管理和综合执法办公室"
    river = subs.get(parent__name="河涌", name="水面漂浮物")
    assert river.default_handler == "department"
    assert "水利" in river.default_department.name
    for name in ("三线", "违法建设", "河涌"):
        assert not subs.filter(parent__name=name, default_handler="community").exists()


def test_the_holiday_calendar_holds_2025_and_2026(demo, db):
    assert Holiday.objects.count() == len(case_data.HOLIDAYS)
    days = dict(Holiday.objects.values_list("date", "is_workday"))
    rest = [
        "2025-01-01",
        "2025-01-28",
        "2025-02-04",
        "2025-05-05",
        "2025-10-08",
        "2026-01-02",
        "2026-02-16",
        "2026-02-23",
        "2026-04-06",
        "2026-05-04",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-07",
    ]
    work = [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    for day in rest:
        assert days[datetime.date.fromisoformat(day)] is False, day
    for day in work:
        date = datetime.date.fromisoformat(day)
        assert days[date] is True and date.weekday() >= 5, day
    assert workdays.is_working_day(datetime.date(2026, 10, 10))
    assert not workdays.is_working_day(datetime.date(2026, 10, 5))


def test_thousands_of_cases_in_every_status_source_and_area(demo, db):
    cases = Case.objects.all()
    assert cases.count() == CASES_PER_COPY == 3000
    assert demo.summary.counts["案件"] == 3000
    assert set(cases.values_list("status", flat=True)) == set(Status.values)
    statuses = Counter(cases.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > 2000  # most are closed
    for status in Status.values:
        assert statuses[status] >= 5, status
    sources = Counter(cases.values_list("source", flat=True))
    assert set(sources) == set(Source.values)
    assert sources.most_common(1)[0][0] == Source.INSPECTION
    used = set(cases.values_list("category_id", flat=True))
    assert used == set(Category.objects.exclude(parent=None).values_list("pk", flat=True))
    areas = Region.objects.filter(path__startswith="GC/", depth=4)
    assert set(cases.values_list("region_id", flat=True)) == set(areas.values_list("pk", flat=True))

    earliest = NOW - datetime.timedelta(days=150)
    rows = list(cases.order_by("reported_at", "pk").values("number", "reported_at", "pk"))
    assert earliest < rows[0]["reported_at"] and rows[-1]["reported_at"] < NOW
    numbers = [r["number"] for r in rows]
    assert numbers == sorted(numbers)  # increasing with the report date
    assert len(set(numbers)) == len(numbers)
    for r in rows:
        local = timezone.localtime(r["reported_at"])
        assert re.fullmatch(r"\d{14}", r["number"])
        assert r["number"] == f"{local:%Y%m%d}{r['pk']:06d}"  # as the services number them

    on_time = Counter(cases.filter(status=Status.CLOSED).values_list("closed_on_time", flat=True))
    assert on_time[True] > on_time[False] > 100  # most on time, some late
    assert cases.filter(status=Status.CLOSED, rework_count__gt=0).count() > 50


def test_every_case_lies_in_its_area(demo, db):
    areas = {
        r.pk: (shape(r.geometry), r.path)
        for r in Region.objects.filter(path__startswith="GC/", depth=4)
    }
    for case in Case.objects.values("lat", "lng", "region_id", "region_path"):
        polygon, path = areas[case["region_id"]]
        assert case["region_path"] == path
        assert polygon.contains(Point(case["lng"], case["lat"]))


def test_histories_are_consistent_with_the_cases(demo, db, events_by_case):
    requests = defaultdict(list)
    for r in CaseRequest.objects.values():
        requests[r["case_id"]].append(r)
    escalations = defaultdict(list)
    for e in Escalation.objects.values():
        escalations[e["case_id"]].append(e)

    for case in Case.objects.select_related("category").iterator():
        events = events_by_case[case.pk]
        assert events[0]["kind"] == EventKind.REPORTED
        assert events[0]["at"] == case.reported_at
        assert all(a["at"] <= b["at"] for a, b in zip(events, events[1:], strict=False))
        assert events[-1]["at"] < NOW
        steps = [e for e in events if e["kind"] not in _UNVERSIONED]
        kinds = Counter(e["kind"] for e in events)
        # The chain of statuses runs without a gap and ends at the case's status.
        status = Status.REPORTED
        for e in steps:
            assert e["from_status"] == status, (case.number, e["kind"])
            status = e["to_status"]
        assert status == case.status, case.number
        assert case.version == 1 + len(steps)
        assert case.rework_count == kinds[EventKind.VERIFY_FAILED]
        assert case.report_count == 1 + kinds[EventKind.REPORT_ADDED]
        assert (case.status == Status.CLOSED) == (kinds[EventKind.VERIFIED] == 1)
        if case.status == Status.CLOSED:
            assert case.closed_at == steps[-1]["at"]
            assert case.rectified_at is not None and case.rectified_at <= case.closed_at
            assert case.closed_on_time == (case.rectified_at <= case.deadline)
        if case.status == Status.REJECTED:
            assert steps[-1]["kind"] == EventKind.REJECTED and steps[-1]["note"]
            assert case.closed_at == steps[-1]["at"]
        for e in events:
            if e["kind"] == EventKind.DISPATCHED:
                assert {"to", "to_kind", "to_id", "deadline"} <= set(e["data"])
            if e["kind"] == EventKind.VERIFY_FAILED:
                assert e["note"]  # the reason the handler must put right
        # Exactly one assignee, and a deadline, while the handler's clock runs.
        assignees = [case.assigned_region_id, case.assigned_team_id, case.assigned_department_id]
        if case.status in CLOCK_STATES:
            assert sum(a is not None for a in assignees) == 1 and case.deadline is not None
        if case.status in (Status.REPORTED, Status.ACCEPTED):
            assert assignees == [None, None, None] and case.deadline is None
        # Requests: one per request event; at most one pending, and only on the clock.
        asked = sum(kinds[k] for k in kinds if k.endswith("_requested"))
        assert len(requests[case.pk]) == asked
        pending = [r for r in requests[case.pk] if r["status"] == RequestStatus.PENDING]
        assert len(pending) <= 1
        if pending:
            assert case.status in CLOCK_STATES
        if case.status == Status.DEFERRED:
            assert any(
                r["kind"] == RequestKind.DEFERRAL and r["status"] == RequestStatus.APPROVED
                for r in requests[case.pk]
            )
        # Escalations: one row and one event per level reached.
        levels = sorted(e["level"] for e in escalations[case.pk])
        assert levels == list(range(1, case.escalation_level + 1))
        assert kinds[EventKind.ESCALATED] == case.escalation_level
        for e in escalations[case.pk]:
            assert (e["department_id"] is not None) == (e["level"] == 2)
            assert (e["resolved_at"] is not None) == (case.status == Status.CLOSED)


def test_every_path_of_the_loop_is_shown(demo, db):
    requests = CaseRequest.objects.all()
    for kind in RequestKind.values:
        assert requests.filter(kind=kind, status=RequestStatus.PENDING).exists(), kind
    for status in (RequestStatus.APPROVED, RequestStatus.DENIED, RequestStatus.WITHDRAWN):
        assert requests.filter(status=status).exists(), status
    events = CaseEvent.objects.all()
    for kind in EventKind.values:
        if kind != EventKind.NOTE:
            assert events.filter(kind=kind).exists(), kind
    overdue = Case.objects.overdue(NOW)
    assert overdue.count() >= 40
    assert Case.objects.due_within(24, NOW).exists()
    assert Escalation.objects.filter(level=1).count() > Escalation.objects.filter(level=2).count()
    assert Escalation.objects.filter(level=2, resolved_at=None).exists()  # on today's agenda
    # The job has seen every case overdue for a while (updated_at: its last step).
    hour_ago = NOW - datetime.timedelta(hours=1)
    for case in overdue.filter(deadline__lt=hour_ago, updated_at__lt=hour_ago):
        assert case.escalation_level >= 1, case.number
    assert Case.objects.filter(assigned_team__isnull=False).exists()
    assert Case.objects.filter(assigned_region__depth=2).exists()
    assert Case.objects.filter(assigned_region__depth=4).exists()


def test_the_escalation_job_finds_the_demo_up_to_date(demo, db):
    """The replayed escalations are what the job would have done: it finds almost nothing."""
    from zhenxing.cases.services import escalate_overdue

    raised = escalate_overdue(now=NOW, meeting_after=MEETING_AFTER)
    # Only what became due since the job's last run (it runs every quarter hour).
    for escalation in raised:
        deadline = escalation.case.deadline
        threshold = deadline if escalation.level == 1 else deadline + MEETING_AFTER
        assert NOW - threshold <= datetime.timedelta(minutes=15), escalation.case.number


def test_deadlines_follow_the_working_calendar(demo, db, events_by_case):
    categories = {c.pk: c for c in Category.objects.all()}
    cases = {c.pk: c for c in Case.objects.all()}
    across_holiday = 0
    checked = 0
    for case_id, events in events_by_case.items():
        category = categories[cases[case_id].category_id]
        for e in events:
            if e["kind"] != EventKind.DISPATCHED:
                continue
            at = e["at"]
            if not datetime.datetime(2026, 9, 15, tzinfo=datetime.UTC) <= at <= NOW:
                continue  # the weeks around the holidays: enough, and fewer queries
            deadline = datetime.datetime.fromisoformat(e["data"]["deadline"])
            assert deadline == workdays.deadline_for(category, at), cases[case_id].number
            checked += 1
            if (
                category.time_limit_unit == TimeLimitUnit.WORKING_DAYS
                and category.time_limit <= 3
                and deadline - at > datetime.timedelta(days=7)
            ):
                across_holiday += 1
    assert checked > 200
    assert across_holiday > 0  # some 2-3 working-day limits ran over the National Day week


def test_relapses_link_to_the_case_closed_there_before(demo, db, events_by_case):
    relapses = Case.objects.exclude(relapse_of=None).select_related("relapse_of", "category")
    assert relapses.count() >= 20
    for case in relapses:
        origin = case.relapse_of
        assert origin.status == Status.CLOSED and origin.category_id == case.category_id
        assert origin.closed_at <= case.reported_at
        assert case.reported_at - origin.closed_at <= datetime.timedelta(
            days=case.category.relapse_days
        )
        distance = distance_m(case.lat, case.lng, origin.lat, origin.lng)
        assert distance <= case.category.duplicate_radius_m
        assert events_by_case[case.pk][0]["data"] == {"relapse_of": origin.number}
    # The services' own rule agrees, for relapses and for a sample of the rest.
    sample = list(relapses) + list(
        Case.objects.filter(relapse_of=None).select_related("category")[::10]
    )
    for case in sample:
        found = relapse_origin(
            category=case.category, lat=case.lat, lng=case.lng, at=case.reported_at
        )
        assert (found.pk if found else None) == case.relapse_of_id, case.number


def test_the_steps_were_taken_by_people_allowed_to(demo, db, events_by_case):
    users = {u.pk: u for u in User.objects.all()}
    departments = {d.pk: d for d in Department.objects.all()}
    teams = {t.pk: t for t in WorkTeam.objects.select_related("region")}
    regions = {r.pk: r for r in Region.objects.filter(path__startswith="GC/", depth__lte=4)}
    cases = Case.objects.select_related(
        "category", "region", "assigned_region", "assigned_team__region", "assigned_department"
    )
    for case in cases.filter(status=Status.CLOSED)[::7]:
        reporter = users.get(case.reporter_id)
        if reporter is not None:
            assert case.source in permissions.sources_for(reporter), case.number
            assert permissions.can_report_at(reporter, case.region)
        for e in events_by_case[case.pk]:
            actor = users.get(e["actor_id"])
            if actor is None:
                continue
            if e["kind"] == EventKind.RECTIFIED:
                assert permissions.is_handler(actor, case), case.number
            elif e["kind"] == EventKind.VERIFIED:
                assert permissions.can_verify(actor, case), case.number
            elif e["kind"] == EventKind.DISPATCHED:
                kind, pk = e["data"]["to_kind"], e["data"]["to_id"]
                target = {"department": departments, "team": teams, "region": regions}[kind][pk]
                assert permissions.can_dispatch_to(actor, case, target), case.number
            elif e["kind"] in (EventKind.REQUEST_APPROVED, EventKind.REQUEST_DENIED):
                assert permissions.can_decide_requests(actor, case)


def test_personas_see_the_cases_of_their_scope(demo, db):
    secretary = User.objects.get(username="secretary")
    mine = permissions.cases_visible_to(secretary)
    assert mine.count() > 100
    assert not mine.exclude(region_path__startswith="GC/GC01/").exists()
    assert mine.filter(permissions.queue_filter(secretary)).exists()  # work waits for them
    other = permissions.cases_visible_to(User.objects.get(username="secretary2"))
    assert other.exists() and not other.filter(pk__in=mine.values("pk")).exists()
    party = User.objects.get(username="party")
    assert Case.objects.filter(reporter=party, source=Source.PARTY_PATROL).exists()
    assert scope_paths(User.objects.get(username="dept")) is ALL
    dept = User.objects.get(username="dept")
    assert Case.objects.filter(permissions.queue_filter(dept)).exists()
    leader = User.objects.get(username="leader")
    assert Case.objects.filter(assigned_team__leader=leader).exists()
    inspector = User.objects.get(username="inspector")
    assert permissions.cases_visible_to(inspector).filter(status=Status.RECTIFIED).exists()


def test_photos_are_stored_ready_to_serve(demo, db):
    photos = CasePhoto.objects.select_related("event")
    assert photos.filter(kind="before").count() > 500
    assert photos.filter(kind="after").count() > 500
    total = 0
    for photo in photos:
        assert photo.ready
        expected = EventKind.REPORTED if photo.kind == "before" else EventKind.RECTIFIED
        assert photo.event.kind == expected and photo.event.case_id == photo.case_id
        with private_storage.open(photo.original) as handle:
            original = handle.read()
        assert len(original) == photo.size
        assert hashlib.sha256(original).hexdigest() == photo.sha256
        total += photo.size + private_storage.size(photo.display)
        total += private_storage.size(photo.thumbnail)
    assert total < 50 * 1024 * 1024
    sample = photos.first()
    with private_storage.open(sample.thumbnail) as handle:
        thumb = Image.open(io.BytesIO(handle.read()))
    assert max(thumb.size) <= 320 and not thumb.getexif()
    with private_storage.open(sample.display) as handle:
        display = Image.open(io.BytesIO(handle.read()))
    assert display.size == (sample.width, sample.height) and not display.getexif()


def test_a_second_load_adds_nothing(demo, db):
    tables = [Case, CaseEvent, CasePhoto, CaseRequest, Escalation, Category, Holiday, AuditEntry]
    before = {m.__name__: m.objects.count() for m in tables}
    assert AuditEntry.objects.filter(action="demo.load").count() == 1
    entry = AuditEntry.objects.get(action="demo.load")
    assert entry.changes["created"]["cases"] == 3000
    assert entry.changes["created"]["holidays"] == len(case_data.HOLIDAYS)
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        load_guicheng(password="demo-pass-1")
    assert {m.__name__: m.objects.count() for m in tables} == before


def test_seeded_copies_get_cases_and_lose_them_on_reset(demo, db):
    from zhenxing.demo import cases as demo_cases
    from zhenxing.demo.seed import seed_demo

    # This module's conftest makes scaled copies small (CASES_PER_COPY is patched).
    result = seed_demo(scale=2, password="demo-pass-1")
    copy = Case.objects.filter(region_path__startswith="ZS002/")
    assert result.created["cases"] == copy.count() == demo_cases.CASES_PER_COPY
    assert len(set(copy.values_list("status", flat=True))) >= 6
    areas = {r.pk: shape(r.geometry) for r in Region.objects.filter(path__startswith="ZS002/")}
    for case in copy:
        assert areas[case.region_id].contains(Point(case.lng, case.lat))
    assert Case.objects.values("number").distinct().count() == Case.objects.count()
    assert not CasePhoto.objects.filter(case__in=copy).exists()

    seed_demo(scale=1, reset=True, password="demo-pass-1")
    assert not Case.objects.filter(region_path__startswith="ZS").exists()
    assert Case.objects.count() == 3000  # the demo's own cases stay


def test_the_services_carry_on_after_the_demo(demo, db):
    """Keys were given explicitly: the next case a service files must not collide."""
    from zhenxing.cases.services import case_accept, case_report

    area = Region.objects.filter(path__startswith="GC/GC01/", depth=4).first()
    top = Case.objects.order_by("-pk").first()
    case = case_report(
        actor=None,
        category=Category.objects.get(code="HJ01"),
        source=Source.RESIDENT,
        description="演示之后的新案件",
        lat=area.centroid_lat,
        lng=area.centroid_lng,
    )
    assert case.pk > top.pk
    case_accept(case=case, actor=User.objects.get(username="admin"))
    assert CaseEvent.objects.filter(case=case).count() == 2
