"""The composite score, the ranking, the default scheme and the scheme's admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhenxing.assessment.indicators import (
    IndicatorValue,
    Unit,
    UnitResult,
    active_scheme,
    composite_of,
    compute,
    rank_results,
)
from zhenxing.assessment.models import Indicator, IndicatorWeight, Scheme, UnitKind
from zhenxing.core.models import AuditEntry

from .conftest import at

NOW = at(25, 10)


def v(score):
    return IndicatorValue(num=1, den=1, value=None, score=score)


def none():
    return IndicatorValue(num=0, den=0, value=None, score=None)


def result(key, composite):
    unit = Unit(kind=UnitKind.AREA, key=key, name=key, path=f"GC/{key}/", pk=0)
    return UnitResult(
        unit=unit,
        values={},
        composite=None if composite is None else Decimal(composite),
        rank=None,
    )


# --- the formula ----------------------------------------------------------------------


def test_the_composite_is_the_weighted_mean_of_the_present_scores():
    values = {
        Indicator.CLOSURE_RATE: v(100.0),
        Indicator.ON_TIME_RATE: v(50.0),
        Indicator.INSPECTION_SCORE: none(),
        Indicator.PARTICIPATION: none(),
    }
    weights = {
        Indicator.CLOSURE_RATE: Decimal("1"),
        Indicator.ON_TIME_RATE: Decimal("3"),
        Indicator.INSPECTION_SCORE: Decimal("10"),
        Indicator.PARTICIPATION: Decimal("5"),
    }
    # (1 · 100 + 3 · 50) / (1 + 3): the absent indicators' weights drop out.
    assert composite_of(values, weights) == Decimal("62.50")


def test_the_composite_rounds_half_up_to_two_places():
    values = {Indicator.CLOSURE_RATE: v(66.67), Indicator.ON_TIME_RATE: v(33.33)}
    weights = {Indicator.CLOSURE_RATE: Decimal("1"), Indicator.ON_TIME_RATE: Decimal("2")}
    # (66.67 + 66.66) / 3 = 44.443… → 44.44
    assert composite_of(values, weights) == Decimal("44.44")
    values = {Indicator.CLOSURE_RATE: v(0.01), Indicator.ON_TIME_RATE: v(0.0)}
    weights = {Indicator.CLOSURE_RATE: Decimal("1"), Indicator.ON_TIME_RATE: Decimal("1")}
    assert composite_of(values, weights) == Decimal("0.01")  # 0.005 → 0.01


def test_no_score_or_only_zero_weights_gives_no_composite():
    assert composite_of({Indicator.CLOSURE_RATE: none()}, {Indicator.CLOSURE_RATE: 1}) is None
    assert composite_of({}, {Indicator.CLOSURE_RATE: Decimal("1")}) is None
    values = {Indicator.CLOSURE_RATE: v(80.0), Indicator.INSPECTION_SCORE: v(90.0)}
    weights = {Indicator.CLOSURE_RATE: Decimal("0"), Indicator.INSPECTION_SCORE: Decimal("0")}
    assert composite_of(values, weights) is None
    # An indicator the scheme does not weigh at all counts for nothing.
    assert composite_of(values, {Indicator.INSPECTION_SCORE: Decimal("2")}) == Decimal("90.00")


def test_competition_ranks_and_units_without_a_composite_last():
    ranked = rank_results(
        [
            result("D", "70"),
            result("N1", None),
            result("B", "80"),
            result("A", "90"),
            result("C", "80"),
            result("N0", None),
        ]
    )
    assert [(r.unit.key, r.rank) for r in ranked] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),
        ("D", 4),
        ("N0", None),
        ("N1", None),
    ]


# --- from cases ---------------------------------------------------------------------------


def test_lower_is_better_rates_score_one_minus_the_rate(world, make_case, week47, scheme):
    scheme(overdue_rate=1)
    a1 = world.area_a1
    make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    for _i in range(3):
        make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(26))
    results = {r.unit.key: r for r in compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)}
    overdue = results["GC01-01-A"].values[Indicator.OVERDUE_RATE]
    assert (overdue.value, overdue.score) == (0.25, 75.0)
    assert results["GC01-01-A"].composite == Decimal("75.00")


def test_a_unit_with_nothing_has_no_composite_and_no_rank(
    world, make_case, make_inspection, week47, scheme
):
    scheme()
    make_inspection(world.area_a1, 17, 90)
    make_inspection(world.area_a2, 17, 70)
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    assert [(r.unit.key, r.composite, r.rank) for r in ranked] == [
        ("GC01-01-A", Decimal("90.00"), 1),
        ("GC01-01-B", Decimal("70.00"), 2),
        ("GC02-01-A", None, None),
    ]


def test_equal_composites_share_a_rank(world, make_inspection, week47, scheme):
    scheme(inspection_score=1)
    make_inspection(world.area_a1, 17, 80)
    make_inspection(world.area_a2, 17, 80)
    make_inspection(world.area_b1, 17, 95)
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    assert [(r.unit.key, r.rank) for r in ranked] == [
        ("GC02-01-A", 1),
        ("GC01-01-A", 2),
        ("GC01-01-B", 2),
    ]


def test_participation_weight_is_re_normalised_away(world, make_inspection, week47, scheme):
    scheme(inspection_score=1, participation=99)
    make_inspection(world.area_a1, 17, 64)
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    assert ranked[0].composite == Decimal("64.00")


# --- the minimum of evidence before a unit is ranked ------------------------------------------


def closed_case(make_case, area, **extra):
    """A case due, rectified and closed in W47: in four denominators, one distinct case."""
    return make_case(
        area,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 15),
        **extra,
    )


def ranks(results):
    return [(r.unit.key, r.composite, r.rank, r.insufficient, r.shortfall) for r in results]


def test_an_area_without_an_inspection_is_not_ranked_however_good_its_cases(
    world, make_case, make_inspection, week47, scheme
):
    made = scheme()  # the scheme's bar left at its defaults: 3 cases, inspection required
    assert (made.min_cases_to_rank, made.inspection_required_to_rank) == (3, True)
    make_inspection(world.area_a1, 17, 60)
    for _i in range(5):
        closed_case(make_case, world.area_a2)
    closed_case(make_case, world.area_b1)
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    # 甲二 scores 100 on its five cases and 乙一 100 on one, but neither was inspected:
    # they keep their figures and composite, without a rank, after the ranked units.
    assert ranks(ranked) == [
        ("GC01-01-A", Decimal("60.00"), 1, False, []),
        ("GC01-01-B", Decimal("100.00"), None, True, ["no_inspection"]),
        ("GC02-01-A", Decimal("100.00"), None, True, ["no_inspection", "few_cases"]),
    ]
    assert [r.ranked for r in ranked] == [True, False, False]
    assert ranked[1].values[Indicator.CLOSURE_RATE].value == 1.0
    assert ranked[1].evidence["rank.shortfall"] == ["no_inspection"]
    assert "rank.shortfall" not in ranked[0].evidence


def test_without_the_inspection_requirement_distinct_cases_decide(
    world, make_case, make_inspection, week47, scheme
):
    made = scheme()
    made.inspection_required_to_rank = False
    made.save()
    # 甲一: inspected, no case at all — an inspection score is enough.
    make_inspection(world.area_a1, 17, 70)
    # 甲二: three cases — just enough.
    for _i in range(3):
        closed_case(make_case, world.area_a2)
    # 乙一: two cases, each in four denominators (eight entries): two distinct cases only.
    for _i in range(2):
        closed_case(make_case, world.area_b1)
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    assert ranks(ranked) == [
        ("GC01-01-B", Decimal("100.00"), 1, False, []),
        ("GC01-01-A", Decimal("70.00"), 2, False, []),
        ("GC02-01-A", Decimal("100.00"), None, True, ["few_cases"]),
    ]

    made.min_cases_to_rank = 2
    made.save()
    ranked = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    assert [(r.unit.key, r.rank) for r in ranked] == [
        ("GC01-01-B", 1),
        ("GC02-01-A", 1),
        ("GC01-01-A", 3),
    ]


def test_communities_need_an_inspection_in_one_of_their_areas(
    world, make_case, make_inspection, week47, scheme
):
    scheme()
    make_inspection(world.area_a2, 18, 75)
    closed_case(make_case, world.area_a1)
    for _i in range(4):
        closed_case(make_case, world.area_b1)
    ranked = compute(period=week47, unit_kind=UnitKind.COMMUNITY, now=NOW)
    assert [(r.unit.key, r.rank, r.insufficient) for r in ranked] == [
        ("GC01", 1, False),
        ("GC02", None, True),
    ]
    assert ranked[1].composite == Decimal("100.00")


def test_departments_are_never_required_an_inspection_but_need_enough_cases(
    world, make_case, week47, scheme
):
    from zhenxing.people.models import Department

    scheme()  # inspection required: for communities and areas only
    other = Department.objects.create(code="D02", name="水务所")
    for _i in range(3):
        closed_case(make_case, world.area_a1, department=world.dept)
    # D02: one case closed, one open and overdue — two distinct cases.
    closed_case(make_case, world.area_a2, department=other)
    make_case(
        world.area_a2, reported=at(16), dispatched=at(16, 13), deadline=at(18), department=other
    )
    ranked = compute(period=week47, unit_kind=UnitKind.DEPARTMENT, now=NOW)
    assert [(r.unit.key, r.rank, r.shortfall) for r in ranked] == [
        ("D01", 1, []),
        ("D02", None, ["few_cases"]),
    ]
    assert ranked[1].composite is not None


def test_a_unit_below_the_bar_takes_no_place_among_the_ranked_ones():
    def made(key, composite, insufficient=False):
        found = result(key, composite)
        found.insufficient = insufficient
        return found

    ranked = rank_results(
        [
            made("A", "80"),
            made("B", "80"),
            made("X", "99", insufficient=True),
            made("C", "70"),
            made("N", None),
            made("Y", "75", insufficient=True),
        ]
    )
    # A and B tie at 1; C is third (not fourth, fifth or sixth); X, Y and N come last by key.
    assert [(r.unit.key, r.rank) for r in ranked] == [
        ("A", 1),
        ("B", 1),
        ("C", 3),
        ("N", None),
        ("X", None),
        ("Y", None),
    ]


def test_the_snapshot_keeps_the_units_below_the_bar_unranked(
    world, make_case, make_inspection, week47, scheme, frozen
):
    from zhenxing.assessment import services
    from zhenxing.assessment.indicators import ranking
    from zhenxing.assessment.models import ScoreSnapshot

    made = scheme()
    make_inspection(world.area_a1, 17, 60)
    for _i in range(3):
        closed_case(make_case, world.area_a2)
    services.period_close(period=week47, actor=world.admin)

    row = ScoreSnapshot.objects.get(period=week47, unit_kind=UnitKind.AREA, unit_key="GC01-01-B")
    assert (row.rank, row.composite) == (None, Decimal("100.00"))
    assert row.evidence["rank.shortfall"] == ["no_inspection"]
    # The closed week reads from its snapshot, whatever the scheme says now.
    made.inspection_required_to_rank = False
    made.save()
    stored = ranking(period=week47, unit_kind=UnitKind.AREA)
    assert ranks(stored) == [
        ("GC01-01-A", Decimal("60.00"), 1, False, []),
        ("GC01-01-B", Decimal("100.00"), None, True, ["no_inspection"]),
        ("GC02-01-A", None, None, True, ["no_inspection", "few_cases"]),
    ]
    # A recompute applies the scheme in force.
    services.period_recompute(period=week47, actor=world.admin, reason="门槛调整")
    again = ranking(period=week47, unit_kind=UnitKind.AREA)
    assert [(r.unit.key, r.rank, r.insufficient) for r in again] == [
        ("GC01-01-B", 1, False),
        ("GC01-01-A", 2, False),
        ("GC02-01-A", None, True),
    ]


def test_a_snapshot_from_before_the_bar_reads_as_ranked(world, week47, scheme):
    from zhenxing.assessment.indicators import ranking
    from zhenxing.assessment.models import ScoreSnapshot

    made = scheme()
    week47.closed_at = NOW
    week47.save()
    ScoreSnapshot.objects.create(
        period=week47,
        scheme=made,
        unit_kind=UnitKind.AREA,
        unit_key="GC01-01-B",
        unit_name="甲二",
        unit_path=world.area_a2.path,
        values={},
        composite=Decimal("100.00"),
        rank=1,
        evidence={"closure_rate.den": ["C00001"]},
    )
    (stored,) = ranking(period=week47, unit_kind=UnitKind.AREA)
    assert (stored.rank, stored.ranked, stored.insufficient, stored.shortfall) == (
        1,
        True,
        False,
        [],
    )


# --- the default scheme ---------------------------------------------------------------------


def test_a_default_scheme_is_created_once_with_weights_and_audited(db):
    assert not Scheme.objects.exists()
    first = active_scheme()
    assert first.is_active
    weights = dict(IndicatorWeight.objects.filter(scheme=first).values_list("indicator", "weight"))
    assert set(weights) == set(Indicator.values)
    assert sum(weights.values()) == Decimal("100")
    assert active_scheme() == first
    assert Scheme.objects.count() == 1
    assert AuditEntry.objects.filter(action="assessment.scheme_default").count() == 1
    # The minimum of evidence before a unit is ranked starts at its defaults.
    assert (first.min_cases_to_rank, first.inspection_required_to_rank) == (3, True)


def test_the_default_scheme_does_not_clash_with_a_kept_one_of_the_same_name(db):
    from django.utils.translation import gettext

    Scheme.objects.create(name=gettext("Default scheme"), is_active=False)
    made = active_scheme()
    assert made.is_active and made.name != gettext("Default scheme")


# --- the scheme in the admin -----------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from zhenxing.people.models import User

    client.force_login(User.objects.create_superuser(username="root", password="x"))
    return client


def _scheme_form(name="区考评方案", active=False, weights=(), **extra):
    data = {
        "name": name,
        "participation_target": "100",
        # The minimum of evidence to be ranked, at its defaults (ignored by a form without it).
        "min_cases_to_rank": "3",
        "inspection_required_to_rank": "on",
        "note": "",
        "weights-TOTAL_FORMS": str(len(weights)),
        "weights-INITIAL_FORMS": "0",
        "weights-MIN_NUM_FORMS": "1",
        "weights-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["is_active"] = "on"
    for index, (indicator, weight) in enumerate(weights):
        data[f"weights-{index}-indicator"] = indicator
        data[f"weights-{index}-weight"] = str(weight)
    data.update(extra)
    return data


def test_a_scheme_with_weights_is_added_and_audited(admin_client):
    response = admin_client.post(
        reverse("admin:assessment_scheme_add"),
        _scheme_form(weights=[("closure_rate", 2), ("inspection_score", 3)]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Scheme.objects.get(name="区考评方案")
    assert dict(made.weights.values_list("indicator", "weight")) == {
        "closure_rate": Decimal("2.00"),
        "inspection_score": Decimal("3.00"),
    }
    assert AuditEntry.objects.filter(action="admin.assessment.scheme.add").exists()
    entry = AuditEntry.objects.get(action="admin.assessment.scheme.weights")
    assert entry.changes["inspection_score"] == [None, "3.00"]


@pytest.mark.parametrize(
    "weights",
    [
        [("closure_rate", -1), ("inspection_score", 3)],
        [("closure_rate", 0), ("inspection_score", 0)],
    ],
)
def test_negative_weights_or_all_zero_are_refused(admin_client, weights):
    response = admin_client.post(
        reverse("admin:assessment_scheme_add"), _scheme_form(weights=weights)
    )
    assert response.status_code == 200
    assert not Scheme.objects.filter(name="区考评方案").exists()


def test_activating_a_scheme_retires_the_active_one(admin_client, scheme):
    old = scheme()
    response = admin_client.post(
        reverse("admin:assessment_scheme_add"),
        _scheme_form(active=True, weights=[("closure_rate", 1)]),
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_active
    assert Scheme.objects.get(is_active=True).name == "区考评方案"
    assert AuditEntry.objects.filter(
        action="admin.assessment.scheme.change", object_id=str(old.pk)
    ).exists()


def test_the_active_scheme_cannot_be_deleted(admin_client, scheme):
    made = scheme()
    response = admin_client.post(
        reverse("admin:assessment_scheme_delete", args=[made.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Scheme.objects.filter(pk=made.pk).exists()


# --- the worked example of docs/assessment.md ---------------------------------------------------


def test_the_worked_example_in_the_docs(world, make_case, make_inspection, week47):
    a1 = world.area_a1
    origin = make_case(
        a1,
        reported=at(2),
        dispatched=at(2, 13),
        deadline=at(5),
        rectified=[at(4)],
        closed=at(4, 15),
    )
    c1 = make_case(
        a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(18, 18),
        rectified=[at(17)],
        closed=at(17, 16),
    )
    c2 = make_case(
        a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(19, 18),
        rectified=[at(20)],
        closed=at(21, 10),
    )
    c3 = make_case(a1, reported=at(17, 9), dispatched=at(17, 10), deadline=at(20, 18))
    c4 = make_case(a1, reported=at(19, 9), dispatched=at(19, 10), deadline=at(24, 18))
    c5 = make_case(
        a1, reported=at(16, 9), dispatched=at(16, 10), deadline=at(20, 18), deferred=at(18)
    )
    c6 = make_case(
        a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(23, 18),
        rectified=[at(18), at(20)],
        failed=[at(19)],
        closed=at(21, 11),
    )
    r1 = make_case(a1, reported=at(19, 15), relapse_of=origin)
    make_inspection(a1, 17, 88)
    make_inspection(a1, 20, 76)

    result = {r.unit.key: r for r in compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)}[
        "GC01-01-A"
    ]
    got = {k: (v.num, v.den, v.score) for k, v in result.values.items()}
    assert got == {
        Indicator.CLOSURE_RATE: (2, 3, 66.67),
        Indicator.ON_TIME_RATE: (1, 3, 33.33),
        Indicator.REWORK_RATE: (1, 3, 66.67),
        Indicator.OVERDUE_RATE: (1, 4, 75.0),
        Indicator.RELAPSE_RATE: (1, 3, 66.67),
        Indicator.INSPECTION_SCORE: (164.0, 2, 82.0),
        Indicator.PARTICIPATION: (None, None, None),
    }
    assert result.composite == Decimal("66.76")  # the default scheme's weights
    evidence = result.evidence
    assert evidence["closure_rate.den"] == sorted([c1.number, c2.number, c3.number])
    assert evidence["rework_rate.den"] == sorted([c1.number, c2.number, c6.number])
    assert evidence["overdue_rate.den"] == sorted([c3.number, c4.number, c5.number, r1.number])
    assert evidence["relapse_rate.num"] == [r1.number]


def test_the_admin_sets_the_evidence_needed_to_be_ranked(admin_client):
    response = admin_client.post(
        reverse("admin:assessment_scheme_add"),
        _scheme_form(
            name="宽松方案",
            weights=[("closure_rate", 1)],
            min_cases_to_rank="5",
            inspection_required_to_rank="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Scheme.objects.get(name="宽松方案")
    assert (made.min_cases_to_rank, made.inspection_required_to_rank) == (5, False)
