"""Every write to voting bodies, their rules, sessions and motions, and the session's
two transitions: open (the roll freezes, the rules are copied) and close (the result
is computed and published). ARCHITECTURE.md habits 1, 2 and 5.

Rules of a body change only while none of its sessions is open: an open session
decides by the rules it copied when it opened (`rules_snapshot`), and a closed
one keeps them in its published figures.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.charters import services as charter_services
from zhenxing.charters.models import CharterVersion, VersionStatus
from zhenxing.core import audit
from zhenxing.territory.models import Region
from zhenxing.votes import results
from zhenxing.votes.chain import chain_head
from zhenxing.votes.defaults import DEFAULT_RULES
from zhenxing.votes.errors import VoteError
from zhenxing.votes.models import (
    Base,
    Meaning,
    Motion,
    MotionKind,
    MotionOption,
    PaperEntry,
    RulePurpose,
    SessionResult,
    SessionStatus,
    Threshold,
    VoteRule,
    VotingBody,
    VotingSession,
)
from zhenxing.votes.rules import rule_dict

# A session needs two tellers: one enters a paper ballot, another confirms it.
MIN_TELLERS = 2
MAX_OPTIONS = 6
# What a motion offers when nobody says otherwise.
STANDARD_OPTIONS: tuple[tuple[str, str], ...] = (
    ("同意", Meaning.FOR),
    ("反对", Meaning.AGAINST),
    ("弃权", Meaning.ABSTAIN),
)
CHARTER_VERSION_READY = (VersionStatus.DRAFTING, VersionStatus.CONSULTATION)


def new_public_token() -> str:
    return secrets.token_urlsafe(12)[:16]


# --- bodies and rules ---------------------------------------------------------------


def body_create(
    *, kind: str, name: str, region: Region, actor: Any, max_proxies_per_agent: int = 3
) -> VotingBody:
    """A body with its kind's default rules (votes/defaults.py), each with its legal reference."""
    name = name.strip()
    if VotingBody.objects.filter(region=region, name=name).exists():
        raise VoteError(
            _("%(region)s already has a voting body named %(name)s.")
            % {"region": region.name, "name": name}
        )
    try:
        with transaction.atomic():
            body = VotingBody.objects.create(
                kind=kind, name=name, region=region, max_proxies_per_agent=max_proxies_per_agent
            )
            for order, (purpose, basis, base, threshold, reference) in enumerate(
                DEFAULT_RULES[kind]
            ):
                VoteRule.objects.create(
                    body=body,
                    purpose=purpose,
                    basis=basis,
                    base=base,
                    threshold=threshold,
                    legal_reference=reference,
                    order=order,
                )
            audit.record(
                actor=actor,
                action="votes.body.create",
                obj=body,
                after=audit.snapshot(body),
                summary=f"{len(DEFAULT_RULES[kind])} default rules",
            )
    except IntegrityError:
        # Another request took the name between the check and the insert.
        raise VoteError(
            _("%(region)s already has a voting body named %(name)s.")
            % {"region": region.name, "name": name}
        ) from None
    return body


def _lock_body_for_rules(body: VotingBody) -> VotingBody:
    locked = VotingBody.objects.select_for_update().get(pk=body.pk)
    if VotingSession.objects.filter(body=locked, status=SessionStatus.OPEN).exists():
        raise VoteError(
            _(
                "A session of this body is open and decides by the rules it opened with: "
                "change the rules after it closes."
            )
        )
    return locked


def _check_rule(*, purpose: str, base: str, threshold: str, legal_reference: str) -> None:
    if purpose == RulePurpose.QUORUM and threshold == Threshold.SIMPLE:
        raise VoteError(
            _("A quorum needs a share of the members: choose more than half or two-thirds.")
        )
    if purpose == RulePurpose.QUORUM and base == Base.PRESENT:
        raise VoteError(
            _("A quorum is counted against all on the roll, not against those present.")
        )
    if not legal_reference.strip():
        raise VoteError(
            _("Give the rule's legal reference (the law, article or charter it follows).")
        )


def rule_add(
    *,
    body: VotingBody,
    purpose: str,
    basis: str,
    base: str,
    threshold: str,
    legal_reference: str,
    actor: Any,
) -> VoteRule:
    _check_rule(purpose=purpose, base=base, threshold=threshold, legal_reference=legal_reference)
    with transaction.atomic():
        locked = _lock_body_for_rules(body)
        last = VoteRule.objects.filter(body=locked).aggregate(m=Max("order"))["m"]
        rule = VoteRule.objects.create(
            body=locked,
            purpose=purpose,
            basis=basis,
            base=base,
            threshold=threshold,
            legal_reference=legal_reference.strip(),
            order=0 if last is None else last + 1,
        )
        audit.record(actor=actor, action="votes.rule.add", obj=rule, after=audit.snapshot(rule))
    return rule


def rule_update(
    *,
    rule: VoteRule,
    purpose: str,
    basis: str,
    base: str,
    threshold: str,
    legal_reference: str,
    actor: Any,
) -> VoteRule:
    _check_rule(purpose=purpose, base=base, threshold=threshold, legal_reference=legal_reference)
    with transaction.atomic():
        _lock_body_for_rules(rule.body)
        locked = VoteRule.objects.select_for_update().get(pk=rule.pk)
        before = audit.snapshot(locked)
        locked.purpose, locked.basis, locked.base = purpose, basis, base
        locked.threshold, locked.legal_reference = threshold, legal_reference.strip()
        locked.save()
        audit.record(
            actor=actor,
            action="votes.rule.update",
            obj=locked,
            before=before,
            after=audit.snapshot(locked),
        )
    return locked


def rule_delete(*, rule: VoteRule, actor: Any) -> None:
    with transaction.atomic():
        _lock_body_for_rules(rule.body)
        audit.record(
            actor=actor, action="votes.rule.delete", obj=rule, before=audit.snapshot(rule), after={}
        )
        VoteRule.objects.filter(pk=rule.pk).delete()


# --- sessions -----------------------------------------------------------------------


def _lock_session(session: VotingSession, *allowed: str) -> VotingSession:
    locked = (
        VotingSession.objects.select_for_update()
        .select_related("body", "body__region")
        .get(pk=session.pk)
    )
    if locked.status not in allowed:
        raise VoteError(
            _("This session is %(status)s: that cannot be done now.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


def _teller_ids(tellers: Iterable[Any]) -> list[int]:
    ids = sorted({t.pk for t in tellers})
    return ids


def session_create(
    *,
    body: VotingBody,
    title: str,
    held_on: datetime.date,
    place: str,
    tellers: Sequence[Any],
    actor: Any,
) -> VotingSession:
    with transaction.atomic():
        session = VotingSession.objects.create(
            body=body,
            title=title.strip(),
            held_on=held_on,
            place=place.strip(),
            public_token=new_public_token(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        session.tellers.set(list(tellers))
        audit.record(
            actor=actor,
            action="votes.session.create",
            obj=session,
            after=audit.snapshot(session),
            changes={"tellers": _teller_ids(tellers)},
        )
    return session


def session_update(
    *,
    session: VotingSession,
    title: str,
    held_on: datetime.date,
    place: str,
    tellers: Sequence[Any],
    actor: Any,
) -> VotingSession:
    """Only while in preparation: once voting opens, the tellers and the date are the record."""
    with transaction.atomic():
        locked = _lock_session(session, SessionStatus.DRAFT)
        before = audit.snapshot(locked)
        before_tellers = sorted(locked.tellers.values_list("pk", flat=True))
        locked.title, locked.held_on, locked.place = title.strip(), held_on, place.strip()
        locked.save(update_fields=["title", "held_on", "place"])
        locked.tellers.set(list(tellers))
        changes = audit.diff(before, audit.snapshot(locked))
        after_tellers = _teller_ids(tellers)
        if after_tellers != before_tellers:
            changes["tellers"] = [before_tellers, after_tellers]
        audit.record(actor=actor, action="votes.session.update", obj=locked, changes=changes)
    return locked


# --- motions ------------------------------------------------------------------------


def _clean_options(options: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    cleaned = [(label.strip(), meaning) for label, meaning in (options or STANDARD_OPTIONS)]
    cleaned = [(label, meaning) for label, meaning in cleaned if label]
    if len(cleaned) < 2:
        raise VoteError(_("A motion needs at least two options."))
    if len(cleaned) > MAX_OPTIONS:
        raise VoteError(_("A motion has at most %(max)d options.") % {"max": MAX_OPTIONS})
    labels = [label for label, _meaning in cleaned]
    if len(set(labels)) != len(labels):
        raise VoteError(_("Two options have the same label."))
    if Meaning.FOR not in {meaning for _label, meaning in cleaned}:
        raise VoteError(_("One option must count as for: otherwise the motion could never pass."))
    if any(meaning not in Meaning.values for _label, meaning in cleaned):
        raise VoteError(_("Each option counts as for, against or abstain."))
    return cleaned


def _check_charter_version(
    session: VotingSession, kind: str, version: CharterVersion | None, motion: Motion | None
) -> CharterVersion | None:
    if kind == MotionKind.RESOLUTION:
        return None
    if version is None:
        raise VoteError(_("Choose the charter version put to the vote."))
    version = CharterVersion.objects.select_related("charter__region").get(pk=version.pk)
    region = session.body.region
    if not region.path.startswith(version.charter.region.path):
        raise VoteError(
            _("%(charter)s is not a charter of %(region)s: this body cannot adopt it.")
            % {"charter": version.charter.title, "region": region.name}
        )
    if version.status not in CHARTER_VERSION_READY:
        raise VoteError(
            _(
                "Version %(number)s of %(charter)s is %(status)s: only a draft or a version "
                "published for comment can be put to the vote."
            )
            % {
                "number": version.number,
                "charter": version.charter.title,
                "status": version.get_status_display().lower(),
            }
        )
    elsewhere = Motion.objects.filter(
        charter_version=version, session__status__in=[SessionStatus.DRAFT, SessionStatus.OPEN]
    )
    if motion is not None:
        elsewhere = elsewhere.exclude(pk=motion.pk)
    if elsewhere.exists():
        raise VoteError(
            _("Version %(number)s of %(charter)s is already a motion of another session.")
            % {"number": version.number, "charter": version.charter.title}
        )
    return version


def _set_options(motion: Motion, options: list[tuple[str, str]]) -> None:
    MotionOption.objects.filter(motion=motion).delete()
    MotionOption.objects.bulk_create(
        MotionOption(motion=motion, order=i, label=label, meaning=meaning)
        for i, (label, meaning) in enumerate(options)
    )


def motion_create(
    *,
    session: VotingSession,
    kind: str,
    title: str,
    text: str,
    actor: Any,
    charter_version: CharterVersion | None = None,
    options: Sequence[tuple[str, str]] | None = None,
) -> Motion:
    """Options default to 同意 / 反对 / 弃权 (for / against / abstain)."""
    cleaned = _clean_options(options)
    with transaction.atomic():
        locked = _lock_session(session, SessionStatus.DRAFT)
        version = _check_charter_version(locked, kind, charter_version, None)
        last = Motion.objects.filter(session=locked).aggregate(m=Max("number"))["m"] or 0
        motion = Motion.objects.create(
            session=locked,
            number=last + 1,
            kind=kind,
            title=title.strip(),
            text=text.strip(),
            charter_version=version,
        )
        _set_options(motion, cleaned)
        audit.record(
            actor=actor,
            action="votes.motion.create",
            obj=motion,
            after=audit.snapshot(motion),
            changes={"options": cleaned},
        )
    return motion


def motion_update(
    *,
    motion: Motion,
    kind: str,
    title: str,
    text: str,
    actor: Any,
    charter_version: CharterVersion | None = None,
    options: Sequence[tuple[str, str]] | None = None,
) -> Motion:
    cleaned = _clean_options(options)
    with transaction.atomic():
        session = _lock_session(motion.session, SessionStatus.DRAFT)
        locked = Motion.objects.select_for_update().get(pk=motion.pk)
        version = _check_charter_version(session, kind, charter_version, locked)
        before = audit.snapshot(locked)
        before_options = list(locked.options.values_list("label", "meaning"))
        locked.kind, locked.title, locked.text = kind, title.strip(), text.strip()
        locked.charter_version = version
        locked.save()
        _set_options(locked, cleaned)
        changes = audit.diff(before, audit.snapshot(locked))
        if [tuple(o) for o in before_options] != cleaned:
            changes["options"] = [before_options, cleaned]
        audit.record(actor=actor, action="votes.motion.update", obj=locked, changes=changes)
    return locked


# --- open and close -----------------------------------------------------------------


def open_problems(session: VotingSession) -> list[str]:
    """Why the session cannot open yet (empty when it can): shown before the button too."""
    problems = []
    if not session.motions.exists():
        problems.append(_("Add at least one motion."))
    if not session.electors.exists():
        problems.append(_("Import the roll of electors."))
    if session.tellers.count() < MIN_TELLERS:
        problems.append(
            _("Name at least %(n)d tellers: one enters each paper ballot, another confirms it.")
            % {"n": MIN_TELLERS}
        )
    if not session.body.rules.filter(purpose=RulePurpose.MAJORITY).exists():
        problems.append(_("Give the voting body at least one majority rule."))
    return problems


def session_open(*, session: VotingSession, actor: Any) -> VotingSession:
    """DRAFT → OPEN: the roll freezes, the body's rules are copied, charter versions go to
    the vote. Ballots, attendance and proxies are taken from now until the session closes."""
    with transaction.atomic():
        locked = _lock_session(session, SessionStatus.DRAFT)
        # The body too, so that no rule changes between the copy and the opening.
        VotingBody.objects.select_for_update().filter(pk=locked.body_id).first()
        problems = open_problems(locked)
        if problems:
            raise VoteError(" ".join(problems))
        now = timezone.now()
        locked.rules_snapshot = [
            rule_dict(r) for r in locked.body.rules.order_by("purpose", "order", "pk")
        ]
        locked.status = SessionStatus.OPEN
        locked.opened_at = now
        locked.roll_frozen_at = now
        locked.save(update_fields=["rules_snapshot", "status", "opened_at", "roll_frozen_at"])
        for motion in locked.motions.filter(kind=MotionKind.CHARTER).select_related(
            "charter_version"
        ):
            try:
                charter_services.version_put_to_vote(version=motion.charter_version, actor=actor)
            except charter_services.CharterError as exc:
                raise VoteError(str(exc)) from None
        audit.record(
            actor=actor,
            action="votes.session.open",
            obj=locked,
            changes={
                "status": [SessionStatus.DRAFT, SessionStatus.OPEN],
                "roll": locked.electors.count(),
                "rules_snapshot": locked.rules_snapshot,
            },
        )
    return locked


def session_close(*, session: VotingSession, actor: Any) -> SessionResult:
    """OPEN → CLOSED: computes and publishes the result with the ballot chain's last hash,
    and moves each charter version put to the vote to adopted or not adopted."""
    with transaction.atomic():
        locked = _lock_session(session, SessionStatus.OPEN)
        pending = PaperEntry.objects.filter(
            motion__session=locked, resolved_at__isnull=True
        ).count()
        if pending:
            raise VoteError(
                _(
                    "%(n)d paper ballot entries still wait for a second teller: confirm or "
                    "discard them before closing."
                )
                % {"n": pending}
            )
        locked.status = SessionStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        figures = results.compute(locked)
        result = SessionResult.objects.create(
            session=locked,
            figures=figures,
            ballot_count=locked.ballots.count(),
            head_hash=chain_head(locked),
            published_at=locked.closed_at,
            published_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        passed = {m["id"]: m["passed"] for m in figures["motions"]}
        for motion in locked.motions.filter(kind=MotionKind.CHARTER).select_related(
            "charter_version"
        ):
            try:
                if passed.get(motion.pk):
                    charter_services.version_adopted(
                        version=motion.charter_version, on=locked.held_on, actor=actor
                    )
                else:
                    charter_services.version_not_adopted(
                        version=motion.charter_version, actor=actor
                    )
            except charter_services.CharterError as exc:
                raise VoteError(str(exc)) from None
        audit.record(
            actor=actor,
            action="votes.session.close",
            obj=locked,
            changes={
                "status": [SessionStatus.OPEN, SessionStatus.CLOSED],
                "ballots": result.ballot_count,
                "head_hash": result.head_hash,
                "quorum": figures["quorum"]["met"],
                "passed": {str(m["number"]): m["passed"] for m in figures["motions"]},
            },
        )
    return result
