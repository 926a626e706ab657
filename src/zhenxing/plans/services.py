"""Every write of the plans app: weekly targets, daily arrangements, progress reports.

House rules, as in `cases.services` and `inspections.services`:

- each function is keyword-only and takes the `actor` (None: trusted code
  with no person behind it, such as the demo loader, which skips the
  permission checks but never the rules);
- a guarded state change (cancelling an arrangement, a report closing one)
  locks its row (`select_for_update`) inside one transaction, checks the
  version the caller saw and writes with an UPDATE guarded by the version;
- every change writes an audit row (`plan.target`, `plan.import`,
  `plan.arrange`, `plan.arrangement_cancel`, `plan.report`).

A refused step raises `PermissionDenied` (the actor may not take it there),
`PlanConflict` (the thing moved on meanwhile: reload; HTTP 409) or
`PlanError` (a rule was broken; the message says which; HTTP 400).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.photos import (
    MAX_PHOTOS,
    ValidatedPhoto,
    derivatives_after_commit,
    files_removed_on_error,
    store_original,
)
from zhenxing.core import audit
from zhenxing.core.db import write_lock_busy_raises
from zhenxing.people.models import WorkTeam
from zhenxing.people.scopes import in_scope
from zhenxing.plans import permissions
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
from zhenxing.plans.tasks import make_progress_photo_derivatives
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import community_path

# What the decimal fields hold (max_digits 12, two places).
MAX_QUANTITY = Decimal("9999999999.99")
TWO_PLACES = Decimal("0.01")
# The furthest ahead an arrangement may be made: beyond a year a date is a typing error.
MAX_ARRANGE_AHEAD = datetime.timedelta(days=366)
NOTE_MAX = 500
# Weeks the plan can name at all: nothing before 2000, nothing more than ten years ahead.
# Checked before any date arithmetic, which overflows near the ends of the calendar.
EARLIEST_WEEK = datetime.date(2000, 1, 1)
WEEKS_AHEAD = datetime.timedelta(days=3653)
PEOPLE_NAMES_MAX = 200


class PlanError(Exception):
    """A rule of the plan was broken; the message is for the user."""


class PlanConflict(PlanError):
    """The thing changed since the caller looked at it, or the step was already taken."""


# --- helpers -----------------------------------------------------------------------


def _allowed(actor: Any, check: Callable[[], bool], message: str) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not check():
        raise PermissionDenied(message)


def _changed_meanwhile() -> PlanConflict:
    return PlanConflict(_("This arrangement was changed meanwhile; reload the page and try again."))


def _write_lock_busy_is_conflict() -> Any:
    return write_lock_busy_raises(
        lambda: PlanConflict(_("Someone else is saving the plan right now; try again."))
    )


def _quantity(value: Any, *, what: str) -> Decimal:
    """A non-negative amount with at most two decimals that the columns can hold."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PlanError(_("%(what)s must be a number.") % {"what": what}) from None
    if not number.is_finite():
        raise PlanError(_("%(what)s must be a number.") % {"what": what})
    if number < 0:
        raise PlanError(_("%(what)s cannot be negative.") % {"what": what})
    if number > MAX_QUANTITY:
        raise PlanError(_("%(what)s is too large.") % {"what": what})
    if number != number.quantize(TWO_PLACES):
        raise PlanError(_("%(what)s may have at most two decimals.") % {"what": what})
    return number.quantize(TWO_PLACES)


def _campaign_of(task_type: TaskType) -> Campaign:
    # `task_type.campaign` is cached when the caller selected it; one query otherwise.
    return task_type.campaign


def _active(task_type: TaskType) -> Campaign:
    campaign = _campaign_of(task_type)
    if not campaign.is_active:
        raise PlanError(
            _("The campaign “%(campaign)s” is closed: its plan cannot change.")
            % {"campaign": campaign.name}
        )
    return campaign


def _in_period(campaign: Campaign, day: datetime.date) -> bool:
    return day >= campaign.start and (campaign.end is None or day <= campaign.end)


def latest_week() -> datetime.date:
    return timezone.localdate() + WEEKS_AHEAD


def sane_week(week: datetime.date) -> bool:
    """A week the plan can name: from 2000-01-01 to ten years from today."""
    return EARLIEST_WEEK <= week <= latest_week()


def _week_in_period(campaign: Campaign, week: datetime.date) -> bool:
    """The week (Monday to Sunday) shares at least one day with the campaign."""
    if not sane_week(week):
        return False
    sunday = week + datetime.timedelta(days=6)
    return sunday >= campaign.start and (campaign.end is None or week <= campaign.end)


def _is_area(region: Region, depth: int) -> bool:
    return region.depth == depth


def _place(region: Region) -> Region:
    """An area, or a street right under an area: where work is arranged and reported."""
    depth = area_depth()
    if region.depth not in (depth, depth + 1):
        raise PlanError(_("Choose an area or a street of an area."))
    return region


def _team(team: WorkTeam | None, region: Region) -> WorkTeam | None:
    if team is None:
        return None
    # `team.region` is the community the team works for.
    if community_path(region.path) != team.region.path:
        raise PlanError(
            _("The team “%(team)s” does not work in this community.") % {"team": team.name}
        )
    return team


def _text(value: str, limit: int, message: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise PlanError(message)
    return value


# --- weekly targets -----------------------------------------------------------------


def _check_target(
    *, actor: Any, area: Region, task_type: TaskType, week: datetime.date, depth: int
) -> None:
    _allowed(
        actor,
        lambda: permissions.can_plan_at(actor, area),
        _("You may not set the plan of %(area)s.") % {"area": area.name},
    )
    if not _is_area(area, depth):
        raise PlanError(_("Weekly targets are set for areas only."))
    campaign = _active(task_type)
    if not _week_in_period(campaign, week):
        raise PlanError(
            _("The week of %(week)s lies outside the campaign “%(campaign)s”.")
            % {"week": week.isoformat(), "campaign": campaign.name}
        )


def _target_snapshot(target: WeeklyTarget | None) -> str | None:
    return None if target is None else str(target.quantity)


def target_set(
    *,
    actor: Any,
    area: Region,
    task_type: TaskType,
    week: datetime.date,
    quantity: Decimal | None,
) -> WeeklyTarget | None:
    """Set (or with None, remove) the target of an area for a task type in one week.

    `week` may be any day of the week: it is stored as its Monday.
    """
    week = monday_of(week)
    _check_target(actor=actor, area=area, task_type=task_type, week=week, depth=area_depth())
    if quantity is not None and str(quantity).strip() == "":
        quantity = None
    amount = None if quantity is None else _quantity(quantity, what=_("The target"))
    with _write_lock_busy_is_conflict(), transaction.atomic():
        existing = (
            WeeklyTarget.objects.select_for_update()
            .filter(area=area, task_type=task_type, week=week)
            .first()
        )
        before = _target_snapshot(existing)
        if amount is None:
            if existing is None:
                return None
            existing.delete()
            result = None
            obj: Any = area
        elif existing is None:
            result = WeeklyTarget.objects.create(
                area=area,
                region_path=area.path,
                task_type=task_type,
                week=week,
                quantity=amount,
                updated_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            obj = result
        else:
            if existing.quantity == amount:
                return existing
            existing.quantity = amount
            existing.region_path = area.path
            existing.updated_at = timezone.now()
            existing.updated_by = actor if getattr(actor, "is_authenticated", False) else None
            existing.save(update_fields=["quantity", "region_path", "updated_at", "updated_by"])
            result = obj = existing
        audit.record(
            actor=actor,
            action="plan.target",
            obj=obj,
            summary=_("Target of %(area)s for %(task)s in the week of %(week)s")
            % {"area": area.code, "task": task_type.name, "week": week.isoformat()},
            changes={
                "area": area.code,
                "task_type": task_type.code,
                "week": week.isoformat(),
                "quantity": [before, _target_snapshot(result)],
            },
        )
    return result


def targets_set_many(
    *,
    actor: Any,
    rows: Iterable[tuple[Region, TaskType, datetime.date, Decimal | None]],
) -> dict[str, int]:
    """Set many targets at once (the XLSX import): all or nothing, one audit row.

    Each row is (area, task type, week, quantity); None removes the target.
    Every row is checked as `target_set` checks one, before anything is written.
    """
    depth = area_depth()
    wanted: dict[tuple[int, int, datetime.date], tuple[Region, TaskType, Decimal | None]] = {}
    for area, task_type, week, quantity in rows:
        week = monday_of(week)
        _check_target(actor=actor, area=area, task_type=task_type, week=week, depth=depth)
        if quantity is not None and str(quantity).strip() == "":
            quantity = None
        amount = None if quantity is None else _quantity(quantity, what=_("The target"))
        key = (area.pk, task_type.pk, week)
        if key in wanted:
            raise PlanError(
                _("%(area)s appears twice for the week of %(week)s.")
                % {"area": area.code, "week": week.isoformat()}
            )
        wanted[key] = (area, task_type, amount)
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    if not wanted:
        return counts
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    with _write_lock_busy_is_conflict(), transaction.atomic():
        existing = {
            (t.area_id, t.task_type_id, t.week): t
            for t in WeeklyTarget.objects.select_for_update().filter(
                area_id__in={k[0] for k in wanted},
                task_type_id__in={k[1] for k in wanted},
                week__in={k[2] for k in wanted},
            )
        }
        create, update, delete = [], [], []
        for key, (area, task_type, amount) in wanted.items():
            current = existing.get(key)
            if amount is None:
                if current is None:
                    counts["unchanged"] += 1
                else:
                    delete.append(current.pk)
            elif current is None:
                create.append(
                    WeeklyTarget(
                        area=area,
                        region_path=area.path,
                        task_type=task_type,
                        week=key[2],
                        quantity=amount,
                        updated_at=now,
                        updated_by=user,
                    )
                )
            elif current.quantity == amount:
                counts["unchanged"] += 1
            else:
                current.quantity, current.region_path = amount, area.path
                current.updated_at, current.updated_by = now, user
                update.append(current)
        if create:
            WeeklyTarget.objects.bulk_create(create, batch_size=500)
        if update:
            WeeklyTarget.objects.bulk_update(
                update, ["quantity", "region_path", "updated_at", "updated_by"], batch_size=500
            )
        if delete:
            WeeklyTarget.objects.filter(pk__in=delete).delete()
        counts["created"], counts["updated"], counts["deleted"] = (
            len(create),
            len(update),
            len(delete),
        )
        task_types = sorted({tt.code for _a, tt, _q in wanted.values()})
        weeks = sorted({k[2] for k in wanted})
        campaign = _campaign_of(next(iter(wanted.values()))[1])
        audit.record(
            actor=actor,
            action="plan.import",
            obj=campaign,
            summary=_("Targets imported: %(created)d new, %(updated)d changed, %(deleted)d removed")
            % counts,
            changes={
                **counts,
                "task_types": task_types,
                "weeks": [weeks[0].isoformat(), weeks[-1].isoformat()],
                "areas": len({k[0] for k in wanted}),
            },
        )
    return counts


# --- daily arrangements -----------------------------------------------------------------


def arrangement_create(
    *,
    actor: Any,
    date: datetime.date,
    region: Region,
    task_type: TaskType,
    team: WorkTeam | None = None,
    people: Sequence[Any] = (),
    people_names: str = "",
    planned_quantity: Decimal | None = None,
    note: str = "",
) -> Arrangement:
    """Arrange a team (and people) to work on a task in an area or a street on a day."""
    _allowed(
        actor,
        lambda: permissions.can_plan_at(actor, region),
        _("You may not arrange work in %(place)s.") % {"place": region.name},
    )
    _place(region)
    campaign = _active(task_type)
    if not _in_period(campaign, date):
        raise PlanError(
            _("%(date)s lies outside the campaign “%(campaign)s”.")
            % {"date": date.isoformat(), "campaign": campaign.name}
        )
    if date > timezone.localdate() + MAX_ARRANGE_AHEAD:
        raise PlanError(_("Arrange work at most a year ahead."))
    team = _team(team, region)
    people = list(dict.fromkeys(people))
    for person in people:
        # Whoever is arranged sees it on their board: they must be able to read the place.
        if not getattr(person, "is_active", True) or not in_scope(person, region):
            raise PlanError(
                _("%(person)s cannot see %(place)s: arrange someone who works there.")
                % {"person": person.get_username(), "place": region.name}
            )
    people_names = _text(
        people_names, PEOPLE_NAMES_MAX, _("Keep the other names to 200 characters.")
    )
    note = _text(note, NOTE_MAX, _("Keep the note to 500 characters."))
    quantity = (
        None
        if planned_quantity is None or str(planned_quantity).strip() == ""
        else _quantity(planned_quantity, what=_("The planned quantity"))
    )
    with _write_lock_busy_is_conflict(), transaction.atomic():
        arrangement = Arrangement.objects.create(
            date=date,
            region=region,
            region_path=region.path,
            task_type=task_type,
            team=team,
            people_names=people_names,
            planned_quantity=quantity,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if people:
            arrangement.people.set(people)
        audit.record(
            actor=actor,
            action="plan.arrange",
            obj=arrangement,
            summary=_("%(task)s in %(place)s on %(date)s")
            % {"task": task_type.name, "place": region.name, "date": date.isoformat()},
            changes={
                "date": date.isoformat(),
                "place": region.code,
                "task_type": task_type.code,
                "team": team.name if team else None,
                "people": [p.get_username() for p in people],
                "people_names": people_names,
                "planned_quantity": None if quantity is None else str(quantity),
            },
        )
    return arrangement


def arrangement_cancel(
    *, actor: Any, arrangement: Arrangement, expected_version: int | None = None
) -> Arrangement:
    """Cancel a planned arrangement (one already done or cancelled stays as it is)."""
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = (
            Arrangement.objects.select_for_update(of=("self",))
            .select_related("region")
            .get(pk=arrangement.pk)
        )
        _allowed(
            actor,
            lambda: permissions.can_plan_at(actor, locked.region),
            _("You may not change the arrangements of %(place)s.") % {"place": locked.region.name},
        )
        if expected_version is not None and locked.version != expected_version:
            raise _changed_meanwhile()
        if locked.status != ArrangementStatus.PLANNED:
            raise PlanConflict(
                _("This arrangement is already done.")
                if locked.status == ArrangementStatus.DONE
                else _("This arrangement is already cancelled.")
            )
        updated = Arrangement.objects.filter(pk=locked.pk, version=locked.version).update(
            status=ArrangementStatus.CANCELLED, version=locked.version + 1
        )
        if not updated:  # pragma: no cover - the row lock makes this unreachable
            raise _changed_meanwhile()
        locked.status = ArrangementStatus.CANCELLED
        locked.version += 1
        audit.record(
            actor=actor,
            action="plan.arrangement_cancel",
            obj=locked,
            summary=_("Arrangement on %(date)s cancelled") % {"date": locked.date.isoformat()},
            changes={"status": [ArrangementStatus.PLANNED, ArrangementStatus.CANCELLED]},
        )
    return locked


# --- progress ---------------------------------------------------------------------------


def progress_report(
    *,
    actor: Any,
    date: datetime.date,
    region: Region,
    task_type: TaskType,
    quantity: Decimal,
    note: str = "",
    arrangement: Arrangement | None = None,
    team: WorkTeam | None = None,
    photos: Sequence[ValidatedPhoto] = (),
) -> ProgressReport:
    """Record a quantity done in an area or a street on a day; an arrangement named becomes done."""
    _allowed(
        actor,
        lambda: permissions.can_report_at(actor, region),
        _("You may not report progress in %(place)s.") % {"place": region.name},
    )
    _place(region)
    campaign = _active(task_type)
    if date > timezone.localdate():
        raise PlanError(_("Progress cannot be reported for a day still to come."))
    if not _in_period(campaign, date):
        raise PlanError(
            _("%(date)s lies outside the campaign “%(campaign)s”.")
            % {"date": date.isoformat(), "campaign": campaign.name}
        )
    amount = _quantity(quantity, what=_("The quantity done"))
    note = _text(note, NOTE_MAX, _("Keep the note to 500 characters."))
    if len(photos) > MAX_PHOTOS:
        raise PlanError(_("At most %(max)d photos at a time.") % {"max": MAX_PHOTOS})
    if team is None and arrangement is not None:
        team = arrangement.team
    team = _team(team, region)
    with _write_lock_busy_is_conflict(), files_removed_on_error(), transaction.atomic():
        if arrangement is not None:
            locked = Arrangement.objects.select_for_update().get(pk=arrangement.pk)
            if locked.region_id != region.pk or locked.task_type_id != task_type.pk:
                raise PlanError(_("This report does not match the arrangement's place and task."))
            if locked.status == ArrangementStatus.CANCELLED:
                raise PlanConflict(_("This arrangement was cancelled."))
            if locked.status == ArrangementStatus.PLANNED:
                updated = Arrangement.objects.filter(pk=locked.pk, version=locked.version).update(
                    status=ArrangementStatus.DONE, version=locked.version + 1
                )
                if not updated:  # pragma: no cover - the row lock makes this unreachable
                    raise _changed_meanwhile()
                locked.status, locked.version = ArrangementStatus.DONE, locked.version + 1
            arrangement = locked
        report = ProgressReport.objects.create(
            date=date,
            region=region,
            region_path=region.path,
            task_type=task_type,
            quantity=amount,
            arrangement=arrangement,
            team=team,
            note=note,
            reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        photo_ids = [
            ProgressPhoto.objects.create(
                report=report, **store_original(folder="plans", photo=photo, actor=actor)
            ).pk
            for photo in photos
        ]
        audit.record(
            actor=actor,
            action="plan.report",
            obj=report,
            summary=_("%(quantity)s of %(task)s in %(place)s on %(date)s")
            % {
                "quantity": amount,
                "task": task_type.name,
                "place": region.name,
                "date": date.isoformat(),
            },
            changes={
                "date": date.isoformat(),
                "place": region.code,
                "task_type": task_type.code,
                "quantity": str(amount),
                "arrangement": arrangement.pk if arrangement else None,
                "team": team.name if team else None,
                "photos": len(photo_ids),
            },
        )
        derivatives_after_commit(make_progress_photo_derivatives, photo_ids)
    return report
