"""Helpers shared by the people tests."""

from __future__ import annotations

import io
from collections.abc import Sequence
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
