"""The demo's cases: the category tree, the holiday calendar and a few thousand cases.

`load_cases` (called by `load_guicheng`) makes sure the categories and the
calendar exist (by code and by date) and, when the demo has no cases yet,
plans and writes about `CASES_PER_COPY` of them over the last
`WINDOW_DAYS` days. `seed-demo --scale N` calls `write_copy_cases` for each
scaled copy.

Planning (`plan_cases`) is pure and deterministic for a given `now`: every
case is a small story (reported → … → closed, or stopped at any state of the
loop) replayed by `_Sim` with the same rules as `cases.services` — the
category's deadline in working days over the holiday calendar
(`workdays.add_working_days_in`), a version per transition, a send-back
clearing the assignee, extension and deferral asked for only before the
deadline, an approved extension moving the deadline, an approved deferral
stopping the clock — and the escalation job's rule replayed over the time
each case spent overdue (an approved send-back or deferral, or the closure,
resolves the open escalations; "closed on time" needs a case never
escalated). Relapses are found as `selectors.relapse_origin` finds them:
same category, nearby, within the window, in the same community. Writing
(`write_case_plans`) bulk-inserts the rows with no per-row audit or
notification (the services' side effects, thousands of times); its caller
records one summary audit row.

Every report comes with a before photo (now and then two or three), every
rectification of a category that needs one with an after photo. The rows
(each with its own token) share a small set of pictures stored once under
`SHARED_PHOTO_PREFIX`, original, display and thumbnail, so thousands of
cases (and every scaled copy) cost a few dozen files. They are written after
the transaction commits (as the services make their derivatives after
commit), so a rolled-back load leaves no files behind.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connections, models, router, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw
from shapely.geometry import Point, shape
from shapely.prepared import prep

from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Category,
    Escalation,
    EventKind,
    Holiday,
    PhotoKind,
    RequestKind,
    RequestStatus,
    Source,
    Status,
)
from zhenxing.cases.photos import new_token, private_storage
from zhenxing.cases.selectors import distance_m
from zhenxing.cases.services import REQUEST_EVENTS
from zhenxing.cases.tasks import ESCALATION_EVERY
from zhenxing.cases.workdays import add_working_days_in
from zhenxing.demo import case_data, data
from zhenxing.demo.case_data import COMMUNITY
from zhenxing.people.models import Department, PartyMember, Role, RoleAssignment, User, WorkTeam
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_path, path_prefix_q

CASES_PER_COPY = 3_000
WINDOW_DAYS = 120
# Before photos per report and after photos per rectification: (count, weight).
BEFORE_PHOTOS = ((1, 75), (2, 18), (3, 7))
AFTER_PHOTOS = ((1, 80), (2, 20))
# A category that does not need an after photo gets one this often all the same.
OPTIONAL_AFTER_SHARE = 0.4
RELAPSES_PER_COPY = 25
BATCH_SIZE = 1000
# The escalation job runs this often; a deadline passed is noticed at its next run.
JOB_EVERY = ESCALATION_EVERY
PHOTO_SIZE = (480, 360)
THUMBNAIL_EDGE = 320

T = TypeVar("T")
Tick = Callable[[int], None]

# Steps that leave a case's version alone; every other one is a `_transition` in the services.
_UNVERSIONED = {EventKind.REPORTED, EventKind.REPORT_ADDED, EventKind.ESCALATED, EventKind.NOTE}


def _local(t: datetime.datetime) -> datetime.datetime:
    # `timezone.localtime` asks a context-local for the zone on every call; the
    # planner converts tens of thousands of times, always to the platform's zone.
    return t.astimezone(timezone.get_default_timezone())


def _noop(_: int) -> None:
    return None


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# --- categories and calendar ------------------------------------------------------


def department_pks() -> dict[str, int]:
    """Department name → pk."""
    return dict(Department.objects.values_list("name", "pk"))


def ensure_categories() -> int:
    """Insert the demo's categories that are missing (by code); the number inserted.

    Existing rows are left as an administrator may have changed them.
    """
    existing = dict(Category.objects.values_list("code", "pk"))
    departments = department_pks()
    created = 0
    mains: list[Category] = []
    for order, main in enumerate(case_data.CATEGORIES, start=1):
        if main.code in existing:
            continue
        first = main.subs[0]
        mains.append(
            Category(
                code=main.code,
                name=main.name,
                time_limit=first.time_limit,
                time_limit_unit=first.unit,
                default_handler=first.handler if main.department in departments else COMMUNITY,
                default_department_id=departments.get(main.department),
                after_photo_required=first.after_photo,
                duplicate_radius_m=first.radius_m,
                relapse_days=case_data.RELAPSE_DAYS,
                order=order * 10,
            )
        )
    Category.objects.bulk_create(mains)
    created += len(mains)
    existing = dict(Category.objects.values_list("code", "pk"))
    subs: list[Category] = []
    for main in case_data.CATEGORIES:
        for order, sub in enumerate(main.subs, start=1):
            if sub.code in existing:
                continue
            subs.append(
                Category(
                    parent_id=existing[main.code],
                    code=sub.code,
                    name=sub.name,
                    time_limit=sub.time_limit,
                    time_limit_unit=sub.unit,
                    # A department renamed away leaves the matter with the community.
                    default_handler=sub.handler if sub.department in departments else COMMUNITY,
                    default_department_id=departments.get(sub.department),
                    after_photo_required=sub.after_photo,
                    duplicate_radius_m=sub.radius_m,
                    relapse_days=case_data.RELAPSE_DAYS,
                    order=order,
                )
            )
    Category.objects.bulk_create(subs)
    return created + len(subs)


def ensure_holidays() -> int:
    """Insert the calendar days that are missing (by date); the number inserted."""
    known = set(Holiday.objects.values_list("date", flat=True))
    rows = [
        Holiday(date=day, is_workday=workday, name=name)
        for day, workday, name in case_data.HOLIDAYS
        if day not in known
    ]
    Holiday.objects.bulk_create(rows)
    return len(rows)


def load_calendar() -> dict[datetime.date, bool]:
    return dict(Holiday.objects.values_list("date", "is_workday"))


# --- deadlines without a query per case ---------------------------------------------


def deadline_for(
    category: CategoryInfo, start: datetime.datetime, calendar: dict[datetime.date, bool]
) -> datetime.datetime:
    """`cases.workdays.deadline_for` over a preloaded calendar."""
    if category.unit == case_data.HOURS:
        return start + datetime.timedelta(hours=category.time_limit)
    return add_working_days_in(calendar, start, category.time_limit)


def _utc_iso(t: datetime.datetime) -> str:
    """A moment in an event's data: ISO 8601 in UTC, whatever zone it was computed in."""
    return t.astimezone(datetime.UTC).isoformat()


# --- what the planner is given --------------------------------------------------------


@dataclass(frozen=True)
class AreaInfo:
    pk: int
    code: str
    path: str
    name: str
    community_pk: int
    community_name: str
    geometry: Any  # a shapely polygon
    prepared: Any  # the same, prepared for fast point tests
    bounds: tuple[float, float, float, float]
    weight: float = 1.0


@dataclass(frozen=True)
class TeamInfo:
    pk: int
    name: str
    leader_id: int | None


@dataclass(frozen=True)
class CategoryInfo:
    pk: int
    code: str
    time_limit: int
    unit: str
    handler: str
    department_pk: int | None
    after_photo: bool
    radius_m: int
    relapse_days: int
    weight: int
    descriptions: tuple[str, ...]
    fixes: tuple[str, ...]


@dataclass
class Actors:
    """Users (pks) who take the steps; None where the copy has no such login."""

    office: int | None = None
    inspector: int | None = None
    # department pk → a staff member
    department_staff: dict[int, int] = field(default_factory=dict)
    # community pk → a secretary / the party member with a login
    secretaries: dict[int, int] = field(default_factory=dict)
    party: dict[int, int] = field(default_factory=dict)


@dataclass
class World:
    index: int
    now: datetime.datetime
    areas: list[AreaInfo]
    teams: dict[int, TeamInfo]
    categories: list[CategoryInfo]
    departments: dict[int, str]
    actors: Actors
    calendar: dict[datetime.date, bool]
    meeting_after: datetime.timedelta


# --- what the planner makes -----------------------------------------------------------


@dataclass
class EventPlan:
    kind: str
    at: datetime.datetime
    actor: int | None
    from_status: str = ""
    to_status: str = ""
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # Photos that come with this step: "before" or "after", and how many.
    photo: str = ""
    photo_count: int = 0
    # The case as the step left it (for the escalation replay).
    status_after: str = ""
    deadline_after: datetime.datetime | None = None
    department_after: int | None = None


@dataclass
class RequestPlan:
    kind: str
    status: str
    reason: str
    until: datetime.datetime | None
    requested_by: int | None
    requested_at: datetime.datetime
    decided_by: int | None = None
    decided_at: datetime.datetime | None = None
    decision_note: str = ""


@dataclass
class EscalationPlan:
    level: int
    department: int | None
    reason: str
    created_at: datetime.datetime
    resolved_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Story:
    """Where a case's history stops and what happens on the way."""

    final: str
    overdue: bool = False
    reworks: int = 0
    late: bool = False
    extension: str | None = None  # approved / denied / pending / withdrawn
    deferral: str | None = None  # resumed / current / pending
    send_back: str | None = None  # redispatched / current / pending


@dataclass(frozen=True)
class _Base:
    """A report before anything happens to it."""

    category: CategoryInfo
    area: AreaInfo
    source: str
    description: str
    address: str
    lat: float
    lng: float
    reporter: int | None
    reporter_name: str
    reporter_mobile: str
    before_photos: int


@dataclass
class CasePlan:
    base: _Base
    story: Story
    status: str = Status.REPORTED
    reported_at: datetime.datetime | None = None
    accepted_at: datetime.datetime | None = None
    dispatched_at: datetime.datetime | None = None
    rectified_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    closed_on_time: bool | None = None
    rectified_by: int | None = None
    rework_count: int = 0
    deadline: datetime.datetime | None = None
    assigned_region: int | None = None
    assigned_team: int | None = None
    assigned_department: int | None = None
    escalation_level: int = 0
    escalated_at: datetime.datetime | None = None
    version: int = 1
    report_count: int = 1
    events: list[EventPlan] = field(default_factory=list)
    requests: list[RequestPlan] = field(default_factory=list)
    escalations: list[EscalationPlan] = field(default_factory=list)
    # Index (in the plan list) of the closed case this one relapses.
    relapse_of: int | None = None
    # False when the story broke a rule on the way (a request for time once
    # the deadline had passed): the planner tries another moment.
    feasible: bool = True

    @property
    def last_at(self) -> datetime.datetime:
        return self.events[-1].at


# --- stories ------------------------------------------------------------------------

S = Status
# Open and rejected cases per 3,000 (scaled with the copy size); the rest are closed.
_STORY_QUOTAS: list[tuple[Story, int]] = [
    (Story(S.REPORTED), 30),
    (Story(S.ACCEPTED), 20),
    (Story(S.ACCEPTED, send_back="current"), 6),
    (Story(S.REJECTED), 90),
    (Story(S.DISPATCHED), 35),
    (Story(S.DISPATCHED, overdue=True), 20),
    (Story(S.DISPATCHED, send_back="pending"), 5),
    (Story(S.RECTIFYING), 45),
    (Story(S.RECTIFYING, overdue=True), 30),
    (Story(S.RECTIFYING, extension="pending"), 14),
    (Story(S.RECTIFYING, overdue=True, extension="pending"), 4),
    (Story(S.RECTIFYING, deferral="pending"), 8),
    (Story(S.RECTIFYING, deferral="resumed"), 6),
    (Story(S.RECTIFYING, extension="approved"), 6),
    (Story(S.RECTIFIED), 50),
    (Story(S.RECTIFIED, reworks=1), 10),
    (Story(S.REWORK, reworks=1), 15),
    (Story(S.REWORK, reworks=1, overdue=True), 12),
    (Story(S.DEFERRED, deferral="current"), 18),
]
# Closed cases: (story, weight); each is late with probability `_LATE_SHARE`.
_CLOSED_STORIES: list[tuple[Story, float]] = [
    (Story(S.CLOSED), 80),
    (Story(S.CLOSED, reworks=1), 9),
    (Story(S.CLOSED, reworks=2), 2),
    (Story(S.CLOSED, extension="approved"), 4),
    (Story(S.CLOSED, extension="denied"), 1),
    (Story(S.CLOSED, extension="withdrawn"), 1),
    (Story(S.CLOSED, deferral="resumed"), 1.5),
    (Story(S.CLOSED, send_back="redispatched"), 2),
]
_LATE_SHARE = 0.12

_SOURCES = [
    (Source.INSPECTION, 45),
    (Source.PARTY_PATROL, 25),
    (Source.RESIDENT, 15),
    (Source.DEPARTMENT, 8),
    (Source.OFFICE, 7),
]


def _stories(total: int, rng: random.Random) -> list[Story]:
    stories: list[Story] = []
    for story, per_3000 in _STORY_QUOTAS:
        stories += [story] * max(1, round(per_3000 * total / 3000))
    closed, weights = zip(*_CLOSED_STORIES, strict=True)
    while len(stories) < total:
        story = rng.choices(closed, weights=weights)[0]
        if rng.random() < _LATE_SHARE:
            story = replace(story, late=True)
        stories.append(story)
    rng.shuffle(stories)
    return stories[:total]


# --- the replay of one case ---------------------------------------------------------


def _hours(h: float) -> datetime.timedelta:
    return datetime.timedelta(hours=h)


class _Sim:
    """Replays one story from `anchor` (the report) with the services' rules."""

    def __init__(
        self, world: World, base: _Base, story: Story, anchor: datetime.datetime, seed: str
    ) -> None:
        self.w = world
        self.b = base
        self.s = story
        self.rng = random.Random(seed)
        # People's clocks show seconds, not microseconds.
        self.t = anchor.replace(microsecond=0)
        self.c = CasePlan(base=base, story=story, reported_at=self.t)
        self.pending: RequestPlan | None = None
        self.team = world.teams.get(base.area.community_pk)

    # time ----------------------------------------------------------------------------

    def _daytime(self, t: datetime.datetime) -> datetime.datetime:
        """People work from 8 to 21: a step that would fall at night waits for the morning."""
        t = t.replace(microsecond=0)
        local = _local(t)
        if local.hour < 7:
            return local.replace(hour=8, minute=self.rng.randrange(60))
        if local.hour >= 21:
            morning = local + datetime.timedelta(days=1)
            return morning.replace(hour=8, minute=self.rng.randrange(60))
        return t

    def wait(self, lo: float, hi: float) -> None:
        self.t = self._daytime(self.t + _hours(self.rng.uniform(lo, hi)))

    def before_deadline(self, lo: float, hi: float) -> None:
        """Move on to a moment between now and the deadline (a fraction lo..hi of the time left).

        Extension and deferral are asked for before the deadline, never
        after; with no time left the story is marked infeasible and the
        planner tries another moment.
        """
        deadline = self.c.deadline
        if deadline is None or deadline <= self.t:
            self.c.feasible = False
            return
        left = deadline - self.t
        t = self._daytime(self.t + left * self.rng.uniform(lo, hi))
        if t >= deadline:
            # The morning would be too late: the request goes out in the evening.
            t = (self.t + left * self.rng.uniform(lo, hi)).replace(microsecond=0)
        self.t = t

    # people --------------------------------------------------------------------------

    def dispatcher(self, department: bool = False) -> int | None:
        secretary = self.w.actors.secretaries.get(self.b.area.community_pk)
        if secretary and not department and self.rng.random() < 0.6:
            return secretary
        return self.w.actors.office

    def handler(self) -> int | None:
        c, actors = self.c, self.w.actors
        if c.assigned_department:
            return actors.department_staff.get(c.assigned_department)
        if c.assigned_team and self.team and self.team.leader_id:
            return self.team.leader_id
        return actors.secretaries.get(self.b.area.community_pk)

    def verifier(self) -> int | None:
        inspector = self.w.actors.inspector
        if inspector and self.rng.random() < 0.7:
            return inspector
        return self.w.actors.office

    # steps ---------------------------------------------------------------------------

    def step(
        self,
        kind: str,
        *,
        actor: int | None,
        to: str | None = None,
        note: str = "",
        data: dict[str, Any] | None = None,
        photo: str = "",
        photo_count: int = 0,
    ) -> EventPlan:
        c = self.c
        before = c.status
        if to is not None:
            c.status = to
        if kind not in _UNVERSIONED:
            c.version += 1
        event = EventPlan(
            kind=kind,
            at=self.t,
            actor=actor,
            from_status=before if kind != EventKind.REPORTED else "",
            to_status=c.status,
            note=note,
            data=data or {},
            photo=photo if photo_count else "",
            photo_count=photo_count,
        )
        self._snapshot(event)
        c.events.append(event)
        return event

    def _snapshot(self, event: EventPlan) -> None:
        c = self.c
        event.status_after = c.status
        event.deadline_after = c.deadline
        event.department_after = c.assigned_department

    def report(self) -> None:
        self.step(
            EventKind.REPORTED,
            actor=self.b.reporter,
            to=Status.REPORTED,
            note=self.b.description,
            photo="before",
            photo_count=self.b.before_photos,
        )

    def _target(self, avoid: tuple[str, int] | None = None) -> tuple[str, int]:
        cat, area = self.b.category, self.b.area
        options: list[tuple[str, int]] = []
        if cat.handler == case_data.DEPARTMENT and cat.department_pk:
            options.append(("department", cat.department_pk))
        r = self.rng.random()
        if r < 0.5:
            options.append(("region", area.community_pk))
        elif r < 0.75 or self.team is None:
            options.append(("region", area.pk))
        else:
            options.append(("team", self.team.pk))
        options += [("region", area.community_pk), ("region", area.pk)]
        return next(o for o in options if o != avoid)

    def dispatch(self, avoid: tuple[str, int] | None = None) -> tuple[str, int]:
        kind, pk = self._target(avoid)
        c = self.c
        c.assigned_region = pk if kind == "region" else None
        c.assigned_team = pk if kind == "team" else None
        c.assigned_department = pk if kind == "department" else None
        c.deadline = deadline_for(self.b.category, self.t, self.w.calendar)
        c.dispatched_at = self.t
        name = (
            self.w.departments[pk]
            if kind == "department"
            else self.team.name
            if kind == "team" and self.team
            else self._region_name(pk)
        )
        self.step(
            EventKind.DISPATCHED,
            actor=self.dispatcher(department=kind == "department"),
            to=Status.DISPATCHED,
            data={
                "to": name,
                "to_kind": kind,
                "to_id": pk,
                "deadline": _utc_iso(c.deadline),
            },
        )
        return kind, pk

    def _region_name(self, pk: int) -> str:
        area = self.b.area
        return area.name if pk == area.pk else area.community_name

    def request(self, kind: str, reason: str, until: datetime.datetime | None = None) -> None:
        c = self.c
        if kind != RequestKind.SEND_BACK and (c.deadline is None or self.t >= c.deadline):
            # Once overdue the handler rectifies or asks to send the case back.
            c.feasible = False
        actor = self.handler()
        self.step(
            REQUEST_EVENTS[RequestKind(kind)],
            actor=actor,
            note=reason,
            data={"until": _utc_iso(until)} if until else {},
        )
        self.pending = RequestPlan(
            kind=kind,
            status=RequestStatus.PENDING,
            reason=reason,
            until=until,
            requested_by=actor,
            requested_at=self.t,
        )
        self.c.requests.append(self.pending)

    def decide(self, approve: bool) -> None:
        request, c = self.pending, self.c
        assert request is not None
        note = self.rng.choice(case_data.APPROVAL_NOTES if approve else case_data.DENIAL_NOTES)
        office = self.w.actors.office
        to = None
        if approve:
            if request.kind == RequestKind.SEND_BACK:
                to = Status.ACCEPTED
                c.assigned_region = c.assigned_team = c.assigned_department = None
                c.deadline = c.dispatched_at = None
            elif request.kind == RequestKind.EXTENSION:
                c.deadline = request.until
            else:
                to = Status.DEFERRED
        self.step(
            EventKind.REQUEST_APPROVED if approve else EventKind.REQUEST_DENIED,
            actor=office,
            to=to,
            note=note,
            data={"request": request.kind, "approved": approve},
        )
        request.status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
        request.decided_by, request.decided_at, request.decision_note = office, self.t, note
        self.pending = None

    def start(self) -> None:
        self.step(EventKind.STARTED, actor=self.handler(), to=Status.RECTIFYING)

    def rectify(self, late: bool) -> None:
        c, rng = self.c, self.rng
        if late and c.deadline is not None:
            # Mostly a day or two late; now and then more than a week.
            delay = rng.uniform(2, 48) if rng.random() < 0.75 else rng.uniform(48, 240)
            self.t = self._daytime(max(self.t, c.deadline) + _hours(delay))
        elif c.deadline is not None and c.deadline - self.t > _hours(1):
            self.t = self._daytime(self.t + (c.deadline - self.t) * rng.uniform(0.15, 0.9))
        else:
            self.wait(0.5, 4)
        actor = self.handler()
        if self.pending is not None:
            # Fixed is fixed: a pending request has nothing left to decide.
            self.pending.status = RequestStatus.WITHDRAWN
            self.pending.decided_at = self.t
            self.pending = None
        c.rectified_at, c.rectified_by = self.t, actor
        main_fixes = self.b.category.fixes
        counts, weights = zip(*AFTER_PHOTOS, strict=True)
        photos = rng.choices(counts, weights=weights)[0]
        if not self.b.category.after_photo and rng.random() >= OPTIONAL_AFTER_SHARE:
            photos = 0
        self.step(
            EventKind.RECTIFIED,
            actor=actor,
            to=Status.RECTIFIED,
            note=rng.choice(main_fixes),
            photo="after",
            photo_count=photos,
        )

    def run(self) -> CasePlan:
        s, c, rng = self.s, self.c, self.rng
        self.report()
        if s.final == Status.REPORTED:
            return c
        self.wait(0.3, 20)
        if s.final == Status.REJECTED:
            c.closed_at = self.t
            self.step(
                EventKind.REJECTED,
                actor=self.dispatcher(),
                to=Status.REJECTED,
                note=rng.choice(case_data.REJECT_REASONS),
            )
            return c
        c.accepted_at = self.t
        self.step(EventKind.ACCEPTED, actor=self.dispatcher(), to=Status.ACCEPTED)
        if s.final == Status.ACCEPTED and s.send_back is None:
            return c
        self.wait(0.2, 6)
        first = self.dispatch()
        if s.send_back:
            self.wait(2, 30)
            self.request(RequestKind.SEND_BACK, rng.choice(case_data.SEND_BACK_REASONS))
            if s.send_back == "pending":
                return c
            self.wait(1, 20)
            self.decide(approve=True)
            if s.send_back == "current":
                return c
            self.wait(0.5, 12)
            self.dispatch(avoid=first)
        if s.final == Status.DISPATCHED:
            return c
        span = (c.deadline - self.t).total_seconds() / 3600 if c.deadline else 24
        self.wait(0.3, max(0.5, min(12, span * 0.3)))
        self.start()
        if s.deferral:
            self.before_deadline(0.15, 0.7)
            resume = self.t + _hours(rng.uniform(240, 720))
            self.request(
                RequestKind.DEFERRAL,
                rng.choice(case_data.DEFERRAL_REASONS),
                until=resume if rng.random() < 0.5 else None,
            )
            if s.deferral == "pending":
                return c
            self.wait(2, 30)
            self.decide(approve=True)
            if s.deferral == "current":
                return c
            self.wait(72, 480)
            c.deadline = deadline_for(self.b.category, self.t, self.w.calendar)
            self.step(
                EventKind.RESUMED,
                actor=self.w.actors.office,
                to=Status.RECTIFYING,
                note=rng.choice(case_data.RESUME_NOTES),
            )
        if s.extension:
            self.before_deadline(0.3, 0.8)
            base = max(c.deadline or self.t, self.t)
            until = base + datetime.timedelta(days=rng.randint(2, 10))
            self.request(RequestKind.EXTENSION, rng.choice(case_data.EXTENSION_REASONS), until)
            if s.extension == "pending":
                return c
            if s.extension in ("approved", "denied"):
                self.wait(2, 24)
                self.decide(approve=s.extension == "approved")
        if s.final == Status.RECTIFYING:
            return c
        for round_ in range(s.reworks + 1):
            last = round_ == s.reworks
            self.rectify(late=s.late and last)
            if s.final == Status.RECTIFIED and last:
                return c
            self.wait(2, 48)
            if not last:
                c.rework_count += 1
                self.step(
                    EventKind.VERIFY_FAILED,
                    actor=self.verifier(),
                    to=Status.REWORK,
                    note=rng.choice(case_data.REWORK_REASONS),
                )
                if s.final == Status.REWORK and round_ == s.reworks - 1:
                    return c
                self.wait(1, 24)
                self.start()
            else:
                c.closed_at = self.t
                # Settled by `_escalate`, which knows whether the case was ever escalated.
                c.closed_on_time = None
                self.step(EventKind.VERIFIED, actor=self.verifier(), to=Status.CLOSED)
        return c


def _simulate(
    world: World, base: _Base, story: Story, anchor: datetime.datetime, seed: str
) -> CasePlan:
    return _Sim(world, base, story, anchor, seed).run()


# --- planning a copy -------------------------------------------------------------------


def _person_name(rng: random.Random) -> str:
    surnames, weights = zip(*data.SURNAMES, strict=True)
    pool = data.GIVEN_MALE if rng.random() < 0.55 else data.GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
    return rng.choices(surnames, weights=weights)[0] + given


def _mobile(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18", "19")) + f"{rng.randrange(10**9):09d}"


def _point_in(area: AreaInfo, rng: random.Random) -> tuple[float, float]:
    """A random point inside the area (lat, lng), rounded like a phone's GPS."""
    prepared = area.prepared
    minx, miny, maxx, maxy = area.bounds
    for _ in range(200):
        lng = round(rng.uniform(minx, maxx), 6)
        lat = round(rng.uniform(miny, maxy), 6)
        if prepared.contains(Point(lng, lat)):
            return lat, lng
    point = area.geometry.representative_point()
    return point.y, point.x


def _near(base: _Base, rng: random.Random) -> tuple[float, float]:
    """A point within a few metres of the base's, still inside its area."""
    radius = max(3.0, base.category.radius_m * 0.25)
    for _ in range(20):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, radius)
        lat = round(base.lat + dist * math.sin(angle) / 111_320, 6)
        lng = round(base.lng + dist * math.cos(angle) / (111_320 * math.cos(math.radians(lat))), 6)
        if base.area.prepared.contains(Point(lng, lat)):
            return lat, lng
    return base.lat, base.lng


def _community_short(name: str) -> str:
    return name.split("·", 1)[0]


def _address(area: AreaInfo, rng: random.Random) -> str:
    community = _community_short(area.community_name)
    road = rng.choice(case_data.ROADS)
    r = rng.random()
    if r < 0.6:
        return f"{community}{road}{rng.randint(1, 188)}号旁"
    if r < 0.8:
        other = rng.choice([x for x in case_data.ROADS if x != road])
        return f"{community}{road}与{other}交界处"
    return f"{_community_short(area.name)}{rng.choice(case_data.PLACES)}"


def _make_base(
    world: World,
    rng: random.Random,
    area: AreaInfo,
    category: CategoryInfo,
    source: str,
    *,
    point: tuple[float, float] | None = None,
) -> _Base:
    actors = world.actors
    reporter: int | None = None
    name = mobile = ""
    if source == Source.INSPECTION:
        reporter = actors.inspector
    elif source == Source.PARTY_PATROL:
        # A member without a login stays unnamed: a name and a mobile are a
        # resident's details, kept on resident reports only (as the services do).
        reporter = actors.party.get(area.community_pk)
    elif source == Source.RESIDENT:
        name, mobile = _person_name(rng), _mobile(rng)
    elif source == Source.DEPARTMENT:
        reporter = actors.department_staff.get(category.department_pk or 0)
        if reporter is None and actors.department_staff:
            reporter = next(iter(actors.department_staff.values()))
    else:
        secretary = actors.secretaries.get(area.community_pk)
        reporter = secretary if secretary and rng.random() < 0.6 else actors.office
    lat, lng = point if point is not None else _point_in(area, rng)
    place = rng.choice(case_data.PLACES)
    counts, weights = zip(*BEFORE_PHOTOS, strict=True)
    return _Base(
        category=category,
        area=area,
        source=source,
        description=rng.choice(category.descriptions).format(place=place),
        address=_address(area, rng),
        lat=lat,
        lng=lng,
        reporter=reporter,
        reporter_name=name,
        reporter_mobile=mobile,
        before_photos=rng.choices(counts, weights=weights)[0],
    )


def _final_daytime(t: datetime.datetime, rng: random.Random) -> datetime.datetime:
    """Move a report made at night back into the evening before (finished cases only)."""
    local = _local(t)
    if local.hour < 7:
        local -= datetime.timedelta(days=1)
    if local.hour < 7 or local.hour >= 21:
        return local.replace(hour=rng.randint(17, 20), minute=rng.randrange(60))
    return t


def _place(world: World, base: _Base, story: Story, key: str) -> CasePlan:
    """Replay the story so that it stops at its state now, within the window."""
    now = world.now
    window = datetime.timedelta(days=WINDOW_DAYS)
    plan: CasePlan | None = None
    for attempt in range(10):
        seed = f"{key}:{attempt}"
        rng = random.Random(seed + ":anchor")
        trial = _simulate(world, base, story, now - datetime.timedelta(days=60), seed)
        duration = trial.last_at - trial.reported_at
        final = story.final
        if final in (Status.CLOSED, Status.REJECTED):
            earliest = max(duration + _hours(3), _hours(4))
            dwell = (
                rng.uniform(earliest.total_seconds(), window.total_seconds()) / 3600
                if earliest < window
                else earliest.total_seconds() / 3600
            )
            anchor = _final_daytime(now - _hours(dwell), rng)
        else:
            if final in CLOCK_STATES and trial.deadline is not None:
                slack = (trial.deadline - trial.last_at).total_seconds() / 3600
                if story.overdue:
                    wait = max(slack, 0) + rng.uniform(1, 360)
                else:
                    wait = rng.uniform(0.05, 0.9) * slack if slack > 0.5 else rng.uniform(0, 0.4)
            elif final == Status.REPORTED:
                wait = rng.uniform(0.2, 20) if rng.random() < 0.85 else rng.uniform(20, 96)
            elif final == Status.DEFERRED:
                wait = rng.uniform(24, 600)
            else:  # accepted, rectified
                wait = rng.uniform(0.3, 30)
            anchor = now - _hours(wait) - duration
        plan = _simulate(world, base, story, anchor, seed)
        if not plan.feasible:
            continue
        if plan.last_at >= now - datetime.timedelta(minutes=1):
            continue
        if plan.reported_at < now - window - datetime.timedelta(days=30):
            continue
        if final in CLOCK_STATES and (
            plan.deadline is None or (plan.deadline < now) != story.overdue
        ):
            continue
        return plan
    if plan is not None and plan.feasible and plan.last_at < now:
        return plan
    # Nothing fitted (not seen with the ranges above): a fresh report, which always fits.
    return _simulate(world, base, Story(Status.REPORTED), now - _hours(1), f"{key}:fallback")


def _relapse_story(age: datetime.timedelta, rng: random.Random) -> Story:
    days = age.total_seconds() / 86400
    if days > 12:
        return Story(Status.CLOSED)
    if days > 4:
        return Story(rng.choice([Status.RECTIFIED, Status.RECTIFYING, Status.CLOSED]))
    return Story(rng.choice([Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED]))


def _plant_relapses(
    world: World, plans: list[CasePlan], count: int, rng: random.Random
) -> list[CasePlan]:
    """New reports at the place and category of cases closed a few days before."""
    now = world.now
    origins = [
        p
        for p in plans
        if p.status == Status.CLOSED
        and p.closed_at is not None
        and p.closed_at < now - datetime.timedelta(days=3)
    ]
    rng.shuffle(origins)
    made: list[CasePlan] = []
    for i, origin in enumerate(origins[:count]):
        assert origin.closed_at is not None
        days = min(origin.base.category.relapse_days - 1, 25)
        room = (now - origin.closed_at).total_seconds() / 3600 - 2
        anchor = origin.closed_at + _hours(rng.uniform(24, min(days * 24, room)))
        anchor = min(anchor, now - _hours(2))
        source = rng.choices(*zip(*_SOURCES, strict=True))[0]
        base = _make_base(
            world,
            rng,
            origin.base.area,
            origin.base.category,
            source,
            point=_near(origin.base, rng),
        )
        story = _relapse_story(now - anchor, rng)
        key = f"zhenxing-demo:{world.index}:relapse:{i}"
        plan = _simulate(world, base, story, anchor, key)
        if plan.last_at >= now or not plan.feasible:
            plan = _simulate(world, base, Story(Status.REPORTED), anchor, key)
        made.append(plan)
    return made


def _link_relapses(plans: list[CasePlan]) -> None:
    """`selectors.relapse_origin` for every case: the latest closure nearby within the window.

    Only in the same community: the other side of a community line is
    another community's work. Closed cases are bucketed by category,
    community and a grid of cells one search radius wide, so each case looks
    at its own and the eight cells around.
    """
    if not plans:
        return
    radius = max(p.base.category.radius_m for p in plans) or 1
    widest = max(abs(p.base.lat) for p in plans)
    dlat = radius / 111_320
    dlng = radius / (111_320 * max(0.01, math.cos(math.radians(widest))))

    def cell(p: CasePlan) -> tuple[int, int]:
        return math.floor(p.base.lat / dlat), math.floor(p.base.lng / dlng)

    closed: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for j, p in enumerate(plans):
        if p.status == Status.CLOSED:
            closed[(p.base.category.pk, p.base.area.community_pk, *cell(p))].append(j)
    for p in plans:
        category = p.base.category
        community = p.base.area.community_pk
        assert p.reported_at is not None
        since = p.reported_at - datetime.timedelta(days=category.relapse_days)
        row, col = cell(p)
        best: CasePlan | None = None
        best_j: int | None = None
        for r in (row - 1, row, row + 1):
            for c in (col - 1, col, col + 1):
                for j in closed.get((category.pk, community, r, c), ()):
                    origin = plans[j]
                    at = origin.closed_at
                    assert at is not None
                    if origin is p or not since <= at <= p.reported_at:
                        continue
                    if best is not None and at <= best.closed_at:  # type: ignore[operator]
                        continue
                    if (
                        distance_m(p.base.lat, p.base.lng, origin.base.lat, origin.base.lng)
                        <= category.radius_m
                    ):
                        best, best_j = origin, j
        p.relapse_of = best_j


def _add_further_reports(world: World, plans: list[CasePlan], rng: random.Random) -> None:
    """A few open spells collect further reports instead of duplicates (case_add_report)."""
    for p in plans:
        if rng.random() > 0.05 or p.reported_at is None:
            continue
        end = p.closed_at or world.now
        start = p.reported_at + _hours(1)
        if end - start < _hours(2):
            continue
        for _ in range(rng.choice((1, 1, 2))):
            at = (start + (end - start) * rng.uniform(0.05, 0.9)).replace(microsecond=0)
            # A party member with a login where there is one, else a resident by phone.
            reporter = world.actors.party.get(p.base.area.community_pk)
            event = EventPlan(
                kind=EventKind.REPORT_ADDED,
                at=at,
                actor=reporter if rng.random() < 0.5 else None,
                note=rng.choice(case_data.FURTHER_REPORTS),
            )
            p.events.append(event)
            p.report_count += 1
        p.events.sort(key=lambda e: e.at)


def _grid(t: datetime.datetime) -> datetime.datetime:
    """The escalation job's first run at or after `t`."""
    step = JOB_EVERY.total_seconds()
    seconds = math.ceil(t.timestamp() / step) * step
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC) + datetime.timedelta(
        seconds=17
    )


def _escalation_reason(level: int, deadline: datetime.datetime) -> str:
    # The services' wording (same msgids), in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        text = (
            gettext("Overdue since %(deadline)s")
            if level == 1
            else gettext("Overdue since %(deadline)s; put before the joint meeting")
        )
        return text % {"deadline": _local(deadline).strftime("%Y-%m-%d %H:%M")}


# Approving one of these takes the case off the handler's overdue work: its escalations resolve.
_RESOLVING_REQUESTS = {RequestKind.SEND_BACK, RequestKind.DEFERRAL}


def _resolution(plan: CasePlan, since: datetime.datetime) -> datetime.datetime | None:
    """When an escalation raised at `since` was resolved: an approved send-back or deferral, or
    the closure, whichever came first; None while it stands."""
    for event in plan.events:
        if event.at < since:
            continue
        if event.kind == EventKind.REQUEST_APPROVED and (
            event.data.get("request") in _RESOLVING_REQUESTS
        ):
            return event.at
        if event.kind == EventKind.VERIFIED:
            return event.at
    return None


def _escalate(world: World, plan: CasePlan) -> None:
    """Replay `services.escalate_overdue` over the spells the case spent on the clock.

    The level is the case's history: raised once per level, it stays when an
    approval resolves the escalations, so a case overdue again after a
    send-back goes on to the joint meeting rather than to the office again.
    Then settles "closed on time": by the deadline in force and never escalated.
    """
    steps = [e for e in plan.events if e.kind != EventKind.REPORT_ADDED]
    level = 0
    added: list[EventPlan] = []
    for i, event in enumerate(steps):
        start = event.at
        end = steps[i + 1].at if i + 1 < len(steps) else world.now
        deadline = event.deadline_after
        if event.status_after not in CLOCK_STATES or deadline is None:
            continue
        for target, threshold in ((1, deadline), (2, deadline + world.meeting_after)):
            if level >= target:
                continue
            at = _grid(max(start, threshold))
            if at >= end or at >= world.now:
                continue
            department = (
                (event.department_after or plan.base.category.department_pk)
                if target == 2
                else None
            )
            reason = _escalation_reason(target, deadline)
            plan.escalations.append(
                EscalationPlan(
                    level=target,
                    department=department,
                    reason=reason,
                    created_at=at,
                    resolved_at=_resolution(plan, at),
                )
            )
            added.append(
                EventPlan(
                    kind=EventKind.ESCALATED,
                    at=at,
                    actor=None,
                    note=reason,
                    data={
                        "level": target,
                        "department": world.departments.get(department, "") if department else "",
                    },
                )
            )
            level = target
            plan.escalation_level, plan.escalated_at = level, at
    if added:
        plan.events = sorted(plan.events + added, key=lambda e: e.at)
    if plan.status == Status.CLOSED:
        plan.closed_on_time = plan.escalation_level == 0 and (
            plan.deadline is None
            or (plan.rectified_at is not None and plan.rectified_at <= plan.deadline)
        )


def plan_cases(world: World, total: int | None = None) -> list[CasePlan]:
    """Every case of one copy, ordered by report time (deterministic for a given `now`)."""
    total = CASES_PER_COPY if total is None else total
    rng = random.Random(f"zhenxing-demo:{world.index}:cases")
    relapses = min(RELAPSES_PER_COPY, total // 50)
    main = total - relapses
    areas = world.areas
    # Every area gets a couple of cases; the rest follow each community's weight.
    picked_areas = [a for a in areas for _ in range(2)][:main]
    picked_areas += rng.choices(
        areas, weights=[a.weight for a in areas], k=main - len(picked_areas)
    )
    rng.shuffle(picked_areas)
    categories = world.categories
    picked_categories = [c for c in categories for _ in range(8)][:main]
    picked_categories += rng.choices(
        categories, weights=[c.weight for c in categories], k=main - len(picked_categories)
    )
    rng.shuffle(picked_categories)
    sources, source_weights = zip(*_SOURCES, strict=True)
    stories = _stories(main, rng)

    plans: list[CasePlan] = []
    for i, (area, category, story) in enumerate(
        zip(picked_areas, picked_categories, stories, strict=True)
    ):
        source = rng.choices(sources, weights=source_weights)[0]
        base = _make_base(world, rng, area, category, source)
        plans.append(_place(world, base, story, f"zhenxing-demo:{world.index}:case:{i}"))
    plans += _plant_relapses(world, plans, relapses, rng)
    plans.sort(key=lambda p: (p.reported_at, p.base.area.code))
    _link_relapses(plans)
    _add_further_reports(world, plans, rng)
    for plan in plans:
        _escalate(world, plan)
    return plans


# --- reading the world from the database ----------------------------------------------


def _community_weights(communities: list[Region], rng: random.Random) -> dict[int, float]:
    weights = {}
    for community in communities:
        w = rng.uniform(0.6, 1.6)
        short = _community_short(community.name).removesuffix(data.COMMUNITY_SUFFIX)
        if short == data.STREETS_COMMUNITY:
            w *= 1.8  # the article's community: the secretary's demo shows a busy queue
        weights[community.pk] = w
    return weights


def world_for(
    root: Region,
    *,
    index: int,
    now: datetime.datetime,
    calendar: dict[datetime.date, bool] | None = None,
) -> World:
    """Everything the planner needs about one copy's territory, categories and people."""
    rng = random.Random(f"zhenxing-demo:{index}:case-weights")
    tree = Region.objects.filter(path__startswith=root.path)
    communities = list(tree.filter(depth=2).order_by("path"))
    by_path = {c.path: c for c in communities}
    weights = _community_weights(communities, rng)
    areas: list[AreaInfo] = []
    for area in tree.filter(depth=4).order_by("path"):
        community = by_path[community_path(area.path)]
        geometry = shape(area.geometry)
        areas.append(
            AreaInfo(
                pk=area.pk,
                code=area.code,
                path=area.path,
                name=area.name,
                community_pk=community.pk,
                community_name=community.name,
                geometry=geometry,
                prepared=prep(geometry),
                bounds=geometry.bounds,
                weight=weights[community.pk],
            )
        )
    teams = {
        t.region_id: TeamInfo(pk=t.pk, name=t.name, leader_id=t.leader_id)
        for t in WorkTeam.objects.filter(region__in=communities).order_by("pk")
    }
    specs = {sub.code: (main, sub) for main in case_data.CATEGORIES for sub in main.subs}
    categories = [
        CategoryInfo(
            pk=c.pk,
            code=c.code,
            time_limit=c.time_limit,
            unit=c.time_limit_unit,
            handler=c.default_handler,
            department_pk=c.default_department_id,
            after_photo=c.after_photo_required,
            radius_m=c.duplicate_radius_m,
            relapse_days=c.relapse_days,
            weight=specs[c.code][1].weight,
            descriptions=specs[c.code][1].descriptions,
            fixes=specs[c.code][0].fixes,
        )
        for c in Category.objects.filter(
            code__in=list(specs), is_active=True, parent__isnull=False
        ).order_by("code")
    ]
    return World(
        index=index,
        now=now,
        areas=areas,
        teams=teams,
        categories=categories,
        departments=dict(Department.objects.values_list("pk", "name")),
        actors=_actors(root, communities),
        calendar=load_calendar() if calendar is None else calendar,
        meeting_after=datetime.timedelta(hours=settings.ZHENXING_ESCALATE_TO_MEETING_AFTER_HOURS),
    )


def _actors(root: Region, communities: list[Region]) -> Actors:
    """The logins that take the steps in this copy: found by their roles, not by name."""
    actors = Actors()
    assignments = RoleAssignment.objects.filter(user__is_active=True).select_related("region")
    for a in assignments.order_by("pk"):
        if a.role == Role.DEPARTMENT_STAFF and a.department_id:
            actors.department_staff.setdefault(a.department_id, a.user_id)
        elif a.region_id is None or not a.region.path.startswith(root.path):
            continue
        elif a.role == Role.OFFICE_ADMIN and a.region.depth == 1:
            actors.office = actors.office or a.user_id
        elif a.role == Role.INSPECTOR and a.region.depth == 1:
            actors.inspector = actors.inspector or a.user_id
        elif a.role == Role.SECRETARY and a.region.depth == 2:
            actors.secretaries.setdefault(a.region_id, a.user_id)
    if actors.office is None:
        # A copy without its own office: a superuser administers everything.
        actors.office = (
            User.objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    for region_id, user_id in PartyMember.objects.filter(
        region__in=communities, user__isnull=False
    ).values_list("region_id", "user_id"):
        actors.party.setdefault(region_id, user_id)
    return actors


# --- writing --------------------------------------------------------------------------
#
# Tens of thousands of rows: `bulk_create` spends most of its time preparing
# each value through each field, so rows are inserted with `executemany`,
# each value adapted by its field once (datetimes and JSON; everything else
# goes as it is). Keys are given explicitly — the next ones after the
# highest, as loaddata does — so that events, photos and relapse links can
# name them before insertion; the sequences are reset afterwards where the
# backend keeps one apart from the table (PostgreSQL).


def _adapter(field: models.Field, connection: Any) -> Callable[[Any], Any]:
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value


def _raw_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows given as {attname: value}; a missing attname takes its field's default."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields]
    defaults = {f.attname: f.get_default() for f in fields}
    adapters = [_adapter(f, connection) for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model and are quoted; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [
                        adapt(row[name] if name in row else defaults[name])
                        for name, adapt in zip(names, adapters, strict=True)
                    ]
                    for row in chunk
                ],
            )


def _next_pk(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequences(*tables: type[models.Model]) -> None:
    connection = connections[router.db_for_write(tables[0])]
    statements = connection.ops.sequence_reset_sql(no_style(), list(tables))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _number(reported_at: datetime.datetime, pk: int) -> str:
    """As `services._final_number` makes it: the local report date and the row's key."""
    return f"{_local(reported_at):%Y%m%d}{pk:06d}"


def write_case_plans(plans: Sequence[CasePlan], *, tick: Tick = _noop) -> dict[str, int]:
    """Insert the planned cases and everything that hangs on them; counts by table."""
    now = timezone.now()
    case_pk = _next_pk(Case)
    pks = [case_pk + i for i in range(len(plans))]
    numbers = [_number(p.reported_at, pk) for p, pk in zip(plans, pks, strict=True)]  # type: ignore[arg-type]
    cases: list[dict[str, Any]] = []
    for pk, number, p in zip(pks, numbers, plans, strict=True):
        b = p.base
        cases.append(
            {
                "id": pk,
                "number": number,
                "category_id": b.category.pk,
                "source": b.source,
                "status": p.status,
                "description": b.description,
                "address": b.address,
                "lat": b.lat,
                "lng": b.lng,
                "region_id": b.area.pk,
                "region_path": b.area.path,
                "reporter_id": b.reporter,
                "reporter_name": b.reporter_name,
                "reporter_mobile": b.reporter_mobile,
                "report_count": p.report_count,
                "assigned_region_id": p.assigned_region,
                "assigned_team_id": p.assigned_team,
                "assigned_department_id": p.assigned_department,
                "deadline": p.deadline,
                "reported_at": p.reported_at,
                "accepted_at": p.accepted_at,
                "dispatched_at": p.dispatched_at,
                "rectified_at": p.rectified_at,
                "closed_at": p.closed_at,
                "closed_on_time": p.closed_on_time,
                "rectified_by_id": p.rectified_by,
                "rework_count": p.rework_count,
                "escalation_level": p.escalation_level,
                "escalated_at": p.escalated_at,
                "relapse_of_id": pks[p.relapse_of] if p.relapse_of is not None else None,
                "version": p.version,
                "updated_at": p.last_at if p.events else now,
            }
        )
    _raw_insert(Case, cases)

    event_pk = _next_pk(CaseEvent)
    events: list[dict[str, Any]] = []
    photo_events: list[tuple[int, int, EventPlan]] = []
    requests: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    for i, (pk, p) in enumerate(zip(pks, plans, strict=True)):
        for e in p.events:
            data_ = e.data
            if e.kind == EventKind.REPORTED and p.relapse_of is not None:
                data_ = {**data_, "relapse_of": numbers[p.relapse_of]}
            events.append(
                {
                    "id": event_pk + len(events),
                    "case_id": pk,
                    "kind": e.kind,
                    "actor_id": e.actor,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "note": e.note,
                    "data": data_,
                    "at": e.at,
                }
            )
            if e.photo:
                photo_events.append((i, events[-1]["id"], e))
        requests += [
            {
                "case_id": pk,
                "kind": r.kind,
                "status": r.status,
                "reason": r.reason,
                "requested_until": r.until,
                "requested_by_id": r.requested_by,
                "requested_at": r.requested_at,
                "decided_by_id": r.decided_by,
                "decided_at": r.decided_at,
                "decision_note": r.decision_note,
            }
            for r in p.requests
        ]
        escalations += [
            {
                "case_id": pk,
                "level": x.level,
                "department_id": x.department,
                "reason": x.reason,
                "created_at": x.created_at,
                "resolved_at": x.resolved_at,
            }
            for x in p.escalations
        ]
        tick(1)
    _raw_insert(CaseEvent, events)
    for model, rows in ((CaseRequest, requests), (Escalation, escalations)):
        first = _next_pk(model)
        for n, row in enumerate(rows):
            row["id"] = first + n
        _raw_insert(model, rows)

    photos: list[dict[str, Any]] = []
    if photo_events:
        pictures = shared_photos()
        first = _next_pk(CasePhoto)
        for i, event_id, e in photo_events:
            p = plans[i]
            kind = PhotoKind.BEFORE if e.photo == "before" else PhotoKind.AFTER
            for k in range(e.photo_count):
                # The first before and the first after picture show the same spot.
                picture = pictures[(kind, (i * 7 + k) % PHOTO_VARIANTS)]
                # Phones write GPS into most photos; some come without.
                gps = (i + k) % 5 != 0
                photos.append(
                    {
                        "id": first + len(photos),
                        "case_id": pks[i],
                        "event_id": event_id,
                        "kind": kind,
                        # Each row its own token (its address); the files are shared.
                        "token": new_token(),
                        "original": picture.original_key,
                        "content_type": "image/jpeg",
                        "size": len(picture.original),
                        "width": PHOTO_SIZE[0],
                        "height": PHOTO_SIZE[1],
                        "sha256": picture.sha256,
                        "display": picture.display_key,
                        "thumbnail": picture.thumbnail_key,
                        "taken_at": e.at - datetime.timedelta(minutes=2 + k),
                        "lat": p.base.lat if gps else None,
                        "lng": p.base.lng if gps else None,
                        "uploaded_by_id": e.actor,
                        "uploaded_at": e.at,
                    }
                )
        _raw_insert(CasePhoto, photos)
        # The files follow the rows once they are committed: a rolled-back
        # load leaves nothing behind on disk.
        transaction.on_commit(write_shared_photos)
    _reset_sequences(Case, CaseEvent, CaseRequest, Escalation, CasePhoto)
    return {
        "cases": len(cases),
        "case_events": len(events),
        "case_requests": len(requests),
        "escalations": len(escalations),
        "case_photos": len(photos),
    }


# --- photos ---------------------------------------------------------------------------

# The shared pictures live here, apart from the services' `cases/<xx>/<token>/` keys.
SHARED_PHOTO_PREFIX = "cases/demo/"
# Pictures of each kind; a before and an after picture of one number show the same spot.
PHOTO_VARIANTS = 12


@dataclass(frozen=True)
class SharedPhoto:
    kind: str
    variant: int
    original: bytes
    thumbnail: bytes

    @functools.cached_property
    def sha256(self) -> str:
        # Read for every photo row that shares this picture: hash it once.
        return hashlib.sha256(self.original).hexdigest()

    @property
    def _base(self) -> str:
        return f"{SHARED_PHOTO_PREFIX}{self.kind}-{self.variant:02d}"

    @property
    def original_key(self) -> str:
        return f"{self._base}/original.jpg"

    @property
    def display_key(self) -> str:
        return f"{self._base}/display.jpg"

    @property
    def thumbnail_key(self) -> str:
        return f"{self._base}/thumb.jpg"

    def files(self) -> dict[str, bytes]:
        # The original is smaller than the display edge: the display is the same picture.
        return {
            self.original_key: self.original,
            self.display_key: self.original,
            self.thumbnail_key: self.thumbnail,
        }


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _scene(variant: int, kind: str) -> Image.Image:
    """A spot by a wall: a brown heap of rubbish on grey ground before; swept, planted after.

    Before and after of one variant share sky, wall and ground, so the case
    page's side-by-side view shows the same place put right.
    """
    rng = random.Random(f"zhenxing-demo:photo:{variant}")
    width, height = PHOTO_SIZE
    sky = (rng.randint(150, 190), rng.randint(180, 210), rng.randint(205, 235))
    image = Image.new("RGB", PHOTO_SIZE, sky)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(140, 190)
    grey = rng.randint(120, 150)
    draw.rectangle((0, horizon, width, height), fill=(grey, grey, grey + 4))
    # Paving joints, so the ground reads as ground.
    for y in range(horizon + 18, height, 26):
        draw.line((0, y, width, y), fill=(grey - 22, grey - 22, grey - 18), width=2)
    wall = (rng.randint(200, 230), rng.randint(195, 220), rng.randint(185, 205))
    x0 = rng.randint(0, 180)
    top = horizon - rng.randint(70, 120)
    draw.rectangle((x0, top, x0 + rng.randint(160, 280), horizon), fill=wall)
    if kind == PhotoKind.BEFORE:
        centre = rng.randint(150, width - 150)
        foot = height - rng.randint(25, 45)
        span, rise = rng.randint(110, 150), rng.randint(90, 120)
        # The heap: a mound of earthy browns, then lumps and a few bags on it.
        draw.polygon(
            [
                (centre - span, foot),
                (centre - span // 3, foot - rise),
                (centre + span // 2, foot - rise + 15),
                (centre + span, foot),
            ],
            fill=(120, 82, 45),
        )
        for _ in range(rng.randint(30, 45)):
            x = rng.randint(centre - span + 20, centre + span - 40)
            y = rng.randint(foot - rise + 10, foot - 15)
            size = rng.randint(14, 36)
            shade = rng.randint(90, 150)
            brown = (shade, int(shade * 0.68), int(shade * 0.38))
            draw.ellipse((x, y, x + size, y + size * 0.7), fill=brown)
        for _ in range(rng.randint(4, 8)):
            x = rng.randint(centre - span + 30, centre + span - 50)
            y = rng.randint(foot - rise + 20, foot - 25)
            bag = rng.choice(((235, 235, 230), (60, 90, 170), (30, 30, 35)))
            draw.ellipse((x, y, x + 22, y + 16), fill=bag)
    else:
        # Swept clean, with a strip of shrubs planted along the front.
        band = height - rng.randint(70, 85)
        draw.rectangle((0, band, width, band + 34), fill=(72, 145, 70))
        for x in range(-10, width, 28):
            draw.ellipse((x, band - 14, x + 36, band + 12), fill=(55, 125, 55))
    return image


@functools.cache
def _pictures() -> tuple[SharedPhoto, ...]:
    made = []
    for kind in (PhotoKind.BEFORE, PhotoKind.AFTER):
        for variant in range(PHOTO_VARIANTS):
            image = _scene(variant, kind)
            original = _jpeg(image, 80)
            image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
            made.append(SharedPhoto(kind, variant, original, _jpeg(image, 75)))
    return tuple(made)


def shared_photos() -> dict[tuple[str, int], SharedPhoto]:
    """The demo's pictures by (kind, variant); made once per process, no EXIF in any."""
    return {(p.kind, p.variant): p for p in _pictures()}


def write_shared_photos() -> int:
    """Write the shared pictures that are missing or differ; the number of files written."""
    written = 0
    for picture in _pictures():
        for key, content in picture.files().items():
            if private_storage.exists(key):
                with private_storage.open(key) as handle:
                    if handle.read() == content:
                        continue
                private_storage.delete(key)
            saved = private_storage.save(key, ContentFile(content))
            assert saved == key, (saved, key)  # the rows name exactly this key
            written += 1
    return written


# --- entry points ---------------------------------------------------------------------


def load_cases(
    *, root_code: str = data.ROOT_CODE, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Categories, calendar and (if the demo has none yet) its cases; counts of rows added."""
    created = {"case_categories": ensure_categories(), "holidays": ensure_holidays()}
    root = Region.objects.get(code=root_code, depth=1)
    if Case.objects.filter(region_path__startswith=root.path).exists():
        created["cases"] = 0
        # Put back any shared picture lost from the private media since.
        transaction.on_commit(write_shared_photos)
        return created
    world = world_for(root, index=1, now=now or timezone.now())
    counts = write_case_plans(plan_cases(world))
    created.update(counts)
    return created


def write_copy_cases(
    root: Region,
    *,
    index: int,
    now: datetime.datetime,
    calendar: dict[datetime.date, bool],
    tick: Tick = _noop,
) -> int:
    """The cases of a scaled copy; their photos share the demo's pictures (no files per copy)."""
    world = world_for(root, index=index, now=now, calendar=calendar)
    return write_case_plans(plan_cases(world), tick=tick)["cases"]


def delete_cases_under(paths: list[str]) -> int:
    """Delete the cases (and their events, photos, requests, escalations) under these paths.

    Files of photos added to them since are deleted after commit; the shared
    demo pictures stay (the demo's own cases and other copies show them).
    """
    cases = Case.objects.filter(path_prefix_q(paths, "region_path"))
    keys = {
        key
        for row in CasePhoto.objects.filter(case__in=cases).values_list(
            "original", "display", "thumbnail"
        )
        for key in row
        if key and not key.startswith(SHARED_PHOTO_PREFIX)
    }
    deleted, _ = cases.delete()
    if keys:
        transaction.on_commit(lambda: [private_storage.delete(k) for k in keys])
    return deleted
