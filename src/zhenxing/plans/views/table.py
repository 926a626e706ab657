"""The campaigns and the progress plan table (推进计划表): weekly targets against actuals.

Every figure on these pages comes from `selectors.rollup`, the one rule of
the roll-up from street to subdistrict, so a cooperative's subtotal here is
the number the battle map and the area sheet show. The table reads a fixed
number of queries however many areas it lists (two per week shown).

Reading follows the territory scope; setting targets, importing and
exporting are for planners (`permissions.can_plan`). A page the user may
not open answers 404; a visible area the user may not plan, 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.core.permissions import page_or_404, require
from zhenxing.core.xlsx import xlsx_download
from zhenxing.people.scopes import ALL, has_any_role, minimal_paths, scope_paths
from zhenxing.plans import permissions, selectors, services, xlsx
from zhenxing.plans.forms import (
    ALL_COMMUNITIES,
    ImportForm,
    TableFilterForm,
    TargetCellForm,
    task_types_of,
)
from zhenxing.plans.models import Campaign, TaskType, monday_of
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH, path_prefix_q

# The table's default window: the last 8 weeks (this one included) and the next 4.
WEEKS_BEFORE = 7
WEEKS_AFTER = 4
WEEK = datetime.timedelta(days=7)


# --- shared pieces --------------------------------------------------------------------------


def overlaps(path: str, paths: list[str] | None) -> bool:
    """The region at `path` lies within `paths` or holds one of them (None: everywhere)."""
    return paths is ALL or any(path.startswith(p) or p.startswith(path) for p in paths)


def completion_class(completion: float | None) -> str:
    """The colour of a completion (a percentage): none without a target, else by share done."""
    if completion is None:
        return "zx-pc-none"
    if completion >= 100:
        return "zx-pc-done"
    if completion >= 50:
        return "zx-pc-half"
    return "zx-pc-low"


def cell(progress: Any, *, week: datetime.date, this_week: datetime.date) -> dict[str, Any]:
    """A table cell from a `selectors.Progress` (or None: nothing planned, nothing done)."""
    progress = progress or selectors.NO_PROGRESS
    future = week > this_week
    return {
        "week": week,
        "target": progress.target or None,
        # The input's value: "7.5", not "7.50" (a number input takes no grouping either).
        "target_input": f"{progress.target.normalize():f}" if progress.target else "",
        "target_text": f"{progress.target.normalize():f}" if progress.target else "",
        "actual_text": f"{progress.actual.normalize():f}" if progress.actual else "",
        "actual": progress.actual or None,
        "percent": None if future else progress.completion,
        "css": "zx-pc-future" if future else completion_class(progress.completion),
        "future": future,
    }


def table_weeks(campaign: Campaign, start: datetime.date | None, today: datetime.date) -> list:
    """The weeks shown: from `start` (default 7 weeks ago), 12 of them, within the campaign."""
    this_week = monday_of(today)
    first = monday_of(start) if start else this_week - WEEKS_BEFORE * WEEK
    weeks = [first + i * WEEK for i in range(WEEKS_BEFORE + 1 + WEEKS_AFTER)]
    begin = monday_of(campaign.start)
    return [w for w in weeks if w >= begin and (campaign.end is None or w <= campaign.end)]


def _parse_date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# How far before or after its campaign the table may be scrolled (`from`).
FROM_MARGIN = datetime.timedelta(days=366)


def _start(campaign: Campaign, value: str | None, today: datetime.date) -> datetime.date | None:
    """The `from` asked for, or None (the default window) when it lies more than a year
    before or after the campaign: the weeks are computed by date arithmetic, which
    overflows near the ends of the calendar."""
    start = _parse_date(value)
    if start is None:
        return None
    try:
        first = campaign.start - FROM_MARGIN
        last = max(campaign.end or today, campaign.start) + FROM_MARGIN
    except OverflowError:
        return None
    return start if first <= start <= last else None


def _choose(form: TableFilterForm, user: Any) -> tuple[Campaign | None, TaskType | None, Any]:
    """The campaign, task type and community asked for, or the defaults (first; user's own)."""
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    campaign = data.get("campaign") or form.fields["campaign"].queryset.first()
    task_type = data.get("task_type")
    if campaign is not None and (task_type is None or task_type.campaign_id != campaign.pk):
        task_type = task_types_of(campaign).first()
    code = data.get("community")
    communities = form.communities
    if code == ALL_COMMUNITIES:
        community: Any = ALL_COMMUNITIES
    else:
        community = next((c for c in communities if c.code == code), None)
        if community is None:
            planning = permissions.planning_paths(user)
            own = [c for c in communities if planning and overlaps(c.path, planning)]
            community = (own or communities or [None])[0]
    return campaign, task_type, community


def table_query(campaign: Campaign, task_type: TaskType, community: Any, **extra: Any) -> str:
    params = {"campaign": campaign.pk, "task_type": task_type.pk}
    if community is not None:
        params["community"] = community if community == ALL_COMMUNITIES else community.code
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)


def _table_paths(user: Any, community: Any) -> list[str] | None:
    """The parts of the community (or of the territory) the user may read, as prefix paths.

    A role below the community (an area) reads that area only, never its neighbours
    nor the community's subtotals (the same rule as `selectors._within`).
    """
    scope = scope_paths(user)
    if community == ALL_COMMUNITIES or scope is ALL:
        return scope if community == ALL_COMMUNITIES else [community.path]
    if any(community.path.startswith(p) for p in scope):
        return [community.path]
    return [p for p in scope if p.startswith(community.path)]


def _rows(
    regions: list[Region],
    weekly: list[tuple[datetime.date, dict[str, Any]]],
    *,
    this_week: datetime.date,
    total_paths: Iterable[str],
    regions_by_path: dict[str, Region],
) -> list[dict[str, Any]]:
    """Areas grouped by community and cooperative, each group closed by its subtotal row."""
    depth = area_depth()

    def cells(path: str) -> list[dict[str, Any]]:
        return [cell(data.get(path), week=week, this_week=this_week) for week, data in weekly]

    rows: list[dict[str, Any]] = []
    open_groups: list[Region] = []

    def close_until(path: str) -> None:
        while open_groups and not path.startswith(open_groups[-1].path):
            group = open_groups.pop()
            kind = "community" if group.depth == COMMUNITY_DEPTH else "cooperative"
            rows.append({"kind": kind, "region": group, "cells": cells(group.path)})

    for region in regions:
        close_until(region.path)
        if region.depth < depth:
            open_groups.append(region)
            if region.depth == COMMUNITY_DEPTH:
                rows.append({"kind": "heading", "region": region})
            continue
        rows.append({"kind": "area", "region": region, "cells": cells(region.path)})
    close_until("")
    for path in total_paths:
        region = regions_by_path.get(path)
        if region is not None:
            rows.append({"kind": "total", "region": region, "cells": cells(path)})
    return rows


# --- campaigns ------------------------------------------------------------------------------


@require_GET
@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns, their task types and units, and this week's target / actual for each."""
    user = request.user
    page_or_404(has_any_role(user))
    today = timezone.localdate()
    week = monday_of(today)
    paths = scope_paths(user)
    # The top of what the user sees: the subdistrict, or the user's own communities.
    if paths is ALL:
        tops = [r.path for r in Region.objects.filter(depth=1)]
    else:
        tops = minimal_paths(paths)
    campaigns = list(
        Campaign.objects.order_by("-is_active", "order", "code").prefetch_related("task_types")
    )
    for campaign in campaigns:
        campaign.rows = []
        for task_type in campaign.task_types.all():
            progress = selectors.rollup(task_type=task_type, week=week, paths=paths)
            target = sum((progress[p].target for p in tops if p in progress), Decimal(0))
            actual = sum((progress[p].actual for p in tops if p in progress), Decimal(0))
            completion = selectors.completion_of(target, actual)
            campaign.rows.append(
                {
                    "task_type": task_type,
                    "target": target,
                    "actual": actual,
                    "target_text": f"{target.normalize():f}",
                    "actual_text": f"{actual.normalize():f}",
                    "percent": completion,
                    "css": completion_class(completion),
                }
            )
    return render(
        request,
        "plans/campaign_list.html",
        {"campaigns": campaigns, "week": week, "today": today},
    )


# --- the table ------------------------------------------------------------------------------


@require_GET
@login_required
def plan_table(request: HttpRequest) -> HttpResponse:
    user = request.user
    page_or_404(has_any_role(user))
    form = TableFilterForm(request.GET or None, user=user)
    campaign, task_type, community = _choose(form, user)
    today = timezone.localdate()
    this_week = monday_of(today)
    context: dict[str, Any] = {
        "form": form,
        "campaign": campaign,
        "task_type": task_type,
        "community": community,
        "this_week": this_week,
        "can_plan": permissions.can_plan(user),
    }
    if campaign is None or task_type is None or community is None:
        return render(request, "plans/table.html", {**context, "rows": []})
    start = _start(campaign, request.GET.get("from"), today)
    weeks = table_weeks(campaign, start, today)
    paths = _table_paths(user, community)
    depth = area_depth()
    regions = list(
        Region.objects.filter(path_prefix_q(paths, "path"))
        .filter(depth__gte=COMMUNITY_DEPTH, depth__lte=depth)
        .only("pk", "code", "name", "path", "depth")
        .order_by("path")
    )
    by_week = selectors.rollup_weeks(task_type=task_type, weeks=weeks, paths=paths)
    weekly = [(w, by_week.get(w, {})) for w in weeks]
    total_paths: list[str] = []
    regions_by_path = {r.path: r for r in regions}
    if community == ALL_COMMUNITIES:
        # The subdistrict's total, for a user who sees the whole of it.
        for root in Region.objects.filter(depth=1).order_by("path"):
            if paths is ALL or root.path in paths:
                regions_by_path[root.path] = root
                total_paths.append(root.path)
    rows = _rows(
        regions,
        weekly,
        this_week=this_week,
        total_paths=total_paths,
        regions_by_path=regions_by_path,
    )
    planning = permissions.planning_paths(user)
    for row in rows:
        if row["kind"] == "area":
            path = row["region"].path
            row["editable"] = planning is ALL or any(path.startswith(p) for p in planning)
    first = weeks[0] if weeks else monday_of(start or today)
    return render(
        request,
        "plans/table.html",
        {
            **context,
            "weeks": weeks,
            "rows": rows,
            "area_count": sum(1 for r in rows if r["kind"] == "area"),
            "query": table_query(campaign, task_type, community),
            "earlier": table_query(campaign, task_type, community, **{"from": first - 4 * WEEK}),
            "later": table_query(campaign, task_type, community, **{"from": first + 4 * WEEK}),
            "unit": task_type.get_unit_display(),
        },
    )


def _visible_area(user: Any, code: str) -> Region:
    """An area the user may see, else 404."""
    paths = scope_paths(user)
    if not has_any_role(user):
        raise Http404
    area = (
        Region.objects.filter(code=code, depth=area_depth())
        .filter(path_prefix_q(paths, "path"))
        .first()
    )
    if area is None:
        raise Http404
    return area


@require_POST
@login_required
def target_set(request: HttpRequest) -> HttpResponse:
    """Set one target (the table's inline edit): the cell back for htmx, else the table."""
    user = request.user
    page_or_404(has_any_role(user))
    form = TargetCellForm(request.POST)
    # The address of the cell itself is broken: nothing to show it in but the message.
    if not form.is_valid() and {"area", "task_type", "week"} & set(form.errors):
        return HttpResponse(
            _("This cell cannot be found; reload the table."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    area = _visible_area(user, form.data.get("area", ""))
    task_type = (
        TaskType.objects.select_related("campaign")
        .filter(pk=form.cleaned_data.get("task_type"))
        .first()
    )
    if task_type is None:
        raise Http404
    week = monday_of(form.cleaned_data["week"])
    require(permissions.can_plan_at(user, area))
    error = ""
    status = 200
    if form.errors:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        status = 400
    else:
        try:
            services.target_set(
                actor=user,
                area=area,
                task_type=task_type,
                week=week,
                quantity=form.cleaned_data.get("quantity"),
            )
        except services.PlanError as exc:
            error, status = str(exc), 400
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("The target was saved."))
        query = urlencode(
            {
                "campaign": task_type.campaign_id,
                "task_type": task_type.pk,
                "community": _community_code(area),
            }
        )
        return redirect(f"{_table_url()}?{query}")
    progress = selectors.rollup(task_type=task_type, week=week, paths=[area.path]).get(area.path)
    this_week = monday_of(timezone.localdate())
    return render(
        request,
        "plans/_table_cell.html",
        {
            "area": area,
            "task_type": task_type,
            "c": cell(progress, week=week, this_week=this_week),
            "editable": True,
            "error": error,
            "typed": form.data.get("quantity", "") if error else None,
        },
        status=status,
    )


def _table_url() -> str:
    from django.urls import reverse

    return reverse("plans:table")


def _community_code(region: Region) -> str:
    from zhenxing.territory.selectors import community_code_of

    return community_code_of(region.path)


# --- XLSX -----------------------------------------------------------------------------------


def _campaign_and_type(request: HttpRequest) -> tuple[Campaign, TaskType]:
    task_type = (
        TaskType.objects.select_related("campaign")
        .filter(pk=_int(request.GET.get("task_type")), campaign__is_active=True)
        .first()
    )
    if task_type is None:
        raise Http404
    return task_type.campaign, task_type


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@login_required
def table_export(request: HttpRequest) -> HttpResponse:
    """The table as the officials' XLSX: one row per area, one column per week."""
    user = request.user
    page_or_404(permissions.can_plan(user))
    campaign, task_type = _campaign_and_type(request)
    planning = permissions.planning_paths(user)
    code = request.GET.get("community", "")
    paths: list[str] | None = planning
    if code and code != ALL_COMMUNITIES:
        community = Region.objects.filter(code=code, depth=COMMUNITY_DEPTH).first()
        if community is None or not overlaps(community.path, planning):
            raise Http404
        if planning is ALL or any(community.path.startswith(p) for p in planning):
            paths = [community.path]
        else:
            paths = [p for p in planning if p.startswith(community.path)]
    today = timezone.localdate()
    weeks = table_weeks(campaign, _start(campaign, request.GET.get("from"), today), today)
    data = xlsx.export_targets(
        user=user, campaign=campaign, task_type=task_type, weeks=weeks, paths=paths
    )
    filename = f"{_('Progress plan')}-{campaign.code}-{task_type.code}.xlsx"
    return xlsx_download(data, filename)


@require_http_methods(["GET", "POST"])
@login_required
def table_import(request: HttpRequest) -> HttpResponse:
    """Import targets from the XLSX layout: every bad cell listed by address, nothing saved."""
    user = request.user
    page_or_404(permissions.can_plan(user))
    if request.method == "GET":
        initial = {}
        task_type = TaskType.objects.filter(pk=_int(request.GET.get("task_type"))).first()
        if task_type is not None:
            initial = {"campaign": task_type.campaign_id, "task_type": task_type.pk}
        form = ImportForm(initial=initial)
        return render(request, "plans/table_import.html", {"form": form})
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "plans/table_import.html", {"form": form}, status=400)
    campaign = form.cleaned_data["campaign"]
    task_type = form.cleaned_data["task_type"]
    try:
        result = xlsx.import_targets(
            actor=user, campaign=campaign, task_type=task_type, file=form.cleaned_data["file"]
        )
    except services.PlanError as exc:
        form.add_error(None, str(exc))
        return render(request, "plans/table_import.html", {"form": form}, status=400)
    if result.errors:
        return render(
            request,
            "plans/table_import.html",
            {"form": form, "cell_errors": result.errors, "truncated": result.truncated},
            status=400,
        )
    counts = _counts(result)
    messages.success(
        request,
        _(
            "Targets imported: %(created)d new, %(updated)d changed, %(deleted)d removed, "
            "%(unchanged)d unchanged."
        )
        % counts,
    )
    query = urlencode({"campaign": campaign.pk, "task_type": task_type.pk})
    return redirect(f"{_table_url()}?{query}")


def _counts(result: xlsx.ImportResult) -> dict[str, int]:
    return {k: getattr(result, k) for k in ("created", "updated", "deleted", "unchanged")}
