"""Import responsibility posts and their claims (认岗) from one XLSX workbook, and its template.

The workbook carries a sheet "岗位" (posts) and/or a sheet "认岗" (claims); either
may be absent, not both. A claim names a post of the same file or one already
registered. Headers are matched as in the member import (`people.imports`:
Chinese or English, spaces, notes in brackets, title rows above the header),
and messages name the sheet and the spreadsheet's own row number, so that an
official can go straight to the cell.

All or nothing: every row of both sheets is checked first; if any has an
error nothing is written. Otherwise posts and claims are written through
`posts.services` in one transaction (each with its own audit row), plus one
audit row for the import itself.

`actor=None` is trusted code (a data loader, a command) and may import anywhere.
"""

from __future__ import annotations

import datetime
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from zhenxing.core import audit
from zhenxing.core.sheets import Column, SheetRow, normal_header, read_rows
from zhenxing.core.xlsx import cell_text
from zhenxing.people.imports import (
    MAX_ERRORS,
    MAX_ROWS,
    UNREADABLE,
    ImportFileError,
    parse_date_cell,
    parse_mobile_cell,
    unreadable_file,
)
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.people.permissions import party_organizations_visible_to
from zhenxing.people.services import PeopleError, check_code, check_organization_in_community
from zhenxing.posts import services
from zhenxing.posts.models import PlaceKind, Post, PostClaim, PostType
from zhenxing.posts.permissions import can_manage_posts_in
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

__all__ = ["ImportFileError", "ImportResult", "RowError", "posts_import", "template_workbook"]

# The sheet names are part of the file's contract, in Chinese whatever the UI language.
POSTS_SHEET = "岗位"
CLAIMS_SHEET = "认岗"

POST_COLUMNS: list[Column] = [
    Column("code", "编号", "code", required=True, aliases=("岗位编号", "岗位编码")),
    Column("name", "名称", "name", required=True, aliases=("岗位名称",)),
    Column("post_type", "岗位类型", "post_type", required=True, aliases=("类型",)),
    Column(
        "region_code",
        "区域编码",
        "region_code",
        required=True,
        aliases=("区域代码", "所在区域编码"),
    ),
    Column("place_kind", "地点类型", "place_kind"),
    Column("place_name", "地点名称", "place_name", aliases=("地点",)),
    Column("lat", "纬度", "lat", aliases=("latitude",)),
    Column("lng", "经度", "lng", aliases=("longitude",)),
    Column("duties", "职责", "duties", aliases=("岗位职责",)),
    Column("organization_code", "党组织编码", "organization_code", aliases=("党组织代码",)),
]
CLAIM_COLUMNS: list[Column] = [
    Column("post_code", "岗位编号", "post_code", required=True, aliases=("岗位编码", "编号")),
    Column("member_name", "党员姓名", "member_name", required=True, aliases=("姓名",)),
    Column("mobile", "党员手机号", "mobile", aliases=("手机号", "手机号码", "手机")),
    Column("started_on", "认岗日期", "claimed_on", aliases=("认岗时间",)),
]

# What officials write in 地点类型, besides the stored values (area, street, …).
_PLACE_KINDS: dict[str, str] = {
    "片区": PlaceKind.AREA,
    "街巷": PlaceKind.STREET,
    "街道": PlaceKind.STREET,
    "河涌段": PlaceKind.RIVER,
    "河涌": PlaceKind.RIVER,
    "文物": PlaceKind.RELIC,
    "其他": PlaceKind.OTHER,
    **{value: value for value in PlaceKind.values},
}


@dataclass(frozen=True)
class RowError:
    sheet: str  # the sheet's name, as in the file
    row: int  # spreadsheet row number, as Excel shows it
    column: str  # the column's header, as in the template
    message: str

    @property
    def text(self) -> str:
        """One line naming the sheet, the row and the column: "认岗 第 7 行（党员姓名）：……"."""
        return _("%(sheet)s row %(row)s (%(column)s): %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    post_rows: int = 0
    claim_rows: int = 0
    posts_created: int = 0
    claims_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS were found

    @property
    def ok(self) -> bool:
        return not self.errors


_Row = SheetRow


@dataclass
class _Sheet:
    title: str
    columns: list[Column]
    header_row: int
    positions: dict[str, int]
    rows: list[_Row]

    def label(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)


class _Errors:
    def __init__(self, result: ImportResult) -> None:
        self.result = result

    def add(self, sheet: _Sheet, row: int, key: str, message: str) -> None:
        if len(self.result.errors) >= MAX_ERRORS:
            self.result.truncated = True
            return
        self.result.errors.append(RowError(sheet.title, row, sheet.label(key), message))


# --- reading ---------------------------------------------------------------------


def _read_sheet(title: str, columns: list[Column], lines: Iterable[tuple[Any, ...]]) -> _Sheet:
    """The header row (found as in the member import) and the non-empty rows below it."""
    found = read_rows(
        lines,
        columns,
        max_rows=MAX_ROWS,
        too_many=lambda: ImportFileError(
            _("The sheet %(sheet)s has more than %(max)s rows; split it into smaller files.")
            % {"sheet": title, "max": MAX_ROWS}
        ),
    )
    return _Sheet(title, columns, max(found.header_row, 1), found.positions, found.rows)


def _read(file: IO[bytes]) -> tuple[_Sheet | None, _Sheet | None]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE as exc:
        raise unreadable_file() from exc
    wanted = {
        normal_header(POSTS_SHEET): (POSTS_SHEET, POST_COLUMNS),
        "posts": (POSTS_SHEET, POST_COLUMNS),
        normal_header(CLAIMS_SHEET): (CLAIMS_SHEET, CLAIM_COLUMNS),
        "claims": (CLAIMS_SHEET, CLAIM_COLUMNS),
    }
    found: dict[str, _Sheet] = {}
    try:
        for worksheet in workbook.worksheets:
            kind = wanted.get(normal_header(worksheet.title))
            if kind is None or kind[0] in found:
                continue
            found[kind[0]] = _read_sheet(
                worksheet.title, kind[1], worksheet.iter_rows(values_only=True)
            )
    except UNREADABLE as exc:
        raise unreadable_file() from exc
    finally:
        workbook.close()
    if not found:
        raise ImportFileError(
            _(
                "The workbook has no sheet named “%(posts)s” (posts) or “%(claims)s” (claims). "
                "Download the template and fill in its sheets."
            )
            % {"posts": POSTS_SHEET, "claims": CLAIMS_SHEET}
        )
    return found.get(POSTS_SHEET), found.get(CLAIMS_SHEET)


# --- cell parsing: each returns the clean value or raises ValueError(message) ----------


def _parse_place_kind(value: Any) -> str:
    text = cell_text(value)
    kind = _PLACE_KINDS.get(text) or _PLACE_KINDS.get(text.lower())
    if kind is None:
        raise ValueError(
            _("“%(value)s” is not a kind of place; write 片区, 街巷, 河涌段, 文物 or 其他.")
            % {"value": text}
        )
    return kind


def _coordinate(low: float, high: float) -> Any:
    def parse(value: Any) -> float:
        text = cell_text(value)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(
                _("“%(value)s” is not a number; write decimal degrees, such as 23.0312.")
                % {"value": text}
            )
        if not low <= number <= high:
            raise ValueError(
                _("%(value)s is not between %(low)s and %(high)s.")
                % {"value": text, "low": low, "high": high}
            )
        return number

    return parse


def _text(limit: int) -> Any:
    def parse(value: Any) -> str:
        text = cell_text(value)
        if len(text) > limit:
            raise ValueError(_("This cell may hold at most %(max)s characters.") % {"max": limit})
        return text

    return parse


_POST_PARSERS = {
    "code": cell_text,
    "name": _text(100),
    "post_type": cell_text,
    "region_code": cell_text,
    "place_kind": _parse_place_kind,
    "place_name": _text(100),
    "lat": _coordinate(-90, 90),
    "lng": _coordinate(-180, 180),
    "duties": cell_text,
    "organization_code": cell_text,
}
_CLAIM_PARSERS = {
    "post_code": cell_text,
    "member_name": _text(50),
    "mobile": parse_mobile_cell,
    "started_on": parse_date_cell,
}


def _parse_cells(sheet: _Sheet, parsers: dict[str, Any], errors: _Errors) -> None:
    required = {c.key for c in sheet.columns if c.required}
    for row in sheet.rows:
        for key, raw in row.values.items():
            if cell_text(raw) == "":
                if key in required:
                    errors.add(sheet, row.number, key, _("This cell is required."))
                continue
            try:
                row.clean[key] = parsers[key](raw)
            except ValueError as exc:
                errors.add(sheet, row.number, key, str(exc))


def _missing_columns(sheet: _Sheet, errors: _Errors) -> bool:
    missing = [c for c in sheet.columns if c.required and c.key not in sheet.positions]
    for column in missing:
        errors.add(
            sheet,
            sheet.header_row,
            column.key,
            _("The header row has no “%(column)s” column.") % {"column": column.header},
        )
    return bool(missing)


# --- checking ----------------------------------------------------------------------


@dataclass
class _PostPlan:
    row: _Row
    region: Region | None = None
    post_type: PostType | None = None
    organization: PartyOrganization | None = None


@dataclass
class _ClaimPlan:
    row: _Row
    post_code: str
    member: PartyMember | None = None
    started_on: datetime.date | None = None


def _check_posts(sheet: _Sheet, *, actor: Any, errors: _Errors) -> dict[str, _PostPlan]:
    """Check every post row; the plans by code (the first row of a code)."""
    trusted = actor is None
    rows = sheet.rows
    types = list(PostType.objects.all())
    by_type = {t.code.lower(): t for t in types} | {t.name: t for t in types}
    regions = {
        r.code.lower(): r
        for r in Region.objects.filter(
            code__in={r.clean["region_code"] for r in rows if "region_code" in r.clean}
        )
    }
    communities = {
        r.path: r
        for r in Region.objects.filter(path__in={community_path(r.path) for r in regions.values()})
    }
    org_codes = {r.clean["organization_code"] for r in rows if "organization_code" in r.clean}
    usable_orgs = (
        PartyOrganization.objects.all() if trusted else party_organizations_visible_to(actor)
    )
    orgs = {o.code: o for o in usable_orgs.filter(code__in=org_codes).select_related("region")}
    taken = set(
        Post.objects.filter(
            code__in={r.clean["code"] for r in rows if "code" in r.clean}
        ).values_list("code", flat=True)
    )

    plans: dict[str, _PostPlan] = {}
    for row in rows:
        n, clean = row.number, row.clean
        plan = _PostPlan(row)
        if "code" in clean:
            try:
                clean["code"] = code = check_code(clean["code"])
            except PeopleError as exc:
                errors.add(sheet, n, "code", str(exc))
            else:
                if code in plans:
                    errors.add(
                        sheet,
                        n,
                        "code",
                        _("The post code %(code)s appears twice: rows %(first)s and %(row)s.")
                        % {"code": code, "first": plans[code].row.number, "row": n},
                    )
                else:
                    plans[code] = plan
                if code in taken:
                    errors.add(
                        sheet, n, "code", _("The post code %(code)s is taken.") % {"code": code}
                    )
        if "post_type" in clean:
            text = clean["post_type"]
            post_type = by_type.get(text) or by_type.get(text.lower())
            if post_type is None or not post_type.is_active:
                errors.add(
                    sheet,
                    n,
                    "post_type",
                    _("There is no post type “%(value)s”; use one of: %(types)s.")
                    % {
                        "value": text,
                        "types": "、".join(t.name for t in types if t.is_active),
                    },
                )
            else:
                plan.post_type = post_type
        if "region_code" in clean:
            code = clean["region_code"]
            region = regions.get(code.lower())
            if region is None:
                errors.add(
                    sheet,
                    n,
                    "region_code",
                    _("There is no region with the code %(code)s.") % {"code": code},
                )
            elif region.depth < COMMUNITY_DEPTH:
                errors.add(
                    sheet,
                    n,
                    "region_code",
                    _("%(name)s is above the communities; give a community or a region below one.")
                    % {"name": region.name},
                )
            elif not trusted and not can_manage_posts_in(actor, region):
                errors.add(
                    sheet,
                    n,
                    "region_code",
                    _("%(name)s is outside your scope; you cannot open posts there.")
                    % {"name": region.name},
                )
            else:
                plan.region = region
        if (cell_text(row.values.get("lat")) == "") != (cell_text(row.values.get("lng")) == ""):
            errors.add(sheet, n, "lng", _("Give both latitude and longitude, or neither."))
        if not clean.get("duties") and plan.post_type is not None and not plan.post_type.duties:
            errors.add(
                sheet,
                n,
                "duties",
                _("Write the post's duties: the type %(type)s has no standard duties.")
                % {"type": plan.post_type.name},
            )
        if "organization_code" in clean:
            code = clean["organization_code"]
            org = orgs.get(code)
            if org is None:
                errors.add(
                    sheet,
                    n,
                    "organization_code",
                    _("There is no party organisation with the code %(code)s in your scope.")
                    % {"code": code},
                )
            elif plan.region is not None:
                community = communities.get(community_path(plan.region.path), plan.region)
                try:
                    check_organization_in_community(org, community)
                except PeopleError as exc:
                    errors.add(sheet, n, "organization_code", str(exc))
                else:
                    plan.organization = org
    return plans


def _check_claims(
    sheet: _Sheet, *, actor: Any, file_posts: dict[str, _PostPlan], errors: _Errors
) -> list[_ClaimPlan]:
    trusted = actor is None
    rows = sheet.rows
    codes = {r.clean["post_code"] for r in rows if "post_code" in r.clean} - file_posts.keys()
    stored = {p.code: p for p in Post.objects.filter(code__in=codes).select_related("region")}
    names = {r.clean["member_name"] for r in rows if "member_name" in r.clean}
    candidates: dict[str, list[PartyMember]] = {}
    for member in PartyMember.objects.filter(name__in=names).select_related("region"):
        candidates.setdefault(member.name, []).append(member)
    community_names = dict(Region.objects.filter(depth=COMMUNITY_DEPTH).values_list("path", "name"))
    # What the stored posts' history says, to refuse a claim that would overlap one.
    history: dict[tuple[int, int], list[PostClaim]] = {}
    for claim in PostClaim.objects.filter(post__in=stored.values()):
        history.setdefault((claim.post_id, claim.member_id), []).append(claim)

    plans: list[_ClaimPlan] = []
    first_row: dict[tuple[str, int], int] = {}
    today = timezone.localdate()
    for row in rows:
        n, clean = row.number, row.clean
        if "post_code" not in clean:
            continue
        code = clean["post_code"]
        plan = _ClaimPlan(row, code, started_on=clean.get("started_on", today))
        region: Region | None = None
        post = stored.get(code)
        if code in file_posts:
            region = file_posts[code].region
        elif post is None or not (trusted or can_manage_posts_in(actor, post.region)):
            # The same words for a post that does not exist and one out of scope.
            errors.add(
                sheet,
                n,
                "post_code",
                _("There is no post %(code)s in this file or among the posts you manage.")
                % {"code": code},
            )
            continue
        elif not post.is_active:
            errors.add(
                sheet,
                n,
                "post_code",
                _("The post %(code)s is retired; it cannot be claimed.") % {"code": code},
            )
            continue
        else:
            region = post.region
        if region is None or "member_name" not in clean:
            # The post's own row is wrong (reported there), or the name is missing.
            continue
        home = community_path(region.path)
        community = community_names.get(home, home)
        name = clean["member_name"]
        found = [m for m in candidates.get(name, []) if m.region.path == home]
        if not found:
            errors.add(
                sheet,
                n,
                "member_name",
                _("There is no party member named %(name)s in %(community)s.")
                % {"name": name, "community": community},
            )
            continue
        mobile = clean.get("mobile")
        if mobile:
            found = [m for m in found if m.mobile == mobile]
            if not found:
                errors.add(
                    sheet,
                    n,
                    "mobile",
                    _("No party member %(name)s in %(community)s has the mobile number %(mobile)s.")
                    % {"name": name, "community": community, "mobile": mobile},
                )
                continue
        if len(found) > 1:
            errors.add(
                sheet,
                n,
                "member_name",
                _(
                    "%(count)s party members in %(community)s are named %(name)s; "
                    "add the mobile number to say which."
                )
                % {"count": len(found), "community": community, "name": name},
            )
            continue
        member = found[0]
        first = first_row.setdefault((code, member.pk), n)
        if first != n:
            errors.add(
                sheet,
                n,
                "member_name",
                _("%(name)s claims post %(code)s twice: rows %(first)s and %(row)s.")
                % {"name": name, "code": code, "first": first, "row": n},
            )
            continue
        if post is not None:
            earlier = history.get((post.pk, member.pk), [])
            if any(c.ended_on is None for c in earlier):
                errors.add(
                    sheet,
                    n,
                    "member_name",
                    _("%(member)s already holds %(post)s.") % {"member": name, "post": post.name},
                )
                continue
            if plan.started_on and any(
                c.ended_on and c.ended_on >= plan.started_on for c in earlier
            ):
                errors.add(
                    sheet,
                    n,
                    "started_on",
                    _("%(member)s held this post until a later day; the claims would overlap.")
                    % {"member": name},
                )
                continue
        plan.member = member
        plans.append(plan)
    return plans


# --- the import ----------------------------------------------------------------------


class _Rollback(Exception):
    """A service refused a row after the checks passed: undo everything written."""


def posts_import(*, file: IO[bytes], filename: str = "", actor: Any) -> ImportResult:
    """Check every row of both sheets, then write all posts and claims in one transaction, or none.

    Raises ImportFileError when the file cannot be read as a workbook or has
    neither sheet.
    """
    posts_sheet, claims_sheet = _read(file)
    result = ImportResult(
        post_rows=len(posts_sheet.rows) if posts_sheet else 0,
        claim_rows=len(claims_sheet.rows) if claims_sheet else 0,
    )
    errors = _Errors(result)
    missing = False
    for sheet in (posts_sheet, claims_sheet):
        if sheet is not None:
            missing |= _missing_columns(sheet, errors)
    if missing:
        return result
    if not result.post_rows and not result.claim_rows:
        sheet = posts_sheet or claims_sheet
        assert sheet is not None
        errors.add(
            sheet,
            sheet.header_row,
            sheet.columns[0].key,
            _("The workbook has header rows but no posts or claims below them."),
        )
        return result

    file_posts: dict[str, _PostPlan] = {}
    if posts_sheet is not None:
        _parse_cells(posts_sheet, _POST_PARSERS, errors)
        file_posts = _check_posts(posts_sheet, actor=actor, errors=errors)
    claims: list[_ClaimPlan] = []
    if claims_sheet is not None:
        _parse_cells(claims_sheet, _CLAIM_PARSERS, errors)
        claims = _check_claims(claims_sheet, actor=actor, file_posts=file_posts, errors=errors)
    if result.errors:
        return result

    try:
        _write(
            file_posts,
            claims,
            actor=actor,
            filename=filename,
            errors=errors,
            sheets=(posts_sheet, claims_sheet),
        )
    except _Rollback:
        result.posts_created = result.claims_created = 0
    return result


def _write(
    file_posts: dict[str, _PostPlan],
    claims: list[_ClaimPlan],
    *,
    actor: Any,
    filename: str,
    errors: _Errors,
    sheets: tuple[_Sheet | None, _Sheet | None],
) -> None:
    result = errors.result
    posts_sheet, claims_sheet = sheets
    with transaction.atomic():
        created: dict[str, Post] = {}
        for code, plan in file_posts.items():
            clean = plan.row.clean
            assert plan.post_type is not None and plan.region is not None
            try:
                created[code] = services.post_create(
                    actor=actor,
                    code=code,
                    name=clean["name"],
                    post_type=plan.post_type,
                    region=plan.region,
                    duties=clean.get("duties", ""),
                    place_kind=clean.get("place_kind", PlaceKind.AREA),
                    place_name=clean.get("place_name", ""),
                    lat=clean.get("lat"),
                    lng=clean.get("lng"),
                    organization=plan.organization,
                )
            except services.PostError as exc:
                assert posts_sheet is not None
                errors.add(posts_sheet, plan.row.number, "code", str(exc))
                raise _Rollback from None
        stored = {
            p.code: p
            for p in Post.objects.filter(
                code__in={c.post_code for c in claims} - created.keys()
            ).select_related("region")
        }
        claim_ids: list[int] = []
        for claim in claims:
            assert claim.member is not None
            try:
                row = services.claim_start(
                    actor=actor,
                    post=created.get(claim.post_code) or stored[claim.post_code],
                    member=claim.member,
                    started_on=claim.started_on,
                )
            except services.PostError as exc:
                assert claims_sheet is not None
                errors.add(claims_sheet, claim.row.number, "member_name", str(exc))
                raise _Rollback from None
            claim_ids.append(row.pk)
        result.posts_created = len(created)
        result.claims_created = len(claim_ids)
        audit.record(
            actor=actor,
            action="posts.import",
            summary=(f"{filename}: {result.posts_created} posts, {result.claims_created} claims")[
                :300
            ],
            changes={
                "file": filename,
                "post_rows": result.post_rows,
                "claim_rows": result.claim_rows,
                "posts_created": result.posts_created,
                "claims_created": result.claims_created,
                # So that an investigator can find what an import wrote.
                "post_ids": [p.pk for p in created.values()],
                "claim_ids": claim_ids,
            },
        )


# --- the template ----------------------------------------------------------------------


def template_workbook() -> bytes:
    """The blank import file: both sheets with their headers and one example row each."""
    workbook = Workbook()
    posts = workbook.active
    posts.title = POSTS_SHEET
    posts.append([c.header for c in POST_COLUMNS])
    posts.append(
        [
            "GC01-WS-001",
            "甲一片区卫生监督岗",
            "卫生监督",
            "GC01-01-A",
            "片区",
            "甲一片区",
            23.0312,
            113.1521,
            "",
            "",
        ]
    )
    claims = workbook.create_sheet(CLAIMS_SHEET)
    claims.append([c.header for c in CLAIM_COLUMNS])
    claims.append(["GC01-WS-001", "陈某某", "13800138000", "2026-01-05"])
    bold = Font(bold=True)
    for sheet, widths in (
        (posts, (16, 22, 12, 14, 10, 22, 10, 10, 40, 14)),
        (claims, (16, 12, 14, 12)),
    ):
        for cell in sheet[1]:
            cell.font = bold
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
    # Codes and mobile numbers as text, so Excel neither rounds nor reformats them.
    for sheet, letters in ((posts, "ADJ"), (claims, "AC")):
        for letter in letters:
            for row in range(2, 1002):
                sheet[f"{letter}{row}"].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    notes.append(["工作表", "列", "是否必填", "说明"])
    explanations = {
        "code": "岗位编号，全街道唯一，如 GC01-WS-001",
        "name": "岗位名称",
        "post_type": "岗位类型的名称或代码，如 卫生监督、河涌保洁、文物保护",
        "region_code": "岗位所在区域（社区、片区或街巷）的编码",
        "place_kind": "片区、街巷、河涌段、文物 或 其他（不填为片区）",
        "place_name": "地点名称，如 某河涌一桥至二桥段",
        "lat": "纬度（小数度），与经度同时填写或同时不填",
        "lng": "经度（小数度）",
        "duties": "岗位职责；不填则使用岗位类型的标准职责",
        "organization_code": "负责的党组织编码（须属于岗位所在社区）",
        "post_code": "本文件“岗位”表中的编号，或系统中已有岗位的编号",
        "member_name": "认岗党员姓名（岗位所在社区的党员）",
        "mobile": "党员手机号；社区内有同名党员时必填",
        "started_on": "认岗日期，如 2026-01-05（不填为今天）",
    }
    for title, columns in ((POSTS_SHEET, POST_COLUMNS), (CLAIMS_SHEET, CLAIM_COLUMNS)):
        for column in columns:
            notes.append(
                [
                    title,
                    column.header,
                    "必填" if column.required else "选填",
                    explanations[column.key],
                ]
            )
    notes.column_dimensions["D"].width = 56
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
