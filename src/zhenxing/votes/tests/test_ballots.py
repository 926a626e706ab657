"""Paper ballots entered by one teller and confirmed by another; one ballot per motion across
paper and phone; proxies; the tellers' pages."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from zhenxing.core.models import AuditEntry
from zhenxing.votes import chain
from zhenxing.votes.ballots import (
    VoteError,
    code_issue,
    paper_confirm,
    paper_discard,
    paper_enter,
    phone_cast,
)
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


def open_session(votes, world):
    """Open session_a the way the session pages do (H2's service: roll frozen, rules copied)."""
    from zhenxing.votes.sessions import session_open

    session_open(session=votes.session_a, actor=world.secretary_a)
    votes.session_a.refresh_from_db()
    return votes.session_a


def close_session(votes, world):
    from zhenxing.votes.sessions import session_close

    result = session_close(session=votes.session_a, actor=world.secretary_a)
    votes.session_a.refresh_from_db()
    return result


def paper_ballot(votes, world, elector, option, *, cast_by=None):
    """A paper ballot entered by teller_a and confirmed by secretary_a."""
    entry = paper_enter(
        motion=votes.motion_a,
        elector=elector,
        option=option,
        cast_by=cast_by,
        actor=votes.teller_a,
    )
    return paper_confirm(entry=entry, option=option, actor=world.secretary_a).ballot


@pytest.fixture
def opened(world, votes):
    return open_session(votes, world)


# --- services ---------------------------------------------------------------------------------


def test_second_teller_confirms_a_paper_ballot_into_the_chain(world, votes, opened):
    elector, yes = votes.electors[0], votes.options[0]
    entry = paper_enter(motion=votes.motion_a, elector=elector, option=yes, actor=votes.teller_a)
    assert not Ballot.objects.exists()
    outcome = paper_confirm(entry=entry, option=yes, actor=world.secretary_a)
    ballot = outcome.ballot
    assert outcome.matched and ballot.seq == 1 and ballot.prev_hash == chain.GENESIS
    assert ballot.channel == Channel.PAPER
    assert ballot.entered_by == votes.teller_a and ballot.confirmed_by == world.secretary_a
    assert chain.chain_head(opened) == ballot.hash
    entry.refresh_from_db()
    assert entry.resolved_at is not None and not entry.discarded
    # Whoever voted is present, in person.
    assert Attendance.objects.get(elector=elector).via == AttendanceVia.IN_PERSON
    assert AuditEntry.objects.filter(action="votes.ballot.paper").count() == 1
    # The next ballot links to this one.
    second = paper_ballot(votes, world, votes.electors[1], votes.options[1])
    assert second.seq == 2 and second.prev_hash == ballot.hash


def test_the_same_teller_cannot_confirm_their_own_entry(world, votes, opened):
    yes = votes.options[0]
    entry = paper_enter(
        motion=votes.motion_a, elector=votes.electors[0], option=yes, actor=votes.teller_a
    )
    with pytest.raises(VoteError) as refused:
        paper_confirm(entry=entry, option=yes, actor=votes.teller_a)
    assert refused.value.code == "same-teller"
    assert not Ballot.objects.exists()
    entry.refresh_from_db()
    assert entry.resolved_at is None


def test_a_different_reading_discards_the_entry(world, votes, opened):
    elector, yes, no = votes.electors[0], votes.options[0], votes.options[1]
    entry = paper_enter(motion=votes.motion_a, elector=elector, option=yes, actor=votes.teller_a)
    outcome = paper_confirm(entry=entry, option=no, actor=world.secretary_a)
    assert not outcome.matched and outcome.ballot is None
    entry.refresh_from_db()
    assert entry.discarded and entry.resolved_at is not None
    assert not Ballot.objects.exists()
    # Both look again: a new entry of the same paper is accepted.
    again = paper_enter(motion=votes.motion_a, elector=elector, option=no, actor=votes.teller_a)
    assert paper_confirm(entry=again, option=no, actor=world.secretary_a).matched


def test_a_teller_of_the_session_only_and_only_while_open(world, votes):
    yes = votes.options[0]
    with pytest.raises(VoteError) as refused:
        paper_enter(
            motion=votes.motion_a, elector=votes.electors[0], option=yes, actor=votes.teller_a
        )
    assert refused.value.code == "not-open"
    open_session(votes, world)
    with pytest.raises(VoteError) as refused:
        paper_enter(motion=votes.motion_a, elector=votes.electors[0], option=yes, actor=world.admin)
    assert refused.value.code == "not-teller"
    assert not PaperEntry.objects.exists()


def test_an_option_of_another_motion_or_an_elector_of_another_roll_is_refused(world, votes, opened):
    from zhenxing.votes.testing import standard_options

    other = votes.motion_a.session.motions.create(number=2, kind="resolution", title="另一议题")
    other_yes = standard_options(other)[0]
    with pytest.raises(VoteError):
        paper_enter(
            motion=votes.motion_a,
            elector=votes.electors[0],
            option=other_yes,
            actor=votes.teller_a,
        )
    with pytest.raises(VoteError):
        paper_enter(
            motion=votes.motion_a,
            elector=votes.electors_b[0],
            option=votes.options[0],
            actor=votes.teller_a,
        )


def test_a_pending_paper_entry_blocks_a_second_entry(world, votes, opened):
    elector, yes = votes.electors[0], votes.options[0]
    paper_enter(motion=votes.motion_a, elector=elector, option=yes, actor=votes.teller_a)
    with pytest.raises(VoteError) as refused:
        paper_enter(motion=votes.motion_a, elector=elector, option=yes, actor=world.secretary_a)
    assert refused.value.code == "pending"


def test_double_voting_paper_then_phone_is_refused(world, votes, opened):
    elector = votes.electors[0]
    _, plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    paper_ballot(votes, world, elector, votes.options[0])
    with pytest.raises(VoteError) as refused:
        phone_cast(code=plain, choices={votes.motion_a: votes.options[1]})
    assert refused.value.code == "double"
    assert Ballot.objects.filter(elector=elector).count() == 1
    # Nothing was written: the code is still unused.
    assert elector.codes.get().used_at is None


def test_double_voting_phone_then_paper_is_refused(world, votes, opened):
    elector = votes.electors[0]
    _, plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    [ballot] = phone_cast(code=plain, choices={votes.motion_a: votes.options[0]})
    assert ballot.channel == Channel.PHONE
    with translation.override("en"), pytest.raises(VoteError) as refused:
        paper_enter(
            motion=votes.motion_a, elector=elector, option=votes.options[1], actor=votes.teller_a
        )
    assert refused.value.code == "double"
    assert "one ballot per motion" in refused.value.message
    assert not PaperEntry.objects.exists()


def test_a_pending_paper_entry_then_phone_is_refused(world, votes, opened):
    elector = votes.electors[0]
    _, plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    paper_enter(
        motion=votes.motion_a, elector=elector, option=votes.options[0], actor=votes.teller_a
    )
    with pytest.raises(VoteError) as refused:
        phone_cast(code=plain, choices={votes.motion_a: votes.options[1]})
    assert refused.value.code == "pending"
    assert not Ballot.objects.exists()


def test_the_database_refuses_a_second_ballot_whatever_the_code_path(world, votes, opened):
    elector = votes.electors[0]
    paper_ballot(votes, world, elector, votes.options[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        chain.append(
            session=opened,
            motion=votes.motion_a,
            elector=elector,
            option=votes.options[1],
            channel=Channel.PHONE,
        )


def test_a_confirmation_that_finds_a_ballot_already_is_refused(world, votes, opened):
    """An entry made before a phone ballot got in (the checks raced): the database's
    constraint stops the second ballot and the teller gets a clear refusal."""
    elector = votes.electors[0]
    entry = PaperEntry.objects.create(
        motion=votes.motion_a,
        elector=elector,
        option=votes.options[0],
        entered_by=votes.teller_a,
    )
    _, plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    # The phone's own check sees the pending entry; pretend it did not (a race).
    with transaction.atomic():
        chain.append(
            session=opened,
            motion=votes.motion_a,
            elector=elector,
            option=votes.options[1],
            channel=Channel.PHONE,
        )
    with pytest.raises(VoteError) as refused:
        paper_confirm(entry=entry, option=votes.options[0], actor=world.secretary_a)
    assert refused.value.code == "double"
    assert Ballot.objects.filter(elector=elector).count() == 1


def test_the_proxy_agent_fills_in_the_principals_paper(world, votes, opened):
    principal, agent = votes.electors[2], votes.electors[5]
    with pytest.raises(VoteError) as refused:
        paper_enter(
            motion=votes.motion_a,
            elector=principal,
            option=votes.options[0],
            cast_by=agent,
            actor=votes.teller_a,
        )
    assert refused.value.code == "no-proxy"
    Proxy.objects.create(session=opened, principal=principal, agent=agent)
    ballot = paper_ballot(votes, world, principal, votes.options[0], cast_by=agent)
    assert ballot.elector == principal and ballot.cast_by == agent
    assert Attendance.objects.get(elector=principal).via == AttendanceVia.PROXY
    # The agent's own ballot is theirs to cast as well.
    own = paper_ballot(votes, world, agent, votes.options[1])
    assert own.cast_by is None
    # The chain names the agent by pseudonym.
    exported = chain.export(opened)
    assert exported["ballots"][0]["cast_by"] == chain.pseudonym(opened, agent)


def test_a_teller_discards_a_pending_entry(world, votes, opened):
    entry = paper_enter(
        motion=votes.motion_a,
        elector=votes.electors[0],
        option=votes.options[0],
        actor=votes.teller_a,
    )
    paper_discard(entry=entry, actor=votes.teller_a)
    entry.refresh_from_db()
    assert entry.discarded
    with pytest.raises(VoteError):
        paper_confirm(entry=entry, option=votes.options[0], actor=world.secretary_a)


def test_no_ballot_after_the_session_closes(world, votes, opened):
    paper_ballot(votes, world, votes.electors[0], votes.options[0])
    close_session(votes, world)
    with pytest.raises(VoteError) as refused:
        paper_enter(
            motion=votes.motion_a,
            elector=votes.electors[1],
            option=votes.options[0],
            actor=votes.teller_a,
        )
    assert refused.value.code == "not-open"


# --- pages ------------------------------------------------------------------------------------


def test_paper_page_search_and_entry(world, votes, opened, client_for):
    client = client_for(votes.teller_a)
    url = reverse("votes:paper", args=[opened.pk])
    page = client.get(url, {"q": "选民03"})
    assert page.status_code == 200 and "选民03" in page.content.decode()
    elector = votes.electors[2]
    page = client.get(url, {"q": "选民03", "elector": elector.pk})
    assert f'value="{votes.options[0].pk}"' in page.content.decode()
    response = client.post(
        url,
        {
            "elector": elector.pk,
            "motion": votes.motion_a.pk,
            "option": votes.options[0].pk,
            "q": "选民03",
        },
    )
    assert response.status_code == 302
    entry = PaperEntry.objects.get()
    assert entry.entered_by == votes.teller_a and entry.elector == elector
    # Entering the same paper again is refused with a message, and a 400.
    again = client.post(
        url,
        {"elector": elector.pk, "motion": votes.motion_a.pk, "option": votes.options[1].pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 400
    assert "waiting for a second teller" in again.content.decode()


def test_paper_page_refuses_malformed_input(world, votes, opened, client_for):
    client = client_for(votes.teller_a)
    url = reverse("votes:paper", args=[opened.pk])
    for bad in ("x", "1\x00", "9" * 30, "-1"):
        response = client.post(
            url, {"elector": bad, "motion": votes.motion_a.pk, "option": votes.options[0].pk}
        )
        assert response.status_code == 400
    assert client.get(url, {"elector": "9" * 30, "q": "\x00"}).status_code == 200
    assert not PaperEntry.objects.exists()


def test_confirm_page_hides_the_first_choice_and_refuses_the_same_teller(
    world, votes, opened, client_for
):
    yes = votes.options[0]
    entry = paper_enter(
        motion=votes.motion_a, elector=votes.electors[0], option=yes, actor=votes.teller_a
    )
    url = reverse("votes:paper_confirm", args=[opened.pk])
    client = client_for(votes.teller_a)
    page = client.get(url)
    assert f'data-entry="{entry.pk}"' not in page.content.decode()
    refused = client.post(url, {"entry": entry.pk, "option": yes.pk})
    assert refused.status_code == 400
    assert not Ballot.objects.exists()

    client = client_for(world.secretary_a)
    page = client.get(url).content.decode()
    assert f'data-entry="{entry.pk}"' in page
    # The page offers every option alike: nothing marks the first teller's choice.
    assert page.count("btn btn-lg btn-outline-primary") == len(votes.options)
    assert client.post(url, {"entry": entry.pk, "option": yes.pk}).status_code == 302
    assert Ballot.objects.get().confirmed_by == world.secretary_a


def test_confirm_page_mismatch_warns(world, votes, opened, client_for):
    entry = paper_enter(
        motion=votes.motion_a,
        elector=votes.electors[0],
        option=votes.options[0],
        actor=votes.teller_a,
    )
    client = client_for(world.secretary_a)
    url = reverse("votes:paper_confirm", args=[opened.pk])
    response = client.post(
        url, {"entry": entry.pk, "option": votes.options[1].pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "readings" in page and "discarded" in page
    assert not Ballot.objects.exists()


def test_paper_pages_access(world, votes, opened, client, client_for):
    for name in ("votes:paper", "votes:paper_confirm"):
        url = reverse(name, args=[opened.pk])
        client.logout()  # client_for logs this same client in
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
        # The office sees the session but is not one of its tellers.
        assert client_for(world.admin).get(url).status_code == 403
        assert client_for(world.outsider).get(url).status_code == 404
        assert client_for(world.nobody).get(url).status_code == 404
        assert client_for(votes.teller_a).put(url).status_code == 405
        assert client_for(votes.teller_a).get(url).status_code == 200
    assert client_for(votes.teller_a).get("/votes/999999999/paper/").status_code == 404


def test_pending_list_query_budget(world, votes, opened, client_for, django_assert_max_num_queries):
    for elector in votes.electors:
        paper_enter(
            motion=votes.motion_a, elector=elector, option=votes.options[0], actor=votes.teller_a
        )
    client = client_for(world.secretary_a)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("votes:paper_confirm", args=[opened.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("votes:paper", args=[opened.pk])).status_code == 200


def test_staff_chain_json(world, votes, opened, client_for):
    paper_ballot(votes, world, votes.electors[0], votes.options[0])
    response = client_for(votes.teller_a).get(reverse("votes:chain_json", args=[opened.pk]))
    assert response.status_code == 200
    data = response.json()
    assert data["session"] == opened.public_token and len(data["ballots"]) == 1
    assert "选民01" not in response.content.decode()
    assert (
        client_for(world.outsider).get(reverse("votes:chain_json", args=[opened.pk])).status_code
        == 404
    )
    assert VotingSession.objects.get(pk=opened.pk).status == SessionStatus.OPEN
