"""The territory in the JSON API: /api/v1/regions.

Every answer is scoped by `regions_visible_to(request.user)`: a region outside
the caller's scope is answered exactly like one that does not exist (404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.scopes import in_scope, regions_visible_to
from zhenxing.territory.lookup import find_area
from zhenxing.territory.models import CODE_PATTERN, CODE_RE, Region, area_depth, level_names
from zhenxing.territory.selectors import community_code_of, cooperative_code_of, parent_code_of

router = Router()

MAX_LIMIT = 500
# Query parameters naming a region must look like a code, and free text must
# hold no control characters: both are refused with 422 before any query
# (PostgreSQL answers NUL in text with an error).
_CODE_PARAM = f"^{CODE_PATTERN}$"
_TEXT_PARAM = r"^[^\x00-\x1f\x7f]*$"


class Message(Schema):
    detail: str


class RegionOut(Schema):
    code: str
    name: str
    level: int = Field(description="Depth in the tree: 1 is the root (subdistrict).")
    level_name: str = Field(description="The configured name of that depth, e.g. 片区.")
    parent_code: str = Field(description="Empty for a root.")
    path: str = Field(description="Codes from the root, each followed by '/'.")
    centroid_lat: float | None = Field(description="A point inside the polygon (label anchor).")
    centroid_lng: float | None
    population: int | None
    households: int | None


class RegionPage(Schema):
    count: int = Field(description="Matching regions in total, before limit/offset.")
    items: list[RegionOut]


class RegionDetail(RegionOut):
    geometry: dict[str, Any] | None = Field(description="GeoJSON Polygon/MultiPolygon (WGS84).")
    children_count: int


class FeatureProperties(Schema):
    code: str
    name: str
    level: int
    parent_code: str
    population: int | None
    community: str = Field(description="Code of the community (社区) the region lies in.")
    cooperative: str = Field(description="Code of the cooperative (经济社) the region lies in.")


class Feature(Schema):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: FeatureProperties


class FeatureCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


def _out(region: Region, names: dict[int, str]) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.depth,
        "level_name": names.get(region.depth, str(region.depth)),
        "parent_code": parent_code_of(region.path),
        "path": region.path,
        "centroid_lat": region.centroid_lat,
        "centroid_lng": region.centroid_lng,
        "population": region.population,
        "households": region.households,
    }


# Columns for list answers: the polygons stay in the database.
_LIST_FIELDS = (
    "code",
    "name",
    "depth",
    "path",
    "centroid_lat",
    "centroid_lng",
    "population",
    "households",
)


@router.get("", response=RegionPage, summary="List regions in my scope")
def list_regions(
    request: HttpRequest,
    level: Annotated[int | None, Query(ge=1, description="Depth, 1 = root.")] = None,
    parent: Annotated[
        str | None, Query(pattern=_CODE_PARAM, description="Only children of this code.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, pattern=_TEXT_PARAM, description="Name contains.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    qs = regions_visible_to(request.user)
    if level is not None:
        qs = qs.filter(depth=level)
    if parent:
        qs = qs.filter(parent__code=parent)
    if q:
        qs = qs.filter(name__icontains=q.strip())
    names = level_names()
    items = [
        _out(r, names) for r in qs.order_by("path").only(*_LIST_FIELDS)[offset : offset + limit]
    ]
    return {"count": qs.count(), "items": items}


@router.get(
    "/lookup",
    response={200: RegionOut, 404: Message},
    summary="The area (片区) at a point",
    description="The area whose polygon holds the point, or the nearest one within the "
    "configured border tolerance; 404 when there is none in the caller's scope.",
)
def lookup_area(
    request: HttpRequest,
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS84 degrees.")],
    lng: Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS84 degrees.")],
) -> Any:
    area = find_area(lat, lng)
    if area is None or not in_scope(request.user, area):
        raise HttpError(404, _("No area in your scope at this point."))
    return _out(area, level_names())


@router.get(
    "/geojson",
    response=FeatureCollection,
    summary="Polygons of one level, for maps",
    url_name="regions_geojson",
)
def regions_geojson(
    request: HttpRequest,
    root: Annotated[
        str | None, Query(pattern=_CODE_PARAM, description="Only under this region's code.")
    ] = None,
    level: Annotated[int | None, Query(ge=1, description="Depth; default the areas.")] = None,
) -> dict[str, Any]:
    qs = regions_visible_to(request.user).filter(
        depth=level if level is not None else area_depth(), geometry__isnull=False
    )
    if root:
        top = get_visible_or_404(regions_visible_to, request.user, code=root)
        qs = qs.filter(path__startswith=top.path)
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "code": code,
                "name": name,
                "level": depth,
                "parent_code": parent_code_of(path),
                "population": population,
                "community": community_code_of(path),
                "cooperative": cooperative_code_of(path),
            },
        }
        for code, name, depth, path, population, geometry in qs.order_by("path").values_list(
            "code", "name", "depth", "path", "population", "geometry"
        )
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/{code}", response={200: RegionDetail, 404: Message}, summary="One region")
def region_detail(request: HttpRequest, code: str) -> Any:
    if not CODE_RE.fullmatch(code):
        # No region has such a code: answered like any other unknown one.
        raise Http404
    region = get_visible_or_404(regions_visible_to, request.user, code=code)
    return {
        **_out(region, level_names()),
        "geometry": region.geometry,
        "children_count": region.children.count(),
    }
