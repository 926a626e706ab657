from __future__ import annotations

import pytest

from zhenxing.core.models import AuditEntry
from zhenxing.territory.geometry import GeometryError
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import (
    community_code_of,
    parent_code_of,
    path_codes,
    subtree,
    with_children_count,
)
from zhenxing.territory.services import TerritoryError, region_create, region_update
from zhenxing.territory.tests.conftest import square


def test_region_create_builds_path_depth_and_centroid(world):
    area = world.area_a1
    assert area.path == "GC/GC01/GC01-01/GC01-01-A/"
    assert area.depth == 4
    assert area.centroid_lat == pytest.approx(23.005)
    assert area.centroid_lng == pytest.approx(113.105)
    entry = AuditEntry.objects.get(action="territory.region.create", object_id=str(area.pk))
    assert entry.changes["code"] == [None, "GC01-01-A"]


@pytest.mark.parametrize("code", ["", "  ", "A/B", "x" * 41])
def test_region_create_refuses_bad_codes(world, code):
    with pytest.raises(TerritoryError):
        region_create(code=code, name="坏", parent=world.root, actor=None)


def test_region_update_changes_fields_and_audits_before_and_after(world):
    region = region_update(
        region=world.a, name=" 社区甲（新） ", households=1200, actor=world.admin
    )
    assert region.name == "社区甲（新）"
    fresh = Region.objects.get(pk=world.a.pk)
    assert (fresh.name, fresh.households, fresh.population) == ("社区甲（新）", 1200, 5000)
    entry = AuditEntry.objects.get(action="territory.region.update")
    assert entry.actor == world.admin
    assert entry.object_id == str(world.a.pk)
    assert entry.changes == {"name": ["社区甲", "社区甲（新）"], "households": [None, 1200]}


def test_region_update_of_geometry_moves_the_centroid(world):
    region_update(region=world.area_a1, geometry=square(113.20, 23.10), actor=world.admin)
    fresh = Region.objects.get(pk=world.area_a1.pk)
    assert fresh.geometry == square(113.20, 23.10)
    assert fresh.centroid_lat == pytest.approx(23.105)
    assert fresh.centroid_lng == pytest.approx(113.205)
    changes = AuditEntry.objects.get(action="territory.region.update").changes
    assert set(changes) == {"geometry", "centroid_lat", "centroid_lng"}


def test_region_update_with_nothing_new_writes_no_audit_row(world):
    region_update(region=world.a, name="社区甲", population=5000, actor=world.admin)
    assert not AuditEntry.objects.filter(action="territory.region.update").exists()


def test_region_update_refuses_bad_input_and_writes_nothing(world):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    }
    with pytest.raises(GeometryError):
        region_update(region=world.area_a1, geometry=bowtie, actor=world.admin)
    with pytest.raises(TerritoryError):
        region_update(region=world.area_a1, name="   ", actor=world.admin)
    assert Region.objects.get(pk=world.area_a1.pk).geometry == square(113.10, 23.00)
    assert not AuditEntry.objects.filter(action="territory.region.update").exists()


def test_subtree_is_the_region_and_everything_under_it(world):
    assert set(subtree(world.a).values_list("code", flat=True)) == {
        "GC01",
        "GC01-01",
        "GC01-01-A",
        "GC01-01-B",
    }
    assert set(subtree(world.root, depth=4).values_list("code", flat=True)) == {
        "GC01-01-A",
        "GC01-01-B",
        "GC02-01-A",
    }


def test_subtree_does_not_catch_codes_that_merely_share_a_prefix(world):
    # "GC011" starts with "GC01" but is not under it: the path separator keeps them apart.
    region_create(code="GC011", name="社区丙", parent=world.root, actor=None)
    assert "GC011" not in set(subtree(world.a).values_list("code", flat=True))


def test_subtree_is_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(subtree(world.root, depth=4))


def test_path_helpers():
    assert path_codes("GC/GC01/GC01-01/") == ["GC", "GC01", "GC01-01"]
    assert parent_code_of("GC/GC01/GC01-01/") == "GC01"
    assert parent_code_of("GC/") == ""
    assert community_code_of("GC/GC01/GC01-01/GC01-01-A/") == "GC01"
    assert community_code_of("GC/GC01/") == "GC01"
    assert community_code_of("GC/") == "GC"


def test_children_count_is_annotated_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = {r.code: r.children_count for r in with_children_count(Region.objects.all())}
    assert counts["GC"] == 2
    assert counts["GC01-01"] == 2
    assert counts["GC01-01-A"] == 0
