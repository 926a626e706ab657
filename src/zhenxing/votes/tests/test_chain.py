"""The ballot chain: canonical text, pseudonyms, export, and `zhenxing votes verify` finding a
changed, removed or forged ballot — in the database and in a published file."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from zhenxing.votes import chain
from zhenxing.votes.ballots import code_issue, phone_cast
from zhenxing.votes.models import Ballot, SessionResult
from zhenxing.votes.tests.test_ballots import close_session, open_session, paper_ballot


@pytest.fixture
def closed(world, votes):
    """session_a closed with 5 ballots: 3 同意, 1 反对 on paper, 1 弃权 by phone."""
    session = open_session(votes, world)
    yes, no, abstain = votes.options
    for elector, option in zip(votes.electors[:4], [yes, yes, no, yes], strict=True):
        paper_ballot(votes, world, elector, option)
    _, plain = code_issue(session=session, elector=votes.electors[4], actor=world.secretary_a)
    phone_cast(code=plain, choices={votes.motion_a: abstain})
    close_session(votes, world)
    return session


def verify(*args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("votes", "verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*args):
    with pytest.raises(CommandError) as failed:
        verify(*args)
    assert failed.value.returncode == 1
    return str(failed.value)


def test_the_hash_is_sha256_of_the_documented_text(world, votes, closed):
    ballot = Ballot.objects.select_related("elector").get(seq=1)
    text = (
        f'["zhenxing-ballot/1","{closed.public_token}",1,1,'
        f'"{chain.pseudonym(closed, ballot.elector)}","同意","paper","","{chain.GENESIS}"]'
    )
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == ballot.hash


def test_pseudonyms_name_nobody_and_differ_between_sessions(world, votes, closed):
    elector = votes.electors[0]
    name = chain.pseudonym(closed, elector)
    assert len(name) == 16 and int(name, 16) >= 0
    assert chain.pseudonym_of("another-session", elector.id_hash) != name
    exported = json.dumps(chain.export(closed), ensure_ascii=False)
    assert elector.name not in exported and elector.id_hash not in exported


def test_export_carries_the_published_result(world, votes, closed):
    data = chain.export(closed)
    assert [b["seq"] for b in data["ballots"]] == [1, 2, 3, 4, 5]
    assert data["result"]["head_hash"] == data["ballots"][-1]["hash"]
    assert data["result"]["tallies"] == {"1": {"同意": 3, "反对": 1, "弃权": 1}}
    assert chain.verify(data).ok


def test_verify_ok_by_number_and_by_token(world, votes, closed):
    out, _ = verify(str(closed.pk))
    head = SessionResult.objects.get(session=closed).head_hash
    assert out.strip() == f"OK: 5 ballots, head {head}"
    out, _ = verify(closed.public_token)
    assert out.startswith("OK: 5 ballots")


def test_a_changed_option_is_found(world, votes, closed):
    Ballot.objects.filter(session=closed, seq=2).update(option_id=votes.options[1].pk)
    message = verify_fails(str(closed.pk))
    assert "ballots concerned: 2" in message
    report = chain.verify(closed)
    # The hash no longer matches, and the tallies differ from the published ones.
    assert report.bad_seqs == [2]
    assert any("tally" in p.message for p in report.problems)


def test_a_changed_elector_is_found(world, votes, closed):
    Ballot.objects.filter(session=closed, seq=3).update(elector_id=votes.electors[9].pk)
    assert "ballots concerned: 3" in verify_fails(str(closed.pk))


def test_a_deleted_ballot_is_found(world, votes, closed):
    Ballot.objects.filter(session=closed, seq=3).delete()
    message = verify_fails(str(closed.pk))
    # Ballot 4 now stands where 3 was, and links to a hash no longer in the chain.
    assert "ballots concerned: 4" in message
    report = chain.verify(closed)
    assert any("result counted 5" in p.message for p in report.problems)


def test_a_deleted_last_ballot_is_found_by_the_head(world, votes, closed):
    Ballot.objects.filter(session=closed, seq=5).delete()
    report = chain.verify(closed)
    assert not report.ok
    assert any("published head" in p.message for p in report.problems)


def test_a_rehashed_chain_is_found_by_the_published_head(world, votes, closed):
    """Someone with write access changes a ballot and recomputes every hash after it:
    the chain is consistent, but it no longer ends with the head published at closing."""
    Ballot.objects.filter(session=closed, seq=4).update(option_id=votes.options[1].pk)
    prev = Ballot.objects.get(session=closed, seq=3).hash
    for ballot in Ballot.objects.filter(session=closed, seq__gte=4).select_related(
        "motion", "option", "elector"
    ):
        digest = chain.ballot_hash(
            token=closed.public_token,
            seq=ballot.seq,
            motion_number=ballot.motion.number,
            elector=chain.pseudonym(closed, ballot.elector),
            option_label=ballot.option.label,
            channel=ballot.channel,
            cast_by="",
            prev_hash=prev,
        )
        Ballot.objects.filter(pk=ballot.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    report = chain.verify(closed)
    assert not report.ok and any("published head" in p.message for p in report.problems)


def test_a_tampered_file_is_found(world, votes, closed, tmp_path):
    data = chain.export(closed)
    good = tmp_path / "chain.json"
    good.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out, _ = verify("--file", str(good))
    assert out.startswith("OK: 5 ballots")

    data["ballots"][0]["option"] = "反对"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "ballots concerned: 1" in verify_fails("--file", str(bad))


def test_a_file_forged_throughout_fails_against_the_page_head(world, votes, closed, tmp_path):
    data = chain.export(closed)
    published_head = data["result"]["head_hash"]
    data["ballots"][4]["option"] = "同意"
    prev = data["ballots"][3]["hash"]
    row = data["ballots"][4]
    row["hash"] = chain.ballot_hash(
        token=data["session"],
        seq=row["seq"],
        motion_number=row["motion"],
        elector=row["elector"],
        option_label=row["option"],
        channel=row["channel"],
        cast_by=row["cast_by"],
        prev_hash=prev,
    )
    data["result"]["head_hash"] = row["hash"]
    data["result"]["tallies"] = {"1": {"同意": 4, "反对": 1}}
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    # Consistent in itself...
    assert chain.verify(data).ok
    # ...but not the chain whose head the result page shows.
    message = verify_fails("--file", str(forged), "--head", published_head)
    assert "FAILED" in message


def test_malformed_files_and_names_are_refused(world, votes, closed, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("not json", encoding="utf-8")
    with pytest.raises(CommandError):
        verify("--file", str(junk))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something"}), encoding="utf-8")
    verify_fails("--file", str(other))
    broken = chain.export(closed)
    broken["ballots"][1]["seq"] = "2"
    assert not chain.verify(broken).ok
    with pytest.raises(CommandError):
        verify("no-such-session")
    with pytest.raises(CommandError):
        verify("bad\x00name")
    with pytest.raises(CommandError):
        verify()


def test_an_open_session_verifies_without_a_result(world, votes):
    session = open_session(votes, world)
    paper_ballot(votes, world, votes.electors[0], votes.options[0])
    report = chain.verify(session)
    assert report.ok and report.ballot_count == 1 and report.head == chain.chain_head(session)
