"""Assessment fixtures: cases and inspections made directly with the ORM, at given times.

The indicators are computed from case events, so these factories write a
case together with the events the services would have written (same kinds,
statuses and `data` keys), but at any moment in the past and without the
services' checks: a test states a timeline and reads the figures.

Fixtures (all on top of the shared `world`):

- `at(day, hour=12, minute=0)`: an aware datetime in the site's time zone;
  `day` is a `date` or a day of November 2026 (int).
- `week47`: the Period of ISO week 2026-W47, Mon 16 – Sun 22 Nov 2026
  (`end` = Mon 23 Nov). Not closed.
- `frozen`: time frozen (not ticking) at Wed 25 Nov 2026 10:00, after W47.
- `category`: the sub-category 环境卫生 / 暴露垃圾 (HJ01).
- `scheme(**weights)`: makes the one active Scheme with these weights
  (indicator → number); with no arguments every indicator weighs 1.
- `make_case(area, *, reported, ...)`: a case and its events (see below).
- `make_inspection(area, day, score, status="submitted")`: one inspection
  of its own round, the given score (deduction = 100 − score).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

W47_START = datetime.date(2026, 11, 16)
W47_END = datetime.date(2026, 11, 23)


def at(day: datetime.date | int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """A moment in the site's time zone; an int `day` is a day of November 2026."""
    if isinstance(day, int):
        day = datetime.date(2026, 11, day)
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone()
    )


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(at(25, 10), tick=False)
    return time_machine


@pytest.fixture
def week47(db):
    from zhenxing.assessment.models import Period

    return Period.objects.create(kind="week", start=W47_START, end=W47_END)


@pytest.fixture
def category(db):
    from zhenxing.cases.models import Category

    main = Category.objects.create(code="HJ", name="环境卫生")
    return Category.objects.create(parent=main, code="HJ01", name="暴露垃圾")


@pytest.fixture
def scheme(db) -> Callable[..., Any]:
    """`scheme(closure_rate=1, inspection_score=3)`: the active scheme, these weights only."""
    from zhenxing.assessment.models import Indicator, IndicatorWeight, Scheme

    counter = itertools.count(1)

    def make(**weights: float | int) -> Scheme:
        Scheme.objects.filter(is_active=True).update(is_active=False)
        made = Scheme.objects.create(name=f"test scheme {next(counter)}", is_active=True)
        chosen = weights or {indicator: 1 for indicator in Indicator.values}
        IndicatorWeight.objects.bulk_create(
            IndicatorWeight(scheme=made, indicator=k, weight=Decimal(str(v)))
            for k, v in chosen.items()
        )
        return made

    return make


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(datetime.UTC).isoformat() if moment else None


@pytest.fixture
def make_case(world, category) -> Callable[..., Any]:
    """Make a case with its events, as if the services had written them at these times.

    make_case(area, *, reported,
              dispatched=None, deadline=None,   # accepted and dispatched at `dispatched`
              department=None,                  # dispatched to it; else to the area itself
              rectified=(), failed=(),          # 'rectified' / 'verify_failed' (→ rework) events
              closed=None,                      # 'verified' (→ closed) event
              rejected=None,                    # 'rejected' (→ rejected) event
              deferred=None,                    # deferral approved (→ deferred)
              resumed=None,                     # (when, new deadline): resumed (→ rectifying)
              extended=None,                    # (when, new deadline): extension approved
              sent_back=None,                   # send-back approved (→ accepted, no deadline)
              redispatched=None,                # (when, deadline, department-or-None)
              escalated=None,                   # 'escalated' event (no status change)
              relapse_of=None, closed_on_time=None, number=None)

    Events are replayed in time order (ties in the order above) to give the
    case's current fields: status, deadline, assignee, rectified/closed
    times, rework count and escalation level. `closed_on_time` follows the
    services' rule (last rectification by the deadline in force, never
    escalated) unless given.
    """
    from zhenxing.cases.models import Case, CaseEvent, EventKind, Source, Status
    from zhenxing.people.models import Department

    counter = itertools.count(1)

    def make(
        area: Any,
        *,
        reported: datetime.datetime,
        dispatched: datetime.datetime | None = None,
        deadline: datetime.datetime | None = None,
        department: Any = None,
        rectified: Sequence[datetime.datetime] = (),
        failed: Sequence[datetime.datetime] = (),
        closed: datetime.datetime | None = None,
        rejected: datetime.datetime | None = None,
        deferred: datetime.datetime | None = None,
        resumed: tuple[datetime.datetime, datetime.datetime] | None = None,
        extended: tuple[datetime.datetime, datetime.datetime] | None = None,
        sent_back: datetime.datetime | None = None,
        redispatched: tuple[datetime.datetime, datetime.datetime, Any] | None = None,
        escalated: datetime.datetime | None = None,
        relapse_of: Any = None,
        closed_on_time: bool | None = None,
        number: str | None = None,
    ) -> Case:
        # (time, order, kind, to_status or None for "unchanged" / "" for none, data)
        steps: list[tuple[datetime.datetime, int, str, str | None, dict[str, Any]]] = []
        seq = itertools.count()

        def step(moment: datetime.datetime, kind: str, to: str | None, data: dict | None = None):
            steps.append((moment, next(seq), kind, to, data or {}))

        def target(dept: Any) -> dict[str, Any]:
            if dept is not None:
                return {"to": str(dept), "to_kind": "department", "to_id": dept.pk}
            return {"to": str(area), "to_kind": "region", "to_id": area.pk}

        if rejected is not None:
            step(rejected, EventKind.REJECTED, Status.REJECTED)
        if dispatched is not None:
            step(dispatched, EventKind.ACCEPTED, Status.ACCEPTED)
            step(
                dispatched,
                EventKind.DISPATCHED,
                Status.DISPATCHED,
                {**target(department), "deadline": _iso(deadline)},
            )
        for moment in rectified:
            step(moment, EventKind.RECTIFIED, Status.RECTIFIED)
        for moment in failed:
            step(moment, EventKind.VERIFY_FAILED, Status.REWORK)
        if closed is not None:
            step(closed, EventKind.VERIFIED, Status.CLOSED)
        if deferred is not None:
            step(
                deferred,
                EventKind.REQUEST_APPROVED,
                Status.DEFERRED,
                {"request": "deferral", "approved": True},
            )
        if resumed is not None:
            step(resumed[0], EventKind.RESUMED, Status.RECTIFYING, {"deadline": _iso(resumed[1])})
        if extended is not None:
            step(
                extended[0],
                EventKind.REQUEST_APPROVED,
                None,
                {"request": "extension", "approved": True, "deadline": _iso(extended[1])},
            )
        if sent_back is not None:
            step(
                sent_back,
                EventKind.REQUEST_APPROVED,
                Status.ACCEPTED,
                {"request": "send_back", "approved": True},
            )
        if redispatched is not None:
            when, new_deadline, dept = redispatched
            step(
                when,
                EventKind.DISPATCHED,
                Status.DISPATCHED,
                {**target(dept), "deadline": _iso(new_deadline)},
            )
        if escalated is not None:
            step(escalated, EventKind.ESCALATED, "", {"level": 1})
        steps.sort(key=lambda s: (s[0], s[1]))

        # Replay to the case's current fields.
        status = Status.REPORTED
        current_deadline = None
        assignee: dict[str, Any] = {"assigned_region": None, "assigned_department": None}
        dispatched_at = rectified_at = closed_at = None
        level = 0
        events = []
        for moment, _order, kind, to, data in steps:
            before = status
            if kind == EventKind.DISPATCHED:
                current_deadline = _parse(data["deadline"])
                dispatched_at = moment
                is_dept = data["to_kind"] == "department"
                assignee = {
                    "assigned_region": None if is_dept else area,
                    "assigned_department": (
                        Department.objects.get(pk=data["to_id"]) if is_dept else None
                    ),
                }
            elif "deadline" in data:
                current_deadline = _parse(data["deadline"])
            elif data.get("request") == "send_back":
                current_deadline = None
                dispatched_at = None
                assignee = {"assigned_region": None, "assigned_department": None}
            if kind == EventKind.RECTIFIED:
                rectified_at = moment
            if kind in (EventKind.VERIFIED, EventKind.REJECTED):
                closed_at = moment
            if kind == EventKind.ESCALATED:
                level = 1
            if to:
                status = to
            events.append(
                {
                    "kind": kind,
                    "from_status": before if to != "" else "",
                    "to_status": status if to != "" else "",
                    "data": {k: v for k, v in data.items() if v is not None},
                    "at": moment,
                }
            )
        on_time = None
        if status == Status.CLOSED:
            on_time = closed_on_time
            if on_time is None:
                on_time = (
                    current_deadline is None
                    or (rectified_at is not None and rectified_at <= current_deadline)
                ) and level == 0

        case = Case.objects.create(
            number=number or f"C{next(counter):05d}",
            category=category,
            source=Source.OFFICE,
            status=status,
            description="test",
            lat=area.centroid_lat or 23.0,
            lng=area.centroid_lng or 113.0,
            region=area,
            region_path=area.path,
            reported_at=reported,
            deadline=current_deadline,
            dispatched_at=dispatched_at,
            rectified_at=rectified_at,
            closed_at=closed_at,
            closed_on_time=on_time,
            rework_count=len(failed),
            escalation_level=level,
            escalated_at=escalated,
            relapse_of=relapse_of,
            **assignee,
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    kind=EventKind.REPORTED,
                    to_status=Status.REPORTED,
                    at=reported,
                )
            ]
            + [CaseEvent(case=case, **event) for event in events]
        )
        return case

    return make


def _parse(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


@pytest.fixture
def make_inspection(world) -> Callable[..., Any]:
    """make_inspection(area, day, score, status="submitted") → an Inspection of its own round.

    `day` is a date or a day of November 2026; `score` None for a pending one.
    """
    from zhenxing.inspections.models import (
        Inspection,
        InspectionRound,
        InspectionStatus,
        InspectionTemplate,
        TemplateStatus,
    )

    template = InspectionTemplate.objects.create(
        code="GEN", name="通用检查表", status=TemplateStatus.ACTIVE
    )

    def make(
        area: Any,
        day: datetime.date | int,
        score: float | int | None,
        status: str = InspectionStatus.SUBMITTED,
    ) -> Inspection:
        if isinstance(day, int):
            day = datetime.date(2026, 11, day)
        round_ = InspectionRound.objects.create(date=day, scope=world.root)
        value = None if score is None else Decimal(str(score))
        return Inspection.objects.create(
            round=round_,
            area=area,
            area_path=area.path,
            date=day,
            template=template,
            status=status,
            score=value,
            deduction=Decimal("100") - value if value is not None else Decimal("0"),
            inspected_at=at(day, 10) if value is not None else None,
        )

    return make
