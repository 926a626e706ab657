"""The office's pages: rounds (list, planner, one round, cancelling) and the results list.

Rounds are seen only through `permissions.rounds_visible_to` (the office and
the round's own inspectors: a community that saw the plan could tidy up
before the visit). Results are seen only through
`permissions.inspections_visible_to`, which holds the embargo: a community
sees its scores once the circular covering them is published. Each list
page reads a fixed number of queries however many rows it shows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.core import audit
from zhenxing.core.listing import export_too_large, paginate, querystring_without_page
from zhenxing.core.permissions import page_or_404, require
from zhenxing.core.xlsx import xlsx_response
from zhenxing.inspections import permissions, services
from zhenxing.inspections.forms import (
    ResultFilterForm,
    RoundCancelForm,
    RoundFilterForm,
    RoundPlanForm,
)
from zhenxing.inspections.models import (
    Inspection,
    InspectionRound,
    InspectionStatus,
    RoundStatus,
)
from zhenxing.people.scopes import has_any_role
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_code_of

# An export past this many rows is refused rather than cut short unnoticed.
EXPORT_MAX_ROWS = 50_000


# --- shared pieces --------------------------------------------------------------------------


def community_names(paths: Iterable[str]) -> dict[str, str]:
    """{community code: name} for the communities these paths lie in (one query)."""
    codes = {community_code_of(p) for p in paths}
    if not codes:
        return {}
    return dict(
        Region.objects.filter(depth=COMMUNITY_DEPTH, code__in=codes).values_list("code", "name")
    )


def shows_inspector(user: Any, inspection: Inspection) -> bool:
    """The inspector's name is for the office and the inspectors, not the inspected community.

    Covert inspection works only while the community cannot lean on the
    person who scored it; a released score is shown without the name.
    """
    early = permissions.results_unrestricted_paths(user)
    return early is None or any(inspection.area_path.startswith(p) for p in early)


def _progress(rounds: list[InspectionRound]) -> None:
    """Set `total`, `scored`, `void`, `percent` and `completed` on each round (one grouped query).

    A round has no "completed" status of its own (planned or cancelled):
    a planned round with every inspection scored or void has nothing left to
    walk, and is shown as completed, with nothing left to cancel.
    """
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Inspection.objects.filter(round__in=[r.pk for r in rounds])
        .order_by()
        .values("round")
        .annotate(
            total=Count("pk"),
            scored=Count("pk", filter=Q(status=InspectionStatus.SUBMITTED)),
            void=Count("pk", filter=Q(status=InspectionStatus.VOID)),
        )
    )
    for row in rows:
        counts[row["round"]] = row
    for round_ in rounds:
        row = counts.get(round_.pk, {})
        round_.total = row.get("total", 0)
        round_.scored = row.get("scored", 0)
        round_.void = row.get("void", 0)
        # Void inspections were never to be scored: progress is over the rest.
        due = round_.total - round_.void
        round_.due = due
        round_.percent = round(100 * round_.scored / due) if due else 0
        round_.completed = (
            round_.status == RoundStatus.PLANNED
            and round_.total > 0
            and round_.scored + round_.void == round_.total
        )


def _form_status(form: Any) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


# --- rounds ---------------------------------------------------------------------------------


@require_GET
@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """The rounds the user plans (office) or walks (inspectors), newest first."""
    user = request.user
    page_or_404(permissions.sees_rounds(user))
    form = RoundFilterForm(request.GET or None)
    rounds = form.apply(permissions.rounds_visible_to(user))
    listing = paginate(
        request,
        rounds.select_related("scope").prefetch_related("inspectors").order_by("-date", "-pk"),
    )
    rows = list(listing["page"].object_list)
    _progress(rows)
    listing["page"].object_list = rows
    return render(
        request,
        "inspections/round_list.html",
        {
            **listing,
            "form": form,
            "can_plan": permissions.can_plan_rounds(user),
            "today": timezone.localdate(),
        },
        status=_form_status(form),
    )


def _render_plan(request: HttpRequest, form: RoundPlanForm, status: int = 200) -> HttpResponse:
    # plan.js shows only the areas under the chosen scope: it compares paths.
    config = {
        "scopes": {str(r.pk): r.path for r in form.fields["scope"].queryset},
        "areas": {str(r.pk): r.path for r in form.fields["areas"].queryset},
    }
    return render(
        request,
        "inspections/round_plan.html",
        {"form": form, "plan_config": config},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def round_plan(request: HttpRequest) -> HttpResponse:
    """Plan a day's round: its areas (ticked, or drawn with a seed) and its inspectors.

    The planner is not there (404) for anyone but the office, whichever the method.
    """
    page_or_404(permissions.can_plan_rounds(request.user))
    if request.method == "GET":
        return _render_plan(request, RoundPlanForm(request.user))
    form = RoundPlanForm(request.user, request.POST)
    if not form.is_valid():
        return _render_plan(request, form, status=400)
    try:
        round_ = services.round_plan(actor=request.user, **form.service_kwargs())
    except services.InspectionError as exc:
        # The office's input stays on the form, with the reason above it.
        form.add_error(None, str(exc))
        return _render_plan(request, form, status=400)
    count = round_.inspections.count()
    messages.success(
        request,
        _("The round of %(date)s was planned: %(count)d areas.")
        % {"date": round_.date.isoformat(), "count": count},
    )
    return redirect("inspections:round", pk=round_.pk)


def _render_round(
    request: HttpRequest,
    round_: InspectionRound,
    *,
    cancel_form: RoundCancelForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    inspections = list(
        round_.inspections.select_related("area", "template", "inspector").order_by("area_path")
    )
    names = community_names(i.area_path for i in inspections)
    for inspection in inspections:
        inspection.community_name = names.get(community_code_of(inspection.area_path), "")
    _progress([round_])
    may_cancel = permissions.can_change_round(user, round_) and not round_.completed
    if may_cancel and cancel_form is None:
        cancel_form = RoundCancelForm(initial={"version": round_.version})
    return render(
        request,
        "inspections/round_detail.html",
        {
            "round": round_,
            "inspectors": list(round_.inspectors.order_by("username")),
            "inspections": inspections,
            "cancel_form": cancel_form if may_cancel else None,
            "cancel_open": bool(cancel_form is not None and cancel_form.is_bound),
            "error": error,
            "user_id": user.pk,
        },
        status=status,
    )


@require_GET
@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_round(request, permissions.get_round_for_user(request.user, pk))


@require_POST
@login_required
def round_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a planned round: its pending inspections become void, scored ones stay."""
    round_ = permissions.get_round_for_user(request.user, pk)
    if round_.status != RoundStatus.PLANNED:
        return _render_round(
            request, round_, error=_("This round was cancelled meanwhile."), status=409
        )
    require(permissions.can_change_round(request.user, round_))
    _progress([round_])
    if round_.completed:
        # Cancelling would void nothing and only relabel a walked round: refused.
        return _render_round(
            request,
            round_,
            error=_("Every area of this round is scored or void: there is nothing to cancel."),
            status=409,
        )
    form = RoundCancelForm(request.POST)
    if not form.is_valid():
        return _render_round(request, round_, cancel_form=form, status=400)
    try:
        services.round_cancel(
            round_=round_,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except services.InspectionConflict as exc:
        fresh = permissions.get_round_for_user(request.user, pk)
        return _render_round(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        form.add_error(None, str(exc))
        return _render_round(request, round_, cancel_form=form, status=400)
    messages.success(request, _("The round was cancelled."))
    return redirect("inspections:round", pk=round_.pk)


# --- results --------------------------------------------------------------------------------


def _results(request: HttpRequest) -> tuple[ResultFilterForm, QuerySet[Inspection]]:
    user = request.user
    page_or_404(has_any_role(user))
    form = ResultFilterForm(user, request.GET or None)
    scored = permissions.inspections_visible_to(user).scored()
    return form, form.apply(scored).order_by("-date", "area_path", "pk")


@require_GET
@login_required
def result_list(request: HttpRequest) -> HttpResponse:
    """Scored inspections the user may see (the embargo holds), filtered and paginated."""
    form, inspections = _results(request)
    listing = paginate(request, inspections.select_related("area", "template", "inspector"))
    rows = list(listing["page"].object_list)
    names = community_names(i.area_path for i in rows)
    for inspection in rows:
        inspection.community_name = names.get(community_code_of(inspection.area_path), "")
        inspection.show_inspector = shows_inspector(request.user, inspection)
    listing["page"].object_list = rows
    return render(
        request,
        "inspections/result_list.html",
        {**listing, "form": form},
        status=_form_status(form),
    )


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    """A naive local datetime for Excel, which knows no time zones."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


@require_GET
@login_required
def result_export(request: HttpRequest) -> HttpResponse:
    """The filtered results as XLSX; the export itself is written to the audit log."""
    form, inspections = _results(request)
    if _form_status(form) != 200:
        return result_list(request)
    querystring = querystring_without_page(request)
    too_large = export_too_large(
        request,
        inspections.count(),
        EXPORT_MAX_ROWS,
        _(
            "An export holds at most %(max)s inspections. "
            "Narrow the filters (dates or a community) and export again."
        ),
        "inspections:results",
    )
    if too_large is not None:
        return too_large
    rows_qs = inspections.select_related("area", "template", "inspector").annotate(
        findings_count=Count("findings")
    )
    communities = dict(Region.objects.filter(depth=COMMUNITY_DEPTH).values_list("code", "name"))
    user = request.user
    yes, no = _("Yes"), _("No")
    count = {"rows": 0}

    def rows() -> Iterator[tuple[Any, ...]]:
        for inspection in rows_qs.iterator(chunk_size=2000):
            count["rows"] += 1
            template = inspection.template
            yield (
                inspection.date,
                communities.get(community_code_of(inspection.area_path), ""),
                inspection.area.name,
                inspection.area.code,
                f"{template.name} v{template.version}",
                template.full_score,
                inspection.deduction,
                inspection.score,
                inspection.findings_count,
                (
                    str(inspection.inspector)
                    if inspection.inspector and shows_inspector(user, inspection)
                    else ""
                ),
                _local(inspection.inspected_at),
                yes if inspection.released_at else no,
            )

    headers = [
        _("Date"),
        _("Community"),
        _("Area"),
        _("Area code"),
        _("Checklist"),
        _("Full score"),
        _("Points deducted"),
        _("Score"),
        _("Findings"),
        _("Inspector"),
        _("Inspected at"),
        _("Released"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = xlsx_response(
        f"inspection-results-{stamp}.xlsx", headers, rows(), title="inspections"
    )
    # Data leaving the system is itself worth a row in the audit log.
    audit.record(
        actor=user,
        action="inspection.export",
        summary=f"{count['rows']} rows; {querystring}"[:300],
        changes={
            **count,
            "filters": {k: v if len(v) > 1 else v[0] for k, v in request.GET.lists()},
        },
    )
    return response
