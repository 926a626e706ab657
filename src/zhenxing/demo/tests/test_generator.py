"""The in-memory generator: figures, determinism and a tiling without overlaps (no database)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union
from shapely.strtree import STRtree

from zhenxing.demo import data
from zhenxing.demo.generator import Rect, RegionPlan, mobile_for, plan_copy, split

# Degrees²: a sliver this small is rounding noise, far below one m² (~1e-10 deg²).
EPS = 1e-12


@pytest.fixture(scope="module")
def demo():
    return plan_copy(1)


def _shapes(regions: list[RegionPlan]) -> dict[str, object]:
    return {r.code: shape(r.geometry) for r in regions}


def assert_tiles(parts: list, whole) -> None:
    """`parts` cover `whole` exactly, without overlapping one another."""
    union = unary_union(parts)
    assert abs(sum(p.area for p in parts) - union.area) < EPS  # no overlaps
    assert union.symmetric_difference(whole).area < EPS  # no gaps, nothing outside


def test_figures_match_the_article(demo):
    depths = Counter(r.depth for r in demo.regions)
    assert (depths[1], depths[2], depths[3], depths[4]) == (1, 22, 105, 173)
    assert 0 < depths[5] <= len(data.STREETS)
    names = {r.name for r in demo.regions}
    for short in ["叠南", "叠北", "文翰", "北约", "夏南一", "夏东", "平南", "平西", "中区"]:
        assert f"{short}社区" in names
    for short in ["潭头", "茶基", "圣堂"]:
        assert f"{short}社区" in names
    assert len(set(data.COMMUNITIES)) == 22
    assert len(set(data.DEPARTMENTS)) == 32

    coops_per_community = Counter(r.parent_code for r in demo.regions_at(3))
    areas_per_coop = Counter(r.parent_code for r in demo.regions_at(4))
    assert set(coops_per_community.values()) <= set(range(3, 8))
    assert set(areas_per_coop.values()) <= {1, 2, 3}
    assert len(areas_per_coop) == 105  # every cooperative has an area

    communities = demo.regions_at(2)
    assert all(3_000 <= c.population <= 15_000 for c in communities)
    root = demo.regions[0]
    assert root.population == sum(c.population for c in communities)
    # The areas share out their community's residents exactly.
    area_pop = Counter()
    for a in demo.regions_at(4):
        area_pop[a.code.split("-")[0]] += a.population
    assert all(area_pop[c.code] == c.population for c in communities)


def test_codes_are_hierarchical(demo):
    by_code = {r.code: r for r in demo.regions}
    assert len(by_code) == len(demo.regions)
    assert demo.regions[0].code == "GC"
    for r in demo.regions[1:]:
        parent = by_code[r.parent_code]
        assert r.depth == parent.depth + 1
        assert r.code.startswith(parent.code)
    assert by_code["GC01"].name == "叠南社区"
    assert re.fullmatch(r"GC\d\d-\d\d-\d", demo.regions_at(4)[0].code)


def test_people(demo):
    assert len(demo.orgs) >= 100
    kinds = Counter(o.kind for o in demo.orgs)
    assert kinds["committee"] == 23  # the subdistrict's and one per community
    branches = Counter(o.parent_code for o in demo.orgs if o.kind == "branch")
    assert set(branches.values()) <= set(range(2, 7))
    assert len(branches) == 22

    assert len(demo.members) == data.PARTY_MEMBERS_TOTAL
    mobiles = [m.mobile for m in demo.members]
    assert len(set(mobiles)) == len(mobiles)
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in mobiles)
    org_codes = {o.code for o in demo.orgs}
    assert all(m.org_code in org_codes for m in demo.members)
    wenhan = demo.community_codes["文翰"]
    named = [m for m in demo.members if m.name == "阙国钊"]
    assert len(named) == 1 and named[0].region_code == wenhan
    assert {m.gender for m in demo.members} == {"M", "F"}
    assert all(m.joined_on.year - m.birth_year >= 18 for m in demo.members)

    assert len(demo.teams) == 22
    assert sum(t.headcount for t in demo.teams) > 400
    assert {t.region_code for t in demo.teams} == set(demo.community_codes.values())
    assert "叠南社区三清三拆三整治工作队" in {t.name for t in demo.teams}


def test_generator_is_deterministic(demo):
    again = plan_copy(1)
    assert again.regions == demo.regions
    assert again.members == demo.members
    assert again.orgs == demo.orgs
    assert again.teams == demo.teams


def test_polygons_are_valid_and_tile_without_overlap(demo):
    shapes = _shapes(demo.regions)
    assert all(s.is_valid and s.geom_type == "Polygon" for s in shapes.values())
    # Every vertex is rounded to 6 decimals already, so storing it changes nothing.
    for r in demo.regions:
        for lng, lat in r.geometry["coordinates"][0]:
            assert round(lng, 6) == lng and round(lat, 6) == lat
            assert 113.07 < lng < 113.23 and 22.97 < lat < 23.09

    areas = [shapes[r.code] for r in demo.regions_at(4)]
    tree = STRtree(areas)
    for i, area in enumerate(areas):
        for j in tree.query(area):
            if j != i:
                assert area.intersection(areas[j]).area < EPS

    assert_tiles(areas, shapes["GC"])
    assert_tiles([shapes[r.code] for r in demo.regions_at(2)], shapes["GC"])
    for level in (2, 3, 4, 5):
        for parent in {r.parent_code for r in demo.regions_at(level)}:
            children = [shapes[r.code] for r in demo.regions_at(level) if r.parent_code == parent]
            if level == 5:  # streets cover part of an area at most
                assert all(shapes[parent].buffer(1e-9).contains(c) for c in children)
            else:
                assert_tiles(children, shapes[parent])
    for r in demo.regions:
        assert shapes[r.code].contains(
            shape({"type": "Point", "coordinates": [r.centroid_lng, r.centroid_lat]})
        )


def test_scaled_copies_are_disjoint(demo):
    second = plan_copy(2)
    assert second.root_code == "ZS002"
    assert not {r.code for r in second.regions} & {r.code for r in demo.regions}
    assert not {o.code for o in second.orgs} & {o.code for o in demo.orgs}
    assert not {m.mobile for m in second.members} & {m.mobile for m in demo.members}
    assert shape(second.regions[0].geometry).intersection(shape(demo.regions[0].geometry)).area == 0
    assert second.regions_at(2)[0].name == "叠南社区·002"
    assert len(second.regions_at(4)) == 173


def test_mobiles_unique_across_many_copies():
    mobiles = [mobile_for(k, n) for k in (1, 2, 57, 999) for n in range(3000)]
    assert len(set(mobiles)) == len(mobiles)
    with pytest.raises(ValueError):
        mobile_for(1, 100_000)


def test_split_respects_weights_and_refuses_when_there_is_no_room():
    import random

    pieces = split(Rect(0, 0, 10, 4), [1, 2, 1], random.Random(1))
    assert len(pieces) == 3
    assert sum(p.cells for p in pieces) == 40
    assert all(p.cells >= 1 for p in pieces)
    with pytest.raises(ValueError):
        split(Rect(0, 0, 1, 2), [2, 2], random.Random(1))
