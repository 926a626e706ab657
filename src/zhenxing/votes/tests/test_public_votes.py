"""The public pages: voting on a phone with a code (three steps, rate-limited wrong codes), a
closed session's result and its chain.json (no names, 404 before the close)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from zhenxing.core.privacy import mask_name
from zhenxing.votes import chain
from zhenxing.votes.ballots import code_issue
from zhenxing.votes.models import Ballot, Channel, OneTimeCode
from zhenxing.votes.tests.test_ballots import close_session, open_session, paper_ballot

CAST = "/public/votes/cast/"


@pytest.fixture
def opened(world, votes):
    return open_session(votes, world)


@pytest.fixture
def code(world, votes, opened):
    _, plain = code_issue(session=opened, elector=votes.electors[0], actor=world.secretary_a)
    return plain


def post(client, **data):
    return client.post(CAST, data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_cast_page_needs_no_login(client, db):
    assert reverse("votes_public:cast") == CAST
    response = client.get(CAST)
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert client.put(CAST).status_code == 405


def test_voting_with_a_code_in_three_steps(world, votes, code, client):
    yes = votes.options[0]
    field = f"m{votes.motion_a.number}"
    ballot_step = post(client, step="code", code=f"{code[:5].lower()}-{code[5:]}")
    page = ballot_step.content.decode()
    assert ballot_step.status_code == 200 and 'data-step="ballot"' in page
    assert votes.motion_a.title in page and f'value="{yes.pk}"' in page
    # The voter's name is masked; nobody else's is on the page.
    assert "选民01" not in page
    assert mask_name("选民01") in page

    review = post(client, step="review", code=code, **{field: yes.pk})
    assert review.status_code == 200 and 'data-step="review"' in review.content.decode()
    assert f'data-choice="1">{yes.label}<' in review.content.decode()
    assert not Ballot.objects.exists()

    # Back to change, with the choice kept.
    edit = post(client, step="edit", code=code, **{field: yes.pk})
    assert 'data-step="ballot"' in edit.content.decode()
    assert "checked" in edit.content.decode()

    done = post(client, step="cast", code=code, **{field: yes.pk})
    assert done.status_code == 200 and 'data-step="done"' in done.content.decode()
    ballot = Ballot.objects.get()
    assert ballot.channel == Channel.PHONE and ballot.option == yes
    assert ballot.hash in done.content.decode() and 'data-seq="1"' in done.content.decode()
    assert OneTimeCode.objects.get().used_at is not None

    # A retry from the same phone (lost answer) shows the receipt again...
    retry = post(client, step="cast", code=code, **{field: yes.pk})
    assert retry.status_code == 200 and ballot.hash in retry.content.decode()
    assert Ballot.objects.count() == 1


def test_a_used_code_from_another_phone_is_refused(world, votes, code, client):
    field = f"m{votes.motion_a.number}"
    post(client, step="cast", code=code, **{field: votes.options[0].pk})
    other = Client()
    refused = post(other, step="cast", code=code, **{field: votes.options[1].pk})
    assert refused.status_code == 400
    assert 'data-refusal="used"' in refused.content.decode()
    assert Ballot.objects.get().option == votes.options[0]


def test_a_missing_or_foreign_choice_is_a_400(world, votes, code, client):
    field = f"m{votes.motion_a.number}"
    missing = post(client, step="review", code=code)
    assert missing.status_code == 400 and "Choose an option on motion 1" in missing.content.decode()
    for bad in ("x", "9" * 30, "\x00", "-1"):
        assert post(client, step="cast", code=code, **{field: bad}).status_code == 400
    nonsense = post(client, step="nonsense", code=code, **{field: votes.options[0].pk})
    assert nonsense.status_code == 400
    assert not Ballot.objects.exists()


def test_malformed_and_wrong_codes(world, votes, code, client, settings):
    settings.ZHENXING_VOTE_CODE_MISSES_PER_HOUR = 2
    assert post(client, step="code", code="short").status_code == 400
    assert post(client, step="code", code="ABC\x00DEFGHJ").status_code == 400
    assert post(client, step="code", code="x" * 500).status_code == 400
    # Malformed codes never reach the lookup, so they are not counted as misses.
    wrong = "ABCDEFGHJK" if code != "ABCDEFGHJK" else "BCDEFGHJKM"
    first = post(client, step="code", code=wrong)
    assert first.status_code == 404 and 'data-refusal="unknown"' in first.content.decode()
    assert post(client, step="code", code=wrong).status_code == 404
    # The allowance is spent: even the right code is refused, as a guesser would be.
    limited = post(client, step="code", code=code)
    assert limited.status_code == 429 and limited["Retry-After"]
    assert 'data-refusal="limited"' in limited.content.decode()


def test_a_right_code_is_not_counted_as_a_miss(world, votes, code, client, settings):
    settings.ZHENXING_VOTE_CODE_MISSES_PER_HOUR = 1
    for _ in range(3):
        assert post(client, step="code", code=code).status_code == 200


def test_an_elector_who_voted_on_paper_has_nothing_left(world, votes, code, client):
    paper_ballot(votes, world, votes.electors[0], votes.options[1])
    response = post(client, step="code", code=code)
    assert response.status_code == 400 and 'data-refusal="nothing"' in response.content.decode()


def test_the_phone_and_a_pending_paper_race(world, votes, code, client):
    """The ballot form was shown, then a teller entered the same elector's paper."""
    from zhenxing.votes.ballots import paper_enter

    field = f"m{votes.motion_a.number}"
    assert post(client, step="code", code=code).status_code == 200
    paper_enter(
        motion=votes.motion_a,
        elector=votes.electors[0],
        option=votes.options[1],
        actor=votes.teller_a,
    )
    response = post(client, step="cast", code=code, **{field: votes.options[0].pk})
    assert response.status_code == 400
    assert not Ballot.objects.exists()


# --- the published result -----------------------------------------------------------------------


def test_result_and_chain_are_404_before_the_close(world, votes, opened, client):
    for name in ("votes_public:result", "votes_public:chain"):
        assert client.get(reverse(name, args=[opened.public_token])).status_code == 404
        assert client.get(reverse(name, args=["no-such-token"])).status_code == 404
        assert client.get(reverse(name, args=["x" * 40])).status_code == 404
    assert client.get("/public/votes/bad%00token/").status_code == 404


def test_result_page_shows_figures_and_head_but_no_names(world, votes, opened, client):
    yes, no, _ = votes.options
    for elector, option in zip(votes.electors[:3], [yes, yes, no], strict=True):
        paper_ballot(votes, world, elector, option)
    result = close_session(votes, world)
    response = client.get(reverse("votes_public:result", args=[opened.public_token]))
    assert response.status_code == 200
    page = response.content.decode()
    assert result.head_hash in page and opened.title in page
    cell = '<td class="text-end" data-count>'
    assert f'data-option="{yes.label}"><td>{yes.label}</td>{cell}2<' in page
    assert f'data-option="{no.label}"><td>{no.label}</td>{cell}1<' in page
    for elector in votes.electors:
        assert elector.name not in page
    assert reverse("votes_public:chain", args=[opened.public_token]) in page
    result_url = reverse("votes_public:result", args=[opened.public_token])
    assert client.post(result_url).status_code == 405

    data = client.get(reverse("votes_public:chain", args=[opened.public_token])).json()
    assert data["result"]["head_hash"] == result.head_hash
    assert len(data["ballots"]) == 3 and chain.verify(data).ok
