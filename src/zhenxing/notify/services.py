"""Send notifications: one in-app `Notification` per person, and an SMS for those with a mobile.

The case services call `notify_case` after their transaction commits, with
the people the case now waits for (`cases.selectors.responsible_users`); the
escalation job calls `notify_escalation`. Each message names the case number,
its category and area and what is asked now, and never anything about a
resident who reported it (no name, no mobile, not the free-text description,
which may contain either).

Texts are written in the site's language (settings.LANGUAGE_CODE, zh-hans)
whatever language the request that triggered them was in: an SMS is read on
a phone, not on the page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from zhenxing.notify.models import Notification, OutboundMessage

TEXT_MAX = Notification._meta.get_field("text").max_length
SMS_MAX = OutboundMessage._meta.get_field("text").max_length

# Steps after which nothing new is asked of anyone: the handler who starts
# work was told at dispatch; a further report only thickens the file.
SILENT_KINDS = frozenset({"started", "report_added", "note"})


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _case_params(case: Any) -> dict[str, str]:
    return {
        "number": case.number,
        "category": str(case.category),
        "area": case.region.name,
        "deadline": _when(case.deadline),
    }


def _case_text(kind: str, case: Any, p: dict[str, str]) -> str:
    """What the case asks of the reader now, after a step of kind `kind`."""
    has_deadline = bool(p["deadline"])
    if kind == "reported":
        return _("New case %(number)s (%(category)s, %(area)s): accept or reject it.") % p
    if kind == "accepted":
        return _("Case %(number)s (%(category)s, %(area)s) was accepted: dispatch it.") % p
    if kind == "rejected":
        return _("Case %(number)s (%(category)s, %(area)s) was not accepted.") % p
    if kind in ("dispatched", "resumed") and has_deadline:
        return (
            _(
                "Case %(number)s (%(category)s, %(area)s) was dispatched to you: "
                "rectify it by %(deadline)s."
            )
            if kind == "dispatched"
            else _(
                "Case %(number)s (%(category)s, %(area)s) is resumed after its deferral: "
                "rectify it by %(deadline)s."
            )
        ) % p
    if kind == "rectified":
        return _("Case %(number)s (%(category)s, %(area)s) was reported rectified: verify it.") % p
    if kind == "verify_failed":
        if has_deadline:
            return (
                _(
                    "Case %(number)s (%(category)s, %(area)s) failed verification: "
                    "rework it by %(deadline)s."
                )
                % p
            )
        return _("Case %(number)s (%(category)s, %(area)s) failed verification: rework it.") % p
    if kind == "verified":
        return _("Case %(number)s (%(category)s, %(area)s) was verified and closed.") % p
    if kind == "send_back_requested":
        return (
            _(
                "The handler of case %(number)s (%(category)s, %(area)s) asks to send it back: "
                "decide the request."
            )
            % p
        )
    if kind == "extension_requested":
        return (
            _(
                "The handler of case %(number)s (%(category)s, %(area)s) asks for more time: "
                "decide the request."
            )
            % p
        )
    if kind == "deferral_requested":
        return (
            _(
                "The handler of case %(number)s (%(category)s, %(area)s) asks to defer it: "
                "decide the request."
            )
            % p
        )
    if kind == "request_approved":
        # Which request it was shows in where the case went.
        if case.status == "accepted":
            return (
                _(
                    "Case %(number)s (%(category)s, %(area)s) was sent back by its handler: "
                    "dispatch it again."
                )
                % p
            )
        if case.status == "deferred":
            return (
                _(
                    "Case %(number)s (%(category)s, %(area)s) is deferred: "
                    "resume it when work can go on."
                )
                % p
            )
        if has_deadline:
            return (
                _(
                    "The request on case %(number)s (%(category)s, %(area)s) was approved: "
                    "the deadline is now %(deadline)s."
                )
                % p
            )
    if kind == "request_denied" and has_deadline:
        return (
            _(
                "The request on case %(number)s (%(category)s, %(area)s) was denied: "
                "rectify it by %(deadline)s."
            )
            % p
        )
    return _("Case %(number)s (%(category)s, %(area)s) needs your attention.") % p


def _unique(users: Iterable[Any]) -> list[Any]:
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and getattr(user, "is_active", True):
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _deliver(
    *, case: Any, kind: str, users: Iterable[Any], text: str, params: dict[str, str]
) -> list[Notification]:
    return notify_users(
        kind=kind,
        users=users,
        text=text,
        url=reverse("cases:detail", args=[case.number]),
        params=params,
        case=case,
    )


def notify_users(
    *,
    kind: str,
    users: Iterable[Any],
    text: str,
    url: str = "",
    params: dict[str, str] | None = None,
    case: Any = None,
) -> list[Notification]:
    """One inbox row per user; one queued SMS per user with a mobile; the sends after commit.

    `text` is what the reader is told (write it in the site's language, see
    the module's docstring); `params` go to the SMS template beside it.
    """
    recipients = _unique(users)
    if not recipients:
        return []
    params = params or {"kind": kind}
    now = timezone.now()
    with transaction.atomic():
        notes = Notification.objects.bulk_create(
            Notification(
                user=u, kind=kind, text=text[:TEXT_MAX], url=url, case=case, created_at=now
            )
            for u in recipients
        )
        outbound = OutboundMessage.objects.bulk_create(
            OutboundMessage(
                channel="sms",
                user=u,
                to=u.mobile,
                template=kind,
                params=params,
                text=text[:SMS_MAX],
                created_at=now,
            )
            for u in recipients
            if getattr(u, "mobile", "")
        )
        ids = [m.pk for m in outbound]
        if ids:
            transaction.on_commit(lambda: _enqueue_sends(ids))
    return notes


def _enqueue_sends(ids: list[int]) -> None:
    from zhenxing.notify.tasks import send_outbound

    for pk in ids:
        send_outbound.enqueue(pk)


def notify_case(*, case: Any, kind: str, users: list[Any]) -> None:
    """Tell `users` that `case` now waits for them after a step of kind `kind`."""
    if kind in SILENT_KINDS:
        return
    with translation.override(settings.LANGUAGE_CODE):
        params = _case_params(case)
        text = _case_text(kind, case, params)
    _deliver(case=case, kind=kind, users=users, text=text, params={"kind": kind, **params})


def notify_escalation(*, escalation: Any) -> None:
    """Tell the office (and at level 2 the department) that a case was escalated."""
    from zhenxing.cases.selectors import department_staff, office_admins_for

    case = escalation.case
    users: list[Any] = list(office_admins_for(case).distinct())
    department = escalation.department if escalation.level >= 2 else None
    if department is not None:
        users += list(department_staff(department.pk))
    kind = f"escalated_{escalation.level}"
    with translation.override(settings.LANGUAGE_CODE):
        params = {**_case_params(case), "department": str(department) if department else ""}
        if escalation.level < 2:
            text = (
                _(
                    "Case %(number)s (%(category)s, %(area)s) is overdue since %(deadline)s "
                    "and was escalated to the office."
                )
                % params
            )
        elif department is not None:
            text = (
                _(
                    "Case %(number)s (%(category)s, %(area)s), overdue since %(deadline)s, "
                    "is on the joint meeting's agenda for %(department)s."
                )
                % params
            )
        else:
            text = (
                _(
                    "Case %(number)s (%(category)s, %(area)s), overdue since %(deadline)s, "
                    "is on the joint meeting's agenda."
                )
                % params
            )
    _deliver(case=case, kind=kind, users=users, text=text, params={"kind": kind, **params})


# --- the inbox ------------------------------------------------------------------------


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, notification: Notification) -> None:
    """Mark one of the caller's own notifications read (the view fetched it by user)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
