"""Attendance (到会) and proxies (委托投票): while the session is open, by the rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zhenxing.core.models import AuditEntry
from zhenxing.votes import rolls
from zhenxing.votes.chain import GENESIS
from zhenxing.votes.models import (
    Attendance,
    AttendanceVia,
    Ballot,
    Channel,
    PaperEntry,
    Proxy,
    SessionStatus,
    VotingSession,
)


def open_session(session: VotingSession) -> VotingSession:
    """As the session's opening leaves it: open, the roll frozen, the rules copied."""
    from zhenxing.votes.rules import rule_dict

    now = timezone.now()
    VotingSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.OPEN,
        roll_frozen_at=now,
        opened_at=now,
        rules_snapshot=[rule_dict(r) for r in session.body.rules.all()],
    )
    session.refresh_from_db()
    return session


@pytest.fixture
def opened(votes):
    open_session(votes.session_a)
    return votes


def ballot(votes, elector, seq=1):
    return Ballot.objects.create(
        session=votes.session_a,
        motion=votes.motion_a,
        elector=elector,
        option=votes.options[0],
        channel=Channel.PHONE,
        seq=seq,
        prev_hash=GENESIS,
        hash=f"{seq:064x}",
    )


def record(votes, elector, user, **kwargs):
    return rolls.attendance_record(session=votes.session_a, elector=elector, actor=user, **kwargs)


def proxy(votes, principal, agent, user=None):
    return rolls.proxy_record(
        session=votes.session_a, principal=principal, agent=agent, document="委托书1", actor=user
    )


# --- attendance -------------------------------------------------------------------


def test_attendance_is_recorded_only_while_the_session_is_open(world, votes):
    e = votes.electors[0]
    with translation.override("en"), pytest.raises(rolls.VoteError, match="while the session"):
        record(votes, e, world.secretary_a)
    open_session(votes.session_a)
    attendance = record(votes, e, world.secretary_a)
    assert attendance.via == AttendanceVia.IN_PERSON and attendance.recorded_by == world.secretary_a
    VotingSession.objects.filter(pk=votes.session_a.pk).update(status=SessionStatus.CLOSED)
    votes.session_a.refresh_from_db()
    with pytest.raises(rolls.VoteError):
        record(votes, votes.electors[1], world.secretary_a)
    with pytest.raises(rolls.VoteError):
        rolls.attendance_remove(session=votes.session_a, elector=e, actor=world.secretary_a)
    assert Attendance.objects.count() == 1


def test_a_second_sign_in_the_same_way_is_harmless_and_another_way_refused(world, opened):
    votes = opened
    e = votes.electors[0]
    first = record(votes, e, world.secretary_a)
    assert record(votes, e, votes.teller_a).pk == first.pk
    assert Attendance.objects.filter(elector=e).count() == 1
    assert AuditEntry.objects.filter(action="votes.attendance.record").count() == 1
    with translation.override("en"), pytest.raises(rolls.VoteError, match="already recorded"):
        record(votes, e, world.secretary_a, via=AttendanceVia.PROXY)


def test_presence_by_proxy_needs_a_proxy(world, opened):
    with translation.override("en"), pytest.raises(rolls.VoteError, match="no recorded proxy"):
        record(opened, opened.electors[0], world.secretary_a, via=AttendanceVia.PROXY)


def test_an_elector_of_another_roll_is_refused(world, opened):
    with translation.override("en"), pytest.raises(rolls.VoteError, match="not on this"):
        record(opened, opened.electors_b[0], world.secretary_a)


def test_attendance_is_removed_only_while_the_elector_has_no_ballot(world, opened):
    votes = opened
    e, f = votes.electors[0], votes.electors[1]
    record(votes, e, world.secretary_a)
    record(votes, f, world.secretary_a)
    rolls.attendance_remove(session=votes.session_a, elector=e, actor=world.secretary_a)
    assert not Attendance.objects.filter(elector=e).exists()
    with translation.override("en"), pytest.raises(rolls.VoteError, match="not recorded"):
        rolls.attendance_remove(session=votes.session_a, elector=e, actor=world.secretary_a)

    ballot(votes, f)
    with translation.override("en"), pytest.raises(rolls.VoteError, match="has a ballot"):
        rolls.attendance_remove(session=votes.session_a, elector=f, actor=world.secretary_a)
    assert Attendance.objects.filter(elector=f).exists()


def test_a_pending_paper_ballot_also_keeps_the_attendance(world, opened):
    votes = opened
    e = votes.electors[2]
    record(votes, e, world.secretary_a)
    PaperEntry.objects.create(
        motion=votes.motion_a, elector=e, option=votes.options[1], entered_by=world.secretary_a
    )
    with pytest.raises(rolls.VoteError):
        rolls.attendance_remove(session=votes.session_a, elector=e, actor=world.secretary_a)


def test_present_counts_by_headcount_households_and_shares(world, opened):
    votes = opened
    for i in (0, 1, 3, 9):  # H1, H1, H2, H4; shares 1 + 2 + 4 + 10
        record(votes, votes.electors[i], world.secretary_a)
    counts = rolls.present_counts(votes.session_a)
    assert (counts.headcount, counts.households, counts.shares) == (4, 3, Decimal("17"))


# --- proxies ----------------------------------------------------------------------


def test_a_proxy_makes_the_principal_present_by_proxy(world, opened):
    votes = opened
    principal, agent = votes.electors[0], votes.electors[1]
    p = proxy(votes, principal, agent, world.secretary_a)
    assert (p.principal, p.agent, p.document) == (principal, agent, "委托书1")
    attendance = Attendance.objects.get(elector=principal)
    assert attendance.via == AttendanceVia.PROXY
    assert not Attendance.objects.filter(elector=agent).exists()
    # Signing the principal in "by proxy" again is the same thing, and harmless.
    assert record(votes, principal, world.secretary_a, via=AttendanceVia.PROXY).pk == attendance.pk
    entry = AuditEntry.objects.get(action="votes.proxy.record")
    assert entry.changes["principal_row"] == 2 and entry.changes["agent_row"] == 3


def test_a_proxy_is_refused_for_oneself(world, opened):
    e = opened.electors[0]
    with translation.override("en"), pytest.raises(rolls.VoteError, match="their own proxy"):
        proxy(opened, e, e)
    assert not Proxy.objects.exists() and not Attendance.objects.exists()


def test_a_principal_already_present_in_person_is_refused(world, opened):
    votes = opened
    record(votes, votes.electors[0], world.secretary_a)
    with translation.override("en"), pytest.raises(rolls.VoteError, match="already present"):
        proxy(votes, votes.electors[0], votes.electors[1])
    assert not Proxy.objects.exists()


def test_a_principal_with_a_ballot_is_refused(world, opened):
    votes = opened
    ballot(votes, votes.electors[0])
    with translation.override("en"), pytest.raises(rolls.VoteError, match="already has a ballot"):
        proxy(votes, votes.electors[0], votes.electors[1])


def test_a_principal_gives_one_proxy_only(world, opened):
    votes = opened
    proxy(votes, votes.electors[0], votes.electors[1])
    with translation.override("en"), pytest.raises(rolls.VoteError, match="already given"):
        proxy(votes, votes.electors[0], votes.electors[2])


def test_no_chains_of_proxies(world, opened):
    votes = opened
    proxy(votes, votes.electors[0], votes.electors[1])
    with translation.override("en"), pytest.raises(rolls.VoteError, match="cannot hold one"):
        proxy(votes, votes.electors[2], votes.electors[0])
    with translation.override("en"), pytest.raises(rolls.VoteError, match="cannot give"):
        proxy(votes, votes.electors[1], votes.electors[3])


def test_an_agent_holds_at_most_the_bodys_limit(world, opened):
    votes = opened
    agent = votes.electors[9]
    assert votes.body_a.max_proxies_per_agent == 3
    for i in range(3):
        proxy(votes, votes.electors[i], agent)
    with translation.override("en"), pytest.raises(rolls.VoteError, match="already holds 3"):
        proxy(votes, votes.electors[3], agent)
    assert Proxy.objects.filter(agent=agent).count() == 3
    assert not Attendance.objects.filter(elector=votes.electors[3]).exists()
    # The limit is the body's: raised to 4, the fourth is taken.
    votes.body_a.max_proxies_per_agent = 4
    votes.body_a.save()
    proxy(votes, votes.electors[3], agent)
    assert Proxy.objects.filter(agent=agent).count() == 4


def test_both_must_be_on_this_roll_and_the_session_open(world, votes):
    with pytest.raises(rolls.VoteError):
        proxy(votes, votes.electors[0], votes.electors[1])  # still a draft
    open_session(votes.session_a)
    with pytest.raises(rolls.VoteError):
        proxy(votes, votes.electors[0], votes.electors_b[0])
    with pytest.raises(rolls.VoteError):
        proxy(votes, votes.electors_b[0], votes.electors[0])
    assert not Proxy.objects.exists()


def test_removing_a_presence_by_proxy_removes_the_proxy(world, opened):
    votes = opened
    proxy(votes, votes.electors[0], votes.electors[1])
    rolls.attendance_remove(
        session=votes.session_a, elector=votes.electors[0], actor=world.secretary_a
    )
    assert not Proxy.objects.exists() and not Attendance.objects.exists()
    # …so that the principal may now sign in in person.
    record(votes, votes.electors[0], world.secretary_a)


# --- the pages ---------------------------------------------------------------------


def test_the_desk_signs_electors_in_and_shows_the_quorum(world, client_for, opened):
    votes = opened
    client = client_for(votes.teller_a)
    url = reverse("votes:attendance", args=[votes.session_a.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-quorum="not-met"' in html and 'data-present="headcount">0 ' in html
    for i in range(6):  # six of ten: more than half by headcount
        response = client.post(url + "?q=H", {"elector": votes.electors[i].pk, "action": "present"})
        assert response.status_code == 302 and response["Location"] == url + "?q=H"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-quorum="met"' in html and 'data-present="headcount">6 ' in html
    assert 'data-present="households">2 ' in html
    assert "第二十二条" in html  # the rule's legal reference beside it
    part = client.get(url, {"part": "counts"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert part.content.decode().lstrip().startswith('<div id="attendance-counts"')


def test_the_quorum_at_exactly_half_is_not_met(world, client_for, opened):
    votes = opened
    for i in range(5):  # five of ten is not more than half; households H1, H2 of four
        record(votes, votes.electors[i], world.secretary_a)
    html = (
        client_for(world.secretary_a)
        .get(reverse("votes:attendance", args=[votes.session_a.pk]))
        .content.decode()
    )
    assert 'data-quorum="not-met"' in html


def test_the_desk_search_and_errors(world, client_for, opened):
    votes = opened
    client = client_for(world.secretary_a)
    url = reverse("votes:attendance", args=[votes.session_a.pk])
    html = client.get(url, {"q": "选民03"}).content.decode()
    assert "选民03" in html and "选民04" not in html
    record(votes, votes.electors[0], world.secretary_a)
    ballot(votes, votes.electors[0])
    response = client.post(
        url, {"elector": votes.electors[0].pk, "action": "remove"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "has a ballot" in response.content.decode()
    assert client.post(url, {"elector": "abc", "action": "present"}).status_code == 404
    assert client.post(url, {"elector": votes.electors[1].pk, "action": "x"}).status_code == 400
    other = votes.electors_b[0].pk
    assert client.post(url, {"elector": other, "action": "present"}).status_code == 404


def test_the_desk_before_voting_opens_records_nothing(world, client_for, votes):
    client = client_for(world.secretary_a)
    url = reverse("votes:attendance", args=[votes.session_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "once voting has opened" in html and 'value="present"' not in html
    response = client.post(
        url, {"elector": votes.electors[0].pk, "action": "present"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_the_proxies_page_records_a_proxy(world, client_for, opened):
    votes = opened
    client = client_for(votes.teller_a)
    url = reverse("votes:proxies", args=[votes.session_a.pk])
    page = client.get(url, {"principal": votes.electors[0].pk})
    assert page.status_code == 200
    assert f'<option value="{votes.electors[0].pk}" selected>' in page.content.decode()
    data = {"principal": votes.electors[0].pk, "agent": votes.electors[1].pk, "document": "W-1"}
    assert client.post(url, data).status_code == 302
    assert Proxy.objects.get().document == "W-1"
    html = client.get(url).content.decode()
    assert "W-1" in html and "选民01" in html

    again = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400 and "already given a proxy" in again.content.decode()
    self_proxy = {"principal": votes.electors[2].pk, "agent": votes.electors[2].pk}
    response = client.post(url, self_proxy, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "their own proxy" in response.content.decode()
    odd = client.post(url, {"principal": "1\x00", "agent": "zz"})
    assert odd.status_code == 400
    foreign = {"principal": votes.electors_b[0].pk, "agent": votes.electors[1].pk}
    assert client.post(url, foreign).status_code == 400
    assert Proxy.objects.count() == 1


def test_proxies_page_budget(world, client_for, opened, django_assert_max_num_queries):
    votes = opened
    for i in range(3):
        proxy(votes, votes.electors[i], votes.electors[9])
    client = client_for(world.secretary_a)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("votes:proxies", args=[votes.session_a.pk])).status_code == 200


def test_desk_page_budget(world, client_for, opened, django_assert_max_num_queries):
    votes = opened
    for i in range(4):
        record(votes, votes.electors[i], world.secretary_a)
    proxy(votes, votes.electors[5], votes.electors[9])
    client = client_for(votes.teller_a)
    url = reverse("votes:attendance", args=[votes.session_a.pk])
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


def test_desk_pages_are_hidden_from_outsiders_and_anonymous(world, client_for, opened, client):
    votes = opened
    urls = [
        reverse("votes:attendance", args=[votes.session_a.pk]),
        reverse("votes:proxies", args=[votes.session_a.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    for user in (world.outsider, world.inspector_a, world.nobody):
        viewer = client_for(user)
        for url in urls:
            assert viewer.get(url).status_code == 404
    outsider = client_for(world.outsider)
    assert (
        outsider.post(urls[0], {"elector": votes.electors[0].pk, "action": "present"}).status_code
        == 404
    )
    data = {"principal": votes.electors[0].pk, "agent": votes.electors[1].pk}
    assert outsider.post(urls[1], data).status_code == 404
    assert not Attendance.objects.exists() and not Proxy.objects.exists()
    manager = client_for(world.admin)
    for url in urls:
        assert manager.get(url).status_code == 200
        assert manager.delete(url).status_code == 405


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sign_in_desk_in_chromium(world, votes, page):
    """A teller signs an elector in, the counts follow; an undo asks first."""
    import re

    from conftest import PASSWORD

    open_session(votes.session_a)
    url = reverse("votes:attendance", args=[votes.session_a.pk])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/login/?next={url}")
    page.fill("#id_username", "teller_a")
    votes.teller_a.set_password(PASSWORD)
    votes.teller_a.save()
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(url) + "$"))

    row = page.locator(f'tr[data-elector="{votes.electors[0].pk}"]')
    row.locator('button[value="present"]').click()
    row.locator(".badge").wait_for()
    assert page.locator('[data-present="headcount"]').inner_text().startswith("1")
    assert row.locator(".badge").count() == 1

    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    row.locator('button[value="remove"]').click()  # dismissed: nothing happens
    assert Attendance.objects.filter(elector=votes.electors[0]).exists()
    row.locator('button[value="remove"]').click()
    page.locator(f'tr[data-elector="{votes.electors[0].pk}"] button[value="present"]').wait_for()
    assert not Attendance.objects.filter(elector=votes.electors[0]).exists()
    assert len(dialogs) == 2 and "选民01" in dialogs[0]
    assert errors == []
