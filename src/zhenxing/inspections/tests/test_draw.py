"""The random draw of areas: reproducible from its seed, so anyone can check it.

The recipe in docs/inspections.md ("Re-running a draw") is tested here as
written: plain Python over the area codes in path order, no platform code.
"""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.inspections import services
from zhenxing.inspections.selectors import draw_areas, draw_from, eligible_areas
from zhenxing.inspections.services import InspectionError
from zhenxing.territory.services import region_create

from .conftest import square


@pytest.fixture(autouse=True)
def _messages_in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def many_areas(world):
    """Twelve more areas under 社区乙, so that draws have room to differ."""
    for n in range(12):
        region_create(
            code=f"GC02-01-{n:02d}",
            name=f"乙片区{n:02d}",
            parent=world.coop_b,
            geometry=square(113.20 + n * 0.01, 23.10),
            actor=None,
        )
    return list(eligible_areas(world.root))


def recipe(codes_in_path_order: list[str], count: int, seed: str) -> list[str]:
    """docs/inspections.md ("Re-running a draw"): the draw re-run by hand, codes sorted."""
    return sorted(random.Random(seed).sample(codes_in_path_order, count))


def test_eligible_areas_are_the_areas_under_the_scope_in_path_order(world):
    assert list(eligible_areas(world.root)) == [world.area_a1, world.area_a2, world.area_b1]
    assert list(eligible_areas(world.a)) == [world.area_a1, world.area_a2]
    assert list(eligible_areas(world.coop_b)) == [world.area_b1]
    assert list(eligible_areas(world.area_a2)) == [world.area_a2]  # an area is its own scope


def test_the_same_seed_draws_the_same_areas(world, many_areas):
    first = draw_areas(scope=world.root, count=5, seed="2026-03-02 早班")
    for _ in range(3):
        assert draw_areas(scope=world.root, count=5, seed="2026-03-02 早班") == first
    assert len(set(first)) == 5
    assert first == sorted(first, key=lambda a: a.path)


def test_other_seeds_draw_other_areas(world, many_areas):
    draws = {
        tuple(a.code for a in draw_areas(scope=world.root, count=4, seed=f"seed-{n}"))
        for n in range(10)
    }
    assert len(draws) > 1


def test_the_draw_is_the_documented_recipe(world, many_areas):
    codes = [a.code for a in many_areas]
    for seed in ("a", "0f3c9e1d", "桂城"):
        drawn = draw_areas(scope=world.root, count=6, seed=seed)
        assert sorted(a.code for a in drawn) == recipe(codes, 6, seed)


def test_a_draw_stays_within_the_scope(world, many_areas):
    drawn = draw_areas(scope=world.a, count=2, seed="x")
    assert drawn == [world.area_a1, world.area_a2]
    drawn = draw_areas(scope=world.b, count=3, seed="x")
    assert all(a.path.startswith(world.b.path) for a in drawn)


def test_draw_from_is_the_draw_over_a_given_list(world, many_areas):
    assert draw_from(many_areas, count=5, seed="s") == draw_areas(
        scope=world.root, count=5, seed="s"
    )


def test_a_draw_of_more_areas_than_there_are_is_an_error(world):
    with pytest.raises(ValueError):
        draw_areas(scope=world.a, count=3, seed="x")
    with pytest.raises(ValueError):
        draw_areas(scope=world.a, count=0, seed="x")


# --- drawn rounds ------------------------------------------------------------------


def plan_draw(world, inspector, **kwargs):
    return services.round_plan(
        actor=world.admin,
        date=timezone.localdate(),
        scope=world.root,
        inspectors=[inspector],
        **kwargs,
    )


def test_a_drawn_round_stores_its_seed_and_can_be_rechecked(insp, world, inspector_gc, many_areas):
    round_ = plan_draw(world, inspector_gc, draw_count=4)
    assert round_.drawn and len(round_.draw_seed) == 32
    int(round_.draw_seed, 16)  # a fresh random hex seed
    areas = [i.area for i in round_.inspections.order_by("area_path")]
    assert areas == draw_areas(scope=world.root, count=4, seed=round_.draw_seed)
    # The audit row keeps the areas the draw was made from: the check still
    # works after the territory changes.
    entry = AuditEntry.objects.get(action="round.plan")
    assert entry.changes["seed"] == round_.draw_seed and entry.changes["count"] == 4
    assert entry.changes["eligible"] == [a.code for a in many_areas]
    region_create(
        code="GC02-01-ZZ",
        name="新片区",
        parent=world.coop_b,
        geometry=square(113.50, 23.10),
        actor=None,
    )
    rerun = recipe(entry.changes["eligible"], entry.changes["count"], entry.changes["seed"])
    assert rerun == sorted(entry.changes["areas"]) == sorted(a.code for a in areas)


def test_a_given_seed_is_used_as_given(insp, world, inspector_gc, many_areas):
    one = plan_draw(world, inspector_gc, draw_count=3, seed=" 20260302 ")
    two = plan_draw(world, inspector_gc, draw_count=3, seed="20260302")
    assert one.draw_seed == two.draw_seed == "20260302"
    assert list(one.inspections.values_list("area", flat=True).order_by("area_path")) == list(
        two.inspections.values_list("area", flat=True).order_by("area_path")
    )


def test_two_draws_without_a_seed_get_different_seeds(insp, world, inspector_gc, many_areas):
    one = plan_draw(world, inspector_gc, draw_count=3)
    two = plan_draw(world, inspector_gc, draw_count=3, seed="  ")  # an empty form field
    assert len(two.draw_seed) == 32 and one.draw_seed != two.draw_seed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"draw_count": 0}, "Draw between 1 and 3 areas"),
        ({"draw_count": 4}, "Draw between 1 and 3 areas"),
        ({"draw_count": 1, "seed": "x" * 65}, "Keep the draw seed to 64 characters"),
    ],
)
def test_bad_draws_are_refused(insp, world, inspector_gc, kwargs, match):
    with pytest.raises(InspectionError, match=match):
        plan_draw(world, inspector_gc, **kwargs)
    assert not AuditEntry.objects.filter(action="round.plan").exists()


def test_a_scope_without_areas_cannot_be_drawn_from(insp, world, inspector_gc):
    empty = region_create(code="GC03", name="社区丙", parent=world.root, actor=None)
    with pytest.raises(InspectionError, match="no area in 社区丙"):
        services.round_plan(
            actor=world.admin,
            date=timezone.localdate(),
            scope=empty,
            inspectors=[inspector_gc],
            draw_count=1,
        )


def test_drawn_areas_must_be_covered_by_the_inspectors(insp, world, many_areas):
    # inspector_a covers 社区甲 only, which has 2 of the 15 areas: a draw of 10
    # over the subdistrict lands outside it whatever the seed, and is refused.
    with pytest.raises(InspectionError, match="insp_a is not an inspector for"):
        plan_draw(world, world.inspector_a, draw_count=10, seed="s")
