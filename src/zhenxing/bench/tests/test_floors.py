"""Each floor returns the same numbers as the endpoint it is timed beside (PostgreSQL only:
the floors are PostgreSQL SQL, as the bench runs there).

A small world: two areas of 社区甲 and one of 社区乙, a campaign with two task
types and their targets and reports in week 2026-11-23, cases filed through the
services (one rejected), and a closed week with its snapshots.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from zhenxing.bench import floors

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the floors are PostgreSQL SQL"
)

WEEK = datetime.date(2026, 11, 23)
# Thursday of that week, 10:00 in Guicheng.
NOW = datetime.datetime(2026, 11, 26, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def bench_world(world, time_machine):
    from zhenxing.cases import services as cases
    from zhenxing.cases.models import Category
    from zhenxing.plans.models import Campaign, ProgressReport, TaskType, Unit, WeeklyTarget
    from zhenxing.territory.services import region_create

    time_machine.move_to(NOW, tick=False)
    campaign = Campaign.objects.create(
        code="SQSC", name="三清三拆三整治", start=datetime.date(2026, 11, 2), order=1
    )
    clean = TaskType.objects.create(
        campaign=campaign, code="QL", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    demolish = TaskType.objects.create(
        campaign=campaign, code="CC", name="拆除违建", unit=Unit.SQUARE_METRE, order=2
    )
    street = region_create(code="GC01-01-A-01", name="一巷", parent=world.area_a1, actor=None)

    def target(area, task_type, quantity, week=WEEK):
        WeeklyTarget.objects.create(
            area=area,
            region_path=area.path,
            task_type=task_type,
            week=week,
            quantity=Decimal(quantity),
        )

    def report(region, task_type, day, quantity):
        ProgressReport.objects.create(
            date=datetime.date(2026, 11, day),
            region=region,
            region_path=region.path,
            task_type=task_type,
            quantity=Decimal(quantity),
        )

    # 甲一: 清理 7/10 = 70 %, 拆除 50/100 = 50 % → mean 60; 甲二: 清理 25/20 capped 100;
    # 乙一: 清理 0/3 = 0 %; reports of the week before do not count.
    target(world.area_a1, clean, "10")
    target(world.area_a1, demolish, "100")
    target(world.area_a2, clean, "20")
    target(world.area_b1, clean, "3")
    target(world.area_a1, clean, "8", week=WEEK - datetime.timedelta(days=7))
    report(world.area_a1, clean, 23, "3")
    report(street, clean, 24, "4")
    report(world.area_a1, demolish, 24, "50")
    report(world.area_a2, clean, 25, "25")
    report(world.area_a1, clean, 17, "8")

    main = Category.objects.create(code="HJ", name="环境卫生")
    category = Category.objects.create(parent=main, code="HJ01", name="暴露垃圾")
    filed = []
    for lng, lat in ((113.105, 23.005), (113.106, 23.004), (113.115, 23.005), (113.125, 23.005)):
        filed.append(
            cases.case_report(
                actor=world.admin,
                category=category,
                source="office",
                description="垃圾",
                lat=lat,
                lng=lng,
            )
        )
        time_machine.move_to(NOW + datetime.timedelta(minutes=len(filed)), tick=False)
    cases.case_reject(case=filed[1], actor=world.admin, reason="重复")
    # The pages read the cases as they stand after the last event (strictly before "now").
    time_machine.move_to(NOW + datetime.timedelta(hours=1), tick=False)
    world.campaign = campaign
    world.cases = filed
    return world


@postgres_only
def test_battle_map_completion_floor_matches_the_map_data(bench_world, client_for):
    w = bench_world
    answer = client_for(w.admin).get(
        "/plans/map/data.json",
        {"campaign": "SQSC", "week": WEEK.isoformat(), "measure": "completion"},
    )
    assert answer.status_code == 200
    with connection.cursor() as cursor:
        rows = floors.battle_map_completion(
            cursor,
            depth=4,
            paths=None,
            task_type_ids=list(w.campaign.task_types.values_list("pk", flat=True)),
            monday=WEEK,
        )
    values = floors.normalise_completion(rows)
    assert values == answer.json()["values"]
    assert values == {"GC01-01-A": 60.0, "GC01-01-B": 100.0, "GC02-01-A": 0.0}


@postgres_only
def test_battle_map_completion_floor_keeps_to_the_scope(bench_world):
    from zhenxing.people.scopes import scope_paths
    from zhenxing.plans.selectors import battle_map_measures

    w = bench_world
    paths = scope_paths(w.secretary_a)
    with connection.cursor() as cursor:
        rows = floors.battle_map_completion(
            cursor,
            depth=4,
            paths=paths,
            task_type_ids=list(w.campaign.task_types.values_list("pk", flat=True)),
            monday=WEEK,
        )
    expected = battle_map_measures(
        user=w.secretary_a, measure="completion", week=WEEK, campaign=w.campaign
    )
    assert floors.normalise_completion(rows) == {
        k: None if v is None else round(v, 0) for k, v in expected.items()
    }
    assert set(expected) == {"GC01-01-A", "GC01-01-B"}


@postgres_only
def test_battle_map_open_floor_matches_the_map_data(bench_world, client_for):
    w = bench_world
    answer = client_for(w.admin).get(
        "/plans/map/data.json", {"campaign": "SQSC", "week": WEEK.isoformat(), "measure": "open"}
    )
    with connection.cursor() as cursor:
        rows = floors.battle_map_open(cursor, depth=4, paths=None)
    counts = floors.normalise_counts(rows)
    assert counts == answer.json()["values"]
    # One of 甲一's two cases was rejected.
    assert counts == {"GC01-01-A": 1, "GC01-01-B": 1, "GC02-01-A": 1}


@postgres_only
@pytest.mark.parametrize("who", ["admin", "secretary_a"])
def test_case_list_floor_matches_the_api(bench_world, client_for, who):
    from zhenxing.people.scopes import scope_paths

    user = getattr(bench_world, who)
    answer = client_for(user).get("/api/v1/cases", {"limit": 2})
    assert answer.status_code == 200
    with connection.cursor() as cursor:
        rows = floors.case_list(cursor, paths=scope_paths(user), limit=2)
    listed = floors.normalise_case_list(rows)
    data = answer.json()
    assert listed == {"count": data["count"], "numbers": [i["number"] for i in data["items"]]}
    assert listed["count"] == (4 if who == "admin" else 3)


@postgres_only
def test_case_list_floor_of_an_empty_scope_counts_nothing(bench_world):
    with connection.cursor() as cursor:
        rows = floors.case_list(cursor, paths=["NOWHERE/"])
    assert floors.normalise_case_list(rows) == {"count": 0, "numbers": []}


@postgres_only
def test_ranking_floor_matches_the_snapshots_the_page_reads(bench_world, time_machine):
    from zhenxing.assessment import indicators
    from zhenxing.assessment.models import PeriodKind, UnitKind
    from zhenxing.assessment.services import period_close, period_for

    period = period_for(kind=PeriodKind.WEEK, day=WEEK)
    time_machine.move_to(NOW + datetime.timedelta(days=5), tick=False)
    period_close(period=period, actor=bench_world.admin)
    period.refresh_from_db()
    periods, series = indicators.trend(
        unit_kind=UnitKind.COMMUNITY, period_kind="week", last_start=WEEK, count=8
    )
    ranked = indicators.ranking(period=period, unit_kind=UnitKind.COMMUNITY)
    with connection.cursor() as cursor:
        rows = floors.ranking(
            cursor, period_kind="week", starts=[p.start for p in periods], unit_kind="community"
        )
    got = floors.normalise_ranking(rows)
    assert got["ranking"] == [(r.unit.key, r.composite, r.rank) for r in ranked]
    assert {r.unit.key for r in ranked} == {"GC01", "GC02"}
    # Only the closed week has snapshots: the floor's trend is its last point.
    assert got["trend"] == {key: [line[-1]] for key, line in series.items()}


def test_like_prefix_takes_codes_literally():
    assert floors.like_prefix("GC/A_1%/") == "GC/A\\_1\\%/%"
    assert floors.scope_sql("path", None) == ("TRUE", [])
    assert floors.scope_sql("path", []) == ("FALSE", [])
