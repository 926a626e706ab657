"""Filing a case: the mobile-first intake form and its duplicate check.

Before a case is saved, the open cases of the same category within the
category's radius are offered (DOMAIN.md §3): while the form is filled in
(htmx asks `duplicates` whenever the category or the pin changes) and again
on submit, so that a phone without JavaScript is offered them too. The
reporter may add to one of them instead (`detail.add_report`) or tick
"file as a new case anyway".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.cases import services
from zhenxing.cases.forms import CaseReportForm, DuplicateQueryForm
from zhenxing.cases.models import Case, CasePhoto, Category, PhotoKind
from zhenxing.cases.permissions import can_dispatch, can_report, cases_visible_to
from zhenxing.cases.pinmap import pin_map_config
from zhenxing.cases.selectors import possible_duplicates
from zhenxing.core.permissions import require
from zhenxing.core.privacy import mask_mobiles_unless


def find_duplicates(
    user: Any, *, category: Category, lat: float, lng: float
) -> list[tuple[Case, float]]:
    """Open cases the user can see of this category near the point, each with a thumbnail.

    Each carries `shown_description`: a mobile typed into it is masked for a
    reporter who may not dispatch that case (as on the case page).
    """
    found = possible_duplicates(cases_visible_to(user), category=category, lat=lat, lng=lng)
    for case, _distance in found:
        full = can_dispatch(user, case)
        case.shown_description = mask_mobiles_unless(case.description, full)
    prefetch_related_objects(
        [case for case, _distance in found],
        Prefetch(
            "photos",
            queryset=CasePhoto.objects.filter(kind=PhotoKind.BEFORE).only(
                "token", "case_id", "kind", "uploaded_at"
            ),
            to_attr="before_photos",
        ),
    )
    return found


def _map_config(form: CaseReportForm) -> dict[str, Any]:
    lat = lng = None
    if form.is_bound and hasattr(form, "cleaned_data"):
        lat, lng = form.cleaned_data.get("lat"), form.cleaned_data.get("lng")
    return {
        "geojsonUrl": reverse("api:regions_geojson"),
        **pin_map_config(
            lat,
            lng,
            locate_error=_(
                "Your location could not be found. Tap the map instead, or choose the area below."
            ),
            load_error=_(
                "The map could not be loaded. Choose the area and type the address below."
            ),
        ),
        "chooseDuplicate": _(
            "A case like this is already open nearby: add your report to it, "
            "or tick the box to file a new case."
        ),
    }


def render_intake(
    request: HttpRequest,
    form: CaseReportForm,
    *,
    duplicates: list[tuple[Case, float]] | None = None,
    status: int = 200,
) -> HttpResponse:
    files_lost = bool(request.method == "POST" and request.FILES)
    return render(
        request,
        "cases/case_form.html",
        {
            "form": form,
            "duplicates": duplicates or [],
            # The duplicates were offered on submit: the box to file anyway goes with them.
            "offer_confirm": bool(duplicates),
            "confirm_checked": False,
            "map_config": _map_config(form),
            # A browser never re-fills a file input: say so rather than lose photos silently.
            "photos_again": files_lost,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    require(can_report(request.user))
    if request.method == "GET":
        return render_intake(request, CaseReportForm(request.user))
    form = CaseReportForm(request.user, request.POST, request.FILES)
    if not form.is_valid():
        return render_intake(request, form, status=400)
    data = form.cleaned_data
    if not data["confirm_new"]:
        point = form.location()
        if point is not None:
            duplicates = find_duplicates(
                request.user, category=data["category"], lat=point[0], lng=point[1]
            )
            if duplicates:
                return render_intake(request, form, duplicates=duplicates)
    try:
        case = services.case_report(actor=request.user, **form.service_kwargs())
    except services.CaseError as exc:
        form.add_error(None, str(exc))
        return render_intake(request, form, status=400)
    messages.success(request, _("Case %(number)s was filed. Thank you.") % {"number": case.number})
    return redirect("cases:detail", number=case.number)


@require_GET
@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """The `_duplicates.html` fragment for a category and a point (htmx, while filling in)."""
    require(can_report(request.user))
    if not all(request.GET.get(name) for name in ("category", "lat", "lng")):
        # Nothing chosen yet: nothing to compare with.
        return render(request, "cases/_duplicates.html", {"duplicates": []})
    query = DuplicateQueryForm(request.GET)
    if not query.is_valid():
        return render(request, "cases/_duplicates.html", {"duplicates": []}, status=400)
    found = find_duplicates(
        request.user,
        category=query.cleaned_data["category"],
        lat=query.cleaned_data["lat"],
        lng=query.cleaned_data["lng"],
    )
    return render(
        request,
        "cases/_duplicates.html",
        {"duplicates": found, "offer_confirm": bool(found), "confirm_checked": False},
    )
