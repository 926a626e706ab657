"""All writes to the territory go through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhenxing.core import audit
from zhenxing.territory.geometry import centroid_of, parse_polygonal
from zhenxing.territory.models import PATH_SEP, Region


class TerritoryError(Exception):
    """A territory rule was broken (unknown parent, bad code, bad geometry)."""


def _check_code(code: str) -> str:
    code = code.strip()
    if not code or PATH_SEP in code or len(code) > 40:
        raise TerritoryError(f"code {code!r} must be 1–40 characters without '{PATH_SEP}'")
    return code


def region_create(
    *,
    code: str,
    name: str,
    parent: Region | None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
    actor: Any,
) -> Region:
    code = _check_code(code)
    lat = lng = None
    if geometry is not None:
        lat, lng = centroid_of(parse_polygonal(geometry))
    with transaction.atomic():
        region = Region.objects.create(
            code=code,
            name=name.strip(),
            parent=parent,
            depth=(parent.depth + 1) if parent else 1,
            path=(parent.path if parent else "") + code + PATH_SEP,
            geometry=geometry,
            centroid_lat=lat,
            centroid_lng=lng,
            population=population,
            households=households,
        )
        audit.record(
            actor=actor,
            action="territory.region.create",
            obj=region,
            after=audit.snapshot(region, ["code", "name", "parent_id", "depth"]),
        )
    return region
