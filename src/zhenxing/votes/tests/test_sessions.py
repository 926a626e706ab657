"""Bodies, rules, sessions and motions: the services' guards and the pages' permissions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from zhenxing.charters.models import VersionStatus
from zhenxing.core.models import AuditEntry
from zhenxing.votes import sessions
from zhenxing.votes.defaults import DEFAULT_RULES
from zhenxing.votes.models import (
    BodyKind,
    Elector,
    Meaning,
    MotionKind,
    PaperEntry,
    SessionResult,
    SessionStatus,
    VoteRule,
    VotingBody,
    VotingSession,
)
from zhenxing.votes.rules import rule_dict
from zhenxing.votes.tests.test_results import attend, cast

# --- services -----------------------------------------------------------------------


def test_a_new_body_carries_its_kinds_default_rules_with_legal_references(world):
    body = sessions.body_create(
        kind=BodyKind.SHAREHOLDERS,
        name="甲一经济社股东代表大会",
        region=world.coop_a,
        actor=world.secretary_a,
    )
    rules = list(body.rules.all())
    assert len(rules) == len(DEFAULT_RULES[BodyKind.SHAREHOLDERS])
    assert all(r.legal_reference for r in rules)
    assert {(r.purpose, r.threshold) for r in rules} == {
        ("quorum", "two_thirds"),
        ("majority", "two_thirds"),
    }
    assert AuditEntry.objects.filter(action="votes.body.create", object_id=str(body.pk)).exists()
    villagers = sessions.body_create(
        kind=BodyKind.VILLAGERS, name="社区甲第二村民会议", region=world.a, actor=world.admin
    )
    assert [r.legal_reference for r in villagers.rules.all() if r.purpose == "quorum"] == [
        ref for purpose, *_x, ref in DEFAULT_RULES[BodyKind.VILLAGERS] if purpose == "quorum"
    ]
    with translation.override("en"), pytest.raises(sessions.VoteError, match="already has"):
        sessions.body_create(
            kind=BodyKind.VILLAGERS, name="社区甲第二村民会议", region=world.a, actor=world.admin
        )


def test_rules_change_only_while_no_session_of_the_body_is_open(world, votes):
    body = votes.body_a
    rule = sessions.rule_add(
        body=body,
        purpose="majority",
        basis="households",
        base="present",
        threshold="absolute",
        legal_reference="本村章程第五条",
        actor=world.secretary_a,
    )
    assert rule.order == body.rules.count() - 1
    sessions.rule_update(
        rule=rule,
        purpose="majority",
        basis="households",
        base="roll",
        threshold="two_thirds",
        legal_reference="本村章程第六条",
        actor=world.secretary_a,
    )
    rule.refresh_from_db()
    assert (rule.base, rule.threshold, rule.legal_reference) == (
        "roll",
        "two_thirds",
        "本村章程第六条",
    )
    with translation.override("en"):
        with pytest.raises(sessions.VoteError, match="quorum"):
            sessions.rule_add(
                body=body,
                purpose="quorum",
                basis="headcount",
                base="roll",
                threshold="simple",
                legal_reference="x",
                actor=world.secretary_a,
            )
        with pytest.raises(sessions.VoteError, match="legal reference"):
            sessions.rule_add(
                body=body,
                purpose="majority",
                basis="headcount",
                base="roll",
                threshold="simple",
                legal_reference="  ",
                actor=world.secretary_a,
            )
        sessions.session_open(session=votes.session_a, actor=world.secretary_a)
        with pytest.raises(sessions.VoteError, match="open"):
            sessions.rule_delete(rule=rule, actor=world.secretary_a)
        with pytest.raises(sessions.VoteError, match="open"):
            sessions.rule_add(
                body=body,
                purpose="majority",
                basis="headcount",
                base="roll",
                threshold="simple",
                legal_reference="x",
                actor=world.secretary_a,
            )
    assert VoteRule.objects.filter(pk=rule.pk).exists()


def test_motions_get_the_standard_options_and_need_one_counting_for(world, votes):
    motion = sessions.motion_create(
        session=votes.session_a,
        kind=MotionKind.RESOLUTION,
        title="关于修路的决议",
        text="",
        actor=world.secretary_a,
    )
    assert motion.number == 2
    assert list(motion.options.values_list("label", "meaning")) == [
        ("同意", Meaning.FOR),
        ("反对", Meaning.AGAINST),
        ("弃权", Meaning.ABSTAIN),
    ]
    with translation.override("en"), pytest.raises(sessions.VoteError, match="count as for"):
        sessions.motion_update(
            motion=motion,
            kind=MotionKind.RESOLUTION,
            title="x",
            text="",
            options=[("反对", Meaning.AGAINST), ("弃权", Meaning.ABSTAIN)],
            actor=world.secretary_a,
        )
    sessions.motion_update(
        motion=motion,
        kind=MotionKind.RESOLUTION,
        title="关于修路的决议（修改）",
        text="",
        options=[("赞成", Meaning.FOR), ("不赞成", Meaning.AGAINST)],
        actor=world.secretary_a,
    )
    assert list(motion.options.values_list("label", flat=True)) == ["赞成", "不赞成"]


@pytest.mark.parametrize("missing", ["roll", "motion", "tellers"])
def test_open_is_refused_without_roll_motion_or_two_tellers(world, votes, missing):
    session = votes.session_a
    if missing == "roll":
        Elector.objects.filter(session=session).delete()
    elif missing == "motion":
        session.motions.all().delete()
    else:
        session.tellers.set([world.secretary_a])
    with translation.override("en"), pytest.raises(sessions.VoteError) as refused:
        sessions.session_open(session=session, actor=world.secretary_a)
    assert {"roll": "roll", "motion": "motion", "tellers": "tellers"}[missing] in str(refused.value)
    session.refresh_from_db()
    assert session.status == SessionStatus.DRAFT and session.roll_frozen_at is None


def test_open_freezes_the_roll_and_copies_the_rules(world, votes):
    session = sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN
    assert session.roll_frozen_at is not None and session.opened_at is not None
    assert session.rules_snapshot == [rule_dict(r) for r in votes.body_a.rules.all()]
    assert all(r["legal_reference"] for r in session.rules_snapshot)
    assert AuditEntry.objects.filter(
        action="votes.session.open", object_id=str(session.pk)
    ).exists()
    with translation.override("en"), pytest.raises(sessions.VoteError, match="voting open"):
        sessions.session_open(session=session, actor=world.secretary_a)
    with pytest.raises(sessions.VoteError):
        sessions.session_update(
            session=session,
            title="x",
            held_on=session.held_on,
            place="",
            tellers=[],
            actor=world.secretary_a,
        )
    with pytest.raises(sessions.VoteError):
        sessions.motion_create(
            session=session,
            kind=MotionKind.RESOLUTION,
            title="late",
            text="",
            actor=world.secretary_a,
        )


def test_close_is_refused_while_a_paper_entry_waits_for_its_second_teller(world, votes):
    session = sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    entry = PaperEntry.objects.create(
        motion=votes.motion_a,
        elector=votes.electors[0],
        option=votes.options[0],
        entered_by=votes.teller_a,
    )
    with translation.override("en"), pytest.raises(sessions.VoteError, match="second teller"):
        sessions.session_close(session=session, actor=world.secretary_a)
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN and not SessionResult.objects.exists()
    PaperEntry.objects.filter(pk=entry.pk).update(
        resolved_at=datetime.datetime(2026, 12, 5, 10, tzinfo=datetime.UTC), discarded=True
    )
    result = sessions.session_close(session=session, actor=world.secretary_a)
    assert result.ballot_count == 0 and result.session.status == SessionStatus.CLOSED


def test_close_publishes_figures_and_head_hash_and_later_rule_changes_change_nothing(world, votes):
    session = sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    e = votes.electors
    attend(session, e[:6])
    ballots = cast(session, votes.motion_a, [(x, votes.options[0]) for x in e[:4]])
    result = sessions.session_close(session=session, actor=world.secretary_a)
    assert result.head_hash == ballots[-1].hash
    assert result.ballot_count == 4
    assert result.figures["motions"][0]["passed"] is True
    published = result.figures
    # After the close the body's rules may change again; the result stays as published.
    for rule in votes.body_a.rules.filter(purpose="majority"):
        sessions.rule_update(
            rule=rule,
            purpose="majority",
            basis="headcount",
            base="roll",
            threshold="two_thirds",
            legal_reference="改",
            actor=world.secretary_a,
        )
    result.refresh_from_db()
    assert result.figures == published
    assert sessions.results.compute(VotingSession.objects.get(pk=session.pk)) == published


def _charter_session(world, votes, charters):
    motion = sessions.motion_create(
        session=votes.session_a,
        kind=MotionKind.CHARTER,
        title="审议通过社区甲村规民约",
        text="",
        charter_version=charters.version_a,
        actor=world.secretary_a,
    )
    return motion


def test_a_charter_motion_moves_its_version_to_the_vote_and_to_adopted(world, votes, charters):
    motion = _charter_session(world, votes, charters)
    session = sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    charters.version_a.refresh_from_db()
    assert charters.version_a.status == VersionStatus.VOTING
    e = votes.electors
    attend(session, e[:6])
    agree = motion.options.get(label="同意")
    cast(session, motion, [(x, agree) for x in e[:4]])
    sessions.session_close(session=session, actor=world.secretary_a)
    charters.version_a.refresh_from_db()
    assert charters.version_a.status == VersionStatus.ADOPTED
    assert charters.version_a.adopted_on == session.held_on


def test_a_charter_motion_that_fails_leaves_its_version_not_adopted(world, votes, charters):
    motion = _charter_session(world, votes, charters)
    session = sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    e = votes.electors
    attend(session, e[:6])
    agree = motion.options.get(label="同意")
    cast(session, motion, [(x, agree) for x in e[:3]])  # exactly half of those present
    sessions.session_close(session=session, actor=world.secretary_a)
    charters.version_a.refresh_from_db()
    assert charters.version_a.status == VersionStatus.NOT_ADOPTED


def test_a_charter_motion_must_name_a_ready_charter_of_the_bodys_community(world, votes, charters):
    with translation.override("en"):
        with pytest.raises(sessions.VoteError, match="not a charter of"):
            sessions.motion_create(
                session=votes.session_a,
                kind=MotionKind.CHARTER,
                title="x",
                text="",
                charter_version=charters.version_b,
                actor=world.secretary_a,
            )
        type(charters.version_a).objects.filter(pk=charters.version_a.pk).update(
            status=VersionStatus.ADOPTED
        )
        with pytest.raises(sessions.VoteError, match="draft"):
            sessions.motion_create(
                session=votes.session_a,
                kind=MotionKind.CHARTER,
                title="x",
                text="",
                charter_version=charters.version_a,
                actor=world.secretary_a,
            )


# --- pages --------------------------------------------------------------------------


def _urls(votes):
    s, b = votes.session_a.pk, votes.body_a.pk
    rule = votes.body_a.rules.first().pk
    return {
        "session": reverse("votes:session", args=[s]),
        "session_edit": reverse("votes:session_edit", args=[s]),
        "motion_create": reverse("votes:motion_create", args=[s]),
        "motion_edit": reverse("votes:motion_edit", args=[votes.motion_a.pk]),
        "session_open": reverse("votes:session_open", args=[s]),
        "session_close": reverse("votes:session_close", args=[s]),
        "result": reverse("votes:result", args=[s]),
        "notice_docx": reverse("votes:notice_docx", args=[s]),
        "notice_pdf": reverse("votes:notice_pdf", args=[s]),
        "body": reverse("votes:body", args=[b]),
        "rule_add": reverse("votes:rule_add", args=[b]),
        "rule_edit": reverse("votes:rule_edit", args=[rule]),
        "rule_delete": reverse("votes:rule_delete", args=[rule]),
    }


def test_anonymous_users_are_sent_to_log_in(client, votes):
    for url in [reverse("votes:sessions"), reverse("votes:bodies"), *_urls(votes).values()]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


def test_the_outsider_gets_404_on_everything_of_community_a(client_for, world, votes):
    client = client_for(world.outsider)
    get_only = {"session", "result", "notice_docx", "notice_pdf", "body"}
    for name, url in _urls(votes).items():
        assert client.get(url).status_code == 404, name
        if name not in get_only:
            assert client.post(url, {"confirm": "on"}).status_code == 404, name
    listing = client.get(reverse("votes:sessions"))
    assert votes.session_a.title not in listing.content.decode()
    assert votes.session_b.title in listing.content.decode()


def test_a_teller_sees_the_session_but_gets_403_on_managers_actions(client_for, world, votes):
    client = client_for(votes.teller_a)
    page = client.get(_urls(votes)["session"])
    assert page.status_code == 200 and votes.motion_a.title in page.content.decode()
    for name in ("session_edit", "motion_create", "motion_edit", "session_open", "session_close"):
        url = _urls(votes)[name]
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"confirm": "on"}).status_code == 403, name
    # The body's rules are for those who manage votes in its community.
    assert client.get(_urls(votes)["body"]).status_code == 404
    assert client.get(reverse("votes:bodies")).status_code == 404
    assert client.get(reverse("votes:session_create")).status_code == 404
    votes.session_a.refresh_from_db()
    assert votes.session_a.status == SessionStatus.DRAFT


def test_wrong_methods_get_405_and_odd_ids_404(client_for, world, votes):
    client = client_for(world.secretary_a)
    assert client.post(reverse("votes:sessions")).status_code == 405
    assert client.put(_urls(votes)["session_open"]).status_code == 405
    assert client.post(_urls(votes)["result"]).status_code == 405
    assert client.get("/votes/99999999999999999999/").status_code == 404
    assert client.get(reverse("votes:rule_edit", args=[2**40])).status_code == 404
    assert client.get(reverse("votes:session_create") + "?body=%00").status_code == 200


def test_a_secretary_runs_a_session_from_body_to_result(client_for, world, votes):
    client = client_for(world.secretary_a)
    response = client.post(
        reverse("votes:body_create"),
        {
            "kind": "representatives",
            "name": "社区甲村民代表会议",
            "region": world.a.pk,
            "max_proxies_per_agent": 3,
        },
    )
    body = VotingBody.objects.get(name="社区甲村民代表会议")
    assert response.status_code == 302 and body.rules.count() == 2
    page = client.get(reverse("votes:body", args=[body.pk]))
    assert "第二十六条" in page.content.decode()

    response = client.post(
        reverse("votes:session_create"),
        {
            "body": votes.body_a.pk,
            "title": "2026年第二次村民会议",
            "held_on": "2026-12-20",
            "place": "礼堂",
            "tellers": f"{world.secretary_a.username}, {votes.teller_a.username}",
        },
    )
    assert response.status_code == 302
    session = VotingSession.objects.get(title="2026年第二次村民会议")
    assert set(session.tellers.all()) == {world.secretary_a, votes.teller_a}
    assert len(session.public_token) == 16

    response = client.post(
        reverse("votes:motion_create", args=[session.pk]),
        {
            "kind": "resolution",
            "title": "关于垃圾清运补贴的决议",
            "text": "每户每月补贴10元",
            "label_1": "同意",
            "meaning_1": "for",
            "label_2": "反对",
            "meaning_2": "against",
        },
    )
    assert response.status_code == 302
    assert list(session.motions.get().options.values_list("label", flat=True)) == ["同意", "反对"]

    # No roll yet: the open page says so, and the POST is refused with a 400.
    response = client.get(
        reverse("votes:session_open", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Import the roll" in response.content.decode()
    response = client.post(
        reverse("votes:session_open", args=[session.pk]),
        {"confirm": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "Import the roll" in response.content.decode()
    for e in votes.electors[:3]:
        Elector.objects.create(
            session=session,
            name=e.name,
            id_hash=e.id_hash,
            household=e.household,
            shares=e.shares,
            row_number=e.row_number,
        )
    # Without the box ticked nothing happens.
    assert client.post(reverse("votes:session_open", args=[session.pk]), {}).status_code == 400
    response = client.post(reverse("votes:session_open", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN and session.roll_frozen_at

    electors = list(session.electors.all())
    motion = session.motions.get()
    attend(session, electors)
    cast(
        session,
        motion,
        [
            (electors[0], motion.options.get(label="同意")),
            (electors[1], motion.options.get(label="同意")),
        ],
    )
    assert client.get(reverse("votes:result", args=[session.pk])).status_code == 404
    assert client.get(reverse("votes:notice_pdf", args=[session.pk])).status_code == 404
    response = client.post(reverse("votes:session_close", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("votes:result", args=[session.pk])
    page = client.get(reverse("votes:result", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert session.result.head_hash in text and "Passed" in text
    assert "第二十二条" in text  # the legal reference beside each rule
    assert reverse("votes_public:result", args=[session.public_token]) in text


def test_forms_refuse_bad_input_with_a_400_that_keeps_what_was_typed(client_for, world, votes):
    client = client_for(world.secretary_a)
    response = client.post(
        reverse("votes:session_create"),
        {
            "body": votes.body_a.pk,
            "title": "会议\x00",
            "held_on": "2026-12-20",
            "tellers": "nosuchuser, sec_a",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "nosuchuser" in text and "No active login" in text
    response = client.post(
        reverse("votes:rule_add", args=[votes.body_a.pk]),
        {
            "purpose": "quorum",
            "basis": "headcount",
            "base": "present",
            "threshold": "simple",
            "legal_reference": "章程第三条",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "章程第三条" in response.content.decode()
    response = client.post(
        reverse("votes:motion_create", args=[votes.session_a.pk]),
        {
            "kind": "charter",
            "title": "通过村规民约",
            "label_1": "同意",
            "meaning_1": "for",
            "label_2": "反对",
            "meaning_2": "against",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "Choose the charter version" in response.content.decode()
    # The outsider's body is not among those a session may be created for.
    response = client.post(
        reverse("votes:session_create"),
        {"body": votes.body_b.pk, "title": "x", "held_on": "2026-12-20"},
    )
    assert response.status_code == 400
    assert not VotingSession.objects.filter(title="x").exists()


def test_session_list_filters_and_keeps_to_a_query_budget(
    client_for, world, votes, django_assert_max_num_queries
):
    for i in range(12):
        sessions.session_create(
            body=votes.body_a,
            title=f"会议{i}",
            held_on=datetime.date(2026, 1, i + 1),
            place="",
            tellers=[world.secretary_a],
            actor=world.secretary_a,
        )
    client = client_for(world.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("votes:sessions"))
    assert response.status_code == 200
    assert (
        "会议11" in response.content.decode() and votes.session_b.title in response.content.decode()
    )
    response = client.get(reverse("votes:sessions"), {"community": world.b.pk})
    assert votes.session_b.title in response.content.decode()
    assert "会议11" not in response.content.decode()
    response = client.get(reverse("votes:sessions"), {"status": "closed"})
    assert "会议11" not in response.content.decode()
    with django_assert_max_num_queries(10):
        assert client.get(reverse("votes:bodies")).status_code == 200


def test_every_page_renders_for_the_secretary(client_for, world, votes, charters):
    client = client_for(world.secretary_a)
    urls = _urls(votes)
    for name in (
        "session",
        "session_edit",
        "motion_create",
        "motion_edit",
        "session_open",
        "body",
        "rule_add",
        "rule_edit",
        "rule_delete",
    ):
        response = client.get(urls[name])
        assert response.status_code == 200, name
    for url in (
        reverse("votes:sessions"),
        reverse("votes:bodies"),
        reverse("votes:body_create"),
        reverse("votes:session_create") + f"?body={votes.body_a.pk}",
    ):
        assert client.get(url).status_code == 200, url
    # The charter version of 社区甲 is offered to a motion; 社区乙's is not.
    form = client.get(urls["motion_create"]).content.decode()
    assert "社区甲村规民约 v1" in form and "社区乙村规民约" not in form
    sessions.session_open(session=votes.session_a, actor=world.secretary_a)
    PaperEntry.objects.create(
        motion=votes.motion_a,
        elector=votes.electors[0],
        option=votes.options[0],
        entered_by=votes.teller_a,
    )
    page = client.get(urls["session_close"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "still waits for a second teller" in page.content.decode()
    detail = client.get(urls["session"]).content.decode()
    assert reverse("votes:paper", args=[votes.session_a.pk]) in detail
    # Once open, the body's rules can no longer be edited from its page.
    body = client.get(urls["body"]).content.decode()
    assert urls["rule_edit"] not in body
    response = client.post(urls["rule_delete"], HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and VoteRule.objects.filter(body=votes.body_a).count() == 3
