"""The weekly circular (每周通报): its figures, its drafting and its publication.

A circular covers one period and one territory (its `scope`, normally the
whole subdistrict). While it is a draft its figures are computed whenever
they are asked for (`circular_content`); publishing

1. closes the period if it is still open (`services.period_close`: the
   snapshots and the red and black lists are written),
2. freezes the figures in `content`, and a copy without any personal data
   in `public_content`,
3. lifts the covert-inspection embargo for the period under the scope
   (`inspections.services.inspections_release`), and
4. tells each community's secretaries their rank,

all in one transaction: a publication that fails half-way leaves the draft,
the embargo and the inboxes as they were (SMS sends go after commit, as
`notify_users` arranges).

The content holds what officials need to act on and nothing more: unit
names, figures, case numbers, categories and places, photo tokens. Never a
reporter's name, mobile or free-text description (which may contain either).
Cadres appear by name only in the incentive records (a commendation names
whom it commends); the public version drops them and every free text other
than the narrative the office wrote.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhenxing.assessment.models import (
    Circular,
    CircularStatus,
    IncentiveRecord,
    Indicator,
    ListEntry,
    ListKind,
    ListRule,
    Period,
    UnitKind,
)
from zhenxing.assessment.permissions import can_draft_circulars
from zhenxing.core import audit
from zhenxing.core.db import write_lock_busy_raises
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

# Rates (fractions 0..1) among the indicators; the others are scores or per-1,000 figures.
RATE_INDICATORS = frozenset(
    {
        Indicator.CLOSURE_RATE,
        Indicator.ON_TIME_RATE,
        Indicator.REWORK_RATE,
        Indicator.OVERDUE_RATE,
        Indicator.RELAPSE_RATE,
    }
)
# How many areas the "lowest inspection scores" table lists.
AREAS_BOTTOM = 10
# How many black spots a circular exposes (a page of photos, not a case list), and how many
# of those slots open cases take when there are enough put-right ones to fill the others.
BLACK_SPOTS_MAX = 12
BLACK_SPOTS_OPEN_MAX = 6
# The document-number prefix (发文字号) when the settings name none.
DEFAULT_NUMBER_PREFIX = "桂振兴通"
NOTIFY_KIND = "circular_published"


class CircularError(Exception):
    """A rule of drafting or publishing was broken; the message is for the user."""


class CircularConflict(CircularError):
    """The circular changed (or was published) since the caller looked at it."""


# --- numbers, titles, defaults ---------------------------------------------------------


def _number_prefix() -> str:
    return getattr(settings, "ZHENXING_CIRCULAR_NUMBER_PREFIX", "") or DEFAULT_NUMBER_PREFIX


def _sequence(period: Period) -> tuple[int, int]:
    """(year, n) for the document number: the ISO week, the month, the quarter, or 1."""
    if period.kind == "week":
        year, week, _day = period.start.isocalendar()
        return year, week
    if period.kind == "month":
        return period.start.year, period.start.month
    if period.kind == "quarter":
        return period.start.year, (period.start.month + 2) // 3
    return period.start.year, 1


def default_number(period: Period) -> str:
    """桂振兴通〔2026〕48号: the prefix, the (ISO) year in 〔〕 and the week number.

    The brackets are the 六角括号 that GB/T 9704 prescribes for the year.
    """
    year, n = _sequence(period)
    return f"{_number_prefix()}〔{year}〕{n}号"


def _free_number(base: str) -> str:
    """`base`, or `base` with a counter when another circular holds it (a second draft)."""
    taken = set(Circular.objects.filter(number__startswith=base).values_list("number", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def default_title(period: Period, scope: Region) -> str:
    """桂城街道乡村振兴工作第48周通报 (in the site's language when called under it)."""
    if period.kind == "week":
        return _("%(scope)s rural revitalisation work: circular of week %(week)d") % {
            "scope": scope.name,
            "week": period.start.isocalendar()[1],
        }
    return _("%(scope)s rural revitalisation work: circular for %(period)s") % {
        "scope": scope.name,
        "period": period.label,
    }


def default_issuing_body(scope: Region) -> str:
    configured = getattr(settings, "ZHENXING_CIRCULAR_ISSUING_BODY", "")
    if configured:
        return str(configured)
    return _("%(scope)s rural revitalisation office") % {"scope": scope.name}


# --- the sections, and formatting shared with the page and the documents -------------------

# The circular's sections in the order the page, the DOCX and the PDF print them (一、… 六、).
# One list, so that the three cannot drift apart; `sections()` gives it in the active language.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", gettext_noop("1. The period in figures")),
    ("ranking", gettext_noop("2. Composite ranking of the communities")),
    ("areas", gettext_noop("3. Areas with the lowest inspection scores")),
    ("lists", gettext_noop("4. Red and black lists")),
    ("black_spots", gettext_noop("5. Black spots exposed")),
    ("incentives", gettext_noop("6. Rewards and criticism")),
)
# What an inspection score means where two different ones appear: a community's figure in
# the ranking is the mean of all its inspections, an area's the mean of that area's own.
SECTION_NOTES: dict[str, str] = {
    "ranking": gettext_noop(
        "A community's inspection score is the mean score of all its inspections in the "
        "period; each area's own score is in the next section."
    ),
    "areas": gettext_noop(
        "An area's score is the mean score of its own inspections in the period."
    ),
}


def sections() -> list[list[str]]:
    """[[key, title], ...] in order, the titles in the active language (lists: JSON keeps them)."""
    return [[key, _(title)] for key, title in SECTIONS]


def section_notes() -> dict[str, str]:
    return {key: _(note) for key, note in SECTION_NOTES.items()}


def content_sections(content: dict[str, Any]) -> list[list[str]]:
    """The sections a content names; a content frozen before they were stored gets today's."""
    return [list(pair) for pair in content.get("sections") or sections()]


def half_up(value: Any, places: int = 2) -> Decimal | None:
    """`value` rounded as the engine rounds (indicators.py): in decimals, half up.

    Never Python's round() on a binary float, which turns 72.125 into 72.12.
    """
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def format_value(indicator: str, value: float | None) -> str:
    """An indicator as officials read it: rates in % to 0.1, the inspection score to 0.01
    (as the engine keeps it, and as areas' scores are shown), participation to 0.1."""
    if value is None:
        return "—"
    if indicator in RATE_INDICATORS:
        return format_rate(value)
    if indicator == Indicator.INSPECTION_SCORE:
        return format_composite(value)
    return f"{half_up(value, 1)}"


def format_composite(value: Any) -> str:
    """A composite or a score to two places ("85.00"), half up; "—" without one."""
    return "—" if value is None else f"{half_up(value, 2)}"


def format_rate(value: Any) -> str:
    """A fraction as a percentage to 0.1 ("66.7%"), half up; "—" without one."""
    return "—" if value is None else f"{half_up(Decimal(str(value)) * 100, 1)}%"


def _count_text(value: Any) -> str:
    return "—" if value is None else str(int(value))


def summary_figures(content: dict[str, Any]) -> list[tuple[str, str]]:
    """Section 一's headline figures as (label, figure) pairs, for the page and the documents."""
    s = content.get("summary") or {}
    if not s:
        return []
    lowest = s.get("lowest_area")
    lowest_text = (
        _("%(area)s (%(community)s) %(score)s")
        % {
            "area": lowest["unit_name"],
            "community": lowest.get("community", ""),
            "score": format_composite(lowest.get("score")),
        }
        if lowest
        else "—"
    )
    return [
        (_("Inspections scored"), _count_text(s.get("inspections_scored"))),
        (_("Areas inspected"), _count_text(s.get("areas_inspected"))),
        (_("Mean score of all inspections"), format_composite(s.get("mean_score"))),
        (_("Lowest area score"), lowest_text),
        (_("Problems found"), _count_text(s.get("findings"))),
        (_("Cases opened from inspections"), _count_text(s.get("cases_opened"))),
        (_("Cases reported by inspectors"), _count_text(s.get("inspection_cases"))),
        (_("Black spots exposed"), _count_text(s.get("black_spots"))),
        (_("Black spots still open"), _count_text(s.get("black_spots_open"))),
        (_("Cases due to close"), _count_text(s.get("cases_due"))),
        (_("Cases closed"), _count_text(s.get("cases_closed"))),
        (_("Closure rate"), format_rate(s.get("closure_rate"))),
        (_("On-time closure rate"), format_rate(s.get("on_time_rate"))),
        (_("Communities ranked"), _count_text(s.get("communities_ranked"))),
    ]


# --- the content -------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A number as JSON keeps it: Decimals become floats (2 places are all they carry)."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _round(value: Any, places: int = 2) -> float | None:
    """A figure for the JSON content, rounded half up as the engine rounds."""
    rounded = half_up(value, places)
    return None if rounded is None else float(rounded)


def _local_bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """The period's [start, end) as instants: days begin at midnight in the site's timezone."""
    tz = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(period.end, datetime.time.min, tzinfo=tz),
    )


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else timezone.localtime(moment).isoformat(timespec="minutes")


def _under(path: str, scope: Region) -> bool:
    return bool(path) and path.startswith(scope.path)


def _value_dict(v: Any) -> dict[str, Any]:
    """An IndicatorValue (or the dict a snapshot stores) as JSON."""
    get = v.get if isinstance(v, dict) else lambda name: getattr(v, name, None)
    return {
        "num": _plain(get("num")),
        "den": _plain(get("den")),
        "value": _round(get("value"), 4),
        "score": _round(get("score"), 2),
    }


def _competition_ranks(composites: Sequence[float | None]) -> list[int | None]:
    """1, 2, 2, 4 over composites already sorted from the highest; None stays unranked."""
    ranks: list[int | None] = []
    previous: float | None = None
    rank = 0
    for position, composite in enumerate(composites, start=1):
        if composite is None:
            ranks.append(None)
            continue
        if composite != previous:
            rank, previous = position, composite
        ranks.append(rank)
    return ranks


def _ranking_rows(results: Sequence[Any], scope: Region) -> list[dict[str, Any]]:
    """The community ranking within the scope, as JSON rows.

    The engine ranks every community of the territory; a circular that covers
    only part of it ranks the communities it covers among themselves (for
    the whole subdistrict the ranks are the engine's own).
    """
    inside = [r for r in results if _under(r.unit.path, scope)]
    rows = []
    for r in inside:
        values = {k: _value_dict(v) for k, v in r.values.items()}
        rows.append(
            {
                "rank": r.rank,
                "unit_key": r.unit.key,
                "unit_name": r.unit.name,
                "unit_path": r.unit.path,
                "composite": _round(r.composite),
                # Too little evidence to be ranked (the engine's minimum): shown, never ranked.
                "insufficient": bool(getattr(r, "insufficient", False)),
                **{indicator: values.get(indicator, {}).get("value") for indicator in Indicator},
                "values": values,
            }
        )
    # The engine lists units best first (unranked last); a subset keeps that order and
    # re-ranks among itself only the units the engine ranked.
    if len(inside) != len(results):
        ranked = [row for row, r in zip(rows, inside, strict=True) if r.rank is not None]
        for row, rank in zip(
            ranked, _competition_ranks([row["composite"] for row in ranked]), strict=True
        ):
            row["rank"] = rank
    return rows


def _rate_over(rows: Sequence[dict[str, Any]], indicator: str) -> dict[str, Any]:
    """A scope-wide rate: the communities' numerators and denominators summed.

    Every case lies in exactly one community, so the sums are the scope's own.
    """
    num = den = 0.0
    for row in rows:
        v = row["values"].get(indicator) or {}
        if v.get("den"):
            num += float(v.get("num") or 0)
            den += float(v["den"])
    return {"num": num, "den": den, "value": _round(num / den, 4) if den else None}


def _scored_inspections(period: Period, scope: Region) -> Any:
    from zhenxing.inspections.models import Inspection

    return Inspection.objects.scored().between(period.start, period.end).under_any([scope.path])


def _community_names(paths: Iterable[str]) -> dict[str, str]:
    wanted = {community_path(p) for p in paths if p}
    return dict(Region.objects.filter(path__in=wanted).values_list("path", "name"))


def _mean(total: Any, count: int) -> float | None:
    """A mean score as the engine takes it: the exact sum over the count, rounded half up.

    Not the database's AVG, which SQLite works out in binary floats.
    """
    if not count or total is None:
        return None
    return _round(Decimal(str(total)) / count)


def _area_rows(period: Period, scope: Region) -> list[dict[str, Any]]:
    """Every inspected area's score in the period (the mean of its inspections), lowest first."""
    per_area = list(
        _scored_inspections(period, scope)
        .values("area_id")
        .annotate(total=Sum("score"), n=Count("score"))
        .order_by()
    )
    areas = Region.objects.in_bulk([row["area_id"] for row in per_area])
    communities = _community_names(a.path for a in areas.values())
    rows = []
    for row in per_area:
        area = areas[row["area_id"]]
        rows.append(
            {
                "unit_key": area.code,
                "unit_name": area.name,
                "unit_path": area.path,
                "community": communities.get(community_path(area.path), ""),
                "score": _mean(row["total"], row["n"]),
                "inspections": row["n"],
            }
        )
    rows.sort(key=lambda r: (r["score"], r["unit_path"]))
    return rows


def _list_row(
    *,
    kind: str,
    unit_kind: str,
    key: str,
    name: str,
    path: str,
    composite: Any,
    rank: Any,
    rule: str,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "unit_kind": unit_kind,
        "unit_key": key,
        "unit_name": name,
        "unit_path": path,
        "composite": _round(composite),
        "rank": rank,
        "rule": rule,
    }


def _in_list_scope(path: str, scope: Region) -> bool:
    # Departments (no path) belong to the whole territory: listed only by a circular covering it.
    return _under(path, scope) if path else scope.parent_id is None


def _lists(period: Period, scope: Region, ranked: dict[str, list[Any]]) -> dict[str, list]:
    """The red and black lists: as drawn at closing, or the active rules applied to live figures."""
    from zhenxing.assessment.indicators import list_members, ranking

    out: dict[str, list[dict[str, Any]]] = {ListKind.RED: [], ListKind.BLACK: []}
    if period.is_closed:
        entries = ListEntry.objects.filter(period=period, superseded_at=None).select_related("rule")
        for e in entries.order_by("kind", "unit_kind", "rank", "unit_key"):
            if _in_list_scope(e.unit_path, scope):
                out[e.kind].append(
                    _list_row(
                        kind=e.kind,
                        unit_kind=e.unit_kind,
                        key=e.unit_key,
                        name=e.unit_name,
                        path=e.unit_path,
                        composite=e.composite,
                        rank=e.rank,
                        rule=e.rule.name,
                    )
                )
        return _tidy(out)
    # A period still open: what closing it now would draw (the engine's own rule reading).
    rules = ListRule.objects.filter(is_active=True, period_kind=period.kind)
    for rule in rules.order_by("pk"):
        if rule.unit_kind not in ranked:
            ranked[rule.unit_kind] = ranking(period=period, unit_kind=rule.unit_kind)
        for r in list_members(rule, ranked[rule.unit_kind]):
            if _in_list_scope(r.unit.path, scope):
                out[rule.kind].append(
                    _list_row(
                        kind=rule.kind,
                        unit_kind=rule.unit_kind,
                        key=r.unit.key,
                        name=r.unit.name,
                        path=r.unit.path,
                        composite=r.composite,
                        rank=r.rank,
                        rule=rule.name,
                    )
                )
    return _tidy(out)


def _tidy(lists: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Each unit once per list (two rules may both list it); red best first, black worst first."""
    tidy: dict[str, list[dict[str, Any]]] = {}
    for kind, rows in lists.items():
        seen: set[tuple[str, str]] = set()
        unique = []
        for row in rows:
            if (row["unit_kind"], row["unit_key"]) not in seen:
                seen.add((row["unit_kind"], row["unit_key"]))
                unique.append(row)
        sign = -1 if kind == ListKind.RED else 1
        unique.sort(key=lambda r: (r["unit_kind"], sign * (r["composite"] or 0), r["unit_key"]))
        tidy[kind] = unique
    return tidy


def _inspection_cases(period: Period, scope: Region) -> Any:
    """Every case with the source "inspection" reported in the period under the scope.

    More than the cases opened from findings: inspectors also report what
    they come across outside a scored inspection.
    """
    from zhenxing.cases.models import Case, Source

    start, end = _local_bounds(period)
    return Case.objects.filter(
        source=Source.INSPECTION, reported_at__gte=start, reported_at__lt=end
    ).under_any([scope.path])


def _black_spots(period: Period, scope: Region, now: datetime.datetime) -> list[dict[str, Any]]:
    """The inspection cases the circular exposes: those still to put right, then those put right.

    A circular asks the communities to rectify what it exposes, so open cases
    come first: overdue ones (at `now`, the longest overdue first), then the
    others (the earliest reported first), each with its before-photo. Then
    the closed ones, those with an after-photo (the before | after pair) first,
    the earliest reported first. Open cases take at most BLACK_SPOTS_OPEN_MAX
    of the BLACK_SPOTS_MAX places while there are closed ones to fill the rest;
    places one side cannot fill go to the other. Rejected cases (no problem
    after all) are never exposed.
    """
    from zhenxing.cases.models import CLOCK_STATES, CasePhoto, PhotoKind, Status

    cases = _inspection_cases(period, scope).select_related("category__parent", "region")
    overdue = Q(status__in=CLOCK_STATES, deadline__lt=now)
    open_cases = list(
        cases.exclude(status__in=(Status.CLOSED, Status.REJECTED))
        .filter(overdue)
        .order_by("deadline", "reported_at", "pk")[:BLACK_SPOTS_MAX]
    )
    if len(open_cases) < BLACK_SPOTS_MAX:
        open_cases += list(
            cases.exclude(status__in=(Status.CLOSED, Status.REJECTED))
            .exclude(overdue)
            .order_by("reported_at", "pk")[: BLACK_SPOTS_MAX - len(open_cases)]
        )
    closed_cases = list(
        cases.filter(status=Status.CLOSED)
        .annotate(
            has_after=Exists(CasePhoto.objects.filter(case=OuterRef("pk"), kind=PhotoKind.AFTER))
        )
        .order_by("-has_after", "reported_at", "pk")[:BLACK_SPOTS_MAX]
    )
    n_open = min(len(open_cases), max(BLACK_SPOTS_OPEN_MAX, BLACK_SPOTS_MAX - len(closed_cases)))
    chosen = open_cases[:n_open] + closed_cases[: BLACK_SPOTS_MAX - n_open]

    photos: dict[int, dict[str, str]] = defaultdict(dict)
    for p in (
        CasePhoto.objects.filter(case__in=[c.pk for c in chosen])
        .filter(kind__in=[PhotoKind.BEFORE, PhotoKind.AFTER])
        .order_by("uploaded_at", "pk")
        .values("case_id", "kind", "token")
    ):
        slot = photos[p["case_id"]]
        if p["kind"] == PhotoKind.BEFORE:
            slot.setdefault("before", p["token"])  # the first before-photo
        else:
            slot["after"] = p["token"]  # the last after-photo
    communities = _community_names(c.region_path for c in chosen)
    spots = []
    for c in chosen:
        closed = c.status == Status.CLOSED
        spots.append(
            {
                "number": c.number,
                "category": str(c.category),
                "community": communities.get(community_path(c.region_path), ""),
                "area": c.region.name,
                "area_key": c.region.code,
                "address": c.address,
                "status": c.status,
                "status_label": str(Status(c.status).label),
                "open": not closed,
                "overdue": bool(
                    c.status in CLOCK_STATES and c.deadline is not None and c.deadline < now
                ),
                "reported_at": _iso(c.reported_at),
                "deadline": _iso(c.deadline),
                "closed_at": _iso(c.closed_at),
                "closed_on_time": c.closed_on_time,
                "before": photos[c.pk].get("before"),
                # An open case's after-photo (put right, not yet verified) is not shown as
                # the result: the case is exposed as still to be put right.
                "after": photos[c.pk].get("after") if closed else None,
            }
        )
    return spots


def _incentive_rows(period: Period, scope: Region) -> list[dict[str, Any]]:
    """The commendations, criticism and interviews of the period within the scope.

    A record names its period, or (recorded without one) falls on a day of it.
    A record about a cadre alone belongs to the whole territory.
    """
    records = IncentiveRecord.objects.filter(
        Q(period=period) | Q(period__isnull=True, date__gte=period.start, date__lt=period.end)
    ).select_related("community", "cadre")
    rows = []
    for r in records.order_by("date", "pk"):
        if r.community is not None and not _under(r.community.path, scope):
            continue
        if r.community is None and scope.parent_id is not None:
            continue
        rows.append(
            {
                "kind": r.kind,
                "kind_label": str(r.get_kind_display()),
                "date": r.date.isoformat(),
                "community": r.community.name if r.community else "",
                "community_key": r.community.code if r.community else "",
                # Officials need to know whom a commendation or an interview concerns.
                "cadre": str(r.cadre) if r.cadre else "",
                "reason": r.reason,
            }
        )
    return rows


def _summary(
    period: Period,
    scope: Region,
    ranking_rows: list[dict[str, Any]],
    areas: list[dict[str, Any]],
    spots: list[dict[str, Any]],
) -> dict[str, Any]:
    from zhenxing.inspections.models import Finding

    scored = _scored_inspections(period, scope)
    inspections = scored.aggregate(
        n=Count("score"), total=Sum("score"), areas=Count("area_id", distinct=True)
    )
    findings = Finding.objects.filter(inspection__in=scored).aggregate(
        n=Count("id"),
        units=Sum("count"),
        # Cases opened from the period's findings: what "立案" means next to "发现问题".
        cases=Count("case", distinct=True),
    )
    closure = _rate_over(ranking_rows, Indicator.CLOSURE_RATE)
    on_time = _rate_over(ranking_rows, Indicator.ON_TIME_RATE)
    ranked = [r for r in ranking_rows if r["rank"] is not None]
    lowest = areas[0] if areas else None
    spots_open = sum(1 for spot in spots if spot["open"])

    def unit(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {
            "unit_key": row["unit_key"],
            "unit_name": row["unit_name"],
            **{k: row[k] for k in ("composite", "score", "community") if k in row},
        }

    return {
        "inspections_scored": inspections["n"],
        "areas_inspected": inspections["areas"],
        "mean_score": _mean(inspections["total"], inspections["n"]),
        "lowest_area": unit(lowest),
        "findings": findings["n"],
        "finding_units": findings["units"] or 0,
        "cases_opened": findings["cases"],
        "inspection_cases": _inspection_cases(period, scope).count(),
        "black_spots": len(spots),
        "black_spots_open": spots_open,
        "black_spots_closed": len(spots) - spots_open,
        # The communities with a spot still open, in the spots' order (most pressing first).
        "black_spot_communities": list(
            dict.fromkeys(spot["community"] for spot in spots if spot["open"] and spot["community"])
        ),
        "cases_due": closure["den"],
        "cases_closed": closure["num"],
        "cases_closed_on_time": on_time["num"],
        "closure_rate": closure["value"],
        "on_time_rate": on_time["value"],
        "communities_ranked": len(ranked),
        "best": unit(ranked[0]) if ranked else None,
        "worst": unit(ranked[-1]) if ranked else None,
    }


def _scheme_of(period: Period) -> Any:
    """The scheme the period's figures were made with: its snapshot's once closed, else the
    one in force (which `ranking` computes an open period with)."""
    from zhenxing.assessment.indicators import active_scheme
    from zhenxing.assessment.models import ScoreSnapshot

    if period.pk is not None and period.is_closed:
        snapshot = (
            ScoreSnapshot.objects.filter(
                period=period, unit_kind=UnitKind.COMMUNITY, superseded_at__isnull=True
            )
            .select_related("scheme")
            .first()
        )
        if snapshot is not None:
            return snapshot.scheme
    return active_scheme()


def scheme_content(period: Period) -> dict[str, Any]:
    """The scheme's name and every indicator's weight, so that the composite can be redone.

    An indicator the scheme gives no weight counts 0 (the engine leaves it out).
    """
    from zhenxing.assessment.indicators import scheme_weights

    scheme = _scheme_of(period)
    weights = scheme_weights(scheme)
    return {
        "name": scheme.name,
        "participation_target": _plain(scheme.participation_target),
        "weights": [
            {
                "key": i.value,
                "label": str(i.label),
                "weight": _plain(weights.get(i.value, Decimal("0"))),
            }
            for i in Indicator
        ],
    }


def _compute(circular: Circular) -> dict[str, Any]:
    """The figures of a draft, computed now from the period's ranking and the live records."""
    from zhenxing.assessment.indicators import ranking

    now = timezone.now()
    period, scope = circular.period, circular.scope
    ranked: dict[str, list[Any]] = {
        UnitKind.COMMUNITY: ranking(period=period, unit_kind=UnitKind.COMMUNITY)
    }
    ranking_rows = _ranking_rows(ranked[UnitKind.COMMUNITY], scope)
    areas = _area_rows(period, scope)
    spots = _black_spots(period, scope, now)
    lists = _lists(period, scope, ranked)
    return {
        "circular": {
            "number": circular.number,
            "title": circular.title,
            "issuing_body": circular.issuing_body,
            "issue_date": circular.issue_date.isoformat() if circular.issue_date else None,
            "narrative": circular.narrative,
        },
        "scope": {"key": scope.code, "name": scope.name, "path": scope.path},
        "period": {
            "kind": period.kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "last_day": period.last_day.isoformat(),
            "closed": period.is_closed,
        },
        "computed_at": _iso(now),
        "sections": sections(),
        "section_notes": section_notes(),
        "indicators": [{"key": i.value, "label": str(i.label)} for i in Indicator],
        "scheme": scheme_content(period),
        "summary": _summary(period, scope, ranking_rows, areas, spots),
        "ranking": ranking_rows,
        "areas": areas,
        "areas_bottom": areas[:AREAS_BOTTOM],
        "red": lists[ListKind.RED],
        "black": lists[ListKind.BLACK],
        "black_spots": spots,
        "incentives": _incentive_rows(period, scope),
    }


def circular_content(circular: Circular) -> dict[str, Any]:
    """Published: the figures frozen at publication. Draft: computed now.

    Labels inside (the period, statuses, indicator names) are in the site's
    language whoever asks: they are part of an official document.
    """
    if circular.is_published and circular.content:
        return circular.content
    with translation.override(settings.LANGUAGE_CODE):
        return _compute(circular)


def public_version(content: dict[str, Any]) -> dict[str, Any]:
    """The content without personal data or free text other than the office's narrative.

    Gone: the cadres named by incentive records (a record about a cadre alone
    goes altogether), the records' reasons, the black spots' typed addresses.
    """
    public = copy.deepcopy(content)
    public["incentives"] = [
        {k: v for k, v in row.items() if k not in ("cadre", "reason")}
        for row in public.get("incentives", [])
        if row.get("community")
    ]
    for spot in public.get("black_spots", []):
        spot.pop("address", None)
    public["public"] = True
    return public


def circular_public_content(circular: Circular) -> dict[str, Any]:
    """The public version: frozen when published, else derived from the draft's figures."""
    if circular.is_published and circular.public_content:
        return circular.public_content
    return public_version(circular_content(circular))


# --- the narrative -------------------------------------------------------------------


def _list_join(names: Sequence[str]) -> str:
    """Names run together as the site's language lists them (社区甲、社区乙 in Chinese)."""
    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    return separator.join(names)


def default_narrative(content: dict[str, Any]) -> str:
    """A few paragraphs summarising the period, for the office to edit (site's language)."""
    s = content["summary"]
    period = content["period"]["label"]
    paragraphs = []
    lowest = s.get("lowest_area")
    if s["inspections_scored"] and lowest:
        # Two different figures: the mean of every inspection in the scope, and the score of
        # one area (the mean of that area's inspections), which the area table lists.
        paragraphs.append(
            _(
                "In %(period)s the inspection team scored %(count)d covert inspections in "
                "%(areas)d areas; the mean score of all of them was %(mean)s. The lowest "
                "area score, %(low)s, was that of %(area)s (%(community)s)."
            )
            % {
                "period": period,
                "count": s["inspections_scored"],
                "areas": s["areas_inspected"],
                "mean": format_composite(s["mean_score"]),
                "low": format_composite(lowest.get("score")),
                "area": lowest["unit_name"],
                "community": lowest.get("community", ""),
            }
        )
    else:
        paragraphs.append(_("No covert inspection was scored in %(period)s.") % {"period": period})
    best, worst = s.get("best"), s.get("worst")
    if best and worst and s["communities_ranked"] >= 2:
        paragraphs.append(
            _(
                "In the composite ranking of %(count)d communities, %(best)s came first with "
                "%(best_score)s points and %(worst)s came last with %(worst_score)s points."
            )
            % {
                "count": s["communities_ranked"],
                "best": best["unit_name"],
                "best_score": format_composite(best.get("composite")),
                "worst": worst["unit_name"],
                "worst_score": format_composite(worst.get("composite")),
            }
        )
    if s["findings"]:
        paragraphs.append(
            _(
                "The inspections recorded %(findings)d problems, %(cases)d of which were "
                "filed as cases."
            )
            % {"findings": s["findings"], "cases": s["cases_opened"]}
        )
    if s["closure_rate"] is not None:
        paragraphs.append(
            _(
                "Of the %(due)d cases due to close in the period, %(closure)s were closed "
                "and %(on_time)s were closed on time."
            )
            % {
                "due": int(s["cases_due"]),
                "closure": format_rate(s["closure_rate"]),
                "on_time": format_rate(s["on_time_rate"]),
            }
        )
    spots, still_open = s["black_spots"], s["black_spots_open"]
    params = {
        "spots": spots,
        "closed": spots - still_open,
        "open": still_open,
        "communities": _list_join(s.get("black_spot_communities") or []),
    }
    if spots and not still_open:
        paragraphs.append(
            _("All %(spots)d black spots exposed in this circular have already been put right.")
            % params
        )
    elif spots:
        paragraphs.append(
            _(
                "Of the %(spots)d black spots exposed in this circular, %(closed)d have already "
                "been put right and %(open)d are still open. %(communities)s are to rectify "
                "them promptly and report the results to the office."
            )
            % params
        )
    return "\n\n".join(paragraphs)


# --- writes --------------------------------------------------------------------------

_EDITABLE = ("number", "title", "issuing_body", "issue_date", "narrative")


def _allowed(actor: Any) -> None:
    """`actor=None` is trusted code (the demo loader); a person must be allowed to draft."""
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not can_draft_circulars(actor):
        raise PermissionDenied(_("You may not draft or publish circulars."))


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _changed_meanwhile(circular: Circular) -> CircularConflict:
    return CircularConflict(
        _("Circular %(number)s was changed by someone else meanwhile; reload it and try again.")
        % {"number": circular.number}
    )


def _published_already(circular: Circular) -> CircularConflict:
    return CircularConflict(
        _("Circular %(number)s is published and can no longer be changed.")
        % {"number": circular.number}
    )


def _write_lock_busy_is_conflict() -> contextlib.AbstractContextManager[None]:
    return write_lock_busy_raises(
        lambda: CircularConflict(
            _("Someone else is saving a change meanwhile; reload and try again.")
        )
    )


def circular_create(*, period: Period, scope: Region, actor: Any) -> Circular:
    """A draft with the default number, title, issuing body, today's date and a narrative."""
    _allowed(actor)
    if Circular.objects.filter(
        period=period, scope=scope, status=CircularStatus.PUBLISHED
    ).exists():
        raise CircularError(
            _("The circular for %(period)s is already published.") % {"period": period.label}
        )
    with translation.override(settings.LANGUAGE_CODE):
        draft = Circular(
            period=period,
            scope=scope,
            number=_free_number(default_number(period)),
            title=default_title(period, scope),
            issuing_body=default_issuing_body(scope),
            issue_date=timezone.localdate(),
            created_by=_person(actor),
        )
        draft.narrative = default_narrative(_compute(draft))
    try:
        with _write_lock_busy_is_conflict(), transaction.atomic():
            draft.save()
            audit.record(
                actor=actor,
                action="circular.create",
                obj=draft,
                summary=_("Circular %(number)s drafted for %(period)s")
                % {"number": draft.number, "period": period.label},
                changes={"period": period.pk, "scope": scope.code, "number": draft.number},
            )
    except IntegrityError as exc:
        # Another draft took the same number between the look-up and the insert.
        raise CircularConflict(
            _("Another circular took the number %(number)s meanwhile; try again.")
            % {"number": draft.number}
        ) from exc
    return draft


def circular_update(
    *,
    circular: Circular,
    actor: Any,
    number: str,
    title: str,
    issuing_body: str,
    issue_date: datetime.date,
    narrative: str,
    expected_version: int | None = None,
) -> Circular:
    """Edit a draft's number, title, issuing body, date and text. Published ones never change."""
    _allowed(actor)
    number, title, issuing_body = number.strip(), title.strip(), issuing_body.strip()
    if not (number and title and issuing_body and issue_date):
        raise CircularError(
            _("Give the document number, the title, the issuing body and the date.")
        )
    try:
        with _write_lock_busy_is_conflict(), transaction.atomic():
            locked = Circular.objects.select_for_update().get(pk=circular.pk)
            if locked.is_published:
                raise _published_already(locked)
            if expected_version is not None and locked.version != expected_version:
                raise _changed_meanwhile(locked)
            if Circular.objects.filter(number=number).exclude(pk=locked.pk).exists():
                raise CircularError(
                    _("Another circular already has the number %(number)s.") % {"number": number}
                )
            before = audit.snapshot(locked, _EDITABLE)
            fields = {
                "number": number,
                "title": title,
                "issuing_body": issuing_body,
                "issue_date": issue_date,
                "narrative": narrative,
                "version": locked.version + 1,
            }
            updated = Circular.objects.filter(
                pk=locked.pk, version=locked.version, status=CircularStatus.DRAFT
            ).update(**fields)
            if updated != 1:
                raise _changed_meanwhile(locked)
            for name, value in fields.items():
                setattr(locked, name, value)
            audit.record(
                actor=actor,
                action="circular.update",
                obj=locked,
                summary=_("Circular %(number)s edited") % {"number": locked.number},
                before=before,
                after=audit.snapshot(locked, _EDITABLE),
            )
    except IntegrityError as exc:
        raise CircularError(
            _("Another circular already has the number %(number)s.") % {"number": number}
        ) from exc
    for name in [*_EDITABLE, "version"]:
        setattr(circular, name, getattr(locked, name))
    return circular


def _communities_of(scope: Region) -> list[Region]:
    if scope.depth >= COMMUNITY_DEPTH:
        return list(Region.objects.filter(path=community_path(scope.path)))
    return list(Region.objects.subtree(scope).filter(depth=COMMUNITY_DEPTH).order_by("path"))


def _notify_secretaries(circular: Circular, content: dict[str, Any]) -> int:
    """Tell each community's secretaries the circular is out and where they stand in it."""
    from zhenxing.notify.services import notify_users
    from zhenxing.people.models import Role, RoleAssignment

    communities = _communities_of(circular.scope)
    holders: dict[int, list[Any]] = defaultdict(list)
    for assignment in RoleAssignment.objects.filter(
        role=Role.SECRETARY, region__in=communities, user__is_active=True
    ).select_related("user"):
        holders[assignment.region_id].append(assignment.user)
    rows = {row["unit_key"]: row for row in content["ranking"]}
    url = reverse("circulars:detail", args=[circular.pk])
    told = 0
    with translation.override(settings.LANGUAGE_CODE):
        for community in communities:
            users = holders.get(community.pk)
            if not users:
                continue
            row = rows.get(community.code)
            params = {
                "period": content["period"]["label"],
                "number": circular.number,
                "community": community.name,
                "rank": str(row["rank"]) if row and row["rank"] is not None else "",
                "composite": format_composite(row["composite"]) if row else "",
            }
            if params["rank"]:
                text = (
                    _(
                        "The circular for %(period)s is published: your community ranks "
                        "%(rank)s, with a composite score of %(composite)s."
                    )
                    % params
                )
            else:
                text = (
                    _(
                        "The circular for %(period)s is published: your community is not "
                        "ranked this time."
                    )
                    % params
                )
            told += len(
                notify_users(kind=NOTIFY_KIND, users=users, text=text, url=url, params=params)
            )
    return told


def circular_publish(
    *, circular: Circular, actor: Any, expected_version: int | None = None
) -> Circular:
    """Close the period if open, freeze the figures, lift the embargo, tell the secretaries."""
    from zhenxing.assessment.services import AssessmentError, period_close
    from zhenxing.inspections.services import inspections_release

    _allowed(actor)
    now = timezone.now()
    try:
        with _write_lock_busy_is_conflict(), transaction.atomic():
            locked = (
                Circular.objects.select_for_update().select_related("scope").get(pk=circular.pk)
            )
            if locked.is_published:
                raise _published_already(locked)
            if expected_version is not None and locked.version != expected_version:
                raise _changed_meanwhile(locked)
            period = Period.objects.select_for_update().get(pk=locked.period_id)
            if (
                Circular.objects.filter(
                    period=period, scope_id=locked.scope_id, status=CircularStatus.PUBLISHED
                )
                .exclude(pk=locked.pk)
                .exists()
            ):
                raise CircularConflict(
                    _("A circular for %(period)s is already published.") % {"period": period.label}
                )
            if period.end > timezone.localdate():
                raise CircularError(
                    _("%(period)s has not ended yet: publish its circular once it is over.")
                    % {"period": period.label}
                )
            if not period.is_closed:
                try:
                    period = period_close(period=period, actor=actor)
                except AssessmentError as exc:
                    raise CircularError(str(exc)) from exc
            locked.period = period
            with translation.override(settings.LANGUAGE_CODE):
                content = _compute(locked)
            public = public_version(content)
            fields = {
                "status": CircularStatus.PUBLISHED,
                "content": content,
                "public_content": public,
                "published_at": now,
                "published_by": _person(actor),
                "version": locked.version + 1,
            }
            updated = Circular.objects.filter(
                pk=locked.pk, version=locked.version, status=CircularStatus.DRAFT
            ).update(**fields)
            if updated != 1:
                raise _changed_meanwhile(locked)
            for name, value in fields.items():
                setattr(locked, name, value)
            released = inspections_release(
                start=period.start,
                end=period.end,
                scope_path=locked.scope.path,
                actor=actor,
                at=now,
            )
            told = _notify_secretaries(locked, content)
            audit.record(
                actor=actor,
                action="circular.publish",
                obj=locked,
                summary=_("Circular %(number)s published") % {"number": locked.number},
                changes={
                    "status": [CircularStatus.DRAFT, CircularStatus.PUBLISHED],
                    "period": period.label,
                    "scope": locked.scope.code,
                    "inspections_released": released,
                    "notified": told,
                },
            )
    except IntegrityError as exc:
        # The constraint "one published circular per period and scope" caught a
        # concurrent publication of another draft.
        raise CircularConflict(
            _("A circular for this period was published meanwhile; reload and look again.")
        ) from exc
    for name in [f.attname for f in Circular._meta.concrete_fields]:
        setattr(circular, name, getattr(locked, name))
    circular.period = locked.period
    return circular
