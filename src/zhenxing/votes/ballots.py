"""Ballots: paper entry confirmed by a second teller, one-time codes, and voting on a phone.

Every write here runs in one transaction with the session row locked
(`select_for_update`), which serialises it against the other writers of the
session — the chain's next seq, the session's close, another teller's
confirmation, the same elector's phone — so the checks made here still hold
when the rows are written. One elector has one ballot per motion across both
channels: checked here first (for a clear message) and held by the database
(`ballot_once_per_motion`, `paper_entry_pending_once`), whose refusal is
turned into the same message.

A ballot is entered from paper in two steps: one teller types the elector's
choice (a `PaperEntry`), a different teller re-reads the paper and picks the
option again without seeing the first choice. Only when both agree is the
ballot appended to the chain; when they differ the entry is discarded and
both must look at the paper again. A proxy's agent fills in the principal's
paper (`cast_by`), and only with a Proxy recorded for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.votes import chain
from zhenxing.votes.codes import code_hash, expiry_for, is_code, new_code, normal_code
from zhenxing.votes.errors import VoteError
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    Channel,
    Elector,
    Motion,
    MotionOption,
    OneTimeCode,
    PaperEntry,
    Proxy,
    SessionStatus,
    VotingSession,
)
from zhenxing.votes.permissions import is_teller

# --- shared guards ---------------------------------------------------------------------------


def _locked(session: VotingSession) -> VotingSession:
    return VotingSession.objects.select_for_update().get(pk=session.pk)


def _require_open(session: VotingSession) -> None:
    if session.status != SessionStatus.OPEN:
        raise VoteError(_("Ballots are accepted only while voting is open."), code="not-open")


def _require_teller(session: VotingSession, actor: Any) -> None:
    if not is_teller(actor, session):
        raise VoteError(_("Only the session's tellers enter paper ballots."), code="not-teller")


def _refuse_if_voted(motions: Iterable[Motion], elector: Elector) -> None:
    motions = list(motions)
    voted = (
        Ballot.objects.filter(elector=elector, motion__in=motions)
        .select_related("motion")
        .order_by("motion__number")
        .first()
    )
    if voted is not None:
        raise VoteError(
            _(
                "%(name)s has already voted on motion %(number)d (ballot #%(seq)d, %(channel)s): "
                "one elector, one ballot per motion."
            )
            % {
                "name": elector.name,
                "number": voted.motion.number,
                "seq": voted.seq,
                "channel": voted.get_channel_display(),
            },
            code="double",
        )
    pending = (
        PaperEntry.objects.filter(elector=elector, motion__in=motions, resolved_at__isnull=True)
        .select_related("motion")
        .order_by("motion__number")
        .first()
    )
    if pending is not None:
        raise VoteError(
            _(
                "A paper ballot of %(name)s on motion %(number)d is waiting for a second "
                "teller: one elector, one ballot per motion."
            )
            % {"name": elector.name, "number": pending.motion.number},
            code="pending",
        )


def _double_vote(elector: Elector) -> VoteError:
    return VoteError(
        _("%(name)s has already voted on this motion: one elector, one ballot per motion.")
        % {"name": elector.name},
        code="double",
    )


def _check_choice(session: VotingSession, motion: Motion, option: MotionOption) -> None:
    if motion.session_id != session.pk or option.motion_id != motion.pk:
        raise VoteError(_("That option is not one of this motion's."), code="option")


def _ensure_attendance(
    session: VotingSession, elector: Elector, *, by_proxy: bool, actor: Any
) -> None:
    """Whoever casts a ballot is present (到会): in person, or through their agent."""
    if Attendance.objects.filter(session=session, elector=elector).exists():
        return
    try:
        with transaction.atomic():
            Attendance.objects.create(
                session=session,
                elector=elector,
                via=AttendanceVia.PROXY if by_proxy else AttendanceVia.IN_PERSON,
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        # Recorded at the sign-in desk a moment ago: present either way.
        pass


def _append(session: VotingSession, **fields: Any) -> Ballot:
    try:
        with transaction.atomic():
            return chain.append(session=session, **fields)
    except IntegrityError:
        raise _double_vote(fields["elector"]) from None


# --- paper ballots ---------------------------------------------------------------------------


def paper_enter(
    *,
    motion: Motion,
    elector: Elector,
    option: MotionOption,
    cast_by: Elector | None = None,
    actor: Any,
) -> PaperEntry:
    """The first teller types a paper ballot; it counts once a second teller confirms it."""
    with transaction.atomic():
        session = _locked(motion.session)
        _require_open(session)
        _require_teller(session, actor)
        _check_choice(session, motion, option)
        if elector.session_id != session.pk:
            raise VoteError(_("That elector is not on this session's roll."), code="roll")
        if cast_by is not None and not (
            cast_by.session_id == session.pk
            and Proxy.objects.filter(session=session, principal=elector, agent=cast_by).exists()
        ):
            raise VoteError(
                _("%(agent)s holds no proxy of %(name)s: record the proxy first.")
                % {"agent": cast_by.name, "name": elector.name},
                code="no-proxy",
            )
        _refuse_if_voted([motion], elector)
        try:
            with transaction.atomic():
                entry = PaperEntry.objects.create(
                    motion=motion,
                    elector=elector,
                    option=option,
                    cast_by=cast_by,
                    entered_by=actor,
                )
        except IntegrityError:
            raise _double_vote(elector) from None
        audit.record(
            actor=actor,
            action="votes.paper.enter",
            obj=entry,
            summary=f"{session.title}: {elector.name}, motion {motion.number}",
            changes={"motion": motion.pk, "elector": elector.pk, "cast_by": cast_by},
        )
    return entry


@dataclass(frozen=True)
class Confirmation:
    """What the second reading gave: a ballot when both tellers agreed, else a discarded entry."""

    entry: PaperEntry
    ballot: Ballot | None

    @property
    def matched(self) -> bool:
        return self.ballot is not None


def _pending_locked(entry: PaperEntry) -> PaperEntry:
    entry = (
        PaperEntry.objects.select_for_update(of=("self",))
        .select_related("motion", "elector", "option", "cast_by")
        .get(pk=entry.pk)
    )
    if entry.resolved_at is not None:
        raise VoteError(_("This paper ballot was confirmed or discarded already."), code="resolved")
    return entry


def paper_confirm(*, entry: PaperEntry, option: MotionOption, actor: Any) -> Confirmation:
    """A second teller re-reads the paper: same option → a ballot; another → entry discarded."""
    with transaction.atomic():
        session = _locked(entry.motion.session)
        entry = _pending_locked(entry)
        _require_open(session)
        _require_teller(session, actor)
        if entry.entered_by_id == actor.pk:
            raise VoteError(
                _("A different teller must confirm: you entered this paper ballot yourself."),
                code="same-teller",
            )
        _check_choice(session, entry.motion, option)
        now = timezone.now()
        if option.pk != entry.option_id:
            PaperEntry.objects.filter(pk=entry.pk).update(resolved_at=now, discarded=True)
            audit.record(
                actor=actor,
                action="votes.paper.mismatch",
                obj=entry,
                summary=f"{session.title}: {entry.elector.name}, motion {entry.motion.number}",
                changes={"entered": entry.option_id, "confirmed": option.pk},
            )
            entry.resolved_at, entry.discarded = now, True
            return Confirmation(entry=entry, ballot=None)
        if Ballot.objects.filter(motion=entry.motion, elector=entry.elector).exists():
            raise _double_vote(entry.elector)
        ballot = _append(
            session,
            motion=entry.motion,
            elector=entry.elector,
            option=option,
            channel=Channel.PAPER,
            cast_by=entry.cast_by,
            entered_by=entry.entered_by,
            confirmed_by=actor,
        )
        PaperEntry.objects.filter(pk=entry.pk).update(resolved_at=now)
        entry.resolved_at = now
        _ensure_attendance(
            session, entry.elector, by_proxy=entry.cast_by_id is not None, actor=actor
        )
        audit.record(
            actor=actor,
            action="votes.ballot.paper",
            obj=ballot,
            summary=f"{session.title}: #{ballot.seq}, motion {entry.motion.number}",
            changes={"seq": ballot.seq, "hash": ballot.hash, "entry": entry.pk},
        )
    return Confirmation(entry=entry, ballot=ballot)


def paper_discard(*, entry: PaperEntry, actor: Any) -> PaperEntry:
    """Take back a pending paper entry (typed for the wrong elector, say); nothing is counted."""
    with transaction.atomic():
        session = _locked(entry.motion.session)
        entry = _pending_locked(entry)
        _require_teller(session, actor)
        now = timezone.now()
        PaperEntry.objects.filter(pk=entry.pk).update(resolved_at=now, discarded=True)
        entry.resolved_at, entry.discarded = now, True
        audit.record(
            actor=actor,
            action="votes.paper.discard",
            obj=entry,
            summary=f"{session.title}: {entry.elector.name}, motion {entry.motion.number}",
        )
    return entry


def pending_entries(session: VotingSession) -> QuerySet[PaperEntry]:
    return (
        PaperEntry.objects.filter(motion__session=session, resolved_at__isnull=True)
        .select_related("motion", "elector", "option", "cast_by", "entered_by")
        .order_by("entered_at", "pk")
    )


# --- one-time codes and the phone ------------------------------------------------------------


def motions_open_to(elector: Elector) -> list[Motion]:
    """The session's motions on which the elector has neither a ballot nor a pending paper."""
    return list(
        Motion.objects.filter(session_id=elector.session_id)
        .exclude(ballots__elector=elector)
        .exclude(
            pk__in=PaperEntry.objects.filter(elector=elector, resolved_at__isnull=True).values(
                "motion"
            )
        )
        .prefetch_related("options")
        .order_by("number")
    )


def code_issue(*, session: VotingSession, elector: Elector, actor: Any) -> tuple[OneTimeCode, str]:
    """A new code for the elector (revoking a live one); returns it with the plain code."""
    with transaction.atomic():
        session = _locked(session)
        if session.status == SessionStatus.CLOSED:
            raise VoteError(_("The session is closed: no more codes."), code="closed")
        if elector.session_id != session.pk:
            raise VoteError(_("That elector is not on this session's roll."), code="roll")
        now = timezone.now()
        expires_at = expiry_for(session)
        if expires_at <= now:
            raise VoteError(
                _("The session's day is over: a code would expire before it is used."),
                code="expired",
            )
        motions = session.motions.all()
        if motions.exists() and not motions.exclude(ballots__elector=elector).exists():
            raise VoteError(
                _("%(name)s has voted on every motion already.") % {"name": elector.name},
                code="double",
            )
        revoked = OneTimeCode.objects.filter(
            session=session, elector=elector, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        for _attempt in range(5):
            plain = new_code()
            try:
                with transaction.atomic():
                    code = OneTimeCode.objects.create(
                        session=session,
                        elector=elector,
                        code_hash=code_hash(plain),
                        issued_by=actor,
                        issued_at=now,
                        expires_at=expires_at,
                    )
                break
            except IntegrityError:  # pragma: no cover - a collision in 8·10^14
                continue
        else:  # pragma: no cover
            raise VoteError(_("No code could be made; try again."), code="retry")
        audit.record(
            actor=actor,
            action="votes.code.issue",
            obj=code,
            summary=f"{session.title}: {elector.name}",
            changes={"revoked": revoked, "expires_at": expires_at},
        )
    return code, plain


def code_issue_many(
    *, session: VotingSession, electors: Iterable[Elector], actor: Any
) -> list[tuple[OneTimeCode, str]]:
    """Codes for several electors at once: all of them, or none if one is refused."""
    with transaction.atomic():
        return [code_issue(session=session, elector=e, actor=actor) for e in electors]


def electors_awaiting_code(session: VotingSession) -> QuerySet[Elector]:
    """Who could still vote and holds no live code: the "issue to all" of the codes page."""
    now = timezone.now()
    live = OneTimeCode.objects.filter(
        session=session, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).values("elector")
    return (
        Elector.objects.filter(session=session)
        .exclude(pk__in=Ballot.objects.filter(session=session).values("elector"))
        .exclude(pk__in=live)
        .order_by("row_number", "pk")
    )


def _code_refusal(code: OneTimeCode, session: VotingSession) -> VoteError | None:
    if code.used_at is not None:
        return VoteError(
            _("This code was used at %(time)s. Each code votes once.")
            % {"time": timezone.localtime(code.used_at).strftime("%Y-%m-%d %H:%M")},
            code="used",
        )
    if code.revoked_at is not None:
        return VoteError(
            _("This code was replaced by a newer one. Use the code on your latest slip."),
            code="revoked",
        )
    if code.expires_at <= timezone.now():
        return VoteError(_("This code has expired."), code="expired")
    if session.status != SessionStatus.OPEN:
        return VoteError(_("Voting is not open now."), code="not-open")
    return None


def find_code(typed: str) -> OneTimeCode | None:
    """The code typed (any case, with dashes), or None; the shape is checked before the query."""
    plain = normal_code(typed)
    if not is_code(plain):
        return None
    return (
        OneTimeCode.objects.select_related("session", "elector")
        .filter(code_hash=code_hash(plain))
        .first()
    )


def usable_code(code: OneTimeCode) -> OneTimeCode:
    """The code itself if it can vote now, else VoteError saying why not."""
    refusal = _code_refusal(code, code.session)
    if refusal is not None:
        raise refusal
    return code


def phone_cast(
    *,
    code: str,
    choices: Mapping[Motion, MotionOption],
    client: str | None = None,
) -> list[Ballot]:
    """An elector votes with their one-time code: one ballot per motion, all or nothing."""
    found = find_code(code)
    if found is None:
        raise VoteError(_("There is no such code. Check it against your slip."), code="unknown")
    if not choices:
        raise VoteError(_("Choose an option on at least one motion."), code="empty")
    with transaction.atomic():
        session = _locked(found.session)
        otc = (
            OneTimeCode.objects.select_for_update(of=("self",))
            .select_related("elector")
            .get(pk=found.pk)
        )
        refusal = _code_refusal(otc, session)
        if refusal is not None:
            raise refusal
        elector = otc.elector
        for motion, option in choices.items():
            _check_choice(session, motion, option)
        motions = sorted(choices, key=lambda m: m.number)
        _refuse_if_voted(motions, elector)
        ballots = [
            _append(
                session,
                motion=motion,
                elector=elector,
                option=choices[motion],
                channel=Channel.PHONE,
            )
            for motion in motions
        ]
        now = timezone.now()
        OneTimeCode.objects.filter(pk=otc.pk).update(used_at=now)
        _ensure_attendance(session, elector, by_proxy=False, actor=None)
        audit.record(
            actor=None,
            action="votes.ballot.phone",
            obj=otc,
            summary=f"{session.title}: " + ", ".join(f"#{b.seq}" for b in ballots),
            changes={"seqs": [b.seq for b in ballots]},
            ip=client,
        )
    return ballots
