"""The result notice (DOCX, PDF): its figures are the published ones, read back from the files."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from zhenxing.votes import notices, sessions
from zhenxing.votes.models import SessionResult
from zhenxing.votes.tests.test_results import attend, cast, second_motion

PUBLIC_URL = "https://zhenxing.example/public/votes/TOKEN/"


@pytest.fixture
def closed(world, votes):
    """Six of ten present; motion 1: 3 for, 2 against, 1 abstain (exactly half: not passed);
    motion 2: 4 for, 1 against (passed)."""
    session = votes.session_a
    second_motion(session)
    session = sessions.session_open(session=session, actor=world.secretary_a)
    e = votes.electors
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
    motion2 = session.motions.get(number=2)
    o = {opt.label: opt for opt in motion2.options.all()}
    cast(session, motion2, [(x, o["同意"]) for x in e[:4]] + [(e[4], o["反对"])])
    result = sessions.session_close(session=session, actor=world.secretary_a)
    return session, result


def docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    from docx import Document

    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return text, tables


def pdf_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data))


def test_the_docx_notice_gives_the_published_figures(closed):
    session, result = closed
    text, tables = docx_text(notices.notice_docx(session, result, public_url=PUBLIC_URL))
    assert "表决结果公告" in text or "Notice of the voting result" in text
    assert session.title in text and session.body.name in text
    assert "2026年12月5日" in text and "社区礼堂" in text
    # roll and present, each with its unit
    assert "10" in text and "6" in text
    # the quorum rule's legal reference, and each motion's majority rule's
    assert "第二十二条：本村十八周岁以上村民的过半数参加" in text
    assert text.count("第二十二条：所作决定应当经到会人员的过半数通过") == 2
    # tallies by option (label, counts as, electors, households, shares)
    motion1, motion2 = tables
    assert [row[0] for row in motion1[1:]] == ["同意", "反对", "弃权"]
    assert [row[2:] for row in motion1[1:]] == [["3", "2", "7"], ["2", "2", "8"], ["1", "1", "6"]]
    assert [row[2] for row in motion2[1:]] == ["4", "1", "0"]
    # the chain head and how to verify it
    assert result.head_hash in text
    assert PUBLIC_URL in text and f"zhenxing votes verify {session.public_token}" in text
    # motion 1 did not pass, motion 2 did: the verdict lines differ and come in that order
    verdicts = [p for p in text.splitlines() if p in {_passed(True), _passed(False)}]
    assert verdicts == [_passed(False), _passed(True)]


def _passed(flag: bool) -> str:
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return (
            notices._("Result: the motion passed.")
            if flag
            else notices._("Result: the motion did not pass.")
        )


def test_the_pdf_notice_gives_the_published_figures(closed):
    session, result = closed
    text = pdf_text(notices.notice_pdf(session, result, public_url=PUBLIC_URL))
    flat = "".join(text.split())
    assert session.title in flat and "2026年12月5日" in flat
    assert result.head_hash in flat
    assert "第二十二条：本村十八周岁以上村民的过半数参加" in flat
    assert session.public_token in flat
    assert "同意" in flat and "反对" in flat and "弃权" in flat
    assert "".join(_passed(False).split()) in flat and "".join(_passed(True).split()) in flat


def test_notices_read_the_stored_figures_and_never_recompute(closed):
    session, result = closed
    figures = result.figures
    figures["motions"][1]["options"][0]["headcount"] = 777
    SessionResult.objects.filter(pk=result.pk).update(figures=figures)
    result.refresh_from_db()
    _text, tables = docx_text(notices.notice_docx(session, result, public_url=PUBLIC_URL))
    assert tables[1][1][2] == "777"
    assert "777" in "".join(
        pdf_text(notices.notice_pdf(session, result, public_url=PUBLIC_URL)).split()
    )


def test_notice_downloads_for_those_who_see_the_session(client_for, world, votes, closed):
    session, result = closed
    for user in (world.secretary_a, votes.teller_a):
        client = client_for(user)
        docx = client.get(reverse("votes:notice_docx", args=[session.pk]))
        assert docx.status_code == 200 and docx["Content-Type"] == notices.DOCX_TYPE
        assert "attachment" in docx["Content-Disposition"]
        pdf = client.get(reverse("votes:notice_pdf", args=[session.pk]))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        # the download names the public page of this server
        text, _tables = docx_text(docx.content)
        assert f"/public/votes/{session.public_token}/" in text
    client = client_for(world.outsider)
    assert client.get(reverse("votes:notice_docx", args=[session.pk])).status_code == 404
    assert client.get(reverse("votes:notice_pdf", args=[session.pk])).status_code == 404
