"""A session's result: roll, attendance, quorum, turnout and each motion's tallies.

`compute(session)` reads the rules the session opened with (`rules_snapshot`),
the roll (Elector), who was present (Attendance) and the ballots (Ballot), and
returns plain JSON-able data: `SessionResult.figures` stores it as published,
and the result page and the notices read it from there, never recomputing.
Counts of shares and fractions are strings, so that nothing passes through a
float on the way to JSON.

Figures, version 1:

    {"version": 1,
     "rules": [rule_dict, …],
     "roll": Count, "present": Count,            # Count = {"headcount", "households", "shares"}
     "turnout": {basis: {"fraction": "7/10", "percent": "70.0"} | None},
     "quorum": {"met": bool, "rules": [detail, …]},
     "motions": [{"id", "number", "kind", "title", "charter_version_id",
                  "options": [{"id", "label", "meaning", "headcount", "households", "shares"}],
                  "ballots": int, "for": Count, "against": Count, "abstain": Count,
                  "majority": [detail, …], "passed": bool}]}

`detail` is `votes.rules.detail`: the rule, its legal reference and the numbers compared.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from zhenxing.votes import rules as engine
from zhenxing.votes.models import Attendance, Ballot, Basis, Meaning, Motion, VotingSession

FIGURES_VERSION = 1


def turnout(present: engine.Count, roll: engine.Count) -> dict[str, dict[str, str] | None]:
    """present ÷ roll per basis: the exact fraction and a percentage with one decimal
    (rounded half up); None for a basis the roll has nothing of."""
    out: dict[str, dict[str, str] | None] = {}
    for basis in Basis.values:
        whole = roll.by(basis)
        if whole <= 0:
            out[basis] = None
            continue
        ratio = Fraction(Decimal(present.by(basis))) / Fraction(Decimal(whole))
        percent = (Decimal(ratio.numerator * 100) / Decimal(ratio.denominator)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        fraction = (
            str(ratio.numerator)
            if ratio.denominator == 1
            else f"{ratio.numerator}/{ratio.denominator}"
        )
        out[basis] = {"fraction": fraction, "percent": str(percent)}
    return out


def compute(session: VotingSession) -> dict[str, Any]:
    rules = list(session.rules_snapshot or [])
    electors = {e["id"]: e for e in session.electors.values("id", "household", "shares").order_by()}
    present_ids = set(
        Attendance.objects.filter(session=session).values_list("elector_id", flat=True)
    )
    roll = engine.Count.of(electors.values())
    present = engine.Count.of(electors[i] for i in present_ids if i in electors)
    quorum, quorum_details = engine.quorum_met(rules, present, roll)

    # motion id → option id → the electors who chose it
    chosen: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for motion_id, elector_id, option_id in (
        Ballot.objects.filter(session=session)
        .order_by("seq")
        .values_list("motion_id", "elector_id", "option_id")
    ):
        chosen[motion_id][option_id].append(electors[elector_id])

    motions = []
    for motion in Motion.objects.filter(session=session).prefetch_related("options"):
        by_meaning: dict[str, list[dict[str, Any]]] = defaultdict(list)
        options = []
        ballots = 0
        for option in motion.options.all():
            voters = chosen[motion.pk][option.pk]
            ballots += len(voters)
            by_meaning[option.meaning] += voters
            tally = engine.Count.of(voters)
            options.append(
                {"id": option.pk, "label": option.label, "meaning": option.meaning}
                | tally.as_dict()
            )
        for_count = engine.Count.of(by_meaning[Meaning.FOR])
        against_count = engine.Count.of(by_meaning[Meaning.AGAINST])
        passed, majority = engine.motion_passed(
            rules,
            quorum=quorum,
            for_count=for_count,
            against_count=against_count,
            present=present,
            roll=roll,
        )
        motions.append(
            {
                "id": motion.pk,
                "number": motion.number,
                "kind": motion.kind,
                "title": motion.title,
                "charter_version_id": motion.charter_version_id,
                "options": options,
                "ballots": ballots,
                "for": for_count.as_dict(),
                "against": against_count.as_dict(),
                "abstain": engine.Count.of(by_meaning[Meaning.ABSTAIN]).as_dict(),
                "majority": majority,
                "passed": passed,
            }
        )
    return {
        "version": FIGURES_VERSION,
        "rules": [engine.rule_dict(r) for r in rules],
        "roll": roll.as_dict(),
        "present": present.as_dict(),
        "turnout": turnout(present, roll),
        "quorum": {"met": quorum, "rules": quorum_details},
        "motions": motions,
    }


def shares_text(value: str | None) -> str:
    """Published shares ("33.3300") as people write them ("33.33"; "55" for "55.0000")."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value))
    text = format(number.normalize(), "f")
    return text
