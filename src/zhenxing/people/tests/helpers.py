"""Helpers shared by the people tests."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

from zhenxing.people.imports import COLUMNS

HEADER = [c.header for c in COLUMNS]


def make_xlsx(rows: Sequence[Sequence[Any]], header: Sequence[Any] = HEADER) -> io.BytesIO:
    """A workbook with `header` in row 1 and `rows` below, as an upload would carry it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def read_xlsx(content: bytes) -> list[tuple[Any, ...]]:
    """All rows of the first sheet of a workbook, header included."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def sheet_xlsx(lines: Sequence[Sequence[Any]], *, merge: str = "") -> io.BytesIO:
    """A workbook whose first sheet holds `lines` from row 1, title rows and all.

    `merge` merges a cell range (such as "A1:H1"), as a title row over the header is.
    """
    workbook = Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(list(line))
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def rewrite_part(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook `data` with one of its zip parts changed, as a damaged file would be."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()


def truncated_sheet_xlsx() -> bytes:
    """A valid zip whose sheet XML stops in the middle of the rows (a half-copied file)."""
    rows = [["某人", f"139{i:08d}", "", "", "GC01DZB", "GC01", "", ""] for i in range(60)]
    return rewrite_part(
        make_xlsx(rows).getvalue(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml[: len(xml) * 6 // 10],
    )


def sheetless_xlsx() -> bytes:
    """A workbook that lists no worksheet at all."""
    return rewrite_part(
        make_xlsx([]).getvalue(),
        "xl/workbook.xml",
        lambda xml: re.sub(rb"<sheet [^>]*/>", b"", xml),
    )
