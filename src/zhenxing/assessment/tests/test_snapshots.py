"""Closing a period writes snapshots that nothing edits; recompute is explicit and audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from zhenxing.assessment import services
from zhenxing.assessment.indicators import compute, explain, ranking, trend, unit_for
from zhenxing.assessment.models import (
    IncentiveKind,
    IncentiveRecord,
    Indicator,
    Period,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.services import AssessmentConflict, AssessmentError
from zhenxing.cases.models import Case, Status
from zhenxing.core.models import AuditEntry
from zhenxing.inspections.models import Inspection, InspectionStatus

from .conftest import W47_START, at


@pytest.fixture
def seeded(world, make_case, make_inspection, scheme, category):
    """W47 data: 甲一 has one case closed on time, one overdue and still open, two inspections
    (90, 70); 甲二 one inspection (60); 乙一 nothing at all; one case of the department D01."""
    scheme()
    category.after_photo_required = False
    category.save()
    a1 = world.area_a1
    done = make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 15),
    )
    late = make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(19))
    dept_case = make_case(
        world.area_a2,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        department=world.dept,
    )
    first = make_inspection(a1, 17, 90)
    second = make_inspection(a1, 19, 70)
    make_inspection(world.area_a2, 18, 60)
    return {"done": done, "late": late, "dept_case": dept_case, "inspections": [first, second]}


def current(period, unit_kind=None):
    rows = ScoreSnapshot.objects.filter(period=period, superseded_at__isnull=True)
    if unit_kind:
        rows = rows.filter(unit_kind=unit_kind)
    return {r.unit_key: r for r in rows}


# --- closing -----------------------------------------------------------------------------


def test_closing_an_unfinished_period_is_refused(world, week47, time_machine):
    time_machine.move_to(at(22, 23), tick=False)  # the last evening of the week
    with pytest.raises(AssessmentError):
        services.period_close(period=week47, actor=world.admin)
    week47.refresh_from_db()
    assert week47.closed_at is None
    assert not ScoreSnapshot.objects.exists()


def test_closing_writes_a_snapshot_for_every_unit_of_every_kind(world, week47, seeded, frozen):
    services.period_close(period=week47, actor=world.admin)
    week47.refresh_from_db()
    assert week47.closed_at == timezone.now()
    assert week47.closed_by == world.admin
    assert set(current(week47, UnitKind.COMMUNITY)) == {"GC01", "GC02"}
    assert set(current(week47, UnitKind.AREA)) == {"GC01-01-A", "GC01-01-B", "GC02-01-A"}
    assert set(current(week47, UnitKind.DEPARTMENT)) == {"D01"}

    a1 = current(week47, UnitKind.AREA)["GC01-01-A"]
    assert a1.values[Indicator.CLOSURE_RATE] == {"num": 1, "den": 2, "value": 0.5, "score": 50.0}
    assert a1.values[Indicator.INSPECTION_SCORE]["value"] == 80.0
    assert a1.evidence["overdue_rate.num"] == [seeded["late"].number]
    assert a1.computed_by == world.admin
    nothing = current(week47, UnitKind.AREA)["GC02-01-A"]
    assert nothing.composite is None and nothing.rank is None

    entry = AuditEntry.objects.get(action="assessment.period_close")
    assert entry.object_id == str(week47.pk)
    # No party member holds a post in this world: the post-holder kind is computed, and empty.
    assert entry.changes["snapshots"] == {
        "community": 2,
        "area": 3,
        "department": 1,
        "post_holder": 0,
    }


def test_a_closed_periods_ranking_reads_the_snapshot_in_the_same_shape(
    world, week47, seeded, frozen
):
    live = compute(period=week47, unit_kind=UnitKind.AREA)
    services.period_close(period=week47, actor=world.admin)
    stored = ranking(period=week47, unit_kind=UnitKind.AREA)
    assert [(r.unit.key, r.composite, r.rank) for r in stored] == [
        (r.unit.key, r.composite, r.rank) for r in live
    ]
    assert [r.unit for r in stored] == [r.unit for r in live]  # keys, names, paths and pks
    assert stored[0].values == live[0].values
    assert stored[0].evidence == live[0].evidence


def test_closing_twice_is_refused(world, week47, seeded, frozen):
    services.period_close(period=week47, actor=world.admin)
    with pytest.raises(AssessmentConflict):
        services.period_close(period=week47, actor=world.admin)
    assert issubclass(AssessmentConflict, AssessmentError)
    assert ScoreSnapshot.objects.filter(period=week47).count() == 6


@pytest.mark.parametrize("who", ["secretary_a", "inspector_a", "outsider", "nobody"])
def test_only_the_office_of_the_whole_territory_closes_periods(world, week47, frozen, who):
    with pytest.raises(PermissionDenied):
        services.period_close(period=week47, actor=getattr(world, who))
    week47.refresh_from_db()
    assert week47.closed_at is None


def test_a_case_closed_after_the_period_was_closed_changes_neither_snapshot_nor_ranking(
    world, week47, seeded, frozen
):
    from zhenxing.cases.services import case_rectify, case_verify

    services.period_close(period=week47, actor=world.admin)
    before = {k: (r.values, r.composite, r.rank) for k, r in current(week47).items()}
    ranked = [(r.unit.key, r.composite, r.rank) for r in ranking(period=week47, unit_kind="area")]

    late = seeded["late"]
    case_rectify(case=late, actor=None, note="清理完毕")
    case_verify(case=late, actor=None, passed=True)
    assert Case.objects.get(pk=late.pk).status == Status.CLOSED

    after = {k: (r.values, r.composite, r.rank) for k, r in current(week47).items()}
    assert after == before
    assert [
        (r.unit.key, r.composite, r.rank) for r in ranking(period=week47, unit_kind="area")
    ] == ranked


def test_a_voided_inspection_moves_the_live_figures_but_not_the_closed_ranking(
    world, week47, seeded, frozen
):
    services.period_close(period=week47, actor=world.admin)
    Inspection.objects.filter(pk=seeded["inspections"][1].pk).update(status=InspectionStatus.VOID)
    live = {r.unit.key: r for r in compute(period=week47, unit_kind=UnitKind.AREA)}
    stored = {r.unit.key: r for r in ranking(period=week47, unit_kind=UnitKind.AREA)}
    assert live["GC01-01-A"].values[Indicator.INSPECTION_SCORE].value == 90.0
    assert stored["GC01-01-A"].values[Indicator.INSPECTION_SCORE].value == 80.0


# --- recompute -----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_recompute_needs_a_reason(world, week47, seeded, frozen, reason):
    services.period_close(period=week47, actor=world.admin)
    with pytest.raises(AssessmentError):
        services.period_recompute(period=week47, actor=world.admin, reason=reason)
    assert not ScoreSnapshot.objects.filter(superseded_at__isnull=False).exists()


def test_recompute_of_an_open_period_is_refused(world, week47, seeded, frozen):
    with pytest.raises(AssessmentError):
        services.period_recompute(period=week47, actor=world.admin, reason="核查有误")
    assert not ScoreSnapshot.objects.exists()


def test_recompute_is_for_the_office_only(world, week47, seeded, frozen):
    services.period_close(period=week47, actor=world.admin)
    with pytest.raises(PermissionDenied):
        services.period_recompute(period=week47, actor=world.secretary_a, reason="核查有误")


def test_recompute_writes_new_rows_keeps_the_old_and_audits_what_changed(
    world, week47, seeded, frozen
):
    services.period_close(period=week47, actor=world.admin)
    old = current(week47)
    old_a1 = old["GC01-01-A"]
    # The 70 of the second inspection was a mistake: voided, then the week recomputed.
    Inspection.objects.filter(pk=seeded["inspections"][1].pk).update(status=InspectionStatus.VOID)
    frozen.shift(datetime.timedelta(hours=1))

    services.period_recompute(period=week47, actor=world.admin, reason="误扣分已作废")

    kept = ScoreSnapshot.objects.get(pk=old_a1.pk)
    assert kept.superseded_at == timezone.now()
    assert kept.composite == old_a1.composite  # the old row itself is not edited
    assert ScoreSnapshot.objects.filter(period=week47, superseded_at__isnull=False).count() == 6
    new = current(week47)
    assert set(new) == set(old)
    assert all(new[k].pk != old[k].pk for k in new)
    new_a1 = new["GC01-01-A"]
    assert new_a1.values[Indicator.INSPECTION_SCORE]["value"] == 90.0
    assert new_a1.composite > old_a1.composite
    stored = {r.unit.key: r for r in ranking(period=week47, unit_kind=UnitKind.AREA)}
    assert stored["GC01-01-A"].composite == new_a1.composite

    entry = AuditEntry.objects.get(action="assessment.period_recompute")
    assert entry.changes["reason"] == "误扣分已作废"
    assert entry.changes["superseded"] == 6
    assert entry.changes["composites"]["area:GC01-01-A"] == [
        str(old_a1.composite),
        str(new_a1.composite),
    ]
    assert entry.changes["composites"]["community:GC01"][0] == str(old["GC01"].composite)
    # Units whose figures did not move are not named.
    assert "area:GC01-01-B" not in entry.changes["composites"]
    assert "误扣分已作废" in entry.summary


# --- reading a period -----------------------------------------------------------------------


def test_explain_gives_one_units_figures_and_evidence(world, week47, seeded, frozen):
    unit = unit_for(UnitKind.AREA, "GC01-01-A")
    live = explain(period=week47, unit=unit)
    assert live.rank is not None
    assert live.evidence["closure_rate.num"] == [seeded["done"].number]
    services.period_close(period=week47, actor=world.admin)
    stored = explain(period=week47, unit=unit)
    assert (stored.composite, stored.rank, stored.evidence) == (
        live.composite,
        live.rank,
        live.evidence,
    )


def test_explain_of_a_unit_missing_from_the_snapshot_is_empty(world, week47, seeded, frozen):
    from zhenxing.territory.services import region_create

    services.period_close(period=week47, actor=world.admin)
    later = region_create(code="GC01-01-C", name="新片区", parent=world.coop_a, actor=None)
    result = explain(period=week47, unit=unit_for(UnitKind.AREA, later.code))
    assert (result.values, result.composite, result.rank) == ({}, None, None)


def test_unit_for_knows_each_kind(world):
    assert unit_for(UnitKind.COMMUNITY, "GC01").path == world.a.path
    assert unit_for(UnitKind.AREA, "GC01").__class__ is type(None)  # a community is no area
    assert unit_for(UnitKind.DEPARTMENT, "D01").pk == world.dept.pk
    assert unit_for(UnitKind.DEPARTMENT, "nope") is None
    assert unit_for("post", "GC01") is None


def test_trend_reads_closed_periods_and_computes_open_ones_without_creating_them(
    world, week47, seeded, make_inspection, frozen
):
    make_inspection(world.area_b1, 10, 50)  # W46
    w46 = Period.objects.create(
        kind="week", start=W47_START - datetime.timedelta(days=7), end=W47_START
    )
    services.period_close(period=w46, actor=world.admin)
    periods, series = trend(
        unit_kind=UnitKind.AREA, period_kind="week", last_start=W47_START, count=3
    )
    assert [p.start for p in periods] == [
        datetime.date(2026, 11, 2),
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 16),
    ]
    assert periods[0].pk is None and periods[1] == w46 and periods[2] == week47
    assert not Period.objects.filter(start=datetime.date(2026, 11, 2)).exists()
    assert series["GC02-01-A"] == [None, Decimal("50.00"), None]
    # 甲二 in W47: inspection 60; D01's case there due and open: closure, on-time and
    # overdue scores 0 — (0 + 0 + 0 + 60) / 4.
    assert series["GC01-01-B"][2] == Decimal("15.00")


# --- periods ----------------------------------------------------------------------------


def test_period_for_gets_or_creates_the_calendar_span(db):
    made = services.period_for(kind="month", day=datetime.date(2026, 11, 28))
    assert (made.start, made.end) == (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))
    assert services.period_for(kind="month", day=datetime.date(2026, 11, 2)) == made
    week = services.period_for(kind="week", day=datetime.date(2026, 11, 22))
    assert (week.start, week.end) == (W47_START, datetime.date(2026, 11, 23))
    with pytest.raises(AssessmentError):
        services.period_for(kind="decade", day=datetime.date(2026, 11, 2))


# --- rewards and criticism ---------------------------------------------------------------------


def test_an_incentive_is_recorded_and_audited(world, week47):
    record = services.incentive_record(
        actor=world.admin,
        kind=IncentiveKind.INTERVIEW,
        date=datetime.date(2026, 11, 24),
        reason="  连续两周黑榜  ",
        community=world.b,
        cadre=world.outsider,
        period=week47,
    )
    assert record.reason == "连续两周黑榜"
    assert record.recorded_by == world.admin
    entry = AuditEntry.objects.get(action="assessment.incentive")
    assert entry.changes["community"] == "GC02"
    assert entry.changes["kind"] == "interview"


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": " "},
        {"community": None, "cadre": None},
        {"kind": "medal"},
        {"community": "area"},
    ],
)
def test_an_incentive_needs_a_reason_a_kind_and_someone(world, overrides):
    arguments = {
        "actor": world.admin,
        "kind": IncentiveKind.COMMENDATION,
        "date": datetime.date(2026, 11, 24),
        "reason": "整改迅速",
        "community": world.a,
        "cadre": None,
    }
    arguments.update(overrides)
    if arguments["community"] == "area":
        arguments["community"] = world.area_a1
    with pytest.raises(AssessmentError):
        services.incentive_record(**arguments)
    assert not IncentiveRecord.objects.exists()


def test_only_the_office_records_incentives(world):
    with pytest.raises(PermissionDenied):
        services.incentive_record(
            actor=world.secretary_a,
            kind=IncentiveKind.COMMENDATION,
            date=datetime.date(2026, 11, 24),
            reason="整改迅速",
            community=world.a,
        )


# --- the admin shows periods and snapshots read-only --------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from zhenxing.people.models import User

    client.force_login(User.objects.create_superuser(username="root", password="x"))
    return client


def test_periods_and_snapshots_are_read_only_in_the_admin(
    admin_client, world, week47, seeded, frozen
):
    services.period_close(period=week47, actor=world.admin)
    snapshot = ScoreSnapshot.objects.filter(period=week47).first()
    for model, pk in (("period", week47.pk), ("scoresnapshot", snapshot.pk)):
        assert admin_client.get(reverse(f"admin:assessment_{model}_changelist")).status_code == 200
        assert (
            admin_client.get(reverse(f"admin:assessment_{model}_change", args=[pk])).status_code
            == 200
        )
        assert admin_client.get(reverse(f"admin:assessment_{model}_add")).status_code == 403
        assert (
            admin_client.post(
                reverse(f"admin:assessment_{model}_delete", args=[pk]), {"post": "yes"}
            )
        ).status_code == 403
    response = admin_client.post(
        reverse("admin:assessment_scoresnapshot_change", args=[snapshot.pk]),
        {"composite": "100", "rank": "1"},
    )
    assert response.status_code == 403
    before = snapshot.composite
    snapshot.refresh_from_db()
    assert snapshot.composite == before


def test_an_incentive_added_in_the_admin_is_audited(admin_client, world):
    response = admin_client.post(
        reverse("admin:assessment_incentiverecord_add"),
        {
            "kind": "commendation",
            "date": "2026-11-24",
            "period": "",
            "community": world.a.pk,
            "cadre": "",
            "reason": "整改迅速",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = IncentiveRecord.objects.get()
    assert record.recorded_by.username == "root"
    assert AuditEntry.objects.filter(action="admin.assessment.incentiverecord.add").exists()
    response = admin_client.post(
        reverse("admin:assessment_incentiverecord_add"),
        {"kind": "commendation", "date": "2026-11-24", "community": "", "cadre": "", "reason": "x"},
    )
    assert response.status_code == 200
    assert IncentiveRecord.objects.count() == 1
