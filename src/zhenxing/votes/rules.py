"""The rules engine: is a quorum met, did a motion pass (DOMAIN.md §5).

Pure functions over plain data, so that a result can be recomputed by hand
from the published figures. Arithmetic is exact: headcounts and households
are integers, shares are Decimals, and every threshold is compared by
cross-multiplying (never by dividing into a float):

- ABSOLUTE (过半数): count × 2 > base
- TWO_THIRDS (三分之二以上, "以上" includes two-thirds itself): count × 3 ≥ base × 2
- SIMPLE: for > against (the base does not apply)

A base of zero is never met: nobody on the roll, or nobody present, decides
nothing (two-thirds of zero would otherwise be "met" by zero).

A rule is either a `VoteRule` row or one of the dicts of a session's
`rules_snapshot` (`rule_dict`); both read the same here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from zhenxing.votes.models import Base, Basis, RulePurpose, Threshold

# Shares are stored with four decimals (Elector.shares): the smallest step a count moves by.
SHARE_STEP = Decimal("0.0001")


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


@dataclass(frozen=True)
class Count:
    """A set of electors counted three ways."""

    headcount: int = 0
    households: int = 0
    shares: Decimal = Decimal("0")

    @classmethod
    def of(cls, electors: Iterable[Any]) -> Count:
        """Count electors (objects or dicts with `household` and `shares`), each once."""
        people = list(electors)
        return cls(
            headcount=len(people),
            households=len({str(_get(e, "household")) for e in people}),
            shares=sum((Decimal(str(_get(e, "shares"))) for e in people), Decimal("0")),
        )

    def by(self, basis: str) -> int | Decimal:
        if basis == Basis.HEADCOUNT:
            return self.headcount
        if basis == Basis.HOUSEHOLDS:
            return self.households
        if basis == Basis.SHARES:
            return self.shares
        raise ValueError(f"unknown basis {basis!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: shares as a string with four decimals."""
        return {
            "headcount": self.headcount,
            "households": self.households,
            "shares": number_text(self.shares),
        }


def number_text(value: int | Decimal) -> str:
    """A count as published: an integer as is, shares with their four decimals."""
    if isinstance(value, Decimal):
        return str(value.quantize(SHARE_STEP))
    return str(value)


def rule_dict(rule: Any) -> dict[str, Any]:
    """A rule as a session keeps it in `rules_snapshot` (and as the figures repeat it)."""
    return {
        "purpose": str(_get(rule, "purpose")),
        "basis": str(_get(rule, "basis")),
        "base": str(_get(rule, "base")),
        "threshold": str(_get(rule, "threshold")),
        "legal_reference": str(_get(rule, "legal_reference")),
        "order": int(_get(rule, "order")) if _has(rule, "order") else 0,
    }


def _has(obj: Any, name: str) -> bool:
    return name in obj if isinstance(obj, Mapping) else hasattr(obj, name)


def threshold_met(threshold: str, count: int | Decimal, base: int | Decimal) -> bool:
    """ABSOLUTE or TWO_THIRDS of `base`, exactly; a zero base is never met."""
    if base <= 0:
        return False
    if threshold == Threshold.ABSOLUTE:
        return count * 2 > base
    if threshold == Threshold.TWO_THIRDS:
        return count * 3 >= base * 2
    raise ValueError(f"threshold {threshold!r} needs a base")


def rule_met(
    rule: Any, count: Count, base_count: Count, for_count: Count, against_count: Count
) -> bool:
    """Whether one rule is met. `count` is what the rule measures (those present for a
    quorum, those voting for for a majority), `base_count` what it is measured against
    (the roll or those present, as the rule's base says); SIMPLE compares `for_count`
    with `against_count` only."""
    basis = _get(rule, "basis")
    threshold = _get(rule, "threshold")
    if threshold == Threshold.SIMPLE:
        return for_count.by(basis) > against_count.by(basis)
    return threshold_met(threshold, count.by(basis), base_count.by(basis))


def minimum(threshold: str, basis: str, base: int | Decimal) -> int | Decimal | None:
    """The smallest count (in whole electors or households, or in steps of 0.0001 share)
    that meets the threshold of `base`; None where no count can (a zero base) or none
    applies (SIMPLE)."""
    if threshold == Threshold.SIMPLE or base <= 0:
        return None
    units = int(Decimal(base) / SHARE_STEP) if basis == Basis.SHARES else int(base)
    # ABSOLUTE: the next unit above half; TWO_THIRDS: ceil(2 × units ÷ 3).
    least = units // 2 + 1 if threshold == Threshold.ABSOLUTE else -(-2 * units // 3)
    return (Decimal(least) * SHARE_STEP).quantize(SHARE_STEP) if basis == Basis.SHARES else least


def _fraction_text(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def detail(
    rule: Any, count: Count, base_count: Count, for_count: Count, against_count: Count
) -> dict[str, Any]:
    """One rule's verdict with the numbers it compared, for the result page and the notice."""
    basis = _get(rule, "basis")
    threshold = _get(rule, "threshold")
    met = rule_met(rule, count, base_count, for_count, against_count)
    out = rule_dict(rule)
    out["met"] = met
    if threshold == Threshold.SIMPLE:
        out.update(
            count=number_text(for_count.by(basis)),
            base_count=None,
            against=number_text(against_count.by(basis)),
            minimum=None,
            share=None,
        )
        return out
    value, base = count.by(basis), base_count.by(basis)
    least = minimum(threshold, basis, base)
    out.update(
        count=number_text(value),
        base_count=number_text(base),
        against=None,
        minimum=None if least is None else number_text(least),
        # count ÷ base as an exact fraction, e.g. "7/10" (None when the base is zero).
        share=_fraction_text(Fraction(Decimal(value)) / Fraction(Decimal(base)))
        if base > 0
        else None,
    )
    return out


def _of_purpose(rules: Iterable[Any], purpose: str) -> list[Any]:
    return [r for r in rules if _get(r, "purpose") == purpose]


def quorum_met(
    rules: Iterable[Any], present: Count, roll: Count
) -> tuple[bool, list[dict[str, Any]]]:
    """Met when ANY quorum rule is met; a body with no quorum rule has no quorum to meet."""
    quorum_rules = _of_purpose(rules, RulePurpose.QUORUM)
    details = []
    for rule in quorum_rules:
        base = present if _get(rule, "base") == Base.PRESENT else roll
        details.append(detail(rule, present, base, present, Count()))
    return (not quorum_rules or any(d["met"] for d in details)), details


def motion_passed(
    rules: Iterable[Any],
    *,
    quorum: bool,
    for_count: Count,
    against_count: Count,
    present: Count,
    roll: Count,
) -> tuple[bool, list[dict[str, Any]]]:
    """Passed when the quorum is met and ALL majority rules are met (and there is at least
    one: a motion no rule can carry does not pass)."""
    majority_rules = _of_purpose(rules, RulePurpose.MAJORITY)
    details = []
    for rule in majority_rules:
        base = present if _get(rule, "base") == Base.PRESENT else roll
        details.append(detail(rule, for_count, base, for_count, against_count))
    passed = quorum and bool(details) and all(d["met"] for d in details)
    return passed, details
