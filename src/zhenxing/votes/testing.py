"""Shared test data for votes: a villagers' meeting of 社区甲 with its roll and one motion.

body_a: 社区甲村民会议 (villagers), the DEFAULT_RULES of its kind
session_a: draft, held 2026-12-05, tellers secretary_a and teller_a (a login with no role)
roll: 10 electors in 4 households (H1: 3, H2: 3, H3: 2, H4: 2), shares 1..10,
      electors[0] and electors[1] representatives; all adults on 2026-12-05
motion_a: a resolution with 同意 / 反对 / 弃权
body_b / session_b: 社区乙's, for the outsider's side
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from zhenxing.people.models import User
from zhenxing.votes.defaults import DEFAULT_RULES
from zhenxing.votes.identity import birth_date, id_hash, with_check_digit
from zhenxing.votes.models import (
    BodyKind,
    Elector,
    Meaning,
    Motion,
    MotionKind,
    MotionOption,
    VoteRule,
    VotingBody,
    VotingSession,
)

HOUSEHOLDS = ["H1", "H1", "H1", "H2", "H2", "H2", "H3", "H3", "H4", "H4"]


def id_number(i: int) -> str:
    """A valid identity number for test elector i (born 1970-01-01 plus i years)."""
    return with_check_digit(f"440605{1970 + i:04d}0101{i:03d}")


def add_rules(body: VotingBody) -> None:
    for order, (purpose, basis, base, threshold, reference) in enumerate(DEFAULT_RULES[body.kind]):
        VoteRule.objects.create(
            body=body,
            purpose=purpose,
            basis=basis,
            base=base,
            threshold=threshold,
            legal_reference=reference,
            order=order,
        )


def standard_options(motion: Motion) -> list[MotionOption]:
    return [
        MotionOption.objects.create(motion=motion, order=i, label=label, meaning=meaning)
        for i, (label, meaning) in enumerate(
            [("同意", Meaning.FOR), ("反对", Meaning.AGAINST), ("弃权", Meaning.ABSTAIN)]
        )
    ]


def _session(body: VotingBody, title: str, electors: int) -> tuple[VotingSession, list[Elector]]:
    import datetime

    session = VotingSession.objects.create(
        body=body,
        title=title,
        held_on=datetime.date(2026, 12, 5),
        place="社区礼堂",
        public_token=secrets.token_urlsafe(12)[:16],
    )
    rows = []
    for i in range(electors):
        number = id_number(i)
        rows.append(
            Elector.objects.create(
                session=session,
                name=f"选民{i + 1:02d}",
                id_hash=id_hash(number),
                born_on=birth_date(number),
                household=HOUSEHOLDS[i % len(HOUSEHOLDS)],
                shares=Decimal(i + 1),
                is_representative=i < 2,
                row_number=i + 2,
            )
        )
    return session, rows


def build_votes_world(world: Any) -> SimpleNamespace:
    body_a = VotingBody.objects.create(
        kind=BodyKind.VILLAGERS, name="社区甲村民会议", region=world.a
    )
    add_rules(body_a)
    # A teller needs no role: the session names the tellers it trusts.
    teller_a = User.objects.create_user(username="teller_a")
    session_a, electors = _session(body_a, "2026年社区甲村民会议", 10)
    session_a.tellers.set([world.secretary_a, teller_a])
    motion_a = Motion.objects.create(
        session=session_a, number=1, kind=MotionKind.RESOLUTION, title="关于垃圾清运补贴的决议"
    )
    options = standard_options(motion_a)
    body_b = VotingBody.objects.create(
        kind=BodyKind.VILLAGERS, name="社区乙村民会议", region=world.b
    )
    add_rules(body_b)
    session_b, electors_b = _session(body_b, "2026年社区乙村民会议", 3)
    session_b.tellers.set([world.outsider])
    return SimpleNamespace(
        body_a=body_a,
        session_a=session_a,
        electors=electors,
        motion_a=motion_a,
        options=options,
        teller_a=teller_a,
        body_b=body_b,
        session_b=session_b,
        electors_b=electors_b,
    )
