"""The assessment pages: the ranking and its export, a unit's explanation, periods, the lists.

Figures are read through `indicators` (a closed period's snapshot, else a live
computation) and shown only under `permissions.can_view_period`: a period
whose covert-inspection scores are still under embargo is a known period,
so a user who may not see it yet gets a page saying when the figures come
out, not a 404. A unit's explanation is scoped like everything else
(`can_view_unit`, 404 otherwise), and the cases and inspections listed in
it are filtered again through their own `*_visible_to`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zhenxing.assessment import indicators, services
from zhenxing.assessment.forms import (
    RECENT,
    IncentiveForm,
    PeriodForm,
    RankingForm,
    RecomputeForm,
    last_finished,
    recent_starts,
)
from zhenxing.assessment.models import (
    IncentiveRecord,
    Indicator,
    ListEntry,
    ListKind,
    Period,
    PeriodKind,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.periods import previous_start, span
from zhenxing.assessment.permissions import (
    can_manage_periods,
    can_record_incentives,
    can_view_period,
    can_view_unit,
    sees_unreleased,
)
from zhenxing.assessment.templatetags.assessment import RATE_INDICATORS
from zhenxing.cases.permissions import cases_visible_to
from zhenxing.core import audit
from zhenxing.core.xlsx import xlsx_response
from zhenxing.inspections.permissions import inspections_visible_to
from zhenxing.people.permissions import roster_paths
from zhenxing.people.scopes import ALL, has_any_role, scope_paths
from zhenxing.territory.models import CODE_RE
from zhenxing.territory.selectors import path_prefix_q

TWO_PLACES = Decimal("0.01")
# The ranking's trend line: this many periods, the shown one last.
TREND_PERIODS = 8
# An explanation lists at most this many cases or inspections per figure; the
# count says how many there are (a year of a big community runs to thousands).
EVIDENCE_MAX_ROWS = 300


@dataclass(frozen=True)
class IndicatorText:
    """How an indicator is explained: the formula in words and what its two counts are."""

    formula: Promise
    num: Promise
    den: Promise


INDICATOR_TEXT: dict[str, IndicatorText] = {
    Indicator.CLOSURE_RATE: IndicatorText(
        gettext_lazy(
            "Cases closed by the end of the period ÷ cases due to close in the period "
            "(deadline in the period; not rejected, not deferred at its end)."
        ),
        gettext_lazy("Closed"),
        gettext_lazy("Due to close"),
    ),
    Indicator.ON_TIME_RATE: IndicatorText(
        gettext_lazy(
            "Cases closed by their deadline ÷ cases due to close in the period "
            "(deadline in the period; not rejected, not deferred at its end)."
        ),
        gettext_lazy("Closed on time"),
        gettext_lazy("Due to close"),
    ),
    Indicator.REWORK_RATE: IndicatorText(
        gettext_lazy(
            "Cases handled in the period that failed verification at least once "
            "÷ cases handled (reported put right) in the period. Lower is better."
        ),
        gettext_lazy("Failed verification"),
        gettext_lazy("Handled"),
    ),
    Indicator.OVERDUE_RATE: IndicatorText(
        gettext_lazy(
            "Open cases past their deadline at the end of the period (or now, while it runs) "
            "÷ cases open then. Lower is better."
        ),
        gettext_lazy("Overdue"),
        gettext_lazy("Open cases"),
    ),
    Indicator.RELAPSE_RATE: IndicatorText(
        gettext_lazy(
            "Relapses reported in the period ÷ cases closed in the period. Lower is better."
        ),
        gettext_lazy("Relapses"),
        gettext_lazy("Closed in the period"),
    ),
    Indicator.INSPECTION_SCORE: IndicatorText(
        gettext_lazy(
            "The mean score of the covert inspections of the unit's areas in the period "
            "(100 minus deductions)."
        ),
        gettext_lazy("Sum of scores"),
        gettext_lazy("Inspections"),
    ),
    Indicator.PARTICIPATION: IndicatorText(
        gettext_lazy(
            "Volunteer person-times per 1,000 residents. No data until volunteering is recorded."
        ),
        gettext_lazy("Person-times"),
        gettext_lazy("Residents"),
    ),
}
INDICATORS: list[tuple[str, Any]] = list(Indicator.choices)


# --- shared pieces --------------------------------------------------------------------------


def _require_role(user: Any) -> None:
    """The assessment pages are for the platform's users: anyone with a role."""
    if not has_any_role(user):
        raise PermissionDenied


def _post_holder_paths(user: Any) -> list[str] | None:
    """The communities whose post holders the user may see ranked (None: all).

    A post holder is a party member named in person, so the unit follows the
    party rosters' rule (`people.permissions.roster_paths`), not the case scope:
    department staff and another community's users do not see the names. Who
    reads no roster at all gets 404 for the whole kind.
    """
    paths = roster_paths(user)
    if paths is not ALL and not paths:
        raise Http404
    return paths


def _require_post_holder_scope(request: HttpRequest) -> None:
    """404 for the post-holder ranking to a user who reads no party roster."""
    if request.GET.get("unit_kind") == UnitKind.POST_HOLDER:
        _post_holder_paths(request.user)


def _ranking_form(request: HttpRequest, today: datetime.date) -> RankingForm:
    """The ranking's filters; "post holder" is offered only to who reads a party roster."""
    form = RankingForm(request.GET, today=today)
    paths = roster_paths(request.user)
    if paths is not ALL and not paths:
        field = form.fields["unit_kind"]
        field.choices = [c for c in field.choices if c[0] != UnitKind.POST_HOLDER]
    return form


def _within(path: str, paths: list[str] | None) -> bool:
    return paths is ALL or bool(path) and path.startswith(tuple(paths))


def _units_in_scope(user: Any, unit_kind: str, results: list[Any]) -> list[Any]:
    """The results the user may see: post holders only within the roster scope."""
    if unit_kind != UnitKind.POST_HOLDER:
        return results
    paths = _post_holder_paths(user)
    return [r for r in results if _within(r.unit.path, paths)]


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _period_nav(period: Period, today: datetime.date, **keep: Any) -> dict[str, str]:
    """Query strings for the previous and next period (next only once it has started)."""
    nav = {
        "previous": _query(
            **keep, period_kind=period.kind, period=previous_start(period.kind, period.start)
        )
    }
    if period.end <= today:
        nav["next"] = _query(**keep, period_kind=period.kind, period=period.end)
    return nav


def _period_of(form: PeriodForm) -> Period:
    selection = form.selection()
    return services.period_for(kind=selection.period_kind, day=selection.start)


def _released_mask(periods: list[Period], today: datetime.date) -> list[bool]:
    """For each period: are its figures out (ended, no scored inspection under embargo)?

    `permissions.period_released` for a list of periods in one query, for the
    trend line of users who may not see embargoed figures.
    """
    from zhenxing.inspections.models import Inspection

    if not periods:
        return []
    embargoed = set(
        Inspection.objects.scored()
        .between(periods[0].start, periods[-1].end)
        .filter(released_at=None)
        .values_list("date", flat=True)
        .distinct()
    )
    return [
        p.end <= today and not any(p.start <= day < p.end for day in embargoed) for p in periods
    ]


def _not_released(
    request: HttpRequest, period: Period, context: dict[str, Any], template: str
) -> HttpResponse:
    """The page for a known period whose figures come out with its circular."""
    return render(
        request,
        "assessment/not_released.html",
        {**context, "period": period, "back_template": template},
    )


# --- the ranking ----------------------------------------------------------------------------


def _ranking_rows(
    request: HttpRequest, period: Period, unit_kind: str, community: Any, today: datetime.date
) -> tuple[list[dict[str, Any]], list[Period]]:
    user = request.user
    results = _units_in_scope(
        user, unit_kind, indicators.ranking(period=period, unit_kind=unit_kind)
    )
    if community is not None:
        results = [r for r in results if r.unit.path.startswith(community.path)]
    periods, series = indicators.trend(
        unit_kind=unit_kind,
        period_kind=period.kind,
        last_start=period.start,
        count=TREND_PERIODS,
    )
    if not sees_unreleased(user):
        # An older period may still be under embargo: its point stays off the line.
        shown = _released_mask(periods, today)
        series = {
            key: [v if ok else None for v, ok in zip(line, shown, strict=True)]
            for key, line in series.items()
        }
    rows = []
    for result in results:
        line = series.get(result.unit.key, [None] * len(periods))
        previous = line[-2] if len(line) > 1 else None
        delta = (
            None
            if result.composite is None or previous is None
            else Decimal(result.composite) - Decimal(previous)
        )
        rows.append(
            {
                "result": result,
                "cells": [(key, result.values.get(key)) for key, _label in INDICATORS],
                "trend": line,
                "change": delta,
                "explain": can_view_unit(user, result.unit.path),
                # Below the scheme's minimum of evidence: not ranked (数据不足).
                "insufficient": getattr(result, "insufficient", False),
            }
        )
    return rows, periods


def _ranking_context(request: HttpRequest, form: RankingForm) -> dict[str, Any]:
    return {
        "form": form,
        "indicators": INDICATORS,
        "unit_kinds": UnitKind.choices,
        "querystring": request.GET.urlencode(),
    }


@require_GET
@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """Units ranked by their composite for a period, with every indicator and a trend line."""
    _require_post_holder_scope(request)
    _require_role(request.user)
    today = timezone.localdate()
    form = _ranking_form(request, today)
    context = _ranking_context(request, form)
    if not form.is_valid():
        return render(request, "assessment/ranking.html", context, status=400)
    unit_kind = form.cleaned_data["unit_kind"]
    community = form.cleaned_data["community"]
    period = _period_of(form)
    keep = {"unit_kind": unit_kind, "community": community.code if community else ""}
    context.update(
        period=period,
        unit_kind=unit_kind,
        unit_kind_label=UnitKind(unit_kind).label,
        community=community,
        nav=_period_nav(period, today, **keep),
        export_query=_query(**keep, period_kind=period.kind, period=period.start),
    )
    if not can_view_period(request.user, period):
        return _not_released(request, period, context, "assessment/ranking.html")
    rows, periods = _ranking_rows(request, period, unit_kind, community, today)
    context.update(
        rows=rows,
        trend_labels=[p.label for p in periods],
        computed_at=timezone.now(),
    )
    return render(request, "assessment/ranking.html", context)


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _export_value(indicator: str, value: Any) -> float | None:
    """A rate as a percentage (Excel users read 85.0, not 0.85); scores as they are."""
    if value is None:
        return None
    number = float(value)
    return round(number * 100, 2) if indicator in RATE_INDICATORS else round(number, 2)


@require_GET
@login_required
def ranking_export(request: HttpRequest) -> HttpResponse:
    """The ranking as XLSX, with each indicator's numerator and denominator beside its value."""
    _require_post_holder_scope(request)
    _require_role(request.user)
    today = timezone.localdate()
    form = _ranking_form(request, today)
    # The answers other than the file are short plain text: a page of HTML would be
    # saved under the .xlsx name by a browser that was told to expect a file.
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _plain(" ".join(errors), status=400)
    unit_kind = form.cleaned_data["unit_kind"]
    community = form.cleaned_data["community"]
    period = _period_of(form)
    if not can_view_period(request.user, period):
        return _plain(
            _(
                "The figures of %(period)s are not published yet: "
                "they come out with the period's circular."
            )
            % {"period": period.label},
            status=403,
        )
    results = _units_in_scope(
        request.user, unit_kind, indicators.ranking(period=period, unit_kind=unit_kind)
    )
    if community is not None:
        results = [r for r in results if r.unit.path.startswith(community.path)]
    headers: list[Any] = [_("Rank"), _("Code"), _("Unit"), _("Composite score")]
    for key, label in INDICATORS:
        text = INDICATOR_TEXT[key]
        unit = " (%)" if key in RATE_INDICATORS else ""
        headers += [f"{label}{unit}", f"{label}: {text.num}", f"{label}: {text.den}"]
    headers.append(_("State of the figures"))
    state = _("Final") if period.is_closed else _("Live")
    too_little = _("Too little data")

    def rows() -> Iterable[list[Any]]:
        for r in results:
            row: list[Any] = [
                r.rank if r.rank or not getattr(r, "insufficient", False) else too_little,
                r.unit.key,
                r.unit.name,
                float(r.composite) if r.composite is not None else None,
            ]
            for key, _label in INDICATORS:
                v = r.values.get(key)
                row += [
                    _export_value(key, v.value if v else None),
                    v.num if v else None,
                    v.den if v else None,
                ]
            row.append(state)
            yield row

    filename = f"ranking-{unit_kind}-{period.kind}-{period.start:%Y%m%d}.xlsx"
    response = xlsx_response(filename, headers, rows(), title=period.label)
    audit.record(
        actor=request.user,
        action="assessment.ranking_export",
        obj=period,
        summary=f"{unit_kind} {period.label}"[:300],
        changes={"unit_kind": unit_kind, "rows": len(results)},
    )
    return response


# --- one unit's explanation --------------------------------------------------------------


def _explain_period(request: HttpRequest) -> Period:
    """?period=<pk>; without one, the last finished week."""
    raw = request.GET.get("period", "")
    if not raw:
        today = timezone.localdate()
        return services.period_for(kind=PeriodKind.WEEK, day=last_finished(PeriodKind.WEEK, today))
    try:
        return Period.objects.get(pk=int(raw))
    except (ValueError, OverflowError, Period.DoesNotExist):
        raise Http404 from None


def _evidence(user: Any, result: Any) -> dict[str, dict[str, Any]]:
    """The cases and inspections behind each figure, as far as this user may see them.

    Two queries whatever the figures: every case number at once (through
    `cases_visible_to`), every inspection id at once (`inspections_visible_to`).
    """
    numbers: set[str] = set()
    inspection_ids: set[int] = set()
    # Only the figures' lists: the evidence may carry other entries (why a unit is not ranked).
    figures = {
        name: items for name, items in result.evidence.items() if name.endswith((".num", ".den"))
    }
    for name, items in figures.items():
        if name.startswith(f"{Indicator.INSPECTION_SCORE}."):
            inspection_ids.update(int(i) for i in items)
        else:
            numbers.update(str(i) for i in items)
    cases = {}
    if numbers:
        cases = {
            c.number: c
            for c in cases_visible_to(user)
            .filter(number__in=numbers)
            .select_related("category", "region")
        }
    inspections = {}
    if inspection_ids:
        inspections = {
            i.pk: i
            for i in inspections_visible_to(user)
            .filter(pk__in=inspection_ids)
            .select_related("area")
        }
    out: dict[str, dict[str, Any]] = {}
    for name, items in figures.items():
        if name.startswith(f"{Indicator.INSPECTION_SCORE}."):
            shown = [inspections[int(i)] for i in items if int(i) in inspections]
            shown.sort(key=lambda i: (i.date, i.pk))
            kind = "inspections"
        else:
            shown = [cases[str(n)] for n in items if str(n) in cases]
            kind = "cases"
        out[name] = {
            "kind": kind,
            "total": len(items),
            "hidden": len(items) - len(shown),
            "rows": shown[:EVIDENCE_MAX_ROWS],
            "cut": len(shown) > EVIDENCE_MAX_ROWS,
        }
    return out


def _could_be_code(unit_kind: str, key: str) -> bool:
    """Could `key` be the code of a unit of this kind? If not, there is nothing to look up.

    Region codes follow `CODE_RE`; department codes are 1–40 printable characters.
    Anything else (a NUL byte, which PostgreSQL refuses in a query) is no unit: 404.
    """
    if unit_kind == UnitKind.DEPARTMENT:
        return 0 < len(key) <= 40 and key.isprintable()
    return CODE_RE.fullmatch(key) is not None


def _scheme_of(period: Period, unit: indicators.Unit) -> Scheme:
    """The scheme the unit's figures were weighted with.

    A closed period's: the one its current snapshot names (the unit's row, else
    any row of the period, for a unit created after the closing); an open
    period's: the active one, as `indicators.compute` uses.
    """
    if period.is_closed:
        current = ScoreSnapshot.objects.filter(period=period, superseded_at__isnull=True)
        row = (
            current.filter(unit_kind=unit.kind, unit_key=unit.key).select_related("scheme").first()
            or current.select_related("scheme").first()
        )
        if row is not None:
            return row.scheme
    return indicators.active_scheme()


def _two(value: Decimal) -> str:
    """A decimal exactly, with at least two places: 1000.05, 833.375, 96.00."""
    text = f"{value.normalize():f}"
    places = len(text.partition(".")[2])
    return f"{value:.2f}" if places < 2 else text


def _weighting(result: Any, scheme: Scheme) -> dict[str, Any]:
    """The composite redone in the open: each indicator's weight, score and weight × score.

    As `indicators.composite_of` does it: an indicator without a score, or with no
    weight, leaves the weighting; the composite is Σ(weight × score) / Σ weight,
    rounded half up to two places. Every figure is printed exactly, so that the sums
    and the division can be checked by hand.
    """
    weights = indicators.scheme_weights(scheme)
    rows = []
    weight_sum = Decimal("0")
    total = Decimal("0")
    for key, label in INDICATORS:
        weight = Decimal(weights.get(key, Decimal("0")))
        value = result.values.get(key)
        score = None if value is None or value.score is None else Decimal(str(value.score))
        counted = score is not None and weight > 0
        product = weight * score if counted else None
        if counted:
            weight_sum += weight
            total += product
        rows.append(
            {
                "key": key,
                "label": label,
                "weight": _two(weight),
                "score": None if score is None else f"{score:.2f}",
                "product": None if product is None else _two(product),
                "counted": counted,
            }
        )
    redone = (total / weight_sum).quantize(TWO_PLACES, ROUND_HALF_UP) if weight_sum else None
    return {
        "scheme": scheme,
        "rows": rows,
        "weight_sum": _two(weight_sum),
        "total": _two(total),
        "counted": weight_sum > 0,
        # A closed period keeps its composites, but its scheme's weights may have been
        # edited since: then the sum above no longer gives the composite, and the page
        # says so rather than print a sum that does not add up without a word.
        "matches": redone == result.composite,
    }


@require_GET
@login_required
def unit_explain(request: HttpRequest, unit_kind: str, unit_key: str) -> HttpResponse:
    """One unit's figures for a period: each formula, its two counts and the evidence."""
    user = request.user
    holder_paths = _post_holder_paths(user) if unit_kind == UnitKind.POST_HOLDER else ALL
    _require_role(user)
    if unit_kind not in UnitKind.values or not _could_be_code(unit_kind, unit_key):
        raise Http404
    unit = indicators.unit_for(unit_kind, unit_key)
    if unit is None or not can_view_unit(user, unit.path):
        raise Http404
    if not _within(unit.path, holder_paths):
        raise Http404
    period = _explain_period(request)
    context: dict[str, Any] = {
        "unit": unit,
        "unit_kind_label": UnitKind(unit_kind).label,
        "period": period,
        "ranking_query": _query(unit_kind=unit_kind, period_kind=period.kind, period=period.start),
    }
    if not can_view_period(user, period):
        return _not_released(request, period, context, "assessment/explain.html")
    result = indicators.explain(period=period, unit=unit)
    evidence = _evidence(user, result)
    weighting = _weighting(result, _scheme_of(period, unit))
    sections = []
    for key, label in INDICATORS:
        value = result.values.get(key)
        sections.append(
            {
                "key": key,
                "label": label,
                "text": INDICATOR_TEXT[key],
                "value": value,
                "num": evidence.get(f"{key}.num"),
                "den": evidence.get(f"{key}.den"),
            }
        )
    context.update(
        result=result,
        insufficient=getattr(result, "insufficient", False),
        sections=sections,
        weighting=weighting,
        now=timezone.now(),
    )
    return render(request, "assessment/explain.html", context)


# --- periods -------------------------------------------------------------------------------


def _render_periods(
    request: HttpRequest,
    kind: str,
    *,
    error: str = "",
    failed: tuple[int, RecomputeForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    starts = recent_starts(kind, today)
    found = {
        p.start: p
        for p in Period.objects.filter(kind=kind, start__in=starts).select_related("closed_by")
    }
    # The recent periods are offered whether or not anybody looked at them yet:
    # closing one needs its row, so a missing one is made (get or create, no figures).
    periods = [found.get(s) or services.period_for(kind=kind, day=s) for s in starts]
    rows = [
        {
            "period": p,
            "ended": p.end <= today,
            "form": failed[1] if failed and failed[0] == p.pk else RecomputeForm(),
            "open": bool(failed and failed[0] == p.pk),
        }
        for p in periods
    ]
    return render(
        request,
        "assessment/periods.html",
        {"kind": kind, "kinds": PeriodKind.choices, "rows": rows, "error": error},
        status=status,
    )


def _status_of(exc: Exception) -> int:
    """409 when the period moved on meanwhile (closed by someone else), else 400."""
    return 409 if isinstance(exc, services.AssessmentConflict) else 400


def _kind(value: str) -> str:
    return value if value in RECENT else PeriodKind.WEEK


@require_GET
@login_required
def period_list(request: HttpRequest) -> HttpResponse:
    """Recent periods of one kind, open or closed, with the close and recompute buttons."""
    if not can_manage_periods(request.user):
        # A page the user may not open is no page for them (ARCHITECTURE.md, habit 3).
        raise Http404
    return _render_periods(request, _kind(request.GET.get("kind", "")))


def _periods_url(kind: str) -> str:
    return f"{reverse('assessment:periods')}?{_query(kind=kind)}"


@require_POST
@login_required
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_manage_periods(request.user):
        raise PermissionDenied
    period = get_object_or_404(Period, pk=pk)
    try:
        services.period_close(period=period, actor=request.user)
    except services.AssessmentError as exc:
        return _render_periods(request, period.kind, error=str(exc), status=_status_of(exc))
    messages.success(
        request,
        _("%(period)s is closed: its ranking and lists are final.") % {"period": period.label},
    )
    return redirect(_periods_url(period.kind))


@require_POST
@login_required
def period_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_manage_periods(request.user):
        raise PermissionDenied
    period = get_object_or_404(Period, pk=pk)
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        return _render_periods(
            request,
            period.kind,
            error=_("Say why the period is recomputed."),
            failed=(period.pk, form),
            status=400,
        )
    try:
        services.period_recompute(
            period=period, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.AssessmentError as exc:
        return _render_periods(
            request, period.kind, error=str(exc), failed=(period.pk, form), status=_status_of(exc)
        )
    messages.success(
        request,
        _("%(period)s was recomputed; the earlier figures are kept as superseded.")
        % {"period": period.label},
    )
    return redirect(_periods_url(period.kind))


# --- red and black lists, rewards and criticism ---------------------------------------------


def _incentives_visible_to(user: Any) -> Any:
    """Records about communities in the user's scope, and about the user; the office: all."""
    paths = scope_paths(user)
    return IncentiveRecord.objects.filter(
        path_prefix_q(paths, "community__path") | Q(cadre=user.pk)
    )


def _render_lists(
    request: HttpRequest,
    form: PeriodForm,
    *,
    incentive_form: IncentiveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    context: dict[str, Any] = {"form": form, "querystring": request.GET.urlencode()}
    if not form.is_valid():
        return render(request, "assessment/lists.html", context, status=400)
    period = _period_of(form)
    may_record = can_record_incentives(user)
    if may_record and incentive_form is None:
        incentive_form = IncentiveForm(
            user=user, today=today, initial={"period": period.pk, "date": today}
        )
    context.update(
        period=period,
        nav=_period_nav(period, today),
        incentive_form=incentive_form,
        may_record=may_record,
    )
    if not can_view_period(user, period):
        return _not_released(request, period, context, "assessment/lists.html")
    entries = list(
        ListEntry.objects.filter(period=period, superseded_at__isnull=True).order_by(
            "kind", "unit_kind", "rank", "unit_key"
        )
    )
    labels = dict(UnitKind.choices)
    lists: dict[str, list[dict[str, Any]]] = {ListKind.RED: [], ListKind.BLACK: []}
    for kind, groups in lists.items():
        for unit_kind, _label in UnitKind.choices:
            rows = [e for e in entries if e.kind == kind and e.unit_kind == unit_kind]
            if rows:
                groups.append({"label": labels[unit_kind], "entries": rows})
    records = list(
        _incentives_visible_to(user)
        # A record names its period; one recorded without a period falls on a day of it
        # (as the circular counts them). A record of another period dated inside this
        # one belongs to the other.
        .filter(
            Q(period=period) | Q(period__isnull=True, date__gte=period.start, date__lt=period.end)
        )
        .select_related("community", "cadre", "period", "recorded_by")
        .order_by("-date", "-pk")
    )
    # Who was commended, criticised or interviewed, and why, is for the office and for
    # the cadre concerned; everyone else reads the kind, the date and the community.
    record_rows = [
        {"record": r, "full": may_record or (r.cadre_id is not None and r.cadre_id == user.pk)}
        for r in records
    ]
    context.update(
        red=lists[ListKind.RED],
        black=lists[ListKind.BLACK],
        records=record_rows,
        record_details=any(row["full"] for row in record_rows),
    )
    return render(request, "assessment/lists.html", context, status=status)


@require_GET
@login_required
def lists(request: HttpRequest) -> HttpResponse:
    """A period's red and black lists, and the rewards and criticism recorded for it."""
    _require_role(request.user)
    form = PeriodForm(request.GET, today=timezone.localdate())
    return _render_lists(request, form, status=200 if form.is_valid() else 400)


@require_POST
@login_required
def incentive_new(request: HttpRequest) -> HttpResponse:
    """Record a commendation, a criticism or an interview (约谈)."""
    user = request.user
    if not can_record_incentives(user):
        raise PermissionDenied
    today = timezone.localdate()
    form = IncentiveForm(request.POST, user=user, today=today)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.incentive_record(
                actor=user,
                kind=data["kind"],
                date=data["date"],
                reason=data["reason"],
                community=data["community"],
                cadre=data["cadre"],
                period=data["period"],
            )
        except services.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Recorded: %(kind)s.") % {"kind": record.get_kind_display()},
            )
            period = record.period
            if period is None:
                kind = PeriodKind.WEEK
                start = span(kind, record.date)[0]
            else:
                kind, start = period.kind, period.start
            return redirect(
                f"{reverse('assessment:lists')}?{_query(period_kind=kind, period=start)}"
            )
    # Show the lists of the period the form named (or the default), with the form and its errors.
    period = form.cleaned_data.get("period") if hasattr(form, "cleaned_data") else None
    query = {"period_kind": period.kind, "period": period.start.isoformat()} if period else {}
    page_form = PeriodForm(query, today=today)
    return _render_lists(request, page_form, incentive_form=form, status=400)
