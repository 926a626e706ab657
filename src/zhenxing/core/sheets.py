"""Reading an official's spreadsheet (the member, post and roll imports).

Real files start with a title row or two, name their columns in Chinese or
English, with notes in brackets (姓名(必填)) or both names (姓名/name), and
carry columns we do not read (序号, 备注). The header is found among the
first rows by the columns' names; the rows below it that hold anything in a
column we read are the data, each with its spreadsheet row number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Where the header may be: a title row or two above it is common.
HEADER_SEARCH_ROWS = 5

# A trailing note in brackets, half- or full-width: 姓名(必填), 社区编码（必填）.
_HEADER_NOTE = re.compile(r"[(（][^()（）]*[)）]$")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header written into the template
    english: str
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers that real files use for it

    @property
    def label(self) -> str:
        return f"{self.header}/{self.english}"


@dataclass
class SheetRow:
    number: int  # spreadsheet row number, as Excel shows it
    values: dict[str, Any]  # column key → raw cell value
    clean: dict[str, Any] = field(default_factory=dict)  # column key → parsed value


@dataclass
class SheetRows:
    header_row: int  # spreadsheet row number of the header (0: no rows at all)
    positions: dict[str, int]  # column key → index in the row
    rows: list[SheetRow]


def normal_header(text: str) -> str:
    """Lower case, no whitespace (line breaks and full-width spaces too), no
    underscores, no required-marks or trailing note."""
    text = re.sub(r"[\s_]+", "", text).lower().strip("*＊")
    return _HEADER_NOTE.sub("", text).strip("*＊")


def blank_cell(value: Any) -> bool:
    return value is None or str(value).strip() == ""


class HeaderIndex:
    """Which column a header cell names, by any of the column's names."""

    def __init__(self, columns: Iterable[Column]) -> None:
        self.keys = {
            normal_header(name): column.key
            for column in columns
            for name in (column.header, column.english, *column.aliases)
        }

    def key(self, value: Any) -> str | None:
        if value is None:
            return None
        text = normal_header(str(value))
        # "姓名/name": either half names the column.
        for candidate in (text, *re.split(r"[/／]", text)):
            key = self.keys.get(normal_header(candidate))
            if key:
                return key
        return None

    def positions(self, line: tuple[Any, ...] | None) -> dict[str, int]:
        positions: dict[str, int] = {}
        for index, value in enumerate(line or ()):
            key = self.key(value)
            if key and key not in positions:
                positions[key] = index
        return positions


def read_rows(
    lines: Iterable[tuple[Any, ...]],
    columns: list[Column],
    *,
    max_rows: int,
    too_many: Callable[[], Exception],
) -> SheetRows:
    """The header row and the non-empty rows below it; `too_many()` is raised past `max_rows`.

    The header is the first row that names every required column; failing
    that, the row naming the most columns, so that the "missing column"
    errors point at the row the official meant as the header.
    """
    index = HeaderIndex(columns)
    lines = iter(lines)
    head = list(itertools.islice(lines, HEADER_SEARCH_ROWS))
    if not head:
        return SheetRows(0, {}, [])
    required = {c.key for c in columns if c.required}
    header_index, positions = 0, index.positions(head[0])
    for number, line in enumerate(head):
        found = index.positions(line)
        if required <= found.keys():
            header_index, positions = number, found
            break
        if len(found) > len(positions):
            header_index, positions = number, found
    rows: list[SheetRow] = []
    below = itertools.chain(head[header_index + 1 :], lines)
    for number, line in enumerate(below, start=header_index + 2):
        line = line or ()
        values = {key: (line[i] if i < len(line) else None) for key, i in positions.items()}
        # Only the columns we read count: a pre-numbered 序号 column or a remark
        # does not make an otherwise empty row a record.
        if all(blank_cell(v) for v in values.values()):
            continue
        if len(rows) >= max_rows:
            raise too_many()
        rows.append(SheetRow(number, values))
    return SheetRows(header_index + 1, positions, rows)
