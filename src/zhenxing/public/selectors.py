"""Reads for the public pages: what residents may know of a case, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import Case, Status


@dataclass(frozen=True)
class PublicStatus:
    # Stable, for CSS classes and JSON: received, assigned, fixing, checking, fixed, declined.
    key: str
    label: Promise
    is_open: bool


# Residents see five steps, not the nine internal states: a deferral or a
# rework is still "being fixed" to them.
_STEPS = {
    Status.REPORTED: PublicStatus("received", _("Received"), True),
    Status.ACCEPTED: PublicStatus("assigned", _("Assigned"), True),
    Status.DISPATCHED: PublicStatus("assigned", _("Assigned"), True),
    Status.RECTIFYING: PublicStatus("fixing", _("Being fixed"), True),
    Status.REWORK: PublicStatus("fixing", _("Being fixed"), True),
    Status.DEFERRED: PublicStatus("fixing", _("Being fixed"), True),
    Status.RECTIFIED: PublicStatus("checking", _("Fixed, being checked"), True),
    Status.CLOSED: PublicStatus("fixed", _("Fixed"), False),
    Status.REJECTED: PublicStatus("declined", _("Not taken up"), False),
}


def public_status(case: Case) -> PublicStatus:
    return _STEPS[Status(case.status)]
