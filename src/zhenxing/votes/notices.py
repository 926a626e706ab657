"""The result notice (表决结果公告) for posting: DOCX (python-docx) and PDF (reportlab).

Every figure comes from `SessionResult.figures`, as published when the session
closed: the notice never recomputes, so it says what the public page and the
ballot chain say. It gives the body and session, date and place, the roll and
those present, the quorum with its rule and legal reference, each motion's
tallies by option and whether it passed (with the rule), the chain's last hash
and how anyone re-verifies it, and the issuing body and date.

The wording helpers (`rule_text`, `detail_text`, `display_figures`) serve the
staff result page too, so that page and paper read alike. Documents are made
in the site's language (Chinese), as the notice is posted in the village.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse
from django.utils import formats, timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from zhenxing.votes.models import (
    Base,
    Basis,
    Meaning,
    RulePurpose,
    SessionResult,
    Threshold,
    VotingSession,
)
from zhenxing.votes.results import shares_text

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
PDF_FONT = "STSong-Light"


# --- wording --------------------------------------------------------------------------


def amount(basis: str, value: Any) -> str:
    """A count with its unit: 7 people, 4 households, 33.33 shares."""
    if basis == Basis.SHARES:
        return _("%(n)s shares") % {"n": shares_text(value)}
    if basis == Basis.HOUSEHOLDS:
        return _("%(n)s households") % {"n": value}
    return _("%(n)s people") % {"n": value}


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def rule_text(rule: dict[str, Any]) -> str:
    """The rule in words: "More than half of all on the roll, counted by headcount"."""
    if rule["threshold"] == Threshold.SIMPLE:
        return _("%(threshold)s, counted by %(basis)s") % {
            "threshold": _label(Threshold, rule["threshold"]),
            "basis": _label(Basis, rule["basis"]).lower(),
        }
    return _("%(threshold)s of %(base)s, counted by %(basis)s") % {
        "threshold": _label(Threshold, rule["threshold"]).lower(),
        "base": _label(Base, rule["base"]).lower(),
        "basis": _label(Basis, rule["basis"]).lower(),
    }


def detail_text(detail: dict[str, Any]) -> str:
    """The numbers a rule compared: "present 7 of 10 people (at least 6 needed)"."""
    basis = detail["basis"]
    if detail["threshold"] == Threshold.SIMPLE:
        return _("for %(for)s, against %(against)s") % {
            "for": amount(basis, detail["count"]),
            "against": amount(basis, detail["against"]),
        }
    values = {
        "count": amount(basis, detail["count"]),
        "base": amount(basis, detail["base_count"]),
        "minimum": amount(basis, detail["minimum"]) if detail["minimum"] is not None else "",
    }
    if detail["purpose"] == RulePurpose.QUORUM:
        if detail["minimum"] is None:
            return _("present %(count)s of %(base)s") % values
        return _("present %(count)s of %(base)s (at least %(minimum)s needed)") % values
    if detail["minimum"] is None:
        return _("for %(count)s of %(base)s") % values
    return _("for %(count)s of %(base)s (at least %(minimum)s needed)") % values


def verdict(met: bool) -> str:
    return _("met") if met else _("not met")


def _with_text(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        **detail,
        "rule_text": capfirst(rule_text(detail)),
        "numbers_text": detail_text(detail),
        "verdict": verdict(detail["met"]),
    }


def display_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The published figures with words added for people (rules, numbers, units)."""
    roll, present = figures["roll"], figures["present"]
    has_shares = shares_text(roll["shares"]) not in ("", "0")
    motions = []
    for motion in figures["motions"]:
        options = [
            {
                **o,
                "meaning_label": _label(Meaning, o["meaning"]),
                "shares_text": shares_text(o["shares"]),
            }
            for o in motion["options"]
        ]
        motions.append(
            {
                **motion,
                "options": options,
                "majority": [_with_text(d) for d in motion["majority"]],
            }
        )
    return {
        **figures,
        "has_shares": has_shares,
        "roll_text": _counts_text(roll, has_shares),
        "present_text": _counts_text(present, has_shares),
        "roll_shares_text": shares_text(roll["shares"]),
        "present_shares_text": shares_text(present["shares"]),
        "quorum": {
            **figures["quorum"],
            "rules": [_with_text(d) for d in figures["quorum"]["rules"]],
        },
        "motions": motions,
    }


def _counts_text(count: dict[str, Any], has_shares: bool) -> str:
    parts = [
        amount(Basis.HEADCOUNT, count["headcount"]),
        amount(Basis.HOUSEHOLDS, count["households"]),
    ]
    if has_shares:
        parts.append(amount(Basis.SHARES, count["shares"]))
    return _(", ").join(parts)


def _turnout_text(figures: dict[str, Any]) -> str:
    turnout = figures["turnout"].get(Basis.HEADCOUNT)
    if not turnout:
        return ""
    return _("Turnout: %(percent)s%% of those on the roll (%(fraction)s).") % turnout


# --- the notice's content, shared by both formats ----------------------------------------


def _date(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def notice_content(
    session: VotingSession, result: SessionResult, *, public_url: str
) -> dict[str, Any]:
    """Title, paragraphs and tables in reading order; both formats lay out the same."""
    figures = display_figures(result.figures)
    body = session.body
    blocks: list[tuple[str, Any]] = []
    values = {
        "body": body.name,
        "title": session.title,
        "date": _date(session.held_on),
        "place": session.place,
    }
    if session.place:
        opening = _("%(body)s held %(title)s on %(date)s at %(place)s.") % values
    else:
        opening = _("%(body)s held %(title)s on %(date)s.") % values
    blocks.append(("para", opening))
    blocks.append(
        (
            "para",
            _("On the roll: %(roll)s. Present in person or by proxy: %(present)s.")
            % {"roll": figures["roll_text"], "present": figures["present_text"]}
            + " "
            + _turnout_text(figures),
        )
    )
    quorum = figures["quorum"]
    blocks.append(("heading", _("Quorum")))
    blocks.append(
        ("para", _("The quorum was met.") if quorum["met"] else _("The quorum was not met."))
    )
    for d in quorum["rules"]:
        blocks.append(("rule", _rule_line(d)))
    for motion in figures["motions"]:
        blocks.append(
            (
                "heading",
                _("Motion %(number)s: %(title)s")
                % {"number": motion["number"], "title": motion["title"]},
            )
        )
        headers = [_("Option"), _("Counts as"), _("Electors"), _("Households")]
        if figures["has_shares"]:
            headers.append(_("Shares"))
        rows = []
        for o in motion["options"]:
            row = [o["label"], o["meaning_label"], str(o["headcount"]), str(o["households"])]
            if figures["has_shares"]:
                row.append(o["shares_text"])
            rows.append(row)
        blocks.append(("table", (headers, rows)))
        blocks.append(("para", _("Ballots cast: %(n)s.") % {"n": motion["ballots"]}))
        for d in motion["majority"]:
            blocks.append(("rule", _rule_line(d)))
        blocks.append(
            (
                "verdict",
                _("Result: the motion passed.")
                if motion["passed"]
                else _("Result: the motion did not pass."),
            )
        )
    blocks.append(("heading", _("How to verify")))
    blocks.append(
        (
            "para",
            _(
                "Every ballot is chained to the one before it by a hash. The last ballot's hash "
                "(%(count)s ballots) is:"
            )
            % {"count": result.ballot_count},
        )
    )
    blocks.append(("hash", result.head_hash))
    blocks.append(
        (
            "para",
            _(
                "Anyone can check the published tally and the ballot chain on %(url)s; the "
                "township can re-verify it with the command: zhenxing votes verify %(token)s"
            )
            % {"url": public_url, "token": session.public_token},
        )
    )
    published = timezone.localtime(result.published_at).date()
    return {
        "title": _("Notice of the voting result"),
        "subtitle": session.title,
        "blocks": blocks,
        "issuer": body.name,
        "date": _date(published),
    }


def _rule_line(d: dict[str, Any]) -> str:
    return _("%(rule)s: %(numbers)s — %(verdict)s. (%(reference)s)") % {
        "rule": d["rule_text"],
        "numbers": d["numbers_text"],
        "verdict": d["verdict"],
        "reference": d["legal_reference"],
    }


def filename(session: VotingSession, fmt: str) -> str:
    return f"{session.title} 表决结果公告.{fmt}".replace("/", "-")


def download(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- DOCX -----------------------------------------------------------------------------


def notice_docx(session: VotingSession, result: SessionResult, *, public_url: str) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _docx(notice_content(session, result, public_url=public_url))


def _docx(content: dict[str, Any]) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(30)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def fonts(element: Any, east_asia: str) -> None:
        r_fonts = element.get_or_add_rPr().get_or_add_rFonts()
        r_fonts.set(qn("w:eastAsia"), east_asia)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(14)
    fonts(normal.element, "仿宋")

    def para(
        text: str,
        *,
        size: float = 14,
        font: str = "仿宋",
        bold: bool = False,
        align: Any = None,
        indent: bool = False,
    ) -> None:
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        r = p.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        fonts(r._element, font)

    para(content["title"], size=22, font="宋体", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(content["subtitle"], size=16, font="楷体", align=WD_ALIGN_PARAGRAPH.CENTER)
    for kind, value in content["blocks"]:
        if kind == "heading":
            para(value, font="黑体", size=15)
        elif kind == "table":
            headers, rows = value
            t = doc.add_table(rows=1, cols=len(headers))
            t.style = "Table Grid"
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(t.rows[0].cells, headers, strict=True):
                cell.paragraphs[0].add_run(str(text)).bold = True
            for values in rows:
                for cell, text in zip(t.add_row().cells, values, strict=True):
                    cell.paragraphs[0].add_run(str(text))
        elif kind == "hash":
            p = doc.add_paragraph()
            r = p.add_run(value)
            r.font.name = "Courier New"
            r.font.size = Pt(10)
        elif kind == "verdict":
            para(value, bold=True, indent=True)
        elif kind == "rule":
            para(value, size=12, indent=True)
        else:
            para(value, indent=True)
    para("")
    para(content["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(content["date"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.core_properties.title = f"{content['subtitle']} {content['title']}"
    doc.core_properties.author = content["issuer"]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------


def notice_pdf(session: VotingSession, result: SessionResult, *, public_url: str) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf(notice_content(session, result, public_url=public_url))


def _pdf(content: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        # CJK wrapping breaks lines between any two characters, as Chinese text needs.
        return ParagraphStyle(
            name, fontName=PDF_FONT, fontSize=size, leading=size * 1.5, wordWrap="CJK", **extra
        )

    title = style("title", 20, alignment=TA_CENTER, spaceAfter=4)
    subtitle = style("subtitle", 14, alignment=TA_CENTER, spaceAfter=10)
    head = style("heading", 13, spaceBefore=8, spaceAfter=3, keepWithNext=1)
    body = style("body", 11, firstLineIndent=22, spaceAfter=3)
    rule = style(
        "rule", 9.5, firstLineIndent=19, spaceAfter=2, textColor=colors.HexColor("#333333")
    )
    verdict_style = style("verdict", 12, firstLineIndent=24, spaceBefore=2, spaceAfter=4)
    cell = style("cell", 10)
    hash_style = ParagraphStyle("hash", fontName="Courier", fontSize=8.5, leading=12, spaceAfter=3)
    right = style("right", 12, alignment=TA_RIGHT)

    def text(value: Any, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(str(value)), st)

    story: list[Any] = [text(content["title"], title), text(content["subtitle"], subtitle)]
    for kind, value in content["blocks"]:
        if kind == "heading":
            story.append(text(value, head))
        elif kind == "table":
            headers, rows = value
            data = [[text(h, cell) for h in headers]] + [[text(v, cell) for v in r] for r in rows]
            t = Table(data, repeatRows=1, hAlign="CENTER")
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ]
                )
            )
            story += [t, Spacer(1, 3 * mm)]
        elif kind == "hash":
            story.append(text(value, hash_style))
        elif kind == "verdict":
            story.append(text(value, verdict_style))
        elif kind == "rule":
            story.append(text(value, rule))
        else:
            story.append(text(value, body))
    story += [Spacer(1, 10 * mm), text(content["issuer"], right), text(content["date"], right)]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        title=f"{content['subtitle']} {content['title']}",
        author=content["issuer"],
    ).build(story)
    return out.getvalue()
