"""Import and export of the territory tree: GeoJSON and XLSX.

An import is all or nothing. Every row is checked first and every bad row is
reported with its number (the spreadsheet row, header = row 1; or the
GeoJSON feature's position, counted from 1); only a file without a single
bad row is written, in one transaction, with one audit row summarising it.

Rows name their parent by code. Parents may come later in the same file (the
rows are ordered parents-first before writing) or exist already. A code that
exists is updated (name, geometry, figures); a new code is created. A
region's parent never changes through an import: moving a region would
rewrite its subtree's paths and is not offered.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.territory import lookup
from zhenxing.territory.geometry import GeometryError, centroid_of, parse_polygonal
from zhenxing.territory.models import PATH_SEP, Region, RegionQuerySet, level_names
from zhenxing.territory.selectors import parent_code_of, subtree
from zhenxing.territory.services import TerritoryError, check_code

MAX_NAME_LENGTH = Region._meta.get_field("name").max_length or 100
MAX_PATH_LENGTH = Region._meta.get_field("path").max_length or 400
# Chunk size for `code IN (…)` lookups: well under SQLite's bound-parameter limit.
_CHUNK = 2000

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
    """A non-negative whole number from a cell/property, None when blank; an error otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < 0:
        errors.append(
            _("%(field)s must be a whole number of 0 or more, not “%(value)s”.")
            % {"field": label, "value": value}
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
    if not code:
        problems.append(_("The code is missing."))
    else:
        try:
            check_code(code)
            code_ok = True
        except TerritoryError:
            problems.append(
                _("The code “%(code)s” is invalid: use 1–40 characters without “/”.")
                % {"code": code}
            )
    if not name:
        problems.append(_("The name is missing."))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(_("The name is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH})
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
    )


def read_geojson(data: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of a GeoJSON FeatureCollection; row numbers are feature positions from 1."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
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


def read_xlsx(data: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Rows of the first worksheet; row numbers are the spreadsheet's (header = 1)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors for a file that is not XLSX
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        lines: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
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
    except ImportFileError:
        raise
    except Exception:  # a damaged sheet inside a valid zip
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    finally:
        workbook.close()
    if not rows and not errors:
        raise ImportFileError(_("The file holds no regions."))
    return rows, errors


# --- checking and writing -------------------------------------------------------------------


def _existing(codes: Iterable[str]) -> dict[str, Region]:
    codes = sorted(set(codes))
    found: dict[str, Region] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        for region in Region.objects.filter(code__in=chunk):
            found[region.code] = region
    return found


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


def import_rows(
    rows: Sequence[ImportRow],
    *,
    actor: Any,
    errors: Sequence[RowError] = (),
    source: str = "",
) -> ImportResult:
    """Check every row and, only if none is bad, write them all in one transaction.

    `errors` carries the format errors found while reading the file. When
    `actor` is a user, every region must lie in their scope; None (a command
    line import) is unrestricted.
    """
    from zhenxing.people.scopes import scope_paths

    found: list[RowError] = list(errors)
    unique: list[ImportRow] = []
    first_row: dict[str, int] = {}
    for row in rows:
        if row.code in first_row:
            found.append(
                (
                    row.row,
                    _("The code %(code)s appears more than once (first at row %(first)s).")
                    % {"code": row.code, "first": first_row[row.code]},
                )
            )
            continue
        first_row[row.code] = row.row
        unique.append(row)

    existing = _existing(
        [r.code for r in unique] + [r.parent_code for r in unique if r.parent_code]
    )
    plans = _resolve(unique, existing, found)
    scope = scope_paths(actor) if actor is not None else None
    _check_plans(plans, scope, found)
    if found:
        return ImportResult(errors=sorted(set(found)))

    result = ImportResult()
    created_codes: list[str] = []
    updated: dict[str, list[str]] = {}
    now = timezone.now()
    try:
        with transaction.atomic():
            pks = {code: region.pk for code, region in existing.items()}
            new_plans = sorted(
                (p for p in plans.values() if p.existing is None), key=lambda p: p.depth
            )
            # One bulk insert per depth: a level's parents all exist before it is written.
            for depth in sorted({p.depth for p in new_plans}):
                level = [p for p in new_plans if p.depth == depth]
                objs = []
                for plan in level:
                    row = plan.row
                    lat = lng = None
                    if row.geometry is not None:
                        lat, lng = centroid_of(parse_polygonal(row.geometry))
                    objs.append(
                        Region(
                            code=row.code,
                            name=row.name,
                            parent_id=pks[row.parent_code] if row.parent_code else None,
                            depth=plan.depth,
                            path=plan.path,
                            geometry=row.geometry,
                            centroid_lat=lat,
                            centroid_lng=lng,
                            population=row.population,
                            households=row.households,
                        )
                    )
                Region.objects.bulk_create(objs, batch_size=500)
                if any(obj.pk is None for obj in objs):  # a backend that returns no ids
                    pks.update(_pks_of([obj.code for obj in objs]))
                else:
                    pks.update({obj.code: obj.pk for obj in objs})
                created_codes.extend(obj.code for obj in objs)

            changed: list[Region] = []
            for plan in plans.values():
                if plan.existing is None:
                    continue
                changes = _changes(plan)
                if not changes:
                    result.unchanged += 1
                    continue
                region = plan.existing
                for name, value in changes.items():
                    setattr(region, name, value)
                if "geometry" in changes:
                    region.centroid_lat, region.centroid_lng = centroid_of(
                        parse_polygonal(region.geometry)
                    )
                region.updated_at = now  # bulk_update skips auto_now; the lookup key needs it
                changed.append(region)
                updated[region.code] = sorted(changes)
            Region.objects.bulk_update(
                changed,
                [
                    "name",
                    "geometry",
                    "centroid_lat",
                    "centroid_lng",
                    "population",
                    "households",
                    "updated_at",
                ],
                batch_size=500,
            )
            result.created = len(created_codes)
            result.updated = len(changed)
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
                    "updated": updated,
                    "unchanged": result.unchanged,
                },
            )
    except IntegrityError:
        # Someone else created one of these codes between the checks and the write.
        return ImportResult(
            errors=[(0, _("The territory changed during the import; please import again."))]
        )
    lookup.invalidate()
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


def export_geojson(root: Region) -> dict[str, Any]:
    """`root` and its whole subtree as GeoJSON (see `regions_geojson`)."""
    return regions_geojson(subtree(root))


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
