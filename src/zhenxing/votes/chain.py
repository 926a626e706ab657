"""The ballot chain: each ballot carries the hash of the one before it in its session.

Owned by the ballots module (H4); this interface is a contract:

- `GENESIS`: the prev_hash of a session's first ballot.
- `chain_head(session) -> str`: the hash of the session's last ballot (GENESIS if none).

A ballot's hash is SHA-256 over its canonical text, a JSON array written
without spaces and in UTF-8 (`ballot_text`):

    ["zhenxing-ballot/1","<session token>",<seq>,<motion number>,"<elector pseudonym>",
     "<option label>","<channel>","<cast_by pseudonym or empty>","<prev_hash>"]

The elector is named by a pseudonym, the first 16 hex digits of
HMAC-SHA256(session token, elector's ID hash): stable within a session (one
elector, one pseudonym on every motion), different between sessions, and it
names nobody — the ID hash is itself a keyed hash the public never sees. So
the published chain (`export`) can be re-verified by anyone with any SHA-256
tool, and a ballot changed, removed or inserted after the fact breaks either
its own hash, the next ballot's link, or the head published with the result.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

GENESIS = "0" * 64
FORMAT = "zhenxing-ballot-chain/1"
TEXT_TAG = "zhenxing-ballot/1"
HASH_RE = re.compile(r"[0-9a-f]{64}")
PSEUDONYM_RE = re.compile(r"[0-9a-f]{16}")


def chain_head(session: Any) -> str:
    from zhenxing.votes.models import Ballot

    last = Ballot.objects.filter(session=session).order_by("-seq").values_list("hash").first()
    return last[0] if last else GENESIS


# --- the canonical text and the hash ---------------------------------------------------


def pseudonym_of(token: str, id_hash: str) -> str:
    return hmac.new(token.encode(), id_hash.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym(session: Any, elector: Any) -> str:
    """The elector's name in the published chain: nobody can tell who it is."""
    return pseudonym_of(session.public_token, elector.id_hash)


def ballot_text(
    *,
    token: str,
    seq: int,
    motion_number: int,
    elector: str,
    option_label: str,
    channel: str,
    cast_by: str,
    prev_hash: str,
) -> str:
    """The canonical text hashed for one ballot (the pseudonyms, never names)."""
    fields = [
        TEXT_TAG,
        token,
        int(seq),
        int(motion_number),
        elector,
        option_label,
        channel,
        cast_by or "",
        prev_hash,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def ballot_hash(**fields: Any) -> str:
    return hashlib.sha256(ballot_text(**fields).encode("utf-8")).hexdigest()


# --- writing ------------------------------------------------------------------------------


def append(
    *,
    session: Any,
    motion: Any,
    elector: Any,
    option: Any,
    channel: str,
    cast_by: Any = None,
    entered_by: Any = None,
    confirmed_by: Any = None,
) -> Any:
    """Add one ballot at the end of the session's chain and return it.

    Call inside the caller's transaction: the session row is locked here (if the
    caller has not done it already) so that two ballots never take the same
    seq or the same prev_hash. A second ballot of the elector on the motion
    raises IntegrityError (the database's `ballot_once_per_motion`).
    """
    from django.db import transaction
    from django.utils import timezone

    from zhenxing.votes.models import Ballot, VotingSession

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain.append must run inside a transaction")
    VotingSession.objects.select_for_update().only("pk").get(pk=session.pk)
    last = Ballot.objects.filter(session=session).order_by("-seq").values("seq", "hash").first()
    seq = last["seq"] + 1 if last else 1
    prev_hash = last["hash"] if last else GENESIS
    digest = ballot_hash(
        token=session.public_token,
        seq=seq,
        motion_number=motion.number,
        elector=pseudonym(session, elector),
        option_label=option.label,
        channel=channel,
        cast_by=pseudonym(session, cast_by) if cast_by is not None else "",
        prev_hash=prev_hash,
    )
    return Ballot.objects.create(
        session=session,
        motion=motion,
        elector=elector,
        option=option,
        channel=channel,
        cast_by=cast_by,
        entered_by=entered_by,
        confirmed_by=confirmed_by,
        cast_at=timezone.now(),
        seq=seq,
        prev_hash=prev_hash,
        hash=digest,
    )


# --- the published chain -------------------------------------------------------------------


def published_tallies(figures: Any) -> dict[str, dict[str, int]] | None:
    """Ballots per option label for each motion number, as the result published them.

    Reads the figures of votes.results: {"motions": [{"number": 1, "tallies":
    [{"label": "同意", "headcount": 6, …}, …] or {"同意": {"headcount": 6, …}} or
    {"同意": 6}}, …]}. None when the figures carry no tallies to compare with.
    """
    if not isinstance(figures, dict) or not isinstance(figures.get("motions"), list):
        return None
    tallies: dict[str, dict[str, int]] = {}
    for motion in figures["motions"]:
        if not isinstance(motion, dict) or "number" not in motion:
            return None
        raw = motion.get("tallies", motion.get("options"))
        counts: dict[str, int] = {}
        if isinstance(raw, list):
            for row in raw:
                if not isinstance(row, dict) or "label" not in row:
                    return None
                counts[str(row["label"])] = _count(row)
        elif isinstance(raw, dict):
            for label, value in raw.items():
                counts[str(label)] = _count(value)
        else:
            return None
        tallies[str(motion["number"])] = counts
    return tallies


def _count(value: Any) -> int:
    if isinstance(value, dict):
        for key in ("ballots", "headcount", "count", "votes"):
            if key in value:
                return int(value[key])
        raise ValueError("no count")
    return int(value)


def export(session: Any) -> dict[str, Any]:
    """The session's chain as published: enough to recompute every hash, no names."""
    from zhenxing.votes.models import Ballot, SessionResult

    token = session.public_token
    pseudonyms: dict[int, str] = {}

    def pseudonym_for(elector: Any) -> str:
        if elector.pk not in pseudonyms:
            pseudonyms[elector.pk] = pseudonym_of(token, elector.id_hash)
        return pseudonyms[elector.pk]

    ballots = (
        Ballot.objects.filter(session=session)
        .select_related("motion", "option", "elector", "cast_by")
        .order_by("seq")
    )
    motions = session.motions.prefetch_related("options").order_by("number")
    result = SessionResult.objects.filter(session=session).first()
    data: dict[str, Any] = {
        "format": FORMAT,
        "session": token,
        "title": session.title,
        "held_on": session.held_on.isoformat(),
        "status": session.status,
        "motions": [
            {
                "number": motion.number,
                "title": motion.title,
                "options": [option.label for option in motion.options.all()],
            }
            for motion in motions
        ],
        "ballots": [
            {
                "seq": ballot.seq,
                "motion": ballot.motion.number,
                "option": ballot.option.label,
                "channel": ballot.channel,
                "elector": pseudonym_for(ballot.elector),
                "cast_by": pseudonym_for(ballot.cast_by) if ballot.cast_by_id else "",
                "prev_hash": ballot.prev_hash,
                "hash": ballot.hash,
            }
            for ballot in ballots
        ],
        "result": None,
    }
    if result is not None:
        data["result"] = {
            "head_hash": result.head_hash,
            "ballot_count": result.ballot_count,
            "published_at": result.published_at.isoformat(),
            "tallies": published_tallies(result.figures),
        }
    return data


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    seq: int | None
    message: str

    def __str__(self) -> str:
        return f"#{self.seq}: {self.message}" if self.seq is not None else self.message


@dataclass
class Report:
    ballot_count: int = 0
    head: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_seqs(self) -> list[int]:
        return sorted({p.seq for p in self.problems if p.seq is not None})

    def add(self, seq: int | None, message: str) -> None:
        self.problems.append(Problem(seq, message))


@dataclass(frozen=True)
class _Entry:
    seq: int
    motion: int
    option: str
    channel: str
    elector: str
    cast_by: str
    prev_hash: str
    hash: str


def verify(source: Any, *, head: str | None = None) -> Report:
    """Re-verify a session's chain, from the database (a VotingSession) or an export (a dict).

    From the database every hash is recomputed from the ballots' rows (the
    elector's pseudonym from their ID hash, the option's label), so a row
    changed with SQL is found. Checked: each hash, the seq continuity (a
    removed ballot leaves a gap), each prev link, one ballot per elector and
    motion, and — once the result is published — its head hash, its ballot
    count and its tallies. `head`, if given, is a head hash read elsewhere
    (the public result page) that the chain must end with.
    """
    report = Report()
    if isinstance(source, dict):
        loaded = _load_export(source, report)
    else:
        loaded = _load_database(source, report)
    if loaded is None:
        return report
    token, entries, result = loaded
    _check_entries(token, entries, report)
    if result is not None:
        _check_result(entries, result, report)
    if head is not None and head != report.head:
        report.add(
            None,
            _("The chain ends with %(actual)s, not with the expected head %(head)s.")
            % {"actual": report.head, "head": head},
        )
    return report


def _load_database(session: Any, report: Report) -> tuple[str, list[_Entry], dict[str, Any] | None]:
    from django.db.models import F

    from zhenxing.votes.models import Ballot, SessionResult

    token = session.public_token
    ballots = Ballot.objects.filter(session=session)
    entries = [
        _Entry(
            seq=b.seq,
            motion=b.motion.number,
            option=b.option.label,
            channel=b.channel,
            elector=pseudonym_of(token, b.elector.id_hash),
            cast_by=pseudonym_of(token, b.cast_by.id_hash) if b.cast_by_id else "",
            prev_hash=b.prev_hash,
            hash=b.hash,
        )
        for b in ballots.select_related("motion", "option", "elector", "cast_by").order_by("seq")
    ]
    # An option of another motion (a row edited with SQL) would be counted nowhere.
    for seq in ballots.exclude(option__motion=F("motion")).values_list("seq", flat=True):
        report.add(seq, _("The ballot's option belongs to another motion."))
    row = SessionResult.objects.filter(session=session).first()
    result = None
    if row is not None:
        result = {
            "head_hash": row.head_hash,
            "ballot_count": row.ballot_count,
            "tallies": published_tallies(row.figures),
        }
    return token, entries, result


def _load_export(
    data: dict[str, Any], report: Report
) -> tuple[str, list[_Entry], dict[str, Any] | None] | None:
    """The entries of an exported chain; None (with a problem) when the file is not one."""
    token = data.get("session")
    rows = data.get("ballots")
    if data.get("format") != FORMAT or not isinstance(token, str) or not isinstance(rows, list):
        report.add(
            None, _("This is not an exported ballot chain (%(format)s).") % {"format": FORMAT}
        )
        return None
    entries: list[_Entry] = []
    for index, row in enumerate(rows, start=1):
        try:
            entry = _Entry(
                seq=_int(row["seq"]),
                motion=_int(row["motion"]),
                option=_str(row["option"]),
                channel=_str(row["channel"]),
                elector=_str(row["elector"]),
                cast_by=_str(row.get("cast_by") or ""),
                prev_hash=_str(row["prev_hash"]),
                hash=_str(row["hash"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            seq = row.get("seq") if isinstance(row, dict) else None
            report.add(
                seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
                _("Ballot %(index)d of the file is incomplete or malformed.") % {"index": index},
            )
            continue
        entries.append(entry)
    if report.problems:
        return None
    result = data.get("result")
    if result is not None and not isinstance(result, dict):
        report.add(None, _("The file's result is malformed."))
        return None
    return token, entries, result


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _check_entries(token: str, entries: list[_Entry], report: Report) -> None:
    prev = GENESIS
    seen: set[tuple[int, str]] = set()
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            report.add(
                entry.seq,
                _(
                    "Sequence broken: ballot %(seq)d stands where %(expected)d should be "
                    "(a ballot was removed or inserted)."
                )
                % {"seq": entry.seq, "expected": expected},
            )
        if entry.prev_hash != prev:
            report.add(
                entry.seq,
                _("The link to the ballot before does not match (prev_hash %(prev)s).")
                % {"prev": entry.prev_hash[:16]},
            )
        recomputed = ballot_hash(
            token=token,
            seq=entry.seq,
            motion_number=entry.motion,
            elector=entry.elector,
            option_label=entry.option,
            channel=entry.channel,
            cast_by=entry.cast_by,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            report.add(
                entry.seq,
                _("The ballot's content does not match its hash: it was changed after being cast."),
            )
        if (entry.motion, entry.elector) in seen:
            report.add(
                entry.seq,
                _("A second ballot of the same elector on motion %(motion)d.")
                % {"motion": entry.motion},
            )
        seen.add((entry.motion, entry.elector))
        # The chain goes on from the hash as stored: the next ballot's link is checked
        # against what it actually names.
        prev = entry.hash
    report.ballot_count = len(entries)
    report.head = prev


def _check_result(entries: list[_Entry], result: dict[str, Any], report: Report) -> None:
    head = result.get("head_hash")
    if head != report.head:
        report.add(
            entries[-1].seq if entries else None,
            _("The published head %(published)s is not the chain's last hash %(actual)s.")
            % {"published": head, "actual": report.head},
        )
    count = result.get("ballot_count")
    if count is not None and count != len(entries):
        report.add(
            None,
            _("The result counted %(published)s ballots; the chain holds %(actual)d.")
            % {"published": count, "actual": len(entries)},
        )
    published = result.get("tallies")
    if not isinstance(published, dict):
        return
    counted: dict[str, Counter[str]] = {}
    for entry in entries:
        counted.setdefault(str(entry.motion), Counter())[entry.option] += 1
    for number in sorted(set(published) | set(counted), key=_number_key):
        want = {label: n for label, n in (published.get(number) or {}).items() if n}
        have = dict(counted.get(number, Counter()))
        if want != have:
            report.add(
                None,
                _(
                    "Motion %(motion)s: the result's tally %(published)s differs from the "
                    "chain's %(actual)s."
                )
                % {"motion": number, "published": _tally(want), "actual": _tally(have)},
            )


def _number_key(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (0, number)


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in sorted(counts.items())) or "—"
