"""A charter version as a Word document (DOCX), for printing and posting.

Laid out as charters are posted on a village notice board: the title
centred and large, the community and the version under it, the preamble,
then each chapter centred in bold and its articles with "第X条" in bold and a
two-character first-line indent. An adopted (or filed) version ends with the
line that says who adopted it and when: "经2026年11月28日社区甲村民会议表决通过".

As in assessment/documents.py, East-Asian fonts are named (宋体, 仿宋, 黑体),
none is embedded, and the document is written in the site's language
whoever downloads it: it is an official paper, not a page.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from zhenxing.charters.models import Article, Chapter, CharterVersion, VersionStatus
from zhenxing.charters.parse import chinese_numeral

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _date(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def adoption_line(version: CharterVersion) -> str:
    """ "经…表决通过" for an adopted or filed version, naming the body that voted; else ""."""
    if version.status not in (VersionStatus.ADOPTED, VersionStatus.FILED) or not version.adopted_on:
        return ""
    from zhenxing.votes.models import Motion

    motion = (
        Motion.objects.filter(charter_version=version)
        .select_related("session__body")
        .order_by("-session__held_on", "-pk")
        .first()
    )
    body = motion.session.body.name if motion else _("the villagers' meeting")
    return _("Adopted by vote of %(body)s on %(date)s.") % {
        "body": body,
        "date": _date(version.adopted_on),
    }


def filing_line(version: CharterVersion) -> str:
    if version.status != VersionStatus.FILED or not version.filed_on:
        return ""
    return _("Filed with the township on %(date)s (reference %(reference)s).") % {
        "date": _date(version.filed_on),
        "reference": version.filing_reference,
    }


def version_docx_bytes(version: CharterVersion) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _docx(version)


def _docx(version: CharterVersion) -> bytes:
    from docx import Document
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
        r_fonts.set(qn("w:ascii"), "Times New Roman")
        r_fonts.set(qn("w:hAnsi"), "Times New Roman")
        r_fonts.set(qn("w:eastAsia"), east_asia)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(14)
    fonts(normal.element, "仿宋")

    def para(
        *runs: tuple[str, str, bool],
        align: Any = None,
        size: float = 14,
        indent: bool = False,
        space_after: float = 4,
    ) -> Any:
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
        p.paragraph_format.space_after = Pt(space_after)
        for text, font, bold in runs:
            r = p.add_run(text)
            r.font.size = Pt(size)
            r.font.bold = bold
            fonts(r._element, font)
        return p

    charter = version.charter
    para((charter.title, "宋体", True), align=WD_ALIGN_PARAGRAPH.CENTER, size=22, space_after=6)
    para(
        (
            _("%(community)s · version %(number)d · %(status)s")
            % {
                "community": charter.region.name,
                "number": version.number,
                "status": version.get_status_display(),
            },
            "仿宋",
            False,
        ),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=12,
        space_after=18,
    )
    for line in version.preamble.splitlines():
        if line.strip():
            para((line.strip(), "仿宋", False), indent=True)

    articles: dict[int, list[Article]] = {}
    for article in Article.objects.filter(chapter__version=version).order_by("number"):
        articles.setdefault(article.chapter_id, []).append(article)
    for chapter in Chapter.objects.filter(version=version).order_by("number"):
        para(
            (f"第{chinese_numeral(chapter.number)}章　{chapter.title}", "黑体", True),
            align=WD_ALIGN_PARAGRAPH.CENTER,
            size=16,
            space_after=8,
        )
        for article in articles.get(chapter.pk, []):
            paragraphs = [p.strip() for p in article.text.splitlines() if p.strip()] or [""]
            para(
                (f"第{chinese_numeral(article.number)}条　", "黑体", True),
                (paragraphs[0], "仿宋", False),
                indent=True,
            )
            for extra in paragraphs[1:]:
                para((extra, "仿宋", False), indent=True)

    closing = [line for line in (adoption_line(version), filing_line(version)) if line]
    for position, line in enumerate(closing):
        para(
            (line, "仿宋", False),
            align=WD_ALIGN_PARAGRAPH.RIGHT,
            space_after=4,
            size=14,
        ).paragraph_format.space_before = Pt(24 if position == 0 else 0)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
