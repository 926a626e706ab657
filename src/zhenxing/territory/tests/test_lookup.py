"""Point → area lookup (territory.lookup).

The world's three areas are 0.01° squares side by side at latitude 23.00–23.01:
甲一 GC01-01-A at lng 113.10–113.11, 甲二 GC01-01-B at 113.11–113.12,
乙一 GC02-01-A at 113.12–113.13.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction

from zhenxing.territory import lookup
from zhenxing.territory.lookup import find_area
from zhenxing.territory.models import PATH_SEP, Region, RegionLevel
from zhenxing.territory.services import region_create, region_update
from zhenxing.territory.tests.conftest import bulk_grid, square

M_PER_DEG_LAT = lookup.EARTH_RADIUS_M * math.pi / 180
M_PER_DEG_LNG = M_PER_DEG_LAT * math.cos(math.radians(23.005))


def north_of_top(metres: float) -> float:
    return 23.01 + metres / M_PER_DEG_LAT


def east_of_b1(metres: float) -> float:
    return 113.13 + metres / M_PER_DEG_LNG


def test_a_point_inside_an_area_finds_it(world):
    assert find_area(23.005, 113.105) == world.area_a1
    assert find_area(23.001, 113.119) == world.area_a2
    assert find_area(23.009, 113.121) == world.area_b1


def test_a_point_on_a_shared_border_gets_the_lowest_code(world):
    # 113.11 is the edge between 甲一 (GC01-01-A) and 甲二 (GC01-01-B).
    assert find_area(23.005, 113.11) == world.area_a1
    # 113.12 is the edge between 甲二 (GC01-01-B) and 乙一 (GC02-01-A).
    assert find_area(23.005, 113.12) == world.area_a2
    # The same answer however often it is asked.
    assert {find_area(23.003, 113.12) for _ in range(20)} == {world.area_a2}


def test_the_border_tie_does_not_depend_on_creation_order(world):
    # A new area west of 甲一 whose code sorts *before* it, created after it.
    early = region_create(
        code="GC01-01-0",
        name="早片区",
        parent=world.coop_a,
        geometry=square(113.09, 23.00),
        actor=None,
    )
    assert find_area(23.005, 113.10) == early


def test_a_point_just_outside_goes_to_the_nearest_area_within_the_tolerance(world, settings):
    settings.ZHENXING_AREA_TOLERANCE_M = 50
    # 48 m north of 甲二's top edge: a GPS fix on the road beside it.
    assert find_area(north_of_top(48), 113.115) == world.area_a2
    assert find_area(north_of_top(52), 113.115) is None
    # East–west distances are scaled by cos(latitude): 48 m east of 乙一 is
    # 0.00047° of longitude, which a degree-as-latitude conversion would call 52 m.
    assert find_area(23.005, east_of_b1(48)) == world.area_b1
    assert find_area(23.005, east_of_b1(52)) is None


def test_the_tolerance_can_be_given_per_call(world):
    assert find_area(north_of_top(100), 113.105, tolerance_m=150) == world.area_a1
    assert find_area(north_of_top(100), 113.105, tolerance_m=50) is None
    assert find_area(north_of_top(1), 113.105, tolerance_m=0) is None


def test_equally_near_areas_outside_tie_on_the_lowest_code(world):
    # Straight north of the corner shared by 甲一 and 甲二: as near to both.
    assert find_area(north_of_top(10), 113.11, tolerance_m=50) == world.area_a1


def test_far_outside_the_territory_there_is_no_area(world):
    assert find_area(22.5, 113.0) is None
    assert find_area(39.9, 116.4) is None


def test_no_areas_means_no_area(db):
    assert find_area(23.005, 113.105) is None


def test_nonsense_coordinates_are_refused(world):
    with pytest.raises(ValueError):
        find_area(float("nan"), 113.1)
    with pytest.raises(ValueError):
        find_area(23.0, 181.0)


def test_areas_without_a_polygon_are_skipped(world):
    region_create(code="GC02-01-Z", name="无图片区", parent=world.coop_b, actor=None)
    assert find_area(23.005, 113.125) == world.area_b1


def test_the_area_level_comes_from_the_configuration(world):
    # Make the cooperatives the area level and give 甲一经济社 a polygon.
    region_update(region=world.coop_a, geometry=square(113.10, 23.00, 0.02), actor=None)
    RegionLevel.objects.filter(is_area=True).update(is_area=False)
    RegionLevel.objects.filter(depth=3).update(is_area=True)
    assert find_area(23.005, 113.105) == world.coop_a
    assert find_area(23.005, 113.125) is None  # 乙一经济社 has no polygon


def test_the_index_is_built_once_for_many_lookups(world):
    with mock.patch.object(lookup, "_build_index", wraps=lookup._build_index) as build:
        for k in range(200):
            find_area(23.0 + (k % 10) * 0.001, 113.10 + (k % 30) * 0.001)
        assert build.call_count == 1


def test_the_index_is_rebuilt_when_an_area_changes(world):
    with mock.patch.object(lookup, "_build_index", wraps=lookup._build_index) as build:
        assert find_area(23.005, 113.105) == world.area_a1
        # Move 乙一's polygon far north through the service.
        region_update(region=world.area_b1, geometry=square(113.10, 23.50), actor=None)
        assert find_area(23.505, 113.105) == world.area_b1
        assert find_area(23.005, 113.125) is None
        assert build.call_count == 2
        # A write that bypasses the services (another process, a bulk load)
        # is seen through the version key alone.
        Region.objects.create(
            code="GC02-01-N",
            name="新片区",
            parent=world.coop_b,
            depth=4,
            path=world.coop_b.path + "GC02-01-N" + PATH_SEP,
            geometry=square(113.12, 23.00),
        )
        assert find_area(23.005, 113.125).code == "GC02-01-N"
        assert build.call_count == 3
        find_area(23.005, 113.125)
        assert build.call_count == 3


def test_a_deleted_area_is_not_returned(world):
    assert find_area(23.005, 113.12) == world.area_a2
    assert find_area(23.005, 113.125) == world.area_b1
    # A deletion moves the version key like any other write.
    world.area_a2.delete()
    assert find_area(23.005, 113.115) is None
    # Its border with 乙一 now belongs to 乙一 alone.
    assert find_area(23.005, 113.12) == world.area_b1


def test_a_grid_of_ten_thousand_areas(world):
    """10,000 areas of 0.001° (about 100 m): every sampled point finds its own cell."""
    community = region_create(code="GX", name="网格社区", parent=world.root, actor=None)
    coop = region_create(code="GX-1", name="网格经济社", parent=community, actor=None)
    n, size, lng0, lat0 = 100, 0.001, 114.0, 22.5
    bulk_grid(coop, n=n, lng0=lng0, lat0=lat0, size=size)
    assert Region.objects.filter(depth=4).count() == n * n + 3

    def code_at(lat: float, lng: float) -> str | None:
        area = find_area(lat, lng)
        return area.code if area else None

    def cell(j: int, i: int) -> str:
        return f"GX-1-{j:03d}{i:03d}"

    rng = random.Random(20261128)
    with mock.patch.object(lookup, "_build_index", wraps=lookup._build_index) as build:
        # Random points strictly inside random cells.
        for _ in range(1000):
            i, j = rng.randrange(n), rng.randrange(n)
            lng = lng0 + (i + rng.uniform(0.05, 0.95)) * size
            lat = lat0 + (j + rng.uniform(0.05, 0.95)) * size
            assert code_at(lat, lng) == cell(j, i)
        # Points on a vertical edge between columns i-1 and i: the lower code wins,
        # which is column i-1 (same row). On a corner: the south-west cell.
        for _ in range(100):
            i, j = rng.randrange(1, n), rng.randrange(n)
            lat = lat0 + (j + 0.5) * size
            assert code_at(lat, lng0 + i * size) == cell(j, i - 1)
        i, j = 40, 60
        assert code_at(lat0 + j * size, lng0 + i * size) == cell(j - 1, i - 1)
        # Just beyond the grid's east edge, within the 50 m tolerance; then too far.
        lat = lat0 + 10.5 * size
        assert code_at(lat, lng0 + n * size + 20 / M_PER_DEG_LNG) == cell(10, n - 1)
        assert code_at(lat, lng0 + n * size + 80 / M_PER_DEG_LNG) is None
        # The world's own areas still answer beside the grid.
        assert find_area(23.005, 113.105) == world.area_a1
        assert build.call_count == 1


def test_a_write_committed_with_an_older_timestamp_is_still_seen(world):
    # An import stamps its rows before its transaction commits, so a slower
    # import can commit *after* a quicker edit with an *earlier* updated_at.
    # The index must follow the commits, not the clocks.
    assert find_area(23.005, 113.105) == world.area_a1
    # 甲一 moves, stamped earlier than 乙一's last change (the latest so far).
    earlier = world.area_b1.updated_at - timedelta(hours=1)
    Region.objects.filter(pk=world.area_a1.pk).update(
        geometry=square(113.10, 23.50), updated_at=earlier
    )
    assert find_area(23.505, 113.105) == world.area_a1
    assert find_area(23.005, 113.105) is None


def test_an_index_built_inside_a_rolled_back_write_is_not_reused(world):
    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        region_update(region=world.area_b1, geometry=square(113.10, 23.50), actor=None)
        # Built from the uncommitted polygon, under this transaction's version.
        assert find_area(23.505, 113.105) == world.area_b1
        raise Abandon
    # Another write brings the counter back to the value the abandoned one had.
    Region.objects.filter(pk=world.area_a2.pk).update(name="甲二片区（改）")
    assert find_area(23.505, 113.105) is None
    assert find_area(23.005, 113.125) == world.area_b1


def test_every_kind_of_write_moves_the_version(world):
    from zhenxing.territory.models import territory_version

    seen = [territory_version()]

    def moved() -> bool:
        seen.append(territory_version())
        return seen[-1] != seen[-2]

    area = Region.objects.get(pk=world.area_a1.pk)
    area.name = "改名"
    area.save()
    assert moved()
    Region.objects.filter(pk=area.pk).update(name="再改")
    assert moved()
    area.name = "三改"
    Region.objects.bulk_update([area], ["name"])
    assert moved()
    bulk_grid(world.coop_b, n=1, lng0=114.0, lat0=22.5, size=0.001)
    assert moved()
    Region.objects.filter(code="GC02-01-000000").delete()
    assert moved()
    world.area_a2.delete()
    assert moved()
    # A query that writes nothing leaves it alone.
    Region.objects.filter(code="NOPE").update(name="x")
    assert not moved()
