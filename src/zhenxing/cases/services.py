"""Every write to a case: intake and each step of the closed loop (DOMAIN.md §3).

Each transition is one function that

1. locks the case row (`select_for_update`) inside one transaction,
2. checks the version the caller saw (`expected_version`), the current
   status and the actor's right to this step, on the locked row,
3. writes the new state with a version-guarded UPDATE — so that even where
   row locks do not exist (SQLite) two concurrent steps cannot both win —,
4. records a `CaseEvent` (actor, from, to, note, photos) and an audit row,
5. notifies the people the case now waits for, after commit.

A refused step raises `PermissionDenied` (the actor may not take it),
`CaseConflict` (the case moved on meanwhile: reload and look again) or
`CaseError` (a rule of the loop was broken; the message says which).
`actor=None` means trusted code with no person behind it (the escalation
job, the demo loader).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases import permissions
from zhenxing.cases.models import (
    CLOCK_STATES,
    FINAL_STATES,
    Case,
    CaseEvent,
    CaseRequest,
    Category,
    Escalation,
    EventKind,
    PhotoKind,
    RequestKind,
    RequestStatus,
    Source,
    Status,
)
from zhenxing.cases.photos import (
    MAX_PHOTOS,
    ValidatedPhoto,
    files_removed_on_error,
    first_gps,
    save_photos,
)
from zhenxing.cases.selectors import relapse_origin, responsible_users
from zhenxing.cases.workdays import deadline_for
from zhenxing.core import audit
from zhenxing.core.db import write_lock_busy_raises
from zhenxing.people.models import Department, WorkTeam
from zhenxing.territory.lookup import find_area
from zhenxing.territory.models import Region

logger = logging.getLogger(__name__)

# The furthest ahead a deadline or a requested date may lie. Beyond a year a
# date is a typing error, and far enough (year 9999) it cannot even be shown.
MAX_DEADLINE_AHEAD = datetime.timedelta(days=366)


class CaseError(Exception):
    """A rule of the case loop was broken; the message is for the user."""


class CaseConflict(CaseError):
    """The case changed since the caller looked at it; nothing was written."""


def _allowed(actor: Any, check: Callable[[], bool]) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not check():
        raise PermissionDenied(_("You may not take this step on this case."))


def _recipients(case: Case, actor: Any) -> list[Any]:
    """Who hears of the step just written: whom the case now waits for.

    Once rejected or closed it waits for nobody, but its reporter (one with a
    login, still active) is told how it ended, unless they ended it themselves.
    """
    users = responsible_users(case)
    if case.status in FINAL_STATES and case.reporter_id is not None:
        reporter = case.reporter
        actor_pk = actor.pk if getattr(actor, "is_authenticated", False) else None
        if reporter is not None and reporter.is_active and reporter.pk != actor_pk:
            users.append(reporter)
    return users


def _notify_later(case: Case, kind: str, actor: Any) -> None:
    """After commit, tell the people this step left the case waiting for.

    The recipients are worked out now, inside the transaction and after the
    write, and the message from a copy of the case as this step left it: by
    commit time another step may have moved the case on, and the message and
    its recipients must describe the same step.
    """
    users = _recipients(case, actor)
    snapshot = copy.copy(case)

    def send() -> None:
        from zhenxing.notify.services import notify_case

        notify_case(case=snapshot, kind=kind, users=users)

    transaction.on_commit(send, robust=True)


def _within_reach(value: datetime.datetime | None, past_message: str) -> None:
    """A deadline or requested date must lie ahead, and at most MAX_DEADLINE_AHEAD ahead."""
    if value is None:
        return
    if value <= timezone.now():
        raise CaseError(past_message)
    _not_too_far(value)


def _not_too_far(value: datetime.datetime) -> None:
    if value > timezone.now() + MAX_DEADLINE_AHEAD:
        raise CaseError(
            _("A date may lie at most %(days)d days ahead.") % {"days": MAX_DEADLINE_AHEAD.days}
        )


def _changed_meanwhile(number: str) -> CaseConflict:
    return CaseConflict(
        _("Case %(number)s was changed by someone else meanwhile; reload it and try again.")
        % {"number": number}
    )


def _write_lock_busy_is_conflict(case: Case) -> contextlib.AbstractContextManager[None]:
    return write_lock_busy_raises(lambda: _changed_meanwhile(case.number))


def _placeholder_number() -> str:
    # Unique until the row has its primary key, from which the number is built.
    return "T" + secrets.token_hex(9)


def _final_number(case: Case) -> str:
    local = timezone.localtime(case.reported_at)
    return f"{local:%Y%m%d}{case.pk:06d}"


def _event(
    case: Case,
    *,
    kind: str,
    actor: Any,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        at=at or timezone.now(),
    )


# --- intake -------------------------------------------------------------------


def case_report(
    *,
    actor: Any,
    category: Category,
    source: str,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    area: Region | None = None,
    address: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    reporter_name: str = "",
    reporter_mobile: str = "",
    at: datetime.datetime | None = None,
) -> Case:
    """File a new case. The area comes from the location.

    The location is the map pin (`lat`/`lng`); failing that, the GPS of the
    first photo that has one; failing that, the centre of the `area` chosen
    beside a typed address. A case at the place and category of one closed
    within the category's relapse window is linked to it as a relapse.
    """
    at = at or timezone.now()
    if category.parent_id is None:
        raise CaseError(_("Choose a sub-category, not a main category."))
    if not category.is_active:
        raise CaseError(_("This category is no longer in use."))
    if len(photos) > MAX_PHOTOS:
        raise CaseError(_("At most %(max)d photos per step.") % {"max": MAX_PHOTOS})
    if source not in Source.values:
        raise CaseError(_("Unknown source."))
    if actor is not None and source not in permissions.sources_for(actor):
        raise PermissionDenied(_("You may not file a case from this source."))
    if source != Source.RESIDENT and (reporter_name.strip() or reporter_mobile.strip()):
        raise CaseError(_("A reporter's name and mobile belong to a resident's report only."))

    if lat is None or lng is None:
        gps = first_gps(photos)
        if gps is not None:
            lat, lng = gps
        elif area is not None and area.centroid_lat is not None:
            lat, lng = area.centroid_lat, area.centroid_lng
        else:
            raise CaseError(
                _("Give the location: a pin on the map, a photo with GPS, or the area and address.")
            )
    found = find_area(lat, lng)
    if found is None:
        raise CaseError(_("This location lies outside the territory."))
    # A pin and a chosen area that disagree: the pin wins, the area was a guess.
    area = found
    _allowed(actor, lambda: permissions.can_report_at(actor, area))

    with files_removed_on_error(), transaction.atomic():
        relapse = relapse_origin(category=category, lat=lat, lng=lng, region_path=area.path, at=at)
        case = Case.objects.create(
            number=_placeholder_number(),
            category=category,
            source=source,
            status=Status.REPORTED,
            description=description,
            address=address,
            lat=lat,
            lng=lng,
            region=area,
            region_path=area.path,
            reporter=actor if getattr(actor, "is_authenticated", False) else None,
            reporter_name=reporter_name,
            reporter_mobile=reporter_mobile,
            reported_at=at,
            relapse_of=relapse,
        )
        case.number = _final_number(case)
        Case.objects.filter(pk=case.pk).update(number=case.number)
        event = _event(
            case,
            kind=EventKind.REPORTED,
            actor=actor,
            to_status=Status.REPORTED,
            note=description,
            data={"relapse_of": relapse.number} if relapse else {},
            at=at,
        )
        save_photos(case=case, event=event, kind=PhotoKind.BEFORE, photos=photos, actor=actor)
        audit.record(
            actor=actor,
            action="case.report",
            obj=case,
            summary=_("Case %(number)s reported: %(category)s")
            % {"number": case.number, "category": category},
            changes={
                "source": source,
                "area": area.code,
                "photos": len(photos),
                **({"relapse_of": relapse.number} if relapse else {}),
            },
        )
        _notify_later(case, EventKind.REPORTED, actor)
    return case


def case_add_report(
    *,
    case: Case,
    actor: Any,
    description: str,
    photos: Sequence[ValidatedPhoto] = (),
) -> CaseEvent:
    """Add a further report (and photos) to an open case instead of filing a duplicate."""
    _allowed(actor, lambda: permissions.can_add_report(actor, case))
    if len(photos) > MAX_PHOTOS:
        raise CaseError(_("At most %(max)d photos per step.") % {"max": MAX_PHOTOS})
    with _write_lock_busy_is_conflict(case), files_removed_on_error(), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise CaseConflict(_("This case was closed meanwhile; file a new case instead."))
        Case.objects.filter(pk=case.pk).update(
            report_count=F("report_count") + 1, updated_at=timezone.now()
        )
        case.report_count = locked.report_count + 1  # the row is locked: nobody else moved it
        event = _event(case, kind=EventKind.REPORT_ADDED, actor=actor, note=description)
        save_photos(case=case, event=event, kind=PhotoKind.BEFORE, photos=photos, actor=actor)
        audit.record(
            actor=actor,
            action="case.add_report",
            obj=case,
            summary=_("Further report added to case %(number)s") % {"number": case.number},
            changes={"photos": len(photos)},
        )
    return event


# --- the transition engine ------------------------------------------------------


def _transition(
    case: Case,
    *,
    actor: Any,
    allowed_from: set[str] | frozenset[str],
    to: str | None,
    kind: str,
    may: Callable[[Case], bool],
    note: str = "",
    expected_version: int | None = None,
    changes: Callable[[Case], dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
    photos: Sequence[ValidatedPhoto] = (),
    photo_kind: str = PhotoKind.OTHER,
    check: Callable[[Case], None] | None = None,
    after: Callable[[Case, CaseEvent], None] | None = None,
) -> Case:
    """Lock, check, write, record: the one way a case's status changes."""
    if len(photos) > MAX_PHOTOS:
        raise CaseError(_("At most %(max)d photos per step.") % {"max": MAX_PHOTOS})
    with _write_lock_busy_is_conflict(case), files_removed_on_error(), transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related(
                "category__parent", "assigned_team__region", "assigned_region", "region"
            )
            .get(pk=case.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise _changed_meanwhile(locked.number)
        if locked.status not in allowed_from:
            raise CaseConflict(
                _("Case %(number)s is now “%(status)s”; this step no longer applies.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        _allowed(actor, lambda: may(locked))
        if check is not None:
            check(locked)
        before_status = locked.status
        fields = dict(changes(locked) if changes else {})
        if to is not None:
            fields["status"] = to
        fields["version"] = locked.version + 1
        fields["updated_at"] = timezone.now()
        updated = Case.objects.filter(pk=locked.pk, version=locked.version).update(**fields)
        if updated != 1:
            raise _changed_meanwhile(locked.number)
        for name, value in fields.items():
            setattr(locked, name, value)
        event = _event(
            locked,
            kind=kind,
            actor=actor,
            from_status=before_status,
            to_status=locked.status,
            note=note,
            data=data,
        )
        save_photos(case=locked, event=event, kind=photo_kind, photos=photos, actor=actor)
        if after is not None:
            after(locked, event)
        audit.record(
            actor=actor,
            action=f"case.{kind}",
            obj=locked,
            summary=f"{locked.number}: {EventKind(kind).label}",
            changes={
                "status": [before_status, locked.status],
                **({"note": note} if note else {}),
                **(data or {}),
            },
        )
        _notify_later(locked, kind, actor)
    # The caller's object follows the row it changed.
    for name in [f.attname for f in Case._meta.concrete_fields]:
        setattr(case, name, getattr(locked, name))
    return case


def _utc_iso(moment: datetime.datetime) -> str:
    # Event details store instants one way (UTC), whatever zone computed them.
    return moment.astimezone(datetime.UTC).isoformat()


def _record_deadline(c: Case, event: CaseEvent) -> None:
    """Keep the deadline a step set in its event, so the timeline explains every deadline."""
    event.data = {**event.data, "deadline": _utc_iso(c.deadline)}
    event.save(update_fields=["data"])


def _need(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseError(message)
    return text


# --- dispatcher's steps ---------------------------------------------------------


def case_accept(
    *, case: Case, actor: Any, note: str = "", expected_version: int | None = None
) -> Case:
    """立案: the report is a real problem for the campaign."""
    return _transition(
        case,
        actor=actor,
        allowed_from={Status.REPORTED},
        to=Status.ACCEPTED,
        kind=EventKind.ACCEPTED,
        may=lambda c: permissions.can_dispatch(actor, c),
        note=note,
        expected_version=expected_version,
        changes=lambda c: {"accepted_at": timezone.now()},
    )


def case_reject(
    *, case: Case, actor: Any, reason: str, expected_version: int | None = None
) -> Case:
    """不予立案, with the reason the reporter will see."""
    reason = _need(reason, _("Say why the case is not accepted."))
    return _transition(
        case,
        actor=actor,
        allowed_from={Status.REPORTED},
        to=Status.REJECTED,
        kind=EventKind.REJECTED,
        may=lambda c: permissions.can_dispatch(actor, c),
        note=reason,
        expected_version=expected_version,
        changes=lambda c: {"closed_at": timezone.now()},
    )


def _assignment(target: Region | WorkTeam | Department) -> dict[str, Any]:
    return {
        "assigned_region": target if isinstance(target, Region) else None,
        "assigned_team": target if isinstance(target, WorkTeam) else None,
        "assigned_department": target if isinstance(target, Department) else None,
    }


def _describe_target(target: Region | WorkTeam | Department) -> dict[str, Any]:
    kind = (
        "department"
        if isinstance(target, Department)
        else "team"
        if isinstance(target, WorkTeam)
        else "region"
    )
    return {"to": str(target), "to_kind": kind, "to_id": target.pk}


def case_dispatch(
    *,
    case: Case,
    actor: Any,
    to: Region | WorkTeam | Department,
    deadline: datetime.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """派遣 to a community or area, a team or a department, with the category's deadline.

    A dispatcher may set another deadline, but never one already past nor
    more than MAX_DEADLINE_AHEAD ahead.
    """
    now = timezone.now()
    _within_reach(deadline, _("The deadline must lie in the future."))

    def changes(c: Case) -> dict[str, Any]:
        due = deadline or deadline_for(c.category, now)
        _not_too_far(due)  # a category's time limit of over a year
        return {**_assignment(to), "deadline": due, "dispatched_at": now}

    return _transition(
        case,
        actor=actor,
        allowed_from={Status.ACCEPTED},
        to=Status.DISPATCHED,
        kind=EventKind.DISPATCHED,
        may=lambda c: permissions.can_dispatch_to(actor, c, to),
        note=note,
        expected_version=expected_version,
        changes=changes,
        data=_describe_target(to),
        after=_record_deadline,
    )


# --- handler's steps ------------------------------------------------------------


def case_start(
    *, case: Case, actor: Any, note: str = "", expected_version: int | None = None
) -> Case:
    """处置中: the handler takes the case up (after dispatch, or after a failed verification)."""
    return _transition(
        case,
        actor=actor,
        allowed_from={Status.DISPATCHED, Status.REWORK},
        to=Status.RECTIFYING,
        kind=EventKind.STARTED,
        may=lambda c: permissions.is_handler(actor, c),
        note=note,
        expected_version=expected_version,
    )


def case_rectify(
    *,
    case: Case,
    actor: Any,
    note: str,
    photos: Sequence[ValidatedPhoto] = (),
    expected_version: int | None = None,
) -> Case:
    """已反馈: the handler reports the spot fixed, with after-photos if the category needs them."""
    note = _need(note, _("Say what was done."))

    def check(c: Case) -> None:
        if c.category.after_photo_required and not photos:
            raise CaseError(_("This category needs at least one after-photo."))

    def withdraw_requests(c: Case, event: CaseEvent) -> None:
        # Fixed is fixed: a pending extension or deferral has nothing left to decide.
        c.requests.filter(status=RequestStatus.PENDING).update(
            status=RequestStatus.WITHDRAWN, decided_at=timezone.now()
        )

    return _transition(
        case,
        actor=actor,
        allowed_from=CLOCK_STATES,
        to=Status.RECTIFIED,
        after=withdraw_requests,
        kind=EventKind.RECTIFIED,
        may=lambda c: permissions.is_handler(actor, c),
        note=note,
        expected_version=expected_version,
        photos=photos,
        photo_kind=PhotoKind.AFTER,
        check=check,
        changes=lambda c: {
            "rectified_at": timezone.now(),
            "rectified_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )


def case_verify(
    *,
    case: Case,
    actor: Any,
    passed: bool,
    note: str = "",
    photos: Sequence[ValidatedPhoto] = (),
    expected_version: int | None = None,
) -> Case:
    """核查: pass closes the case (结案); fail sends it back to rework (返工) with a reason."""
    now = timezone.now()
    if not passed:
        note = _need(note, _("Say what is still wrong, so the handler can put it right."))

    def outcome(c: Case) -> dict[str, Any]:
        if not passed:
            return {"rework_count": c.rework_count + 1}
        # 按期结案: rectified by the deadline in force, and never escalated on
        # the way (a send-back or a deferral after an overdue spell does not
        # make the case punctual).
        rectified_in_time = c.deadline is None or (
            c.rectified_at is not None and c.rectified_at <= c.deadline
        )
        return {"closed_at": now, "closed_on_time": rectified_in_time and c.escalation_level == 0}

    def resolve(c: Case, event: CaseEvent) -> None:
        if passed:
            _resolve_escalations(c, now)

    return _transition(
        case,
        actor=actor,
        allowed_from={Status.RECTIFIED},
        to=Status.CLOSED if passed else Status.REWORK,
        kind=EventKind.VERIFIED if passed else EventKind.VERIFY_FAILED,
        may=lambda c: permissions.can_verify(actor, c),
        note=note,
        expected_version=expected_version,
        photos=photos,
        changes=outcome,
        after=resolve,
    )


# --- requests that need approval --------------------------------------------------

REQUEST_EVENTS = {
    RequestKind.SEND_BACK: EventKind.SEND_BACK_REQUESTED,
    RequestKind.EXTENSION: EventKind.EXTENSION_REQUESTED,
    RequestKind.DEFERRAL: EventKind.DEFERRAL_REQUESTED,
}


def case_request(
    *,
    case: Case,
    actor: Any,
    kind: str,
    reason: str,
    until: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> CaseRequest:
    """The handler asks to send the case back (回退), for more time (延期) or to defer it (缓办)."""
    reason = _need(reason, _("Give the reason for the request."))
    if kind not in RequestKind.values:
        raise CaseError(_("Unknown request."))
    if kind == RequestKind.EXTENSION and until is None:
        raise CaseError(_("Give the new deadline you ask for."))
    _within_reach(until, _("The date asked for must lie in the future."))
    created: list[CaseRequest] = []

    def check(c: Case) -> None:
        if c.requests.filter(status=RequestStatus.PENDING).exists():
            raise CaseConflict(_("A request on this case is already waiting for a decision."))
        if (
            kind in (RequestKind.EXTENSION, RequestKind.DEFERRAL)
            and c.deadline is not None
            and c.deadline <= timezone.now()
        ):
            # Asked for once overdue, more time would rewrite a late case as a
            # punctual one: the handler rectifies it, or asks to send it back.
            raise CaseError(
                _(
                    "The deadline has passed: more time or a deferral can no longer be asked "
                    "for. Rectify the case, or ask to send it back."
                )
            )
        if kind == RequestKind.EXTENSION and c.deadline is not None and until <= c.deadline:
            raise CaseError(_("An extension must end after the current deadline."))

    def after(c: Case, event: CaseEvent) -> None:
        created.append(
            CaseRequest.objects.create(
                case=c,
                kind=kind,
                reason=reason,
                requested_until=until,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        )

    _transition(
        case,
        actor=actor,
        allowed_from=CLOCK_STATES,
        to=None,
        kind=REQUEST_EVENTS[RequestKind(kind)],
        may=lambda c: permissions.is_handler(actor, c),
        note=reason,
        expected_version=expected_version,
        data={"until": _utc_iso(until)} if until else {},
        check=check,
        after=after,
    )
    return created[0]


def case_decide_request(
    *,
    request: CaseRequest,
    actor: Any,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> CaseRequest:
    """Approve or deny a pending request.

    Approved: a send-back returns the case to the dispatcher (accepted, no
    assignee, no deadline); an extension moves the deadline; a deferral
    stops the clock (deferred) until the office resumes it.
    """
    if not approve:
        note = _need(note, _("Say why the request is denied."))
    now = timezone.now()

    def changes(c: Case) -> dict[str, Any]:
        pending = c.requests.select_for_update().get(pk=request.pk)
        if pending.status != RequestStatus.PENDING:
            raise CaseConflict(_("This request was decided meanwhile."))
        if not approve:
            return {}
        if pending.kind == RequestKind.SEND_BACK:
            return {
                "status": Status.ACCEPTED,
                "assigned_region": None,
                "assigned_team": None,
                "assigned_department": None,
                "deadline": None,
                "dispatched_at": None,
            }
        if pending.kind == RequestKind.EXTENSION:
            if pending.requested_until is None or pending.requested_until <= now:
                raise CaseError(
                    _(
                        "The date asked for has passed; deny the request and ask the handler "
                        "for a new one."
                    )
                )
            return {"deadline": pending.requested_until}
        return {"status": Status.DEFERRED}

    def after(c: Case, event: CaseEvent) -> None:
        if approve and request.kind in (RequestKind.SEND_BACK, RequestKind.DEFERRAL):
            # No longer a handler's overdue work: off the office's list and the agenda.
            _resolve_escalations(c, now)
        CaseRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.APPROVED if approve else RequestStatus.DENIED,
            decided_by=actor if getattr(actor, "is_authenticated", False) else None,
            decided_at=now,
            decision_note=note,
        )
        event.data = {"request": request.kind, "approved": approve}
        if approve and request.kind == RequestKind.EXTENSION and c.deadline is not None:
            # The timeline says where every deadline came from.
            event.data["deadline"] = _utc_iso(c.deadline)
        event.save(update_fields=["data"])

    _transition(
        request.case,
        actor=actor,
        allowed_from=CLOCK_STATES,
        to=None,
        kind=EventKind.REQUEST_APPROVED if approve else EventKind.REQUEST_DENIED,
        may=lambda c: permissions.can_decide_requests(actor, c),
        note=note,
        expected_version=expected_version,
        changes=changes,
        after=after,
    )
    request.refresh_from_db()
    return request


def case_resume(
    *,
    case: Case,
    actor: Any,
    deadline: datetime.datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """End a deferral: the handler works on with a fresh deadline (given, or the category's)."""
    now = timezone.now()
    _within_reach(deadline, _("The deadline must lie in the future."))

    def changes(c: Case) -> dict[str, Any]:
        due = deadline or deadline_for(c.category, now)
        _not_too_far(due)  # a category's time limit of over a year
        return {"deadline": due}

    return _transition(
        case,
        actor=actor,
        allowed_from={Status.DEFERRED},
        to=Status.RECTIFYING,
        kind=EventKind.RESUMED,
        may=lambda c: permissions.can_decide_requests(actor, c),
        note=note,
        expected_version=expected_version,
        changes=changes,
        after=_record_deadline,
    )


# --- escalation -------------------------------------------------------------------


def _resolve_escalations(case: Case, now: datetime.datetime) -> None:
    """The case is no longer overdue work: its open escalations are resolved.

    `escalation_level` stays: it is the record that the case was late.
    """
    Escalation.objects.filter(case=case, resolved_at__isnull=True).update(resolved_at=now)


def responsible_department(case: Case) -> Department | None:
    """The department that answers for an escalated case at the joint meeting."""
    if case.assigned_department_id:
        return case.assigned_department
    return case.category.default_department


def escalate_overdue(
    *, now: datetime.datetime | None = None, meeting_after: datetime.timedelta
) -> list[Escalation]:
    """Raise every overdue case one level: to the office at once, to the joint meeting later.

    Level 1 when the deadline passes; level 2 (the joint meeting's agenda,
    under the responsible department) once the case has been overdue for
    `meeting_after`. Each level is raised once per case (a unique row), so
    two workers running this together do not double it. A case that fails
    is logged and left for the next run; the others are still raised.
    """
    now = now or timezone.now()
    raised: list[Escalation] = []
    overdue = Case.objects.overdue(now).select_related("category__default_department")
    # Level 0 cases rise at once; level 1 only once `meeting_after` has passed.
    due = Q(escalation_level=0) | Q(escalation_level=1, deadline__lte=now - meeting_after)
    for case in list(overdue.filter(due)):
        level = 2 if case.deadline + meeting_after <= now else 1
        if level <= case.escalation_level:
            continue
        try:
            for step in range(case.escalation_level + 1, level + 1):
                escalation = _escalate(case, level=step, now=now)
                if escalation is not None:
                    raised.append(escalation)
        except Exception:
            logger.exception("Escalating case %s failed; the next run tries again", case.number)
    return raised


def _escalate(case: Case, *, level: int, now: datetime.datetime) -> Escalation | None:
    department = responsible_department(case) if level == 2 else None
    reason = (
        _("Overdue since %(deadline)s")
        if level == 1
        else _("Overdue since %(deadline)s; put before the joint meeting")
    ) % {"deadline": timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M")}
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category__parent", "region")
            .get(pk=case.pk)
        )
        if locked.escalation_level >= level or not locked.is_overdue(now):
            return None
        Case.objects.filter(pk=locked.pk).update(
            escalation_level=level, escalated_at=now, updated_at=timezone.now()
        )
        escalation = Escalation.objects.create(
            case=locked, level=level, department=department, reason=reason, created_at=now
        )
        _event(
            locked,
            kind=EventKind.ESCALATED,
            actor=None,
            note=reason,
            data={"level": level, "department": str(department) if department else ""},
            at=now,
        )
        audit.record(
            actor=None,
            action="case.escalated",
            obj=locked,
            summary=f"{locked.number}: L{level}",
            changes={"escalation_level": [locked.escalation_level, level]},
        )

        def send() -> None:
            from zhenxing.notify.services import notify_escalation

            notify_escalation(escalation=escalation)

        transaction.on_commit(send, robust=True)
    case.escalation_level = level
    return escalation
