"""The battle map (作战图) and the area sheet (片区作战表).

- `battle_map`: the page. The area polygons come once from the regions API
  (already scoped to the user); the colours come from `map_data`, fetched
  again whenever the measure, the task type or the week changes.
- `map_data`: the value of one measure for every area the user may see, in
  one answer and a bounded number of queries (`selectors.battle_map_measures`),
  with the legend's classes. Bad input is a 400 with a message, never a 500.
- `area_sheet`: one area's targets and actuals per task type and week, its
  streets, arrangements, reports, cases and latest visible inspection score.

The scale is ColorBrewer's YlGnBu, sequential and readable under the common
forms of colour blindness; it runs from light to dark towards "better", so a
dark area is a good one whatever the measure (reversed where lower is better).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from zhenxing.people.scopes import has_any_role, regions_visible_to
from zhenxing.plans import selectors
from zhenxing.plans.models import Campaign, TaskType, monday_of
from zhenxing.territory.models import CODE_RE, Region, area_depth, level_names
from zhenxing.territory.selectors import path_codes

# Light to dark: the last colour is the best class.
SCALE = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
NO_DATA_COLOUR = "#bdbdbd"
# Placeholder the map script swaps for an area's code to build its link.
_CODE_SLOT = "__code__"
# The area sheet shows this many weeks up to the chosen one.
SHEET_WEEKS = 6


@dataclass(frozen=True)
class MeasureStyle:
    unit: Any
    decimals: int
    higher_is_better: bool
    # Upper bounds of the classes but the last (None: from the values, for counts).
    breaks: tuple[float, ...] | None


PERCENT = "%"
STYLES: dict[str, MeasureStyle] = {
    "completion": MeasureStyle(PERCENT, 0, True, (25, 50, 75, 100)),
    "inspection": MeasureStyle(pgettext_lazy("unit", "pts"), 1, True, (60, 70, 80, 90)),
    "open": MeasureStyle(pgettext_lazy("unit", "cases"), 0, False, None),
    "overdue": MeasureStyle(pgettext_lazy("unit", "cases"), 0, False, None),
    "relapses": MeasureStyle(pgettext_lazy("unit", "cases"), 0, False, None),
}
# Count classes: 0, then three steps, then the rest; the first series whose
# last step leaves the top class no more than twice as wide as the others.
_COUNT_BREAKS = [(1, 3, 6, 11), (1, 6, 11, 21), (1, 11, 26, 51), (1, 26, 51, 101)]

NO_DATA = gettext_lazy("No data")


def week_label(week: datetime.date) -> str:
    year, number, _day = week.isocalendar()
    return _("%(year)d week %(week)d") % {"year": year, "week": number}


def _style(measure: str) -> MeasureStyle:
    return STYLES.get(measure, MeasureStyle("", 0, True, None))


def _count_breaks(values: list[float]) -> tuple[float, ...]:
    top = max(values, default=0)
    for series in _COUNT_BREAKS:
        if top < series[-1] * 2:
            return series
    # Beyond a few hundred: four equal steps of a round size.
    step = 10 ** math.floor(math.log10(top / 4)) * 5
    return (1, step, 2 * step, 3 * step)


def _number(value: float, decimals: int = 0) -> str:
    return number_format(round(value, decimals), decimal_pos=None if decimals else 0)


def legend_bins(measure: str, values: list[float]) -> list[dict[str, Any]]:
    """The classes of the legend: [{"to": upper bound or None, "colour", "label"}]."""
    style = _style(measure)
    breaks = style.breaks if style.breaks is not None else _count_breaks(values)
    unit = str(style.unit)
    colours = SCALE if style.higher_is_better else SCALE[::-1]
    whole = style.breaks is None  # counts: "1–2", not "1–3"
    bins = []
    lower: float | None = None
    for i, upper in enumerate([*breaks, None]):
        if upper is None:
            label = f"≥ {_number(lower or 0)}"
        elif lower is None:
            label = _number(upper - 1) if whole and upper == 1 else f"< {_number(upper)}"
        elif whole:
            label = (
                _number(lower) if upper - 1 == lower else f"{_number(lower)}–{_number(upper - 1)}"
            )
        else:
            label = f"{_number(lower)}–{_number(upper)}"
        bins.append({"to": upper, "colour": colours[i], "label": f"{label} {unit}".strip()})
        lower = upper
    return bins


def _measure_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in selectors.MEASURES]


def _active_campaigns() -> list[Campaign]:
    return list(Campaign.objects.filter(is_active=True).prefetch_related("task_types"))


class BadInput(Exception):
    pass


@dataclass
class Choice:
    campaign: Campaign
    task_type: TaskType | None
    measure: str
    week: datetime.date
    weeks: list[datetime.date]


def _choose(request: HttpRequest, campaigns: list[Campaign], *, strict: bool) -> Choice:
    """The campaign, task type, measure and week asked for.

    Strict (the JSON endpoint): anything unknown is a BadInput with a message.
    Otherwise (the page): anything unknown falls back to the default, so an
    old bookmark still opens a map.
    """
    today = timezone.localdate()
    code = request.GET.get("campaign", "")
    campaign = next((c for c in campaigns if c.code == code), None)
    if campaign is None:
        if strict and code:
            raise BadInput(_("There is no active campaign with this code."))
        if not campaigns:
            raise BadInput(_("There is no active campaign."))
        campaign = campaigns[0]
    task_code = request.GET.get("task", "")
    task_type = next((t for t in campaign.task_types.all() if t.code == task_code), None)
    if task_code and task_type is None and strict:
        raise BadInput(_("This campaign has no task type with this code."))
    measures = [key for key, _label in selectors.MEASURES]
    measure = request.GET.get("measure", "")
    if measure not in measures:
        if strict and measure:
            raise BadInput(_("Unknown measure."))
        measure = measures[0]
    weeks = selectors.week_options(campaign, today)
    raw = request.GET.get("week", "")
    week: datetime.date | None = None
    if raw:
        try:
            week = monday_of(datetime.date.fromisoformat(raw))
        except ValueError:
            if strict:
                raise BadInput(_("The week must be a date (YYYY-MM-DD).")) from None
        if week is not None and week not in weeks:
            if strict:
                raise BadInput(_("This week is outside the campaign."))
            week = None
    if week is None:
        this_week = monday_of(today)
        week = this_week if this_week in weeks else (weeks[-1] if weeks else this_week)
    return Choice(campaign, task_type, measure, week, weeks)


def _values(user: Any, choice: Choice) -> dict[str, float | None]:
    return selectors.battle_map_measures(
        user=user,
        measure=choice.measure,
        week=choice.week,
        task_type=choice.task_type,
        campaign=choice.campaign,
    )


@login_required
@require_GET
def battle_map(request: HttpRequest) -> HttpResponse:
    campaigns = _active_campaigns()
    context: dict[str, Any] = {
        "campaigns": campaigns,
        "has_scope": has_any_role(request.user),
        "measures": _measure_choices(),
    }
    if not campaigns or not context["has_scope"]:
        return render(request, "plans/map.html", context)
    choice = _choose(request, campaigns, strict=False)
    week_index = choice.weeks.index(choice.week) if choice.week in choice.weeks else 0
    config = {
        "geojsonUrl": f"{reverse('api:regions_geojson')}?level={area_depth()}",
        "dataUrl": reverse("plans:map_data"),
        "areaUrl": f"{reverse('plans:area', args=[_CODE_SLOT])}?campaign={choice.campaign.code}",
        "codeSlot": _CODE_SLOT,
        "campaign": choice.campaign.code,
        "measure": choice.measure,
        "weeks": [{"value": w.isoformat(), "label": week_label(w)} for w in choice.weeks],
        "tileUrl": settings.ZHENXING_TILE_URL,
        "tileAttribution": settings.ZHENXING_TILE_ATTRIBUTION,
        "noDataColour": NO_DATA_COLOUR,
        "noDataLabel": str(NO_DATA),
        "openLabel": _("Open the area sheet"),
        "loadingLabel": _("Loading…"),
        "emptyLabel": _("No areas to show here."),
        "loadError": _("The map could not be loaded. Reload the page to try again."),
    }
    context.update(
        choice=choice,
        week_index=week_index,
        week_label=week_label(choice.week),
        task_types=list(choice.campaign.task_types.all()),
        map_config=config,
    )
    return render(request, "plans/map.html", context)


@login_required
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    try:
        choice = _choose(request, _active_campaigns(), strict=True)
    except BadInput as error:
        return JsonResponse({"detail": str(error)}, status=400)
    raw = _values(request.user, choice)
    style = _style(choice.measure)
    values: dict[str, float | None] = {}
    for code, value in raw.items():
        if value is None:
            values[code] = None
        else:
            # Completion comes as a percentage already (selectors.completion_of).
            values[code] = round(float(value), style.decimals)
    present = [v for v in values.values() if v is not None]
    labels = dict(_measure_choices())
    return JsonResponse(
        {
            "measure": choice.measure,
            "measureLabel": labels[choice.measure],
            "campaign": choice.campaign.code,
            "task": choice.task_type.code if choice.task_type else "",
            "week": choice.week.isoformat(),
            "weekLabel": week_label(choice.week),
            "unit": str(style.unit),
            "decimals": style.decimals,
            "values": values,
            "bins": legend_bins(choice.measure, present),
            "noData": {"colour": NO_DATA_COLOUR, "label": str(NO_DATA)},
        }
    )


def _area_or_404(user: Any, code: str) -> Region:
    """An area in the user's scope; anything else (a cooperative, a street, a typo) is 404."""
    if not CODE_RE.fullmatch(code):
        raise Http404
    area = regions_visible_to(user).filter(code=code, depth=area_depth()).first()
    if area is None:
        raise Http404
    return area


def _breadcrumbs(area: Region) -> list[Region]:
    """The regions above the area, root first (one query)."""
    codes = path_codes(area.path)[:-1]
    return list(Region.objects.filter(code__in=codes).order_by("depth").only("code", "name"))


@login_required
@require_GET
def area_sheet(request: HttpRequest, code: str) -> HttpResponse:
    area = _area_or_404(request.user, code)
    campaigns = _active_campaigns()
    if not campaigns:
        raise Http404
    try:
        choice = _choose(request, campaigns, strict=False)
    except BadInput:
        raise Http404 from None
    end = choice.weeks.index(choice.week) + 1 if choice.week in choice.weeks else len(choice.weeks)
    weeks = choice.weeks[max(0, end - SHEET_WEEKS) : end]
    sheet = selectors.area_sheet(
        user=request.user, area=area, campaign=choice.campaign, weeks=weeks
    )
    return render(
        request,
        "plans/area_sheet.html",
        {
            "area": area,
            "ancestors": _breadcrumbs(area),
            "level_names": level_names(),
            "campaign": choice.campaign,
            "campaigns": campaigns,
            "week_chosen": choice.week,
            "weeks": [{"date": w, "label": week_label(w)} for w in weeks],
            "sheet": sheet,
            "map_url": f"{reverse('plans:map')}?campaign={choice.campaign.code}"
            f"&week={choice.week.isoformat()}",
        },
    )
