"""The battle map's measures (plans.selectors.battle_map_measures), area by area.

Week W is 2026-11-23 .. 2026-11-29; its end is Monday 2026-11-30 00:00 in
Guicheng. The clock stands at 2026-12-10 unless a test says otherwise, so
week W is over and "the end of the week" is that Monday midnight.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from zhenxing.cases.models import (
    CLOCK_STATES,
    FINAL_STATES,
    Case,
    CaseEvent,
    Category,
    EventKind,
    Source,
    Status,
)
from zhenxing.inspections.models import (
    Inspection,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    TemplateStatus,
)
from zhenxing.plans.selectors import MEASURES, battle_map_measures
from zhenxing.plans.tests.conftest import PREV, WEEK, make_report, make_target
from zhenxing.territory.models import PATH_SEP, Region

TZ = timezone.get_default_timezone()
LATER = datetime.datetime(2026, 12, 10, 10, 0, tzinfo=TZ)
_numbers = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour), TZ)


@pytest.fixture
def later(time_machine):
    time_machine.move_to(LATER, tick=False)
    return LATER


@pytest.fixture
def category(db):
    return Category.objects.create(code="HJ01", name="暴露垃圾")


def case(area, category, reported, *, status=Status.REPORTED, deadline=None, **kw):
    """A case written directly; with `events` [(kind, to_status, at, data)] it is replayed."""
    events = kw.pop("events", ())
    row = Case.objects.create(
        number=f"T{next(_numbers):05d}",
        category=category,
        source=Source.RESIDENT,
        status=status,
        description="测试",
        lat=23.005,
        lng=113.105,
        region=area,
        region_path=area.path,
        reported_at=reported,
        deadline=deadline,
        **kw,
    )
    for kind, to_status, when, data in events:
        CaseEvent.objects.create(case=row, kind=kind, to_status=to_status, at=when, data=data)
    return row


def inspection(area, day, score, *, released=True, status=InspectionStatus.SUBMITTED):
    template = InspectionTemplate.objects.get_or_create(
        code="GEN", version=1, defaults={"name": "通用表", "status": TemplateStatus.ACTIVE}
    )[0]
    round_ = InspectionRound.objects.create(date=day, scope=area)
    return Inspection.objects.create(
        round=round_,
        area=area,
        area_path=area.path,
        date=day,
        template=template,
        status=status,
        score=Decimal(str(score)) if score is not None else None,
        inspected_at=datetime.datetime.combine(day, datetime.time(9), TZ),
        released_at=timezone.now() if released else None,
    )


def test_the_measures_are_listed_in_display_order():
    assert [key for key, _label in MEASURES] == [
        "completion",
        "inspection",
        "open",
        "overdue",
        "relapses",
    ]


def test_an_unknown_measure_is_an_error(plan, world):
    with pytest.raises(ValueError):
        battle_map_measures(user=world.admin, measure="beauty", week=WEEK)


# --- completion -------------------------------------------------------------------------


def test_completion_of_one_task_type(plan, world):
    values = battle_map_measures(
        user=world.admin, measure="completion", week=WEEK, task_type=plan.clean
    )
    assert values == {"GC01-01-A": 70.0, "GC01-01-B": 125.0, "GC02-01-A": 0.0}
    # Any day of the week names it; the demolition has a target in 甲一 only.
    values = battle_map_measures(
        user=world.admin,
        measure="completion",
        week=WEEK + datetime.timedelta(days=5),
        task_type=plan.demolish,
    )
    assert values == {"GC01-01-A": 50.0, "GC01-01-B": None, "GC02-01-A": None}


def test_completion_over_the_campaign_is_the_mean_of_capped_task_completions(plan, world):
    values = battle_map_measures(
        user=world.admin, measure="completion", week=WEEK, campaign=plan.campaign
    )
    # 甲一: (70 + 50) / 2; 甲二: 125 capped at 100 (one task cannot hide another).
    assert values == {"GC01-01-A": 60.0, "GC01-01-B": 100.0, "GC02-01-A": 0.0}
    # Without a campaign: every active campaign (the closed 厕所革命 has no say).
    make_target(world.area_b1, plan.toilets, WEEK, 10)
    assert battle_map_measures(user=world.admin, measure="completion", week=WEEK) == values


def test_completion_is_none_without_a_target(plan, world):
    from zhenxing.territory.services import region_create

    region_create(code="GC01-01-C", name="甲三片区", parent=world.coop_a, actor=None)
    make_report(Region.objects.get(code="GC01-01-C"), plan.clean, WEEK, 3)
    make_target(world.area_a2, plan.clean, PREV, 0)  # a target of zero: nothing to complete
    values = battle_map_measures(
        user=world.admin, measure="completion", week=WEEK, task_type=plan.clean
    )
    assert values["GC01-01-C"] is None
    previous = battle_map_measures(
        user=world.admin, measure="completion", week=PREV, task_type=plan.clean
    )
    assert previous == {
        "GC01-01-A": 100.0,
        "GC01-01-B": None,
        "GC01-01-C": None,
        "GC02-01-A": None,
    }


def test_completion_shows_only_the_viewers_areas(plan, world):
    mine = battle_map_measures(
        user=world.secretary_a, measure="completion", week=WEEK, task_type=plan.clean
    )
    assert mine == {"GC01-01-A": 70.0, "GC01-01-B": 125.0}
    theirs = battle_map_measures(
        user=world.outsider, measure="completion", week=WEEK, task_type=plan.clean
    )
    assert theirs == {"GC02-01-A": 0.0}
    assert battle_map_measures(user=world.nobody, measure="completion", week=WEEK) == {}


# --- inspection scores -------------------------------------------------------------------


def test_the_latest_scored_inspection_up_to_the_weeks_end(plan, world, later):
    inspection(world.area_a1, datetime.date(2026, 11, 10), 80)
    inspection(world.area_a1, datetime.date(2026, 11, 26), 92.5)
    inspection(world.area_a1, datetime.date(2026, 12, 1), 60)  # after week W
    inspection(world.area_a2, datetime.date(2026, 11, 27), None, status=InspectionStatus.PENDING)
    inspection(world.area_a2, datetime.date(2026, 11, 20), 70, status=InspectionStatus.VOID)
    values = battle_map_measures(user=world.admin, measure="inspection", week=WEEK)
    assert values == {"GC01-01-A": 92.5, "GC01-01-B": None, "GC02-01-A": None}
    values = battle_map_measures(user=world.admin, measure="inspection", week=PREV)
    assert values["GC01-01-A"] == 80.0
    this_week = battle_map_measures(user=world.admin, measure="inspection", week=LATER.date())
    assert this_week["GC01-01-A"] == 60.0


def test_an_embargoed_score_counts_for_the_admin_only(plan, world, later):
    inspection(world.area_a1, datetime.date(2026, 11, 10), 80)  # released
    inspection(world.area_a1, datetime.date(2026, 11, 26), 55, released=False)  # under embargo
    inspection(world.area_b1, datetime.date(2026, 11, 26), 88, released=False)
    admin = battle_map_measures(user=world.admin, measure="inspection", week=WEEK)
    assert admin == {"GC01-01-A": 55.0, "GC01-01-B": None, "GC02-01-A": 88.0}
    secretary = battle_map_measures(user=world.secretary_a, measure="inspection", week=WEEK)
    assert secretary == {"GC01-01-A": 80.0, "GC01-01-B": None}
    # The inspector of 社区甲 sees their own community's results early, not 社区乙's.
    inspector = battle_map_measures(user=world.inspector_a, measure="inspection", week=WEEK)
    assert inspector == {"GC01-01-A": 55.0, "GC01-01-B": None}
    assert battle_map_measures(user=world.outsider, measure="inspection", week=WEEK) == {
        "GC02-01-A": None
    }


# --- cases ----------------------------------------------------------------------------------


@pytest.fixture
def cases(world, category):
    """Cases in 甲一 and 乙一 around week W (ends 2026-11-30 00:00)."""
    return {
        # Open all along, dispatched, deadline 11-25: overdue at W's end.
        "overdue": case(
            world.area_a1,
            category,
            at("2026-11-20"),
            status=Status.DISPATCHED,
            deadline=at("2026-11-25", 18),
        ),
        # Dispatched, deadline 12-03: open but not yet overdue at W's end (overdue now).
        "due_later": case(
            world.area_a1,
            category,
            at("2026-11-24"),
            status=Status.DISPATCHED,
            deadline=at("2026-12-03", 18),
        ),
        # Overdue during W, closed on 12-02: open and overdue at W's end, finished now.
        "closed_later": case(
            world.area_a1,
            category,
            at("2026-11-18"),
            status=Status.CLOSED,
            deadline=at("2026-11-22", 18),
            closed_at=at("2026-12-02"),
            events=[
                (EventKind.REPORTED, Status.REPORTED, at("2026-11-18"), {}),
                (
                    EventKind.DISPATCHED,
                    Status.DISPATCHED,
                    at("2026-11-19"),
                    {"deadline": at("2026-11-22", 18).isoformat()},
                ),
                (EventKind.VERIFIED, Status.CLOSED, at("2026-12-02"), {}),
            ],
        ),
        # Closed within W: neither open nor overdue at its end.
        "closed_in_week": case(
            world.area_a1,
            category,
            at("2026-11-16"),
            status=Status.CLOSED,
            deadline=at("2026-11-20", 18),
            closed_at=at("2026-11-26"),
        ),
        # Reported after W: not there yet.
        "after": case(world.area_a1, category, at("2026-12-01")),
        # Rejected: no case at all.
        "rejected": case(world.area_a2, category, at("2026-11-24"), status=Status.REJECTED),
        # 乙一: reported and waiting (open, no clock).
        "b1": case(world.area_b1, category, at("2026-11-27")),
    }


def test_open_cases_at_the_end_of_the_week(plan, world, later, cases):
    values = battle_map_measures(user=world.admin, measure="open", week=WEEK)
    assert values == {"GC01-01-A": 3, "GC01-01-B": 0, "GC02-01-A": 1}
    # Now (the running week ends in the future): closed_later is finished, "after" is open.
    now = battle_map_measures(user=world.admin, measure="open", week=LATER.date())
    assert now == {"GC01-01-A": 3, "GC01-01-B": 0, "GC02-01-A": 1}
    assert battle_map_measures(user=world.admin, measure="open", week=PREV) == {
        # "overdue" and closed_later (replayed: dispatched then); closed_in_week has no
        # events, so its current status (closed) stands in.
        "GC01-01-A": 2,
        "GC01-01-B": 0,
        "GC02-01-A": 0,
    }


def test_overdue_cases_at_the_end_of_the_week(plan, world, later, cases):
    values = battle_map_measures(user=world.admin, measure="overdue", week=WEEK)
    assert values == {"GC01-01-A": 2, "GC01-01-B": 0, "GC02-01-A": 0}
    # On 12-10 the 12-03 deadline has passed too; closed_later is finished.
    now = battle_map_measures(user=world.admin, measure="overdue", week=LATER.date())
    assert now == {"GC01-01-A": 2, "GC01-01-B": 0, "GC02-01-A": 0}
    assert set(now) == set(values)


def test_the_running_week_is_read_from_the_cases_own_columns(plan, world, cases, later):
    """Now, the cases' status and deadline are their state: no replay, the same answer."""
    from zhenxing.assessment.indicators import case_histories

    def replayed(measure: str) -> int:
        n = 0
        for history in case_histories(LATER, LATER, None):
            status = history.status_at(LATER)
            in_a1 = history.row["region_path"].startswith(world.area_a1.path)
            if not in_a1 or status is None or status in FINAL_STATES:
                continue
            deadline = history.deadline_at(LATER)
            overdue = status in CLOCK_STATES and deadline is not None and deadline < LATER
            n += measure == "open" or overdue
        return n

    week = LATER.date()
    for measure in ("open", "overdue"):
        value = battle_map_measures(user=world.admin, measure=measure, week=week)["GC01-01-A"]
        assert value == replayed(measure)
    # The columns are what is read: a case closed now drops out at once.
    Case.objects.filter(pk=cases["overdue"].pk).update(status=Status.CLOSED, closed_at=LATER)
    assert battle_map_measures(user=world.admin, measure="open", week=week)["GC01-01-A"] == 2


def test_case_measures_follow_the_scope(plan, world, later, cases):
    assert battle_map_measures(user=world.secretary_a, measure="open", week=WEEK) == {
        "GC01-01-A": 3,
        "GC01-01-B": 0,
    }
    assert battle_map_measures(user=world.outsider, measure="overdue", week=WEEK) == {
        "GC02-01-A": 0
    }


def test_relapses_reported_in_the_four_weeks_up_to_the_weeks_end(plan, world, later, category):
    origin = case(world.area_a1, category, at("2026-10-01"), status=Status.CLOSED)
    case(world.area_a1, category, at("2026-11-02", 0), relapse_of=origin)  # first day in
    case(world.area_a1, category, at("2026-11-29", 23), relapse_of=origin)  # last day in
    case(world.area_a1, category, at("2026-11-01", 23), relapse_of=origin)  # a day too early
    case(world.area_a1, category, at("2026-11-30", 0), relapse_of=origin)  # the next week
    case(world.area_a2, category, at("2026-11-20"), relapse_of=origin, status=Status.REJECTED)
    case(world.area_b1, category, at("2026-11-20"), relapse_of=origin, status=Status.CLOSED)
    case(world.area_b1, category, at("2026-11-20"))  # a new problem, not a relapse
    values = battle_map_measures(user=world.admin, measure="relapses", week=WEEK)
    assert values == {"GC01-01-A": 2, "GC01-01-B": 0, "GC02-01-A": 1}
    assert battle_map_measures(user=world.secretary_a, measure="relapses", week=WEEK) == {
        "GC01-01-A": 2,
        "GC01-01-B": 0,
    }


# --- 1,730 areas in one request ----------------------------------------------------------------


def big_territory(root: Region, communities: int = 10, areas_each: int = 173) -> list[Region]:
    """`communities` communities of one cooperative with `areas_each` areas each (bulk)."""
    tops = Region.objects.bulk_create(
        Region(
            code=f"BT{c:02d}",
            name=f"大社区{c:02d}",
            parent=root,
            depth=2,
            path=f"{root.path}BT{c:02d}{PATH_SEP}",
        )
        for c in range(communities)
    )
    coops = Region.objects.bulk_create(
        Region(
            code=f"{top.code}-1",
            name=f"{top.name}经济社",
            parent=top,
            depth=3,
            path=f"{top.path}{top.code}-1{PATH_SEP}",
        )
        for top in tops
    )
    areas = [
        Region(
            code=f"{coop.code}-{i:03d}",
            name=f"{coop.name}{i:03d}",
            parent=coop,
            depth=4,
            path=f"{coop.path}{coop.code}-{i:03d}{PATH_SEP}",
        )
        for coop in coops
        for i in range(areas_each)
    ]
    return Region.objects.bulk_create(areas, batch_size=1000)


def test_the_map_of_1730_areas_takes_a_bounded_number_of_queries(
    plan, world, later, category, django_assert_max_num_queries
):
    from zhenxing.plans.models import ProgressReport, WeeklyTarget

    areas = big_territory(world.root)
    assert len(areas) == 1730
    WeeklyTarget.objects.bulk_create(
        WeeklyTarget(
            area=a, region_path=a.path, task_type=plan.clean, week=WEEK, quantity=Decimal("10")
        )
        for a in areas
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(
            date=WEEK,
            region=a,
            region_path=a.path,
            task_type=plan.clean,
            quantity=Decimal(i % 20),
        )
        for i, a in enumerate(areas)
    )
    for a in areas[::50]:
        case(a, category, at("2026-11-20"), status=Status.DISPATCHED, deadline=at("2026-11-25"))
        inspection(a, datetime.date(2026, 11, 24), 90)
    for measure, _label in MEASURES:
        with django_assert_max_num_queries(8):
            values = battle_map_measures(
                user=world.admin, measure=measure, week=WEEK, task_type=plan.clean
            )
        assert len(values) == 1733
    completion = battle_map_measures(
        user=world.admin, measure="completion", week=WEEK, task_type=plan.clean
    )
    assert completion["BT00-1-000"] == 0.0 and completion["BT00-1-019"] == 190.0
    overdue = battle_map_measures(user=world.admin, measure="overdue", week=WEEK)
    assert sum(overdue.values()) == 35 and overdue["BT00-1-050"] == 1
    scores = battle_map_measures(user=world.admin, measure="inspection", week=WEEK)
    assert scores["BT00-1-050"] == 90.0 and scores["BT00-1-051"] is None
