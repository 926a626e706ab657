"""Red and black lists: how a rule reads a ranking (top/bottom N, thresholds, ties), drawing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhenxing.assessment import services
from zhenxing.assessment.indicators import Unit, UnitResult, list_members, rank_results
from zhenxing.assessment.models import (
    Indicator,
    IndicatorWeight,
    ListEntry,
    ListKind,
    ListRule,
    PeriodKind,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.core.models import AuditEntry
from zhenxing.inspections.models import Inspection, InspectionStatus

from .conftest import at


def results(**composites):
    made = [
        UnitResult(
            unit=Unit(kind=UnitKind.AREA, key=key, name=key, path=f"GC/{key}/", pk=0),
            values={},
            composite=None if value is None else Decimal(str(value)),
            rank=None,
        )
        for key, value in composites.items()
    ]
    return rank_results(made)


def rule(kind, **criteria):
    return ListRule(
        name="test", kind=kind, unit_kind=UnitKind.AREA, period_kind=PeriodKind.WEEK, **criteria
    )


def keys(members):
    return [m.unit.key for m in members]


# The ranking used below: A 90 (1), B 80 (2), C 80 (2), D 70 (4), E 60 (5); N has no composite.
RANKED = {"A": 90, "B": 80, "C": 80, "D": 70, "E": 60, "N": None}


def test_top_n_takes_every_unit_tied_at_the_boundary():
    ranked = results(**RANKED)
    assert keys(list_members(rule(ListKind.RED, top_n=1), ranked)) == ["A"]
    assert keys(list_members(rule(ListKind.RED, top_n=2), ranked)) == ["A", "B", "C"]
    # Rank 4 comes after the tie: the top 3 are still A, B and C.
    assert keys(list_members(rule(ListKind.RED, top_n=3), ranked)) == ["A", "B", "C"]


def test_bottom_n_counts_from_the_bottom_with_ties():
    ranked = results(**RANKED)
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=1), ranked)) == ["E"]
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=2), ranked)) == ["E", "D"]
    # B and C share the third place from the bottom.
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=3), ranked)) == ["E", "D", "B", "C"]


def test_thresholds_at_least_for_red_strictly_below_for_black():
    ranked = results(**RANKED)
    red = list_members(rule(ListKind.RED, min_composite=Decimal("80")), ranked)
    assert keys(red) == ["A", "B", "C"]
    black = list_members(rule(ListKind.BLACK, max_composite=Decimal("70")), ranked)
    assert keys(black) == ["E"]


def test_criteria_combine_with_or():
    ranked = results(**RANKED)
    red = list_members(rule(ListKind.RED, top_n=1, min_composite=Decimal("80")), ranked)
    assert keys(red) == ["A", "B", "C"]
    black = list_members(rule(ListKind.BLACK, bottom_n=1, max_composite=Decimal("75")), ranked)
    assert keys(black) == ["E", "D"]


def test_units_without_a_composite_are_never_listed():
    ranked = results(A=50, N=None, M=None)
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=3), ranked)) == ["A"]
    assert keys(list_members(rule(ListKind.BLACK, max_composite=Decimal("100")), ranked)) == ["A"]
    assert keys(list_members(rule(ListKind.RED, top_n=3), ranked)) == ["A"]
    assert list_members(rule(ListKind.RED, top_n=3), results(N=None)) == []


def test_a_rule_without_criteria_lists_nobody_and_the_other_lists_fields_are_ignored():
    ranked = results(**RANKED)
    assert list_members(rule(ListKind.RED), ranked) == []
    # A red rule does not read the black list's fields, and the reverse.
    assert list_members(rule(ListKind.RED, bottom_n=2, max_composite=Decimal("99")), ranked) == []
    assert list_members(rule(ListKind.BLACK, top_n=2, min_composite=Decimal("1")), ranked) == []


def test_units_below_the_evidence_bar_are_never_listed_nor_counted_from_the_bottom():
    made = [
        UnitResult(
            unit=Unit(kind=UnitKind.AREA, key=key, name=key, path=f"GC/{key}/", pk=0),
            values={},
            composite=Decimal(str(value)),
            rank=None,
            insufficient=key.startswith("X"),
        )
        for key, value in {"A": 90, "B": 80, "C": 70, "X1": 100, "X2": 10}.items()
    ]
    ranked = rank_results(made)
    # X1 (100) and X2 (10) had too little evidence to be ranked: neither the best nor the worst.
    assert keys(list_members(rule(ListKind.RED, top_n=1), ranked)) == ["A"]
    assert keys(list_members(rule(ListKind.RED, min_composite=Decimal("95")), ranked)) == []
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=1), ranked)) == ["C"]
    assert keys(list_members(rule(ListKind.BLACK, bottom_n=2), ranked)) == ["C", "B"]
    assert keys(list_members(rule(ListKind.BLACK, max_composite=Decimal("75")), ranked)) == ["C"]


# --- drawn at close, re-drawn at recompute ---------------------------------------------------


@pytest.fixture
def scored_week(world, week47, make_inspection, scheme):
    """W47 scored by inspections only: 甲一 90, 甲二 80, 乙一 70."""
    scheme(inspection_score=1)
    make_inspection(world.area_a1, 17, 90)
    make_inspection(world.area_a2, 17, 80)
    lowest = make_inspection(world.area_b1, 17, 70)
    return lowest


@pytest.fixture
def rules(db):
    return {
        "red": ListRule.objects.create(
            name="片区红榜", kind=ListKind.RED, unit_kind=UnitKind.AREA, period_kind="week", top_n=1
        ),
        "black": ListRule.objects.create(
            name="片区黑榜",
            kind=ListKind.BLACK,
            unit_kind=UnitKind.AREA,
            period_kind="week",
            bottom_n=1,
        ),
        "community": ListRule.objects.create(
            name="社区红榜",
            kind=ListKind.RED,
            unit_kind=UnitKind.COMMUNITY,
            period_kind="week",
            min_composite=Decimal("80"),
        ),
        # Not drawn for a week: another kind of period, or retired.
        "monthly": ListRule.objects.create(
            name="月度黑榜",
            kind=ListKind.BLACK,
            unit_kind=UnitKind.AREA,
            period_kind="month",
            bottom_n=3,
        ),
        "retired": ListRule.objects.create(
            name="旧红榜",
            kind=ListKind.RED,
            unit_kind=UnitKind.AREA,
            period_kind="week",
            top_n=3,
            is_active=False,
        ),
    }


def current_entries(period):
    return {
        (e.rule.name, e.unit_key): (e.kind, e.composite, e.rank)
        for e in ListEntry.objects.filter(period=period, superseded_at__isnull=True)
    }


def test_closing_draws_the_lists_of_the_active_rules_for_the_periods_kind(
    world, week47, scored_week, rules, frozen
):
    services.period_close(period=week47, actor=world.admin)
    assert current_entries(week47) == {
        ("片区红榜", "GC01-01-A"): (ListKind.RED, Decimal("90.00"), 1),
        ("片区黑榜", "GC02-01-A"): (ListKind.BLACK, Decimal("70.00"), 3),
        # 社区甲 (90 + 80) / 2 = 85 ≥ 80; 社区乙 70.
        ("社区红榜", "GC01"): (ListKind.RED, Decimal("85.00"), 1),
    }
    entry = ListEntry.objects.get(unit_key="GC01")
    assert (entry.unit_kind, entry.unit_name, entry.unit_path) == (
        UnitKind.COMMUNITY,
        "社区甲",
        world.a.path,
    )
    assert AuditEntry.objects.get(action="assessment.period_close").changes["list_entries"] == 3


def test_a_unit_two_rules_catch_is_on_the_list_once(world, week47, scored_week, rules, frozen):
    # 乙一 (70) is both the bottom area and below 75: listed once, under the first rule.
    ListRule.objects.create(
        name="片区低分黑榜",
        kind=ListKind.BLACK,
        unit_kind=UnitKind.AREA,
        period_kind="week",
        max_composite=Decimal("75"),
    )
    services.period_close(period=week47, actor=world.admin)
    black = ListEntry.objects.filter(period=week47, kind=ListKind.BLACK)
    assert list(black.values_list("rule__name", "unit_key")) == [("片区黑榜", "GC02-01-A")]


def test_recompute_redraws_the_lists_and_keeps_the_old_entries(
    world, week47, scored_week, rules, frozen
):
    services.period_close(period=week47, actor=world.admin)
    first = set(ListEntry.objects.values_list("pk", flat=True))
    # 乙一's score was voided: it has no composite now and cannot be on the black list.
    Inspection.objects.filter(pk=scored_week.pk).update(status=InspectionStatus.VOID)
    services.period_recompute(period=week47, actor=world.admin, reason="成绩作废")

    assert ListEntry.objects.filter(pk__in=first, superseded_at__isnull=False).count() == 3
    assert current_entries(week47) == {
        ("片区红榜", "GC01-01-A"): (ListKind.RED, Decimal("90.00"), 1),
        ("片区黑榜", "GC01-01-B"): (ListKind.BLACK, Decimal("80.00"), 2),
        ("社区红榜", "GC01"): (ListKind.RED, Decimal("85.00"), 1),
    }


def test_an_area_never_inspected_is_neither_red_nor_black(
    world, week47, scored_week, rules, make_case, frozen
):
    from zhenxing.territory.services import region_create

    # A fourth area, 甲三, with enough cases but no inspection: composite 0, every case overdue.
    coop = world.area_a1.parent
    a3 = region_create(code="GC01-01-C", name="甲三片区", parent=coop, actor=None)
    for _i in range(4):
        make_case(a3, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    # Weighed by its overdue rate too, so that 甲三 has a composite (0.00): the worst of all.
    IndicatorWeight.objects.create(
        scheme=Scheme.objects.get(is_active=True), indicator=Indicator.OVERDUE_RATE, weight=1
    )
    ListRule.objects.filter(pk=rules["red"].pk).update(min_composite=Decimal("0"))
    services.period_close(period=week47, actor=world.admin)
    entries = current_entries(week47)
    assert ("片区黑榜", "GC02-01-A") in entries
    assert not [key for key in entries if key[1] == "GC01-01-C"]
    assert ScoreSnapshot.objects.get(unit_key="GC01-01-C").composite == Decimal("0.00")
    # The red rule (top 1, or any composite ≥ 0) lists the three inspected areas only.
    assert sorted(key for name, key in entries if name == "片区红榜") == [
        "GC01-01-A",
        "GC01-01-B",
        "GC02-01-A",
    ]


def test_an_open_period_has_no_entries(world, week47, scored_week, rules):
    assert not ListEntry.objects.exists()


def test_the_scores_under_the_lists_are_the_snapshot(world, week47, scored_week, rules, frozen):
    from zhenxing.assessment.indicators import ranking

    services.period_close(period=week47, actor=world.admin)
    stored = {r.unit.key: r for r in ranking(period=week47, unit_kind=UnitKind.AREA)}
    for entry in ListEntry.objects.filter(unit_kind=UnitKind.AREA):
        assert entry.composite == stored[entry.unit_key].composite
        assert stored[entry.unit_key].values[Indicator.INSPECTION_SCORE].value is not None


# --- rules in the admin ------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from zhenxing.people.models import User

    client.force_login(User.objects.create_superuser(username="root", password="x"))
    return client


def _rule_form(**overrides):
    data = {
        "name": "黑榜",
        "kind": "black",
        "unit_kind": "area",
        "period_kind": "week",
        "top_n": "",
        "bottom_n": "3",
        "min_composite": "",
        "max_composite": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_a_list_rule_is_added_and_audited(admin_client):
    response = admin_client.post(reverse("admin:assessment_listrule_add"), _rule_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ListRule.objects.get().bottom_n == 3
    assert AuditEntry.objects.filter(action="admin.assessment.listrule.add").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"bottom_n": ""},  # no criterion at all
        {"top_n": "2"},  # a red list's field on a black list
        {"kind": "red"},  # a black list's field on a red list
        {"bottom_n": "0"},
        {"bottom_n": "", "max_composite": "120"},
    ],
)
def test_list_rules_that_do_not_make_sense_are_refused(admin_client, overrides):
    response = admin_client.post(reverse("admin:assessment_listrule_add"), _rule_form(**overrides))
    assert response.status_code == 200
    assert not ListRule.objects.exists()


def test_a_rule_that_drew_a_list_cannot_be_deleted(
    admin_client, world, week47, scored_week, rules, frozen
):
    services.period_close(period=week47, actor=world.admin)
    used = rules["red"]
    response = admin_client.post(
        reverse("admin:assessment_listrule_delete", args=[used.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert ListRule.objects.filter(pk=used.pk).exists()
    unused = rules["monthly"]
    response = admin_client.post(
        reverse("admin:assessment_listrule_delete", args=[unused.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin.assessment.listrule.delete").exists()
