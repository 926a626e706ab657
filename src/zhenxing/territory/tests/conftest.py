"""Fixtures for the territory tests (the shared `world` lives in the root conftest)."""

from __future__ import annotations

import pytest

from zhenxing.territory import lookup
from zhenxing.territory.models import PATH_SEP, Region


@pytest.fixture(autouse=True)
def fresh_lookup_index():
    """Each test starts without the point → area index of the one before it."""
    lookup.invalidate()
    yield
    lookup.invalidate()


def box(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    """A GeoJSON square with its south-west corner at (lng, lat), as in the root conftest."""
    return box(lng, lat, lng + size, lat + size)


def bulk_grid(parent: Region, *, n: int, lng0: float, lat0: float, size: float) -> list[Region]:
    """n × n square areas under `parent`, written with bulk_create (path and depth by hand).

    The area in column i (west → east), row j (south → north) has the code
    f"{parent.code}-{j:03d}{i:03d}", so the codes grow northwards first.
    """
    areas = []
    for j in range(n):
        for i in range(n):
            code = f"{parent.code}-{j:03d}{i:03d}"
            # Each edge is computed once from its index, so neighbours share it exactly.
            west, east = lng0 + i * size, lng0 + (i + 1) * size
            south, north = lat0 + j * size, lat0 + (j + 1) * size
            areas.append(
                Region(
                    code=code,
                    name=f"网格{j:03d}{i:03d}",
                    parent=parent,
                    depth=parent.depth + 1,
                    path=parent.path + code + PATH_SEP,
                    geometry=box(west, south, east, north),
                    centroid_lat=(south + north) / 2,
                    centroid_lng=(west + east) / 2,
                )
            )
    return Region.objects.bulk_create(areas, batch_size=1000)


@pytest.fixture(autouse=True)
def english_messages():
    """Messages asserted in these tests are the English msgids, whatever the catalogue holds."""
    from django.utils import translation

    with translation.override("en"):
        yield
