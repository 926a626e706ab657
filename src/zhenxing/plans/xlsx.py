"""The plan table (推进计划表) as an XLSX workbook: export, and import back.

The layout is the one the subdistrict's officials keep in Excel and WPS: one
row per area (片区), one column per week, each cell the week's target for
one task type. Row 1 is a title naming the campaign and the task type, row 2
the header (片区编码, 社区, 经济社, 片区, then "2026-W48 (11-23)" per week),
the areas below. A second sheet, 完成情况, holds the actuals in the same
layout for reading; the import never reads it.

An import is all or nothing, like the other imports (`territory.imports`,
`people.imports`): every cell is checked first and every bad one is reported
with its address ("D7"), so that an official can go straight to it; only a
file without a single error is written, through `services.targets_set_many`
(one transaction, one audit row). An empty cell means "no target" and
deletes the one stored; areas and weeks the file does not name are left
alone. The name columns are for people and are not read: the code decides.

Problems with the file as a whole (not an XLSX, too large, no header, the
sheet of another task type) are reported as a CellError without a cell
address (or with the address of the cell that shows it), so that the page
shows one list whatever went wrong.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from zhenxing.core.xlsx import MAX_SHEET_TITLE, cell_text, safe_cell_value
from zhenxing.people.imports import UNREADABLE
from zhenxing.people.scopes import ALL, minimal_paths, regions_visible_to, scope_paths
from zhenxing.plans import selectors, services
from zhenxing.plans.models import Campaign, TaskType, monday_of
from zhenxing.plans.permissions import can_plan, planning_paths, targets_visible_to
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import community_path, path_codes, path_prefix_q

PLAN_SHEET = "推进计划表"
ACTUAL_SHEET = "完成情况"
# The fixed columns before the weeks, Chinese as in the template, with the
# other headers accepted for each (English, and what hand-made sheets use).
CODE_HEADERS = ("片区编码", "编码", "areacode", "code")
INFO_HEADERS = ("社区", "经济社", "片区", "片区名称", "community", "cooperative", "area", "name")
FIXED_COLUMNS = ["片区编码", "社区", "经济社", "片区"]

# The whole subdistrict has 173 areas; the contract is ten times that, with room.
MAX_ROWS = 5_000
# A campaign of two years and a half, week by week.
MAX_WEEKS = 130
# The upload itself, and what it unpacks to (a zip bomb is small on the wire).
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ERRORS = 500
# The header is looked for among the first rows: the export puts a title above it.
HEADER_SEARCH_ROWS = 5
# WeeklyTarget.quantity: 12 digits, 2 decimals.
MAX_QUANTITY = Decimal("9999999999.99")
CENT = Decimal("0.01")

# "2026-W48 (11-23)", "2026-W48", "2026W48", "2026-w48（11-23）".
_WEEK_HEADER = re.compile(
    r"(\d{4})\s*-?\s*[wW]\s*(\d{1,2})\s*(?:[(（]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[)）])?"
)
# A date header typed as text: 2026-11-23, 2026/11/23, 2026.11.23, 2026年11月23日.
_DATE_HEADER = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
# A number as text: digits, an optional decimal part, thousands separators allowed.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


@dataclass(frozen=True)
class CellError:
    cell: str  # "D7", as Excel shows it; "" for the file as a whole
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    areas: int = 0  # data rows read
    weeks: list[datetime.date] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS were found

    @property
    def ok(self) -> bool:
        return not self.errors


def week_header(week: datetime.date) -> str:
    """ "2026-W48 (11-23)": the ISO week officials count by, and its Monday to find it."""
    year, number, _day = week.isocalendar()
    return f"{year}-W{number:02d} ({week:%m-%d})"


def title_of(campaign: Campaign, task_type: TaskType) -> str:
    return f"{PLAN_SHEET}：{campaign.name} / {task_type.name}（{task_type.get_unit_display()}）"


def _week_in_campaign(campaign: Campaign, week: datetime.date) -> bool:
    """The week (Monday to Sunday) overlaps the campaign's period."""
    if not services.sane_week(week):
        return False
    if week + datetime.timedelta(days=6) < campaign.start:
        return False
    return campaign.end is None or week <= campaign.end


def _visible_paths(user: Any, paths: list[str] | None) -> list[str] | None:
    """Where both the user's scope and the `paths` asked for reach (None: everywhere)."""
    scope = scope_paths(user)
    if scope is ALL:
        return None if paths is None else minimal_paths(paths)
    if paths is None:
        return scope
    return minimal_paths(
        [p for p in paths for s in scope if p.startswith(s)]
        + [s for s in scope for p in paths if s.startswith(p)]
    )


# --- export -------------------------------------------------------------------------------


def _cell_number(value: Decimal | None) -> int | Decimal | None:
    """A whole quantity as an int, so that Excel shows 12 and not 12.00."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value


def export_targets(
    *,
    user: Any,
    campaign: Campaign,
    task_type: TaskType,
    weeks: list[datetime.date],
    paths: list[str] | None,
) -> bytes:
    """The plan table of one task type: every area the user may see under `paths`
    (None: all), one column per week (Mondays), the targets; and the actuals on a
    second sheet, from the one roll-up rule (`selectors.rollup`)."""
    if task_type.campaign_id != campaign.pk:
        raise ValueError("the task type is not one of the campaign's")
    weeks = sorted({monday_of(w) for w in weeks})
    where = _visible_paths(user, paths)
    depth = area_depth()
    # Areas and their ancestors in two queries: names of communities and
    # cooperatives are looked up by path rather than joined row by row.
    areas = list(
        Region.objects.filter(path_prefix_q(where, "path"), depth=depth)
        .order_by("path")
        .only("code", "name", "path")
    )
    ancestor_paths = {community_path(a.path) for a in areas} | {
        a.path.removesuffix(path_codes(a.path)[-1] + "/") for a in areas
    }
    names = dict(
        Region.objects.filter(path__in=ancestor_paths).values_list("path", "name")
        if ancestor_paths
        else []
    )
    targets: dict[tuple[str, datetime.date], Decimal] = {}
    if areas and weeks:
        rows = (
            targets_visible_to(user)
            .filter(path_prefix_q(where, "region_path"), task_type=task_type, week__in=weeks)
            .values_list("region_path", "week", "quantity")
        )
        targets = {(path, week): quantity for path, week, quantity in rows}
    actuals: dict[tuple[str, datetime.date], Decimal] = {}
    if areas and weeks:
        by_week = selectors.rollup_weeks(task_type=task_type, weeks=weeks, paths=where)
        for week, progress_by_path in by_week.items():
            for path, progress in progress_by_path.items():
                actuals[(path, week)] = progress.actual

    workbook = Workbook()
    plan = workbook.active
    plan.title = PLAN_SHEET
    _fill(
        plan,
        title=title_of(campaign, task_type),
        weeks=weeks,
        areas=areas,
        names=names,
        values=targets,
    )
    actual = workbook.create_sheet(ACTUAL_SHEET[:MAX_SHEET_TITLE])
    _fill(
        actual,
        title=f"{ACTUAL_SHEET}：{campaign.name} / {task_type.name}"
        f"（{task_type.get_unit_display()}）",
        weeks=weeks,
        areas=areas,
        names=names,
        values=actuals,
        empty=Decimal(0),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(
    sheet: Any,
    *,
    title: str,
    weeks: list[datetime.date],
    areas: list[Region],
    names: dict[str, str],
    values: dict[tuple[str, datetime.date], Decimal],
    empty: Decimal | None = None,
) -> None:
    bold = Font(bold=True)
    sheet.append([safe_cell_value(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([*FIXED_COLUMNS, *(week_header(w) for w in weeks)])
    for cell in sheet[2]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
    for area in areas:
        parent = area.path.removesuffix(area.code + "/")
        sheet.append(
            [
                safe_cell_value(area.code),
                safe_cell_value(names.get(community_path(area.path), "")),
                safe_cell_value(names.get(parent, "")),
                safe_cell_value(area.name),
                *(_cell_number(values.get((area.path, w), empty)) for w in weeks),
            ]
        )
    for index, width in enumerate([14, 12, 14, 14], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for index in range(len(FIXED_COLUMNS) + 1, len(FIXED_COLUMNS) + len(weeks) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 17
    # The codes and names stay in view while scrolling through the weeks.
    sheet.freeze_panes = "E3"


# --- import: reading ---------------------------------------------------------------------


class _FileError(Exception):
    """The file as a whole cannot be imported; carries the CellError to report."""

    def __init__(self, message: str, cell: str = "") -> None:
        super().__init__(message)
        self.error = CellError(cell, message)


def _read_bytes(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > MAX_BYTES:
            raise _too_large()
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    return data


def _too_large() -> _FileError:
    return _FileError(
        _("The file is larger than %(mb)s MB; split it into smaller files.")
        % {"mb": MAX_BYTES // (1024 * 1024)}
    )


def unreadable_file() -> _FileError:
    return _FileError(
        _(
            "The file is not a readable .xlsx workbook. "
            "Save it as “Excel Workbook (.xlsx)” and upload it again."
        )
    )


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that unpacks to far more than any plan table (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable_file() from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_large()


def _normal(text: str) -> str:
    return re.sub(r"[\s_*＊]+", "", text).lower()


def _address(row: int, column: int) -> str:
    """Spreadsheet address of a 1-based row and a 0-based column index: (7, 3) → "D7"."""
    return f"{get_column_letter(column + 1)}{row}"


def _parse_week(value: Any) -> datetime.date | None:
    """The Monday a week header names, None when it names none.

    Accepted: "2026-W48 (11-23)" (the export's), "2026-W48", and a date (a date
    cell, or typed as text) that must be that week's Monday.
    """
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value if value.weekday() == 0 else None
    text = cell_text(value)
    try:
        if match := _WEEK_HEADER.fullmatch(text):
            year, number, month, day = match.groups()
            monday = datetime.date.fromisocalendar(int(year), int(number), 1)
            if month and (monday.month, monday.day) != (int(month), int(day)):
                return None  # "2026-W48 (11-30)": which of the two was meant?
            return monday
        if match := _DATE_HEADER.fullmatch(text):
            day_ = datetime.date(*(int(part) for part in match.groups()))
            return day_ if day_.weekday() == 0 else None
    except ValueError:  # week 54, month 13
        return None
    return None


def _parse_quantity(value: Any) -> Decimal | None:
    """A target from a cell: None when blank; raises ValueError(message) when not a target."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    shown = cell_text(value)
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value == value and abs(value) != float("inf"):
            number = Decimal(repr(value))
            # A computed 0.1 + 0.2 is 0.30000000000000004: that is 0.30, but 1.125 is
            # a typing slip, reported below.
            if abs(value) < 1e12 and abs(number - number.quantize(CENT)) < Decimal("0.000001"):
                number = number.quantize(CENT)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("，", ",").replace("．", ".")
        if _NUMBER_TEXT.fullmatch(text):
            number = Decimal(text.replace(",", ""))
    if number is None:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": shown[:50]})
    if number < 0:
        raise ValueError(_("A target cannot be negative (%(value)s).") % {"value": shown[:50]})
    try:
        exact = number.quantize(CENT)
    except InvalidOperation:
        exact = None
    if exact is None or exact > MAX_QUANTITY:
        raise ValueError(_("%(value)s is too large for a target.") % {"value": shown[:50]})
    if exact != number:
        raise ValueError(
            _("A target has at most two decimal places, not %(value)s.") % {"value": shown[:50]}
        )
    return exact


@dataclass
class _Sheet:
    header_row: int
    code_column: int
    # (0-based column, Monday) for each week column
    weeks: list[tuple[int, datetime.date]]
    # (spreadsheet row, values)
    rows: list[tuple[int, tuple[Any, ...]]]


def _lines(workbook: Any) -> Iterator[tuple[Any, ...]]:
    try:
        names = workbook.sheetnames
        sheet = workbook[PLAN_SHEET] if PLAN_SHEET in names else workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    except UNREADABLE:
        raise unreadable_file() from None


class _Errors:
    def __init__(self, result: ImportResult) -> None:
        self.result = result

    def add(self, cell: str, message: str) -> None:
        if len(self.result.errors) >= MAX_ERRORS:
            self.result.truncated = True
            return
        self.result.errors.append(CellError(cell, message))


def _read_sheet(data: bytes, errors: _Errors, *, title_prefix: str) -> _Sheet | None:
    """The header and the data rows of the plan sheet; header cell errors reported."""
    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UNREADABLE:
        raise unreadable_file() from None
    try:
        lines = _lines(workbook)
        head: list[tuple[Any, ...]] = []
        for line in lines:
            head.append(line or ())
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        if not any(cell_text(v) for line in head for v in line):
            raise _FileError(_("The worksheet is empty."), "A1")
        codes = {_normal(h) for h in CODE_HEADERS}
        header_index = next(
            (i for i, line in enumerate(head) if any(_normal(cell_text(v)) in codes for v in line)),
            None,
        )
        if header_index is None:
            raise _FileError(
                _("No header row with a “%(column)s” column was found in the first %(n)s rows.")
                % {"column": CODE_HEADERS[0], "n": HEADER_SEARCH_ROWS},
                "A1",
            )
        _check_title(head[:header_index], title_prefix)
        header_row = header_index + 1
        header = head[header_index]
        code_column = next(i for i, v in enumerate(header) if _normal(cell_text(v)) in codes)
        info = {_normal(h) for h in INFO_HEADERS}
        weeks: list[tuple[int, datetime.date]] = []
        seen: dict[datetime.date, int] = {}
        blank_headers: list[int] = []
        for column, value in enumerate(header):
            text = cell_text(value)
            if column == code_column or _normal(text) in info:
                continue
            if not text:
                blank_headers.append(column)
                continue
            address = _address(header_row, column)
            week = _parse_week(value)
            if week is None:
                errors.add(
                    address,
                    _(
                        "“%(value)s” is not a week; write it as 2026-W48 (11-23) "
                        "or as the week's Monday, such as 2026-11-23."
                    )
                    % {"value": text[:50]},
                )
            elif not services.sane_week(week):
                errors.add(
                    address,
                    _("Give a week between %(first)s and %(last)s.")
                    % {
                        "first": services.EARLIEST_WEEK.isoformat(),
                        "last": services.latest_week().isoformat(),
                    },
                )
            elif week in seen:
                errors.add(
                    address,
                    _("The week %(week)s is already in column %(column)s.")
                    % {"week": week_header(week), "column": get_column_letter(seen[week] + 1)},
                )
            else:
                seen[week] = column
                weeks.append((column, week))
        if len(weeks) > MAX_WEEKS:
            raise _FileError(
                _("The file has more than %(max)s week columns; split it into smaller files.")
                % {"max": MAX_WEEKS}
            )
        rows: list[tuple[int, tuple[Any, ...]]] = []
        below = [*head[header_index + 1 :]]
        number = header_row
        for line in _chain(below, lines):
            number += 1
            if all(cell_text(v) == "" for v in line):
                continue  # blank lines between blocks are common in hand-made sheets
            if len(rows) >= MAX_ROWS:
                raise _FileError(
                    _("The file has more than %(max)s rows; split it into smaller files.")
                    % {"max": MAX_ROWS}
                )
            rows.append((number, line))
        # A value under a column without a header: a week header was forgotten.
        for column in blank_headers:
            if any(column < len(line) and cell_text(line[column]) for _n, line in rows):
                errors.add(
                    _address(header_row, column),
                    _("This column holds values but its header names no week."),
                )
    finally:
        workbook.close()
    if not rows:
        raise _FileError(
            _("The file has a header row but no areas below it."), _address(header_row, 0)
        )
    return _Sheet(header_row, code_column, weeks, rows)


def _chain(first: list[tuple[Any, ...]], rest: Iterable[tuple[Any, ...]]) -> Iterator[tuple]:
    for line in first:
        yield line or ()
    for line in rest:
        yield line or ()


def _check_title(above: list[tuple[Any, ...]], prefix: str) -> None:
    """An exported sheet names its task type in its title: refuse another task type's.

    A hand-made sheet without that title is taken as meant for the task type chosen.
    """
    for index, line in enumerate(above):
        text = cell_text(line[0]) if line else ""
        if text.startswith(PLAN_SHEET + "：") and not text.startswith(prefix):
            raise _FileError(
                _("This sheet is “%(found)s”, not the plan of “%(expected)s”.")
                % {"found": text[:100], "expected": prefix.removeprefix(PLAN_SHEET + "：")[:-1]},
                _address(index + 1, 0),
            )


# --- import: checking and writing --------------------------------------------------------


def import_targets(
    *, actor: Any, campaign: Campaign, task_type: TaskType, file: Any
) -> ImportResult:
    """Check every cell of an uploaded plan table, then set all its targets, or none.

    `file`: the upload (an UploadedFile or any binary file object) or its bytes.
    Raises PermissionDenied when the actor may plan nowhere.
    """
    if task_type.campaign_id != campaign.pk:
        raise ValueError("the task type is not one of the campaign's")
    if not can_plan(actor):
        raise PermissionDenied
    result = ImportResult()
    errors = _Errors(result)
    try:
        data = _read_bytes(file)
        # The unit is left out: its name depends on the language of the export.
        prefix = f"{PLAN_SHEET}：{campaign.name} / {task_type.name}（"
        sheet = _read_sheet(data, errors, title_prefix=prefix)
    except _FileError as exc:
        result.errors.append(exc.error)
        return result
    assert sheet is not None
    result.areas = len(sheet.rows)
    result.weeks = [w for _c, w in sheet.weeks]
    if not campaign.is_active:
        errors.add("", _("The campaign %(name)s is not active.") % {"name": campaign.name})
    for column, week in sheet.weeks:
        if not _week_in_campaign(campaign, week):
            errors.add(
                _address(sheet.header_row, column),
                _("The week %(week)s is outside the campaign (%(start)s to %(end)s).")
                % {
                    "week": week_header(week),
                    "start": campaign.start.isoformat(),
                    "end": campaign.end.isoformat() if campaign.end else "…",
                },
            )
    if not sheet.weeks and not result.errors:
        errors.add(
            _address(sheet.header_row, sheet.code_column),
            _("The header row names no week."),
        )

    # Areas by code, in one query, among the regions the actor may read: a code
    # elsewhere reads as unknown, so that the import tells nothing of other places.
    codes = {
        cell_text(line[sheet.code_column])
        for _n, line in sheet.rows
        if sheet.code_column < len(line) and cell_text(line[sheet.code_column])
    }
    regions = {r.code: r for r in regions_visible_to(actor).filter(code__in=codes)} if codes else {}
    depth = area_depth()
    allowed = planning_paths(actor)
    first_row: dict[str, int] = {}
    planned: list[tuple[Region, TaskType, datetime.date, Decimal | None]] = []
    for number, line in sheet.rows:
        code_cell = _address(number, sheet.code_column)
        code = cell_text(line[sheet.code_column]) if sheet.code_column < len(line) else ""
        area: Region | None = None
        if not code:
            errors.add(code_cell, _("The area code is missing."))
        elif code in first_row:
            errors.add(
                code_cell,
                _("The area %(code)s appears twice: rows %(first)s and %(row)s.")
                % {"code": code, "first": first_row[code], "row": number},
            )
        else:
            first_row[code] = number
            area = regions.get(code)
            if area is None:
                errors.add(
                    code_cell, _("There is no area with the code %(code)s.") % {"code": code[:50]}
                )
            elif area.depth != depth:
                errors.add(
                    code_cell,
                    _("%(code)s (%(name)s) is not an area; give an area's code.")
                    % {"code": code, "name": area.name},
                )
                area = None
            elif allowed is not ALL and not any(area.path.startswith(p) for p in allowed):
                errors.add(
                    code_cell,
                    _("You may not set targets for %(name)s (%(code)s).")
                    % {"code": code, "name": area.name},
                )
                area = None
        for column, week in sheet.weeks:
            raw = line[column] if column < len(line) else None
            try:
                quantity = _parse_quantity(raw)
            except ValueError as exc:
                errors.add(_address(number, column), str(exc))
                continue
            if area is not None:
                planned.append((area, task_type, week, quantity))
    if result.errors:
        return result
    try:
        counts = services.targets_set_many(actor=actor, rows=planned)
    except services.PlanError as exc:
        # A rule checked by the service only, or a change made meanwhile.
        result.errors.append(CellError("", str(exc)))
        return result
    result.created = counts.get("created", 0)
    result.updated = counts.get("updated", 0)
    result.deleted = counts.get("deleted", 0)
    result.unchanged = counts.get("unchanged", 0)
    return result
