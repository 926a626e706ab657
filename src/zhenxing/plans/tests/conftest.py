"""Plan fixtures on top of the shared `world`, for every test file of this app.

`plan` (a SimpleNamespace) holds:

- `campaign`: 三清三拆三整治 (code SQSC), active, 2026-11-02 (a Monday) to 2027-01-31,
  with two task types: `clean` 清理垃圾 (QL, tonnes) and `demolish` 拆除违建 (CC, m²);
  `closed`: 厕所革命 (CS, inactive) with the task type `toilets` (户).
- `street`: 甲一片区一巷 GC01-01-A-01, a street (depth 5) under `world.area_a1`.
- `team_a`: 甲队, a work team of 社区甲 led by `world.team_leader_a`;
  `team_b`: 乙队 of 社区乙.
- `week` = WEEK (Monday 2026-11-23, ISO week 48), `prev` = PREV (2026-11-16),
  `today` = TODAY (Thursday 2026-11-26); tests that call the services freeze
  time there (`freeze` fixture, or `time_machine.move_to(NOW)`).
- Targets and reports, written directly (as the services would) so that
  they do not depend on the clock:

      week W (2026-11-23)   target   reports                               actual
      清理垃圾 GC01-01-A      10     3 on the area (11-23),                  7
                                     4 on the street (11-24, team_a)
               GC01-01-B      20     25 (11-25)                             25
               GC02-01-A       5     none                                    0
      拆除违建 GC01-01-A     100     50 (11-24)                             50
      week PREV (2026-11-16)
      清理垃圾 GC01-01-A       8     8 (11-17)                               8

  So for 清理垃圾 in week W: street 0/4, 甲一 10/7 (70 %), 甲二 20/25 (125 %),
  经济社 GC01-01 30/32, 社区甲 30/32, 乙一 5/0 (0 %), GC02-01 and 社区乙 5/0,
  桂城街道 35/32; for 拆除违建: 甲一, GC01-01, 社区甲 and 桂城 100/50.
- Helpers: `make_target(area, task_type, week, quantity)`,
  `make_report(region, task_type, day, quantity, **kw)`,
  `make_arrangement(region, task_type, day, **kw)`, `photo()` (a ValidatedPhoto).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from zhenxing.cases.testing import jpeg_bytes, upload

WEEK = datetime.date(2026, 11, 23)
PREV = datetime.date(2026, 11, 16)
TODAY = datetime.date(2026, 11, 26)
# Thursday of week W, 10:00 in Guicheng (02:00 UTC).
NOW = datetime.datetime(2026, 11, 26, 2, 0, tzinfo=datetime.UTC)


def photo(color: str = "green", name: str = "done.jpg") -> Any:
    """A validated photo, as a view hands it to the services."""
    from zhenxing.cases.photos import validate_photo

    return validate_photo(upload(name, jpeg_bytes(color=color)))


def make_target(area: Any, task_type: Any, week: datetime.date, quantity: Any) -> Any:
    from zhenxing.plans.models import WeeklyTarget

    return WeeklyTarget.objects.create(
        area=area,
        region_path=area.path,
        task_type=task_type,
        week=week,
        quantity=Decimal(str(quantity)),
    )


def make_report(region: Any, task_type: Any, day: datetime.date, quantity: Any, **kw: Any) -> Any:
    from zhenxing.plans.models import ProgressReport

    return ProgressReport.objects.create(
        date=day,
        region=region,
        region_path=region.path,
        task_type=task_type,
        quantity=Decimal(str(quantity)),
        **kw,
    )


def make_arrangement(region: Any, task_type: Any, day: datetime.date, **kw: Any) -> Any:
    from zhenxing.plans.models import Arrangement

    people = kw.pop("people", ())
    arrangement = Arrangement.objects.create(
        date=day, region=region, region_path=region.path, task_type=task_type, **kw
    )
    if people:
        arrangement.people.set(people)
    return arrangement


@pytest.fixture
def freeze(time_machine):
    """The clock stands at NOW (Thursday 2026-11-26, 10:00 in Guicheng)."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def plan(world):
    from zhenxing.people.models import WorkTeam
    from zhenxing.plans.models import Campaign, TaskType, Unit
    from zhenxing.territory.services import region_create

    campaign = Campaign.objects.create(
        code="SQSC",
        name="三清三拆三整治",
        start=datetime.date(2026, 11, 2),
        end=datetime.date(2027, 1, 31),
        order=1,
    )
    clean = TaskType.objects.create(
        campaign=campaign, code="QL", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    demolish = TaskType.objects.create(
        campaign=campaign, code="CC", name="拆除违建", unit=Unit.SQUARE_METRE, order=2
    )
    closed = Campaign.objects.create(
        code="CS",
        name="厕所革命",
        start=datetime.date(2026, 1, 5),
        is_active=False,
        order=2,
    )
    toilets = TaskType.objects.create(
        campaign=closed, code="GC", name="改厕", unit=Unit.HOUSEHOLD, order=1
    )
    street = region_create(
        code="GC01-01-A-01", name="甲一片区一巷", parent=world.area_a1, actor=None
    )
    team_a = WorkTeam.objects.create(
        name="甲队", region=world.a, leader=world.team_leader_a, headcount=6
    )
    team_b = WorkTeam.objects.create(name="乙队", region=world.b, headcount=4)

    make_target(world.area_a1, clean, WEEK, 10)
    make_target(world.area_a2, clean, WEEK, 20)
    make_target(world.area_b1, clean, WEEK, 5)
    make_target(world.area_a1, demolish, WEEK, 100)
    make_target(world.area_a1, clean, PREV, 8)
    make_report(world.area_a1, clean, WEEK, 3)
    make_report(street, clean, WEEK + datetime.timedelta(days=1), 4, team=team_a)
    make_report(world.area_a2, clean, WEEK + datetime.timedelta(days=2), 25)
    make_report(world.area_a1, demolish, WEEK + datetime.timedelta(days=1), 50)
    make_report(world.area_a1, clean, PREV + datetime.timedelta(days=1), 8)

    return SimpleNamespace(
        world=world,
        campaign=campaign,
        clean=clean,
        demolish=demolish,
        closed=closed,
        toilets=toilets,
        street=street,
        team_a=team_a,
        team_b=team_b,
        week=WEEK,
        prev=PREV,
        today=TODAY,
    )
