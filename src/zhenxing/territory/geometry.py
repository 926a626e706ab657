"""GeoJSON geometry helpers (shapely; no GDAL)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

POLYGONAL = {"Polygon", "MultiPolygon"}


class GeometryError(ValueError):
    pass


def parse_polygonal(geojson: Any) -> BaseGeometry:
    """A valid Polygon/MultiPolygon from a GeoJSON geometry dict, or GeometryError."""
    if not isinstance(geojson, dict) or geojson.get("type") not in POLYGONAL:
        raise GeometryError(_("geometry must be a GeoJSON Polygon or MultiPolygon"))
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeometryError(_("malformed coordinates: %(reason)s") % {"reason": exc}) from None
    if geom.is_empty:
        raise GeometryError(_("geometry is empty"))
    if not geom.is_valid:
        raise GeometryError(_("geometry is not valid (self-intersecting or badly ringed)"))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeometryError(_("coordinates must be longitude, latitude in degrees (WGS84)"))
    return geom


def centroid_of(geom: BaseGeometry) -> tuple[float, float]:
    """(lat, lng) of a point guaranteed to lie inside the shape, for labels and pins."""
    point = geom.representative_point()
    return point.y, point.x
