"""Import and export of the territory tree: GeoJSON and XLSX.

An import is all or nothing. Every row is checked first and every bad row is
reported with its number (the spreadsheet row, header = row 1; or the
GeoJSON feature's position, counted from 1); only a file without a single
bad row is written, in one transaction, with one audit row summarising it.

Rows name their parent by code. Parents may come later in the same file (the
rows are ordered parents-first before writing) or exist already. A code that
exists is updated (name, geometry, figures); a new code is created. A
region's parent never changes through an import: moving a region would
rewrite its subtree's paths and is not offered. Codes are one code whatever
their letter case: "gc01" beside an existing "GC01" is refused, not created.

The regions a file names are read and locked inside the writing transaction,
and an update writes only the fields that changed, so an edit made while an
import runs is neither checked against stale values nor overwritten.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.territory.geometry import GeometryError, centroid_of, parse_polygonal
from zhenxing.territory.models import PATH_SEP, Region, RegionQuerySet, level_names
from zhenxing.territory.selectors import parent_code_of
from zhenxing.territory.services import (
    TerritoryError,
    build_region,
    check_code,
    name_problem,
    shorten,
)

MAX_PATH_LENGTH = Region._meta.get_field("path").max_length or 400
# Chunk size for `code IN (…)` lookups: well under SQLite's bound-parameter limit.
_CHUNK = 2000
# Population, households and level go into PostgreSQL integer columns.
MAX_WHOLE_NUMBER = 2_147_483_647
# Digits only, ASCII, at most ten: str.isdigit() also takes "²" and "٣", and
# int() refuses strings beyond 4,300 digits.
_WHOLE_NUMBER_TEXT = re.compile(r"[0-9]{1,10}")
# The import's audit row keeps the before/after values of at most this many
# updated regions (and counts the rest): polygons make these values large.
AUDIT_MAX_REGIONS = 500

# XLSX column headers, Chinese first (the template uses them), English accepted.
COLUMNS: list[tuple[str, str, bool]] = [
    # (field, Chinese header, required)
    ("code", "编码", True),
    ("name", "名称", True),
    ("parent_code", "上级编码", True),
    ("level", "层级", False),
    ("population", "人口", False),
    ("households", "户数", False),
]
_HEADER_ALIASES: dict[str, str] = {}
for _field, _zh, _required in COLUMNS:
    _HEADER_ALIASES[_zh] = _field
    _HEADER_ALIASES[_field] = _field
    _HEADER_ALIASES[_field.replace("_", " ")] = _field

RowError = tuple[int, str]


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, not parseable, no header)."""


@dataclass
class ImportRow:
    """One region as a file describes it. `geometry` None means "no geometry given"."""

    row: int
    code: str
    name: str
    parent_code: str
    level: int | None = None
    geometry: dict[str, Any] | None = None
    population: int | None = None
    households: int | None = None
    # False when `parent_code` is no possible code (already reported): the row
    # cannot be placed, and it is never looked up in the database.
    parent_ok: bool = True


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell or property as text; whole numbers lose Excel's ".0" (codes are often numeric)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _whole_number(value: Any, label: str, errors: list[str]) -> int | None:
    """A whole number from 0 to MAX_WHOLE_NUMBER from a cell/property, None when blank;
    an error otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():  # False for inf and nan
        number = int(value)
    elif isinstance(value, str) and _WHOLE_NUMBER_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = MAX_WHOLE_NUMBER + 1  # more than ten digits: too large, said below
    if number is None or number < 0:
        errors.append(
            _("%(field)s must be a whole number of 0 or more, not “%(value)s”.")
            % {"field": label, "value": shorten(value)}
        )
        return None
    if number > MAX_WHOLE_NUMBER:
        errors.append(
            _("%(field)s must be at most %(max)s.") % {"field": label, "max": MAX_WHOLE_NUMBER}
        )
        return None
    return number


def _row(
    number: int, values: dict[str, Any], geometry: Any, errors: list[RowError]
) -> ImportRow | None:
    """Build an ImportRow, appending this row's format errors; None without a usable code."""
    problems: list[str] = []
    code = _text(values.get("code"))
    name = _text(values.get("name"))
    parent_code = _text(values.get("parent_code"))
    code_ok = False
    parent_ok = True
    if not code:
        problems.append(_("The code is missing."))
    else:
        try:
            check_code(code)
            code_ok = True
        except TerritoryError as exc:
            problems.append(str(exc))
    if parent_code:
        try:
            check_code(parent_code)
        except TerritoryError:
            # No region can have such a code; never send it to the database
            # (PostgreSQL refuses NUL in text with an error).
            problems.append(
                _("The parent code “%(code)s” is not a valid code.")
                % {"code": shorten(parent_code)}
            )
            parent_ok = False
    if problem := name_problem(name):
        problems.append(problem)
    level = _whole_number(values.get("level"), _("The level"), problems)
    population = _whole_number(values.get("population"), _("The population"), problems)
    households = _whole_number(values.get("households"), _("The number of households"), problems)
    clean_geometry: dict[str, Any] | None = None
    if geometry is not None:
        try:
            parse_polygonal(geometry)
            clean_geometry = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
        except GeometryError as exc:
            problems.append(_("The geometry is invalid: %(reason)s") % {"reason": exc})
    errors.extend((number, p) for p in problems)
    if not code_ok:
        # Without a usable code the row cannot take part in the tree checks. A row
        # with other problems still does, so that its children are not reported
        # as orphans (nothing is written anyway once any row is bad).
        return None
    return ImportRow(
        row=number,
        code=code,
        name=name,
        parent_code=parent_code,
        level=level,
        geometry=clean_geometry,
        population=population,
        households=households,
        parent_ok=parent_ok,
    )


def read_geojson(data: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of a GeoJSON FeatureCollection; row numbers are feature positions from 1."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser's stack ("[[[[…").
        raise ImportFileError(_("The file is not valid JSON (UTF-8).")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFileError(_("The file is not a GeoJSON FeatureCollection."))
    features = document.get("features")
    if not isinstance(features, list):
        raise ImportFileError(_("The FeatureCollection has no list of features."))
    if not features:
        raise ImportFileError(_("The file holds no regions."))
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append((number, _("This item is not a GeoJSON Feature.")))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            errors.append((number, _("The feature's properties must be an object.")))
            continue
        row = _row(number, properties, feature.get("geometry"), errors)
        if row is not None:
            rows.append(row)
    return rows, errors


def _header_field(cell: Any) -> str | None:
    key = _text(cell).lower().replace("（", "(").split("(")[0].strip()
    return _HEADER_ALIASES.get(key)


def _sheet_lines(workbook: Any) -> Iterator[tuple[Any, ...]]:
    """The first worksheet's rows as values.

    Only reading the sheet is guarded: a damaged sheet inside a valid zip is a
    file error, but a bad value in a row is that row's error, never this.
    """
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except Exception:  # openpyxl raises XML, key, index and value errors for a damaged sheet
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None


def read_xlsx(data: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of the first worksheet; row numbers are the spreadsheet's (header = 1)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors for a file that is not XLSX
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    try:
        lines = _sheet_lines(workbook)
        header = next(lines, None)
        if header is None:
            raise ImportFileError(_("The worksheet is empty."))
        columns: dict[str, int] = {}
        for position, cell in enumerate(header):
            name = _header_field(cell)
            if name and name not in columns:
                columns[name] = position
        missing = [zh for fld, zh, required in COLUMNS if required and fld not in columns]
        if missing:
            raise ImportFileError(
                _("The first row must hold the column headers; missing: %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        rows: list[ImportRow] = []
        errors: list[RowError] = []
        for number, line in enumerate(lines, start=2):
            if all(cell is None or _text(cell) == "" for cell in line):
                continue  # blank lines between blocks are common in hand-made sheets
            values = {fld: (line[pos] if pos < len(line) else None) for fld, pos in columns.items()}
            row = _row(number, values, None, errors)
            if row is not None:
                rows.append(row)
    finally:
        workbook.close()
    if not rows and not errors:
        raise ImportFileError(_("The file holds no regions."))
    return rows, errors


# --- checking and writing -------------------------------------------------------------------


def _existing(codes: Iterable[str]) -> dict[str, Region]:
    """The regions whose code is one of `codes` in any letter case, keyed by their own code.

    Called inside the import's transaction: the rows are locked (PostgreSQL),
    so what the checks see is what the writes change, and an edit made
    meanwhile waits for the import instead of being overwritten by it. Each
    batch is locked in primary-key order, so that imports of the same codes
    queue behind each other rather than deadlock.
    """
    lowered = sorted({code.lower() for code in codes})
    found: dict[str, Region] = {}
    for start in range(0, len(lowered), _CHUNK):
        chunk = lowered[start : start + _CHUNK]
        regions = (
            Region.objects.select_for_update()
            .alias(code_lower=Lower("code"))
            .filter(code_lower__in=chunk)
            .order_by("pk")
        )
        for region in regions:
            found[region.code] = region
    return found


def _unique_rows(rows: Sequence[ImportRow], errors: list[RowError]) -> list[ImportRow]:
    """The rows whose code no earlier row has, in any letter case; the others reported."""
    unique: list[ImportRow] = []
    first: dict[str, ImportRow] = {}  # lower-case code → first row with it
    for row in rows:
        earlier = first.get(row.code.lower())
        if earlier is None:
            first[row.code.lower()] = row
            unique.append(row)
        elif earlier.code == row.code:
            errors.append(
                (
                    row.row,
                    _("The code %(code)s appears more than once (first at row %(first)s).")
                    % {"code": row.code, "first": earlier.row},
                )
            )
        else:
            errors.append(
                (
                    row.row,
                    _("The code %(code)s differs only in case from %(other)s (row %(first)s).")
                    % {"code": row.code, "other": earlier.code, "first": earlier.row},
                )
            )
    return unique


def _check_case(
    rows: Sequence[ImportRow], existing: dict[str, Region], errors: list[RowError]
) -> None:
    """Report new codes that an existing region already has in another letter case."""
    by_lower = {code.lower(): code for code in existing}
    for row in rows:
        other = by_lower.get(row.code.lower())
        if other is not None and other != row.code:
            errors.append(
                (
                    row.row,
                    _(
                        "The code %(code)s differs only in case from the existing region "
                        "%(other)s; codes are the same whatever their case."
                    )
                    % {"code": row.code, "other": other},
                )
            )


@dataclass
class _Plan:
    row: ImportRow
    path: str
    depth: int
    existing: Region | None


def _resolve(
    rows: Sequence[ImportRow], existing: dict[str, Region], errors: list[RowError]
) -> dict[str, _Plan]:
    """Each row's place in the tree (path, depth), reporting unknown parents, loops and moves."""
    by_code = {row.code: row for row in rows}
    plans: dict[str, _Plan] = {}
    failed: dict[str, int] = {}  # code → row number of a row whose place could not be found

    def fail(row: ImportRow, message: str) -> None:
        errors.append((row.row, message))
        failed[row.code] = row.row

    for start in rows:
        if start.code in plans or start.code in failed:
            continue
        # Walk up through rows not yet placed until reaching something placed, a
        # region in the database, a root, or a code already on the walk (a loop).
        chain: list[ImportRow] = []
        on_chain: set[str] = set()
        row: ImportRow | None = start
        while row is not None and row.code not in plans and row.code not in failed:
            if row.code in on_chain:
                loop = chain[[r.code for r in chain].index(row.code) :]
                text = " → ".join([r.code for r in loop] + [row.code])
                for member in loop:
                    fail(member, _("The parent codes form a loop: %(chain)s.") % {"chain": text})
                chain = chain[: len(chain) - len(loop)]
                break
            chain.append(row)
            on_chain.add(row.code)
            current = existing.get(row.code)
            if current is not None or not row.parent_code:
                break  # placed by the database, or a root
            row = by_code.get(row.parent_code)
        # Place the walk's rows from the top down.
        for row in reversed(chain):
            if row.code in failed:
                continue
            if not row.parent_ok:
                failed[row.code] = row.row  # its parent code was reported while reading
                continue
            current = existing.get(row.code)
            parent_path: str | None
            if row.parent_code in plans:
                parent_path = plans[row.parent_code].path
            elif row.parent_code in failed:
                fail(
                    row,
                    _("The parent %(parent)s cannot be imported (see row %(row)s).")
                    % {"parent": row.parent_code, "row": failed[row.parent_code]},
                )
                continue
            elif row.parent_code in existing:
                parent_path = existing[row.parent_code].path
            elif not row.parent_code:
                parent_path = ""
            else:
                parent_path = None
            if current is not None:
                if parent_code_of(current.path) != row.parent_code:
                    fail(
                        row,
                        _(
                            "%(code)s already exists under “%(current)s”; moving a region to "
                            "another parent is not supported."
                        )
                        % {
                            "code": row.code,
                            "current": parent_code_of(current.path) or _("(none: it is a root)"),
                        },
                    )
                    continue
                plans[row.code] = _Plan(row, current.path, current.depth, current)
                continue
            if parent_path is None:
                fail(
                    row,
                    _("The parent %(parent)s is neither in the file nor in the territory.")
                    % {"parent": row.parent_code},
                )
                continue
            path = parent_path + row.code + PATH_SEP
            plans[row.code] = _Plan(row, path, path.count(PATH_SEP), None)
    return plans


def _check_plans(plans: dict[str, _Plan], scope: list[str] | None, errors: list[RowError]) -> None:
    for plan in plans.values():
        row = plan.row
        if row.level is not None and row.level != plan.depth:
            errors.append(
                (
                    row.row,
                    _(
                        "The level %(level)s does not fit: below its parent this region is at "
                        "level %(expected)s."
                    )
                    % {"level": row.level, "expected": plan.depth},
                )
            )
        if len(plan.path) > MAX_PATH_LENGTH:
            errors.append(
                (
                    row.row,
                    _("The chain of codes above %(code)s is longer than %(max)s characters.")
                    % {"code": row.code, "max": MAX_PATH_LENGTH},
                )
            )
        if scope is not None and not any(plan.path.startswith(p) for p in scope):
            errors.append(
                (
                    row.row,
                    _("%(code)s lies outside your part of the territory.") % {"code": row.code},
                )
            )


def _changes(plan: _Plan) -> dict[str, Any]:
    """The field values an import row sets on an existing region, where they differ."""
    region, row = plan.existing, plan.row
    assert region is not None
    wanted: dict[str, Any] = {"name": row.name}
    if row.geometry is not None:
        wanted["geometry"] = row.geometry
    if row.population is not None:
        wanted["population"] = row.population
    if row.households is not None:
        wanted["households"] = row.households
    return {k: v for k, v in wanted.items() if getattr(region, k) != v}


def _updates(
    plans: dict[str, _Plan], now: Any
) -> tuple[dict[tuple[str, ...], list[Region]], dict[str, dict[str, list[Any]]], int]:
    """The changed regions grouped by the fields that changed, the audit's [before, after]
    per field per code (bounded), and the number of unchanged regions."""
    groups: dict[tuple[str, ...], list[Region]] = {}
    audited: dict[str, dict[str, list[Any]]] = {}
    unchanged = 0
    for plan in sorted(plans.values(), key=lambda p: p.path):
        if plan.existing is None:
            continue
        changes = _changes(plan)
        if not changes:
            unchanged += 1
            continue
        region = plan.existing  # the copy read under lock in this transaction
        if "geometry" in changes:
            changes["centroid_lat"], changes["centroid_lng"] = centroid_of(
                parse_polygonal(changes["geometry"])
            )
        before = {name: getattr(region, name) for name in changes}
        for name, value in changes.items():
            setattr(region, name, value)
        region.updated_at = now  # bulk_update skips auto_now
        groups.setdefault((*sorted(changes), "updated_at"), []).append(region)
        if len(audited) < AUDIT_MAX_REGIONS:
            audited[region.code] = {
                name: [before[name], value]
                for name, value in changes.items()
                if before[name] != value
            }
    return groups, audited, unchanged


def import_rows(
    rows: Sequence[ImportRow],
    *,
    actor: Any,
    errors: Sequence[RowError] = (),
    source: str = "",
) -> ImportResult:
    """Check every row and, only if none is bad, write them all in one transaction.

    `errors` carries the format errors found while reading the file. When
    `actor` is a user, every region must lie in what they administer (their
    office-admin roles); None (a command line import) is unrestricted.
    """
    from zhenxing.people.scopes import office_admin_paths

    found: list[RowError] = list(errors)
    unique = _unique_rows(rows, found)
    scope = office_admin_paths(actor) if actor is not None else None
    result = ImportResult()
    try:
        with transaction.atomic():
            # The checks run on rows read and locked inside the transaction
            # that writes, so that they and the writes see the same territory.
            existing = _existing(
                [r.code for r in unique]
                + [r.parent_code for r in unique if r.parent_code and r.parent_ok]
            )
            _check_case(unique, existing, found)
            plans = _resolve(unique, existing, found)
            _check_plans(plans, scope, found)
            if found:
                return ImportResult(errors=sorted(set(found)))

            pks = {code: region.pk for code, region in existing.items()}
            new_plans = [p for p in plans.values() if p.existing is None]
            created_codes: list[str] = []
            # One bulk insert per depth: a level's parents all exist before it is written.
            for depth in sorted({p.depth for p in new_plans}):
                objs = [
                    build_region(
                        code=plan.row.code,
                        name=plan.row.name,
                        parent_id=pks[plan.row.parent_code] if plan.row.parent_code else None,
                        parent_path=plan.path.removesuffix(plan.row.code + PATH_SEP),
                        geometry=plan.row.geometry,
                        population=plan.row.population,
                        households=plan.row.households,
                    )
                    for plan in sorted(new_plans, key=lambda p: p.path)
                    if plan.depth == depth
                ]
                Region.objects.bulk_create(objs, batch_size=500)
                if any(obj.pk is None for obj in objs):  # a backend that returns no ids
                    pks.update(_pks_of([obj.code for obj in objs]))
                else:
                    pks.update({obj.code: obj.pk for obj in objs})
                created_codes.extend(obj.code for obj in objs)

            groups, audited, result.unchanged = _updates(plans, timezone.now())
            for fields, regions in groups.items():
                # Only the fields that changed: nothing else is written back.
                Region.objects.bulk_update(regions, list(fields), batch_size=500)
            result.created = len(created_codes)
            result.updated = sum(len(regions) for regions in groups.values())
            audit.record(
                actor=actor,
                action="territory.import",
                summary=_("Territory import%(source)s: %(created)s created, %(updated)s updated")
                % {
                    "source": f" {source}" if source else "",
                    "created": result.created,
                    "updated": result.updated,
                },
                changes={
                    "source": source,
                    "created": created_codes,
                    # {code: {field: [before, after]}} for the first AUDIT_MAX_REGIONS.
                    "updated": audited,
                    "updated_count": result.updated,
                    "updated_omitted": result.updated - len(audited),
                    "unchanged": result.unchanged,
                },
            )
    except IntegrityError:
        # Someone else created one of these codes between the checks and the write.
        return ImportResult(
            errors=[(0, _("The territory changed during the import; please import again."))]
        )
    return result


def _pks_of(codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(codes), _CHUNK):
        found.update(
            Region.objects.filter(code__in=codes[start : start + _CHUNK]).values_list("code", "pk")
        )
    return found


GEOJSON_SUFFIXES = (".geojson", ".json")
XLSX_SUFFIXES = (".xlsx",)


def import_file(filename: str, data: bytes, *, actor: Any) -> ImportResult:
    """Import a .geojson/.json or .xlsx file; ImportFileError if it cannot be read at all."""
    lower = filename.lower()
    if lower.endswith(GEOJSON_SUFFIXES):
        rows, errors = read_geojson(data)
    elif lower.endswith(XLSX_SUFFIXES):
        rows, errors = read_xlsx(data)
    else:
        raise ImportFileError(_("Upload a .geojson, .json or .xlsx file."))
    return import_rows(rows, actor=actor, errors=errors, source=filename)


# --- export ---------------------------------------------------------------------------------


def regions_geojson(regions: RegionQuerySet) -> dict[str, Any]:
    """A FeatureCollection with the import's properties, so that it imports back unchanged."""
    names = level_names()
    features = [
        {
            "type": "Feature",
            "geometry": region.geometry,
            "properties": {
                "code": region.code,
                "name": region.name,
                "parent_code": parent_code_of(region.path),
                "level": region.depth,
                "level_name": names.get(region.depth, ""),
                "population": region.population,
                "households": region.households,
            },
        }
        for region in regions.order_by("path").only(
            "code", "name", "path", "depth", "geometry", "population", "households"
        )
    ]
    return {"type": "FeatureCollection", "features": features}


def xlsx_template() -> bytes:
    """An empty import sheet with the Chinese headers, and a sheet listing the levels."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "regions"
    sheet.append([zh for _f, zh, _r in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", [18, 24, 18, 8, 10, 10], strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    levels = workbook.create_sheet("levels")
    levels.append(["层级", "名称"])
    for depth, name in sorted(level_names().items()):
        levels.append([depth, name])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
