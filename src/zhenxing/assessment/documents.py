"""The circular as documents officials use: DOCX (Word, WPS), XLSX (Excel), PDF.

The DOCX and the PDF follow the layout of a Chinese official document in
the spirit of GB/T 9704 (党政机关公文格式): the issuing body's name in red,
large and centred ("…文件"), the document number under it, a red rule, the
title, the body text with a two-character first-line indent, then the
ranking, the red and black lists and the exposed black spots with their
before and after photos side by side, and the issuing body and date at the
bottom right.

The prescribed typefaces (方正小标宋, 仿宋_GB2312, 黑体) are licensed fonts that
these machines do not have and that must not be shipped; the DOCX names
宋体 / 仿宋 / 黑体 as East-Asian fonts (`w:rFonts/@w:eastAsia`), which every
Chinese Windows and WPS has, and embeds no font file. The PDF uses Adobe's
STSong-Light CID font, which PDF readers supply themselves.

Every document is written in the site's language whoever downloads it:
it is an official paper, not a page.

The figures come from `circulars.circular_content` (frozen once published),
or with `public=True` from the public version, which carries no personal data.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from zhenxing.assessment.circulars import (
    RATE_INDICATORS,
    circular_content,
    circular_public_content,
    content_sections,
    format_composite,
    format_value,
    scheme_content,
    section_notes,
    summary_figures,
)
from zhenxing.assessment.models import Circular, Indicator, ListKind, Period, UnitKind
from zhenxing.core.xlsx import MAX_SHEET_TITLE, safe_cell_value

logger = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
RED_HEX = "E60012"  # the red of Chinese official document headers
PHOTO_WIDTH_MM = 72
PHOTO_MAX_HEIGHT_MM = 110


# --- shared ----------------------------------------------------------------------------


def _content(circular: Circular, public: bool) -> dict[str, Any]:
    content = circular_public_content(circular) if public else circular_content(circular)
    if "scheme" not in content:
        # Frozen before circulars stored their scheme: the period's snapshot still names it.
        content = {**content, "scheme": scheme_content(Period.objects.get(pk=circular.period_id))}
    return content


def _header_text(content: dict[str, Any]) -> str:
    return _("%(body)s document") % {"body": content["circular"]["issuing_body"]}


def _date_text(iso: str | None) -> str:
    if not iso:
        return ""
    return formats.date_format(datetime.date.fromisoformat(iso), "DATE_FORMAT")


def _shown_indicators(content: dict[str, Any]) -> list[dict[str, str]]:
    """The indicators with a figure for at least one community: an empty column says nothing."""
    rows = content["ranking"]
    return [
        ind for ind in content["indicators"] if any(row.get(ind["key"]) is not None for row in rows)
    ]


def _narrative_paragraphs(content: dict[str, Any]) -> list[str]:
    text = content["circular"].get("narrative") or ""
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _unit_kind_label(value: str) -> str:
    try:
        return str(UnitKind(value).label)
    except ValueError:
        return value


def _period_text(content: dict[str, Any]) -> str:
    """2026年第47周（2026年11月16日 – 2026年11月22日）, as the page heads section 一."""
    period = content["period"]
    return f"{period['label']}（{_date_text(period['start'])} – {_date_text(period['last_day'])}）"


def _notes(content: dict[str, Any]) -> dict[str, str]:
    return content.get("section_notes") or section_notes()


def _summary_table(content: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    return [_("Item"), _("Value")], [[label, value] for label, value in summary_figures(content)]


def _rank_text(row: dict[str, Any]) -> str:
    if row["rank"] is not None:
        return str(row["rank"])
    return _("Too little data") if row.get("insufficient") else "—"


def _ranking_table(content: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    shown = _shown_indicators(content)
    headers = [_("Rank"), _("Community"), _("Composite score"), *[i["label"] for i in shown]]
    rows = [
        [
            _rank_text(row),
            row["unit_name"],
            format_composite(row["composite"]),
            *[format_value(i["key"], row.get(i["key"])) for i in shown],
        ]
        for row in content["ranking"]
    ]
    return headers, rows


def _areas_table(content: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = [_("Area"), _("Community"), _("Inspections"), _("Area score")]
    rows = [
        [a["unit_name"], a["community"], str(a["inspections"]), format_composite(a["score"])]
        for a in content["areas_bottom"]
    ]
    return headers, rows


def _lists_table(content: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = [_("List"), _("Unit"), _("Composite score"), _("Rank")]
    rows = []
    for kind, label in ((ListKind.RED, ListKind.RED.label), (ListKind.BLACK, ListKind.BLACK.label)):
        for entry in content[kind]:
            name = entry["unit_name"]
            if entry["unit_kind"] != UnitKind.COMMUNITY:
                name = f"{name}（{_unit_kind_label(entry['unit_kind'])}）"
            rows.append(
                [
                    str(label),
                    name,
                    format_composite(entry["composite"]),
                    "—" if entry["rank"] is None else str(entry["rank"]),
                ]
            )
    return headers, rows


def _incentives_table(content: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    public = content.get("public", False)
    headers = [_("Kind"), _("Date"), _("Community")]
    if not public:
        headers += [_("Cadre"), _("Reason")]
    rows = []
    for r in content["incentives"]:
        row = [r["kind_label"], _date_text(r["date"]), r["community"] or "—"]
        if not public:
            row += [r.get("cadre") or "—", r.get("reason") or ""]
        rows.append(row)
    return headers, rows


# The tables of the sections, and what each says when it has no row (as the page says it).
_TABLES: dict[str, Callable[[dict[str, Any]], tuple[list[str], list[list[str]]]]] = {
    "summary": _summary_table,
    "ranking": _ranking_table,
    "areas": _areas_table,
    "lists": _lists_table,
    "incentives": _incentives_table,
}
_EMPTY: dict[str, Callable[[], str]] = {
    "summary": lambda: _("None."),
    "ranking": lambda: _("No community was ranked in this period."),
    "areas": lambda: _("No covert inspection was scored in this period."),
    "lists": lambda: _("No unit is listed for this period."),
    "black_spots": lambda: _("No black spot is exposed in this circular."),
    "incentives": lambda: _("None in this period."),
}


def _local_day(iso: str | None) -> str:
    """The day of a stored local time ("2026-11-19T15:00+08:00") as the site writes dates."""
    if not iso:
        return ""
    return formats.date_format(datetime.datetime.fromisoformat(iso).date(), "DATE_FORMAT")


def _spot_caption(n: int, spot: dict[str, Any]) -> str:
    """1. number　category　place　status　closed on <day> (or overdue), as the page's line."""
    place = " ".join(p for p in (spot["community"], spot["area"], spot.get("address", "")) if p)
    parts = [f"{n}. {spot['number']}", spot["category"], place, spot["status_label"]]
    if spot.get("closed_at"):
        parts.append(_("closed %(day)s") % {"day": _local_day(spot["closed_at"])})
    elif spot.get("overdue"):
        parts.append(_("Overdue"))
    return "　".join(parts)


def _no_after_text(spot: dict[str, Any]) -> str:
    """What stands in the "after" place without a photo: an open case is not put right yet."""
    is_open = spot.get("open", spot.get("status") != "closed")
    return _("Not rectified yet.") if is_open else _("No photo")


def _photo_bytes(tokens: Iterable[str | None]) -> dict[str, bytes]:
    """The display JPEG of each photo, made first if the worker has not made it yet.

    A photo whose file cannot be read (lost, corrupt) is left out: the
    document says "no photo" there rather than failing as a whole.
    """
    from zhenxing.cases.models import CasePhoto
    from zhenxing.cases.photos import ensure_derivatives, private_storage

    wanted = {t for t in tokens if t}
    found: dict[str, bytes] = {}
    for photo in CasePhoto.objects.filter(token__in=wanted):
        try:
            ensure_derivatives(photo)
            with private_storage.open(photo.display, "rb") as handle:
                found[photo.token] = handle.read()
        except Exception:  # any unreadable file: the document shows "no photo"
            logger.warning("circular photo %s could not be read", photo.token, exc_info=True)
    return found


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image, or None when it cannot be read (shown as "no photo")."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # any unreadable image: the document shows "no photo"
        return None
    return (width, height) if width and height else None


def _spot_photos(content: dict[str, Any]) -> dict[str, bytes]:
    spots = content["black_spots"]
    return _photo_bytes([s["before"] for s in spots] + [s["after"] for s in spots])


def filename(circular: Circular, fmt: str) -> str:
    """The download's file name: the document number and the title."""
    return f"{circular.number} {circular.title}.{fmt}".replace("/", "-")


# --- DOCX ------------------------------------------------------------------------------


def circular_docx(circular: Circular, *, public: bool = False) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _docx(_content(circular, public))


def _docx(content: dict[str, Any]) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    red = RGBColor.from_string(RED_HEX)
    doc = Document()
    section = doc.sections[0]
    # A4 with GB/T 9704's margins (top 37 mm, bottom 35, left 28, right 26).
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def fonts(element: Any, east_asia: str) -> None:
        r_fonts = element.get_or_add_rPr().get_or_add_rFonts()
        r_fonts.set(qn("w:ascii"), "Times New Roman")
        r_fonts.set(qn("w:hAnsi"), "Times New Roman")
        r_fonts.set(qn("w:eastAsia"), east_asia)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    fonts(normal.element, "仿宋")

    def run(
        paragraph: Any,
        text: str,
        *,
        font: str = "仿宋",
        size: float = 16,
        bold: bool = False,
        color: Any = None,
    ) -> Any:
        r = paragraph.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        if color is not None:
            r.font.color.rgb = color
        fonts(r._element, font)
        return r

    def para(
        text: str = "",
        *,
        align: Any = None,
        font: str = "仿宋",
        size: float = 16,
        bold: bool = False,
        color: Any = None,
        indent: bool = False,
        space_after: float = 0,
    ) -> Any:
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)  # two characters
        p.paragraph_format.space_after = Pt(space_after)
        if text:
            run(p, text, font=font, size=size, bold=bold, color=color)
        return p

    def red_rule() -> None:
        p = doc.add_paragraph()
        # The border goes in first: python-docx then slots later properties in schema order.
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("val", "single"), ("sz", "18"), ("space", "1"), ("color", RED_HEX)):
            bottom.set(qn(f"w:{key}"), value)
        border.append(bottom)
        p._p.get_or_add_pPr().append(border)
        p.paragraph_format.space_after = Pt(18)

    def table(
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        size: float = 10.5,
        empty: str | None = None,
    ) -> None:
        if not rows:
            para(empty or _("None."), indent=True)
            return
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(t.rows[0].cells, headers, strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            run(cell.paragraphs[0], str(text), font="黑体", size=size)
        for values in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, values, strict=True):
                run(cell.paragraphs[0], str(text), size=size)
        para(space_after=6)

    def heading(text: str) -> None:
        para(text, font="黑体", size=16, space_after=6)

    # The header block: issuing body (red), document number, red rule, title.
    para(
        _header_text(content),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        font="宋体",
        size=36,
        bold=True,
        color=red,
        space_after=24,
    )
    para(content["circular"]["number"], align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    red_rule()
    para(
        content["circular"]["title"],
        align=WD_ALIGN_PARAGRAPH.CENTER,
        font="宋体",
        size=22,
        bold=True,
        space_after=18,
    )
    for text in _narrative_paragraphs(content):
        para(text, indent=True)

    notes = _notes(content)

    def note(key: str) -> None:
        if notes.get(key):
            para(notes[key], size=10.5, indent=True, space_after=6)

    def spots() -> None:
        photos = _spot_photos(content)
        if not content["black_spots"]:
            para(_EMPTY["black_spots"](), indent=True)
        for n, spot in enumerate(content["black_spots"], start=1):
            para(_spot_caption(n, spot), size=12, space_after=3)
            t = doc.add_table(rows=2, cols=2)
            t.style = "Table Grid"
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for col, (label, token) in enumerate(
                ((_("Before"), spot["before"]), (_("After"), spot["after"]))
            ):
                head = t.rows[0].cells[col].paragraphs[0]
                head.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run(head, str(label), font="黑体", size=12)
                body = t.rows[1].cells[col].paragraphs[0]
                body.alignment = WD_ALIGN_PARAGRAPH.CENTER
                data = photos.get(token) if token else None
                size = _image_size(data) if data else None
                if data and size:
                    w, h = size
                    # Tall photos are shrunk to fit the height, so that each pair stays on a page.
                    if h / w * PHOTO_WIDTH_MM > PHOTO_MAX_HEIGHT_MM:
                        picture = {"height": Mm(PHOTO_MAX_HEIGHT_MM)}
                    else:
                        picture = {"width": Mm(PHOTO_WIDTH_MM)}
                    body.add_run().add_picture(io.BytesIO(data), **picture)
                else:
                    missing = _("No photo") if col == 0 or token else _no_after_text(spot)
                    run(body, missing, size=12)
            para(space_after=6)

    # The sections in the page's order and with its headings (circulars.SECTIONS).
    for key, title in content_sections(content):
        heading(title)
        if key == "summary":
            para(_period_text(content), size=12, space_after=3)
            table(*_summary_table(content), empty=_EMPTY[key]())
        elif key == "black_spots":
            spots()
        elif key in _TABLES:
            table(*_TABLES[key](content), empty=_EMPTY[key]())
            note(key)

    # The issuing body and the date, at the bottom right.
    para(space_after=12)
    para(content["circular"]["issuing_body"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(_date_text(content["circular"]["issue_date"]), align=WD_ALIGN_PARAGRAPH.RIGHT)

    _docx_page_numbers(section, run, WD_ALIGN_PARAGRAPH.CENTER, OxmlElement, qn)
    doc.core_properties.title = content["circular"]["title"]
    doc.core_properties.author = content["circular"]["issuing_body"]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_page_numbers(
    section: Any, run: Callable[..., Any], centre: Any, element: Any, qn: Any
) -> None:
    """ "— 1 —" centred in the footer, as official documents number their pages."""
    p = section.footer.paragraphs[0]
    p.alignment = centre
    run(p, "— ", size=14)
    r = run(p, "", size=14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            char = element("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._element.append(char)
        else:
            instr = element("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._element.append(instr)
    run(p, " —", size=14)


# --- XLSX ------------------------------------------------------------------------------


def circular_xlsx(circular: Circular, *, public: bool = False) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _xlsx(_content(circular, public))


def _excel_time(iso: str | None) -> datetime.datetime | None:
    """A local time as Excel takes it: naive (openpyxl refuses a time zone)."""
    if not iso:
        return None
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=None)


def _excel_date(iso: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(iso) if iso else None


def _score_rule(indicator: str, scheme: dict[str, Any]) -> str:
    """How an indicator's value becomes its 0–100 score (indicators.py), in words."""
    from zhenxing.assessment.indicators import LOWER_IS_BETTER

    if indicator in LOWER_IS_BETTER:
        return _("(1 − rate) × 100")
    if indicator in RATE_INDICATORS:
        return _("rate × 100")
    if indicator == Indicator.PARTICIPATION:
        return _("min(100, value ÷ %(target)s × 100)") % {
            "target": format_value(indicator, scheme.get("participation_target"))
        }
    return _("the score itself")


def _scheme_sheet(content: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The scheme's name and every indicator's weight: the composite, redone by hand, is
    Σ(weight × score) ÷ Σ weight over the indicators that have a score."""
    scheme = content["scheme"]
    rows: list[list[Any]] = [
        [w["label"], w["key"], w["weight"], _score_rule(w["key"], scheme)]
        for w in scheme["weights"]
    ]
    rows += [
        [],
        [_("Scheme"), scheme["name"]],
        [
            _("Composite score"),
            _("Σ(weight × score) ÷ Σ weight, over the indicators that have a score"),
        ],
    ]
    return [_("Indicator"), _("Code"), _("Weight"), _("Score (0–100)")], rows


def _xlsx(content: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    workbook = Workbook()
    first = True

    def sheet(
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        formats_by_column: dict[int, str] | None = None,
    ) -> None:
        nonlocal first
        ws = workbook.active if first else workbook.create_sheet()
        first = False
        ws.title = str(title)[:MAX_SHEET_TITLE]
        ws.append([safe_cell_value(str(h)) for h in headers])
        for cell in ws[1]:
            cell.font = bold
        widths = [len(str(h)) for h in headers]
        for row in rows:
            ws.append([safe_cell_value(v) for v in row])
            for i, value in enumerate(row):
                widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
        for column, number_format in (formats_by_column or {}).items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
                cell.number_format = number_format
        for i, width in enumerate(widths, start=1):
            # Chinese characters are about two columns wide.
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 2 + 2))
        ws.freeze_panes = "A2"

    c, p, s = content["circular"], content["period"], content["summary"]
    lowest = s.get("lowest_area") or {}
    sheet(
        _("Summary"),
        [_("Item"), _("Value")],
        [
            (_("Document number"), c["number"]),
            (_("Document title"), c["title"]),
            (_("Issuing body"), c["issuing_body"]),
            (_("Date of issue"), _excel_date(c["issue_date"])),
            (_("Covers"), content["scope"]["name"]),
            (_("Period"), p["label"]),
            (_("First day"), _excel_date(p["start"])),
            (_("Last day"), _excel_date(p["last_day"])),
            (_("Inspections scored"), s["inspections_scored"]),
            (_("Areas inspected"), s["areas_inspected"]),
            (_("Mean score of all inspections"), s["mean_score"]),
            (_("Lowest-scoring area"), lowest.get("unit_name")),
            (_("Its score"), lowest.get("score")),
            (_("Findings"), s["findings"]),
            (_("Units found"), s["finding_units"]),
            (_("Cases opened from inspections"), s["cases_opened"]),
            (_("Cases reported by inspectors"), s.get("inspection_cases")),
            (_("Black spots exposed"), s["black_spots"]),
            (_("Black spots still open"), s.get("black_spots_open")),
            (_("Cases due to close"), s["cases_due"]),
            (_("Cases closed"), s["cases_closed"]),
            (_("Cases closed on time"), s["cases_closed_on_time"]),
            (_("Closure rate"), s["closure_rate"]),
            (_("On-time closure rate"), s["on_time_rate"]),
            (_("Communities ranked"), s["communities_ranked"]),
        ],
    )

    indicators = content["indicators"]
    headers = [_("Rank"), _("Code"), _("Community"), _("Composite score")]
    percent_columns: dict[int, str] = {}
    for ind in indicators:
        headers += [
            _("%(indicator)s: numerator") % {"indicator": ind["label"]},
            _("%(indicator)s: denominator") % {"indicator": ind["label"]},
            ind["label"],
        ]
        if ind["key"] in RATE_INDICATORS:
            percent_columns[len(headers) - 1] = "0.0%"
    # Each indicator's score (0–100) after its figures: with the weights sheet, what the
    # composite is worked out from.
    headers += [_("%(indicator)s: score") % {"indicator": ind["label"]} for ind in indicators]
    rows = []
    for row in content["ranking"]:
        cells: list[Any] = [row["rank"], row["unit_key"], row["unit_name"], row["composite"]]
        for ind in indicators:
            v = row["values"].get(ind["key"]) or {}
            cells += [v.get("num"), v.get("den"), row.get(ind["key"])]
        cells += [(row["values"].get(ind["key"]) or {}).get("score") for ind in indicators]
        rows.append(cells)
    sheet(_("Ranking"), headers, rows, percent_columns)
    sheet(_("Scheme and weights"), *_scheme_sheet(content))

    sheet(
        _("Area scores"),
        [_("Code"), _("Area"), _("Community"), _("Inspections"), _("Area score")],
        [
            (a["unit_key"], a["unit_name"], a["community"], a["inspections"], a["score"])
            for a in content["areas"]
        ],
    )
    sheet(
        _("Red and black lists"),
        [
            _("List"),
            _("Unit kind"),
            _("Code"),
            _("Unit"),
            _("Composite score"),
            _("Rank"),
            _("Rule"),
        ],
        [
            (
                str(ListKind(kind).label),
                _unit_kind_label(e["unit_kind"]),
                e["unit_key"],
                e["unit_name"],
                e["composite"],
                e["rank"],
                e["rule"],
            )
            for kind in (ListKind.RED, ListKind.BLACK)
            for e in content[kind]
        ],
    )
    public = content.get("public", False)
    spot_headers = [_("Case number"), _("Category"), _("Community"), _("Area")]
    if not public:
        spot_headers.append(_("Address"))
    spot_headers += [
        _("Status"),
        _("Reported at"),
        _("Deadline"),
        _("Closed at"),
        _("Closed on time"),
        _("Before photo"),
        _("After photo"),
    ]
    yes, no = _("Yes"), _("No")
    spot_rows = []
    for spot in content["black_spots"]:
        cells = [spot["number"], spot["category"], spot["community"], spot["area"]]
        if not public:
            cells.append(spot.get("address", ""))
        on_time = spot["closed_on_time"]
        cells += [
            spot["status_label"],
            _excel_time(spot["reported_at"]),
            _excel_time(spot["deadline"]),
            _excel_time(spot["closed_at"]),
            "" if on_time is None else (yes if on_time else no),
            yes if spot["before"] else no,
            yes if spot["after"] else no,
        ]
        spot_rows.append(cells)
    time_columns = {len(spot_headers) - 6 + i: "yyyy-mm-dd hh:mm" for i in range(3)}
    sheet(_("Black spots"), spot_headers, spot_rows, time_columns)
    headers, rows = _incentives_table(content)
    sheet(_("Commendations and criticism"), headers, rows)

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------

PDF_FONT = "STSong-Light"
PDF_CELL_SIZE = 9  # points: the tables' text
PDF_FRAME_PADDING = 6  # reportlab's page frame keeps 6 pt inside the margins on either side
PDF_CELL_PADDING = 6  # reportlab's default left and right padding inside a table cell
PDF_FREE_TEXT_MIN_MM = 30  # a free-text column (a reason) wraps, but not narrower than this


def _pdf_frame_width() -> float:
    """What a table may be wide, in points: A4 less GB/T 9704's left (28 mm) and right
    (26 mm) margins, less the frame's padding. A table any wider sticks out of the text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    return A4[0] - (28 + 26) * mm - 2 * PDF_FRAME_PADDING


def pdf_column_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    available: float,
    flexible: Sequence[int] = (),
    size: float = PDF_CELL_SIZE,
) -> list[float]:
    """Column widths (points) in which short values (kinds, dates, names) never wrap.

    Each column is as wide as its longest text. When that is too wide for
    the page, the `flexible` columns (free text) wrap first, down to
    PDF_FREE_TEXT_MIN_MM; then the headers wrap, each column keeping its
    longest value on one line; only if even that is too wide does
    everything shrink alike.
    """
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if PDF_FONT not in _registered_fonts():
        _register_pdf_font()
    pad = 2 * PDF_CELL_PADDING + 1

    def width(value: Any) -> float:
        return stringWidth(str(value), PDF_FONT, size) + pad

    n = len(headers)
    least = 2 * size + pad  # two characters
    data = [max([width(r[i]) for r in rows] + [least]) for i in range(n)]
    natural = [max(data[i], width(headers[i])) for i in range(n)]
    flex = [i for i in flexible if i < n]
    fixed = [i for i in range(n) if i not in flex]
    widths = natural[:]
    if sum(natural) <= available:
        # Room to spare: it goes to the free text, or is shared out when there is none.
        takers = flex or list(range(n))
        for i in takers:
            widths[i] += (available - sum(natural)) / len(takers)
        return widths
    room = available - sum(natural[i] for i in fixed)
    if flex and room >= PDF_FREE_TEXT_MIN_MM * mm * len(flex):
        for i in flex:
            widths[i] = room / len(flex)
        return widths
    for i in flex:
        widths[i] = PDF_FREE_TEXT_MIN_MM * mm
    for i in fixed:
        widths[i] = data[i]
    spare = available - sum(widths)
    if spare < 0:
        scale = available / sum(widths)
        return [w * scale for w in widths]
    # The headers wrap; the room left goes back to them in proportion to what they lack,
    # and anything after that to the free text.
    wanting = {i: natural[i] - data[i] for i in fixed if natural[i] > data[i]}
    total = sum(wanting.values())
    for i, want in wanting.items():
        widths[i] += min(want, spare * want / total)
    if flex:
        for i in flex:
            widths[i] += (available - sum(widths)) / len(flex)
    return widths


def _registered_fonts() -> list[str]:
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getRegisteredFontNames()


def _register_pdf_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))


def circular_pdf(circular: Circular, *, public: bool = False) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf(_content(circular, public))


def _pdf(content: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        HRFlowable,
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    if PDF_FONT not in _registered_fonts():
        _register_pdf_font()
    red = colors.HexColor(f"#{RED_HEX}")

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        # CJK wrapping breaks lines between any two characters, as Chinese text needs.
        return ParagraphStyle(
            name, fontName=PDF_FONT, fontSize=size, leading=size * 1.5, wordWrap="CJK", **extra
        )

    header = style("header", 30, alignment=TA_CENTER, textColor=red, spaceAfter=12)
    number = style("number", 14, alignment=TA_CENTER)
    title = style("title", 20, alignment=TA_CENTER, spaceBefore=6, spaceAfter=12)
    body = style("body", 14, firstLineIndent=28)
    # A heading never ends a page: it goes over with what it heads.
    head = style("heading", 14, spaceBefore=10, spaceAfter=4, keepWithNext=1)
    cell = style("cell", PDF_CELL_SIZE)
    small = style("small", 10, spaceBefore=2, spaceAfter=2)
    period_line = style("period", 10, spaceBefore=2, spaceAfter=2, keepWithNext=1)
    caption = style("caption", 10, spaceBefore=6, spaceAfter=2)
    right = style("right", 14, alignment=TA_RIGHT)
    frame_width = _pdf_frame_width()

    def text(value: Any, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(str(value)), st)

    story: list[Any] = [
        text(_header_text(content), header),
        text(content["circular"]["number"], number),
        HRFlowable(width="100%", thickness=2, color=red, spaceBefore=4, spaceAfter=10),
        text(content["circular"]["title"], title),
    ]
    story += [text(p, body) for p in _narrative_paragraphs(content)]
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")),
        ]
    )

    def table(
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        empty: str,
        flexible: Sequence[int] = (),
    ) -> None:
        if not rows:
            story.append(text(empty, body))
            return
        data = [[text(h, cell) for h in headers]] + [[text(v, cell) for v in r] for r in rows]
        widths = pdf_column_widths(headers, rows, available=frame_width, flexible=flexible)
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
        t.setStyle(grid)
        story.append(t)

    # Two photos side by side, each in a cell of half the frame, inside the cell's padding.
    photo_width = frame_width / 2 - 2 * PDF_CELL_PADDING - 1

    def photo(data: bytes | None, missing: str) -> Any:
        size = _image_size(data) if data else None
        if not data or not size:
            return text(missing, cell)
        w, h = size
        # A very tall photo is shrunk to fit: a flowable taller than the frame cannot be laid out.
        scale = min(photo_width / w, PHOTO_MAX_HEIGHT_MM * mm / h)
        return Image(io.BytesIO(data), width=w * scale, height=h * scale)

    def spots() -> None:
        photos = _spot_photos(content)
        if not content["black_spots"]:
            story.append(text(_EMPTY["black_spots"](), body))
        for n, spot in enumerate(content["black_spots"], start=1):
            after = spot["after"]
            pair = Table(
                [
                    [text(_("Before"), cell), text(_("After"), cell)],
                    [
                        photo(photos.get(spot["before"] or ""), _("No photo")),
                        photo(
                            photos.get(after or ""),
                            _("No photo") if after else _no_after_text(spot),
                        ),
                    ],
                ],
                colWidths=[frame_width / 2] * 2,
            )
            pair.setStyle(grid)
            story.append(KeepTogether([text(_spot_caption(n, spot), caption), pair]))

    notes = _notes(content)
    # The sections in the page's order and with its headings (circulars.SECTIONS).
    for key, title_text in content_sections(content):
        story.append(text(title_text, head))
        if key == "summary":
            story.append(text(_period_text(content), period_line))
        if key == "black_spots":
            spots()
        elif key in _TABLES:
            headers, rows = _TABLES[key](content)
            # The reason of an incentive record is the one free text that may run long.
            flexible = [len(headers) - 1] if key == "incentives" and len(headers) == 5 else []
            table(headers, rows, empty=_EMPTY[key](), flexible=flexible)
        if notes.get(key):
            story.append(text(notes[key], small))
    story.append(
        KeepTogether(
            [
                Spacer(1, 12 * mm),
                text(content["circular"]["issuing_body"], right),
                text(_date_text(content["circular"]["issue_date"]), right),
            ]
        )
    )

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(PDF_FONT, 11)
        canvas.drawCentredString(A4[0] / 2, 18 * mm, f"— {doc.page} —")
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        title=content["circular"]["title"],
        author=content["circular"]["issuing_body"],
        subject=content["circular"]["number"],
    )
    document.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()
