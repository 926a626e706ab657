"""Each indicator's formula on hand-made data (docs/assessment.md), and its edge cases.

The period is ISO week 2026-W47 (Mon 16 – Sun 22 Nov 2026). Cases are made
directly with their events (`make_case` in conftest), so every figure below
can be checked by counting the cases in the test.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenxing.assessment.indicators import case_evidence, compute, units_of
from zhenxing.assessment.models import Indicator, UnitKind
from zhenxing.inspections.models import InspectionStatus

from .conftest import at

NOW = at(25, 10)  # Wednesday after the week


def by_key(results):
    return {r.unit.key: r for r in results}


def area(results, key="GC01-01-A"):
    return by_key(results)[key]


@pytest.fixture(autouse=True)
def _weights(scheme):
    scheme()


# --- closure and on-time closure ---------------------------------------------------------


def test_closure_and_on_time_rates_count_cases_due_in_the_period(world, make_case, week47):
    a1 = world.area_a1
    # Due in the week (deadlines Wed/Thu/Fri):
    on_time = make_case(
        a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 15),
    )
    late = make_case(
        a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(18),
        rectified=[at(19)],
        closed=at(20),
    )
    still_open = make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(20))
    # Not due: deadline next week; deferred before the end; rejected.
    make_case(a1, reported=at(19), dispatched=at(19, 13), deadline=at(24))
    make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(19),
        deferred=at(18),
    )
    make_case(a1, reported=at(17), rejected=at(17, 14))

    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    closure = values[Indicator.CLOSURE_RATE]
    assert (closure.num, closure.den) == (2, 3)
    assert closure.value == pytest.approx(0.6667)
    assert closure.score == pytest.approx(66.67)
    timely = values[Indicator.ON_TIME_RATE]
    assert (timely.num, timely.den) == (1, 3)
    assert timely.score == pytest.approx(33.33)

    evidence = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).evidence
    assert evidence["closure_rate.den"] == sorted([on_time.number, late.number, still_open.number])
    assert evidence["closure_rate.num"] == sorted([on_time.number, late.number])
    assert evidence["on_time_rate.num"] == [on_time.number]


def test_a_case_closed_early_for_a_deadline_in_the_period_counts_as_closed(
    world, make_case, week47
):
    # Deadline this week, closed the week before: due this week and closed before its end.
    make_case(
        world.area_a1,
        reported=at(10),
        dispatched=at(10, 13),
        deadline=at(17),
        rectified=[at(12)],
        closed=at(13),
    )
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    assert (values[Indicator.CLOSURE_RATE].num, values[Indicator.CLOSURE_RATE].den) == (1, 1)
    assert values[Indicator.ON_TIME_RATE].value == 1.0


def test_nothing_due_gives_no_closure_rate_not_zero_or_hundred(world, make_case, week47):
    # Open work whose deadline lies next week: nothing was due this week.
    make_case(world.area_a1, reported=at(18), dispatched=at(18, 13), deadline=at(26))
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    for indicator in (Indicator.CLOSURE_RATE, Indicator.ON_TIME_RATE):
        assert values[indicator].den == 0
        assert values[indicator].value is None
        assert values[indicator].score is None


def test_a_case_closed_after_the_end_was_not_closed_in_the_period(world, make_case, week47):
    # Due Wed of the week, overdue at its end, closed the Tuesday after.
    case = make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(24, 9)],
        closed=at(24, 11),
    )
    result = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    values = result.values
    assert (values[Indicator.CLOSURE_RATE].num, values[Indicator.CLOSURE_RATE].den) == (0, 1)
    assert (values[Indicator.OVERDUE_RATE].num, values[Indicator.OVERDUE_RATE].den) == (1, 1)
    assert result.evidence["overdue_rate.num"] == [case.number]
    # Rectified after the end: not handled in the week.
    assert values[Indicator.REWORK_RATE].den == 0


def test_a_deadline_cleared_by_a_send_back_after_the_end_still_counts(world, make_case, week47):
    # Overdue at the end of the week, then sent back (deadline cleared) and dispatched afresh.
    make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(19),
        sent_back=at(24, 9),
        redispatched=(at(24, 10), at(27), None),
    )
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    assert (values[Indicator.CLOSURE_RATE].num, values[Indicator.CLOSURE_RATE].den) == (0, 1)
    assert values[Indicator.OVERDUE_RATE].num == 1


def test_an_extension_within_the_period_moves_the_case_out_of_due(world, make_case, week47):
    make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(19),
        extended=(at(18), at(25)),
    )
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    assert values[Indicator.CLOSURE_RATE].den == 0
    assert (values[Indicator.OVERDUE_RATE].num, values[Indicator.OVERDUE_RATE].den) == (0, 1)


# --- overdue ----------------------------------------------------------------------------------


def test_everything_overdue(world, make_case, week47):
    for day in (17, 18, 19):
        make_case(world.area_a1, reported=at(day - 1), dispatched=at(day - 1, 13), deadline=at(day))
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)).values
    overdue = values[Indicator.OVERDUE_RATE]
    assert (overdue.num, overdue.den, overdue.value, overdue.score) == (3, 3, 1.0, 0.0)
    closure = values[Indicator.CLOSURE_RATE]
    assert (closure.num, closure.den, closure.value, closure.score) == (0, 3, 0.0, 0.0)


def test_overdue_rate_counts_open_cases_at_the_end_deferred_open_but_not_overdue(
    world, make_case, week47
):
    a1 = world.area_a1
    overdue = make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    in_rework = make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(19),
        rectified=[at(18)],
        failed=[at(18, 15)],
    )
    make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(25))  # open, not late
    make_case(a1, reported=at(20))  # reported, not yet accepted: open, no clock
    deferred = make_case(
        a1, reported=at(16), dispatched=at(16, 13), deadline=at(19), deferred=at(18)
    )
    make_case(
        a1, reported=at(16), dispatched=at(16, 13), deadline=at(18), rectified=[at(17)]
    )  # awaiting verification past its deadline: the handler's clock has stopped
    make_case(a1, reported=at(16), rejected=at(16, 15))  # finished: not open
    make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 16),
    )  # finished
    make_case(a1, reported=at(23, 9))  # reported after the end

    result = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    rate = result.values[Indicator.OVERDUE_RATE]
    assert (rate.num, rate.den) == (2, 6)
    assert rate.value == pytest.approx(0.3333)
    assert rate.score == pytest.approx(66.67)
    assert result.evidence["overdue_rate.num"] == sorted([overdue.number, in_rework.number])
    assert deferred.number in result.evidence["overdue_rate.den"]


def test_while_the_period_runs_overdue_is_taken_now(world, make_case, week47):
    # On Wednesday 18 Nov at 10:00 a case due Thursday is not yet overdue; one due Tuesday is.
    make_case(world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(19))
    make_case(world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(17))
    values = area(compute(period=week47, unit_kind=UnitKind.AREA, now=at(18, 10))).values
    assert (values[Indicator.OVERDUE_RATE].num, values[Indicator.OVERDUE_RATE].den) == (1, 2)


# --- rework ----------------------------------------------------------------------------------


def test_rework_rate_is_handled_cases_that_ever_failed_verification(world, make_case, week47):
    a1 = world.area_a1
    failed_before = make_case(
        a1,
        reported=at(9),
        dispatched=at(9, 13),
        deadline=at(20),
        rectified=[at(12), at(17)],
        failed=[at(13)],
        closed=at(18),
    )
    failed_within = make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(20),
        rectified=[at(17), at(19)],
        failed=[at(18)],
    )
    # Failed only after the end: not rework in this week.
    clean = make_case(
        a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(20),
        rectified=[at(18)],
        failed=[at(24)],
    )
    # Rectified the week before only: not handled this week.
    make_case(
        a1,
        reported=at(9),
        dispatched=at(9, 13),
        deadline=at(13),
        rectified=[at(12)],
        failed=[at(12, 15)],
    )
    result = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    rework = result.values[Indicator.REWORK_RATE]
    assert (rework.num, rework.den) == (2, 3)
    assert rework.score == pytest.approx(33.33)
    assert result.evidence["rework_rate.den"] == sorted(
        [failed_before.number, failed_within.number, clean.number]
    )


# --- relapse ---------------------------------------------------------------------------------


def test_relapse_rate_is_relapses_reported_over_cases_closed_in_the_period(
    world, make_case, week47
):
    a1 = world.area_a1
    origin = make_case(
        a1,
        reported=at(2),
        dispatched=at(2, 13),
        deadline=at(5),
        rectified=[at(4)],
        closed=at(4, 15),
    )
    for day in (17, 18):
        make_case(
            a1,
            reported=at(day - 1),
            dispatched=at(day - 1, 13),
            deadline=at(day + 1),
            rectified=[at(day)],
            closed=at(day, 15),
        )
    relapse = make_case(a1, reported=at(19), relapse_of=origin)
    make_case(a1, reported=at(12), relapse_of=origin)  # the week before
    make_case(a1, reported=at(20), rejected=at(20, 15), relapse_of=origin)  # no case at all
    result = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    rate = result.values[Indicator.RELAPSE_RATE]
    assert (rate.num, rate.den, rate.value, rate.score) == (1, 2, 0.5, 50.0)
    assert result.evidence["relapse_rate.num"] == [relapse.number]


def test_more_relapses_than_closures_scores_zero_and_none_closed_gives_no_rate(
    world, make_case, week47
):
    a1, a2 = world.area_a1, world.area_a2
    origin = make_case(a1, reported=at(2), dispatched=at(2, 13), deadline=at(5), closed=at(4))
    make_case(a1, reported=at(16), dispatched=at(16, 13), deadline=at(18), closed=at(17))
    for day in (17, 18, 19):
        make_case(a1, reported=at(day), relapse_of=origin)
    make_case(a2, reported=at(17), relapse_of=origin)
    results = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    rate = area(results).values[Indicator.RELAPSE_RATE]
    assert (rate.num, rate.den, rate.value, rate.score) == (3, 1, 3.0, 0.0)
    lone = area(results, "GC01-01-B").values[Indicator.RELAPSE_RATE]
    assert (lone.num, lone.den, lone.value, lone.score) == (1, 0, None, None)


# --- inspections -----------------------------------------------------------------------------


def test_inspection_score_is_the_mean_of_scored_inspections_in_the_period(
    world, make_inspection, week47
):
    a1 = world.area_a1
    kept = [make_inspection(a1, 17, 90), make_inspection(a1, 20, 80)]
    make_inspection(a1, 18, 10, status=InspectionStatus.VOID)
    make_inspection(a1, 19, None, status=InspectionStatus.PENDING)
    make_inspection(a1, 13, 20)  # the week before
    make_inspection(a1, 23, 20)  # the week after
    result = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    score = result.values[Indicator.INSPECTION_SCORE]
    assert (score.num, score.den, score.value, score.score) == (170.0, 2, 85.0, 85.0)
    assert result.evidence["inspection_score.den"] == sorted(i.pk for i in kept)


def test_a_unit_with_no_inspection_has_no_inspection_score_and_a_composite_from_the_rest(
    world, make_case, make_inspection, week47
):
    make_inspection(world.area_a1, 17, 60)
    make_case(
        world.area_a2,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 15),
    )
    results = compute(period=week47, unit_kind=UnitKind.AREA, now=NOW)
    a2 = area(results, "GC01-01-B")
    assert a2.values[Indicator.INSPECTION_SCORE].value is None
    assert a2.values[Indicator.INSPECTION_SCORE].den == 0
    # All weights 1: closure 100, on time 100, rework 0/1 → 100, overdue 0/0 → none,
    # relapse 0/1 → 100: the composite is the mean of the four present scores.
    assert a2.composite == 100
    a1 = area(results)
    assert a1.values[Indicator.INSPECTION_SCORE].score == 60.0
    assert a1.composite == 60


# --- roll-up: communities are the union of their areas -----------------------------------


def test_a_community_counts_the_union_of_its_areas_cases_not_an_average_of_rates(
    world, make_case, make_inspection, week47
):
    # 甲一: 1 due, closed (100 %). 甲二: 3 due, none closed (0 %). Mean of rates would be 50 %.
    make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        rectified=[at(17)],
        closed=at(17, 15),
    )
    for _i in range(3):
        make_case(world.area_a2, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    # Inspections: 甲一 90 and 80, 甲二 60 → community mean 76.67, not (85 + 60) / 2.
    make_inspection(world.area_a1, 17, 90)
    make_inspection(world.area_a1, 18, 80)
    make_inspection(world.area_a2, 18, 60)
    make_case(world.area_b1, reported=at(16), dispatched=at(16, 13), deadline=at(18))

    communities = by_key(compute(period=week47, unit_kind=UnitKind.COMMUNITY, now=NOW))
    a = communities["GC01"].values
    assert (a[Indicator.CLOSURE_RATE].num, a[Indicator.CLOSURE_RATE].den) == (1, 4)
    assert a[Indicator.CLOSURE_RATE].value == 0.25
    assert a[Indicator.INSPECTION_SCORE].value == pytest.approx(76.67)
    assert (a[Indicator.OVERDUE_RATE].num, a[Indicator.OVERDUE_RATE].den) == (3, 3)
    b = communities["GC02"].values
    assert (b[Indicator.CLOSURE_RATE].num, b[Indicator.CLOSURE_RATE].den) == (0, 1)
    assert b[Indicator.INSPECTION_SCORE].value is None


def test_paths_narrow_the_units_and_their_cases(world, make_case, week47):
    make_case(world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    make_case(world.area_b1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    results = compute(period=week47, unit_kind=UnitKind.AREA, paths=[world.a.path], now=NOW)
    assert [r.unit.key for r in results] == ["GC01-01-A", "GC01-01-B"]
    assert [u.key for u in units_of(UnitKind.COMMUNITY, [world.b.path])] == ["GC02"]


# --- departments -----------------------------------------------------------------------------


def test_department_units_count_the_cases_assigned_to_them(world, make_case, week47):
    from zhenxing.people.models import Department

    other = Department.objects.create(code="D02", name="水务所")
    dept = world.dept
    closed = make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        department=dept,
        rectified=[at(17)],
        closed=at(17, 15),
    )
    # Overdue at the end, sent back after it and dispatched to a community: still D01's week.
    late = make_case(
        world.area_b1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        department=dept,
        sent_back=at(24, 9),
        redispatched=(at(24, 10), at(27), None),
    )
    # A community's case and another department's case.
    make_case(world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    make_case(
        world.area_a2, reported=at(16), dispatched=at(16, 13), deadline=at(19), department=other
    )
    # A relapse of D01's earlier work, reported in the week (not yet assigned).
    origin = make_case(
        world.area_a2,
        reported=at(2),
        dispatched=at(2, 13),
        deadline=at(4),
        department=dept,
        rectified=[at(3)],
        closed=at(3, 15),
    )
    relapse = make_case(world.area_a2, reported=at(18), relapse_of=origin)

    results = by_key(compute(period=week47, unit_kind=UnitKind.DEPARTMENT, now=NOW))
    assert set(results) == {"D01", "D02"}
    d01 = results["D01"]
    assert d01.unit.path == ""
    assert d01.evidence["closure_rate.den"] == sorted([closed.number, late.number])
    assert d01.evidence["closure_rate.num"] == [closed.number]
    assert d01.evidence["overdue_rate.num"] == [late.number]
    assert d01.evidence["relapse_rate.num"] == [relapse.number]
    assert d01.values[Indicator.INSPECTION_SCORE].value is None
    assert d01.values[Indicator.INSPECTION_SCORE].den is None
    d02 = results["D02"].values
    assert (d02[Indicator.CLOSURE_RATE].num, d02[Indicator.CLOSURE_RATE].den) == (0, 1)


def test_the_evidence_to_be_ranked_is_the_distinct_cases_in_the_denominators(
    world, make_case, make_inspection, week47
):
    dept = world.dept
    closed = make_case(
        world.area_a1,
        reported=at(16),
        dispatched=at(16, 13),
        deadline=at(18),
        department=dept,
        rectified=[at(17)],
        closed=at(17, 15),
    )
    still_open = make_case(
        world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(26), department=dept
    )
    # A relapse of D01's earlier work: in D01's relapse numerator, in no denominator of D01's.
    origin = make_case(
        world.area_a2,
        reported=at(2),
        dispatched=at(2, 13),
        deadline=at(4),
        department=dept,
        rectified=[at(3)],
        closed=at(3, 15),
    )
    relapse = make_case(world.area_a2, reported=at(18), relapse_of=origin)
    make_inspection(world.area_a1, 17, 90)

    d01 = by_key(compute(period=week47, unit_kind=UnitKind.DEPARTMENT, now=NOW))["D01"]
    assert d01.evidence["relapse_rate.num"] == [relapse.number]
    assert case_evidence(d01.evidence) == {closed.number, still_open.number}
    # Two cases (the closed one sits in four denominators) are fewer than the default three.
    assert (d01.rank, d01.insufficient, d01.shortfall) == (None, True, ["few_cases"])
    assert d01.evidence["rank.shortfall"] == ["few_cases"]
    assert d01.composite is not None

    # An inspection id is not a case: 甲一 counts its own cases only (the relapse is 甲二's).
    a1 = area(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))
    assert case_evidence(a1.evidence) == {closed.number, still_open.number}
    assert (a1.rank, a1.insufficient) == (1, False)


def test_participation_has_no_data_yet(world, make_case, week47):
    make_case(world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(18))
    for result in compute(period=week47, unit_kind=UnitKind.COMMUNITY, now=NOW):
        value = result.values[Indicator.PARTICIPATION]
        assert (value.num, value.den, value.value, value.score) == (None, None, None, None)


# --- efficiency ------------------------------------------------------------------------------


def _extra_units(world, count):
    """`count` more communities, each with one area, and `count` more departments."""
    from zhenxing.people.models import Department
    from zhenxing.territory.services import region_create

    areas = []
    for i in range(count):
        community = region_create(
            code=f"GC9{i:02d}", name=f"社区{i}", parent=world.root, actor=None
        )
        coop = region_create(code=f"GC9{i:02d}-01", name=f"经济社{i}", parent=community, actor=None)
        areas.append(
            region_create(code=f"GC9{i:02d}-01-A", name=f"片区{i}", parent=coop, actor=None)
        )
    departments = Department.objects.bulk_create(
        Department(code=f"D9{i:02d}", name=f"部门{i}") for i in range(count)
    )
    return areas, departments


def _fill(areas, departments, make_case, make_inspection):
    """Per area: a case closed or reworked, an open one, a department's relapse, an inspection."""
    for index, (region, department) in enumerate(zip(areas, departments, strict=False)):
        origin = make_case(
            region,
            reported=at(16),
            dispatched=at(16, 13),
            deadline=at(18),
            department=department,
            rectified=[at(17)],
            failed=[at(17, 14)] if index % 2 else (),
            closed=None if index % 2 else at(17, 15),
        )
        make_case(region, reported=at(18), dispatched=at(18, 13), deadline=at(19))
        make_case(region, reported=at(19), relapse_of=origin)
        make_inspection(region, 17, 80 + index % 5)


@pytest.mark.parametrize("unit_kind", [UnitKind.AREA, UnitKind.COMMUNITY, UnitKind.DEPARTMENT])
def test_compute_runs_a_bounded_number_of_queries_whatever_the_number_of_units(
    world, make_case, make_inspection, week47, unit_kind, django_assert_max_num_queries
):
    # 2 units of each kind (plus 乙一片区 for areas) …
    _fill([world.area_a1, world.area_b1], [world.dept, world.dept], make_case, make_inspection)
    with CaptureQueriesContext(connection) as few, django_assert_max_num_queries(7):
        small = compute(period=week47, unit_kind=unit_kind, now=NOW)
    # … then 20.
    _fill(*_extra_units(world, 18), make_case, make_inspection)
    with CaptureQueriesContext(connection) as many, django_assert_max_num_queries(7):
        large = compute(period=week47, unit_kind=unit_kind, now=NOW)

    assert len(many.captured_queries) == len(few.captured_queries)
    sizes = {UnitKind.AREA: (3, 21), UnitKind.COMMUNITY: (2, 20), UnitKind.DEPARTMENT: (1, 19)}
    assert (len(small), len(large)) == sizes[unit_kind]
    # The figures were really computed for the new units too.
    assert all(r.composite is not None for r in large if r.unit.key != "GC01-01-B")
