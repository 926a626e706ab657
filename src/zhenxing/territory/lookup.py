"""Point → area lookup: which area (片区) a GPS fix falls in.

Every problem, inspection finding and check-in belongs to exactly one area,
so this runs on every report and must stay fast with 10,000 areas.

How it works
------------
* The area polygons are projected once into a local equirectangular frame
  (metres east/north, scaled by the cosine of the territory's middle
  latitude) and put into a shapely ``STRtree``. Distances in that frame are
  metres to within a fraction of a percent across a subdistrict-sized
  territory, so the border tolerance is a plain metre distance.
* The index is built once per process and reused. Each call first reads a
  *version key* — the area depth and the territory version
  (``models.TerritoryVersion``) — in two tiny queries, and rebuilds the index
  only when the key changed. Every write to the regions moves the version
  in its own transaction (``Region.save``/``delete`` and the queryset's
  ``update``, ``bulk_create``, ``bulk_update`` and ``delete`` do it; raw SQL
  must call ``models.bump_territory_version``), so the key changes exactly
  when a write commits, in this process or in another one, without a cache
  server or signals. (Timestamps would not do: an import stamps its rows
  before it commits, so a slow one can commit after a quicker edit with an
  earlier ``updated_at`` and leave the latest timestamp unchanged.) Each
  bump also writes a random nonce, so an index built inside a transaction
  that was then rolled back never matches a later write's counter value.
* A row deleted behind the ORM's back is noticed when it is fetched: the
  index is dropped and the lookup asked again.
* A point on a shared border touches several polygons; the area with the
  lowest code wins, so the answer never depends on the order of rows. A
  point outside every polygon goes to the nearest area within the tolerance
  (``settings.ZHENXING_AREA_TOLERANCE_M``; a fix on a border road), again
  lowest code on a tie; farther out, there is no area.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from zhenxing.territory.models import Region, area_depth, territory_version

logger = logging.getLogger(__name__)

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180

VersionKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Index:
    key: VersionKey
    tree: STRtree | None
    # Region primary keys, in code order: the tree's item i is pks[i], so the
    # smallest matching index is the smallest code.
    pks: tuple[int, ...]
    # Metres per degree of longitude / latitude in the local frame.
    kx: float
    ky: float

    def project(self, lat: float, lng: float) -> Point:
        return Point(lng * self.kx, lat * self.ky)


_lock = threading.Lock()
_index: _Index | None = None


def invalidate() -> None:
    """Drop this process's index; the next lookup rebuilds it."""
    global _index
    _index = None


def _version_key() -> VersionKey:
    """(area depth, territory version): changes whenever a write to the regions commits."""
    return (area_depth(), territory_version())


def _build_index(key: VersionKey) -> _Index:
    rows = list(
        Region.objects.filter(depth=key[0], geometry__isnull=False)
        .order_by("code")
        .values_list("pk", "code", "geometry")
    )
    pks: list[int] = []
    geoms = []
    for pk, code, geojson in rows:
        try:
            geom = shape(geojson)
        except Exception:  # stored by hand or by an old import: skip it, do not fail lookups
            logger.warning("area %s has unreadable geometry; left out of the lookup", code)
            continue
        if geom.is_empty:
            continue
        pks.append(pk)
        geoms.append(geom)
    if not geoms:
        return _Index(key=key, tree=None, pks=(), kx=_M_PER_DEGREE, ky=_M_PER_DEGREE)
    array = np.array(geoms, dtype=object)
    miny, maxy = shapely.total_bounds(array)[[1, 3]]
    kx = _M_PER_DEGREE * math.cos(math.radians((miny + maxy) / 2))
    ky = _M_PER_DEGREE
    projected = shapely.transform(array, lambda coords: coords * np.array([kx, ky]))
    return _Index(key=key, tree=STRtree(projected), pks=tuple(pks), kx=kx, ky=ky)


def _current_index() -> _Index:
    global _index
    key = _version_key()
    index = _index
    if index is not None and index.key == key:
        return index
    with _lock:
        # Another thread may have rebuilt it while this one waited.
        if _index is not None and _index.key == key:
            return _index
        _index = _build_index(key)
        return _index


def _find_pk(lat: float, lng: float, tolerance_m: float | None) -> int | None:
    if not (math.isfinite(lat) and math.isfinite(lng)) or abs(lat) > 90 or abs(lng) > 180:
        raise ValueError("latitude/longitude out of range")
    if tolerance_m is None:
        tolerance_m = float(settings.ZHENXING_AREA_TOLERANCE_M)
    index = _current_index()
    if index.tree is None:
        return None
    point = index.project(lat, lng)
    hits = index.tree.query(point, predicate="intersects")
    if len(hits):
        return index.pks[int(hits.min())]
    if tolerance_m <= 0:
        return None
    nearest, distances = index.tree.query_nearest(
        point, max_distance=tolerance_m, return_distance=True, all_matches=True
    )
    if not len(nearest):
        return None
    best = min(zip(distances.tolist(), nearest.tolist(), strict=True))
    return index.pks[best[1]]


def find_area(lat: float, lng: float, tolerance_m: float | None = None) -> Region | None:
    """The area-level region containing (lat, lng), or the nearest within the tolerance.

    ``tolerance_m`` defaults to ``settings.ZHENXING_AREA_TOLERANCE_M``; None is
    returned for a point outside the territory.
    """
    for _attempt in range(2):
        pk = _find_pk(lat, lng, tolerance_m)
        if pk is None:
            return None
        area = Region.objects.filter(pk=pk).first()
        if area is not None:
            return area
        # Deleted since the index was built, by a write that left the key alone
        # (raw SQL), or while this process read the key: ask again, rebuilt.
        invalidate()
    return None
