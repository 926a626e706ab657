"""`seed-demo`'s history (`demo.history`): valid rows, kept apart from the demo's own, reset."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F, Min
from django.utils import timezone

from zhenxing.assessment.models import PeriodKind
from zhenxing.assessment.periods import span
from zhenxing.cases.models import (
    CLOCK_STATES,
    OPEN_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Escalation,
    EventKind,
    Source,
    Status,
)
from zhenxing.demo import history
from zhenxing.demo.cases import SHARED_PHOTO_PREFIX
from zhenxing.demo.seed import SeedError, seed_demo
from zhenxing.inspections.models import (
    AreaTypeMembership,
    Finding,
    Inspection,
    InspectionRound,
    InspectionStatus,
)
from zhenxing.inspections.selectors import draw_from, eligible_areas
from zhenxing.territory.models import Region

NOW = datetime.datetime(2026, 3, 18, 15, 30, tzinfo=datetime.UTC)
TABLES = (
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Escalation,
    InspectionRound,
    Inspection,
    Finding,
    Region,
    AreaTypeMembership,
)
_UNVERSIONED = {EventKind.REPORTED, EventKind.REPORT_ADDED, EventKind.ESCALATED, EventKind.NOTE}


@pytest.fixture(autouse=True)
def _small_history(monkeypatch):
    """A few hundred cases a year and three areas a day, over the full three years."""
    monkeypatch.setattr(history, "CASES_PER_YEAR", 150)
    monkeypatch.setattr(history, "AREAS_PER_ROUND", 3)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def _history_cases():
    return Case.objects.filter(
        pk__in=CaseEvent.objects.filter(
            kind=EventKind.REPORTED, data__generated=history.HISTORY_MARK
        ).values("case_id")
    )


def _check_cases(cases) -> None:
    events = defaultdict(list)
    for e in CaseEvent.objects.filter(case__in=cases).order_by("at", "pk"):
        events[e.case_id].append(e)
    for case in cases:
        steps = events[case.pk]
        assert steps[0].kind == EventKind.REPORTED and steps[0].at == case.reported_at
        status, version = None, 1
        for e in steps:
            if e.kind not in _UNVERSIONED:
                version += 1
            if e.kind == EventKind.ESCALATED:
                assert e.from_status == e.to_status == ""
                continue
            if e.kind != EventKind.REPORTED:
                assert e.from_status == status, (case.number, e.kind)
            status = e.to_status
        # The events replay to the case's status and version.
        assert status == case.status, case.number
        assert version == case.version
        ats = [e.at for e in steps]
        assert ats == sorted(ats)
        assert case.updated_at == ats[-1]
        moments = [
            t
            for t in (case.reported_at, case.accepted_at, case.dispatched_at, case.rectified_at)
            if t is not None
        ]
        assert moments == sorted(moments)
        if case.closed_at is not None:
            assert case.status in (Status.CLOSED, Status.REJECTED)
            assert case.closed_at >= moments[-1]
        else:
            assert case.status in OPEN_STATES
        if case.status == Status.CLOSED:
            assert case.closed_on_time == (
                case.escalation_level == 0 and case.rectified_at <= case.deadline
            )
        else:
            assert case.closed_on_time is None
        if case.status in CLOCK_STATES:
            # Long overdue: escalated to the joint meeting, unresolved.
            assert case.deadline < NOW and case.escalation_level == 2
        assignees = [
            case.assigned_region_id,
            case.assigned_team_id,
            case.assigned_department_id,
        ]
        dispatched = case.dispatched_at is not None
        assert sum(a is not None for a in assignees) == (1 if dispatched else 0)
        assert (case.deadline is not None) == dispatched
        escalations = {x.level: x for x in case.escalations.all()}
        assert sorted(escalations) == list(range(1, case.escalation_level + 1))
        assert sum(e.kind == EventKind.ESCALATED for e in steps) == case.escalation_level
        for x in escalations.values():
            assert x.created_at >= case.deadline
            assert x.resolved_at == (case.closed_at if case.status == Status.CLOSED else None)
        if case.status == Status.DEFERRED:
            request = case.requests.get()
            assert request.status == "approved" and request.decided_at < NOW


@pytest.mark.django_db(transaction=False)
def test_history_rows_are_valid_and_apart_from_the_demo(frozen):
    from zhenxing.demo.guicheng import load_guicheng

    load_guicheng(password="demo-pass-1")
    demo_first_case = Case.objects.aggregate(first=Min("reported_at"))["first"]
    demo_first_round = InspectionRound.objects.aggregate(first=Min("date"))["first"]
    demo_ids = set(Case.objects.values_list("pk", flat=True))
    before = _counts()

    result = seed_demo(scale=2, password="demo-pass-1", history=True)
    assert result.created["history cases"] == 2 * 150 * history.HISTORY_YEARS
    assert (
        result.created["inspections"]
        == Inspection.objects.filter(
            round__draw_seed__startswith=history.HISTORY_SEED_PREFIX
        ).count()
        + Inspection.objects.filter(area_path__startswith="ZS002/")
        .exclude(round__draw_seed__startswith=history.HISTORY_SEED_PREFIX)
        .count()
    )

    made = _history_cases()
    assert made.count() == 2 * 150 * history.HISTORY_YEARS
    # The demo's rows are the same rows; its history lies before its own window.
    assert demo_ids <= set(Case.objects.values_list("pk", flat=True))
    assert not made.filter(pk__in=demo_ids).exists()
    gc_history = made.filter(region_path__startswith="GC/")
    assert gc_history.count() == 150 * history.HISTORY_YEARS
    assert gc_history.filter(reported_at__lt=demo_first_case).count() == gc_history.count()
    first = timezone.localtime(gc_history.aggregate(first=Min("reported_at"))["first"]).date()
    assert (timezone.localtime(demo_first_case).date() - first).days <= 365 * 3
    assert set(made.values_list("status", flat=True)) == set(Status)
    sources = set(made.values_list("source", flat=True))
    assert {Source.INSPECTION, Source.RESIDENT, Source.PARTY_PATROL} <= sources
    _check_cases(made)
    # Numbers are the services' shape and unique across everything.
    assert Case.objects.values("number").distinct().count() == Case.objects.count()
    photos = CasePhoto.objects.filter(case__in=made)
    assert 0 < photos.values("case").distinct().count() < made.count()
    assert not photos.exclude(original__startswith=SHARED_PHOTO_PREFIX).exists()
    assert not photos.filter(event__isnull=True).exists()
    assert not photos.exclude(event__case=F("case")).exists()
    # Every copy's areas carry their own case positions.
    for case in made.filter(region_path__startswith="ZS002/")[:50]:
        assert case.region.path.startswith("ZS002/")

    # Inspections: the demo's rounds untouched, the history before them (GC) or up to
    # yesterday (the copy, which has none of its own); scores add up.
    rounds = InspectionRound.objects.filter(draw_seed__startswith=history.HISTORY_SEED_PREFIX)
    gc_rounds = rounds.filter(scope__code="GC")
    assert gc_rounds.filter(date__gte=demo_first_round).count() == 0
    zs_rounds = rounds.filter(scope__code="ZS002")
    today = timezone.localdate()
    # (NOW is a Wednesday: the copy's last round was yesterday's.)
    assert zs_rounds.order_by("-date").first().date == today - datetime.timedelta(days=1)
    assert zs_rounds.count() > 700
    for r in list(zs_rounds.order_by("?")[:10]) + list(gc_rounds[:5]):
        drawn = draw_from(list(eligible_areas(r.scope)), count=3, seed=r.draw_seed)
        assert sorted(i.area_id for i in r.inspections.all()) == sorted(a.pk for a in drawn)
    inspections = Inspection.objects.filter(round__in=rounds).prefetch_related(
        "findings__item", "template"
    )
    current_week = span(PeriodKind.WEEK, today)[0]
    for inspection in inspections:
        findings = list(inspection.findings.all())
        total = sum((f.deduction for f in findings), Decimal("0"))
        for f in findings:
            assert f.deduction == f.item.deduction_for(f.count)
            assert f.item.template_id == inspection.template_id
        assert inspection.deduction == total
        assert inspection.score == max(Decimal("0"), inspection.template.full_score - total)
        assert inspection.status in (InspectionStatus.SUBMITTED, InspectionStatus.VOID)
        assert inspection.area_path.startswith(inspection.round.scope.path)
        assert inspection.date == inspection.round.date
        if inspection.date < current_week:
            assert inspection.released_at is not None
            assert inspection.released_at.date() > inspection.date
        else:
            assert inspection.released_at is None
        assert timezone.localtime(inspection.inspected_at).date() == inspection.date
    assert Finding.objects.filter(inspection__round__in=rounds).exists()
    assert before["Case"] < Case.objects.count()


@pytest.mark.django_db(transaction=False)
def test_reset_removes_what_the_seed_made_and_nothing_else(frozen):
    from zhenxing.demo.guicheng import load_guicheng

    load_guicheng(password="demo-pass-1")
    before = _counts()
    demo_cases = set(Case.objects.values_list("pk", "number", "status", "version"))

    seed_demo(scale=2, password="demo-pass-1", history=True)
    first = _digest()
    with pytest.raises(SeedError, match="--reset"):
        seed_demo(scale=1, password="demo-pass-1")
    seed_demo(scale=1, reset=True, password="demo-pass-1")
    assert _counts() == before
    assert set(Case.objects.values_list("pk", "number", "status", "version")) == demo_cases
    assert not history.has_history()

    # The demo's history alone (scale 1) is refused too on a second run.
    seed_demo(scale=1, password="demo-pass-1", history=True)
    with pytest.raises(SeedError, match="history"):
        seed_demo(scale=1, password="demo-pass-1", history=True)
    seed_demo(scale=2, reset=True, password="demo-pass-1", history=True)
    # The same seed on the same day makes the same rows.
    assert _digest() == first
    seed_demo(scale=1, reset=True, password="demo-pass-1")
    assert _counts() == before


def _digest() -> str:
    h = hashlib.sha256()
    for row in (
        _history_cases()
        .order_by("region_path", "reported_at", "pk")
        .values_list(
            "region__code", "category__code", "status", "reported_at", "closed_at", "lat", "lng"
        )
    ):
        h.update(repr(row).encode())
    for row in (
        Inspection.objects.filter(round__draw_seed__startswith=history.HISTORY_SEED_PREFIX)
        .order_by("date", "area_path")
        .values_list("area__code", "date", "score", "inspected_at")
    ):
        h.update(repr(row).encode())
    return h.hexdigest()
