"""Every write of the assessment: periods, their snapshots and lists, rewards and criticism.

A closed period's scores live in `ScoreSnapshot` rows and its red and black
lists in `ListEntry` rows, written once when the period closes and never
edited: a case that moves on afterwards does not rewrite a published
ranking. The only way to change them is `period_recompute`, which is
explicit, needs a reason, keeps the old rows (marked superseded) and leaves
an audit row naming what changed.

A refused step raises `PermissionDenied` (the actor may not take it),
`AssessmentConflict` (the period moved on meanwhile) or `AssessmentError`
(a rule was broken; the message says which). `actor=None` means trusted
code with no person behind it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.assessment import permissions
from zhenxing.assessment.indicators import UnitResult, active_scheme, compute, list_members
from zhenxing.assessment.models import (
    IncentiveKind,
    IncentiveRecord,
    ListEntry,
    ListRule,
    Period,
    PeriodKind,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.periods import span
from zhenxing.core import audit
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH


class AssessmentError(Exception):
    """A rule of the assessment was broken; the message is for the user."""


class AssessmentConflict(AssessmentError):
    """The period changed since the caller looked at it (closed meanwhile, say)."""


def _allowed(actor: Any, check: Callable[[], bool]) -> None:
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not check():
        raise PermissionDenied(_("You may not do this."))


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- periods ----------------------------------------------------------------------


def period_for(*, kind: str, day: datetime.date) -> Period:
    """The period of `kind` containing `day`, created on first use."""
    if kind not in PeriodKind.values:
        raise AssessmentError(_("Unknown period kind."))
    start, end = span(kind, day)
    period = Period.objects.filter(kind=kind, start=start).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return Period.objects.create(kind=kind, start=start, end=end)
    except IntegrityError:
        # Created by another request meanwhile (one row per kind and start).
        return Period.objects.get(kind=kind, start=start)


def _snapshot_rows(
    period: Period, scheme: Scheme, actor: Any, now: datetime.datetime
) -> dict[str, list[UnitResult]]:
    """Compute every unit kind and write its current snapshot rows."""
    results: dict[str, list[UnitResult]] = {}
    rows = []
    for unit_kind in UnitKind.values:
        ranked = compute(period=period, unit_kind=unit_kind, scheme=scheme, now=now)
        results[unit_kind] = ranked
        rows.extend(
            ScoreSnapshot(
                period=period,
                scheme=scheme,
                unit_kind=unit_kind,
                unit_key=r.unit.key,
                unit_name=r.unit.name,
                unit_path=r.unit.path,
                values={k: v.as_json() for k, v in r.values.items()},
                composite=r.composite,
                rank=r.rank,
                evidence=r.evidence,
                computed_at=now,
                computed_by=_user(actor),
            )
            for r in ranked
        )
    ScoreSnapshot.objects.bulk_create(rows)
    return results


def _list_rows(
    period: Period, results: dict[str, list[UnitResult]], now: datetime.datetime
) -> list[ListEntry]:
    """Draw the red and black lists of the active rules for this kind of period.

    A unit is on a list once, under the first rule (by id) that draws it: two
    black-list rules (bottom 3, composite below 60) may both catch it.
    """
    rows = []
    drawn: set[tuple[str, str, str]] = set()
    rules = ListRule.objects.filter(is_active=True, period_kind=period.kind).order_by("pk")
    for rule in rules:
        for r in list_members(rule, results.get(rule.unit_kind, [])):
            if (rule.kind, rule.unit_kind, r.unit.key) in drawn:
                continue
            drawn.add((rule.kind, rule.unit_kind, r.unit.key))
            rows.append(
                ListEntry(
                    period=period,
                    rule=rule,
                    kind=rule.kind,
                    unit_kind=rule.unit_kind,
                    unit_key=r.unit.key,
                    unit_name=r.unit.name,
                    unit_path=r.unit.path,
                    composite=r.composite,
                    rank=r.rank,
                    created_at=now,
                )
            )
    return ListEntry.objects.bulk_create(rows)


def _ended(period: Period) -> bool:
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    return period.end <= today


def period_close(*, period: Period, actor: Any) -> Period:
    """Close an ended period: snapshot every unit kind with the active scheme, draw the lists.

    Closing twice is refused: a closed period changes only by `period_recompute`.
    """
    _allowed(actor, lambda: permissions.can_manage_periods(actor))
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.closed_at is not None:
            raise AssessmentConflict(
                _("%(period)s is already closed; recompute it to change its scores.")
                % {"period": locked.label}
            )
        if not _ended(locked):
            raise AssessmentError(
                _("%(period)s has not ended yet; it can be closed from %(day)s.")
                % {"period": locked.label, "day": locked.end.isoformat()}
            )
        now = timezone.now()
        # Claimed with a guarded UPDATE, so that even without row locks (SQLite)
        # two closings cannot both write snapshots.
        claimed = Period.objects.filter(pk=locked.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=_user(actor)
        )
        if claimed != 1:
            raise AssessmentConflict(
                _("%(period)s was closed meanwhile.") % {"period": locked.label}
            )
        if locked.kind == PeriodKind.WEEK:
            # A closed week's inspections can no longer be scored: its unscored ones are void.
            from zhenxing.inspections.services import inspections_void_unscored

            inspections_void_unscored(
                start=locked.start,
                end=locked.end,
                actor=actor,
                reason=_("The week is closed; inspections not scored are void."),
            )
        scheme = active_scheme()
        results = _snapshot_rows(locked, scheme, actor, now)
        entries = _list_rows(locked, results, now)
        audit.record(
            actor=actor,
            action="assessment.period_close",
            obj=locked,
            summary=_("Period %(period)s closed") % {"period": locked.label},
            changes={
                "scheme": scheme.name,
                "snapshots": {kind: len(rows) for kind, rows in results.items()},
                "list_entries": len(entries),
            },
        )
    period.closed_at = now
    period.closed_by = _user(actor)
    return period


def _composite_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def period_recompute(*, period: Period, actor: Any, reason: str) -> Period:
    """Recompute a closed period with the active scheme, keeping the old figures.

    The current snapshots and list entries are marked superseded (not
    deleted) and new ones written; the audit row gives the reason and each
    composite and rank that changed, before → after.
    """
    _allowed(actor, lambda: permissions.can_manage_periods(actor))
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(_("Give the reason for recomputing a closed period."))
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.closed_at is None:
            raise AssessmentError(
                _("%(period)s is not closed; its scores are computed live until it is.")
                % {"period": locked.label}
            )
        now = timezone.now()
        current = ScoreSnapshot.objects.filter(period=locked, superseded_at__isnull=True)
        before = {
            f"{unit_kind}:{key}": (composite, rank)
            for unit_kind, key, composite, rank in current.values_list(
                "unit_kind", "unit_key", "composite", "rank"
            )
        }
        superseded = current.update(superseded_at=now)
        ListEntry.objects.filter(period=locked, superseded_at__isnull=True).update(
            superseded_at=now
        )
        scheme = active_scheme()
        results = _snapshot_rows(locked, scheme, actor, now)
        entries = _list_rows(locked, results, now)
        after = {
            f"{unit_kind}:{r.unit.key}": (r.composite, r.rank)
            for unit_kind, ranked in results.items()
            for r in ranked
        }
        composites: dict[str, list[str | None]] = {}
        ranks: dict[str, list[int | None]] = {}
        for key in sorted(set(before) | set(after)):
            old = before.get(key, (None, None))
            new = after.get(key, (None, None))
            if old[0] != new[0] or key not in before or key not in after:
                composites[key] = [_composite_text(old[0]), _composite_text(new[0])]
            if old[1] != new[1]:
                ranks[key] = [old[1], new[1]]
        audit.record(
            actor=actor,
            action="assessment.period_recompute",
            obj=locked,
            summary=_("Period %(period)s recomputed: %(reason)s")
            % {"period": locked.label, "reason": reason},
            changes={
                "reason": reason,
                "scheme": scheme.name,
                "superseded": superseded,
                "list_entries": len(entries),
                "composites": composites,
                "ranks": ranks,
            },
        )
    return locked


# --- rewards and criticism ------------------------------------------------------------


def incentive_record(
    *,
    actor: Any,
    kind: str,
    date: datetime.date,
    reason: str,
    community: Region | None = None,
    cadre: Any = None,
    period: Period | None = None,
) -> IncentiveRecord:
    """Record a commendation, a criticism or an interview (约谈) of a community and/or a cadre."""
    _allowed(actor, lambda: permissions.can_record_incentives(actor))
    if kind not in IncentiveKind.values:
        raise AssessmentError(_("Unknown kind of record."))
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(_("Give the reason."))
    if community is None and cadre is None:
        raise AssessmentError(_("Name the community, the cadre, or both."))
    if community is not None and community.depth != COMMUNITY_DEPTH:
        raise AssessmentError(_("Choose a community."))
    if date is None:
        raise AssessmentError(_("Give the date."))
    with transaction.atomic():
        record = IncentiveRecord.objects.create(
            kind=kind,
            date=date,
            reason=reason,
            community=community,
            cadre=cadre,
            period=period,
            recorded_by=_user(actor),
        )
        audit.record(
            actor=actor,
            action="assessment.incentive",
            obj=record,
            summary=str(record),
            changes={
                "kind": kind,
                "date": date,
                "community": community.code if community else None,
                "cadre": cadre.pk if cadre is not None else None,
                "period": period.label if period else None,
                "reason": reason,
            },
        )
    return record
