"""The one roll-up rule (plans.selectors.rollup): street → area → cooperative → community → root.

The figures of the `plan` fixture are laid out in tests/conftest.py.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from zhenxing.plans.selectors import (
    LEVELS,
    Progress,
    completion_of,
    levels,
    rollup,
    rollup_weeks,
    week_options,
)
from zhenxing.plans.tests.conftest import PREV, WEEK, make_report, make_target

GC, GC01, GC02 = "GC/", "GC/GC01/", "GC/GC02/"
COOP_A, COOP_B = "GC/GC01/GC01-01/", "GC/GC02/GC02-01/"
A1, A2, B1 = COOP_A + "GC01-01-A/", COOP_A + "GC01-01-B/", COOP_B + "GC02-01-A/"
STREET = A1 + "GC01-01-A-01/"


def figures(result: dict[str, Progress]) -> dict[str, tuple[Decimal, Decimal, float | None]]:
    return {path: (p.target, p.actual, p.completion) for path, p in result.items()}


def test_every_level_of_one_task_in_one_week(plan):
    assert figures(rollup(task_type=plan.clean, week=WEEK, paths=None)) == {
        STREET: (0, 4, None),  # a street has no target of its own
        A1: (10, 7, 70.0),  # 3 on the area + 4 on its street
        A2: (20, 25, 125.0),
        B1: (5, 0, 0.0),
        COOP_A: (30, 32, 106.7),
        COOP_B: (5, 0, 0.0),
        GC01: (30, 32, 106.7),
        GC02: (5, 0, 0.0),
        GC: (35, 32, 91.4),
    }


def test_task_types_are_kept_apart(plan):
    assert figures(rollup(task_type=plan.demolish, week=WEEK, paths=None)) == {
        A1: (100, 50, 50.0),
        COOP_A: (100, 50, 50.0),
        GC01: (100, 50, 50.0),
        GC: (100, 50, 50.0),
    }
    assert rollup(task_type=plan.toilets, week=WEEK, paths=None) == {}


def test_weeks_are_kept_apart_and_any_day_names_its_week(plan):
    # Reports on Sunday 11-22 belong to PREV, on Monday 11-30 to the week after WEEK.
    make_report(plan.world.area_a1, plan.clean, datetime.date(2026, 11, 22), 1)
    make_report(plan.world.area_a1, plan.clean, datetime.date(2026, 11, 30), 2)
    previous = rollup(task_type=plan.clean, week=PREV + datetime.timedelta(days=4), paths=None)
    assert figures(previous)[A1] == (8, 9, 112.5)
    assert figures(previous)[GC] == (8, 9, 112.5)
    this = rollup(task_type=plan.clean, week=WEEK + datetime.timedelta(days=6), paths=None)
    assert figures(this)[A1] == (10, 7, 70.0)
    after = rollup(task_type=plan.clean, week=datetime.date(2026, 11, 30), paths=None)
    assert figures(after) == {
        A1: (0, 2, None),
        COOP_A: (0, 2, None),
        GC01: (0, 2, None),
        GC: (0, 2, None),
    }


def test_a_scope_keeps_only_the_regions_under_it(plan):
    # 社区甲's view: its own regions, never the subdistrict (which would show only part of it).
    mine = figures(rollup(task_type=plan.clean, week=WEEK, paths=[GC01]))
    assert set(mine) == {STREET, A1, A2, COOP_A, GC01}
    assert mine[GC01] == (30, 32, 106.7)
    # One area only.
    assert figures(rollup(task_type=plan.clean, week=WEEK, paths=[A1])) == {
        STREET: (0, 4, None),
        A1: (10, 7, 70.0),
    }
    # Two areas in different communities.
    both = figures(rollup(task_type=plan.clean, week=WEEK, paths=[A2, B1]))
    assert both == {A2: (20, 25, 125.0), B1: (5, 0, 0.0)}
    assert rollup(task_type=plan.clean, week=WEEK, paths=[]) == {}


def test_hand_made_sums_on_a_second_street_and_a_second_cooperative(plan):
    from zhenxing.territory.services import region_create

    w = plan.world
    street2 = region_create(code="GC01-01-A-02", name="甲一片区二巷", parent=w.area_a1, actor=None)
    coop2 = region_create(code="GC01-02", name="甲二经济社", parent=w.a, actor=None)
    area_c = region_create(code="GC01-02-A", name="甲三片区", parent=coop2, actor=None)
    make_report(street2, plan.clean, WEEK + datetime.timedelta(days=3), "1.5")
    make_target(area_c, plan.clean, WEEK, "2.25")
    make_report(area_c, plan.clean, WEEK, "0.75")
    got = figures(rollup(task_type=plan.clean, week=WEEK, paths=None))
    assert got[street2.path] == (0, Decimal("1.5"), None)
    assert got[STREET] == (0, 4, None)
    assert got[A1] == (10, Decimal("8.5"), 85.0)
    assert got[COOP_A] == (30, Decimal("33.5"), 111.7)
    assert got[area_c.path] == got[coop2.path] == (Decimal("2.25"), Decimal("0.75"), 33.3)
    assert got[GC01] == (Decimal("32.25"), Decimal("34.25"), 106.2)
    assert got[GC] == (Decimal("37.25"), Decimal("34.25"), 91.9)
    # The parts always add up to the whole.
    assert got[GC][0] == got[GC01][0] + got[GC02][0]
    assert got[GC][1] == got[GC01][1] + got[GC02][1]
    assert got[GC01][1] == got[COOP_A][1] + got[coop2.path][1]


def test_the_rollup_takes_two_queries_however_many_weeks(plan, django_assert_num_queries):
    with django_assert_num_queries(2):
        rollup(task_type=plan.clean, week=WEEK, paths=[GC01, GC02])
    with django_assert_num_queries(2):
        weeks = rollup_weeks(task_type=plan.clean, weeks=[WEEK, PREV, WEEK], paths=None)
    assert list(weeks) == [PREV, WEEK]
    assert weeks[WEEK] == rollup(task_type=plan.clean, week=WEEK, paths=None)
    assert figures(weeks[PREV]) == {
        A1: (8, 8, 100.0),
        COOP_A: (8, 8, 100.0),
        GC01: (8, 8, 100.0),
        GC: (8, 8, 100.0),
    }


def test_completion_is_a_percentage_without_a_zero_target():
    assert completion_of(Decimal("3"), Decimal("1")) == 33.3
    assert completion_of(Decimal("3"), Decimal("2")) == 66.7
    assert completion_of(Decimal("0"), Decimal("5")) is None
    assert completion_of(None, Decimal("5")) is None
    assert completion_of(Decimal("4"), Decimal("0")) == 0.0


def test_the_levels_follow_the_configured_area_depth(db):
    assert LEVELS == {"subdistrict": 1, "community": 2, "cooperative": 3, "area": 4, "street": 5}
    assert levels()["area"] == 4 and levels()["street"] == 5


def test_week_options_run_from_the_campaign_start_to_next_week(plan):
    weeks = week_options(plan.campaign, datetime.date(2026, 11, 26))
    assert weeks == [
        datetime.date(2026, 11, 2),
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 16),
        datetime.date(2026, 11, 23),
        datetime.date(2026, 11, 30),
    ]
    # After the campaign: up to its last week; before it: its first week.
    assert week_options(plan.campaign, datetime.date(2027, 6, 1))[-1] == datetime.date(2027, 1, 25)
    assert week_options(plan.campaign, datetime.date(2026, 1, 1)) == [datetime.date(2026, 11, 2)]
