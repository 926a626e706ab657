"""The demo's charters and votes (demo/charters.py).

To stay cheap, the class fixture loads only what the charters stand on — the
territory and the accounts — then the charters, twice, inside a transaction
rolled back at the end, on a Wednesday morning in late November 2026.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from zhenxing.charters.models import (
    Article,
    Chapter,
    Charter,
    CharterComment,
    CharterVersion,
    VersionStatus,
)
from zhenxing.demo import charter_data as spec
from zhenxing.demo.charters import ballot_hash, load_charters
from zhenxing.demo.generator import plan_copy
from zhenxing.demo.guicheng import _ensure_accounts, _ensure_departments, demo_counts
from zhenxing.demo.persist import write_regions
from zhenxing.territory.models import Region
from zhenxing.votes import chain as vote_chain
from zhenxing.votes.identity import age_on
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    BodyKind,
    Channel,
    Elector,
    Meaning,
    Motion,
    MotionKind,
    PaperEntry,
    Proxy,
    SessionResult,
    SessionStatus,
    VoteRule,
    VotingBody,
    VotingSession,
)

NOW = datetime.datetime(2026, 11, 25, 2, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 25)
ID_NUMBER = re.compile(r"\d{17}[\dX]")
MODELS = [
    Charter,
    CharterVersion,
    Chapter,
    Article,
    CharterComment,
    VotingBody,
    VoteRule,
    VotingSession,
    Elector,
    Attendance,
    Proxy,
    Motion,
    Ballot,
    PaperEntry,
    SessionResult,
]


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        time_machine.travel(NOW, tick=False),
    ):
        try:
            plan = plan_copy(1)
            write_regions(plan.regions)
            _ensure_departments()
            _ensure_accounts(plan, "demo-pass-1")
            first = load_charters()
            rows = {m: m.objects.count() for m in MODELS}
            second = load_charters()
            yield SimpleNamespace(first=first, second=second, rows=rows, counts=demo_counts())
        finally:
            transaction.set_rollback(True)


def _present(session: VotingSession) -> list[Elector]:
    return list(Elector.objects.filter(session=session, attendance__isnull=False))


def _for_ballots(motion: Motion) -> list[Ballot]:
    return list(
        Ballot.objects.filter(motion=motion, option__meaning=Meaning.FOR).select_related("elector")
    )


def _passed_flags(figures: Any) -> list[bool]:
    """Every "passed" value in the published figures, wherever the structure keeps it."""
    if isinstance(figures, dict):
        found = [v for k, v in figures.items() if k == "passed"]
        return found + [f for v in figures.values() for f in _passed_flags(v)]
    if isinstance(figures, list):
        return [f for v in figures for f in _passed_flags(v)]
    return []


def _verify(session: VotingSession) -> None:
    """The chain checks out with the ballots module's verifier, and by our own walk."""
    report = vote_chain.verify(session)
    assert report.ok, [str(p) for p in report.problems]
    ballots = list(
        Ballot.objects.filter(session=session)
        .order_by("seq")
        .select_related("motion", "elector", "option", "cast_by")
    )
    prev = vote_chain.GENESIS
    for seq, ballot in enumerate(ballots, start=1):
        assert ballot.seq == seq and ballot.prev_hash == prev
        assert ballot.hash == ballot_hash(ballot, session)
        prev = ballot.hash
    assert report.head == vote_chain.chain_head(session) == prev


class TestTheDemoCharters:
    def test_22_charters_adopted_in_2019_and_filed(self, demo, db):
        communities = Region.objects.filter(path__startswith="GC/", depth=2)
        charters = list(Charter.objects.select_related("region"))
        assert len(charters) == 22 == demo.first["charters"]
        assert {c.region_id for c in charters} == set(communities.values_list("pk", flat=True))
        references = set()
        for charter in charters:
            assert charter.title == f"{charter.region.name}村规民约"
            v1 = charter.versions.get(number=1)
            assert v1.status == VersionStatus.FILED
            assert v1.adopted_on.year == 2019 and v1.adopted_on < v1.filed_on
            assert v1.filing_reference.startswith("桂街村约备〔2019〕")
            references.add(v1.filing_reference)
            chapters = list(v1.chapters.all())
            assert 5 <= len(chapters) <= 7
            assert [c.number for c in chapters] == list(range(1, len(chapters) + 1))
            articles = list(Article.objects.filter(chapter__version=v1).order_by("number"))
            assert 20 <= len(articles) <= 30
            assert [a.number for a in articles] == list(range(1, len(articles) + 1))
            assert all("{" not in a.text for a in articles)
            names = {
                t.name
                for a in Article.objects.filter(chapter__version=v1).prefetch_related("topics")
                for t in a.topics.all()
            }
            assert {"环境卫生", "道路交通", "房屋土地", "治安", "移风易俗", "村务管理"} <= names
        assert len(references) == 22
        zhongqu = Charter.objects.get(region__name="中区社区").versions.get(number=1)
        assert zhongqu.adopted_on == datetime.date(2019, 3, 16)
        # 中区 was the first: every other community adopted its charter later in 2019.
        others = CharterVersion.objects.filter(number=1).exclude(pk=zhongqu.pk)
        assert all(v.adopted_on > zhongqu.adopted_on for v in others)
        # The charters vary: not all have the same number of articles.
        sizes = {Article.objects.filter(chapter__version=v).count() for v in others}
        assert len(sizes) > 2
        assert demo.counts["村规民约"] == 22

    def test_every_adoption_session_closed_with_quorum_and_majority(self, demo, db):
        motions = list(
            Motion.objects.filter(kind=MotionKind.CHARTER).select_related(
                "session__body", "charter_version"
            )
        )
        assert len(motions) == 22
        for motion in motions:
            session = motion.session
            version = motion.charter_version
            assert version.number == 1 and version.status == VersionStatus.FILED
            assert session.body.kind == BodyKind.VILLAGERS
            assert session.body.region_id == version.charter.region_id
            assert session.status == SessionStatus.CLOSED and session.held_on == version.adopted_on
            assert session.roll_frozen_at and session.opened_at < session.closed_at
            assert len(session.rules_snapshot) == VoteRule.objects.filter(body=session.body).count()
            roll = list(Elector.objects.filter(session=session))
            assert 60 <= len(roll) <= 150
            present = _present(session)
            # Quorum: more than half of the adults on the roll.
            assert len(present) * 2 > len(roll)
            # One ballot per present elector; more than half of those present for.
            ballots = Ballot.objects.filter(motion=motion)
            assert ballots.count() == len(present)
            assert len(_for_ballots(motion)) * 2 > len(present)
            assert Counter(ballots.values_list("option__label", flat=True)).keys() <= {
                "同意",
                "反对",
                "弃权",
            }
            result = session.result
            assert result.ballot_count == ballots.count()
            assert result.head_hash == vote_chain.chain_head(session)
            flags = _passed_flags(result.figures)
            assert flags and all(flags), result.figures
        # Not unanimous everywhere: some against and abstaining ballots exist.
        labels = Counter(
            Ballot.objects.filter(motion__kind=MotionKind.CHARTER).values_list(
                "option__label", flat=True
            )
        )
        assert labels["同意"] > 5 * (labels["反对"] + labels["弃权"]) > 0

    def test_proxies_follow_the_rules(self, demo, db):
        proxies = list(Proxy.objects.select_related("session__body", "principal", "agent"))
        assert proxies
        held = Counter((p.session_id, p.agent_id) for p in proxies)
        principals = {(p.session_id, p.principal_id) for p in proxies}
        for proxy in proxies:
            assert proxy.principal.session_id == proxy.agent.session_id == proxy.session_id
            assert (
                held[(proxy.session_id, proxy.agent_id)] <= proxy.session.body.max_proxies_per_agent
            )
            assert (proxy.session_id, proxy.agent_id) not in principals
            assert Attendance.objects.get(elector=proxy.principal).via == AttendanceVia.PROXY
            assert Attendance.objects.get(elector=proxy.agent).via == AttendanceVia.IN_PERSON
            ballot = Ballot.objects.filter(elector=proxy.principal).first()
            if ballot is not None:
                assert ballot.cast_by_id == proxy.agent_id

    def test_the_zhongqu_subsidy_passed_by_shareholders_representatives(self, demo, db):
        motion = Motion.objects.select_related("session__body").get(title=spec.SUBSIDY_MOTION_TITLE)
        session = motion.session
        assert session.body.kind == BodyKind.SHAREHOLDERS
        assert session.body.name == "中区经联社股东代表大会"
        assert session.body.region.name == "中区社区"
        assert session.status == SessionStatus.CLOSED and session.held_on.year == 2019
        roll = list(Elector.objects.filter(session=session))
        assert all(e.is_representative and e.shares > 0 for e in roll)
        present = _present(session)
        # The shareholders' default rules: two-thirds of the roll present, two-thirds for.
        assert len(present) * 3 >= len(roll) * 2
        fors = _for_ballots(motion)
        assert len(fors) * 3 >= len(present) * 2
        shares_for = sum((b.elector.shares for b in fors), Decimal(0))
        assert shares_for * 3 >= sum((e.shares for e in present), Decimal(0)) * 2
        flags = _passed_flags(session.result.figures)
        assert flags and all(flags)

    def test_the_chains_verify_and_a_tampered_ballot_does_not(self, demo, db):
        sessions = list(VotingSession.objects.all())
        assert len(sessions) == 24 == demo.counts["表决会议"]
        for session in sessions:
            _verify(session)
        assert demo.counts["选票"] == Ballot.objects.count()
        # Tamper with one ballot's row (as SQL would): `votes verify` finds it.
        ballot = Ballot.objects.filter(motion__kind=MotionKind.CHARTER, seq=5).first()
        other = ballot.motion.options.exclude(pk=ballot.option_id).first()
        with transaction.atomic():
            Ballot.objects.filter(pk=ballot.pk).update(option=other)
            report = vote_chain.verify(ballot.session)
            transaction.set_rollback(True)
        assert not report.ok and 5 in report.bad_seqs

    def test_votes_verify_passes_on_the_demo(self, demo, db):
        session = VotingSession.objects.get(title=spec.SUBSIDY_SESSION_TITLE)
        out = StringIO()
        with translation.override("en"):
            call_command("votes", "verify", session.public_token, stdout=out)
        assert out.getvalue().startswith(f"OK: {session.result.ballot_count} ballots")
        assert session.result.head_hash in out.getvalue()
        # The published chain.json re-verifies with no database, names nobody.
        exported = json.loads(json.dumps(vote_chain.export(session), ensure_ascii=False))
        assert vote_chain.verify(exported).ok
        names = set(Elector.objects.filter(session=session).values_list("name", flat=True))
        assert not any(name in json.dumps(exported, ensure_ascii=False) for name in names)

    def test_no_id_number_is_stored(self, demo, db):
        electors = list(Elector.objects.select_related("session"))
        assert len(electors) == demo.first["electors"] > 22 * 60
        # The keyed hash is 64 hex digits (a run of digits inside it is no ID number).
        fields = [f.attname for f in Elector._meta.concrete_fields if f.name != "id_hash"]
        for elector in electors:
            for name in fields:
                assert not ID_NUMBER.search(str(getattr(elector, name) or "")), name
            assert re.fullmatch(r"[0-9a-f]{64}", elector.id_hash)
            assert age_on(elector.born_on, elector.session.held_on) >= 18
        # Nor anywhere in the published figures.
        for result in SessionResult.objects.all():
            assert not ID_NUMBER.search(str(result.figures))

    def test_zhongqu_revision_out_for_comment(self, demo, db):
        charter = Charter.objects.get(region__name="中区社区")
        v1, v2 = charter.versions.get(number=1), charter.versions.get(number=2)
        assert v2.status == VersionStatus.CONSULTATION and v2.based_on_id == v1.pk
        assert v2.consultation_opened_at.date() < TODAY < v2.consultation_ends_on
        texts1 = set(Article.objects.filter(chapter__version=v1).values_list("text", flat=True))
        texts2 = set(Article.objects.filter(chapter__version=v2).values_list("text", flat=True))
        # A few articles changed, one added, one dropped: most stay as they were.
        assert 3 <= len(texts2 - texts1) <= 5 and len(texts1 & texts2) >= 15
        assert any("电动自行车不得进楼入户" in t for t in texts2 - texts1)
        comments = list(v2.comments.all())
        assert len(comments) == len(spec.REVISION_COMMENTS)
        assert sum(c.article_id is not None for c in comments) >= 3
        assert all(c.article.chapter.version_id == v2.pk for c in comments if c.article)
        assert any(c.reply for c in comments) and not all(c.reply for c in comments)
        # Only 中区 has a second version.
        assert CharterVersion.objects.filter(number=2).count() == 1

    def test_an_open_session_in_dienan_to_try(self, demo, db):
        session = VotingSession.objects.get(status=SessionStatus.OPEN)
        assert session.body.kind == BodyKind.REPRESENTATIVES
        assert session.body.region.name == "叠南社区"
        assert session.held_on == TODAY and session.roll_frozen_at is not None
        assert set(session.tellers.values_list("username", flat=True)) == {"secretary", "admin"}
        motion = session.motions.get()
        assert motion.kind == MotionKind.RESOLUTION
        ballots = list(Ballot.objects.filter(session=session))
        assert {b.channel for b in ballots} == {Channel.PAPER, Channel.PHONE}
        for ballot in ballots:
            if ballot.channel == Channel.PAPER:
                assert ballot.entered_by.username == "secretary"
                assert ballot.confirmed_by.username == "admin"
        pending = list(PaperEntry.objects.filter(motion=motion, resolved_at__isnull=True))
        assert len(pending) == 3
        assert {p.entered_by.username for p in pending} == {"secretary"}
        voted = {b.elector_id for b in ballots}
        assert not voted & {p.elector_id for p in pending}
        # Present (signed in) and not yet voted: someone left to enter a ballot for.
        present = {e.pk for e in _present(session)}
        assert voted <= present and present - voted - {p.elector_id for p in pending}
        assert (
            not hasattr(session, "result")
            or not SessionResult.objects.filter(session=session).exists()
        )

    def test_a_second_load_adds_nothing(self, demo, db):
        assert set(demo.second.values()) == {0}
        for model, count in demo.rows.items():
            assert model.objects.count() == count, model.__name__

    def test_a_later_start_moves_the_open_meeting_to_that_day(self, demo, db):
        # Codes expire with the session's day: started days later, the demo's open
        # meeting is held that day, so a code issued now still works.
        later = NOW + datetime.timedelta(days=3)
        assert set(load_charters(now=later).values()) == {0}
        session = VotingSession.objects.get(status="open")
        assert session.held_on == later.date()
