"""Excel downloads: officials live in Excel and WPS, so exports and templates are XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses longer cell text and longer sheet titles.
MAX_CELL_CHARS = 32_000
MAX_SHEET_TITLE = 31


# A cell text starting with one of these is run as a formula by Excel and WPS
# ("formula injection"): a resident's report or a typed login name must never
# become a live =HYPERLINK(...) in an official's spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> str:
    """A read cell as text: empty for nothing; 12, not "12.0", for a whole number as float."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def safe_cell_value(value: Any) -> Any:
    """A value that Excel shows as typed: control characters dropped, no formulas."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_CHARS]
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    return text


def workbook_bytes(
    headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str = ""
) -> bytes:
    """A one-sheet workbook with a bold header row, written in streaming mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title)[:MAX_SHEET_TITLE] or None)
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell_value(str(text)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([safe_cell_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(
    filename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str = ""
) -> HttpResponse:
    return xlsx_download(workbook_bytes(headers, rows, title=title), filename)
