from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core.listing import paginate
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.core.xlsx import xlsx_download, xlsx_response
from zhenxing.people.models import RoleAssignment
from zhenxing.people.permissions import users_visible_to
from zhenxing.people.scopes import in_scope, is_office_admin, regions_visible_to, scope_paths
from zhenxing.territory.forms import BrowserForm, ImportForm
from zhenxing.territory.imports import COLUMNS as IMPORT_COLUMNS
from zhenxing.territory.imports import (
    ImportFileError,
    import_file,
    regions_geojson,
    xlsx_template,
)
from zhenxing.territory.models import CODE_RE, Region, RegionLevel, area_depth, level_names
from zhenxing.territory.panels import panels_for
from zhenxing.territory.selectors import (
    COMMUNITY_DEPTH,
    community_code_of,
    parent_code_of,
    path_codes,
    with_children_count,
)

# Paul Tol's "muted" qualitative scheme: told apart under the common forms of
# colour blindness. With more communities than colours it repeats; names
# come from the tooltip and the legend, never from the colour alone.
PALETTE = [
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
]
FALLBACK_COLOUR = "#BBBBBB"
# Placeholder the map script swaps for a region's code to build its link.
_CODE_SLOT = "__code__"


def _map_config(**extra: Any) -> dict[str, Any]:
    return {
        "tileUrl": settings.ZHENXING_TILE_URL,
        "tileAttribution": settings.ZHENXING_TILE_ATTRIBUTION,
        "regionUrl": reverse("territory:region", args=[_CODE_SLOT]),
        "codeSlot": _CODE_SLOT,
        "fallbackColour": FALLBACK_COLOUR,
        "openLabel": _("Open"),
        "emptyLabel": _("No polygons to show here."),
        "loadError": _("The map could not be loaded. Reload the page to try again."),
        **extra,
    }


def _legend(user: Any) -> list[dict[str, str]]:
    """The communities the user's regions lie in, each with its map colour (one query)."""
    paths = scope_paths(user)
    communities = Region.objects.filter(depth=COMMUNITY_DEPTH)
    if paths is not None:
        if not paths:
            return []
        # The communities inside the scope, and the one a narrower scope lies in.
        above = [path_codes(p)[COMMUNITY_DEPTH - 1] for p in paths if len(path_codes(p)) > 1]
        within = Q(code__in=above)
        for path in paths:
            within |= Q(path__startswith=path)
        communities = communities.filter(within)
    rows = communities.order_by("path").values_list("code", "name")
    return [
        {"code": code, "name": name, "colour": PALETTE[i % len(PALETTE)]}
        for i, (code, name) in enumerate(rows)
    ]


def _cooperative_legend(user: Any, community_code: str) -> list[dict[str, str]]:
    """The cooperatives of one community within the user's scope, each with its colour."""
    rows = (
        regions_visible_to(user)
        .filter(depth=COMMUNITY_DEPTH + 1, parent__code=community_code)
        .order_by("path")
        .values_list("code", "name")
    )
    return [
        {"code": code, "name": name, "colour": PALETTE[i % len(PALETTE)]}
        for i, (code, name) in enumerate(rows)
    ]


def _visible_region_or_404(user: Any, code: str) -> Region:
    """The region with this code in the user's scope; 404 otherwise.

    A string that cannot be a code (a NUL, a space…) is answered 404 here,
    before it reaches the database, which may refuse it with an error.
    """
    if not CODE_RE.fullmatch(code):
        raise Http404
    return get_visible_or_404(regions_visible_to, user, code=code)


def _levels() -> tuple[dict[int, str], int]:
    """The level names and the area depth, from one query."""
    levels = list(RegionLevel.objects.all())
    return level_names(levels), area_depth(levels)


def _browser_rows(request: HttpRequest) -> tuple[Any, dict[int, str], int, int, str, Any]:
    """The browser's filters applied to the user's territory; shared with the XLSX export."""
    names, area = _levels()
    data = request.GET.copy()
    data.setdefault("level", str(area))
    form = BrowserForm(data, levels=sorted(names.items()))
    level, q = area, ""
    if form.is_valid():
        level = form.cleaned_data["level"] or area
        q = form.cleaned_data["q"].strip()
    regions = regions_visible_to(request.user).filter(depth=level)
    if q:
        regions = regions.filter(name__icontains=q)
    regions = with_children_count(regions).select_related("parent").order_by("path")
    return form, names, level, area, q, regions


@require_GET
@login_required
def browser(request: HttpRequest) -> HttpResponse:
    """The map and table of one level of the user's territory (default: the areas)."""
    form, names, level, area, q, regions = _browser_rows(request)
    status = 200 if form.is_valid() else 400
    listing = paginate(
        request,
        regions.only("code", "name", "depth", "path", "population", "parent", "parent__name"),
    )
    legend = _legend(request.user)
    colour_by, legend_title = "community", _("Communities")
    if len(legend) == 1 and level > COMMUNITY_DEPTH + 1:
        # One community in scope: its areas all share one colour by community,
        # so tell them apart by cooperative instead.
        legend = _cooperative_legend(request.user, legend[0]["code"])
        colour_by, legend_title = "cooperative", _("Cooperatives")
    level_name = names.get(level, str(level))
    config = _map_config(
        geojsonUrl=reverse("api:regions_geojson") + f"?level={level}",
        colours={entry["code"]: entry["colour"] for entry in legend},
        colourBy=colour_by,
        legend=legend,
    )
    return render(
        request,
        "territory/browser.html",
        {
            "form": form,
            "level": level,
            "level_name": level_name,
            "q": q,
            **listing,
            "legend": legend,
            "legend_title": legend_title,
            "map_config": config,
            "has_scope": scope_paths(request.user) != [],
            "can_import": is_office_admin(request.user),
        },
        status=status,
    )


@require_GET
@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _visible_region_or_404(request.user, code)
    names, area = _levels()
    ancestors = [{"region": a, "visible": in_scope(request.user, a)} for a in region.ancestors()]
    children = list(
        with_children_count(Region.objects.filter(parent=region))
        .order_by("path")
        .only("code", "name", "depth", "path", "geometry", "population")
    )
    # Only the holders the viewer may see on the rosters: department staff
    # read the whole territory but not the communities' people.
    people = (
        RoleAssignment.objects.filter(region=region, user__in=users_visible_to(request.user))
        .select_related("user")
        .order_by("role", "user__username")
    )
    features = []
    if region.geometry:
        features.append(_feature(region, role="self"))
    drawn = [_feature(child, role="child") for child in children if child.geometry]
    if not drawn and children:
        # Communities and cooperatives often have no polygon of their own: draw
        # the areas under them instead, coloured by the child they lie in.
        areas = (
            Region.objects.subtree(region)
            .filter(depth=area, geometry__isnull=False)
            .exclude(pk=region.pk)
            .order_by("path")
            .only("code", "name", "depth", "path", "geometry")
        )
        drawn = [_feature(area, role="child", group_depth=region.depth + 1) for area in areas]
    features += drawn
    config = _map_config(
        data={"type": "FeatureCollection", "features": features},
        colours={child.code: PALETTE[i % len(PALETTE)] for i, child in enumerate(children)},
        colourBy="group",
    )
    return render(
        request,
        "territory/region_detail.html",
        {
            "region": region,
            "level_name": names.get(region.depth, str(region.depth)),
            "child_level_name": names.get(region.depth + 1, str(region.depth + 1)),
            "ancestors": ancestors,
            "children": children,
            "people": people,
            "map_config": config,
            "has_map": bool(features),
            # What other apps show for this region (the red grid and posts…).
            "panels": panels_for(request, region),
        },
    )


def _feature(region: Region, *, role: str, group_depth: int | None = None) -> dict[str, Any]:
    """A map feature; `group` is the code of its ancestor at `group_depth` (itself by default)."""
    codes = path_codes(region.path)
    group = codes[group_depth - 1] if group_depth and len(codes) >= group_depth else region.code
    return {
        "type": "Feature",
        "geometry": region.geometry,
        "properties": {
            "code": region.code,
            "name": region.name,
            "level": region.depth,
            "parent_code": parent_code_of(region.path),
            "community": community_code_of(region.path),
            "group": group,
            "role": role,
        },
    }


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the user's visible territory, or of one visible region's subtree (?root=)."""
    regions = regions_visible_to(request.user)
    name = "territory"
    if root_code := request.GET.get("root"):
        root = _visible_region_or_404(request.user, root_code)
        regions = regions.filter(path__startswith=root.path)
        name = f"territory-{root.code}"
    response = HttpResponse(
        json.dumps(regions_geojson(regions), ensure_ascii=False),
        content_type="application/geo+json; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.geojson")
    return response


@require_GET
@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The browser's table as XLSX, in the import's columns so it can be edited and re-imported."""
    form, _names, level, _area, _q, regions = _browser_rows(request)
    if not form.is_valid():
        return HttpResponse(_("Choose a level from the list."), status=400)
    rows = (
        [
            region.code,
            region.name,
            parent_code_of(region.path),
            region.depth,
            region.population,
            region.households,
            region.children_count,
        ]
        for region in regions.iterator(chunk_size=2000)
    )
    headers = [*(zh for _f, zh, _r in IMPORT_COLUMNS), "下级区域数"]
    return xlsx_response(f"territory-level-{level}.xlsx", headers, rows, title="regions")


@require_http_methods(["GET", "POST"])
@login_required
def import_regions(request: HttpRequest) -> HttpResponse:
    """Upload a GeoJSON or XLSX file of regions; all rows are written or none.

    Office admins only; anyone else gets 404 (what they may not use does not
    exist for them). Each row must lie in what the admin administers.
    """
    if not is_office_admin(request.user):
        raise Http404
    if request.method == "GET":
        return render(request, "territory/import.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    context: dict[str, Any] = {"form": form, "errors": [], "file_error": ""}
    if not form.is_valid():
        return render(request, "territory/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = import_file(upload.name, upload.read(), actor=request.user)
    except ImportFileError as exc:
        context["file_error"] = str(exc)
        return render(request, "territory/import.html", context, status=400)
    if not result.ok:
        context["errors"] = result.errors
        context["filename"] = upload.name
        return render(request, "territory/import.html", context, status=400)
    messages.success(
        request,
        _("Import finished: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("territory:import")


@require_GET
@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    if not is_office_admin(request.user):
        raise Http404
    return xlsx_download(xlsx_template(), "territory-template.xlsx")
