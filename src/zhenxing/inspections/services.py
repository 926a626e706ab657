"""Every write of the inspections app: checklists, rounds, scores, findings, the embargo's end.

House rules, as in `cases.services`:

- each function is keyword-only and takes the `actor` (None: trusted code
  with no person behind it, such as the demo loader or the circular publisher
  that has already checked its own permission);
- a guarded state change locks its row (`select_for_update`) inside one
  transaction, checks the version the caller saw (`expected_version`) and the
  state on the locked row, and writes with an UPDATE guarded by the version,
  so that two concurrent writers cannot both win even on SQLite;
- every change writes an audit row (`inspection.submit`, `round.plan` …).

A refused step raises `PermissionDenied` (the actor may not take it),
`InspectionConflict` (the thing moved on meanwhile, or the step was already
taken: reload and look again; HTTP 409) or `InspectionError` (a rule was
broken; the message names the field and the fix; HTTP 400).

Checklists are versioned: only a draft changes. An active or retired version
is frozen, because inspections point at the exact version (and its items)
they were scored with; a change is a new version (`template_new_version`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Case, Category, Source
from zhenxing.cases.photos import (
    MAX_PHOTOS,
    PhotoError,
    ValidatedPhoto,
    derivatives_after_commit,
    files_removed_on_error,
    first_gps,
    private_storage,
    store_original,
    validate_photo,
)
from zhenxing.core import audit
from zhenxing.core.db import write_lock_busy_raises
from zhenxing.inspections import permissions
from zhenxing.inspections.models import (
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.inspections.selectors import draw_from, eligible_areas, templates_for_areas
from zhenxing.inspections.tasks import make_inspection_photo_derivatives
from zhenxing.people.models import Role
from zhenxing.people.scopes import (
    ALL,
    administers_whole_territory,
    office_admin_paths,
    role_regions,
)
from zhenxing.territory.lookup import find_area
from zhenxing.territory.models import Region, area_depth

# The furthest ahead a round may be planned: beyond a year a date is a typing error.
MAX_PLAN_AHEAD = datetime.timedelta(days=366)
# A count above this is a typing error (a spot counted 1000 times is a different problem).
MAX_COUNT = 999
# What the decimal fields can hold (max_digits 5 and 6, two places).
MAX_POINTS = Decimal("999.99")
MAX_TOTAL = Decimal("9999.99")
TWO_PLACES = Decimal("0.01")
MAX_ORDER = 32767  # a PositiveSmallIntegerField
SEED_MAX_LENGTH = InspectionRound._meta.get_field("draw_seed").max_length


class InspectionError(Exception):
    """A rule of the inspections was broken; the message is for the user."""


class InspectionConflict(InspectionError):
    """The thing changed since the caller looked at it, or the step was already taken."""


@dataclass(frozen=True)
class FindingInput:
    """One deduction as the inspector enters it: an item of the checklist, seen `count` times."""

    item: TemplateItem
    count: int
    note: str = ""
    lat: float | None = None
    lng: float | None = None
    photos: Sequence[ValidatedPhoto] = ()
    open_case: bool = False  # "one tap": open a case from this finding on submit


# --- helpers -----------------------------------------------------------------------


def _allowed(actor: Any, check: Callable[[], bool], message: str) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not check():
        raise PermissionDenied(message)


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _need(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InspectionError(message)
    return text


def _changed_meanwhile() -> InspectionConflict:
    return InspectionConflict(
        _("This was changed by someone else meanwhile; reload the page and try again.")
    )


def _write_lock_busy_is_conflict() -> contextlib.AbstractContextManager[None]:
    return write_lock_busy_raises(_changed_meanwhile)


def _administers_path(actor: Any, path: str) -> bool:
    paths = office_admin_paths(actor)
    return paths is ALL or any(path.startswith(p) for p in paths)


# --- checklists (templates) -------------------------------------------------------


def _may_manage_templates(actor: Any) -> None:
    _allowed(
        actor,
        lambda: permissions.can_manage_templates(actor),
        _("Only the office may change checklists."),
    )


def _locked_draft(template: InspectionTemplate) -> InspectionTemplate:
    """The template's row, locked; refused unless it is still a draft."""
    locked = InspectionTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.status != TemplateStatus.DRAFT:
        raise InspectionError(
            _(
                "“%(name)s” version %(version)d is no longer a draft (%(status)s) and can no "
                "longer be changed; make a new version and change that."
            )
            % {
                "name": locked.name,
                "version": locked.version,
                "status": locked.get_status_display(),
            }
        )
    return locked


def template_new_version(*, template: InspectionTemplate, actor: Any) -> InspectionTemplate:
    """A draft copy of `template` (items included) as the next version of the same checklist.

    One draft per checklist at a time: two drafts would compete to replace
    the same version, and edits to one would be lost when the other goes live.
    """
    _may_manage_templates(actor)
    with _write_lock_busy_is_conflict(), transaction.atomic():
        # Lock every version of this checklist: two people asking for a new
        # version at once must not both get the same number.
        versions = list(
            InspectionTemplate.objects.select_for_update().filter(code=template.code).order_by()
        )
        draft = next((t for t in versions if t.status == TemplateStatus.DRAFT), None)
        if draft is not None:
            raise InspectionConflict(
                _("Version %(version)d of this checklist is already a draft; edit that one.")
                % {"version": draft.version}
            )
        source = next((t for t in versions if t.pk == template.pk), None)
        if source is None:  # deleted meanwhile (a draft removed in the admin)
            raise _changed_meanwhile()
        try:
            with transaction.atomic():
                copy = InspectionTemplate.objects.create(
                    code=source.code,
                    version=max(t.version for t in versions) + 1,
                    name=source.name,
                    area_type=source.area_type,
                    status=TemplateStatus.DRAFT,
                    full_score=source.full_score,
                    notes=source.notes,
                    created_by=_person(actor),
                )
        except IntegrityError as exc:  # SQLite: a concurrent writer took the number
            raise _changed_meanwhile() from exc
        TemplateItem.objects.bulk_create(
            TemplateItem(
                template=copy,
                order=item.order,
                code=item.code,
                text=item.text,
                unit=item.unit,
                points_per_unit=item.points_per_unit,
                max_deduction=item.max_deduction,
                category=item.category,
            )
            for item in source.items.all()
        )
        audit.record(
            actor=actor,
            action="template.new_version",
            obj=copy,
            summary=_("New draft version %(version)d of checklist %(name)s")
            % {"version": copy.version, "name": copy.name},
            changes={"code": copy.code, "from_version": source.version, "version": copy.version},
        )
    return copy


def _points(value: Any, field: str, *, limit: Decimal) -> Decimal:
    try:
        points = Decimal(str(value).strip()).quantize(TWO_PLACES)
        if not points.is_finite():
            raise ValueError(value)
    except (InvalidOperation, ValueError):
        raise InspectionError(
            _("%(field)s must be a number of points, such as 2 or 0.5.") % {"field": field}
        ) from None
    if not Decimal("0") < points <= limit:
        raise InspectionError(
            _("%(field)s must be more than 0 and at most %(max)s.") % {"field": field, "max": limit}
        )
    return points


def template_item_save(
    *,
    template: InspectionTemplate,
    actor: Any,
    code: str,
    text: str,
    unit: str,
    points_per_unit: Decimal | int | str,
    max_deduction: Decimal | int | str | None,
    category: Category | None = None,
    order: int = 0,
    item: TemplateItem | None = None,
) -> TemplateItem:
    """Add an item to a draft checklist, or change one of its items (`item`)."""
    _may_manage_templates(actor)
    code = _need(code, _("Give the item a code, such as A01."))
    text = _need(text, _("Say what the item checks, such as “exposed garbage”."))
    unit = _need(unit, _("Give the unit that is counted, such as “spot”."))
    if len(code) > 20 or len(text) > 200 or len(unit) > 10:
        raise InspectionError(
            _("Keep the code to 20 characters, the item to 200 and the unit to 10.")
        )
    if not 0 <= order <= MAX_ORDER:
        raise InspectionError(
            _("The order must be a whole number from 0 to %(max)d.") % {"max": MAX_ORDER}
        )
    points = _points(points_per_unit, _("Points per unit"), limit=MAX_POINTS)
    cap = None
    if max_deduction not in (None, ""):
        cap = _points(max_deduction, _("Most points deducted"), limit=MAX_TOTAL)
        if cap < points:
            raise InspectionError(
                _(
                    "Most points deducted (%(cap)s) is less than the points for one unit "
                    "(%(points)s); raise it or leave it empty for no cap."
                )
                % {"cap": cap, "points": points}
            )
    if category is not None and (category.parent_id is None or not category.is_active):
        raise InspectionError(
            _("Choose a case category in use, and a sub-category rather than a main category.")
        )
    if item is not None and item.template_id != template.pk:
        raise InspectionError(_("This item belongs to another checklist."))
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = _locked_draft(template)
        if locked.items.filter(code=code).exclude(pk=item.pk if item else None).exists():
            raise InspectionError(
                _("This checklist already has an item with code %(code)s; choose another code.")
                % {"code": code}
            )
        fields = {
            "code": code,
            "text": text,
            "unit": unit,
            "points_per_unit": points,
            "max_deduction": cap,
            "category": category,
            "order": order,
        }
        if item is None:
            saved = TemplateItem.objects.create(template=locked, **fields)
            before: dict[str, Any] = {}
        else:
            found = TemplateItem.objects.filter(pk=item.pk, template=locked).first()
            if found is None:  # removed meanwhile
                raise _changed_meanwhile()
            saved = found
            before = audit.snapshot(saved)
            for name, value in fields.items():
                setattr(saved, name, value)
            saved.save()
        audit.record(
            actor=actor,
            action="template.item_save",
            obj=locked,
            summary=_("Checklist %(name)s v%(version)d: item %(code)s saved")
            % {"name": locked.name, "version": locked.version, "code": code},
            before=before,
            after=audit.snapshot(saved),
        )
    return saved


def template_item_delete(*, item: TemplateItem, actor: Any) -> None:
    """Remove an item from a draft checklist."""
    _may_manage_templates(actor)
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = _locked_draft(item.template)
        row = TemplateItem.objects.filter(pk=item.pk, template=locked).first()
        if row is None:
            raise _changed_meanwhile()
        before = audit.snapshot(row)
        row.delete()
        audit.record(
            actor=actor,
            action="template.item_delete",
            obj=locked,
            summary=_("Checklist %(name)s v%(version)d: item %(code)s removed")
            % {"name": locked.name, "version": locked.version, "code": row.code},
            before=before,
            after={},
        )


def template_activate(*, template: InspectionTemplate, actor: Any) -> InspectionTemplate:
    """Put a draft in use. The version it replaces, and any other checklist in use for the
    same area type (the general one: for areas without a checklist of their type), retire."""
    _may_manage_templates(actor)
    now = timezone.now()
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = InspectionTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.status == TemplateStatus.ACTIVE:
            raise InspectionConflict(_("This version is already in use."))
        if locked.status != TemplateStatus.DRAFT:
            raise InspectionError(
                _("A retired version cannot be put back in use; make a new version of it.")
            )
        if not locked.items.exists():
            raise InspectionError(_("Add at least one item before putting the checklist in use."))
        # The same checklist's version in use, and whatever serves the same area type.
        same_type = (
            Q(area_type__isnull=True)
            if locked.area_type_id is None
            else Q(area_type_id=locked.area_type_id)
        )
        retired = list(
            InspectionTemplate.objects.select_for_update()
            .filter(Q(status=TemplateStatus.ACTIVE) & (same_type | Q(code=locked.code)))
            .order_by()
        )
        # Retire first: the database allows one active version per checklist and per type.
        InspectionTemplate.objects.filter(pk__in=[t.pk for t in retired]).update(
            status=TemplateStatus.RETIRED, retired_at=now
        )
        updated = InspectionTemplate.objects.filter(
            pk=locked.pk, status=TemplateStatus.DRAFT
        ).update(status=TemplateStatus.ACTIVE, activated_at=now)
        if not updated:
            raise _changed_meanwhile()
        locked.status, locked.activated_at = TemplateStatus.ACTIVE, now
        audit.record(
            actor=actor,
            action="template.activate",
            obj=locked,
            summary=_("Checklist %(name)s v%(version)d put in use")
            % {"name": locked.name, "version": locked.version},
            changes={
                "status": [TemplateStatus.DRAFT, TemplateStatus.ACTIVE],
                "retired": [f"{t.code} v{t.version}" for t in retired],
            },
        )
    return locked


# --- rounds ------------------------------------------------------------------------


def _inspector_gap(user: Any, areas: Sequence[Region]) -> Region | None:
    """The first area this user is not an inspector of (None: they cover every one)."""
    if not getattr(user, "is_active", False):
        return areas[0] if areas else None
    paths = [r.path for r in role_regions(user, Role.INSPECTOR)]
    for area in areas:
        if not any(area.path.startswith(p) for p in paths):
            return area
    return None


def round_plan(
    *,
    actor: Any,
    date: datetime.date,
    scope: Region,
    inspectors: Sequence[Any],
    areas: Sequence[Region] = (),
    draw_count: int | None = None,
    seed: str | None = None,
    title: str = "",
    note: str = "",
) -> InspectionRound:
    """Plan a day's inspection of chosen areas, or of `draw_count` areas drawn at random.

    The areas lie under `scope`; every inspector holds the inspector role on
    a region covering every area (any of them may be sent anywhere in the
    round); each area is scored with the checklist in use for it, fixed now.
    Inspectors are assigned to the areas in turn, in path order. A draw
    without a seed gets a fresh random one; the seed is stored so anyone can
    re-run the draw (`selectors.draw_areas`).
    """
    _allowed(
        actor,
        lambda: permissions.can_plan_rounds(actor) and _administers_path(actor, scope.path),
        _("You may not plan rounds in %(scope)s.") % {"scope": scope.name},
    )
    title, note = (title or "").strip(), (note or "").strip()
    seed = (seed or "").strip() or None  # an empty form field: no seed given
    if len(title) > 100:
        raise InspectionError(_("Keep the title to 100 characters."))
    if len(note) > 2000:
        raise InspectionError(_("Keep the note to 2000 characters."))
    today = timezone.localdate()
    if date < today:
        raise InspectionError(_("The date of the round must be today or later."))
    if date > today + MAX_PLAN_AHEAD:
        raise InspectionError(
            _("A round may be planned at most %(days)d days ahead.") % {"days": MAX_PLAN_AHEAD.days}
        )
    if areas and draw_count is not None:
        raise InspectionError(
            _("Either choose the areas or give how many to draw at random, not both.")
        )
    if not areas and draw_count is None:
        raise InspectionError(
            _("Choose the areas to inspect, or give how many areas to draw at random.")
        )
    if seed is not None and draw_count is None:
        raise InspectionError(_("A draw seed is only used when the areas are drawn at random."))
    people = list({u.pk: u for u in inspectors}.values())  # once each, in the order given
    if not people:
        raise InspectionError(_("Choose at least one inspector for the round."))

    eligible: list[str] = []
    if draw_count is not None:
        seed = seed or secrets.token_hex(16)
        if len(seed) > SEED_MAX_LENGTH:
            raise InspectionError(
                _("Keep the draw seed to %(max)d characters, or leave it empty for a random one.")
                % {"max": SEED_MAX_LENGTH}
            )
        pool = list(eligible_areas(scope))
        eligible = [area.code for area in pool]
        if not pool:
            raise InspectionError(
                _("There is no area in %(scope)s to draw from; choose another scope.")
                % {"scope": scope.name}
            )
        if not 1 <= draw_count <= len(pool):
            raise InspectionError(
                _("Draw between 1 and %(max)d areas: that is how many areas %(scope)s has.")
                % {"max": len(pool), "scope": scope.name}
            )
        chosen = draw_from(pool, count=draw_count, seed=seed)
    else:
        # Fresh rows, in path order: the paths and depths as they are now.
        wanted = {a.pk for a in areas}
        chosen = list(Region.objects.filter(pk__in=wanted).order_by("path"))
        if len(chosen) != len(wanted):  # an area removed since the form was shown
            raise _changed_meanwhile()
        depth = area_depth()
        for area in chosen:
            if area.depth != depth:
                raise InspectionError(
                    _("%(region)s is not an area; choose areas only.") % {"region": area.name}
                )
            if not area.path.startswith(scope.path):
                raise InspectionError(
                    _("%(area)s lies outside %(scope)s; choose areas inside the scope.")
                    % {"area": area.name, "scope": scope.name}
                )
    for person in people:
        gap = _inspector_gap(person, chosen)
        if gap is not None:
            raise InspectionError(
                _(
                    "%(user)s is not an inspector for %(area)s; choose another inspector, "
                    "or give them the inspector role there."
                )
                % {"user": person, "area": gap.name}
            )
    templates = templates_for_areas(chosen)
    for area in chosen:
        if templates[area.pk] is None:
            raise InspectionError(
                _(
                    "No checklist is in use for %(area)s; put a checklist in use for its "
                    "area type, or a general one."
                )
                % {"area": area.name}
            )

    with transaction.atomic():
        round_ = InspectionRound.objects.create(
            date=date,
            title=title,
            scope=scope,
            drawn=draw_count is not None,
            draw_seed=seed or "",
            note=note,
            planned_by=_person(actor),
        )
        round_.inspectors.set(people)
        Inspection.objects.bulk_create(
            Inspection(
                round=round_,
                area=area,
                area_path=area.path,
                date=date,
                template=templates[area.pk],
                inspector=people[i % len(people)],
            )
            for i, area in enumerate(chosen)
        )
        changes: dict[str, Any] = {
            "date": date,
            "scope": scope.code,
            "areas": [a.code for a in chosen],
            "inspectors": [p.get_username() for p in people],
            "drawn": draw_count is not None,
        }
        if draw_count is not None:
            # The areas the draw was made from, as they were: the draw can be
            # re-checked from this row even after the territory changes.
            changes.update(seed=seed, count=draw_count, eligible=eligible)
        audit.record(
            actor=actor,
            action="round.plan",
            obj=round_,
            summary=_("Round on %(date)s planned: %(count)d areas")
            % {"date": date.isoformat(), "count": len(chosen)},
            changes=changes,
        )
    return round_


def round_cancel(
    *,
    round_: InspectionRound,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
) -> InspectionRound:
    """Cancel a planned round: its pending inspections become void; scored ones still count."""
    reason = _need(reason, _("Say why the round is cancelled."))
    if len(reason) > 200:
        raise InspectionError(_("Keep the reason to 200 characters."))
    now = timezone.now()
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = (
            InspectionRound.objects.select_for_update(of=("self",))
            .select_related("scope")
            .get(pk=round_.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise _changed_meanwhile()
        if locked.status != RoundStatus.PLANNED:
            raise InspectionConflict(_("This round is already cancelled."))
        _allowed(
            actor,
            lambda: permissions.can_change_round(actor, locked),
            _("You may not cancel this round."),
        )
        updated = InspectionRound.objects.filter(pk=locked.pk, version=locked.version).update(
            status=RoundStatus.CANCELLED,
            cancelled_at=now,
            cancel_reason=reason,
            version=locked.version + 1,
        )
        if not updated:
            raise _changed_meanwhile()
        voided = Inspection.objects.filter(round=locked, status=InspectionStatus.PENDING).update(
            status=InspectionStatus.VOID, void_reason=reason, version=F("version") + 1
        )
        if not voided:
            # Every area was scored (or voided) meanwhile: the round is done, not cancelled.
            # Raising here rolls the round's own update back.
            raise InspectionConflict(
                _("Every area of this round is scored or void: there is nothing to cancel.")
            )
        locked.status, locked.cancelled_at, locked.cancel_reason = (
            RoundStatus.CANCELLED,
            now,
            reason,
        )
        locked.version += 1
        audit.record(
            actor=actor,
            action="round.cancel",
            obj=locked,
            summary=_("Round on %(date)s cancelled") % {"date": locked.date.isoformat()},
            changes={
                "status": [RoundStatus.PLANNED, RoundStatus.CANCELLED],
                "reason": reason,
                "voided": voided,
            },
        )
    return locked


# --- scoring -----------------------------------------------------------------------


def _check_findings(inspection: Inspection, findings: Sequence[FindingInput]) -> list[FindingInput]:
    """The findings checked, each with its item as stored in the inspection's checklist.

    The items are read again: the points that count are the checklist's, not
    those of whatever object the caller happened to hold.
    """
    stored = TemplateItem.objects.in_bulk([f.item.pk for f in findings])
    findings = [replace(f, item=stored.get(f.item.pk, f.item)) for f in findings]
    seen: set[int] = set()
    for f in findings:
        name = f.item.text
        if f.item.template_id != inspection.template_id:
            raise InspectionError(
                _("“%(item)s” is not on this inspection's checklist; reload the form.")
                % {"item": name}
            )
        if f.item.pk in seen:
            raise InspectionError(
                _("“%(item)s” is entered twice; give one count per item.") % {"item": name}
            )
        seen.add(f.item.pk)
        if not isinstance(f.count, int) or not 1 <= f.count <= MAX_COUNT:
            raise InspectionError(
                _("The count for “%(item)s” must be a whole number from 1 to %(max)d.")
                % {"item": name, "max": MAX_COUNT}
            )
        if len(f.photos) > MAX_PHOTOS:
            raise InspectionError(
                _("At most %(max)d photos for “%(item)s”.") % {"max": MAX_PHOTOS, "item": name}
            )
        if len(f.note) > 500:
            raise InspectionError(
                _("Keep the note on “%(item)s” to 500 characters.") % {"item": name}
            )
        if f.open_case and f.item.category_id is None:
            raise InspectionError(_no_category(name))
    return findings


def _no_category(item: str) -> str:
    return _(
        "“%(item)s” has no case category, so no case can be opened from it; "
        "report the spot as a new case instead."
    ) % {"item": item}


def _store_photos(
    *,
    inspection: Inspection,
    finding: Finding | None,
    photos: Sequence[ValidatedPhoto],
    actor: Any,
) -> list[int]:
    return [
        InspectionPhoto.objects.create(
            inspection=inspection,
            finding=finding,
            **store_original(folder="inspections", photo=photo, actor=actor),
        ).pk
        for photo in photos
    ]


def inspection_submit(
    *,
    inspection: Inspection,
    actor: Any,
    findings: Sequence[FindingInput],
    lat: float | None = None,
    lng: float | None = None,
    note: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    expected_version: int | None = None,
) -> Inspection:
    """Score an inspection once: full score minus each item's (capped) deduction, never below 0.

    The findings, their photos and the cases asked for (`open_case`) are
    written in one transaction: a refused case refuses the whole score.
    """
    note = (note or "").strip()
    if len(note) > 2000:
        raise InspectionError(_("Keep the note to 2000 characters."))
    if len(photos) > MAX_PHOTOS:
        raise InspectionError(_("At most %(max)d photos of the whole area.") % {"max": MAX_PHOTOS})
    now = timezone.now()
    with _write_lock_busy_is_conflict(), files_removed_on_error(), transaction.atomic():
        locked = (
            Inspection.objects.select_for_update(of=("self",))
            .select_related("round", "template", "area")
            .get(pk=inspection.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise _changed_meanwhile()
        if locked.status == InspectionStatus.SUBMITTED:
            raise InspectionConflict(_("This inspection has already been scored."))
        if locked.status != InspectionStatus.PENDING or locked.round.status != RoundStatus.PLANNED:
            raise InspectionConflict(
                _("This inspection was cancelled; it can no longer be scored.")
            )
        # Before the permission (which refuses it too): say why. Once the week
        # is closed its figures are final and its circular may be out; a late
        # score would change nothing there and would hide the published week
        # from the community again. (A close racing this submit waits on this
        # row to void it, then finds it scored and counts it.)
        if permissions.week_closed_on(locked.date):
            raise InspectionError(
                _(
                    "The assessment week of %(date)s is closed and its figures are final; "
                    "this inspection can no longer be scored."
                )
                % {"date": locked.date.isoformat()}
            )
        _allowed(
            actor,
            lambda: permissions.can_score(actor, locked),
            _("You may not score this inspection."),
        )
        if locked.date > timezone.localdate():
            raise InspectionError(
                _("This inspection is planned for %(date)s; score it on that day.")
                % {"date": locked.date.isoformat()}
            )
        findings = _check_findings(locked, findings)
        deductions = [f.item.deduction_for(f.count).quantize(TWO_PLACES) for f in findings]
        total = sum(deductions, Decimal("0"))
        if total > MAX_TOTAL:
            raise InspectionError(
                _("The deductions add up to more than %(max)s points; check the counts.")
                % {"max": MAX_TOTAL}
            )
        score = max(Decimal("0"), locked.template.full_score - total).quantize(TWO_PLACES)
        inspector = locked.inspector if locked.inspector_id else _person(actor)
        updated = Inspection.objects.filter(pk=locked.pk, version=locked.version).update(
            status=InspectionStatus.SUBMITTED,
            deduction=total,
            score=score,
            inspected_at=now,
            lat=lat,
            lng=lng,
            note=note,
            inspector=inspector,
            version=locked.version + 1,
        )
        if not updated:
            raise _changed_meanwhile()
        locked.status, locked.deduction, locked.score = InspectionStatus.SUBMITTED, total, score
        locked.inspected_at, locked.lat, locked.lng, locked.note = now, lat, lng, note
        locked.inspector, locked.version = inspector, locked.version + 1

        photo_ids = _store_photos(inspection=locked, finding=None, photos=photos, actor=actor)
        created: list[tuple[Finding, FindingInput]] = []
        for f, points in zip(findings, deductions, strict=True):
            f_lat, f_lng = f.lat, f.lng
            if f_lat is None or f_lng is None:
                f_lat, f_lng = first_gps(f.photos) or (None, None)
            finding = Finding.objects.create(
                inspection=locked,
                item=f.item,
                count=f.count,
                deduction=points,
                note=f.note.strip(),
                lat=f_lat,
                lng=f_lng,
            )
            photo_ids += _store_photos(
                inspection=locked, finding=finding, photos=f.photos, actor=actor
            )
            created.append((finding, f))
        audit.record(
            actor=actor,
            action="inspection.submit",
            obj=locked,
            summary=_("Inspection of %(area)s on %(date)s scored %(score)s")
            % {"area": locked.area.name, "date": locked.date.isoformat(), "score": score},
            changes={
                "status": [InspectionStatus.PENDING, InspectionStatus.SUBMITTED],
                "deduction": total,
                "score": score,
                "findings": {f.item.code: f.count for f in findings},
                "photos": len(photo_ids),
            },
        )
        for finding, f in created:
            if f.open_case:
                _open_case(finding=finding, inspection=locked, actor=actor, description="")
        derivatives_after_commit(make_inspection_photo_derivatives, photo_ids)
    return locked


# --- findings → cases --------------------------------------------------------------


def _case_photos(finding: Finding) -> list[ValidatedPhoto]:
    """The finding's stored originals, checked again as if uploaded afresh.

    The case keeps its own copies: a case is seen by the community at once,
    while the inspection's photos stay under the embargo.
    """
    photos = []
    for photo in finding.photos.order_by("uploaded_at", "pk")[:MAX_PHOTOS]:
        try:
            with private_storage.open(photo.original, "rb") as handle:
                data = handle.read()
            extension = os.path.splitext(photo.original)[1]
            photos.append(validate_photo(ContentFile(data, name=f"{photo.token}{extension}")))
        except (OSError, PhotoError) as exc:
            raise InspectionError(
                _(
                    "A photo of this finding could not be read; try again later, or open "
                    "the case from the cases page with new photos."
                )
            ) from exc
    return photos


def _in_area(lat: float | None, lng: float | None, area: Region) -> tuple[float, float] | None:
    """(lat, lng) when given and the point → area lookup puts it in `area`; else None."""
    if lat is None or lng is None:
        return None
    try:
        found = find_area(lat, lng)
    except ValueError:  # not a position on Earth: as good as none
        return None
    return (lat, lng) if found is not None and found.pk == area.pk else None


def _case_place(finding: Finding, inspection: Inspection) -> tuple[float, float, str]:
    """Where a finding's case is filed: (lat, lng, address), always in the inspected area.

    The inspected area is authoritative: the score and the circular name it,
    and `case_report` files a case in whatever area its position falls in. A
    phone's fix off by a street, or a photo taken from the neighbouring
    area, would otherwise hand the case to another area or community. So the
    finding's position, else the inspection's, is used only when it lies in
    the inspected area; failing both, the area's centre (a point inside it),
    and the address says the pin stands for the whole area.
    """
    area = inspection.area
    for lat, lng in ((finding.lat, finding.lng), (inspection.lat, inspection.lng)):
        inside = _in_area(lat, lng, area)
        if inside is not None:
            return (*inside, "")
    centre = _in_area(area.centroid_lat, area.centroid_lng, area)
    if centre is None:
        raise InspectionError(
            _(
                "%(area)s has no usable boundary on the map, so the case cannot be placed in "
                "it; ask the office to fix the area's boundary, or report the spot as a new "
                "case instead."
            )
            % {"area": area.name}
        )
    address = _("Inspected area: %(area)s") % {"area": area.name}
    return (*centre, address)


def _open_case(*, finding: Finding, inspection: Inspection, actor: Any, description: str) -> Case:
    """File the finding's case; the caller has checked that `actor` may (score or open cases).

    The case is filed by nobody (`case_report(actor=None)`): its reporter and
    its first event would otherwise name the covert inspector to the
    community that must rectify it. The real actor is kept in the audit rows
    (`inspection.open_case`, `inspection.submit`), which communities do not see.
    """
    from zhenxing.cases.services import CaseError, case_report

    locked = (
        Finding.objects.select_for_update(of=("self",)).select_related("item").get(pk=finding.pk)
    )
    if locked.case_id is not None:
        raise InspectionConflict(
            _("A case was already opened from this finding: %(number)s.")
            % {"number": Case.objects.get(pk=locked.case_id).number}
        )
    item = locked.item
    if item.category_id is None:
        raise InspectionError(_no_category(item.text))
    lat, lng, address = _case_place(locked, inspection)
    text = (description or "").strip()
    if not text:
        # What was seen, never how many times nor the points: with the public
        # checklist, a count gives the embargoed score away.
        text = item.text
        if locked.note:
            text = f"{text}\n{locked.note}"
    try:
        case = case_report(
            actor=None,
            category=item.category,
            source=Source.INSPECTION,
            description=text,
            lat=lat,
            lng=lng,
            area=inspection.area,
            address=address,
            photos=_case_photos(locked),
        )
    except CaseError as exc:
        raise InspectionError(str(exc)) from exc
    if case.region_id != inspection.area_id:  # the map changed between the two lookups
        raise _changed_meanwhile()
    if not Finding.objects.filter(pk=locked.pk, case__isnull=True).update(case=case):
        raise _changed_meanwhile()
    finding.case = case
    audit.record(
        actor=actor,
        action="inspection.open_case",
        obj=inspection,
        summary=_("Case %(number)s opened from a finding (%(item)s)")
        % {"number": case.number, "item": item.text},
        changes={"finding": locked.pk, "item": item.code, "case": case.number},
    )
    return case


def finding_open_case(*, finding: Finding, actor: Any, description: str = "") -> Case:
    """Open a case (source: inspection) from a finding, with the finding's photos as before-photos.

    Where: the finding's position, else the inspection's, if it lies in the
    inspected area; else the area's centre (`_case_place`). One case per finding.
    """
    with _write_lock_busy_is_conflict(), files_removed_on_error(), transaction.atomic():
        inspection = (
            Inspection.objects.select_for_update(of=("self",))
            .select_related("area", "round")
            .get(pk=finding.inspection_id)
        )
        if inspection.status != InspectionStatus.SUBMITTED:
            raise InspectionConflict(
                _("This inspection is no longer scored; no case can be opened from it.")
            )
        _allowed(
            actor,
            lambda: permissions.can_open_case(actor, inspection),
            _("You may not open a case from this inspection."),
        )
        return _open_case(
            finding=finding, inspection=inspection, actor=actor, description=description
        )


def inspection_void(
    *,
    inspection: Inspection,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
) -> Inspection:
    """Void a score before it is released (it no longer counts); the reason is recorded.

    Cases opened from its findings stay open: the spots are still there.
    """
    reason = _need(reason, _("Say why the score is voided."))
    if len(reason) > 200:
        raise InspectionError(_("Keep the reason to 200 characters."))
    with _write_lock_busy_is_conflict(), transaction.atomic():
        locked = (
            Inspection.objects.select_for_update(of=("self",))
            .select_related("area")
            .get(pk=inspection.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise _changed_meanwhile()
        if locked.status == InspectionStatus.VOID:
            raise InspectionConflict(_("This inspection is already void."))
        if locked.status != InspectionStatus.SUBMITTED:
            raise InspectionError(
                _("Only a scored inspection can be voided; cancel the round instead.")
            )
        if locked.released_at is not None:
            raise InspectionError(
                _("This score was published in a circular and can no longer be voided.")
            )
        _allowed(
            actor,
            lambda: permissions.can_void(actor, locked),
            _("You may not void this inspection."),
        )
        updated = Inspection.objects.filter(pk=locked.pk, version=locked.version).update(
            status=InspectionStatus.VOID, void_reason=reason, version=locked.version + 1
        )
        if not updated:
            raise _changed_meanwhile()
        locked.status, locked.void_reason = InspectionStatus.VOID, reason
        locked.version += 1
        audit.record(
            actor=actor,
            action="inspection.void",
            obj=locked,
            summary=_("Score of %(area)s on %(date)s voided")
            % {"area": locked.area.name, "date": locked.date.isoformat()},
            changes={
                "status": [InspectionStatus.SUBMITTED, InspectionStatus.VOID],
                "score": locked.score,
                "reason": reason,
            },
        )
    return locked


def inspections_void_unscored(
    *,
    start: datetime.date,
    end: datetime.date,
    actor: Any,
    reason: str,
) -> int:
    """Void every pending inspection dated in [start, end) with `reason`; returns how many.

    Called by `assessment.services.period_close` when a week closes: an
    inspection of a closed week can no longer be scored (`inspection_submit`,
    `permissions.can_score`), so left pending it would sit on the inspectors'
    lists and in its round for ever. Scored ones are untouched. Each voided
    inspection gets its own audit row (`inspection.void_unscored`).
    """
    reason = _need(reason, _("Say why the inspections are voided."))
    if len(reason) > 200:
        raise InspectionError(_("Keep the reason to 200 characters."))
    # Every inspection of the period, whatever its area: the whole territory's office.
    _allowed(
        actor,
        lambda: administers_whole_territory(actor),
        _("You may not void inspections across the territory."),
    )
    with transaction.atomic():
        pending = list(
            Inspection.objects.select_for_update(of=("self",))
            .between(start, end)
            .filter(status=InspectionStatus.PENDING)
            .select_related("area")
            .order_by("date", "area_path", "pk")
        )
        voided = 0
        for inspection in pending:
            # Guarded by the status too: without row locks (SQLite) a submit
            # that won meanwhile keeps its score.
            if not Inspection.objects.filter(
                pk=inspection.pk, status=InspectionStatus.PENDING
            ).update(status=InspectionStatus.VOID, void_reason=reason, version=F("version") + 1):
                continue
            voided += 1
            audit.record(
                actor=actor,
                action="inspection.void_unscored",
                obj=inspection,
                summary=_("Unscored inspection of %(area)s on %(date)s voided")
                % {"area": inspection.area.name, "date": inspection.date.isoformat()},
                changes={
                    "status": [InspectionStatus.PENDING, InspectionStatus.VOID],
                    "reason": reason,
                },
            )
    return voided


# --- the end of the embargo --------------------------------------------------------


def inspections_release(
    *,
    start: datetime.date,
    end: datetime.date,
    scope_path: str,
    actor: Any,
    at: datetime.datetime | None = None,
) -> int:
    """Lift the embargo on the scored inspections dated in [start, end) under `scope_path`.

    Called by `circular_publish` for the circular's period and scope. Returns
    how many were released; released ones keep their first release time.
    """
    _allowed(
        actor,
        lambda: _administers_path(actor, scope_path),
        _("You may not release inspection results here."),
    )
    at = at or timezone.now()
    with transaction.atomic():
        count = (
            Inspection.objects.scored()
            .between(start, end)
            .under_any([scope_path])
            .filter(released_at__isnull=True)
            .update(released_at=at, version=F("version") + 1)
        )
        audit.record(
            actor=actor,
            action="inspection.release",
            summary=_("%(count)d inspection results released (%(start)s to %(end)s)")
            % {"count": count, "start": start.isoformat(), "end": end.isoformat()},
            changes={
                "start": start,
                "end": end,
                "scope": scope_path,
                "released": count,
                "at": at,
            },
        )
    return count
