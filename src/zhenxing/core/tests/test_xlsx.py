"""Excel downloads show exactly what was typed: no live formulas, no crash on odd characters."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from zhenxing.core.xlsx import safe_cell_value, workbook_bytes


def read(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_text_that_looks_like_a_formula_stays_text():
    data = workbook_bytes(["名称"], [['=HYPERLINK("http://evil","x")'], ["+1"], ["-2"], ["@a"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row)
    assert [row[0] for row in read(data)[1:]] == [
        '\'=HYPERLINK("http://evil","x")',
        "'+1",
        "'-2",
        "'@a",
    ]


def test_control_characters_are_dropped_instead_of_breaking_the_file():
    data = workbook_bytes(["名称"], [["坏\x07名"], ["abc\x01def"]])
    assert [row[0] for row in read(data)[1:]] == ["坏名", "abcdef"]


def test_numbers_dates_and_plain_text_are_untouched():
    assert safe_cell_value(-5) == -5
    assert safe_cell_value("叠南社区") == "叠南社区"
    assert safe_cell_value(None) is None
