"""Results of a hand-built session: roll, attendance, quorum, turnout, tallies, edges.

Attendance and ballots are created directly here (`attend`, `cast`): the
ballot service and its canonical hash belong to votes.ballots, and what is
tested here is the counting, not the chain.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from zhenxing.votes import results
from zhenxing.votes.chain import GENESIS, chain_head
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    Channel,
    Meaning,
    Motion,
    MotionKind,
    SessionStatus,
)
from zhenxing.votes.rules import Count, rule_dict
from zhenxing.votes.testing import standard_options


def open_directly(session) -> None:
    """Open without the service (which tests of its own cover): status and rules snapshot."""
    session.status = SessionStatus.OPEN
    session.rules_snapshot = [rule_dict(r) for r in session.body.rules.all()]
    session.save()


def attend(session, electors) -> None:
    for elector in electors:
        Attendance.objects.get_or_create(
            session=session, elector=elector, defaults={"via": AttendanceVia.IN_PERSON}
        )


def cast(session, motion, choices) -> list[Ballot]:
    """Ballots chained from GENESIS: `choices` is [(elector, option), …]."""
    made = []
    prev = chain_head(session)
    seq = Ballot.objects.filter(session=session).count()
    for elector, option in choices:
        seq += 1
        digest = hashlib.sha256(
            f"{session.public_token}|{seq}|{motion.number}|{elector.pk}|{option.label}|{prev}".encode()
        ).hexdigest()
        made.append(
            Ballot.objects.create(
                session=session,
                motion=motion,
                elector=elector,
                option=option,
                channel=Channel.PAPER,
                seq=seq,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    return made


def second_motion(session):
    motion = Motion.objects.create(
        session=session, number=2, kind=MotionKind.RESOLUTION, title="关于修缮道路的决议"
    )
    return motion, standard_options(motion)


def build_edges(votes):
    """Six of ten present (households H1, H2). Motion 1: 3 for of 6 present — exactly half,
    not passed. Motion 2: 4 for of 6 — one more than half, passed."""
    session, e = votes.session_a, votes.electors
    open_directly(session)
    attend(session, e[:6])
    agree, against, abstain = votes.options
    cast(
        session,
        votes.motion_a,
        [
            (e[0], agree),
            (e[1], agree),
            (e[3], agree),
            (e[2], against),
            (e[4], against),
            (e[5], abstain),
        ],
    )
    motion2, (agree2, against2, _abstain2) = second_motion(session)
    cast(
        session,
        motion2,
        [(e[0], agree2), (e[1], agree2), (e[2], agree2), (e[3], agree2), (e[4], against2)],
    )
    return session


def test_results_of_a_hand_built_session(votes):
    session = build_edges(votes)
    assert chain_head(session) != GENESIS
    figures = results.compute(session)

    assert figures["roll"] == {"headcount": 10, "households": 4, "shares": "55.0000"}
    # electors 1..6: households H1, H2; shares 1+2+…+6
    assert figures["present"] == {"headcount": 6, "households": 2, "shares": "21.0000"}
    assert figures["turnout"]["headcount"] == {"fraction": "3/5", "percent": "60.0"}
    assert figures["turnout"]["households"] == {"fraction": "1/2", "percent": "50.0"}
    assert figures["turnout"]["shares"] == {"fraction": "21/55", "percent": "38.2"}

    # 6 of 10 people is more than half (the first rule), 2 of 4 households is not two-thirds.
    quorum = figures["quorum"]
    assert quorum["met"] is True
    assert [d["met"] for d in quorum["rules"]] == [True, False]
    assert quorum["rules"][0]["count"] == "6" and quorum["rules"][0]["base_count"] == "10"
    assert "第二十二条" in quorum["rules"][0]["legal_reference"]

    first, second = figures["motions"]
    assert [
        (o["label"], o["headcount"], o["households"], o["shares"]) for o in first["options"]
    ] == [
        ("同意", 3, 2, "7.0000"),  # electors 1, 2, 4: H1, H2; 1 + 2 + 4
        ("反对", 2, 2, "8.0000"),  # electors 3, 5: H1, H2; 3 + 5
        ("弃权", 1, 1, "6.0000"),
    ]
    assert first["ballots"] == 6
    assert first["for"] == {"headcount": 3, "households": 2, "shares": "7.0000"}
    assert first["against"]["headcount"] == 2 and first["abstain"]["headcount"] == 1
    # exactly half of those present: not passed
    [majority] = first["majority"]
    assert (majority["count"], majority["base_count"], majority["minimum"]) == ("3", "6", "4")
    assert majority["met"] is False and first["passed"] is False
    # one more than half: passed
    assert second["for"]["headcount"] == 4
    assert second["majority"][0]["met"] is True and second["passed"] is True
    assert second["ballots"] == 5


def test_no_quorum_means_nothing_passes(votes):
    session, e = votes.session_a, votes.electors
    open_directly(session)
    # 5 of 10 people (half: no) in households H1 and H2 (2 of 4: no)
    attend(session, e[:5])
    agree = votes.options[0]
    cast(session, votes.motion_a, [(x, agree) for x in e[:5]])
    figures = results.compute(session)
    assert figures["quorum"]["met"] is False
    assert figures["motions"][0]["majority"][0]["met"] is True  # all for…
    assert figures["motions"][0]["passed"] is False  # …but no quorum


def test_households_alone_can_make_the_quorum(votes):
    session, e = votes.session_a, votes.electors
    open_directly(session)
    # One person from each of three households: 3 of 10 people, 3 of 4 households (≥ 2/3)
    attend(session, [e[0], e[3], e[6]])
    figures = results.compute(session)
    assert [d["met"] for d in figures["quorum"]["rules"]] == [False, True]
    assert figures["quorum"]["met"] is True


def test_the_result_follows_the_snapshot_not_the_bodys_rules_today(votes):
    session = build_edges(votes)
    before = results.compute(session)
    # The body's majority rule becomes simple (for > against) after the session opened.
    votes.body_a.rules.filter(purpose="majority").update(threshold="simple")
    assert results.compute(session) == before


def test_turnout_is_exact_with_one_decimal_rounded_half_up():
    t = results.turnout(
        Count(headcount=1, households=1, shares=Decimal("1")),
        Count(headcount=16, households=3, shares=Decimal("8")),
    )
    assert t["headcount"] == {"fraction": "1/16", "percent": "6.3"}  # 6.25
    assert t["households"] == {"fraction": "1/3", "percent": "33.3"}
    assert t["shares"] == {"fraction": "1/8", "percent": "12.5"}
    assert results.turnout(Count(), Count())["headcount"] is None


def test_options_counting_as_for_are_added_together(votes):
    """Two options may both count as for (同意 and 基本同意): their electors are summed."""
    session, e = votes.session_a, votes.electors
    motion = votes.motion_a
    extra = motion.options.create(order=9, label="基本同意", meaning=Meaning.FOR)
    open_directly(session)
    attend(session, e[:7])
    agree, against, _abstain = votes.options
    cast(
        session,
        motion,
        [
            (e[0], agree),
            (e[1], agree),
            (e[2], extra),
            (e[3], extra),
            (e[4], against),
            (e[5], against),
            (e[6], against),
        ],
    )
    [m] = results.compute(session)["motions"]
    assert m["for"]["headcount"] == 4 and m["passed"] is True  # 4 of 7 present


def test_shares_text_reads_as_people_write_it():
    assert results.shares_text("55.0000") == "55"
    assert results.shares_text("33.3300") == "33.33"
    assert results.shares_text("0.0000") == "0"
