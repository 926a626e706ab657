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
from django.db.models import F
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
from zhenxing.demo import cases as demo_cases
from zhenxing.demo.cases import CASES_PER_COPY, SHARED_PHOTO_PREFIX
from zhenxing.demo.guicheng import load_guicheng
from zhenxing.people.models import Department, User, WorkTeam
from zhenxing.people.scopes import ALL, scope_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_path

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


def _resolved_at(events: list[dict], since: datetime.datetime) -> datetime.datetime | None:
    """As the services resolve an escalation: at the first approved send-back or deferral, or
    at the closure, after it was raised."""
    for e in events:
        if e["at"] < since:
            continue
        if e["kind"] == EventKind.REQUEST_APPROVED and e["data"]["request"] in (
            RequestKind.SEND_BACK,
            RequestKind.DEFERRAL,
        ):
            return e["at"]
        if e["kind"] == EventKind.VERIFIED:
            return e["at"]
    return None


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
            # On time: rectified by the deadline in force, and never escalated.
            assert case.closed_on_time == (
                case.rectified_at <= case.deadline and case.escalation_level == 0
            ), case.number
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
            assert e["resolved_at"] == _resolved_at(events, e["created_at"]), case.number


def test_extension_and_deferral_are_asked_for_before_the_deadline(demo, db, events_by_case):
    """Replays each case's deadline from its events (stored in UTC, as the services store them)."""
    categories = {c.pk: c for c in Category.objects.all()}
    asked = 0
    for case in Case.objects.all():
        deadline: datetime.datetime | None = None
        until: datetime.datetime | None = None
        for e in events_by_case[case.pk]:
            moments = {
                key: datetime.datetime.fromisoformat(e["data"][key])
                for key in ("deadline", "until")
                if key in e["data"]
            }
            for moment in moments.values():
                assert moment.utcoffset() == datetime.timedelta(0), (case.number, e["data"])
            if e["kind"] == EventKind.DISPATCHED:
                deadline = moments["deadline"]
            elif e["kind"] in (EventKind.EXTENSION_REQUESTED, EventKind.DEFERRAL_REQUESTED):
                # Once overdue, the handler rectifies or asks to send the case back.
                assert deadline is not None and e["at"] < deadline, case.number
                until = moments.get("until")
                asked += 1
            elif e["kind"] == EventKind.REQUEST_APPROVED:
                if e["data"]["request"] == RequestKind.SEND_BACK:
                    deadline = None
                elif e["data"]["request"] == RequestKind.EXTENSION:
                    deadline = until
            elif e["kind"] == EventKind.RESUMED:
                deadline = workdays.deadline_for(categories[case.category_id], e["at"])
        assert deadline == case.deadline, case.number
    assert asked > 80


def test_resident_details_only_on_resident_reports(demo, db):
    cases = Case.objects.all()
    others = cases.exclude(source=Source.RESIDENT)
    assert others.count() > 2000
    assert not others.exclude(reporter_name="").exists()
    assert not others.exclude(reporter_mobile="").exists()
    residents = cases.filter(source=Source.RESIDENT)
    assert residents.count() > 200
    assert not residents.filter(reporter_name="").exists()
    assert not residents.filter(reporter_mobile="").exists()


def test_escalations_end_with_an_approved_send_back_or_deferral(demo, db):
    """Each escalation's resolution is checked in the history test; here, the demo shows them."""
    approvals = CaseEvent.objects.filter(
        kind=EventKind.REQUEST_APPROVED,
        data__request__in=[RequestKind.SEND_BACK, RequestKind.DEFERRAL],
    )
    resolved_by_approval = [
        x
        for x in Escalation.objects.exclude(resolved_at=None)
        if approvals.filter(case_id=x.case_id, at=x.resolved_at).exists()
    ]
    assert resolved_by_approval
    # The level stays as the record that the case was late.
    for escalation in resolved_by_approval:
        assert escalation.case.escalation_level >= escalation.level
    # A case escalated once and rectified in time after all is not "closed on time".
    late_then_fixed = Case.objects.filter(
        status=Status.CLOSED, escalation_level__gt=0, rectified_at__lte=F("deadline")
    )
    assert late_then_fixed.exists()
    assert not late_then_fixed.filter(closed_on_time=True).exists()


def _relapse_plans() -> list:
    """Two closures on either side of a community line and two new reports beside them."""
    from zhenxing.demo.cases import AreaInfo, CasePlan, CategoryInfo, Story, _Base

    category = CategoryInfo(
        pk=1, code="HJ01", time_limit=24, unit="hours", handler="community",
        department_pk=None, after_photo=True, radius_m=50, relapse_days=30, weight=1,
        descriptions=(), fixes=(),
    )  # fmt: skip

    def area(community: int) -> AreaInfo:
        return AreaInfo(
            pk=community * 10, code=f"A{community}", path=f"GC/C{community}/K/A{community}/",
            name="", community_pk=community, community_name="", geometry=None, prepared=None,
            bounds=(0, 0, 0, 0),
        )  # fmt: skip

    def plan(community: int, lng: float, *, closed_days_ago: float | None) -> CasePlan:
        base = _Base(
            category=category, area=area(community), source=Source.INSPECTION,
            description="", address="", lat=23.0, lng=lng, reporter=None, reporter_name="",
            reporter_mobile="", before_photos=1,
        )  # fmt: skip
        if closed_days_ago is None:
            return CasePlan(base=base, story=Story(Status.REPORTED), reported_at=NOW)
        closed = NOW - datetime.timedelta(days=closed_days_ago)
        return CasePlan(
            base=base, story=Story(Status.CLOSED), status=Status.CLOSED,
            reported_at=closed - datetime.timedelta(days=2), closed_at=closed,
        )  # fmt: skip

    # 0.0001° of longitude is about 10 m here: all four lie within 50 m of each other.
    return [
        plan(1, 113.1000, closed_days_ago=5),
        plan(2, 113.1001, closed_days_ago=3),  # the later closure, but over the line
        plan(1, 113.1002, closed_days_ago=None),
        plan(2, 113.1003, closed_days_ago=None),
    ]


def test_relapses_stay_within_their_community():
    from zhenxing.demo.cases import _link_relapses

    plans = _relapse_plans()
    _link_relapses(plans)
    assert plans[2].relapse_of == 0  # not 1: that closure is the other community's work
    assert plans[3].relapse_of == 1


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
    assert Escalation.objects.exclude(resolved_at=None).exclude(case__status=Status.CLOSED).exists()
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
        assert community_path(case.region_path) == community_path(origin.region_path)
        assert events_by_case[case.pk][0]["data"] == {"relapse_of": origin.number}
    # The services' own rule agrees, for relapses and for a sample of the rest.
    sample = list(relapses) + list(
        Case.objects.filter(relapse_of=None).select_related("category")[::10]
    )
    for case in sample:
        found = relapse_origin(
            category=case.category,
            lat=case.lat,
            lng=case.lng,
            region_path=case.region_path,
            at=case.reported_at,
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


def test_every_report_has_a_before_photo_and_every_rectification_its_after_photo(demo, db):
    before = Counter(CasePhoto.objects.filter(kind="before").values_list("event_id", flat=True))
    reports = CaseEvent.objects.filter(kind=EventKind.REPORTED)
    assert reports.count() == 3000
    for event_id in reports.values_list("pk", flat=True):
        assert before[event_id] >= 1
    # Mostly one, now and then two or three.
    per_report = Counter(before.values())
    assert set(per_report) == {1, 2, 3} and per_report[1] > per_report[2] > per_report[3]
    assert not Case.objects.exclude(photos__kind="before").exists()

    after = Counter(CasePhoto.objects.filter(kind="after").values_list("event_id", flat=True))
    rectifications = CaseEvent.objects.filter(
        kind=EventKind.RECTIFIED, case__category__after_photo_required=True
    )
    assert rectifications.count() > 1500
    for event_id in rectifications.values_list("pk", flat=True):
        assert after[event_id] >= 1
    needing = Case.objects.filter(
        category__after_photo_required=True, status__in=[Status.RECTIFIED, Status.CLOSED]
    )
    assert needing.count() > 1500
    assert not needing.exclude(photos__kind="after").exists()
    # Categories that do not ask for one have some all the same.
    optional = CasePhoto.objects.filter(kind="after", case__category__after_photo_required=False)
    assert optional.exists()


def _share(image: Image.Image, test) -> float:
    """The share of the lower third's pixels (the ground) for which test(r, g, b) holds."""
    width, height = image.size
    ground = image.convert("RGB").crop((0, height * 2 // 3, width, height))
    data = ground.tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    return sum(1 for p in pixels if test(*p)) / len(pixels)


def _brown(r: int, g: int, b: int) -> bool:
    return 60 <= r <= 190 and r - g >= 20 and g - b >= 15


def _green(r: int, g: int, b: int) -> bool:
    return g - r >= 30 and g - b >= 30


def test_photos_are_stored_ready_to_serve(demo, db):
    photos = CasePhoto.objects.select_related("event")
    assert photos.filter(kind="before").count() > 3000
    assert photos.filter(kind="after").count() > 1500
    tokens = list(photos.values_list("token", flat=True))
    assert len(set(tokens)) == len(tokens)  # each row its own address
    keys = set()
    for photo in photos:
        assert photo.ready
        expected = EventKind.REPORTED if photo.kind == "before" else EventKind.RECTIFIED
        assert photo.event.kind == expected and photo.event.case_id == photo.case_id
        keys.add((photo.original, photo.display, photo.thumbnail, photo.size, photo.sha256))
    # A few dozen shared files serve them all.
    assert len(keys) == 2 * demo_cases.PHOTO_VARIANTS
    total = 0
    for original_key, display_key, thumbnail_key, size, sha256 in keys:
        for key in (original_key, display_key, thumbnail_key):
            assert key.startswith(SHARED_PHOTO_PREFIX)
        with private_storage.open(original_key) as handle:
            original = handle.read()
        assert len(original) == size and hashlib.sha256(original).hexdigest() == sha256
        with private_storage.open(thumbnail_key) as handle:
            thumb = Image.open(io.BytesIO(handle.read()))
        assert max(thumb.size) <= 320 and not thumb.getexif()
        with private_storage.open(display_key) as handle:
            display = Image.open(io.BytesIO(handle.read()))
        assert display.size == (480, 360) and not display.getexif()
        total += size + private_storage.size(display_key) + private_storage.size(thumbnail_key)
    assert total < 2 * 1024 * 1024


def test_before_and_after_pictures_look_different(demo, db):
    """Before: a brown heap on grey ground; after: the ground clean, with a green strip."""
    for kind, variant in ((k, v) for k in ("before", "after") for v in range(12)):
        photo = CasePhoto.objects.filter(kind=kind, original__contains=f"{kind}-{variant:02d}/")
        with private_storage.open(photo.first().original) as handle:
            image = Image.open(io.BytesIO(handle.read()))
        brown, green = _share(image, _brown), _share(image, _green)
        if kind == "before":
            assert brown > 0.10 and green < 0.01, (variant, brown, green)
        else:
            assert green > 0.10 and brown < 0.01, (variant, brown, green)


def test_a_second_load_adds_nothing(demo, db):
    tables = [Case, CaseEvent, CasePhoto, CaseRequest, Escalation, Category, Holiday, AuditEntry]
    before = {m.__name__: m.objects.count() for m in tables}
    assert AuditEntry.objects.filter(action="demo.load").count() == 1
    entry = AuditEntry.objects.get(action="demo.load")
    assert entry.changes["created"]["cases"] == 3000
    assert entry.changes["created"]["holidays"] == len(case_data.HOLIDAYS)
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        load_guicheng(password="demo-pass-1")
    # Started days later, the demo's open voting meeting moves to that day (so its
    # one-time codes work), with its audit row; nothing else changes.
    moved = AuditEntry.objects.filter(action="demo.open_session.today")
    assert moved.count() == 1
    after = {m.__name__: m.objects.count() for m in tables}
    after["AuditEntry"] -= 1
    assert after == before


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
    # A copy's cases show photos too, the demo's shared pictures (no files of their own).
    assert not copy.exclude(photos__kind="before").exists()
    copy_photos = CasePhoto.objects.filter(case__in=copy)
    assert not copy_photos.exclude(original__startswith=SHARED_PHOTO_PREFIX).exists()
    assert not copy.exclude(source=Source.RESIDENT).exclude(reporter_name="").exists()

    shared = sorted(
        {key for row in copy_photos.values_list("original", "thumbnail") for key in row}
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        seed_demo(scale=1, reset=True, password="demo-pass-1")
    assert not Case.objects.filter(region_path__startswith="ZS").exists()
    assert Case.objects.count() == 3000  # the demo's own cases stay
    # Their pictures stay too: the reset deleted no shared file.
    assert all(private_storage.exists(key) for key in shared)


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
