"""Today's board (plans.selectors.today_board) on hand-made data.

The `plan` fixture's week W (Monday 2026-11-23) has, in 社区甲:
清理垃圾 甲一 target 10, done 3 (Mon) + 4 on its street (Tue); 甲二 target 20,
done 25 (Wed); 拆除违建 甲一 target 100, done 50 (Tue).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from zhenxing.people.models import WorkTeam
from zhenxing.plans.models import ArrangementStatus
from zhenxing.plans.selectors import today_board
from zhenxing.plans.tests.conftest import TODAY, WEEK, make_arrangement, make_report

TUESDAY = WEEK + datetime.timedelta(days=1)


@pytest.fixture
def arranged(plan, world):
    w = world
    idle = WorkTeam.objects.create(name="甲二队", region=w.a)
    a = {
        "street": make_arrangement(
            plan.street,
            plan.clean,
            TODAY,
            team=plan.team_a,
            people=[w.team_leader_a],
            people_names="张三",
            planned_quantity=Decimal("2"),
        ),
        "cancelled_today": make_arrangement(
            w.area_a1, plan.clean, TODAY, team=plan.team_a, status=ArrangementStatus.CANCELLED
        ),
        "no_team": make_arrangement(w.area_a2, plan.demolish, TODAY),
        "other_community": make_arrangement(w.area_b1, plan.clean, TODAY, team=plan.team_b),
        "late": make_arrangement(w.area_a1, plan.demolish, TUESDAY, team=plan.team_a),
        "late_earlier": make_arrangement(w.area_a2, plan.clean, WEEK),
        "done": make_arrangement(
            w.area_a1, plan.clean, WEEK, team=plan.team_a, status=ArrangementStatus.DONE
        ),
        "cancelled": make_arrangement(
            w.area_a1, plan.clean, TUESDAY, status=ArrangementStatus.CANCELLED
        ),
        "late_elsewhere": make_arrangement(w.area_b1, plan.clean, TUESDAY),
        "tomorrow": make_arrangement(
            w.area_a1, plan.clean, TODAY + datetime.timedelta(days=1), team=plan.team_a
        ),
    }
    make_report(plan.street, plan.clean, TODAY, "1.5", arrangement=a["street"], team=plan.team_a)
    make_report(plan.street, plan.clean, TODAY, "0.5", arrangement=a["street"], team=plan.team_a)
    a["idle"] = idle
    return a


def test_each_team_sees_what_it_is_arranged_to_do_today(plan, world, arranged):
    board = today_board(user=world.secretary_a, community=world.a, day=TODAY)
    assert board["community"] == world.a and board["week"] == WEEK
    groups = [(g["team"], [a.pk for a in g["arrangements"]]) for g in board["teams"]]
    assert groups == [
        (arranged["idle"], []),  # 甲二队: nothing today
        (plan.team_a, [arranged["cancelled_today"].pk, arranged["street"].pk]),
        (None, [arranged["no_team"].pk]),
    ]
    street = board["teams"][1]["arrangements"][1]
    assert street.reported == Decimal("2.00")
    assert [p.username for p in street.people.all()] == ["lead_a"]
    assert street.region == plan.street and street.planned_quantity == Decimal("2")
    assert board["teams"][1]["arrangements"][0].reported == 0


def test_late_is_what_was_planned_before_today_and_neither_done_nor_cancelled(
    plan, world, arranged
):
    board = today_board(user=world.secretary_a, community=world.a, day=TODAY)
    assert [a.pk for a in board["late"]] == [arranged["late_earlier"].pk, arranged["late"].pk]
    # Seen from Tuesday, only Monday's is late.
    tuesday = today_board(user=world.secretary_a, community=world.a, day=TUESDAY)
    assert [a.pk for a in tuesday["late"]] == [arranged["late_earlier"].pk]


def test_areas_behind_this_weeks_pace(plan, world):
    # Thursday: 4 of 7 days gone. 拆除违建 甲一 expects 57.14 and has 50: behind.
    # 清理垃圾 甲一 (expects 5.71, has 7) and 甲二 (11.43, has 25) keep pace.
    board = today_board(user=world.secretary_a, community=world.a, day=TODAY)
    assert [
        (b["area"].code, b["task_type"].code, b["target"], b["actual"], b["expected"])
        for b in board["behind"]
    ] == [("GC01-01-A", "CC", Decimal("100"), Decimal("50"), Decimal("57.14"))]
    assert board["behind"][0]["completion"] == 50.0
    # Tuesday: the reports of Wednesday do not count yet; 甲二 has 0 of 5.71 expected.
    tuesday = today_board(user=world.secretary_a, community=world.a, day=TUESDAY)
    assert [(b["area"].code, b["task_type"].code, b["expected"]) for b in tuesday["behind"]] == [
        ("GC01-01-B", "QL", Decimal("5.71"))
    ]
    # Monday: 1/7 expected; 甲一 has 3 of 1.43 for 清理垃圾, nothing of 14.29 for 拆除违建.
    monday = today_board(user=world.secretary_a, community=world.a, day=WEEK)
    assert [(b["area"].code, b["task_type"].code, b["actual"]) for b in monday["behind"]] == [
        ("GC01-01-A", "CC", Decimal("0")),
        ("GC01-01-B", "QL", Decimal("0")),
    ]


def test_a_street_report_counts_for_its_areas_pace(plan, world):
    # Sunday: the whole target is due. 清理垃圾 甲一 has 7 of 10, and 3 more on its street.
    sunday = WEEK + datetime.timedelta(days=6)
    board = today_board(user=world.secretary_a, community=world.a, day=sunday)
    assert ("GC01-01-A", "QL") in [(b["area"].code, b["task_type"].code) for b in board["behind"]]
    make_report(plan.street, plan.clean, sunday, 3)
    board = today_board(user=world.secretary_a, community=world.a, day=sunday)
    assert ("GC01-01-A", "QL") not in [
        (b["area"].code, b["task_type"].code) for b in board["behind"]
    ]


def test_a_closed_campaign_is_never_behind(plan, world):
    from zhenxing.plans.tests.conftest import make_target

    make_target(world.area_a1, plan.toilets, WEEK, 50)
    board = today_board(user=world.secretary_a, community=world.a, day=TODAY)
    assert all(b["task_type"] != plan.toilets for b in board["behind"])


def test_the_board_shows_nothing_outside_the_viewers_scope(plan, world, arranged):
    board = today_board(user=world.outsider, community=world.a, day=TODAY)
    assert board["teams"] == [] and board["late"] == [] and board["behind"] == []
    theirs = today_board(user=world.outsider, community=world.b, day=TODAY)
    assert [(g["team"], len(g["arrangements"])) for g in theirs["teams"]] == [(plan.team_b, 1)]
    assert [a.pk for a in theirs["late"]] == [arranged["late_elsewhere"].pk]


def test_the_board_takes_a_bounded_number_of_queries(
    plan, world, arranged, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        board = today_board(user=world.team_leader_a, community=world.a, day=TODAY)
        for group in board["teams"]:
            for a in group["arrangements"]:
                list(a.people.all())
                str(a.region), str(a.task_type), a.reported
        for a in board["late"]:
            str(a.region), str(a.team)
        for b in board["behind"]:
            str(b["area"]), str(b["task_type"])
