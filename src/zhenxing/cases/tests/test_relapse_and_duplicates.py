"""Relapse (回潮): a new case where one was closed lately. Duplicates offered before saving."""

from __future__ import annotations

import datetime

import pytest

from zhenxing.cases import services
from zhenxing.cases.models import EventKind
from zhenxing.cases.permissions import cases_visible_to
from zhenxing.cases.selectors import (
    METRES_PER_DEGREE_LAT,
    distance_m,
    nearby,
    possible_duplicates,
    relapse_origin,
)
from zhenxing.core.models import AuditEntry

from .conftest import IN_A1, IN_B1
from .test_loop import MONDAY, after_photos, dispatched, report


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / METRES_PER_DEGREE_LAT, point[1]


def closed(world, cats):
    """A 暴露垃圾 case at IN_A1 walked to closure now."""
    case = dispatched(world, cats.garbage)
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    return case


def test_distance_is_in_metres():
    assert distance_m(*IN_A1, *IN_A1) == 0
    assert distance_m(*IN_A1, *north_of(IN_A1, 100)) == pytest.approx(100, rel=0.01)
    # 0.01° of longitude at 23° N is about 1,024 m.
    assert distance_m(23.0, 113.10, 23.0, 113.11) == pytest.approx(1024, rel=0.01)


def test_a_new_case_at_a_closed_spot_within_the_window_is_a_relapse(
    world, cats, private_media, frozen
):
    first = closed(world, cats)
    frozen.shift(datetime.timedelta(days=29))
    again = report(world, cats.garbage, at=north_of(IN_A1, 20))
    assert again.relapse_of == first
    assert first.relapses.get() == again
    assert again.events.get(kind=EventKind.REPORTED).data == {"relapse_of": first.number}
    entry = AuditEntry.objects.filter(action="case.report", object_id=str(again.pk)).get()
    assert entry.changes["relapse_of"] == first.number


def test_the_latest_closure_is_the_origin(world, cats, private_media, frozen):
    closed(world, cats)
    frozen.shift(datetime.timedelta(days=2))
    second = closed(world, cats)
    frozen.shift(datetime.timedelta(days=2))
    assert report(world, cats.garbage).relapse_of == second


@pytest.mark.parametrize(
    "days, metres, other_category, expected",
    [
        (29, 0, False, True),
        (31, 0, False, False),  # outside the window (30 days)
        (1, 60, False, False),  # outside the radius (50 m)
        (1, 40, False, True),
        (1, 0, True, False),  # another category
    ],
)
def test_relapse_needs_the_same_place_category_and_window(
    world, cats, private_media, frozen, days, metres, other_category, expected
):
    first = closed(world, cats)
    frozen.shift(datetime.timedelta(days=days))
    category = cats.floating if other_category else cats.garbage
    again = report(world, category, at=north_of(IN_A1, metres))
    assert (again.relapse_of == first) is expected
    if not expected:
        assert again.relapse_of is None


def test_open_or_rejected_cases_are_no_relapse_origin(world, cats, private_media, frozen):
    rejected = report(world, cats.garbage)
    services.case_reject(case=rejected, actor=world.admin, reason="误报")
    dispatched(world, cats.garbage)  # open, not closed
    assert report(world, cats.garbage).relapse_of is None
    assert (
        relapse_origin(
            category=cats.garbage,
            lat=IN_A1[0],
            lng=IN_A1[1],
            region_path=world.area_a1.path,
            at=MONDAY,
        )
        is None
    )


def test_possible_duplicates_are_open_same_category_nearby_and_visible(
    world, cats, private_media, frozen
):
    near = report(world, cats.garbage, at=north_of(IN_A1, 10))
    nearest = report(world, cats.garbage, at=north_of(IN_A1, 3))
    report(world, cats.garbage, at=north_of(IN_A1, 80))  # beyond 50 m
    report(world, cats.floating)  # another category
    done = closed(world, cats)  # closed: nothing to add to
    rejected = report(world, cats.garbage)
    services.case_reject(case=rejected, actor=world.admin, reason="误报")

    found = possible_duplicates(
        cases_visible_to(world.inspector_a), category=cats.garbage, lat=IN_A1[0], lng=IN_A1[1]
    )
    assert [c for c, _ in found] == [nearest, near]
    assert [round(d) for _, d in found] == [3, 10]
    assert done not in [c for c, _ in found]

    # Only what the reporter may see is offered.
    b_case = report(world, cats.garbage, world.outsider, at=IN_B1)
    assert (
        possible_duplicates(
            cases_visible_to(world.outsider), category=cats.garbage, lat=IN_A1[0], lng=IN_A1[1]
        )
        == []
    )
    assert [
        c
        for c, _ in possible_duplicates(
            cases_visible_to(world.outsider), category=cats.garbage, lat=IN_B1[0], lng=IN_B1[1]
        )
    ] == [b_case]
    assert (
        possible_duplicates(
            cases_visible_to(world.nobody), category=cats.garbage, lat=IN_A1[0], lng=IN_A1[1]
        )
        == []
    )


def test_nearby_keeps_the_circle_not_the_box(world, cats, private_media):
    centre = report(world, cats.garbage)
    # A point 45 m north and 45 m east is inside the bounding box of 50 m but 64 m away.
    lat = IN_A1[0] + 45 / METRES_PER_DEGREE_LAT
    lng = IN_A1[1] + 45 / (METRES_PER_DEGREE_LAT * 0.9205)  # cos 23°
    corner = report(world, cats.garbage, at=(lat, lng))
    found = nearby(centre.__class__.objects.all(), lat=IN_A1[0], lng=IN_A1[1], radius_m=50)
    assert [c for c, _ in found] == [centre]
    assert corner not in [c for c, _ in found]
