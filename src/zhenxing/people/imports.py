"""Import party members from an XLSX workbook, and the blank template for it.

The file is a contract with the people who fill it in Excel or WPS, so the
header row is fixed Chinese text whatever the UI language; English headers
(and "中文/english" pairs) are accepted too, and so are the variants real
files carry: spaces or line breaks inside a header ("姓 名"), a trailing note
("姓名（必填）"), a few common aliases ("手机号码"), and a title row or two
above the header (a merged "花名册" heading). Row numbers in messages are the
spreadsheet's own, so an official can go straight to the cell.

The import is all-or-nothing: every row is checked first, and if any row has
an error nothing is written. A row whose mobile number belongs to an existing
member updates that member (blank optional cells leave the stored value as it
is). The whole import writes one summary audit row rather than one per member:
11,000 members would otherwise drown the audit log.

`actor=None` is trusted code (a data loader, a management command) and may
import anywhere, as with the services.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from zhenxing.core import audit
from zhenxing.core.sheets import (
    Column,
    SheetRow,
    SheetRows,
    read_rows,
)
from zhenxing.core.xlsx import cell_text
from zhenxing.people.models import PartyMember, PartyOrganization, User, mobile_validator
from zhenxing.people.permissions import (
    COMMUNITY_DEPTH,
    can_edit_party_member,
    can_import_party_members,
    party_organizations_visible_to,
)
from zhenxing.people.services import (
    PeopleError,
    check_no_duties_left_behind,
    check_organization_in_community,
)
from zhenxing.territory.models import Region

# Enough for the whole subdistrict (11,000 members) in one file.
MAX_ROWS = 20_000
# Stop listing errors after this many: a wrong file would otherwise list
# tens of thousands, and the first screenful says what is wrong.
MAX_ERRORS = 500

# What a damaged or foreign file raises while openpyxl reads it: a broken zip,
# a missing part, malformed XML (xml.etree's ParseError and lxml's
# XMLSyntaxError are both SyntaxErrors), no worksheet at all.
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    KeyError,
    IndexError,
    EOFError,
    OSError,
    ValueError,
    TypeError,
    SyntaxError,
)


COLUMNS: list[Column] = [
    Column("name", "姓名", "name", required=True, aliases=("党员姓名",)),
    Column("mobile", "手机号", "mobile", required=True, aliases=("手机号码", "手机", "联系手机")),
    Column("gender", "性别", "gender"),
    Column("birth_year", "出生年份", "birth_year", aliases=("出生年",)),
    Column(
        "organization_code",
        "党组织编码",
        "organization_code",
        required=True,
        aliases=("党组织代码", "所属党组织编码"),
    ),
    Column(
        "community_code",
        "社区编码",
        "community_code",
        required=True,
        aliases=("社区代码", "所在社区编码"),
    ),
    Column("joined_on", "入党日期", "joined_on", aliases=("入党时间",)),
    Column("holds_office", "是否有职务", "holds_office", aliases=("有无职务",)),
]
_BY_KEY = {c.key: c for c in COLUMNS}

_GENDERS = {
    "男": PartyMember.Gender.MALE,
    "m": PartyMember.Gender.MALE,
    "male": PartyMember.Gender.MALE,
    "女": PartyMember.Gender.FEMALE,
    "f": PartyMember.Gender.FEMALE,
    "female": PartyMember.Gender.FEMALE,
}
_YES = {"是", "有", "y", "yes", "true", "1"}
_NO = {"否", "无", "n", "no", "false", "0"}


class ImportFileError(Exception):
    """The upload cannot be imported at all (answer 400; nothing is written)."""


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number, as Excel shows it
    column: str  # the column's header, as in the template
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS were found
    created_ids: list[int] = field(default_factory=list, repr=False)
    updated_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors


_Row = SheetRow


# --- reading ---------------------------------------------------------------


def read_first_sheet(file: IO[bytes], columns: list[Column] = COLUMNS) -> SheetRows:
    """The header row, the column positions and the non-empty data rows of the first sheet
    (the member import's, and any one-sheet import with its own `columns`)."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE as exc:
        raise unreadable_file() from exc
    try:
        # Rows are parsed lazily, as they are read: a damaged sheet fails
        # here, in the loop, not when the workbook opens.
        return _read_rows(workbook.worksheets[0].iter_rows(values_only=True), columns)
    except UNREADABLE as exc:
        raise unreadable_file() from exc
    finally:
        workbook.close()


def unreadable_file() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not a readable .xlsx workbook. "
            "Save it as “Excel Workbook (.xlsx)” and upload it again."
        )
    )


def _read_rows(lines: Iterable[tuple[Any, ...]], columns: list[Column]) -> SheetRows:
    sheet = read_rows(
        lines,
        columns,
        max_rows=MAX_ROWS,
        too_many=lambda: ImportFileError(
            _("The file has more than %(max)s rows; split it into smaller files.")
            % {"max": MAX_ROWS}
        ),
    )
    if not sheet.header_row:
        raise ImportFileError(_("The workbook's first sheet is empty."))
    return sheet


# --- cell parsing: each returns the clean value or raises ValueError(message) --


def _whole_number_text(value: Any) -> str:
    # A number that went through a text cell keeps its ".0": "13900000402.0".
    return re.sub(r"^(\d+)\.0+$", r"\1", cell_text(value))


def parse_mobile_cell(value: Any) -> str:
    # Excel stores a typed-in number as a number: 13800138000 or 13800138000.0.
    text = _whole_number_text(re.sub(r"[\s-]+", "", cell_text(value)))
    try:
        mobile_validator(text)
    except ValidationError as exc:
        raise ValueError(
            _("“%(value)s” is not an 11-digit mainland mobile number, such as 13800138000.")
            % {"value": text}
        ) from exc
    return text


def _parse_gender(value: Any) -> str:
    text = cell_text(value).lower()
    if text not in _GENDERS:
        raise ValueError(
            _("Gender must be 男 or 女, not “%(value)s”.") % {"value": cell_text(value)}
        )
    return _GENDERS[text]


def _parse_birth_year(value: Any) -> int:
    text = _whole_number_text(value)
    this_year = timezone.localdate().year
    if not text.isdigit() or not 1900 <= int(text) <= this_year:
        raise ValueError(
            _("The year of birth must be a year between 1900 and %(year)s, such as 1975.")
            % {"year": this_year}
        )
    return int(text)


# 2001-07-01, 2001/7/1, 2001.7.1, 2001年7月1日, each with an optional time of day
# (a date cell saved as text reads "2001-07-01 00:00:00").
_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 20010701
# An Excel date serial in a cell formatted "General": 37073 is 2001-07-01.
# Five digits only (1927–2173): a shorter number is a year or a slip, not a date.
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


def _date_from_text(text: str) -> datetime.date | None:
    match = _DATE_TEXT.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match:
        return datetime.date(*(int(part) for part in match.groups()))
    if _SERIAL.fullmatch(text):
        return from_excel(float(text)).date()
    return None


def parse_date_cell(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        parsed: datetime.date | None = value.date()
    elif isinstance(value, datetime.date):
        parsed = value
    else:
        text = cell_text(value)
        try:
            parsed = _date_from_text(text)
        except (ValueError, OverflowError):  # 2001年13月1日, an impossible serial
            parsed = None
        if parsed is None:
            raise ValueError(
                _("“%(value)s” is not a date; write it as YYYY-MM-DD, such as 2001-07-01.")
                % {"value": text}
            )
    if parsed > timezone.localdate():
        raise ValueError(_("The date %(date)s is in the future.") % {"date": parsed.isoformat()})
    return parsed


def _parse_yes_no(value: Any) -> bool:
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(_("Write 是 or 否, not “%(value)s”.") % {"value": cell_text(value)})


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": cell_text,
    "mobile": parse_mobile_cell,
    "gender": _parse_gender,
    "birth_year": _parse_birth_year,
    "organization_code": cell_text,
    "community_code": cell_text,
    "joined_on": parse_date_cell,
    "holds_office": _parse_yes_no,
}

# Member fields an import sets, in the order of the audit summary.
_MEMBER_FIELDS = [
    "name",
    "gender",
    "birth_year",
    "organization",
    "region",
    "joined_on",
    "holds_office",
]


# --- the import ------------------------------------------------------------


class _Errors:
    def __init__(self, result: ImportResult) -> None:
        self.result = result

    def add(self, row: int, key: str, message: str) -> None:
        if len(self.result.errors) >= MAX_ERRORS:
            self.result.truncated = True
            return
        self.result.errors.append(RowError(row, _BY_KEY[key].label, message))


def party_members_import(*, file: IO[bytes], filename: str = "", actor: Any) -> ImportResult:
    """Check every row, then create or update all members in one transaction, or none.

    Raises ImportFileError when the file cannot be read as a workbook, or when
    a member of the file was saved by someone else while it was imported.
    """
    sheet = read_first_sheet(file)
    result = ImportResult(rows=len(sheet.rows))
    errors = _Errors(result)

    missing = [c for c in COLUMNS if c.required and c.key not in sheet.positions]
    for column in missing:
        errors.add(
            sheet.header_row,
            column.key,
            _("The header row has no “%(column)s” column.") % {"column": column.header},
        )
    if missing:
        return result
    if not sheet.rows:
        errors.add(
            sheet.header_row, "name", _("The file has a header row but no members below it.")
        )
        return result

    # Parse every cell; collect codes and mobiles to look them up in bulk.
    parsed: list[tuple[_Row, dict[str, Any]]] = []
    for row in sheet.rows:
        clean: dict[str, Any] = {}
        for key, raw in row.values.items():
            if cell_text(raw) == "":
                if _BY_KEY[key].required:
                    errors.add(row.number, key, _("This cell is required."))
                continue
            try:
                clean[key] = _PARSERS[key](raw)
            except ValueError as exc:
                errors.add(row.number, key, str(exc))
        if len(clean.get("name", "")) > 50:
            errors.add(row.number, "name", _("A name may be at most 50 characters long."))
        parsed.append((row, clean))

    try:
        with transaction.atomic():
            _check_and_write(parsed, actor=actor, filename=filename, errors=errors)
    except IntegrityError:
        # A member with a mobile of this file was registered by someone else
        # between our checks and our write: nothing was written.
        raise ImportFileError(
            _(
                "Someone else saved a party member of this file while it was being imported; "
                "nothing was imported. Upload the file again."
            )
        ) from None
    return result


def _check_and_write(
    parsed: list[tuple[_Row, dict[str, Any]]], *, actor: Any, filename: str, errors: _Errors
) -> None:
    """Look up codes and existing members, check every row, and write if all are good.

    Runs in the import's transaction: existing members are locked as they are
    read, so that nobody moves one out of the actor's scope before we update it.
    """
    result = errors.result
    trusted = actor is None
    org_codes = {c["organization_code"] for _r, c in parsed if "organization_code" in c}
    region_codes = {c["community_code"] for _r, c in parsed if "community_code" in c}
    mobiles = {c["mobile"] for _r, c in parsed if "mobile" in c}
    orgs = {
        o.code: o
        for o in PartyOrganization.objects.filter(code__in=org_codes).select_related("region")
    }
    usable_orgs = (
        PartyOrganization.objects.all() if trusted else party_organizations_visible_to(actor)
    )
    visible_org_ids = set(usable_orgs.filter(code__in=org_codes).values_list("pk", flat=True))
    regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
    existing = {
        m.mobile: m
        for m in PartyMember.objects.filter(mobile__in=mobiles)
        .select_related("region", "organization")
        .select_for_update(of=("self",))
    }

    first_row_of_mobile: dict[str, int] = {}
    for row, clean in parsed:
        n = row.number
        region = None
        if "community_code" in clean:
            code = clean["community_code"]
            region = regions.get(code)
            if region is None:
                errors.add(
                    n,
                    "community_code",
                    _("There is no community with the code %(code)s.") % {"code": code},
                )
            elif region.depth != COMMUNITY_DEPTH:
                errors.add(
                    n,
                    "community_code",
                    _("%(code)s (%(name)s) is not a community; give the community's code.")
                    % {"code": code, "name": region.name},
                )
                region = None
            elif not trusted and not can_import_party_members(actor, region):
                errors.add(
                    n,
                    "community_code",
                    _(
                        "%(name)s is outside your scope; "
                        "you may only import members of your own community."
                    )
                    % {"name": region.name},
                )
                region = None
        if "organization_code" in clean:
            code = clean["organization_code"]
            org = orgs.get(code)
            if org is None or org.pk not in visible_org_ids:
                errors.add(
                    n,
                    "organization_code",
                    _("There is no party organisation with the code %(code)s in your scope.")
                    % {"code": code},
                )
            elif region is not None:
                try:
                    check_organization_in_community(org, region)
                except PeopleError as exc:
                    errors.add(n, "organization_code", str(exc))
        if "mobile" in clean:
            mobile = clean["mobile"]
            first = first_row_of_mobile.setdefault(mobile, n)
            if first != n:
                errors.add(
                    n,
                    "mobile",
                    _(
                        "The mobile number %(mobile)s appears twice in the file: "
                        "rows %(first)s and %(row)s."
                    )
                    % {"mobile": mobile, "first": first, "row": n},
                )
            member = existing.get(mobile)
            if member is not None and not trusted and not can_edit_party_member(actor, member):
                errors.add(
                    n,
                    "mobile",
                    _("The mobile number %(mobile)s belongs to a party member you cannot edit.")
                    % {"mobile": mobile},
                )
            elif member is not None and region is not None and member.region_id != region.pk:
                # The same rule as the member form: a move leaves no post or red-grid
                # seat behind in the community the member leaves.
                try:
                    check_no_duties_left_behind(member, region)
                except PeopleError as exc:
                    errors.add(n, "community_code", str(exc))

    if result.errors:
        return
    _write(parsed, orgs=orgs, regions=regions, existing=existing, result=result)
    _record(actor=actor, filename=filename, result=result)


def _write(
    parsed: Iterable[tuple[_Row, dict[str, Any]]],
    *,
    orgs: dict[str, PartyOrganization],
    regions: dict[str, Region],
    existing: dict[str, PartyMember],
    result: ImportResult,
) -> None:
    to_create: list[PartyMember] = []
    to_update: list[PartyMember] = []
    for _row, clean in parsed:
        values: dict[str, Any] = {
            "name": clean["name"],
            "organization": orgs[clean["organization_code"]],
            "region": regions[clean["community_code"]],
        }
        for key in ("gender", "birth_year", "joined_on", "holds_office"):
            if key in clean:
                values[key] = clean[key]
        member = existing.get(clean["mobile"])
        if member is None:
            to_create.append(PartyMember(mobile=clean["mobile"], **values))
            continue
        changed = False
        for key, value in values.items():
            if getattr(member, key) != value:
                setattr(member, key, value)
                changed = True
        if changed:
            to_update.append(member)
        else:
            result.unchanged += 1
    # Members with a login on the same mobile number are linked to it, so
    # that "has a login" is right from the start.
    logins = dict(
        User.objects.filter(
            mobile__in=[m.mobile for m in to_create], party_member__isnull=True
        ).values_list("mobile", "pk")
    )
    for member in to_create:
        member.user_id = logins.get(member.mobile)
    created = PartyMember.objects.bulk_create(to_create, batch_size=500)
    PartyMember.objects.bulk_update(to_update, _MEMBER_FIELDS, batch_size=500)
    result.created = len(created)
    result.updated = len(to_update)
    # bulk_create sets primary keys on SQLite and PostgreSQL alike.
    result.created_ids = [m.pk for m in created]
    result.updated_ids = [m.pk for m in to_update]


def _record(*, actor: Any, filename: str, result: ImportResult) -> None:
    audit.record(
        actor=actor,
        action="people.party_member.import",
        summary=(
            f"{filename}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        ),
        changes={
            "file": filename,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            # So that an investigator can find which members an import touched.
            "created_ids": result.created_ids,
            "updated_ids": result.updated_ids,
        },
    )


# --- the template ------------------------------------------------------------


def template_workbook() -> bytes:
    """The blank import file: the header row, plus a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员"
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (12, 16, 8, 10, 16, 14, 14, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    # Mobile numbers and codes as text, so Excel neither rounds nor reformats them.
    for letter in "BEF":
        for row in range(2, 1002):
            sheet[f"{letter}{row}"].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列", "是否必填", "说明"])
    explanations = {
        "name": "党员姓名",
        "mobile": "11位手机号；同一手机号已有党员时更新该党员",
        "gender": "男 或 女",
        "birth_year": "四位年份，如 1975",
        "organization_code": "所属党组织的编码",
        "community_code": "所在社区的编码",
        "joined_on": "日期单元格，或 YYYY-MM-DD，如 2001-07-01",
        "holds_office": "是 或 否（不填为否）",
    }
    for column in COLUMNS:
        notes.append(
            [column.header, "必填" if column.required else "选填", explanations[column.key]]
        )
    notes.column_dimensions["C"].width = 48
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
