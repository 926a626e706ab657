"""The circular's documents, read back: DOCX with python-docx, XLSX with openpyxl, PDF
with pdfminer.six. The data is test_circulars.py's week 47.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.utils import translation

from zhenxing.assessment.tests import test_circulars as week
from zhenxing.assessment.tests.test_circulars import (
    ADDRESS,
    CADRE_A,
    CADRE_B,
    INCENTIVE_REASON,
    REPORTER_MOBILE,
    REPORTER_NAME,
    RESIDENT_MOBILE,
    RESIDENT_NAME,
)

# The week and its draft, shared with test_circulars.py (fixtures are found by name here).
w47 = week.w47
draft = week.draft
private_media = week.private_media


def site_text(message: str) -> str:
    from django.utils.translation import gettext

    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


@pytest.fixture
def content(draft):
    from zhenxing.assessment.circulars import circular_content

    return circular_content(draft)


def docx_text(data: bytes) -> tuple[object, str]:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return doc, "\n".join(parts)


# --- DOCX --------------------------------------------------------------------------------


def test_docx_reads_back_as_an_official_document(draft, content):
    from zhenxing.assessment.documents import circular_docx

    doc, text = docx_text(circular_docx(draft))
    paragraphs = [p for p in doc.paragraphs if p.text]
    # Header in red, the number under it, then the title.
    header = paragraphs[0]
    assert header.text == site_text("%(body)s document") % {"body": draft.issuing_body}
    assert str(header.runs[0].font.color.rgb) == "E60012"
    assert header.runs[0].font.size.pt == 36
    assert paragraphs[1].text == draft.number
    assert paragraphs[2].text == draft.title
    assert paragraphs[2].runs[0].font.bold
    # East-Asian font names for Word/WPS, no font embedded.
    east_asia = header.runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert east_asia == "宋体"
    assert not any("/fonts/" in part.partname for part in doc.part.package.iter_parts())
    # The narrative with a first-line indent.
    first_line = draft.narrative.split("\n\n")[0]
    body = next(p for p in doc.paragraphs if p.text == first_line)
    assert body.paragraph_format.first_line_indent is not None

    # The ranking table: a community's rank and composite on its row.
    row = content["ranking"][0]
    ranking = doc.tables[0]
    cells = [[c.text for c in r.cells] for r in ranking.rows]
    assert cells[0][:3] == [site_text("Rank"), site_text("Community"), site_text("Composite score")]
    line = next(line for line in cells if line[1] == row["unit_name"])
    assert line[0] == str(row["rank"])
    assert line[2] == f"{row['composite']:.2f}"
    column = cells[0].index(site_text("Inspection score"))
    assert line[column] == f"{row['inspection_score']:.1f}"
    # Black spots: c1 before | after, c2 before, c3 none.
    assert len(doc.inline_shapes) == 3
    assert site_text("No photo") in text
    # The issuing body and date at the bottom right.
    assert paragraphs[-1].text == "2026年11月25日"
    assert paragraphs[-2].text == draft.issuing_body
    assert paragraphs[-1].alignment == 2  # WD_ALIGN_PARAGRAPH.RIGHT
    for secret in (REPORTER_NAME, REPORTER_MOBILE, RESIDENT_NAME, RESIDENT_MOBILE):
        assert secret not in text


def test_docx_public_version_names_no_cadre(draft):
    from zhenxing.assessment.documents import circular_docx

    _doc, full = docx_text(circular_docx(draft))
    _doc, public = docx_text(circular_docx(draft, public=True))
    for secret in (CADRE_A, CADRE_B, INCENTIVE_REASON, ADDRESS):
        assert secret in full
        assert secret not in public


def test_a_missing_photo_file_shows_no_photo(w47, draft):
    from zhenxing.assessment.documents import circular_docx
    from zhenxing.cases.photos import private_storage

    private_storage.delete(w47.after1.original)
    doc, text = docx_text(circular_docx(draft))
    assert len(doc.inline_shapes) == 2
    assert text.count(site_text("No photo")) == 4  # c1 after, c3 both, c2 after


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_holds_every_figure(draft, content):
    from openpyxl import load_workbook

    from zhenxing.assessment.documents import circular_xlsx

    book = load_workbook(io.BytesIO(circular_xlsx(draft)))
    summary, ranking, areas, lists, spots, incentives = book.worksheets

    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures[site_text("Document number")] == draft.number
    assert figures[site_text("Mean inspection score")] == 80.0
    assert figures[site_text("Closure rate")] == 0.75
    assert figures[site_text("Cases opened from inspections")] == 3
    assert figures[site_text("First day")] == datetime.datetime(2026, 11, 16)

    rows = list(ranking.iter_rows(min_row=2, values_only=True))
    indicators = [i["key"] for i in content["indicators"]]
    assert len(rows) == len(content["ranking"])
    for line, row in zip(rows, content["ranking"], strict=True):
        assert list(line[:4]) == [row["rank"], row["unit_key"], row["unit_name"], row["composite"]]
        for i, key in enumerate(indicators):
            num, den, value = line[4 + 3 * i : 7 + 3 * i]
            assert (num, den, value) == (
                row["values"][key]["num"],
                row["values"][key]["den"],
                row[key],
            )
    assert ranking.cell(row=2, column=7).number_format == "0.0%"  # closure rate

    assert [r[0] for r in areas.iter_rows(min_row=2, values_only=True)] == [
        a["unit_key"] for a in content["areas"]
    ]
    assert [r[2] for r in lists.iter_rows(min_row=2, values_only=True)] == [
        e["unit_key"] for e in content["red"] + content["black"]
    ]
    spot_rows = list(spots.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in spot_rows] == [b["number"] for b in content["black_spots"]]
    assert spot_rows[0][4] == ADDRESS
    assert spot_rows[0][6] == datetime.datetime(2026, 11, 17, 9, 0)
    assert len(list(incentives.iter_rows(min_row=2))) == 2


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_reads_back(draft, content):
    from pdfminer.high_level import extract_text

    from zhenxing.assessment.documents import circular_pdf

    data = circular_pdf(draft)
    assert data.startswith(b"%PDF")
    text = extract_text(io.BytesIO(data))
    flat = "".join(text.split())
    assert "".join(draft.title.split()) in flat
    assert draft.number in flat
    row = next(r for r in content["ranking"] if r["unit_key"] == "GC01")
    assert "社区甲" in flat
    assert f"{row['composite']:.2f}" in flat
    assert draft.issuing_body.replace(" ", "") in flat
    for secret in (REPORTER_NAME, REPORTER_MOBILE):
        assert secret not in flat


def test_pdf_and_xlsx_of_a_published_circular_use_the_frozen_figures(world, w47, draft):
    from openpyxl import load_workbook

    from zhenxing.assessment.circulars import circular_publish
    from zhenxing.assessment.documents import circular_pdf, circular_xlsx

    circular_publish(circular=draft, actor=world.admin)
    draft.refresh_from_db()
    book = load_workbook(io.BytesIO(circular_xlsx(draft)))
    ranking = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [r[3] for r in ranking] == [r["composite"] for r in draft.content["ranking"]]
    public = circular_pdf(draft, public=True)
    assert public.startswith(b"%PDF")


def test_a_very_tall_photo_is_shrunk_to_fit_the_page(w47, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from docx import Document
    from docx.shared import Mm
    from PIL import Image

    from zhenxing.assessment.documents import PHOTO_MAX_HEIGHT_MM, circular_docx, circular_pdf
    from zhenxing.cases.models import CasePhoto
    from zhenxing.cases.photos import store_original, validate_photo

    out = io.BytesIO()
    Image.new("RGB", (40, 1000), "purple").save(out, "JPEG")
    photo = validate_photo(SimpleUploadedFile("tall.jpg", out.getvalue(), "image/jpeg"))
    CasePhoto.objects.create(
        case=w47.c2, kind="after", **store_original(folder="cases", photo=photo, actor=None)
    )
    doc = Document(io.BytesIO(circular_docx(draft)))
    assert len(doc.inline_shapes) == 4
    assert max(shape.height for shape in doc.inline_shapes) <= Mm(PHOTO_MAX_HEIGHT_MM) + 1
    assert circular_pdf(draft).startswith(b"%PDF")  # laid out, no LayoutError
