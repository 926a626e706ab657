"""The rules engine at its edges: exactly half, one more than half, two-thirds, ties."""

from decimal import Decimal

import pytest

from zhenxing.votes.rules import Count, minimum, motion_passed, quorum_met, rule_met


def rule(purpose="majority", basis="headcount", base="roll", threshold="absolute", ref="§"):
    return {
        "purpose": purpose,
        "basis": basis,
        "base": base,
        "threshold": threshold,
        "legal_reference": ref,
    }


def heads(n: int) -> Count:
    return Count(headcount=n)


def homes(n: int) -> Count:
    return Count(households=n)


def shares(text: str) -> Count:
    return Count(shares=Decimal(text))


NONE = Count()


@pytest.mark.parametrize(
    ("basis", "make"), [("headcount", heads), ("households", homes), ("shares", shares)]
)
def test_absolute_majority_needs_more_than_half_on_every_basis(basis, make):
    r = rule(basis=basis, threshold="absolute")
    ten = make(10) if basis != "shares" else make("10")
    five = make(5) if basis != "shares" else make("5")
    six = make(6) if basis != "shares" else make("6")
    assert not rule_met(r, five, ten, five, NONE)  # exactly half
    assert rule_met(r, six, ten, six, NONE)  # one more than half
    # odd base: 4 of 7 is more than half, 3 of 7 is not
    seven = make(7) if basis != "shares" else make("7")
    four = make(4) if basis != "shares" else make("4")
    three = make(3) if basis != "shares" else make("3")
    assert rule_met(r, four, seven, four, NONE)
    assert not rule_met(r, three, seven, three, NONE)


@pytest.mark.parametrize(
    ("basis", "make"), [("headcount", heads), ("households", homes), ("shares", shares)]
)
def test_two_thirds_includes_two_thirds_itself_on_every_basis(basis, make):
    r = rule(basis=basis, threshold="two_thirds")
    v = (lambda n: make(str(n))) if basis == "shares" else make
    assert rule_met(r, v(6), v(9), v(6), NONE)  # exactly two-thirds
    assert not rule_met(r, v(5), v(9), v(5), NONE)  # one less
    assert rule_met(r, v(7), v(10), v(7), NONE)  # 7/10 > 2/3
    assert not rule_met(r, v(6), v(10), v(6), NONE)  # 6/10 < 2/3


def test_shares_with_decimals_are_compared_exactly():
    two_thirds = rule(basis="shares", threshold="two_thirds")
    half = rule(basis="shares", threshold="absolute")
    hundred = shares("100")
    assert not rule_met(two_thirds, shares("66.6666"), hundred, NONE, NONE)
    assert rule_met(two_thirds, shares("66.6667"), hundred, NONE, NONE)
    assert not rule_met(half, shares("50.0000"), hundred, NONE, NONE)
    assert rule_met(half, shares("50.0001"), hundred, NONE, NONE)
    # a third (33.3333 of 100) is neither
    assert not rule_met(half, shares("33.3333"), hundred, NONE, NONE)
    # two-thirds of a base that is not a multiple of three: 2/3 × 100.0001 = 66.66673…
    assert not rule_met(two_thirds, shares("66.6667"), shares("100.0001"), NONE, NONE)
    assert rule_met(two_thirds, shares("66.6668"), shares("100.0001"), NONE, NONE)
    assert minimum("two_thirds", "shares", Decimal("100")) == Decimal("66.6667")
    assert minimum("absolute", "shares", Decimal("100")) == Decimal("50.0001")


def test_minimum_is_the_least_count_that_meets_the_rule():
    assert minimum("absolute", "headcount", 10) == 6
    assert minimum("absolute", "headcount", 7) == 4
    assert minimum("two_thirds", "headcount", 9) == 6
    assert minimum("two_thirds", "households", 10) == 7
    assert minimum("simple", "headcount", 10) is None
    assert minimum("absolute", "headcount", 0) is None


def test_simple_majority_ties_do_not_pass_and_the_base_is_ignored():
    r = rule(threshold="simple")
    assert not rule_met(r, heads(3), heads(100), heads(3), heads(3))
    assert rule_met(r, heads(4), heads(100), heads(4), heads(3))
    assert not rule_met(r, NONE, NONE, NONE, NONE)
    # by households: those with at least one for ballot against those with one against
    by_homes = rule(basis="households", threshold="simple")
    assert not rule_met(by_homes, NONE, NONE, homes(2), homes(2))
    assert rule_met(by_homes, NONE, NONE, homes(3), homes(2))


def test_a_zero_base_is_never_met():
    # Two-thirds of nobody would be "met" by nobody: the engine refuses it.
    assert not rule_met(rule(threshold="two_thirds"), NONE, NONE, NONE, NONE)
    assert not rule_met(rule(threshold="absolute"), NONE, NONE, NONE, NONE)


def test_count_of_electors_counts_households_once_and_sums_shares():
    electors = [
        {"household": "H1", "shares": Decimal("1.5")},
        {"household": "H1", "shares": Decimal("2.25")},
        {"household": "H2", "shares": Decimal("0")},
    ]
    c = Count.of(electors)
    assert (c.headcount, c.households, c.shares) == (3, 2, Decimal("3.75"))
    assert c.as_dict() == {"headcount": 3, "households": 2, "shares": "3.7500"}


def test_quorum_is_met_by_any_of_two_alternative_rules():
    rules = [
        rule("quorum", "headcount", "roll", "absolute", "第二十二条 过半数"),
        rule("quorum", "households", "roll", "two_thirds", "第二十二条 三分之二以上的户"),
    ]
    roll = Count(headcount=10, households=6)
    # 5 of 10 people (half: no) but 4 of 6 households (two-thirds: yes)
    met, details = quorum_met(rules, Count(headcount=5, households=4), roll)
    assert met
    assert [d["met"] for d in details] == [False, True]
    assert details[0]["legal_reference"] == "第二十二条 过半数"
    assert (details[0]["count"], details[0]["base_count"], details[0]["minimum"]) == (
        "5",
        "10",
        "6",
    )
    assert details[1]["share"] == "2/3"
    # 6 of 10 people (yes) but 3 of 6 households (no)
    met, details = quorum_met(rules, Count(headcount=6, households=3), roll)
    assert met and [d["met"] for d in details] == [True, False]
    # neither
    met, _ = quorum_met(rules, Count(headcount=5, households=3), roll)
    assert not met


def test_no_quorum_rule_means_no_quorum_to_meet():
    met, details = quorum_met([rule()], heads(0), heads(10))
    assert met and details == []


def test_a_motion_passes_only_with_quorum_and_every_majority_rule():
    rules = [
        rule("majority", "headcount", "present", "absolute", "到会过半数"),
        rule("majority", "shares", "roll", "two_thirds", "章程：股份三分之二"),
    ]
    present = Count(headcount=8, households=4, shares=Decimal("90"))
    roll = Count(headcount=10, households=4, shares=Decimal("100"))
    strong = Count(headcount=5, households=3, shares=Decimal("66.6667"))
    weak_shares = Count(headcount=5, households=3, shares=Decimal("66.6666"))
    passed, details = motion_passed(
        rules, quorum=True, for_count=strong, against_count=NONE, present=present, roll=roll
    )
    assert passed and [d["met"] for d in details] == [True, True]
    assert details[1]["count"] == "66.6667" and details[1]["base_count"] == "100.0000"
    passed, details = motion_passed(
        rules, quorum=True, for_count=weak_shares, against_count=NONE, present=present, roll=roll
    )
    assert not passed and [d["met"] for d in details] == [True, False]
    # exactly half of those present (4 of 8) does not pass
    half = Count(headcount=4, households=2, shares=Decimal("70"))
    passed, _ = motion_passed(
        rules, quorum=True, for_count=half, against_count=NONE, present=present, roll=roll
    )
    assert not passed
    passed, _ = motion_passed(
        rules, quorum=False, for_count=strong, against_count=NONE, present=present, roll=roll
    )
    assert not passed


def test_a_motion_without_any_majority_rule_does_not_pass():
    passed, details = motion_passed(
        [], quorum=True, for_count=heads(9), against_count=NONE, present=heads(9), roll=heads(9)
    )
    assert not passed and details == []
