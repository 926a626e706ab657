"""Today's board, daily arrangements, the phone form for progress, and progress photos.

- Today's board (`today`): for one community, what each team is arranged
  to do today and what is late, from `selectors.today_board` (the same
  roll-up rule as every other page).
- Arrangements are made and cancelled by planners (`permissions.can_plan_at`);
  progress is reported by planners and team leaders (`can_report_at`) on a
  phone form with photos, uploaded with progress and retry (cases/upload.js).

A page the user may not open answers 404, as a thing out of sight does; a
visible thing the user may not change, 403; a broken rule, the form again
with the reason (400); a stale version, 409.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.cases.photos import MAX_PHOTOS, max_photo_mb
from zhenxing.cases.views.photos import serve_photo
from zhenxing.core.permissions import page_or_404, require
from zhenxing.people.models import WorkTeam
from zhenxing.plans import permissions, selectors, services
from zhenxing.plans.forms import (
    ArrangementForm,
    CancelForm,
    ReportForm,
    arrangement_initial,
    communities_under,
)
from zhenxing.plans.models import Arrangement, ProgressPhoto
from zhenxing.plans.views.table import overlaps
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_path


def _community(request: HttpRequest, paths: list[str] | None) -> tuple[Region, list[Region]]:
    """The community asked for (?community=CODE) among those within `paths`, else the first."""
    communities = list(communities_under(paths))
    if not communities:
        raise Http404
    code = request.GET.get("community") or request.POST.get("community")
    if code:
        chosen = next((c for c in communities if c.code == code), None)
        if chosen is None:
            raise Http404
        return chosen, communities
    return communities[0], communities


def _today_url(community: Region) -> str:
    return f"{reverse('plans:today')}?{urlencode({'community': community.code})}"


# --- today's board --------------------------------------------------------------------------


def quantity_text(value: Decimal | None) -> str:
    """A quantity as people write it: 2.5, not 2.50; 10, not 1E+1."""
    return "" if value is None else f"{value.normalize():f}"


def _with_texts(board: dict[str, Any]) -> dict[str, Any]:
    """The board's quantities as texts (`planned_text`, `reported_text`; behind rows too)."""
    arrangements = [a for group in board["teams"] for a in group["arrangements"]]
    for a in [*arrangements, *board["late"]]:
        a.planned_text = quantity_text(a.planned_quantity)
        a.reported_text = quantity_text(getattr(a, "reported", None))
    for row in board["behind"]:
        for key in ("target", "actual", "expected"):
            row[f"{key}_text"] = quantity_text(row[key])
    return board


@require_GET
@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = request.user
    page_or_404(permissions.sees_today_board(user))
    community, communities = _community(request, permissions.reporting_paths(user))
    day = timezone.localdate()
    board = _with_texts(selectors.today_board(user=user, community=community, day=day))
    planning = permissions.planning_paths(user)
    return render(
        request,
        "plans/today.html",
        {
            "community": community,
            "communities": communities,
            "day": day,
            "board": board,
            "can_arrange": overlaps(community.path, planning),
        },
    )


# --- arrangements ---------------------------------------------------------------------------


def _render_arrangement(
    request: HttpRequest, form: ArrangementForm, community: Region, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "plans/arrangement_form.html",
        {"form": form, "community": community},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def arrangement_new(request: HttpRequest) -> HttpResponse:
    """Arrange a team (and people) to work on a task in an area or street on a day."""
    user = request.user
    page_or_404(permissions.can_plan(user))
    paths = permissions.planning_paths(user)
    community, _communities = _community(request, paths)
    if request.method == "GET":
        form = ArrangementForm(
            initial={"date": timezone.localdate()}, community=community, paths=paths
        )
        return _render_arrangement(request, form, community)
    form = ArrangementForm(request.POST, community=community, paths=paths)
    if not form.is_valid():
        return _render_arrangement(request, form, community, status=400)
    data = form.cleaned_data
    try:
        services.arrangement_create(
            actor=user,
            date=data["date"],
            region=data["region"],
            task_type=data["task_type"],
            team=data.get("team"),
            people=list(data.get("people") or []),
            people_names=data.get("people_names") or "",
            planned_quantity=data.get("planned_quantity"),
            note=data.get("note") or "",
        )
    except services.PlanError as exc:
        form.add_error(None, str(exc))
        return _render_arrangement(request, form, community, status=400)
    except PermissionDenied as exc:
        # The place was offered, so the refusal is a rule about it: say so, as a 403.
        form.add_error(None, str(exc) or _("You may not arrange work there."))
        return _render_arrangement(request, form, community, status=403)
    messages.success(
        request,
        _("Arranged: %(task)s in %(place)s on %(date)s.")
        % {
            "task": data["task_type"].name,
            "place": data["region"].name,
            "date": data["date"].isoformat(),
        },
    )
    return redirect(_today_url(community))


@require_POST
@login_required
def arrangement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    arrangement = (
        permissions.arrangements_visible_to(user).select_related("region").filter(pk=pk).first()
    )
    if arrangement is None:
        raise Http404
    require(permissions.can_plan_at(user, arrangement.region))
    community = Region.objects.get(path=community_path(arrangement.region_path))
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was not understood; reload the board."))
        return redirect(_today_url(community))
    try:
        services.arrangement_cancel(
            actor=user, arrangement=arrangement, expected_version=form.cleaned_data.get("version")
        )
    except services.PlanConflict as exc:
        return _conflict(request, community, str(exc))
    messages.success(request, _("The arrangement was cancelled."))
    return redirect(_today_url(community))


def _conflict(request: HttpRequest, community: Region, error: str) -> HttpResponse:
    """The board as it is now, with why nothing was changed (409)."""
    user = request.user
    day = timezone.localdate()
    board = _with_texts(selectors.today_board(user=user, community=community, day=day))
    communities = list(communities_under(permissions.reporting_paths(user)))
    planning = permissions.planning_paths(user)
    return render(
        request,
        "plans/today.html",
        {
            "community": community,
            "communities": communities,
            "day": day,
            "board": board,
            "can_arrange": overlaps(community.path, planning),
            "error": error,
        },
        status=409,
    )


# --- progress -------------------------------------------------------------------------------


def _render_report(
    request: HttpRequest,
    form: ReportForm,
    arrangement: Arrangement | None,
    status: int = 200,
) -> HttpResponse:
    units = {str(t.pk): t.get_unit_display() for t in form.fields["task_type"].queryset}
    return render(
        request,
        "plans/report_form.html",
        {
            "form": form,
            "arrangement": arrangement,
            "units": units,
            "photo_mb": max_photo_mb(),
            "max_photos": MAX_PHOTOS,
            "photos_again": bool(request.method == "POST" and request.FILES),
        },
        status=status,
    )


def _arrangement(user: Any, value: Any) -> Arrangement | None:
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    found = (
        permissions.arrangements_visible_to(user)
        .select_related("region", "task_type", "team")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET", "POST"])
@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    """The phone form: how much was done, where, with photos."""
    user = request.user
    page_or_404(permissions.can_report(user))
    paths = permissions.reporting_paths(user)
    if request.method == "GET":
        arrangement = _arrangement(user, request.GET.get("arrangement"))
        initial: dict[str, Any] = {"date": timezone.localdate()}
        if arrangement is not None:
            initial.update(arrangement_initial(arrangement))
        form = ReportForm(initial=initial, paths=paths)
        return _render_report(request, form, arrangement)
    arrangement = _arrangement(user, request.POST.get("arrangement"))
    form = ReportForm(request.POST, request.FILES, paths=paths)
    if not form.is_valid():
        return _render_report(request, form, arrangement, status=400)
    data = form.cleaned_data
    team = arrangement.team if arrangement is not None else _own_team(user, data["region"])
    try:
        report = services.progress_report(
            actor=user,
            date=data["date"],
            region=data["region"],
            task_type=data["task_type"],
            quantity=data["quantity"],
            note=data.get("note") or "",
            arrangement=arrangement,
            team=team,
            photos=data.get("photos") or [],
        )
    except services.PlanConflict as exc:
        form.add_error(None, str(exc))
        return _render_report(request, form, arrangement, status=409)
    except services.PlanError as exc:
        form.add_error(None, str(exc))
        return _render_report(request, form, arrangement, status=400)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You may not report progress there."))
        return _render_report(request, form, arrangement, status=403)
    messages.success(
        request,
        _("Reported: %(quantity)s %(unit)s of %(task)s in %(place)s.")
        % {
            "quantity": f"{report.quantity.normalize():f}",
            "unit": report.task_type.get_unit_display(),
            "task": report.task_type.name,
            "place": report.region.name,
        },
    )
    community = Region.objects.get(path=community_path(report.region_path))
    if permissions.sees_today_board(user):
        return redirect(_today_url(community))
    return redirect("plans:report_new")  # pragma: no cover - reporters all see the board


def _own_team(user: Any, region: Region) -> WorkTeam | None:
    """The team the reporter leads in the place's community, if exactly one."""
    teams = list(WorkTeam.objects.filter(leader=user, region__path=community_path(region.path))[:2])
    return teams[0] if len(teams) == 1 else None


# --- photos ---------------------------------------------------------------------------------


@require_GET
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    """A progress photo for whoever may see its report; the original (EXIF) for planners only."""
    return serve_photo(
        request,
        variant=variant,
        find=lambda user: (
            ProgressPhoto.objects.filter(
                token=token, report__in=permissions.reports_visible_to(user).values("pk")
            )
            .select_related("report__region")
            .first()
        ),
        may_see_original=lambda user, found: permissions.can_plan_at(user, found.report.region),
    )
