"""Reads of the plans app: the roll-up, the battle map's measures, an area's sheet, today's board.

The roll-up rule (docs/plans.md) lives in `_tally` and nowhere else: every
page that shows a target, an actual or a completion gets it from `rollup`,
`rollup_weeks`, `battle_map_measures`, `area_sheet` or `today_board`, all of
which call it, so the same street, area, cooperative, community or
subdistrict shows the same figures everywhere.

- target of a region = Σ weekly targets of the areas at or below it;
- actual of a region = Σ quantities of the progress reports dated in the
  week whose place is the region or below it (a street's report counts for
  its area and everything above);
- completion = actual / target × 100 (a percentage, may exceed 100), None
  when the target is zero or missing.

Each read runs a fixed number of queries whatever the number of regions: the
rows are grouped by `region_path` in the database and summed up the tree in
Python.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.assessment.indicators import case_histories
from zhenxing.cases.models import CLOCK_STATES, FINAL_STATES, Case, Status
from zhenxing.cases.permissions import cases_visible_to
from zhenxing.inspections.permissions import inspections_visible_to
from zhenxing.people.models import WorkTeam
from zhenxing.people.scopes import ALL, regions_visible_to, scope_paths
from zhenxing.plans.models import (
    ArrangementStatus,
    Campaign,
    ProgressReport,
    TaskType,
    WeeklyTarget,
    monday_of,
)
from zhenxing.plans.permissions import arrangements_visible_to, reports_visible_to
from zhenxing.territory.models import DEFAULT_AREA_DEPTH, PATH_SEP, Region, area_depth
from zhenxing.territory.selectors import ancestor_and_self_paths, path_codes, path_prefix_q

ZERO = Decimal("0")
WEEK = datetime.timedelta(days=7)
# Relapses are counted over the four weeks up to the end of the week shown.
RELAPSE_WINDOW = datetime.timedelta(days=28)
RECENT = 20

# The depths of the roll-up levels with the default tree; `levels()` reads the
# configured area depth (territory.RegionLevel) instead of assuming it.
LEVELS: dict[str, int] = {
    "subdistrict": 1,
    "community": 2,
    "cooperative": 3,
    "area": DEFAULT_AREA_DEPTH,
    "street": DEFAULT_AREA_DEPTH + 1,
}

MEASURES: list[tuple[str, Any]] = [
    ("completion", _("Plan completion this week")),
    ("inspection", _("Latest inspection score")),
    ("open", _("Open cases")),
    ("overdue", _("Overdue cases")),
    ("relapses", _("Relapses in the last 4 weeks")),
]
MEASURE_KEYS = frozenset(key for key, _label in MEASURES)


def levels() -> dict[str, int]:
    """{"subdistrict": 1, "community": 2, "cooperative": 3, "area": a, "street": a + 1}."""
    depth = area_depth()
    return {**LEVELS, "area": depth, "street": depth + 1}


# --- the roll-up -------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    target: Decimal
    actual: Decimal
    # actual / target as a percentage (one decimal); None without a target above zero.
    completion: float | None

    @classmethod
    def of(cls, target: Decimal, actual: Decimal) -> Progress:
        return cls(target=target, actual=actual, completion=completion_of(target, actual))


NO_PROGRESS = Progress(target=ZERO, actual=ZERO, completion=None)


def completion_of(target: Decimal | None, actual: Decimal | None) -> float | None:
    if not target or target <= 0:
        return None
    percent = (actual or ZERO) * 100 / target
    return float(percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _under(path: str, paths: list[str] | None) -> bool:
    return paths is ALL or any(path.startswith(p) for p in paths)


def _within(path: str, user: Any) -> list[str]:
    """The parts of the subtree at `path` that the user may read, as prefix paths."""
    scope = scope_paths(user)
    if _under(path, scope):
        return [path]
    # Roles held below `path` only (a narrower scope) read those parts of it.
    return [p for p in scope if p.startswith(path)]


def week_span(week: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[Monday, next Monday) of the week holding `week`."""
    monday = monday_of(week)
    return monday, monday + WEEK


def _tally(
    *,
    task_type_ids: list[int],
    weeks: list[datetime.date],
    paths: list[str] | None,
    until: datetime.date | None = None,
) -> dict[tuple[int, datetime.date], dict[str, list[Decimal]]]:
    """THE roll-up: {(task type id, Monday): {region path: [target, actual]}} (two queries).

    Every region at or above a row's place that lies under `paths` (None:
    everywhere) gets the row's amount; a region above `paths` would get only
    part of its figures and is left out. `until` (exclusive) cuts the reports
    off before the end of a week (today's board: what is done by today).
    """
    mondays = sorted({monday_of(w) for w in weeks})
    sums: dict[tuple[int, datetime.date], dict[str, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    if not task_type_ids or not mondays or paths == []:
        return sums
    where = path_prefix_q(paths, "region_path")

    def add(key: tuple[int, datetime.date], path: str, slot: int, amount: Decimal) -> None:
        tree = sums[key]
        for ancestor in ancestor_and_self_paths(path):
            if _under(ancestor, paths):
                tree[ancestor][slot] += amount

    targets = (
        WeeklyTarget.objects.filter(where, task_type_id__in=task_type_ids, week__in=mondays)
        .values("task_type_id", "week", "region_path")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    for row in targets:
        add((row["task_type_id"], row["week"]), row["region_path"], 0, row["total"])

    end = mondays[-1] + WEEK
    if until is not None:
        end = min(end, until)
    reports = (
        ProgressReport.objects.filter(
            where, task_type_id__in=task_type_ids, date__gte=mondays[0], date__lt=end
        )
        .values("task_type_id", "date", "region_path")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    wanted = set(mondays)
    for row in reports:
        monday = monday_of(row["date"])
        if monday in wanted:
            add((row["task_type_id"], monday), row["region_path"], 1, row["total"])
    return sums


def _as_progress(tree: dict[str, list[Decimal]]) -> dict[str, Progress]:
    return {path: Progress.of(target, actual) for path, (target, actual) in tree.items()}


def rollup(
    *, task_type: TaskType, week: datetime.date, paths: list[str] | None
) -> dict[str, Progress]:
    """{region path: Progress} of one task type in one week, for every region under `paths`
    (street, area, cooperative, community, subdistrict) that has a target or an actual.

    `paths` None means the whole territory; pass the viewer's `scope_paths`.
    """
    monday = monday_of(week)
    sums = _tally(task_type_ids=[task_type.pk], weeks=[monday], paths=paths)
    return _as_progress(sums.get((task_type.pk, monday), {}))


def rollup_weeks(
    *, task_type: TaskType, weeks: list[datetime.date], paths: list[str] | None
) -> dict[datetime.date, dict[str, Progress]]:
    """`rollup` for several weeks at once (still two queries): {Monday: {path: Progress}}."""
    mondays = sorted({monday_of(w) for w in weeks})
    sums = _tally(task_type_ids=[task_type.pk], weeks=mondays, paths=paths)
    return {m: _as_progress(sums.get((task_type.pk, m), {})) for m in mondays}


def week_options(campaign: Campaign, today: datetime.date) -> list[datetime.date]:
    """The Mondays of the campaign's weeks, from its first up to next week (or its last).

    Never empty: a campaign that has not started yet offers its first week.
    """
    first = monday_of(campaign.start)
    last = monday_of(today) + WEEK
    if campaign.end is not None:
        last = min(last, monday_of(campaign.end))
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week += WEEK
    return weeks or [first]


# --- the battle map -------------------------------------------------------------------


def _end_instant(week: datetime.date) -> datetime.datetime:
    """The end of the week (next Monday, local midnight) as an aware instant."""
    return datetime.datetime.combine(
        week + WEEK, datetime.time.min, tzinfo=timezone.get_default_timezone()
    )


def _area_path(path: str, depth: int) -> str:
    codes = path_codes(path)
    if len(codes) < depth:
        return ""
    return PATH_SEP.join(codes[:depth]) + PATH_SEP


def _task_types_for(task_type: TaskType | None, campaign: Campaign | None) -> list[int]:
    if task_type is not None:
        return [task_type.pk]
    qs = TaskType.objects.all()
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    else:
        qs = qs.filter(campaign__is_active=True)
    return list(qs.values_list("pk", flat=True))


def battle_map_measures(
    *,
    user: Any,
    measure: str,
    week: datetime.date,
    task_type: TaskType | None = None,
    campaign: Campaign | None = None,
) -> dict[str, float | None]:
    """{area code: value} for every area the user may see (None: nothing to show there).

    - "completion": this week's completion (%) of the task type given; without
      one, the mean over the task types of `campaign` (or of every active
      campaign) that have a target there, each capped at 100 so that
      overdoing one task cannot hide another left undone;
    - "inspection": the score of the latest scored inspection dated before the
      week's end among `inspections_visible_to(user)` (the embargo holds);
    - "open" / "overdue": cases open / overdue at the end of the week (now,
      for the running week), replayed from their events as the assessment does;
    - "relapses": relapses reported in the 4 weeks up to the week's end, not rejected.

    A fixed number of queries whatever the number of areas.
    """
    if measure not in MEASURE_KEYS:
        raise ValueError(f"unknown measure {measure!r}")
    depth = area_depth()
    monday = monday_of(week)
    paths = scope_paths(user)
    areas = dict(
        regions_visible_to(user).filter(depth=depth).order_by().values_list("path", "code")
    )
    values: dict[str, float | None] = dict.fromkeys(areas.values())
    if not areas:
        return values
    end = _end_instant(monday)

    if measure == "completion":
        ids = _task_types_for(task_type, campaign)
        sums = _tally(task_type_ids=ids, weeks=[monday], paths=paths)
        per_area: dict[str, list[float]] = defaultdict(list)
        for (_tt, _week), tree in sums.items():
            for path, (target, actual) in tree.items():
                percent = completion_of(target, actual)
                if path in areas and percent is not None:
                    per_area[path].append(percent)
        for path, percents in per_area.items():
            if task_type is not None:
                values[areas[path]] = percents[0]
            else:
                capped = [min(p, 100.0) for p in percents]
                values[areas[path]] = round(sum(capped) / len(capped), 1)
        return values

    if measure == "inspection":
        rows = (
            inspections_visible_to(user)
            .scored()
            .filter(date__lt=monday + WEEK, score__isnull=False)
            .order_by("area_path", "-date", F("inspected_at").desc(nulls_last=True), "-pk")
            .values_list("area_path", "score")
        )
        seen: set[str] = set()
        for area_path, score in rows:
            if area_path in seen:
                continue
            seen.add(area_path)
            if area_path in areas:
                values[areas[area_path]] = float(score)
        return values

    counts: dict[str, int] = dict.fromkeys(areas.values(), 0)
    if measure == "relapses":
        rows = (
            cases_visible_to(user)
            .filter(
                relapse_of__isnull=False,
                reported_at__gte=end - RELAPSE_WINDOW,
                reported_at__lt=end,
            )
            .exclude(status=Status.REJECTED)
            .values("region_path")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            code = areas.get(_area_path(row["region_path"], depth))
            if code is not None:
                counts[code] += row["n"]
        return dict(counts)

    now = timezone.now()
    if end > now:
        # The running week: its moment is now, and the state now is what the cases'
        # own status and deadline say (every service keeps them current with the
        # events), so one grouped count gives what the replay below would, without
        # reading millions of events.
        current = Case.objects.filter(
            path_prefix_q(paths, "region_path"), reported_at__lt=now
        ).exclude(status__in=FINAL_STATES)
        if measure == "overdue":
            current = current.filter(status__in=CLOCK_STATES, deadline__lt=now)
        for row in current.values("region_path").annotate(n=Count("pk")).order_by():
            code = areas.get(_area_path(row["region_path"], depth))
            if code is not None:
                counts[code] += row["n"]
        return dict(counts)

    # A past week: the cases' state at its end, replayed from their events with the
    # assessment's own reading of them, so the map and the rankings agree.
    moment = end
    for history in case_histories(moment, moment, paths):
        status = history.status_at(moment)
        if status is None or status in FINAL_STATES:
            continue
        if measure == "overdue":
            deadline = history.deadline_at(moment)
            if status not in CLOCK_STATES or deadline is None or deadline >= moment:
                continue
        code = areas.get(_area_path(history.row["region_path"], depth))
        if code is not None:
            counts[code] += 1
    return dict(counts)


# --- an area's sheet -------------------------------------------------------------------


def area_sheet(
    *, user: Any, area: Region, campaign: Campaign, weeks: list[datetime.date]
) -> dict[str, Any]:
    """Everything the area's page shows (the view has checked that the user sees the area).

    Returns {"area", "campaign", "weeks", "task_types",
    "rows": [{"task_type", "cells": [{"week", "target", "actual", "completion"}],
              "target", "actual", "completion"}],   # totals over the weeks shown;
              a target is 0 where none is set (completion None)
    "streets": [{"street", "actuals": [Decimal per task type, over the weeks shown]}],
    "arrangements": recent arrangements (with people), "reports": recent reports
    (with photos), "cases": open cases (soonest deadline first), "open_count",
    "overdue_count", "inspection": the latest visible scored inspection or None}.
    """
    mondays = sorted({monday_of(w) for w in weeks})
    task_types = list(campaign.task_types.all())
    paths = _within(area.path, user)
    sums = _tally(task_type_ids=[t.pk for t in task_types], weeks=mondays, paths=paths)
    rows = []
    for tt in task_types:
        cells, total_target, total_actual = [], ZERO, ZERO
        for monday in mondays:
            target, actual = sums.get((tt.pk, monday), {}).get(area.path, (ZERO, ZERO))
            cells.append(
                {
                    "week": monday,
                    "target": target,
                    "actual": actual,
                    "completion": completion_of(target, actual),
                }
            )
            total_target += target
            total_actual += actual
        rows.append(
            {
                "task_type": tt,
                "cells": cells,
                "target": total_target,
                "actual": total_actual,
                "completion": completion_of(total_target, total_actual),
            }
        )
    streets = []
    for street in Region.objects.filter(parent=area).order_by("code"):
        actuals = []
        for tt in task_types:
            actuals.append(
                sum(
                    (sums.get((tt.pk, m), {}).get(street.path, (ZERO, ZERO))[1] for m in mondays),
                    ZERO,
                )
            )
        streets.append({"street": street, "actuals": actuals})

    under_area = path_prefix_q(paths, "region_path")
    arrangements = list(
        arrangements_visible_to(user)
        .filter(under_area, task_type__campaign=campaign)
        .select_related("region", "task_type", "team")
        .prefetch_related("people")
        .order_by("-date", "-pk")[:RECENT]
    )
    reports = list(
        reports_visible_to(user)
        .filter(under_area, task_type__campaign=campaign)
        .select_related("region", "task_type", "team", "reported_by")
        .prefetch_related("photos")
        .order_by("-date", "-pk")[:RECENT]
    )
    open_cases = cases_visible_to(user).filter(under_area).open()
    now = timezone.now()
    cases = list(
        open_cases.select_related("category").order_by(
            F("deadline").asc(nulls_last=True), "-reported_at"
        )[:RECENT]
    )
    inspection = (
        inspections_visible_to(user)
        .scored()
        .filter(area=area)
        .select_related("template")
        .order_by("-date", F("inspected_at").desc(nulls_last=True), "-pk")
        .first()
    )
    return {
        "area": area,
        "campaign": campaign,
        "weeks": mondays,
        "task_types": task_types,
        "rows": rows,
        "streets": streets,
        "arrangements": arrangements,
        "reports": reports,
        "cases": cases,
        "open_count": open_cases.count(),
        "overdue_count": open_cases.overdue(now).count(),
        "inspection": inspection,
    }


# --- today's board -----------------------------------------------------------------------


def today_board(*, user: Any, community: Region, day: datetime.date) -> dict[str, Any]:
    """What each team of a community is arranged to do on `day`, what is late, who is behind.

    Returns {"community", "day", "week",
    "teams": [{"team": WorkTeam | None, "arrangements": [Arrangement with `reported`
              (Σ quantity of its reports) and `people` prefetched]}]  — every team of
              the community, then "no team" if anything is arranged without one;
    "late": planned arrangements dated before `day` (neither done nor cancelled);
    "behind": [{"area", "task_type", "target", "actual", "expected", "completion"}] —
              areas whose actual this week (reports up to `day`) is below
              target × days elapsed (Monday = 1 … `day`) / 7}.
    """
    paths = _within(community.path, user)
    where = path_prefix_q(paths, "region_path")
    visible = arrangements_visible_to(user).filter(where)
    today = list(
        visible.filter(date=day)
        .select_related("region", "task_type__campaign", "team")
        .prefetch_related("people")
        .annotate(
            reported=Coalesce(
                Sum("reports__quantity"),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("region_path", "pk")
    )
    by_team: dict[int | None, list[Any]] = defaultdict(list)
    for arrangement in today:
        by_team[arrangement.team_id].append(arrangement)
    # A viewer who reads nothing of the community gets an empty board, not its team list.
    team_rows = (
        WorkTeam.objects.filter(region=community).select_related("leader").order_by("name")
        if paths
        else WorkTeam.objects.none()
    )
    teams = [{"team": team, "arrangements": by_team.get(team.pk, [])} for team in team_rows]
    known = {group["team"].pk for group in teams}
    # Arrangements of a team of another community cannot be made; these are the unassigned.
    strays = [a for team_id, items in by_team.items() if team_id not in known for a in items]
    if strays:
        teams.append({"team": None, "arrangements": strays})
    late = list(
        visible.filter(date__lt=day, status=ArrangementStatus.PLANNED)
        .select_related("region", "task_type", "team")
        .prefetch_related("people")
        .order_by("date", "region_path", "pk")
    )

    monday = monday_of(day)
    task_types = {
        t.pk: t
        for t in TaskType.objects.filter(campaign__is_active=True, campaign__start__lte=day)
        .exclude(campaign__end__lt=monday)
        .select_related("campaign")
    }
    sums = _tally(
        task_type_ids=list(task_types),
        weeks=[monday],
        paths=paths,
        until=day + datetime.timedelta(days=1),
    )
    depth = area_depth()
    elapsed = Decimal((day - monday).days + 1)
    shortfalls = []
    for (tt_id, _week), tree in sums.items():
        for path, (target, actual) in tree.items():
            if target <= 0 or len(path_codes(path)) != depth:
                continue
            expected = (target * elapsed / 7).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if actual < expected:
                shortfalls.append((path, task_types[tt_id], target, actual, expected))
    regions = Region.objects.in_bulk([s[0] for s in shortfalls], field_name="path")
    behind = [
        {
            "area": regions[path],
            "task_type": task_type,
            "target": target,
            "actual": actual,
            "expected": expected,
            "completion": completion_of(target, actual),
        }
        for path, task_type, target, actual, expected in sorted(
            shortfalls, key=lambda s: (s[0], s[1].campaign.order, s[1].order, s[1].code)
        )
        if path in regions
    ]
    return {
        "community": community,
        "day": day,
        "week": monday,
        "teams": teams,
        "late": late,
        "behind": behind,
    }
