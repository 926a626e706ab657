"""The demo's campaigns, plan table, daily arrangements and progress (一图一表).

`load_plans` (called by `load_guicheng` after the inspections) makes sure the
campaigns of `demo.plan_data` and their task types exist, inserting only what
is missing; their period runs from `WEEKS_BEFORE` weeks before the current
week to `WEEKS_AFTER` weeks after it. When the demo has no weekly targets yet
it then writes the history, relative to the day of that first load:

- a weekly target for every area and week of the period, for the task types
  that fit the area (by its demo area type and a hash of its code), around
  a quantity of the area's own;
- progress reports on a few working days of each past week (and of the
  current week so far), by the community's work team, some in the streets
  (街巷) under the area, a quarter with a photo. How much of its target an
  area does is its own pace (a few communities struggle): a week's
  completion lies between about 40% and 130%, so the battle map has colours
  and some areas are behind this week's pace;
- daily arrangements of every community's work team over the last
  `ARRANGED_DAYS` days: most done (each linked to the report it led to),
  some cancelled, some still planned (late); and today's: a few planned,
  one done already, so that the team leader's and the secretary's today's
  board is full whatever the day.

The rows are bulk-inserted with their `region_path` and Monday weeks, as the
services would store them, without an audit row each: the caller records
one summary audit row. Deterministic for a given day and database (seeded
random), except the photo tokens. The photos share the cases demo's
pictures (`cases.shared_photos`), so they cost no files of their own.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhenxing.cases.models import PhotoKind
from zhenxing.cases.photos import new_token
from zhenxing.cases.workdays import is_working_day
from zhenxing.demo import data
from zhenxing.demo import plan_data as spec
from zhenxing.demo.cases import PHOTO_SIZE, load_calendar, shared_photos, write_shared_photos
from zhenxing.demo.inspections import area_type_for
from zhenxing.people.models import Role, RoleAssignment, User, WorkTeam
from zhenxing.plans.models import (
    Arrangement,
    ArrangementStatus,
    Campaign,
    ProgressPhoto,
    ProgressReport,
    TaskType,
    WeeklyTarget,
    monday_of,
)
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import community_path

WEEKS_BEFORE = 12
WEEKS_AFTER = 8
# Days before today with arrangements (today's are added on top).
ARRANGED_DAYS = 14
# A week of an area and task type without a target now and then (the team is elsewhere).
TARGET_GAP_SHARE = 0.05
# Report days per area, task type and week (at most the week's working days).
REPORT_DAYS = (1, 3)
STREET_SHARE = 0.6
PHOTO_SHARE = 0.25
# Arrangements per team and day: done (drawn from the day's reports), and today's planned.
DONE_PER_DAY = (2, 4)
TODAY_PLANNED = (3, 5)
LATE_SHARE = 0.3
CANCELLED_SHARE = 0.12
# Completion of a week's target stays within these bounds.
COMPLETION = (0.38, 1.32)
STRUGGLING_COMMUNITIES = 3

HISTORY_KEYS = ("weekly_targets", "arrangements", "progress_reports", "progress_photos")


def _digest(text: str) -> int:
    # Not Python's hash(): that changes from one process to the next.
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _at(day: datetime.date, minutes: float) -> datetime.datetime:
    """`minutes` after local midnight of `day`, to the second, as an aware datetime."""
    midnight = datetime.datetime.combine(
        day, datetime.time(), tzinfo=timezone.get_default_timezone()
    )
    return midnight + datetime.timedelta(seconds=round(minutes * 60))


def campaign_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The demo campaigns' period: Monday `WEEKS_BEFORE` weeks ago to Sunday `WEEKS_AFTER` ahead."""
    current = monday_of(today)
    start = current - datetime.timedelta(weeks=WEEKS_BEFORE)
    end = current + datetime.timedelta(weeks=WEEKS_AFTER, days=6)
    return start, end


# --- reference data -----------------------------------------------------------------


def ensure_campaigns(today: datetime.date) -> dict[str, int]:
    """The demo campaigns (by code or name) and their task types (by code); others stay."""
    start, end = campaign_period(today)
    existing = {c.code: c for c in Campaign.objects.all()}
    names = {c.name for c in existing.values()}
    campaigns = 0
    for order, c in enumerate(spec.CAMPAIGNS, start=1):
        if c.code in existing or c.name in names:
            continue
        existing[c.code] = Campaign.objects.create(
            code=c.code, name=c.name, description=c.description, start=start, end=end, order=order
        )
        campaigns += 1
    have = set(TaskType.objects.values_list("campaign__code", "code"))
    task_types = [
        TaskType(campaign=existing[c.code], code=t.code, name=t.name, unit=t.unit, order=order)
        for c in spec.CAMPAIGNS
        if c.code in existing
        for order, t in enumerate(c.tasks, start=1)
        if (c.code, t.code) not in have
    ]
    TaskType.objects.bulk_create(task_types)
    return {"campaigns": campaigns, "task_types": len(task_types)}


# --- the history -----------------------------------------------------------------------


@dataclass
class _Task:
    pk: int
    spec: spec.TaskSpec
    start: datetime.date
    end: datetime.date | None


@dataclass
class _Place:
    pk: int
    path: str
    name: str


@dataclass
class _Area:
    pk: int
    code: str
    path: str
    name: str
    community: str
    lat: float | None
    lng: float | None
    streets: list[_Place]
    # How much of its targets the area does, typically (1 = all).
    pace: float = 1.0
    # Task pk → weekly base quantity (only the task types it takes part in).
    base: dict[int, float] = field(default_factory=dict)


@dataclass
class _Team:
    pk: int
    community: str
    leader: int | None
    planner: int | None


def _quantise(value: float, step: Decimal, minimum: int = 0) -> Decimal:
    steps = max(minimum, int(Decimal(str(value / float(step))).to_integral_value(ROUND_HALF_UP)))
    return (step * steps).quantize(Decimal("0.01"))


def _person_name(rng: random.Random) -> str:
    surnames, weights = zip(*data.SURNAMES, strict=True)
    pool = data.GIVEN_MALE if rng.random() < 0.55 else data.GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
    return rng.choices(surnames, weights=weights)[0] + given


class _History:
    """Plans the targets, reports and arrangements of the demo, then writes them."""

    def __init__(self, root: Region, today: datetime.date) -> None:
        self.root = root
        self.today = today
        self.now = timezone.now()
        self.start, self.end = campaign_period(today)
        self.current = monday_of(today)
        self.calendar = load_calendar()
        self.tasks = self._tasks()
        self.areas = self._areas()
        self.teams = self._teams()
        self.pictures = [
            picture
            for (kind, _variant), picture in sorted(shared_photos().items())
            if kind == PhotoKind.AFTER
        ]
        self.targets: list[WeeklyTarget] = []
        # (area pk, task pk, week) → target quantity
        self.target_of: dict[tuple[int, int, datetime.date], Decimal] = {}
        self.reports: list[ProgressReport] = []
        self.arrangements: list[Arrangement] = []
        self.people: dict[int, list[int]] = {}  # id(arrangement) → user pks
        self.photos: list[tuple[ProgressReport, Any]] = []

    # --- what there is -------------------------------------------------------------

    def _tasks(self) -> list[_Task]:
        specs = {(c.code, t.code): t for c in spec.CAMPAIGNS for t in c.tasks}
        tasks = []
        for task in TaskType.objects.filter(campaign__is_active=True).select_related("campaign"):
            task_spec = specs.get((task.campaign.code, task.code))
            if task_spec is not None:
                tasks.append(_Task(task.pk, task_spec, task.campaign.start, task.campaign.end))
        return sorted(tasks, key=lambda t: t.pk)

    def _areas(self) -> list[_Area]:
        depth = area_depth()
        regions = list(
            Region.objects.subtree(self.root)
            .filter(depth__in=(depth, depth + 1))
            .order_by("path")
            .values("pk", "code", "path", "name", "depth", "centroid_lat", "centroid_lng")
        )
        areas: dict[str, _Area] = {}
        for r in regions:
            if r["depth"] == depth:
                areas[r["path"]] = _Area(
                    pk=r["pk"],
                    code=r["code"],
                    path=r["path"],
                    name=r["name"],
                    community=community_path(r["path"]),
                    lat=r["centroid_lat"],
                    lng=r["centroid_lng"],
                    streets=[],
                )
        for r in regions:
            if r["depth"] == depth + 1:
                parent = r["path"][: r["path"].rstrip("/").rfind("/") + 1]
                if parent in areas:
                    areas[parent].streets.append(_Place(r["pk"], r["path"], r["name"]))
        communities = sorted({a.community for a in areas.values()})
        rng = random.Random("zhenxing-demo:plans:communities")
        struggling = set(rng.sample(communities, k=min(STRUGGLING_COMMUNITIES, len(communities))))
        community_pace = {
            c: rng.uniform(0.5, 0.65) if c in struggling else rng.uniform(0.75, 1.15)
            for c in communities
        }
        for area in areas.values():
            area_rng = random.Random(f"zhenxing-demo:plans:area:{area.code}")
            area.pace = community_pace[area.community] * area_rng.uniform(0.85, 1.15)
            kind = area_type_for(area.code)
            for task in self.tasks:
                share = task.spec.shares.get(kind, task.spec.other)
                point = _digest(f"zhenxing-demo:plans:{area.code}:{task.spec.code}") % 1000
                if point < share * 1000:
                    low, high = task.spec.weekly
                    area.base[task.pk] = area_rng.uniform(low, high)
        return list(areas.values())

    def _teams(self) -> dict[str, _Team]:
        """The work team of each community (the first by name), with who plans for it."""
        planners: dict[str, int] = {}
        for region_path, user in (
            RoleAssignment.objects.filter(
                role__in=(Role.SECRETARY, Role.OFFICE_ADMIN),
                region__path__startswith=self.root.path,
                user__is_active=True,
            )
            .order_by("region__depth", "pk")
            .values_list("region__path", "user_id")
        ):
            planners.setdefault(region_path, user)
        office = planners.get(self.root.path)
        if office is None:
            office = (
                User.objects.filter(is_superuser=True, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
        teams: dict[str, _Team] = {}
        for pk, path, leader in (
            WorkTeam.objects.filter(region__path__startswith=self.root.path)
            .order_by("region__path", "name")
            .values_list("pk", "region__path", "leader_id")
        ):
            if path not in teams:
                teams[path] = _Team(pk, path, leader, planners.get(path, office))
        return teams

    # --- planning ------------------------------------------------------------------

    def weeks(self) -> list[datetime.date]:
        count = WEEKS_BEFORE + 1 + WEEKS_AFTER
        return [self.start + datetime.timedelta(weeks=i) for i in range(count)]

    def plan_targets(self) -> None:
        by_pk = {t.pk: t for t in self.tasks}
        for area in self.areas:
            for task_pk, base in area.base.items():
                task = by_pk[task_pk]
                rng = random.Random(f"zhenxing-demo:plans:targets:{area.code}:{task.spec.code}")
                for week in self.weeks():
                    if week < monday_of(task.start) or (task.end and week > task.end):
                        continue
                    if rng.random() < TARGET_GAP_SHARE:
                        continue
                    quantity = _quantise(
                        base * rng.uniform(0.85, 1.15), spec.TARGET_STEP[task.spec.unit], 1
                    )
                    self.target_of[(area.pk, task_pk, week)] = quantity
                    self.targets.append(
                        WeeklyTarget(
                            area_id=area.pk,
                            region_path=area.path,
                            task_type_id=task_pk,
                            week=week,
                            quantity=quantity,
                            updated_at=_at(week - datetime.timedelta(days=3), 16 * 60),
                            updated_by_id=self._planner(area),
                        )
                    )

    def _planner(self, area: _Area) -> int | None:
        team = self.teams.get(area.community)
        return team.planner if team else None

    def _report(
        self,
        rng: random.Random,
        area: _Area,
        task: _Task,
        day: datetime.date,
        quantity: Decimal,
        minutes: float,
    ) -> ProgressReport:
        place = (
            rng.choice(area.streets)
            if area.streets and rng.random() < STREET_SHARE
            else _Place(area.pk, area.path, area.name)
        )
        team = self.teams.get(area.community)
        report = ProgressReport(
            date=day,
            region_id=place.pk,
            region_path=place.path,
            task_type_id=task.pk,
            quantity=quantity,
            team_id=team.pk if team else None,
            note=rng.choice(spec.REPORT_NOTES),
            reported_by_id=(team.leader or team.planner) if team else None,
            reported_at=min(_at(day, minutes), self.now),
        )
        # The place's name, for the arrangement that may be linked to it.
        report._demo_place = place  # type: ignore[attr-defined]
        self.reports.append(report)
        if self.pictures and rng.random() < PHOTO_SHARE:
            self.photos.append((report, self.pictures[rng.randrange(len(self.pictures))]))
        return report

    def plan_reports(self) -> None:
        """Past weeks: each area's pace of its target; the current week: up to yesterday."""
        by_pk = {t.pk: t for t in self.tasks}
        for area in self.areas:
            for task_pk in area.base:
                task = by_pk[task_pk]
                rng = random.Random(f"zhenxing-demo:plans:reports:{area.code}:{task.spec.code}")
                step = spec.REPORT_STEP[task.spec.unit]
                for week in self.weeks():
                    if week > self.current:
                        break
                    target = self.target_of.get((area.pk, task_pk, week))
                    completion = min(
                        max(area.pace * rng.uniform(0.85, 1.18), COMPLETION[0]), COMPLETION[1]
                    )
                    if target is None:
                        continue
                    workdays = [
                        d
                        for d in (week + datetime.timedelta(days=i) for i in range(7))
                        if is_working_day(d, self.calendar)
                    ]
                    days = [d for d in workdays if d < self.today]
                    if not days:
                        continue
                    # This week so far: the share of the working days gone.
                    elapsed = len(days) / len(workdays)
                    steps = int(float(target) * completion * elapsed / float(step) + 0.5)
                    count = min(len(days), rng.randint(*REPORT_DAYS), max(steps, 0))
                    if count == 0:
                        continue
                    chosen = sorted(rng.sample(days, count))
                    split = [1] * count
                    for _ in range(steps - count):
                        split[rng.randrange(count)] += 1
                    for day, n in zip(chosen, split, strict=True):
                        self._report(rng, area, task, day, step * n, rng.uniform(15.5, 19) * 60)

    def _arrangement(
        self,
        rng: random.Random,
        team: _Team,
        day: datetime.date,
        task: _Task,
        place: _Place,
        planned: Decimal | None,
        status: str,
    ) -> Arrangement:
        note = rng.choice(task.spec.notes).format(place=place.name) if task.spec.notes else ""
        helpers = [_person_name(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.4:
            helpers.append(f"{rng.choice(spec.NAMED_HELPERS)}{rng.randint(2, 6)}人")
        arrangement = Arrangement(
            date=day,
            region_id=place.pk,
            region_path=place.path,
            task_type_id=task.pk,
            team_id=team.pk,
            people_names="、".join(helpers),
            planned_quantity=planned,
            note=note,
            status=status,
            created_by_id=team.planner,
            # Arranged the afternoon before.
            created_at=min(_at(day - datetime.timedelta(days=1), 17 * 60), self.now),
            version=1 if status == ArrangementStatus.PLANNED else 2,
        )
        self.arrangements.append(arrangement)
        if team.leader is not None and (day >= self.today or rng.random() < 0.7):
            self.people[id(arrangement)] = [team.leader]
        return arrangement

    def plan_arrangements(self) -> None:
        by_pk = {t.pk: t for t in self.tasks}
        areas_of: dict[str, list[_Area]] = defaultdict(list)
        for area in self.areas:
            if area.base:
                areas_of[area.community].append(area)
        reports_on: dict[tuple[str, datetime.date], list[ProgressReport]] = defaultdict(list)
        first_day = self.today - datetime.timedelta(days=ARRANGED_DAYS)
        for report in self.reports:
            if report.date >= first_day:
                reports_on[(community_path(report.region_path), report.date)].append(report)
        for community, team in sorted(self.teams.items()):
            areas = areas_of.get(community)
            if not areas:
                continue
            rng = random.Random(f"zhenxing-demo:plans:arrangements:{community}")
            # The areas furthest behind first: that is where a community sends its team.
            behind = sorted(areas, key=lambda a: (a.pace, a.code))
            for offset in range(ARRANGED_DAYS, 0, -1):
                day = self.today - datetime.timedelta(days=offset)
                done = reports_on.get((community, day), [])
                for report in rng.sample(done, min(len(done), rng.randint(*DONE_PER_DAY))):
                    task = by_pk[report.task_type_id]
                    planned = _quantise(
                        float(report.quantity) * rng.uniform(0.9, 1.3),
                        spec.REPORT_STEP[task.spec.unit],
                        1,
                    )
                    report.arrangement = self._arrangement(
                        rng,
                        team,
                        day,
                        task,
                        report._demo_place,  # type: ignore[attr-defined]
                        planned,
                        ArrangementStatus.DONE,
                    )
                if not is_working_day(day, self.calendar):
                    continue
                for status, share in (
                    (ArrangementStatus.PLANNED, LATE_SHARE * (1.6 if behind[0].pace < 0.7 else 1)),
                    (ArrangementStatus.CANCELLED, CANCELLED_SHARE),
                ):
                    if rng.random() < share:
                        area = rng.choice(behind[:3])
                        self._open(rng, team, day, area, status)
            # Today: a few planned where the community is behind, one done already.
            count = rng.randint(*TODAY_PLANNED)
            picks = [behind[i % len(behind)] for i in range(count)]
            for i, area in enumerate(picks):
                arrangement = self._open(rng, team, self.today, area, ArrangementStatus.PLANNED)
                if i == 0 and arrangement is not None:
                    self._done_today(rng, area, arrangement)

    def _open(
        self, rng: random.Random, team: _Team, day: datetime.date, area: _Area, status: str
    ) -> Arrangement | None:
        """An arrangement with no report (yet) on a task the area has a target for that week."""
        week = monday_of(day)
        tasks = [t for t in self.tasks if (area.pk, t.pk, week) in self.target_of]
        if not tasks:
            return None
        task = rng.choice(tasks)
        target = self.target_of[(area.pk, task.pk, week)]
        place = (
            rng.choice(area.streets)
            if area.streets and rng.random() < STREET_SHARE
            else _Place(area.pk, area.path, area.name)
        )
        planned = _quantise(float(target) / rng.uniform(2, 4), spec.REPORT_STEP[task.spec.unit], 1)
        return self._arrangement(rng, team, day, task, place, planned, status)

    def _done_today(self, rng: random.Random, area: _Area, arrangement: Arrangement) -> None:
        """The morning's first job of the day is done and reported already."""
        task = next(t for t in self.tasks if t.pk == arrangement.task_type_id)
        arrangement.status = ArrangementStatus.DONE
        arrangement.version = 2
        quantity = arrangement.planned_quantity or spec.REPORT_STEP[task.spec.unit]
        report = self._report(rng, area, task, self.today, quantity, rng.uniform(8.5, 10) * 60)
        report.region_id = arrangement.region_id
        report.region_path = arrangement.region_path
        report.arrangement = arrangement

    # --- writing -----------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        WeeklyTarget.objects.bulk_create(self.targets, batch_size=2000)
        Arrangement.objects.bulk_create(self.arrangements, batch_size=2000)
        through = Arrangement.people.through
        through.objects.bulk_create(
            (
                through(arrangement_id=a.pk, user_id=user)
                for a in self.arrangements
                for user in self.people.get(id(a), ())
            ),
            batch_size=2000,
        )
        for report in self.reports:
            if report.arrangement is not None:
                report.arrangement_id = report.arrangement.pk
        ProgressReport.objects.bulk_create(self.reports, batch_size=2000)
        area_at = {a.pk: (a.lat, a.lng) for a in self.areas}
        photos = []
        for report, picture in self.photos:
            lat, lng = area_at.get(report.region_id, (None, None))
            photos.append(
                ProgressPhoto(
                    report=report,
                    token=new_token(),
                    original=picture.original_key,
                    content_type="image/jpeg",
                    size=len(picture.original),
                    width=PHOTO_SIZE[0],
                    height=PHOTO_SIZE[1],
                    sha256=picture.sha256,
                    display=picture.display_key,
                    thumbnail=picture.thumbnail_key,
                    taken_at=report.reported_at - datetime.timedelta(minutes=30),
                    lat=lat,
                    lng=lng,
                    uploaded_by_id=report.reported_by_id,
                    uploaded_at=report.reported_at,
                )
            )
        ProgressPhoto.objects.bulk_create(photos, batch_size=2000)
        if photos:
            # The pictures are the cases demo's; written after commit, as there.
            transaction.on_commit(write_shared_photos)
        return {
            "weekly_targets": len(self.targets),
            "arrangements": len(self.arrangements),
            "progress_reports": len(self.reports),
            "progress_photos": len(photos),
        }


# --- entry point ---------------------------------------------------------------------------


def load_plans(*, root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """Campaigns and task types, and (when the demo has no targets yet) the history."""
    root = Region.objects.get(code=root_code, depth=1)
    today = timezone.localdate()
    created = ensure_campaigns(today)
    if WeeklyTarget.objects.filter(region_path__startswith=root.path).exists():
        return {**created, **dict.fromkeys(HISTORY_KEYS, 0)}
    history = _History(root, today)
    history.plan_targets()
    history.plan_reports()
    history.plan_arrangements()
    created.update(history.write())
    return created
