"""One-time voting codes: their shape, hashing, expiry, revocation and single use; the codes
page that shows them once, and the slips printed once."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.votes.ballots import VoteError, code_issue, phone_cast
from zhenxing.votes.codes import ALPHABET, code_hash, normal_code
from zhenxing.votes.models import Attendance, Ballot, OneTimeCode
from zhenxing.votes.tests.test_ballots import close_session, open_session, paper_ballot

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def opened(world, votes):
    return open_session(votes, world)


def test_a_code_is_ten_unambiguous_characters_kept_only_as_a_hash(world, votes, opened):
    code, plain = code_issue(session=opened, elector=votes.electors[0], actor=world.secretary_a)
    assert len(plain) == 10 and set(plain) <= set(ALPHABET)
    assert not set("0O1I") & set(ALPHABET)
    assert code.code_hash == code_hash(plain) and plain not in code.code_hash
    # The end of the session's day, Guicheng time.
    assert timezone.localtime(code.expires_at) == datetime.datetime(2026, 12, 6, tzinfo=SHANGHAI)
    assert AuditEntry.objects.filter(action="votes.code.issue").count() == 1
    assert plain not in str(list(AuditEntry.objects.values_list("summary", "changes")))
    # Typed on a phone: small letters and dashes are the same code.
    assert normal_code(f" {plain[:5].lower()}-{plain[5:]} ") == plain


def test_a_code_votes_once(world, votes, opened):
    elector = votes.electors[0]
    _, plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    [ballot] = phone_cast(code=plain.lower(), choices={votes.motion_a: votes.options[0]})
    assert ballot.elector == elector and ballot.seq == 1
    assert Attendance.objects.filter(elector=elector).exists()
    with pytest.raises(VoteError) as refused:
        phone_cast(code=plain, choices={votes.motion_a: votes.options[1]})
    assert refused.value.code == "used"
    assert Ballot.objects.count() == 1


def test_a_reissued_code_revokes_the_old_one(world, votes, opened):
    elector = votes.electors[0]
    old, old_plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    new, new_plain = code_issue(session=opened, elector=elector, actor=world.secretary_a)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.revoked_at is None
    with pytest.raises(VoteError) as refused:
        phone_cast(code=old_plain, choices={votes.motion_a: votes.options[0]})
    assert refused.value.code == "revoked"
    assert phone_cast(code=new_plain, choices={votes.motion_a: votes.options[0]})


def test_an_expired_code_is_refused(world, votes, opened):
    _, plain = code_issue(session=opened, elector=votes.electors[0], actor=world.secretary_a)
    # One second before midnight at the end of the session's day: still valid...
    with time_machine.travel(datetime.datetime(2026, 12, 5, 23, 59, 59, tzinfo=SHANGHAI)):
        from zhenxing.votes.ballots import find_code, usable_code

        assert usable_code(find_code(plain))
    # ...at midnight, no longer.
    with (
        time_machine.travel(datetime.datetime(2026, 12, 6, 0, 0, 0, tzinfo=SHANGHAI)),
        pytest.raises(VoteError) as refused,
    ):
        phone_cast(code=plain, choices={votes.motion_a: votes.options[0]})
    assert refused.value.code == "expired"
    assert not Ballot.objects.exists()
    # And no new code is issued once the day is over.
    with (
        time_machine.travel(datetime.datetime(2026, 12, 6, 8, 0, tzinfo=SHANGHAI)),
        pytest.raises(VoteError),
    ):
        code_issue(session=opened, elector=votes.electors[1], actor=world.secretary_a)


def test_unknown_codes_and_a_draft_or_closed_session(world, votes):
    with pytest.raises(VoteError) as refused:
        phone_cast(code="ABCDEFGHJK", choices={votes.motion_a: votes.options[0]})
    assert refused.value.code == "unknown"
    with pytest.raises(VoteError):
        phone_cast(code="abc\x00", choices={votes.motion_a: votes.options[0]})
    # Codes may be printed before the meeting opens; they vote only while it is open.
    _, plain = code_issue(session=votes.session_a, elector=votes.electors[0], actor=None)
    with pytest.raises(VoteError) as refused:
        phone_cast(code=plain, choices={votes.motion_a: votes.options[0]})
    assert refused.value.code == "not-open"
    open_session(votes, world)
    paper_ballot(votes, world, votes.electors[1], votes.options[0])
    close_session(votes, world)
    with pytest.raises(VoteError) as refused:
        phone_cast(code=plain, choices={votes.motion_a: votes.options[0]})
    assert refused.value.code == "not-open"
    with pytest.raises(VoteError) as refused:
        code_issue(session=votes.session_a, elector=votes.electors[2], actor=world.secretary_a)
    assert refused.value.code == "closed"


def test_no_code_for_an_elector_who_voted_on_every_motion(world, votes, opened):
    paper_ballot(votes, world, votes.electors[0], votes.options[0])
    with pytest.raises(VoteError) as refused:
        code_issue(session=opened, elector=votes.electors[0], actor=world.secretary_a)
    assert refused.value.code == "double"
    with pytest.raises(VoteError):
        code_issue(session=opened, elector=votes.electors_b[0], actor=world.secretary_a)


# --- pages ------------------------------------------------------------------------------------


def test_codes_page_access(world, votes, opened, client, client_for):
    url = reverse("votes:codes", args=[opened.pk])
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    # A teller who does not manage the session may not issue codes.
    assert client_for(votes.teller_a).get(url).status_code == 403
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.admin).delete(url).status_code == 405
    assert client_for(world.admin).get(url).status_code == 200
    slips = reverse("votes:code_slips", args=[opened.pk])
    assert client_for(world.secretary_a).get(slips).status_code == 405
    assert client_for(world.outsider).post(slips).status_code == 404
    assert client_for(votes.teller_a).post(slips).status_code == 403


def test_codes_are_shown_once_and_their_slips_print_once(world, votes, opened, client_for):
    client = client_for(world.secretary_a)
    url = reverse("votes:codes", args=[opened.pk])
    chosen = votes.electors[:3]
    response = client.post(url, {"electors": [e.pk for e in chosen]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert page.count("data-code") == 3
    codes = OneTimeCode.objects.filter(session=opened)
    assert codes.count() == 3
    shown = [line.split(">")[1].split("<")[0] for line in page.split("data-code")[1:]]
    assert all(code_hash(code) in set(codes.values_list("code_hash", flat=True)) for code in shown)
    # The list afterwards says when they were issued, never the codes.
    listing = client.get(url).content.decode()
    assert not any(code in listing for code in shown)

    slips = reverse("votes:code_slips", args=[opened.pk])
    pdf = client.post(slips)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    again = client.post(slips)
    assert again.status_code == 302 and again["Location"] == url


def test_codes_page_issues_to_everyone_who_has_not_voted(world, votes, opened, client_for):
    paper_ballot(votes, world, votes.electors[0], votes.options[0])
    code_issue(session=opened, elector=votes.electors[1], actor=world.secretary_a)
    client = client_for(world.secretary_a)
    url = reverse("votes:codes", args=[opened.pk])
    response = client.post(url, {"everyone": "on"})
    assert response.status_code == 200
    issued = set(
        OneTimeCode.objects.filter(session=opened, revoked_at__isnull=True).values_list(
            "elector_id", flat=True
        )
    )
    assert issued == {e.pk for e in votes.electors[1:]}
    # Elector 2's first code was left alone: it still works.
    assert OneTimeCode.objects.filter(elector=votes.electors[1]).count() == 1
    # Nobody is left: the form says so.
    refused = client.post(url, {"everyone": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "no code was issued" in refused.content.decode()


def test_codes_page_refuses_malformed_input(world, votes, opened, client_for):
    client = client_for(world.secretary_a)
    url = reverse("votes:codes", args=[opened.pk])
    for bad in ("x", "1\x00", "9" * 30, str(votes.electors_b[0].pk)):
        assert client.post(url, {"electors": [bad]}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert not OneTimeCode.objects.exists()


def test_codes_page_query_budget(world, votes, opened, client_for, django_assert_max_num_queries):
    for elector in votes.electors[:5]:
        code_issue(session=opened, elector=elector, actor=world.secretary_a)
    client = client_for(world.secretary_a)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("votes:codes", args=[opened.pk]))
    assert response.status_code == 200
