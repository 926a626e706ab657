"""Three years of history for every copy of the demo, for `seed-demo` (performance work).

The demo (`load_guicheng`) and each scaled copy carry a detailed, recent
window: about 3,000 cases of the last four months replayed step by step
(`demo.cases`) and, for the demo, twelve weeks of inspections closed and
published through the services (`demo.inspections`). A district runs for
years, so the data a page reads is mostly old. This module adds, for every
root (the demo's GC included), `HISTORY_YEARS` years that END where the
root's own window begins, so no existing row is touched and no day is
covered twice:

- cases: `CASES_PER_YEAR` a year, reported before the local day of the
  root's earliest case. A simplified lifecycle (report, accept, dispatch,
  start, rectify, sometimes a failed verification and a second round,
  verify; some rejected; `OPEN_SHARE` left open in every open state, long
  overdue where the clock runs), with the deadline in working days over the
  holiday calendar, the escalation job's rule replayed over the spells on
  the clock (level 1 at the deadline, level 2 after the joint-meeting
  delay), "closed on time" as the services settle it, one `CaseEvent` per
  step and, for a fraction of cases, `CasePhoto` rows that point at the
  demo's shared pictures (no files of their own).
- inspections: a round of `AREAS_PER_ROUND` areas drawn from the root on
  every working day before the root's earliest round (the demo's window),
  or up to yesterday for a copy, which has none of its own. Each area is
  scored against the checklist version in use on that day (the type's own
  checklist, else the general one, as `templates_for_areas` picks today),
  with findings whose deductions follow the caps exactly as
  `inspection_submit` computes them. A week's inspections are released on
  the morning its circular would have come out; the current week stays
  under embargo.

What is not made: circulars and closed periods for these weeks (closing a
period snapshots every unit of the whole platform, which the services do
one period at a time: too slow for 150 weeks, so a ranking of a history
week is computed live from these rows), relapse links, further reports,
extensions, send-backs, findings linked to cases and inspection photos.
Times are not moved into working hours.

Rows are written without the services (no audit, no notification per row;
the caller records one summary audit row): explicit keys, then PostgreSQL's
COPY, or batched `executemany` on SQLite, with the sequences reset after.
Everything is deterministic for a given seed, database and day, except the
photo tokens, which are random as the services make them.

The demo's history rows are marked so that `--reset` finds them among the
demo's own: their report event carries `{"generated": HISTORY_MARK}` and
their rounds' draw seeds start with `HISTORY_SEED_PREFIX`. A copy's rows
go with its territory.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import accumulate, islice
from typing import Any

import numpy as np
import shapely
from django.db import connections, models, router, transaction
from django.db.models import Max, Min
from django.utils import timezone
from shapely.geometry import shape

from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Escalation,
    EventKind,
    PhotoKind,
    RequestKind,
    RequestStatus,
    Source,
    Status,
)
from zhenxing.cases.photos import new_token
from zhenxing.cases.tasks import ESCALATION_EVERY
from zhenxing.cases.workdays import is_working_day
from zhenxing.demo import case_data, data
from zhenxing.demo import cases as demo_cases
from zhenxing.demo import inspection_data as spec
from zhenxing.demo.cases import PHOTO_SIZE, PHOTO_VARIANTS, World, shared_photos
from zhenxing.demo.inspections import ensure_area_types
from zhenxing.inspections.models import (
    Finding,
    Inspection,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.people.models import Role, RoleAssignment
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import path_prefix_q

HISTORY_YEARS = 3
CASES_PER_YEAR = 30_000
AREAS_PER_ROUND = 15
# Shares of the history's cases: rejected at intake, still open (in every open state),
# closed after one failed verification, rectified after the deadline.
REJECTED_SHARE = 0.03
OPEN_SHARE = 0.015
REWORK_SHARE = 0.08
LATE_SHARE = 0.12
# A fraction of cases show a before photo; of the closed ones, an after photo.
BEFORE_PHOTO_SHARE = 0.12
AFTER_PHOTO_SHARE = 0.08
# Expected findings per inspection (times the area's own untidiness, 0.5..1.6).
FINDINGS_PER_INSPECTION = 1.2
VOID_SHARE = 0.01
# Rows per COPY flush / executemany batch.
BATCH = 20_000
HISTORY_MARK = "seed-demo history"
HISTORY_SEED_PREFIX = "history-"
TWO_PLACES = Decimal("0.01")
_OPEN_FINALS = (
    Status.REPORTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.RECTIFYING,
    Status.RECTIFIED,
    Status.REWORK,
    Status.DEFERRED,
)
# Steps that leave a case's version alone (as in the services).
_UNVERSIONED = {EventKind.REPORTED, EventKind.ESCALATED}
_SOURCES = (
    (Source.INSPECTION, 40),
    (Source.PARTY_PATROL, 25),
    (Source.RESIDENT, 20),
    (Source.DEPARTMENT, 8),
    (Source.OFFICE, 7),
)
_HOUR = 3600
_JOB = int(ESCALATION_EVERY.total_seconds())

Tick = Callable[[int], None]


def _noop(_: int) -> None:
    return None


# --- time in epoch seconds ----------------------------------------------------------------
#
# A million cases with a dozen moments each: the planner works in integer
# seconds and turns them into datetimes only when writing.


def _tz() -> Any:
    return timezone.get_default_timezone()


@cache
def _midnight(day: datetime.date) -> int:
    """Local midnight of `day` in epoch seconds (right across DST where the zone has it)."""
    return int(datetime.datetime.combine(day, datetime.time(), tzinfo=_tz()).timestamp())


def _local_date(ts: int) -> datetime.date:
    return datetime.datetime.fromtimestamp(ts, _tz()).date()


def _dt(ts: int | None) -> datetime.datetime | None:
    return None if ts is None else datetime.datetime.fromtimestamp(ts, datetime.UTC)


def _iso(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat()


def _grid(ts: int) -> int:
    """The escalation job's first run at or after `ts` (as `demo.cases._grid`)."""
    return -(-ts // _JOB) * _JOB + 17


class _Deadlines:
    """`cases.workdays.deadline_for` over the calendar, cached by (local day, working days)."""

    def __init__(self, calendar: dict[datetime.date, bool]) -> None:
        self.calendar = calendar
        self._days: dict[tuple[datetime.date, int], datetime.date] = {}

    def add(self, ts: int, limit: int, unit: str) -> int:
        if unit == case_data.HOURS:
            return ts + limit * _HOUR
        day = _local_date(ts)
        key = (day, limit)
        target = self._days.get(key)
        if target is None:
            target, counted = day, 0
            while counted < limit:
                target += datetime.timedelta(days=1)
                if is_working_day(target, self.calendar):
                    counted += 1
            self._days[key] = target
        # The same local time of day, on the target day.
        return _midnight(target) + (ts - _midnight(day))


# --- writing ------------------------------------------------------------------------------


def _chunks(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def bulk_write(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert rows (tuples in `columns` order, attnames; JSON already as text); the number written.

    PostgreSQL takes them through COPY, several times faster than INSERT;
    SQLite through `executemany`, datetimes and dates adapted as Django does.
    """
    connection = connections[router.db_for_write(model)]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(fields[c].column) for c in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Table and column names come from the model and are quoted.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        adapters: list[Callable[[Any], Any] | None] = []
        for c in columns:
            field = fields[c]
            if isinstance(field, models.DateTimeField):
                adapters.append(connection.ops.adapt_datetimefield_value)
            elif isinstance(field, models.DateField):
                adapters.append(connection.ops.adapt_datefield_value)
            elif isinstance(field, models.DecimalField):
                adapters.append(lambda v: None if v is None else str(v))
            else:
                adapters.append(None)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for chunk in _chunks(rows, BATCH):
            params = []
            for row in chunk:
                values = list(row)
                for i, adapt in enumerate(adapters):
                    if adapt is not None and values[i] is not None:
                        values[i] = adapt(values[i])
                params.append(values)
            cursor.executemany(sql, params)
            written += len(chunk)
    return written


def _next_pk(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


# --- the span of a root's history ---------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: datetime.date  # first day
    end: datetime.date  # day after the last


def case_span(root: Region, today: datetime.date) -> Span:
    """`HISTORY_YEARS` years ending the local day the root's earliest case was reported."""
    # (A seed refuses to run over earlier history: every case here is the root's own.)
    first = Case.objects.filter(region_path__startswith=root.path).aggregate(
        first=Min("reported_at")
    )["first"]
    end = (
        timezone.localtime(first).date()
        if first is not None
        else today - datetime.timedelta(days=demo_cases.WINDOW_DAYS)
    )
    return Span(end - datetime.timedelta(days=365 * HISTORY_YEARS), end)


def inspection_span(root: Region, today: datetime.date) -> Span:
    """`HISTORY_YEARS` years ending the root's earliest round (the demo's window), else today."""
    first = (
        InspectionRound.objects.filter(scope__path__startswith=root.path)
        .exclude(draw_seed__startswith=HISTORY_SEED_PREFIX)
        .aggregate(first=Min("date"))["first"]
    )
    end = first or today
    return Span(end - datetime.timedelta(days=365 * HISTORY_YEARS), end)


def cases_per_root() -> int:
    return CASES_PER_YEAR * HISTORY_YEARS


def working_days(span: Span, calendar: dict[datetime.date, bool]) -> list[datetime.date]:
    days, day = [], span.start
    while day < span.end:
        if is_working_day(day, calendar):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


# --- points inside the areas --------------------------------------------------------------


def _point_pools(world_areas: Sequence[Any], seed: str, size: int = 256) -> list[list[tuple]]:
    """Per area, up to `size` random points inside it (lat, lng), rounded like a phone's GPS.

    Drawn once per area with vectorised point-in-polygon tests; each case then
    takes one at random, which costs nothing per case.
    """
    pools = []
    for n, area in enumerate(world_areas):
        generator = np.random.default_rng(
            int.from_bytes(hashlib.sha256(f"{seed}:{n}".encode()).digest()[:8], "big")
        )
        minx, miny, maxx, maxy = area.bounds
        pool: list[tuple] = []
        for _ in range(8):
            xs = np.round(generator.uniform(minx, maxx, size * 2), 6)
            ys = np.round(generator.uniform(miny, maxy, size * 2), 6)
            inside = shapely.contains_xy(area.geometry, xs, ys)
            pool += [(float(y), float(x)) for x, y in zip(xs[inside], ys[inside], strict=True)]
            if len(pool) >= size:
                break
        if not pool:
            point = area.geometry.representative_point()
            pool = [(point.y, point.x)]
        pools.append(pool[:size])
    return pools


# --- cases --------------------------------------------------------------------------------

_CASE_COLUMNS = (
    "id",
    "number",
    "category_id",
    "source",
    "status",
    "description",
    "address",
    "lat",
    "lng",
    "region_id",
    "region_path",
    "reporter_id",
    "reporter_name",
    "reporter_mobile",
    "report_count",
    "assigned_region_id",
    "assigned_team_id",
    "assigned_department_id",
    "deadline",
    "reported_at",
    "accepted_at",
    "dispatched_at",
    "rectified_at",
    "closed_at",
    "closed_on_time",
    "rectified_by_id",
    "rework_count",
    "escalation_level",
    "escalated_at",
    "relapse_of_id",
    "version",
    "updated_at",
)
_EVENT_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "actor_id",
    "from_status",
    "to_status",
    "note",
    "data",
    "at",
)
_PHOTO_COLUMNS = (
    "id",
    "case_id",
    "event_id",
    "kind",
    "token",
    "original",
    "content_type",
    "size",
    "width",
    "height",
    "sha256",
    "display",
    "thumbnail",
    "taken_at",
    "lat",
    "lng",
    "uploaded_by_id",
    "uploaded_at",
)
_REQUEST_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "status",
    "reason",
    "requested_until",
    "requested_by_id",
    "requested_at",
    "decided_by_id",
    "decided_at",
    "decision_note",
)
_ESCALATION_COLUMNS = (
    "id",
    "case_id",
    "level",
    "department_id",
    "reason",
    "created_at",
    "resolved_at",
)

_EMPTY = "{}"
_REPORTED_DATA = json.dumps({"generated": HISTORY_MARK})


@dataclass
class _Keys:
    case: int
    event: int
    photo: int
    request: int
    escalation: int


class _CaseWriter:
    """Plans one root's history cases and streams their rows (cases, then what hangs on them)."""

    def __init__(self, world: World, span: Span, *, seed: str, now: datetime.datetime) -> None:
        self.w = world
        self.span = span
        self.now = int(now.timestamp())
        self.seed = seed
        self.rng = random.Random(f"{seed}:{world.index}:history-cases")
        self.deadlines = _Deadlines(world.calendar)
        self.meeting_after = int(world.meeting_after.total_seconds())
        self.pools = _point_pools(world.areas, f"{seed}:{world.index}:points")
        self.events: list[tuple] = []
        self.photos: list[tuple] = []
        self.requests: list[tuple] = []
        self.escalations: list[tuple] = []
        pictures = shared_photos()
        self.before = [pictures[(PhotoKind.BEFORE, v)] for v in range(PHOTO_VARIANTS)]
        self.after = [pictures[(PhotoKind.AFTER, v)] for v in range(PHOTO_VARIANTS)]
        rng = random.Random(f"{seed}:{world.index}:history-people")
        self.residents = [
            (demo_cases._person_name(rng), demo_cases._mobile(rng)) for _ in range(400)
        ]

    # who takes the steps ---------------------------------------------------------------

    def _reporter(self, source: str, area: Any) -> tuple[int | None, str, str]:
        a = self.w.actors
        rng = self.rng
        if source == Source.INSPECTION and a.inspector:
            return a.inspector, "", ""
        if source == Source.PARTY_PATROL and area.community_pk in a.party:
            return a.party[area.community_pk], "", ""
        if source == Source.OFFICE and a.office:
            return a.office, "", ""
        if source == Source.DEPARTMENT and a.department_staff:
            staff = sorted(a.department_staff.values())
            return staff[rng.randrange(len(staff))], "", ""
        name, mobile = self.residents[rng.randrange(len(self.residents))]
        return None, name, mobile if source == Source.RESIDENT else ""

    # the plan of one case --------------------------------------------------------------

    def rows(self, keys: _Keys, total: int, tick: Tick) -> Iterable[tuple]:
        """Yield the case rows; the events, photos, requests and escalations pile up meanwhile."""
        w, rng, span = self.w, self.rng, self.span
        areas = w.areas
        area_cw = list(accumulate(a.weight for a in areas))
        cats = w.categories
        cat_cw = list(accumulate(c.weight for c in cats))
        sources, source_w = zip(*_SOURCES, strict=True)
        source_cw = list(accumulate(source_w))
        days = (span.end - span.start).days
        # Report times in order: sorted offsets (seconds from the first midnight of the span).
        moments = sorted(
            (rng.randrange(days), rng.uniform(8 * _HOUR, 20 * _HOUR)) for _ in range(total)
        )
        picked_areas = rng.choices(areas, cum_weights=area_cw, k=total)
        picked_cats = rng.choices(cats, cum_weights=cat_cw, k=total)
        picked_sources = rng.choices(sources, cum_weights=source_cw, k=total)
        n_open = max(len(_OPEN_FINALS), round(total * OPEN_SHARE)) if total >= 50 else 0
        open_at = set(rng.sample(range(total), min(n_open, total)))
        area_index = {a.pk: i for i, a in enumerate(areas)}
        open_n = 0
        for i in range(total):
            d, secs = moments[i]
            t0 = _midnight(span.start + datetime.timedelta(days=d)) + int(secs)
            area, cat, source = picked_areas[i], picked_cats[i], picked_sources[i]
            if i in open_at:
                final = _OPEN_FINALS[open_n % len(_OPEN_FINALS)]
                open_n += 1
            elif rng.random() < REJECTED_SHARE:
                final = Status.REJECTED
            else:
                final = Status.CLOSED
            pool = self.pools[area_index[area.pk]]
            lat, lng = pool[rng.randrange(len(pool))]
            yield self._case(keys, keys.case + i, t0, area, cat, source, final, lat, lng)
            if i % 1000 == 999:
                tick(1000)
        tick(total % 1000)

    def _case(
        self,
        keys: _Keys,
        pk: int,
        t0: int,
        area: Any,
        cat: Any,
        source: str,
        final: str,
        lat: float,
        lng: float,
    ) -> tuple:
        rng, w = self.rng, self.w
        a = w.actors
        reporter, reporter_name, reporter_mobile = self._reporter(source, area)
        description = cat.descriptions[rng.randrange(len(cat.descriptions))]
        # (at, kind, actor, from, to, note, data): the case's steps, in order.
        steps: list[tuple[int, str, int | None, str, str, str, str]] = [
            (t0, EventKind.REPORTED, reporter, "", Status.REPORTED, description, _REPORTED_DATA)
        ]
        status = Status.REPORTED
        secretary = a.secretaries.get(area.community_pk)
        dispatcher = secretary if secretary and rng.random() < 0.6 else a.office
        accepted = dispatched = rectified = closed = deadline = None
        rectified_by = None
        assigned = (None, None, None)
        reworks = 0
        request: tuple | None = None
        t = t0

        def step(kind: str, actor: int | None, to: str, note: str = "", data: str = _EMPTY):
            nonlocal status
            steps.append((t, kind, actor, status, to, note, data))
            status = to

        if final != Status.REPORTED:
            t += int(rng.uniform(0.3, 20) * _HOUR)
            if final == Status.REJECTED:
                closed = t
                step(
                    EventKind.REJECTED,
                    dispatcher,
                    Status.REJECTED,
                    _pick(rng, case_data.REJECT_REASONS),
                )
            else:
                accepted = t
                step(EventKind.ACCEPTED, dispatcher, Status.ACCEPTED)
        handler = None
        if final not in (Status.REPORTED, Status.REJECTED, Status.ACCEPTED):
            t += int(rng.uniform(0.2, 6) * _HOUR)
            dispatched = t
            deadline = self.deadlines.add(t, cat.time_limit, cat.unit)
            team = w.teams.get(area.community_pk)
            r = rng.random()
            if cat.handler == case_data.DEPARTMENT and cat.department_pk:
                assigned = (None, None, cat.department_pk)
                to_kind, to_id, to_name = (
                    "department",
                    cat.department_pk,
                    w.departments[cat.department_pk],
                )
                handler = a.department_staff.get(cat.department_pk)
                dispatcher = a.office
            elif r < 0.5 or (r >= 0.75 and team is None):
                assigned = (area.community_pk, None, None)
                to_kind, to_id, to_name = "region", area.community_pk, area.community_name
                handler = secretary
            elif r < 0.75:
                assigned = (area.pk, None, None)
                to_kind, to_id, to_name = "region", area.pk, area.name
                handler = secretary
            else:
                assigned = (None, team.pk, None)
                to_kind, to_id, to_name = "team", team.pk, team.name
                handler = team.leader_id or secretary
            data = json.dumps(
                {"to": to_name, "to_kind": to_kind, "to_id": to_id, "deadline": _iso(deadline)},
                ensure_ascii=False,
            )
            step(EventKind.DISPATCHED, dispatcher, Status.DISPATCHED, data=data)
        if final not in (Status.REPORTED, Status.REJECTED, Status.ACCEPTED, Status.DISPATCHED):
            t += int(rng.uniform(0.3, 12) * _HOUR)
            step(EventKind.STARTED, handler, Status.RECTIFYING)
        if final == Status.DEFERRED:
            assert deadline is not None
            # Asked for before the deadline (never after: the services refuse it).
            t = max(t + 60, t + int((deadline - t) * rng.uniform(0.15, 0.7)))
            reason = _pick(rng, case_data.DEFERRAL_REASONS)
            step(EventKind.DEFERRAL_REQUESTED, handler, Status.RECTIFYING, reason)
            requested = t
            t += int(rng.uniform(2, 30) * _HOUR)
            note = _pick(rng, case_data.APPROVAL_NOTES)
            step(
                EventKind.REQUEST_APPROVED,
                a.office,
                Status.DEFERRED,
                note,
                json.dumps({"request": RequestKind.DEFERRAL, "approved": True}),
            )
            request = (
                RequestKind.DEFERRAL,
                RequestStatus.APPROVED,
                reason,
                None,
                handler,
                requested,
                a.office,
                t,
                note,
            )
        late = rng.random() < LATE_SHARE
        rounds = (
            2
            if final == Status.REWORK or (final == Status.CLOSED and rng.random() < REWORK_SHARE)
            else 1
        )
        if final in (Status.RECTIFIED, Status.REWORK, Status.CLOSED):
            assert deadline is not None
            fixes = cat.fixes
            for round_ in range(rounds):
                last = round_ == rounds - 1
                if late and last:
                    t = max(t, deadline) + int(rng.uniform(2, 96) * _HOUR)
                elif deadline - t > _HOUR:
                    t += int((deadline - t) * rng.uniform(0.15, 0.6))
                else:
                    t += int(rng.uniform(0.5, 4) * _HOUR)
                rectified, rectified_by = t, handler
                step(EventKind.RECTIFIED, handler, Status.RECTIFIED, _pick(rng, fixes))
                if final == Status.RECTIFIED:
                    break
                t += int(rng.uniform(2, 48) * _HOUR)
                verifier = a.inspector if a.inspector and rng.random() < 0.7 else a.office
                if not last:
                    reworks += 1
                    step(
                        EventKind.VERIFY_FAILED,
                        verifier,
                        Status.REWORK,
                        _pick(rng, case_data.REWORK_REASONS),
                    )
                    if final == Status.REWORK:
                        break
                    t += int(rng.uniform(1, 24) * _HOUR)
                    step(EventKind.STARTED, handler, Status.RECTIFYING)
                else:
                    closed = t
                    step(EventKind.VERIFIED, verifier, Status.CLOSED)

        # The escalation job's rule over the spells on the clock (as `demo.cases._escalate`).
        level, escalated = 0, None
        escalations: list[tuple[int, int | None, str, int]] = []
        if deadline is not None:
            for k, s in enumerate(steps):
                if s[4] not in CLOCK_STATES:
                    continue
                end = steps[k + 1][0] if k + 1 < len(steps) else self.now
                for target, threshold in ((1, deadline), (2, deadline + self.meeting_after)):
                    if level >= target:
                        continue
                    at = _grid(max(s[0], threshold))
                    if at >= end or at >= self.now:
                        continue
                    department = (assigned[2] or cat.department_pk) if target == 2 else None
                    escalations.append((target, department, _reason(target, deadline), at))
                    level, escalated = target, at
        if escalations:
            extra = [
                (
                    at,
                    EventKind.ESCALATED,
                    None,
                    "",
                    "",
                    reason,
                    json.dumps(
                        {
                            "level": target,
                            "department": w.departments.get(department, "") if department else "",
                        },
                        ensure_ascii=False,
                    ),
                )
                for target, department, reason, at in escalations
            ]
            # An escalation leaves the status alone: from/to name none.
            steps = sorted(steps + extra, key=lambda s: s[0])
            for target, department, reason, at in escalations:
                self.escalations.append(
                    (
                        keys.escalation,
                        pk,
                        target,
                        department,
                        reason,
                        _dt(at),
                        _dt(closed if final == Status.CLOSED else None),
                    )
                )
                keys.escalation += 1
        on_time = None
        if final == Status.CLOSED:
            on_time = level == 0 and rectified is not None and rectified <= deadline

        version = 1
        first_event = keys.event
        for at, kind, actor, from_, to, note, data in steps:
            if kind not in _UNVERSIONED:
                version += 1
            if kind == EventKind.ESCALATED:
                from_ = to = ""
            self.events.append((keys.event, pk, kind, actor, from_, to, note, data, _dt(at)))
            keys.event += 1
        if request is not None:
            kind_, rstatus, reason, until, by, at_, decided_by, decided_at, note = request
            self.requests.append(
                (
                    keys.request,
                    pk,
                    kind_,
                    rstatus,
                    reason,
                    until,
                    by,
                    _dt(at_),
                    decided_by,
                    _dt(decided_at),
                    note,
                )
            )
            keys.request += 1
        # Photos on a fraction: the report's before picture, the last rectification's after.
        if rng.random() < BEFORE_PHOTO_SHARE:
            self._photo(keys, pk, first_event, PhotoKind.BEFORE, t0, reporter, lat, lng)
        if rectified is not None and rng.random() < AFTER_PHOTO_SHARE:
            event_id = next(
                first_event + n
                for n in range(len(steps) - 1, -1, -1)
                if steps[n][1] == EventKind.RECTIFIED
            )
            self._photo(keys, pk, event_id, PhotoKind.AFTER, rectified, rectified_by, lat, lng)

        reported = _dt(t0)
        return (
            pk,
            f"{_local_date(t0):%Y%m%d}{pk:06d}",
            cat.pk,
            source,
            final,
            description,
            "",
            lat,
            lng,
            area.pk,
            area.path,
            reporter,
            reporter_name,
            reporter_mobile,
            1,
            *(
                assigned
                if final not in (Status.REPORTED, Status.ACCEPTED, Status.REJECTED)
                else (None, None, None)
            ),
            _dt(deadline),
            reported,
            _dt(accepted),
            _dt(dispatched),
            _dt(rectified),
            _dt(closed),
            on_time,
            rectified_by,
            reworks,
            level,
            _dt(escalated),
            None,
            version,
            _dt(steps[-1][0]),
        )

    def _photo(
        self,
        keys: _Keys,
        case: int,
        event: int,
        kind: str,
        at: int,
        actor: int | None,
        lat: float,
        lng: float,
    ) -> None:
        pictures = self.before if kind == PhotoKind.BEFORE else self.after
        p = pictures[case % len(pictures)]
        self.photos.append(
            (
                keys.photo,
                case,
                event,
                kind,
                new_token(),
                p.original_key,
                "image/jpeg",
                len(p.original),
                PHOTO_SIZE[0],
                PHOTO_SIZE[1],
                p.sha256,
                p.display_key,
                p.thumbnail_key,
                _dt(at - 120),
                lat,
                lng,
                actor,
                _dt(at),
            )
        )
        keys.photo += 1

    def flush(self) -> dict[str, int]:
        counts = {
            "case events": bulk_write(CaseEvent, _EVENT_COLUMNS, self.events),
            "case photos": bulk_write(CasePhoto, _PHOTO_COLUMNS, self.photos),
            "case requests": bulk_write(CaseRequest, _REQUEST_COLUMNS, self.requests),
            "escalations": bulk_write(Escalation, _ESCALATION_COLUMNS, self.escalations),
        }
        self.events, self.photos, self.requests, self.escalations = [], [], [], []
        return counts


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


@cache
def _reason(level: int, deadline: int) -> str:
    return demo_cases._escalation_reason(
        level, datetime.datetime.fromtimestamp(deadline, datetime.UTC)
    )


def write_case_history(
    roots: Sequence[Region],
    *,
    seed: str,
    now: datetime.datetime,
    calendar: dict[datetime.date, bool],
    tick: Tick = _noop,
) -> dict[str, int]:
    """The history cases of these roots, and everything that hangs on them; counts by table."""
    today = timezone.localdate(now)
    counts: dict[str, int] = {}
    # Every root's span is read before any row is written (a history case would move it).
    spans = {root.pk: case_span(root, today) for root in roots}
    keys = _Keys(
        case=_next_pk(Case),
        event=_next_pk(CaseEvent),
        photo=_next_pk(CasePhoto),
        request=_next_pk(CaseRequest),
        escalation=_next_pk(Escalation),
    )
    for n, root in enumerate(roots, start=1):
        world = demo_cases.world_for(root, index=n, now=now, calendar=calendar)
        writer = _CaseWriter(world, spans[root.pk], seed=seed, now=now)
        total = cases_per_root()
        written = bulk_write(Case, _CASE_COLUMNS, writer.rows(keys, total, tick))
        keys.case += written
        counts["history cases"] = counts.get("history cases", 0) + written
        for label, k in writer.flush().items():
            counts[label] = counts.get(label, 0) + k
    demo_cases._reset_sequences(Case, CaseEvent, CasePhoto, CaseRequest, Escalation)
    if counts.get("case photos"):
        transaction.on_commit(demo_cases.write_shared_photos)
    return counts


# --- inspections --------------------------------------------------------------------------


@dataclass
class _Area:
    pk: int
    path: str
    area_type: int | None
    factor: float
    pool: list[tuple]


class _Checklists:
    """The checklist version in use on a day, per area type (as `templates_for_areas`, then)."""

    def __init__(self) -> None:
        self.templates = list(
            InspectionTemplate.objects.exclude(status=TemplateStatus.DRAFT).order_by(
                "activated_at", "pk"
            )
        )
        self.items: dict[int, list[TemplateItem]] = {}
        weights = {(t.code, t.version, i.code): i.weight for t in spec.TEMPLATES for i in t.items}
        self.weights: dict[int, list[int]] = {}
        self.cum: dict[int, list[int]] = {}
        for t in self.templates:
            items = list(TemplateItem.objects.filter(template=t).order_by("order", "code"))
            self.items[t.pk] = items
            w = [weights.get((t.code, t.version, i.code), 10) for i in items]
            self.weights[t.pk] = w
        self._by_day: dict[
            datetime.date, tuple[InspectionTemplate | None, dict[int, InspectionTemplate]]
        ] = {}

    def _in_use(self, t: InspectionTemplate, day: datetime.date) -> bool:
        if t.activated_at is None or timezone.localtime(t.activated_at).date() > day:
            return False
        return t.retired_at is None or day < timezone.localtime(t.retired_at).date()

    def for_day(
        self, day: datetime.date
    ) -> tuple[InspectionTemplate | None, dict[int, InspectionTemplate]]:
        found = self._by_day.get(day)
        if found is None:
            general, by_type = None, {}
            for t in self.templates:
                if not self._in_use(t, day):
                    continue
                if t.area_type_id is None:
                    general = t
                else:
                    by_type[t.area_type_id] = t
            if general is None:
                # Older than any general checklist's first day in use: the first version
                # scored the areas then (the demo dates its first version within a year).
                general = next((t for t in self.templates if t.area_type_id is None), None)
            found = self._by_day[day] = (general, by_type)
        return found


class _Geo:
    """An area's shape as `_point_pools` reads it."""

    def __init__(self, geometry: Any) -> None:
        self.geometry = geometry
        self.bounds = geometry.bounds


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


_ROUND_COLUMNS = (
    "id",
    "date",
    "title",
    "scope_id",
    "status",
    "drawn",
    "draw_seed",
    "note",
    "planned_by_id",
    "created_at",
    "cancel_reason",
    "version",
)
_INSPECTION_COLUMNS = (
    "id",
    "round_id",
    "area_id",
    "area_path",
    "date",
    "template_id",
    "inspector_id",
    "status",
    "deduction",
    "score",
    "inspected_at",
    "lat",
    "lng",
    "note",
    "void_reason",
    "released_at",
    "version",
)
_FINDING_COLUMNS = (
    "id",
    "inspection_id",
    "item_id",
    "count",
    "deduction",
    "note",
    "lat",
    "lng",
    "case_id",
)


def _release_moment(day: datetime.date, calendar: dict[datetime.date, bool]) -> int:
    """About ten on the first working day after the week of `day` (when its circular came out)."""
    issue = day + datetime.timedelta(days=7 - day.weekday())
    while not is_working_day(issue, calendar):
        issue += datetime.timedelta(days=1)
    return _midnight(issue) + 10 * _HOUR


def _team(root: Region) -> list[int]:
    """The inspectors of the root; a copy without its own borrows the demo's standing team."""
    for region in (root, Region.objects.filter(code=data.ROOT_CODE, depth=1).first()):
        if region is None:
            continue
        team = list(
            RoleAssignment.objects.filter(role=Role.INSPECTOR, region=region, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()
        )
        if team:
            return team
    return []


def write_inspection_history(
    roots: Sequence[Region],
    *,
    seed: str,
    now: datetime.datetime,
    calendar: dict[datetime.date, bool],
    tick: Tick = _noop,
) -> dict[str, int]:
    """Daily rounds of every root over its history span; counts by table."""
    today = timezone.localdate(now)
    now_ts = int(now.timestamp())
    spans = {root.pk: inspection_span(root, today) for root in roots}
    checklists = _Checklists()
    round_pk, inspection_pk, finding_pk = (
        _next_pk(InspectionRound),
        _next_pk(Inspection),
        _next_pk(Finding),
    )
    counts = dict.fromkeys(("inspection rounds", "inspections", "findings"), 0)
    through = InspectionRound.inspectors.through
    for root in roots:
        ensure_area_types(root)
        regions = list(Region.objects.subtree(root).filter(depth=area_depth()).order_by("path"))
        types = dict(
            Region.objects.filter(
                pk__in=[r.pk for r in regions], inspection_area_type__isnull=False
            ).values_list("pk", "inspection_area_type__area_type_id")
        )
        geos = [_Geo(shape(r.geometry)) for r in regions]
        pools = _point_pools(geos, f"{seed}:{root.code}:inspection-points", size=64)
        rng = random.Random(f"{seed}:{root.code}:history-inspections")
        areas = [
            _Area(r.pk, r.path, types.get(r.pk), rng.uniform(0.5, 1.6), pool)
            for r, pool in zip(regions, pools, strict=True)
        ]
        team = _team(root)
        office = demo_cases._actors(root, []).office
        rounds: list[tuple] = []
        inspectors: list[tuple] = []
        inspections: list[tuple] = []
        findings: list[tuple] = []
        days = working_days(spans[root.pk], calendar)
        for day in days:
            draw_seed = (
                HISTORY_SEED_PREFIX
                + hashlib.sha256(f"{seed}:{root.code}:{day}".encode()).hexdigest()[:32]
            )
            count = min(AREAS_PER_ROUND, len(areas))
            if not count:
                continue
            drawn = sorted(random.Random(draw_seed).sample(areas, count), key=lambda a: a.path)
            people = rng.sample(team, min(2, len(team))) if team else []
            rounds.append(
                (
                    round_pk,
                    day,
                    spec.round_title(day.month, day.day),
                    root.pk,
                    RoundStatus.PLANNED,
                    True,
                    draw_seed,
                    spec.ROUND_NOTE,
                    office,
                    _dt(_midnight(day) - 7 * _HOUR),
                    "",
                    1,
                )
            )
            inspectors += [(round_pk, user) for user in people]
            release = _release_moment(day, calendar)
            released = _dt(release) if release <= now_ts else None
            general, by_type = checklists.for_day(day)
            clock = {u: rng.uniform(8.5 * 60, 9.5 * 60) for u in people}
            for k, area in enumerate(drawn):
                template = by_type.get(area.area_type, general) if area.area_type else general
                if template is None:
                    continue
                inspector = people[k % len(people)] if people else None
                minutes = rng.uniform(8.5 * 60, 17 * 60)
                if inspector is not None:
                    clock[inspector] += rng.uniform(20, 45)
                    minutes = clock[inspector]
                items = checklists.items[template.pk]
                found = _poisson(rng, FINDINGS_PER_INSPECTION * area.factor)
                chosen: dict[int, TemplateItem] = {}
                weights = checklists.weights[template.pk]
                for _ in range(min(found, len(items))):
                    item = rng.choices(items, weights=weights)[0]
                    chosen[item.pk] = item
                total = Decimal("0")
                for item in sorted(chosen.values(), key=lambda i: (i.order, i.code)):
                    count_ = 1
                    while (
                        rng.random() < (0.45 if item.points_per_unit < 5 else 0.15) and count_ < 6
                    ):
                        count_ += 1
                    points = item.deduction_for(count_).quantize(TWO_PLACES)
                    total += points
                    lat, lng = area.pool[rng.randrange(len(area.pool))]
                    findings.append(
                        (finding_pk, inspection_pk, item.pk, count_, points, "", lat, lng, None)
                    )
                    finding_pk += 1
                score = max(Decimal("0"), template.full_score - total).quantize(TWO_PLACES)
                void = rng.random() < VOID_SHARE
                lat, lng = area.pool[rng.randrange(len(area.pool))]
                inspections.append(
                    (
                        inspection_pk,
                        round_pk,
                        area.pk,
                        area.path,
                        day,
                        template.pk,
                        inspector,
                        InspectionStatus.VOID if void else InspectionStatus.SUBMITTED,
                        total,
                        score,
                        _dt(_midnight(day) + int(minutes * 60)),
                        lat,
                        lng,
                        _pick(rng, spec.POOR_NOTES if score < 80 else spec.GOOD_NOTES),
                        _pick(rng, spec.VOID_REASONS) if void else "",
                        released,
                        3 if void else 2,
                    )
                )
                inspection_pk += 1
            round_pk += 1
            tick(1)
        counts["inspection rounds"] += bulk_write(InspectionRound, _ROUND_COLUMNS, rounds)
        through.objects.bulk_create(
            [through(inspectionround_id=r, user_id=u) for r, u in inspectors], batch_size=5000
        )
        counts["inspections"] += bulk_write(Inspection, _INSPECTION_COLUMNS, inspections)
        counts["findings"] += bulk_write(Finding, _FINDING_COLUMNS, findings)
    demo_cases._reset_sequences(InspectionRound, Inspection, Finding)
    return counts


def inspection_days(
    roots: Sequence[Region], now: datetime.datetime, calendar: dict[datetime.date, bool]
) -> int:
    today = timezone.localdate(now)
    return sum(len(working_days(inspection_span(r, today), calendar)) for r in roots)


# --- reset --------------------------------------------------------------------------------

# Deleted here with plain DELETEs (millions of rows: no collector).
_RAW = (CasePhoto, CaseRequest, Escalation, CaseEvent)


def _raw_delete(qs: models.QuerySet) -> int:
    return qs._raw_delete(qs.db)


def _detach(model: type[models.Model], rows: models.QuerySet) -> None:
    """Apply the on_delete rules of the other tables that point at `rows` (few rows:
    notifications, publications, public photos, findings), as the collector would."""
    for rel in model._meta.related_objects:
        if rel.related_model in _RAW or rel.related_model is model:
            continue
        refs = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": rows})
        if rel.on_delete is models.CASCADE:
            refs.delete()
        elif rel.on_delete is models.SET_NULL:
            refs.update(**{rel.field.name: None})
        elif refs.exists():
            raise models.ProtectedError(f"{rel.related_model.__name__} still names them", set())


def _delete_cases(ids: list[int]) -> int:
    deleted = 0
    for chunk in _chunks(ids, 20_000):
        cases = Case.objects.filter(pk__in=chunk)
        _detach(Case, cases)
        _detach(CaseEvent, CaseEvent.objects.filter(case_id__in=chunk).values("pk"))
        photos = CasePhoto.objects.filter(case_id__in=chunk)
        keys = {
            key
            for row in photos.exclude(
                original__startswith=demo_cases.SHARED_PHOTO_PREFIX
            ).values_list("original", "display", "thumbnail")
            for key in row
            if key and not key.startswith(demo_cases.SHARED_PHOTO_PREFIX)
        }
        if keys:
            # A photo added by hand since: its files go once the deletion is committed.
            from zhenxing.cases.photos import private_storage

            transaction.on_commit(lambda keys=keys: [private_storage.delete(k) for k in keys])
        _detach(CasePhoto, photos.values("pk"))
        Case.objects.filter(relapse_of_id__in=chunk).update(relapse_of=None)
        for model in _RAW:
            deleted += _raw_delete(model.objects.filter(case_id__in=chunk))
        deleted += _raw_delete(cases)
    return deleted


def _history_rounds(paths: list[str]) -> models.QuerySet:
    rounds = InspectionRound.objects.filter(draw_seed__startswith=HISTORY_SEED_PREFIX)
    if paths:
        rounds = rounds | InspectionRound.objects.filter(path_prefix_q(paths, "scope__path"))
    return rounds


def delete_history(paths: list[str]) -> int:
    """Delete the demo's history rows (marked) and every case and round under `paths`
    (the scaled copies' roots: their detailed cases too); the number of rows deleted.

    Runs before the copies' territory is deleted (the rows name their areas).
    """
    marked = CaseEvent.objects.filter(kind=EventKind.REPORTED, data__generated=HISTORY_MARK)
    ids = set(marked.values_list("case_id", flat=True))
    if paths:
        ids |= set(
            Case.objects.filter(path_prefix_q(paths, "region_path")).values_list("pk", flat=True)
        )
    deleted = _delete_cases(sorted(ids))
    from zhenxing.inspections.models import InspectionPhoto

    round_ids = sorted(_history_rounds(paths).values_list("pk", flat=True))
    for chunk in _chunks(round_ids, 20_000):
        photos = InspectionPhoto.objects.filter(inspection__round_id__in=chunk)
        deleted += photos.delete()[0]  # few or none: the history makes no photos
        deleted += _raw_delete(Finding.objects.filter(inspection__round_id__in=chunk))
        deleted += _raw_delete(Inspection.objects.filter(round_id__in=chunk))
        deleted += _raw_delete(
            InspectionRound.inspectors.through.objects.filter(inspectionround_id__in=chunk)
        )
        deleted += _raw_delete(InspectionRound.objects.filter(pk__in=chunk))
    return deleted


def has_history() -> bool:
    """Whether an earlier seed left history rows in the demo."""
    return (
        InspectionRound.objects.filter(draw_seed__startswith=HISTORY_SEED_PREFIX).exists()
        or CaseEvent.objects.filter(kind=EventKind.REPORTED, data__generated=HISTORY_MARK).exists()
    )
