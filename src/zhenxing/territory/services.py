"""All writes to the territory go through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhenxing.core import audit
from zhenxing.territory import lookup
from zhenxing.territory.geometry import centroid_of, parse_polygonal
from zhenxing.territory.models import PATH_SEP, Region

# The fields an edit may change; their before/after values go into the audit row.
_EDITABLE = ["name", "geometry", "centroid_lat", "centroid_lng", "population", "households"]


class TerritoryError(Exception):
    """A territory rule was broken (unknown parent, bad code, bad geometry)."""


def check_code(code: str) -> str:
    """The code, stripped, or TerritoryError (codes build the path: no separator in them)."""
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
    code = check_code(code)
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
    # This process's point → area index must not outlive the write, even when
    # the clock is frozen (tests) and the version key alone cannot tell.
    lookup.invalidate()
    return region


def region_update(
    *,
    region: Region,
    name: str | None = None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
    actor: Any,
) -> Region:
    """Change a region's name, polygon or figures; None leaves a field as it is.

    The code, parent and depth never change here: moving a region would have
    to rewrite the paths of its whole subtree and is not offered.
    """
    if name is not None and not name.strip():
        raise TerritoryError("name may not be empty")
    lat = lng = None
    if geometry is not None:
        lat, lng = centroid_of(parse_polygonal(geometry))
    with transaction.atomic():
        # Lock the row so two editors cannot interleave their before/after pairs.
        locked = Region.objects.select_for_update().get(pk=region.pk)
        before = audit.snapshot(locked, _EDITABLE)
        if name is not None:
            locked.name = name.strip()
        if geometry is not None:
            locked.geometry = geometry
            locked.centroid_lat, locked.centroid_lng = lat, lng
        if population is not None:
            locked.population = population
        if households is not None:
            locked.households = households
        after = audit.snapshot(locked, _EDITABLE)
        if after != before:
            locked.save(update_fields=[*_EDITABLE, "updated_at"])
            audit.record(
                actor=actor,
                action="territory.region.update",
                obj=locked,
                before=before,
                after=after,
            )
    if after != before:
        lookup.invalidate()
    # Hand the caller's object the new values so it is not left stale.
    for field in [*_EDITABLE, "updated_at"]:
        setattr(region, field, getattr(locked, field))
    return region
