"""The inspector's phone pages (today's list, the scoring form) and one inspection's evidence.

An inspection is fetched only through `permissions.get_inspection_for_user`,
so a community sees nothing of it (404) until the circular covering its day
is published. Every change goes through `services`: a refused step shows the
page again with the reason and the input (400), a stale one the page as it
is now (409), a step the viewer may not take answers 403. A page the viewer
may not open (today's list for a non-inspector, the scoring form for anyone
but the inspector who may score) answers 404.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.cases.photos import max_photo_mb
from zhenxing.core.permissions import page_or_404, require
from zhenxing.inspections import permissions, selectors, services
from zhenxing.inspections.forms import (
    OpenCaseForm,
    ScoreForm,
    VoidForm,
    points_text,
)
from zhenxing.inspections.models import (
    Inspection,
    InspectionPhoto,
    InspectionStatus,
    RoundStatus,
)
from zhenxing.inspections.views.rounds import community_names, shows_inspector
from zhenxing.people.scopes import office_admin_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_code_of

# Metres per degree of latitude (mean Earth radius), as territory.lookup measures borders.
_M_PER_DEGREE = 6_371_008.8 * math.pi / 180

# --- today's list ---------------------------------------------------------------------------


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Today's inspections for the inspector, as big cards: what is left first."""
    page_or_404(permissions.is_inspector(request.user))
    today = timezone.localdate()
    inspections = list(selectors.mine(request.user, today))
    names = community_names(i.area_path for i in inspections)
    for inspection in inspections:
        inspection.community_name = names.get(community_code_of(inspection.area_path), "")
    # What is still to do comes first; the path order stays within each group.
    inspections.sort(key=lambda i: i.status != InspectionStatus.PENDING)
    pending = sum(1 for i in inspections if i.status == InspectionStatus.PENDING)
    return render(
        request,
        "inspections/mine.html",
        {"inspections": inspections, "today": today, "pending": pending},
    )


# --- scoring --------------------------------------------------------------------------------


def _items(inspection: Inspection) -> list[Any]:
    return list(inspection.template.items.select_related("category").order_by("order", "code"))


def _render_score(
    request: HttpRequest, inspection: Inspection, form: ScoreForm, status: int = 200
) -> HttpResponse:
    community = community_names([inspection.area_path]).get(
        community_code_of(inspection.area_path), ""
    )
    template = inspection.template
    return render(
        request,
        "inspections/score.html",
        {
            "inspection": inspection,
            "community_name": community,
            "form": form,
            "rows": form.rows(),
            "item_errors": form.item_errors() if form.is_bound else [],
            "general_errors": form.general_errors() if form.is_bound else [],
            "full_score": points_text(template.full_score),
            "full_score_value": f"{template.full_score:f}",
            "photo_mb": max_photo_mb(),
            # A browser never re-fills a file input: say so rather than lose photos silently.
            "photos_again": bool(request.method == "POST" and request.FILES),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def inspection_score(request: HttpRequest, pk: int) -> HttpResponse:
    """The scoring form (GET) and its submission (POST): once, and final."""
    inspection = permissions.get_inspection_for_user(request.user, pk)
    if request.method == "GET" and inspection.status != InspectionStatus.PENDING:
        messages.info(request, _("This inspection is no longer open for scoring."))
        return redirect("inspections:detail", pk=inspection.pk)
    if request.method == "POST" and (
        inspection.status != InspectionStatus.PENDING
        or inspection.round.status != RoundStatus.PLANNED
    ):
        return _render_detail(
            request,
            inspection,
            error=_("This inspection was scored or cancelled meanwhile; nothing was changed."),
            status=409,
        )
    may_score = permissions.can_score(request.user, inspection)
    if request.method == "GET":
        # The form is a page only for the inspector who may score; the office sees the
        # inspection (its detail) but the form is not there for it.
        page_or_404(may_score)
    require(may_score)
    items = _items(inspection)
    if request.method == "GET":
        form = ScoreForm(items, initial={"version": inspection.version})
        return _render_score(request, inspection, form)
    form = ScoreForm(items, request.POST, request.FILES)
    if not form.is_valid():
        return _render_score(request, inspection, form, status=400)
    data = form.cleaned_data
    area = inspection.area
    try:
        inspection = services.inspection_submit(
            inspection=inspection,
            actor=request.user,
            findings=form.findings(),
            lat=data.get("lat"),
            lng=data.get("lng"),
            note=(data.get("note") or "").strip(),
            photos=data.get("photos") or [],
            expected_version=data["version"],
        )
    except services.InspectionConflict as exc:
        fresh = permissions.get_inspection_for_user(request.user, pk)
        return _render_detail(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        form.add_error(None, str(exc))
        return _render_score(request, inspection, form, status=400)
    numbers = list(
        inspection.findings.filter(case__isnull=False)
        .order_by("item__order", "pk")
        .values_list("case__number", flat=True)
    )
    text = _("Scored: %(score)s points.") % {"score": points_text(inspection.score)}
    if numbers:
        text += " " + ngettext(
            "Case %(numbers)s was opened.", "Cases %(numbers)s were opened.", len(numbers)
        ) % {"numbers": "、".join(numbers)}
    messages.success(request, text)
    lat, lng = data.get("lat"), data.get("lng")
    if lat is not None and lng is not None and outside_area(area, lat, lng):
        messages.warning(
            request,
            _(
                "Your location is not inside this area. The score was saved all the same: "
                "check that you scored the right area."
            ),
        )
    return redirect("inspections:detail", pk=inspection.pk)


def outside_area(area: Region, lat: float, lng: float) -> bool:
    """The position lies outside the area's polygon, farther than the border tolerance.

    A warning only, never a refusal: a fix taken from the road along the
    border, or a weak GPS signal, is no reason to lose a score. The border
    tolerance (`ZHENXING_AREA_TOLERANCE_M`) is the one the point-to-area
    lookup allows. An area without a usable polygon cannot be checked: False.
    """
    import numpy as np
    import shapely
    from shapely.geometry import Point, shape

    if not area.geometry:
        return False
    try:
        polygon = shape(area.geometry)
    except Exception:  # shapely raises several types for malformed coordinates
        return False
    point = Point(lng, lat)
    if polygon.is_empty or polygon.covers(point):
        return False
    # Distances in a local frame of metres (east, north) around the position.
    scale = np.array([_M_PER_DEGREE * math.cos(math.radians(lat)), _M_PER_DEGREE])
    distance = shapely.distance(
        shapely.transform(polygon, lambda coords: coords * scale),
        shapely.transform(point, lambda coords: coords * scale),
    )
    return float(distance) > float(settings.ZHENXING_AREA_TOLERANCE_M)


# --- one inspection -------------------------------------------------------------------------


def may_see_originals(user: Any, inspection: Inspection) -> bool:
    """A photo's original keeps its EXIF (GPS, time): for the office admins of the area."""
    paths = office_admin_paths(user)
    return paths is None or any(inspection.area_path.startswith(p) for p in paths)


def _render_detail(
    request: HttpRequest,
    inspection: Inspection,
    *,
    void_form: VoidForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    findings = list(
        inspection.findings.select_related("item__category", "case").order_by("item__order", "pk")
    )
    photos = list(inspection.photos.order_by("uploaded_at", "pk"))
    by_finding: dict[int | None, list[InspectionPhoto]] = {}
    for photo in photos:
        by_finding.setdefault(photo.finding_id, []).append(photo)
    may_open = permissions.can_open_case(user, inspection)
    for finding in findings:
        finding.shown_photos = by_finding.get(finding.pk, [])
        finding.may_open_case = (
            may_open and finding.case_id is None and finding.item.category_id is not None
        )
    may_void = permissions.can_void(user, inspection)
    if may_void and void_form is None:
        void_form = VoidForm(initial={"version": inspection.version})
    template = inspection.template
    round_visible = permissions.rounds_visible_to(user).filter(pk=inspection.round_id).exists()
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "community_name": community_names([inspection.area_path]).get(
                community_code_of(inspection.area_path), ""
            ),
            "template": template,
            "full_score": points_text(template.full_score),
            "score": points_text(inspection.score),
            "deduction": points_text(inspection.deduction),
            "findings": [(f, points_text(f.deduction)) for f in findings],
            "general_photos": by_finding.get(None, []),
            "show_inspector": shows_inspector(user, inspection),
            "may_see_originals": may_see_originals(user, inspection),
            "may_score": permissions.can_score(user, inspection),
            "void_form": void_form if may_void else None,
            "void_open": bool(void_form is not None and void_form.is_bound),
            "round_visible": round_visible,
            "from_mine": _from_mine(user, inspection, round_visible),
            "error": error,
        },
        status=status,
    )


def _from_mine(user: Any, inspection: Inspection, round_visible: bool) -> bool:
    """The inspection is the user's own work: its breadcrumb leads back to My inspections.

    The inspector it is assigned to (who scored it, once scored), or, while
    nobody is, an inspector of its round; everyone else came from the results.
    """
    if not permissions.is_inspector(user):
        return False
    if inspection.inspector_id is not None:
        return inspection.inspector_id == user.pk
    return round_visible and inspection.round.inspectors.filter(pk=user.pk).exists()


@require_GET
@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, permissions.get_inspection_for_user(request.user, pk))


@require_POST
@login_required
def inspection_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a score before its release (the office, with a reason): it then counts nowhere."""
    inspection = permissions.get_inspection_for_user(request.user, pk)
    if inspection.status != InspectionStatus.SUBMITTED:
        return _render_detail(
            request,
            inspection,
            error=_("Only a scored inspection can be voided; this one is “%(status)s”.")
            % {"status": inspection.get_status_display()},
            status=409,
        )
    require(permissions.can_void(request.user, inspection))
    form = VoidForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, inspection, void_form=form, status=400)
    try:
        services.inspection_void(
            inspection=inspection,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except services.InspectionConflict as exc:
        fresh = permissions.get_inspection_for_user(request.user, pk)
        return _render_detail(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, inspection, void_form=form, status=400)
    messages.success(request, _("The score was voided; it no longer counts."))
    return redirect("inspections:detail", pk=inspection.pk)


@require_POST
@login_required
def finding_open_case(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    """Open a case from a finding (one tap), then show the case."""
    inspection = permissions.get_inspection_for_user(request.user, pk)
    finding = (
        inspection.findings.select_related("item__category", "case").filter(pk=finding_id).first()
    )
    if finding is None:
        raise Http404
    if not permissions.can_open_case(request.user, inspection):
        raise PermissionDenied
    if finding.case_id is not None:
        return _render_detail(
            request,
            inspection,
            error=_("Case %(number)s was already opened from this finding.")
            % {"number": finding.case.number},
            status=409,
        )
    form = OpenCaseForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request, inspection, error=" ".join(form.errors["description"]), status=400
        )
    finding.inspection = inspection
    try:
        case = services.finding_open_case(
            finding=finding, actor=request.user, description=form.cleaned_data["description"]
        )
    except services.InspectionConflict as exc:
        fresh = permissions.get_inspection_for_user(request.user, pk)
        return _render_detail(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        return _render_detail(request, inspection, error=str(exc), status=400)
    messages.success(request, _("Case %(number)s was opened.") % {"number": case.number})
    return redirect("cases:detail", number=case.number)
