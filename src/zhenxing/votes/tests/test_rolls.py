"""The roll page, corrections before the freeze, and the export."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.votes import rolls
from zhenxing.votes.identity import id_hash
from zhenxing.votes.models import Elector, VotingSession
from zhenxing.votes.testing import id_number


def freeze(session: VotingSession) -> VotingSession:
    VotingSession.objects.filter(pk=session.pk).update(roll_frozen_at=timezone.now())
    session.refresh_from_db()
    return session


def edit_values(**overrides):
    values = {
        "name": "选民01改",
        "household": "H9",
        "group_name": "第二组",
        "shares": Decimal("2.5"),
        "is_representative": True,
        "mobile": "13900000009",
    }
    values.update(overrides)
    return values


# --- services ---------------------------------------------------------------------


def test_an_elector_is_corrected_and_the_audit_row_masks_the_mobile(world, votes):
    elector = votes.electors[0]
    rolls.elector_update(elector=elector, actor=world.secretary_a, **edit_values())
    elector.refresh_from_db()
    assert (elector.name, elector.household, elector.group_name) == ("选民01改", "H9", "第二组")
    assert elector.shares == Decimal("2.5") and elector.mobile == "13900000009"
    assert elector.id_hash == id_hash(id_number(0))  # untouched
    entry = AuditEntry.objects.get(action="votes.elector.update")
    assert entry.changes["household"] == ["H1", "H9"]
    assert "13900000009" not in str(entry.changes) and entry.changes["mobile"][1] == "139****0009"
    assert elector.id_hash not in str(entry.changes)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "name"),
        ({"household": ""}, "household"),
        ({"shares": Decimal("-1")}, "negative"),
        ({"shares": Decimal("0.00001")}, "decimal places"),
        ({"mobile": "12345"}, "11 digits"),
    ],
)
def test_a_bad_correction_is_refused(world, votes, overrides, message):
    with translation.override("en"), pytest.raises(rolls.VoteError, match=message):
        rolls.elector_update(
            elector=votes.electors[0], actor=world.secretary_a, **edit_values(**overrides)
        )
    assert Elector.objects.get(pk=votes.electors[0].pk).name == "选民01"


def test_an_elector_is_deleted_before_the_freeze(world, votes):
    rolls.elector_delete(elector=votes.electors[0], actor=world.secretary_a)
    assert not Elector.objects.filter(pk=votes.electors[0].pk).exists()
    entry = AuditEntry.objects.get(action="votes.elector.delete")
    assert entry.changes == {"session": votes.session_a.pk, "row": 2}


def test_the_frozen_roll_refuses_edits_and_deletes(world, votes):
    freeze(votes.session_a)
    elector = Elector.objects.get(pk=votes.electors[0].pk)
    with translation.override("en"):
        with pytest.raises(rolls.VoteError, match="frozen when voting opened"):
            rolls.elector_update(elector=elector, actor=world.secretary_a, **edit_values())
        with pytest.raises(rolls.VoteError, match="frozen when voting opened"):
            rolls.elector_delete(elector=elector, actor=world.secretary_a)
    elector.refresh_from_db()
    assert (
        elector.name == "选民01" and Elector.objects.filter(session=votes.session_a).count() == 10
    )
    assert not AuditEntry.objects.filter(action__startswith="votes.elector").exists()


def test_a_stale_session_object_does_not_get_past_the_freeze(world, votes):
    """The freeze is read from the locked row, not from the caller's copy."""
    elector = Elector.objects.select_related("session").get(pk=votes.electors[0].pk)
    VotingSession.objects.filter(pk=votes.session_a.pk).update(roll_frozen_at=timezone.now())
    assert elector.session.roll_frozen_at is None
    with pytest.raises(rolls.VoteError):
        rolls.elector_delete(elector=elector, actor=world.secretary_a)
    assert Elector.objects.filter(pk=elector.pk).exists()


def test_a_representatives_roll_keeps_its_electors_representatives(world, votes):
    votes.body_a.kind = "representatives"
    votes.body_a.save()
    with pytest.raises(rolls.VoteError):
        rolls.elector_update(
            elector=votes.electors[0],
            actor=world.secretary_a,
            **edit_values(is_representative=False),
        )


def test_roll_counts(votes):
    counts = rolls.roll_counts(votes.session_a)
    assert (counts.headcount, counts.households, counts.representatives) == (10, 4, 2)
    assert counts.shares == Decimal("55") and counts.shares_text == "55"


# --- the roll page ----------------------------------------------------------------


def test_the_roll_page_shows_counts_and_masked_mobiles(world, client_for, votes):
    Elector.objects.filter(pk=votes.electors[0].pk).update(mobile="13812345678")
    url = reverse("votes:roll", args=[votes.session_a.pk])
    response = client_for(world.secretary_a).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert 'data-count="headcount">10<' in html and 'data-count="households">4<' in html
    assert 'data-count="shares">55<' in html and 'data-count="representatives">2<' in html
    assert votes.electors[0].id_hash not in html
    assert reverse("votes:roll_import", args=[votes.session_a.pk]) in html
    assert "data-roll-frozen" not in html


def test_the_roll_page_searches_by_name_and_household(world, client_for, votes):
    client = client_for(world.secretary_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    html = client.get(url, {"q": "选民07"}).content.decode()
    assert "选民07" in html and "选民08" not in html
    html = client.get(url, {"q": "H4"}).content.decode()
    assert "选民09" in html and "选民10" in html and "选民01" not in html
    assert client.get(url, {"q": "a\x00b"}).status_code == 200


def test_the_roll_page_is_frozen_for_all(world, client_for, votes):
    freeze(votes.session_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    html = client_for(world.secretary_a).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-roll-frozen" in html
    assert reverse("votes:roll_import", args=[votes.session_a.pk]) not in html
    assert 'value="delete"' not in html


def test_the_roll_page_budget(world, client_for, votes, django_assert_max_num_queries):
    for i in range(10, 70):
        Elector.objects.create(
            session=votes.session_a,
            name=f"加{i}",
            id_hash=id_hash(id_number(i)),
            household=f"X{i}",
            row_number=i + 2,
        )
    client = client_for(world.secretary_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    with django_assert_max_num_queries(10):
        response = client.get(url, {"page": 2})
    assert response.status_code == 200
    assert "Page 2 of 2" in client.get(url, {"page": 2}, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_tellers_read_the_roll_and_may_not_change_it(world, client_for, votes):
    client = client_for(votes.teller_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "选民01" in html and 'value="delete"' not in html
    assert reverse("votes:roll_import", args=[votes.session_a.pk]) not in html
    elector = votes.electors[0]
    assert client.post(url, {"elector": elector.pk, "action": "delete"}).status_code == 403
    assert client.get(reverse("votes:roll_export", args=[votes.session_a.pk])).status_code == 403
    assert Elector.objects.filter(pk=elector.pk).exists()


def test_the_roll_is_hidden_from_outsiders_and_anonymous(world, client_for, votes, client):
    urls = [
        reverse(name, args=[votes.session_a.pk])
        for name in ("votes:roll", "votes:roll_export", "votes:roll_template")
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    for user in (world.outsider, world.inspector_a, world.party_member_a, world.nobody):
        viewer = client_for(user)
        for url in urls:
            assert viewer.get(url).status_code == 404, (user, url)
    outsider = client_for(world.outsider)
    response = outsider.post(urls[0], {"elector": votes.electors[0].pk, "action": "delete"})
    assert response.status_code == 404
    assert Elector.objects.filter(pk=votes.electors[0].pk).exists()
    # The outsider's own session is there for them; malformed ids name nothing.
    assert outsider.get(reverse("votes:roll", args=[votes.session_b.pk])).status_code == 200
    assert outsider.get("/votes/99999999999999999999/roll/").status_code == 404


def test_the_roll_page_corrects_and_removes_entries(world, client_for, votes):
    client = client_for(world.secretary_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    elector = votes.electors[0]
    page = client.get(url, {"edit": elector.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="edit-elector"' in page.content.decode()
    data = {**edit_values(), "elector": elector.pk, "action": "update"}
    data["is_representative"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    elector.refresh_from_db()
    assert elector.household == "H9" and elector.shares == Decimal("2.5")

    bad = client.post(url, {**data, "mobile": "123"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and 'value="123"' in bad.content.decode()

    assert client.post(url, {"elector": elector.pk, "action": "delete"}).status_code == 302
    assert not Elector.objects.filter(pk=elector.pk).exists()


def test_the_roll_page_refuses_changes_once_frozen_and_odd_input(world, client_for, votes):
    client = client_for(world.secretary_a)
    url = reverse("votes:roll", args=[votes.session_a.pk])
    elector = votes.electors[1]
    assert client.post(url, {"elector": "x\x00", "action": "delete"}).status_code == 404
    assert client.post(url, {"elector": "1" * 30, "action": "delete"}).status_code == 404
    other = votes.electors_b[0]
    assert client.post(url, {"elector": other.pk, "action": "delete"}).status_code == 404
    assert client.post(url, {"elector": elector.pk, "action": "explode"}).status_code == 400
    freeze(votes.session_a)
    response = client.post(
        url, {"elector": elector.pk, "action": "delete"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "frozen when voting opened" in response.content.decode()
    response = client.post(
        url,
        {**edit_values(), "elector": elector.pk, "action": "update"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "frozen when voting opened" in response.content.decode()
    assert Elector.objects.get(pk=elector.pk).name == "选民02"
    assert client.put(url).status_code == 405


def test_the_export_has_the_roll_without_hashes_and_with_masked_mobiles(world, client_for, votes):
    Elector.objects.filter(pk=votes.electors[0].pk).update(mobile="13812345678")
    response = client_for(world.secretary_a).get(
        reverse("votes:roll_export", args=[votes.session_a.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert rows[0] == (
        "Row",
        "Name",
        "Household",
        "Villagers' group",
        "Shares",
        "Representative",
        "Mobile",
    )
    assert len(rows) == 11
    assert rows[1][:3] == (2, "选民01", "H1") and rows[1][6] == "138****5678"
    text = str(rows)
    assert "13812345678" not in text
    assert all(e.id_hash not in text for e in votes.electors)
    assert AuditEntry.objects.filter(action="votes.roll.export").count() == 1


def test_opening_the_session_freezes_the_roll(world, votes):
    """With the session's own opening (votes.sessions.session_open), not a field set by hand."""
    from zhenxing.votes.sessions import session_open

    from .test_roll_import import number, workbook

    session_open(session=votes.session_a, actor=world.secretary_a)
    session = VotingSession.objects.get(pk=votes.session_a.pk)
    assert session.roll_frozen_at is not None
    elector = Elector.objects.get(pk=votes.electors[0].pk)
    with translation.override("en"):
        for attempt in (
            lambda: rolls.roll_import(
                session=session,
                file=workbook([["新人", number("19800101", 7), "H9"]]),
                filename="r.xlsx",
                actor=world.secretary_a,
            ),
            lambda: rolls.elector_update(elector=elector, actor=world.secretary_a, **edit_values()),
            lambda: rolls.elector_delete(elector=elector, actor=world.secretary_a),
        ):
            with pytest.raises(rolls.VoteError, match="frozen when voting opened"):
                attempt()
    assert Elector.objects.filter(session=session).count() == 10
    # …and the desk opens with it.
    rolls.attendance_record(session=session, elector=elector, actor=world.secretary_a)
