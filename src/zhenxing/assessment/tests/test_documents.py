"""The circular's documents, read back: DOCX with python-docx, XLSX with openpyxl, PDF
with pdfminer.six. The data is test_circulars.py's week 47.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.utils import translation

from zhenxing.assessment.circulars import format_value
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


def site_text(message: str) -> str:
    from django.utils.translation import gettext

    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


@pytest.fixture
def content(draft):
    from zhenxing.assessment.circulars import circular_content

    return circular_content(draft)


def week_numbers() -> dict[str, str]:
    return {"c1": "20261117000001", "c2": "20261118000002", "c3": "20261118000003"}


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

    # The sections: the page's headings, in the page's order.
    headings = [p.text for p in doc.paragraphs if p.text in {t for _k, t in content["sections"]}]
    assert headings == [site_text(title) for _key, title in week.SECTION_TITLES]

    # 一: the period and its figures.
    summary = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert summary[0] == [site_text("Item"), site_text("Value")]
    figures = dict(summary[1:])
    assert figures[site_text("Cases opened from inspections")] == "1"
    assert figures[site_text("Cases reported by inspectors")] == "3"
    assert figures[site_text("Closure rate")] == "75.0%"
    assert figures[site_text("Mean score of all inspections")] == "80.00"

    # 二: every community on its row, in order, with rank, composite and each figure shown.
    cells = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    assert cells[0][:3] == [site_text("Rank"), site_text("Community"), site_text("Composite score")]
    shown = [i for i in content["indicators"] if cells[0].count(i["label"])]
    assert [i["key"] for i in shown] == [
        i["key"]
        for i in content["indicators"]
        if any(r.get(i["key"]) is not None for r in content["ranking"])
    ]
    assert len(cells) == 1 + len(content["ranking"])
    for line, row in zip(cells[1:], content["ranking"], strict=True):
        assert line[:3] == [str(row["rank"]), row["unit_name"], f"{row['composite']:.2f}"]
        for i in shown:
            assert line[cells[0].index(i["label"])] == format_value(i["key"], row.get(i["key"]))
    gc01 = next(line for line in cells if line[1] == "社区甲")
    assert gc01[cells[0].index(site_text("Inspection score"))] == "85.00"
    assert gc01[cells[0].index(site_text("Closure rate"))] == "66.7%"

    # 三: the areas, each with its own score.
    areas = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    assert areas[0][-1] == site_text("Area score")
    assert [line[0] for line in areas[1:]] == [a["unit_name"] for a in content["areas_bottom"]]
    assert areas[1][-1] == "70.00"

    # 五: black spots: c2 (open, before only), c1 before | after (closed), c3 none.
    assert len(doc.inline_shapes) == 3
    assert site_text("No photo") in text
    assert site_text("Not rectified yet.") in text
    captions = [
        p.text
        for p in doc.paragraphs
        if p.text.startswith(("1. ", "2. ", "3. ")) and p.text not in headings
    ]
    assert [c.split("　")[0] for c in captions] == [
        f"{n}. {spot['number']}" for n, spot in enumerate(content["black_spots"], start=1)
    ]
    assert site_text("Overdue") in captions[0]
    assert site_text("closed %(day)s") % {"day": "2026年11月19日"} in captions[1]
    assert site_text("closed %(day)s") % {"day": "2026年11月21日"} in captions[2]
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
    assert text.count(site_text("No photo")) == 3  # c1 after (lost), c3 both
    assert text.count(site_text("Not rectified yet.")) == 1  # c2, still open


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_holds_every_figure(draft, content):
    from openpyxl import load_workbook

    from zhenxing.assessment.documents import circular_xlsx

    book = load_workbook(io.BytesIO(circular_xlsx(draft)))
    summary, ranking, weights, areas, lists, spots, incentives = book.worksheets

    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures[site_text("Document number")] == draft.number
    assert figures[site_text("Mean score of all inspections")] == 80.0
    assert figures[site_text("Closure rate")] == 0.75
    assert figures[site_text("Cases opened from inspections")] == 1
    assert figures[site_text("Cases reported by inspectors")] == 3
    assert figures[site_text("Black spots still open")] == 1
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
    # Each indicator's score after the figures: with the weights, the composite redone.
    scores_from = 4 + 3 * len(indicators)
    assert len(rows[0]) == scores_from + len(indicators)
    header = [c.value for c in ranking[1]]
    assert header[scores_from] == site_text("%(indicator)s: score") % {
        "indicator": content["indicators"][0]["label"]
    }
    table = {r[0]: r for r in weights.iter_rows(min_row=2, values_only=True) if r and r[0]}
    weight_of = {table[i["label"]][1]: table[i["label"]][2] for i in content["indicators"]}
    for line in rows:
        scores = dict(zip(indicators, line[scores_from:], strict=True))
        present = {k: v for k, v in scores.items() if v is not None and weight_of[k]}
        redone = sum(weight_of[k] * v for k, v in present.items()) / sum(
            weight_of[k] for k in present
        )
        assert round(redone + 1e-9, 2) == line[3]  # half up, as the engine

    assert [r[0] for r in areas.iter_rows(min_row=2, values_only=True)] == [
        a["unit_key"] for a in content["areas"]
    ]
    assert [r[2] for r in lists.iter_rows(min_row=2, values_only=True)] == [
        e["unit_key"] for e in content["red"] + content["black"]
    ]
    spot_rows = list(spots.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in spot_rows] == [b["number"] for b in content["black_spots"]]
    c1 = next(r for r in spot_rows if r[0] == week_numbers()["c1"])
    assert c1[4] == ADDRESS
    assert c1[6] == datetime.datetime(2026, 11, 17, 9, 0)
    assert len(list(incentives.iter_rows(min_row=2))) == 2


def test_xlsx_weights_sheet_names_the_scheme_and_every_weight(world, w47, draft, scheme):
    from openpyxl import load_workbook

    from zhenxing.assessment.documents import circular_xlsx
    from zhenxing.assessment.models import Indicator, Scheme
    from zhenxing.assessment.services import period_close

    # The figures were made with weights 1; a heavier scheme comes in after the closing.
    used = Scheme.objects.get(is_active=True)
    used.weights.filter(indicator="inspection_score").update(weight=3)
    period_close(period=w47.period, actor=world.admin)
    scheme(closure_rate=5)
    draft.refresh_from_db()
    sheet = load_workbook(io.BytesIO(circular_xlsx(draft))).worksheets[2]
    assert sheet.title == site_text("Scheme and weights")[:31]
    lines = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert list(lines[0]) == [
        site_text("Indicator"),
        site_text("Code"),
        site_text("Weight"),
        site_text("Score (0–100)"),
    ]
    by_code = {line[1]: line for line in lines[1:] if line[1] in Indicator.values}
    assert list(by_code) == list(Indicator.values)
    assert by_code["inspection_score"][2] == 3
    assert by_code["closure_rate"][2] == 1  # the snapshot's scheme, not the one active now
    assert by_code["overdue_rate"][3] == site_text("(1 − rate) × 100")
    assert by_code["closure_rate"][3] == site_text("rate × 100")
    named = {line[0]: line[1] for line in lines if line[0] == site_text("Scheme")}
    assert named == {site_text("Scheme"): used.name}


# --- PDF ---------------------------------------------------------------------------------


def pdf_rows(data: bytes) -> list[str]:
    """The PDF's text as rows: the lines at one height joined left to right.

    A table row reads as one line ("1 社区乙 74.00 100.0% …") only if none of its
    cells wrapped.
    """
    from collections import defaultdict

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextLine

    def lines(item):
        if isinstance(item, LTTextLine):
            yield item
        elif hasattr(item, "__iter__"):
            for child in item:
                yield from lines(child)

    rows = []
    for page in extract_pages(io.BytesIO(data)):
        by_height = defaultdict(list)
        for line in lines(page):
            by_height[round((line.y0 + line.y1) / 2)].append((line.x0, line.get_text().strip()))
        for height in sorted(by_height, reverse=True):
            rows.append(" ".join(text for _x, text in sorted(by_height[height])))
    return rows


def test_pdf_reads_back(draft, content):
    from pdfminer.high_level import extract_text

    from zhenxing.assessment.documents import circular_pdf

    data = circular_pdf(draft)
    assert data.startswith(b"%PDF")
    text = extract_text(io.BytesIO(data))
    flat = "".join(text.split())
    assert "".join(draft.title.split()) in flat
    assert draft.number in flat
    assert draft.issuing_body.replace(" ", "") in flat
    for secret in (REPORTER_NAME, REPORTER_MOBILE):
        assert secret not in flat
    rows = pdf_rows(data)

    # The section headings, in the page's order.
    titles = [site_text(title) for _key, title in week.SECTION_TITLES]
    assert [r for r in rows if r in titles] == titles
    # 一: the summary figures, label and figure on one row.
    for label, figure in (
        ("Inspections scored", "3"),
        ("Mean score of all inspections", "80.00"),
        ("Cases opened from inspections", "1"),
        ("Cases reported by inspectors", "3"),
        ("Cases due to close", "4"),
        ("Closure rate", "75.0%"),
        ("On-time closure rate", "50.0%"),
    ):
        assert f"{site_text(label)} {figure}" in rows
    # 二: every community's rank, composite and rates.
    by_key = {r["unit_key"]: r for r in content["ranking"]}
    gc01, gc02 = by_key["GC01"], by_key["GC02"]
    assert f"{gc02['rank']} 社区乙 {gc02['composite']:.2f} 100.0% 0.0% 0.0% — 0.0% 70.00" in rows
    assert (
        f"{gc01['rank']} 社区甲 {gc01['composite']:.2f} 66.7% 66.7% 0.0% 100.0% 0.0% 85.00" in rows
    )
    # 四: the red and the black list by name.
    red, black = content["red"][0], content["black"][0]
    assert (
        f"{site_text('Red list')} {red['unit_name']} {red['composite']:.2f} {red['rank']}" in rows
    )
    assert (
        f"{site_text('Black list')} {black['unit_name']} {black['composite']:.2f} {black['rank']}"
        in rows
    )
    # 五: the exposed cases, in order, with their closure dates.
    spot_rows = [r for r in rows if r[:1].isdigit() and ". 2026" in r]
    assert [r.split("　")[0].split()[1] for r in spot_rows] == [
        s["number"] for s in content["black_spots"]
    ]
    assert site_text("closed %(day)s") % {"day": "2026年11月21日"} in spot_rows[2]
    # 六: short values never wrap: each record reads as one row.
    assert "通报表扬 2026年11月20日 社区甲 王书记 垃圾清理及时" in rows
    assert f"{site_text('Interview (约谈)')} 2026年11月21日 — {CADRE_B} {INCENTIVE_REASON}" in rows


def test_pdf_incentive_columns_do_not_wrap_beside_a_long_reason(w47, draft):
    from zhenxing.assessment.documents import circular_pdf
    from zhenxing.assessment.models import IncentiveRecord

    long_reason = "该社区在本周暗检中表现突出，垃圾清理及时，群众满意度高，" * 3
    IncentiveRecord.objects.filter(kind="commendation").update(reason=long_reason)
    rows = pdf_rows(circular_pdf(draft))
    # Kind, date, community and cadre each on one line, side by side; the reason wraps.
    assert any(r.startswith("通报表扬 2026年11月20日 社区甲 王书记") for r in rows), rows[-12:]
    assert any(
        r.startswith(f"{site_text('Interview (约谈)')} 2026年11月21日 — {CADRE_B}") for r in rows
    )
    assert long_reason not in rows  # wrapped, within its column


def test_pdf_stays_inside_the_page_frame(w47, draft):
    """Tables and photos stay within the text area (margins 28 / 26 mm, less the frame's
    6 pt padding), and each photo within its half of the before | after table."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTCurve, LTImage

    from zhenxing.assessment.documents import PDF_FRAME_PADDING, circular_pdf

    mm = 72 / 25.4
    left = 28 * mm + PDF_FRAME_PADDING
    right = (210 - 26) * mm - PDF_FRAME_PADDING

    def walk(item):
        yield item
        if hasattr(item, "__iter__"):
            for child in item:
                yield from walk(child)

    images = []
    for page in extract_pages(io.BytesIO(circular_pdf(draft))):
        for item in walk(page):
            if isinstance(item, LTCurve | LTImage):  # table rules, boxes and photos
                assert left - 0.5 <= item.x0 and item.x1 <= right + 0.5, (item, left, right)
            if isinstance(item, LTImage):
                images.append(item)
    assert len(images) == 3
    middle = (left + right) / 2
    for image in images:
        assert image.x1 <= middle or image.x0 >= middle  # one photo per half


def test_pdf_columns_fit_their_longest_value():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from zhenxing.assessment.documents import (
        PDF_CELL_PADDING,
        PDF_CELL_SIZE,
        PDF_FONT,
        _pdf_frame_width,
        pdf_column_widths,
    )

    headers = ["类型", "日期", "社区", "干部", "理由"]
    rows = [["通报批评", "2026年11月20日", "桂城社区居委会", "欧阳书记", "理由" * 80]]
    available = _pdf_frame_width()
    widths = pdf_column_widths(headers, rows, available=available, flexible=[4])
    assert sum(widths) == pytest.approx(available)
    for width, value in zip(widths[:4], rows[0][:4], strict=True):
        assert width >= stringWidth(value, PDF_FONT, PDF_CELL_SIZE) + 2 * PDF_CELL_PADDING
    assert widths[4] > widths[1]  # the reason takes the rest and wraps
    # Too many wide columns: the headers wrap, the values still fit.
    headers = [f"很长的指标名称第{i}项" for i in range(10)]
    rows = [["100.0%"] * 10]
    widths = pdf_column_widths(headers, rows, available=available)
    assert sum(widths) <= available + 0.01
    assert min(widths) >= stringWidth("100.0%", PDF_FONT, PDF_CELL_SIZE) + 2 * PDF_CELL_PADDING


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
        case=w47.c3, kind="before", **store_original(folder="cases", photo=photo, actor=None)
    )
    doc = Document(io.BytesIO(circular_docx(draft)))
    assert len(doc.inline_shapes) == 4
    assert max(shape.height for shape in doc.inline_shapes) <= Mm(PHOTO_MAX_HEIGHT_MM) + 1
    assert circular_pdf(draft).startswith(b"%PDF")  # laid out, no LayoutError
