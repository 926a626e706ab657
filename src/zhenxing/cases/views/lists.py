"""Case lists: my queue, the filtered list, its map and XLSX export, categories, escalations.

Every list starts from `permissions.cases_visible_to(user)` and is narrowed
by `filters.CaseFilterForm` (the API uses the same form), so nothing here can
show a case outside the user's territory. Each page reads a fixed number of
queries however many rows there are: everything a row shows is joined in with
`select_related`, and the community names come from one extra query.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from zhenxing.cases import permissions
from zhenxing.cases.filters import CaseFilterForm
from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CaseRequest,
    Category,
    Escalation,
    RequestStatus,
    Status,
)
from zhenxing.core import audit
from zhenxing.core.listing import export_too_large, paginate, querystring_without_page
from zhenxing.core.privacy import mask_mobile, mask_mobiles_in, mask_name
from zhenxing.core.xlsx import xlsx_response
from zhenxing.people.scopes import has_any_role, is_office_admin, office_admin_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_code_of, path_prefix_q

# What a row of any case table shows, joined into the one query of its page.
ROW_RELATED = (
    "category__parent",
    "region",
    "assigned_region",
    "assigned_team",
    "assigned_department",
)
# An export past this many rows is refused rather than cut short unnoticed:
# the workbook is built in memory.
EXPORT_MAX_ROWS = 50_000
# The map draws at most this many points (the newest); the page says so when cut.
MAP_MAX_POINTS = 5_000
# The map's case link carries this in place of the number (filled in by map.js).
_NUMBER_SLOT = "__number__"

# The UX.md status colours, keyed by `Case.urgency()`; the same as zhenxing.css.
URGENCY_COLOURS = {
    "overdue": "#d62728",
    "due_soon": "#f28e2b",
    "progress": "#1f77b4",
    "verify": "#7b4fa0",
    "closed": "#2ca02c",
    "rejected": "#7f7f7f",
}
URGENCY_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due within 24 h"),
    "progress": gettext_lazy("In progress"),
    "verify": gettext_lazy("Awaiting verification"),
    "closed": gettext_lazy("Closed"),
    "rejected": gettext_lazy("Rejected"),
}

# The queue's tabs: the step of the loop a case waits at for this user.
QUEUE_STEPS = [
    ("dispatch", gettext_lazy("To dispatch")),
    ("handle", gettext_lazy("To handle")),
    ("verify", gettext_lazy("To verify")),
    ("requests", gettext_lazy("Requests to decide")),
    ("deferred", gettext_lazy("Deferred")),
]


# --- shared pieces --------------------------------------------------------------------------


def time_left(case: Case, now: datetime.datetime) -> str:
    """ "5 hours left" / "Overdue by 2 days", while the handler's clock runs; "" otherwise."""
    if case.status not in CLOCK_STATES or case.deadline is None:
        return ""
    seconds = (case.deadline - now).total_seconds()
    hours = int(abs(seconds) // 3600)
    days = hours // 24
    if seconds >= 0:
        if hours < 1:
            return _("Less than an hour left")
        if hours < 48:
            return ngettext("%(n)d hour left", "%(n)d hours left", hours) % {"n": hours}
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    if hours < 1:
        return _("Overdue by less than an hour")
    if hours < 24:
        return ngettext("Overdue by %(n)d hour", "Overdue by %(n)d hours", hours) % {"n": hours}
    return ngettext("Overdue by %(n)d day", "Overdue by %(n)d days", days) % {"n": days}


def _community_names(paths: Iterable[str]) -> dict[str, str]:
    """{community code: name} for the communities these region paths lie in (one query)."""
    codes = {community_code_of(p) for p in paths}
    if not codes:
        return {}
    return dict(
        Region.objects.filter(depth=COMMUNITY_DEPTH, code__in=codes).values_list("code", "name")
    )


def _decorate(cases: list[Case], now: datetime.datetime) -> list[Case]:
    """Add what the row templates show beyond the model: community name and time left."""
    names = _community_names(c.region_path for c in cases)
    for case in cases:
        case.community_name = names.get(community_code_of(case.region_path), "")
        case.time_left = time_left(case, now)
    return cases


def _filtered(request: HttpRequest) -> tuple[CaseFilterForm, QuerySet[Case]]:
    form = CaseFilterForm(request.user, request.GET or None)
    return form, form.apply(permissions.cases_visible_to(request.user))


def _form_status(form: CaseFilterForm) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    """A naive local datetime for Excel, which knows no time zones."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


# --- my queue -------------------------------------------------------------------------------


def _queue(user: Any, now: datetime.datetime) -> QuerySet[Case]:
    """What waits for `user`, each case with its `step`, most urgent first."""
    pending = CaseRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING)
    # A case waits at the step its status names. A pending request belongs to
    # the approver; the handler it came from still sees the case "to handle".
    step = CaseWhen(
        When(status__in=[Status.REPORTED, Status.ACCEPTED], then=Value("dispatch")),
        When(status=Status.RECTIFIED, then=Value("verify")),
        When(status=Status.DEFERRED, then=Value("deferred")),
        When(
            Q(has_pending=True) & path_prefix_q(office_admin_paths(user), "region_path"),
            then=Value("requests"),
        ),
        default=Value("handle"),
    )
    overdue_first = CaseWhen(
        When(status__in=sorted(CLOCK_STATES), deadline__lt=now, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        permissions.cases_visible_to(user)
        .filter(permissions.queue_filter(user))
        .annotate(has_pending=Exists(pending))
        .annotate(step=step, overdue_first=overdue_first)
        .order_by("overdue_first", F("deadline").asc(nulls_last=True), "reported_at", "pk")
    )


def _queue_counts(queue: QuerySet[Case], now: datetime.datetime) -> dict[str, int]:
    """Cases per step, plus "all" and "overdue", in one grouped query."""
    counts = {key: 0 for key, _label in QUEUE_STEPS}
    overdue = 0
    rows = (
        queue.order_by()
        .values("step")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(status__in=sorted(CLOCK_STATES), deadline__lt=now)),
        )
    )
    for row in rows:
        counts[row["step"]] = row["n"]
        overdue += row["late"]
    return {**counts, "all": sum(counts.values()), "overdue": overdue}


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """What waits for me, by deadline: one tab per step of the loop I own."""
    now = timezone.now()
    cases = _queue(request.user, now)
    counts = _queue_counts(cases, now)
    if request.GET.get("card"):
        # The workbench's summary card, fetched by htmx after the page loads.
        return render(request, "cases/queue.html#card", {"counts": counts})
    step = request.GET.get("step", "")
    if step not in dict(QUEUE_STEPS):
        step = ""
    if step:
        cases = cases.filter(step=step)
    listing = paginate(request, cases.select_related(*ROW_RELATED))
    rows = _decorate(list(listing["page"].object_list), now)
    labels = dict(QUEUE_STEPS)
    for case in rows:
        case.step_label = labels[case.step]
    listing["page"].object_list = rows
    return render(
        request,
        "cases/queue.html",
        {
            **listing,
            "now": now,
            "step": step,
            "steps": [(key, label, counts[key]) for key, label in QUEUE_STEPS],
            "counts": counts,
            "can_report": permissions.can_report(request.user),
        },
    )


# --- the case list and its export -------------------------------------------------------


def _render_list(request: HttpRequest, form: CaseFilterForm, cases: QuerySet[Case]) -> HttpResponse:
    now = timezone.now()
    listing = paginate(request, cases.select_related(*ROW_RELATED))
    listing["page"].object_list = _decorate(list(listing["page"].object_list), now)
    return render(
        request,
        "cases/case_list.html",
        {
            **listing,
            "form": form,
            "now": now,
            "can_report": permissions.can_report(request.user),
        },
        status=_form_status(form),
    )


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    form, cases = _filtered(request)
    return _render_list(request, form, cases)


@require_GET
@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX, streamed from the database into the workbook.

    Reporters' mobiles are masked and residents' names shortened, and so is
    any mobile typed into the description or the address: personal data stays
    out of exports. A file over the cap is refused with a request
    to narrow the filters; invalid filters answer the list page with its errors.
    """
    form, cases = _filtered(request)
    if _form_status(form) != 200:
        return _render_list(request, form, cases)
    querystring = querystring_without_page(request)
    too_large = export_too_large(
        request,
        cases.count(),
        EXPORT_MAX_ROWS,
        _(
            "An export holds at most %(max)s cases. "
            "Narrow the filters (a community, a category or dates) and export again."
        ),
        "cases:list",
    )
    if too_large is not None:
        return too_large
    events = (
        CaseEvent.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows_qs = cases.select_related(*ROW_RELATED, "reporter", "relapse_of").annotate(
        events_count=Coalesce(Subquery(events, output_field=IntegerField()), 0)
    )
    communities = dict(Region.objects.filter(depth=COMMUNITY_DEPTH).values_list("code", "name"))
    now = timezone.now()
    yes, no = _("Yes"), _("No")
    count = {"rows": 0}

    def rows() -> Iterator[tuple[Any, ...]]:
        for case in rows_qs.iterator(chunk_size=2000):
            count["rows"] += 1
            category = case.category
            reporter_mobile = case.reporter_mobile or (
                case.reporter.mobile if case.reporter else ""
            )
            yield (
                case.number,
                _local(case.reported_at),
                case.get_source_display(),
                category.parent.name if category.parent else category.name,
                category.name,
                communities.get(community_code_of(case.region_path), ""),
                case.region.name,
                mask_mobiles_in(case.address),
                mask_mobiles_in(case.description),
                case.get_status_display(),
                yes if case.is_overdue(now) else no,
                str(case.assignee) if case.assignee else "",
                _local(case.deadline),
                _local(case.dispatched_at),
                _local(case.rectified_at),
                _local(case.closed_at),
                "" if case.closed_on_time is None else (yes if case.closed_on_time else no),
                case.rework_count,
                case.escalation_level,
                case.relapse_of.number if case.relapse_of else "",
                case.report_count,
                case.events_count,
                str(case.reporter) if case.reporter else mask_name(case.reporter_name),
                mask_mobile(reporter_mobile),
            )

    headers = [
        _("Case number"),
        _("Reported on"),
        _("Source"),
        _("Main category"),
        _("Category"),
        _("Community"),
        _("Area"),
        _("Address"),
        _("Description"),
        _("Status"),
        _("Overdue"),
        _("Assigned to"),
        _("Deadline"),
        _("Dispatched"),
        _("Rectified"),
        _("Closed"),
        _("Closed on time"),
        _("Reworks"),
        _("Escalation level"),
        _("Relapse of"),
        _("Reports"),
        _("Events"),
        _("Reporter"),
        _("Reporter's mobile"),
    ]
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response = xlsx_response(f"cases-{stamp}.xlsx", headers, rows(), title="cases")
    # Data leaving the system is itself worth a row in the audit log.
    audit.record(
        actor=request.user,
        action="case.export",
        summary=f"{count['rows']} rows; {querystring}"[:300],
        changes={
            **count,
            "filters": {k: v if len(v) > 1 else v[0] for k, v in request.GET.lists()},
        },
    )
    return response


# --- the map --------------------------------------------------------------------------------


@require_GET
@login_required
def case_map(request: HttpRequest) -> HttpResponse:
    """The filtered cases as points over the outlines of the areas in scope.

    With no filter the map opens on the open cases: thousands of closed green
    points would bury the red ones the map is there to show.
    """
    if not request.GET:
        return redirect(f"{reverse('cases:map')}?status=open")
    form, cases = _filtered(request)
    querystring = querystring_without_page(request)
    valid = _form_status(form) == 200
    total = cases.count() if valid else 0
    config = {
        "pointsUrl": reverse("cases:map_data") + (f"?{querystring}" if querystring else ""),
        "outlinesUrl": reverse("api:regions_geojson"),
        "caseUrl": reverse("cases:detail", args=[_NUMBER_SLOT]),
        "numberSlot": _NUMBER_SLOT,
        "tileUrl": settings.ZHENXING_TILE_URL,
        "tileAttribution": settings.ZHENXING_TILE_ATTRIBUTION,
        "colours": URGENCY_COLOURS,
        "labels": {key: str(label) for key, label in URGENCY_LABELS.items()},
        "emptyLabel": _("No case matches these filters."),
        "loadError": _("The map could not be loaded. Reload the page to try again."),
    }
    return render(
        request,
        "cases/case_map.html",
        {
            "form": form,
            "querystring": querystring,
            "map_config": config,
            "valid": valid,
            "total": total,
            "max_points": MAP_MAX_POINTS,
            "cut": total > MAP_MAX_POINTS,
            "legend": [(URGENCY_COLOURS[k], URGENCY_LABELS[k]) for k in URGENCY_COLOURS],
        },
        status=_form_status(form),
    )


@require_GET
@login_required
def case_map_data(request: HttpRequest) -> HttpResponse:
    """GeoJSON points of the filtered cases (the newest MAP_MAX_POINTS); no personal data."""
    form, cases = _filtered(request)
    if _form_status(form) != 200:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    now = timezone.now()
    rows = list(
        cases.select_related("category")
        .only("number", "status", "deadline", "lat", "lng", "category__name")
        .order_by("-reported_at", "-pk")[: MAP_MAX_POINTS + 1]
    )
    cut = len(rows) > MAP_MAX_POINTS
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [case.lng, case.lat]},
            "properties": {
                "number": case.number,
                "status": case.status,
                "status_label": case.get_status_display(),
                "urgency": case.urgency(now),
                "category": case.category.name,
            },
        }
        for case in rows[:MAP_MAX_POINTS]
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": cut},
        json_dumps_params={"ensure_ascii": False},
        content_type="application/geo+json; charset=utf-8",
    )


# --- categories and escalations -------------------------------------------------------------


@require_GET
@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    """The category tree with each one's time limit, handler and rules (reference data)."""
    if not has_any_role(request.user):
        raise PermissionDenied
    categories = list(
        Category.objects.select_related("default_department").order_by("order", "code")
    )
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    tree = [(c, children.get(c.pk, [])) for c in categories if c.parent_id is None]
    user = request.user
    can_edit = is_office_admin(user) and user.is_staff and user.has_perm("cases.change_category")
    return render(request, "cases/category_list.html", {"tree": tree, "can_edit": can_edit})


@require_GET
@login_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    """Open escalations: the office's list (level 1) and the joint meeting's agenda (level 2).

    Office admins see both levels within what they administer; department
    staff see the agenda rows of their own departments; anyone else, 403.
    """
    user = request.user
    if not permissions.sees_escalations(user):
        raise PermissionDenied
    visible = path_prefix_q(office_admin_paths(user), "case__region_path")
    if departments := permissions.department_ids(user):
        visible |= Q(level=2, department_id__in=departments)
    rows = Escalation.objects.filter(visible, resolved_at__isnull=True)
    counts = dict(rows.order_by().values_list("level").annotate(n=Count("pk")))
    levels = [(2, _("Joint-meeting agenda"), counts.get(2, 0))]
    if is_office_admin(user):
        levels.insert(0, (1, _("Escalated to the office"), counts.get(1, 0)))
    try:
        level = int(request.GET.get("level", ""))
    except ValueError:
        level = levels[0][0]
    if level not in {lvl for lvl, _label, _n in levels}:
        level = levels[0][0]
    related = [f"case__{name}" for name in ROW_RELATED]
    shown = rows.filter(level=level).select_related("department", *related)
    if level == 2:
        shown = shown.order_by("department__name", "department_id", "created_at", "pk")
    else:
        shown = shown.order_by("created_at", "pk")
    listing = paginate(request, shown)
    now = timezone.now()
    page_rows = list(listing["page"].object_list)
    _decorate([e.case for e in page_rows], now)
    listing["page"].object_list = page_rows
    return render(
        request,
        "cases/escalation_list.html",
        {**listing, "level": level, "levels": levels, "now": now},
    )
