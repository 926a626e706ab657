"""GeoJSON/XLSX import and GeoJSON export of the territory (territory.imports)."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Role, RoleAssignment
from zhenxing.territory.imports import (
    COLUMNS,
    ImportFileError,
    import_file,
    regions_geojson,
    xlsx_template,
)
from zhenxing.territory.lookup import find_area
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import subtree
from zhenxing.territory.tests.conftest import square


def export_geojson(root: Region) -> dict:
    return regions_geojson(subtree(root))


def feature(code: str, name: str, parent: str, level: int | None = None, geometry=None, **more):
    properties: dict[str, Any] = {"code": code, "name": name, "parent_code": parent, **more}
    if level is not None:
        properties["level"] = level
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def geojson_bytes(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def xlsx_bytes(header: list[str], *rows: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def snapshot_db() -> list[tuple]:
    return list(
        Region.objects.order_by("code").values_list(
            "code", "name", "path", "depth", "geometry", "population", "households"
        )
    )


# --- good files -----------------------------------------------------------------------------


def test_geojson_import_creates_a_subtree_given_child_first(world):
    data = geojson_bytes(
        # The area comes before its cooperative, which comes before its community.
        feature("GC03-01-A", "丙一片区", "GC03-01", level=4, geometry=square(113.13, 23.00)),
        feature("GC03-01", "丙一经济社", "GC03", level=3),
        feature("GC03", "社区丙", "GC", level=2, population=4200, households=1300),
    )
    result = import_file("territory.geojson", data, actor=world.admin)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    community = Region.objects.get(code="GC03")
    assert (community.path, community.depth, community.parent) == ("GC/GC03/", 2, world.root)
    assert (community.population, community.households) == (4200, 1300)
    area = Region.objects.get(code="GC03-01-A")
    assert area.path == "GC/GC03/GC03-01/GC03-01-A/"
    assert area.parent.code == "GC03-01"
    assert area.centroid_lat == pytest.approx(23.005)
    # The new area is found by the point lookup straight away.
    assert find_area(23.005, 113.135) == area
    entry = AuditEntry.objects.get(action="territory.import")
    assert entry.actor == world.admin
    assert entry.changes["created"] == ["GC03", "GC03-01", "GC03-01-A"]
    assert entry.changes["source"] == "territory.geojson"


def test_geojson_import_updates_existing_codes(world):
    data = geojson_bytes(
        feature("GC01", "社区甲（更名）", "GC", level=2),
        feature("GC01-01-A", "甲一片区", "GC01-01", geometry=square(113.10, 23.10)),
        feature("GC02", "社区乙", "GC"),  # unchanged
    )
    result = import_file("x.json", data, actor=world.admin)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert Region.objects.get(code="GC01").name == "社区甲（更名）"
    area = Region.objects.get(code="GC01-01-A")
    assert area.geometry == square(113.10, 23.10)
    assert area.centroid_lat == pytest.approx(23.105)
    # Figures not given in the file are left alone.
    assert Region.objects.get(code="GC01").population == 5000
    changes = AuditEntry.objects.get(action="territory.import").changes
    # Each changed field with its value before and after, as a single edit records it.
    assert changes["updated"]["GC01"] == {"name": ["社区甲", "社区甲（更名）"]}
    moved = changes["updated"]["GC01-01-A"]
    assert moved["geometry"] == [square(113.10, 23.00), square(113.10, 23.10)]
    assert moved["centroid_lat"] == [pytest.approx(23.005), pytest.approx(23.105)]
    assert (changes["updated_count"], changes["updated_omitted"]) == (2, 0)
    assert changes["unchanged"] == 1
    # The lookup sees the moved polygon.
    assert find_area(23.105, 113.105) == area


def test_null_geometry_leaves_an_existing_polygon_alone(world):
    data = geojson_bytes(feature("GC01-01-A", "甲一片区", "GC01-01", geometry=None))
    result = import_file("x.geojson", data, actor=world.admin)
    assert (result.updated, result.unchanged) == (0, 1)
    assert Region.objects.get(code="GC01-01-A").geometry == square(113.10, 23.00)


def test_xlsx_import_with_chinese_headers(world):
    data = xlsx_bytes(
        ["编码", "名称", "上级编码", "层级", "人口", "户数"],
        [4403, "数字编码社区", "GC", 2, 3000, 900],  # Excel keeps numeric codes as numbers
        ["4403-01", "经济社", 4403, 3, None, None],
        [None, None, None, None, None, None],  # a blank line in between is skipped
        ["GC01", "社区甲", "GC", 2.0, 5100, None],
    )
    result = import_file("regions.xlsx", data, actor=world.admin)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 1)
    assert Region.objects.get(code="4403").households == 900
    assert Region.objects.get(code="4403-01").path == "GC/4403/4403-01/"
    assert Region.objects.get(code="GC01").population == 5100


def test_xlsx_import_with_english_headers_in_any_order(world):
    data = xlsx_bytes(
        ["Name", "Parent_Code", "CODE"],
        ["社区丁", "GC", "GC04"],
    )
    result = import_file("regions.XLSX", data, actor=world.admin)
    assert result.ok, result.errors
    assert Region.objects.get(code="GC04").name == "社区丁"


def test_the_xlsx_template_has_the_import_headers_and_imports(world):
    workbook = load_workbook(io.BytesIO(xlsx_template()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == [zh for _f, zh, _r in COLUMNS]
    levels = {(str(r[0]), r[1]) for r in workbook["levels"].iter_rows(values_only=True)}
    assert ("4", "Area") in levels  # level names in the reader's language
    sheet.append(["GC05", "社区戊", "GC", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_file("template.xlsx", buffer.getvalue(), actor=world.admin)
    assert result.ok, result.errors
    assert Region.objects.filter(code="GC05").exists()


# --- bad rows: every one reported, nothing written ----------------------------------------


def test_each_kind_of_bad_geojson_row_is_reported_and_nothing_is_written(world):
    before = snapshot_db()
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    data = geojson_bytes(
        feature("GC06", "好社区", "GC", level=2),  # 1: fine on its own
        feature("", "无编码", "GC"),  # 2: missing code
        feature("GC07", "", "GC"),  # 3: missing name
        feature("GC06", "重复", "GC"),  # 4: duplicate of row 1
        feature("GC08", "孤儿", "NOPE"),  # 5: unknown parent
        feature("L1", "环一", "L2"),  # 6: loop L1 → L2 → L1
        feature("L2", "环二", "L1"),  # 7: loop
        feature("GC09", "层级错", "GC", level=3),  # 8: level should be 2
        feature("GC10", "坏图形", "GC", geometry=bowtie),  # 9: invalid geometry
        feature("GC01-01", "搬家", "GC02"),  # 10: existing region moved
        {"type": "Point"},  # 11: not a feature
        feature("A/B", "斜杠", "GC"),  # 12: bad code
        feature("GC11", "人口错", "GC", population="很多"),  # 13: bad number
        feature("L3", "挂在环下", "L1"),  # 14: its parent is in a loop
    )
    result = import_file("bad.geojson", data, actor=world.admin)
    assert not result.ok
    by_row: dict[int, list[str]] = {}
    for row, message in result.errors:
        by_row.setdefault(row, []).append(message)
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    text = {row: " ".join(messages) for row, messages in by_row.items()}
    assert "code is missing" in text[2]
    assert "name is missing" in text[3]
    assert "more than once" in text[4] and "row 1" in text[4]
    assert "NOPE" in text[5]
    assert "loop" in text[6] and "loop" in text[7]
    assert "level 2" in text[8]
    assert "geometry is invalid" in text[9]
    assert "moving" in text[10]
    assert "not a GeoJSON Feature" in text[11]
    assert "A/B" in text[12]
    assert "population" in text[13]
    assert "L1" in text[14] and "row 6" in text[14]
    assert snapshot_db() == before
    assert not AuditEntry.objects.filter(action="territory.import").exists()


def test_bad_xlsx_rows_are_reported_by_spreadsheet_row(world):
    before = snapshot_db()
    data = xlsx_bytes(
        ["编码", "名称", "上级编码", "层级"],
        ["GC12", "好", "GC", 2],  # row 2: fine
        [None, None, None, None],  # row 3: blank, skipped but counted
        ["GC13", "孤儿", "NOPE", None],  # row 4: unknown parent
        ["GC14", None, "GC", None],  # row 5: missing name
        ["GC15", "层级", "GC", "二"],  # row 6: level not a number
    )
    result = import_file("bad.xlsx", data, actor=world.admin)
    rows = {row for row, _message in result.errors}
    assert rows == {4, 5, 6}
    assert snapshot_db() == before


def test_rows_outside_the_importers_scope_are_refused(world):
    # An office admin whose role sits on 社区甲 only.
    RoleAssignment.objects.create(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.a)
    data = geojson_bytes(
        feature("GC01-02", "甲二经济社", "GC01"),
        feature("GC02-02", "乙二经济社", "GC02"),
    )
    result = import_file("x.geojson", data, actor=world.nobody)
    assert [row for row, _m in result.errors] == [2]
    assert "outside your part" in result.errors[0][1]
    assert not Region.objects.filter(code="GC01-02").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.xlsx", b"this is not a spreadsheet"),
        ("x.xlsx", b"PK\x03\x04 broken zip"),
        ("x.geojson", b"{not json"),
        ("x.geojson", b'{"type": "Feature"}'),
        ("x.geojson", b'{"type": "FeatureCollection", "features": []}'),
        ("x.json", b"\xff\xfe\x00garbage"),
        ("x.csv", b"code,name\n"),
        ("x.xlsx", None),  # a workbook without the required headers
    ],
)
def test_unreadable_files_raise_a_file_error(world, name, data):
    if data is None:
        data = xlsx_bytes(["foo", "bar"], ["1", "2"])
    before = snapshot_db()
    with pytest.raises(ImportFileError):
        import_file(name, data, actor=world.admin)
    assert snapshot_db() == before


# --- export ---------------------------------------------------------------------------------


def test_export_has_the_import_properties(world):
    collection = export_geojson(world.a)
    assert collection["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in collection["features"]}
    assert set(by_code) == {"GC01", "GC01-01", "GC01-01-A", "GC01-01-B"}
    props = by_code["GC01-01-A"]["properties"]
    assert (props["parent_code"], props["level"], props["name"]) == ("GC01-01", 4, "甲一片区")
    assert by_code["GC01-01-A"]["geometry"] == square(113.10, 23.00)
    assert by_code["GC01"]["properties"]["parent_code"] == "GC"
    assert by_code["GC01"]["properties"]["population"] == 5000


def test_export_then_import_is_a_no_op(world):
    data = json.dumps(export_geojson(world.root)).encode()
    result = import_file("export.geojson", data, actor=world.admin)
    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 8, [])


def test_export_then_import_into_an_empty_territory_round_trips(world):
    exported = export_geojson(world.root)
    before = snapshot_db()
    RoleAssignment.objects.all().delete()
    for depth in (4, 3, 2, 1):
        Region.objects.filter(depth=depth).delete()
    # Shuffle: children first, to show the order of the file does not matter.
    shuffled = copy.deepcopy(exported)
    shuffled["features"].reverse()
    result = import_file("export.geojson", json.dumps(shuffled).encode(), actor=None)
    assert (result.created, result.errors) == (8, [])
    assert snapshot_db() == before
    assert regions_geojson(Region.objects.all()) == exported


# --- numbers, text and files that must be refused, not crash --------------------------------


@pytest.mark.parametrize(
    "value",
    [
        10**19,  # beyond the database's integer
        2_147_483_648,  # one beyond it
        "10000000000",
        "²",  # a digit to str.isdigit(), not to int()
        "٣",  # an Arabic-Indic three
        "9" * 5000,  # beyond Python's int() digit limit
        -1,
        1.5,
        float("inf"),
        True,
    ],
)
def test_out_of_range_or_odd_numbers_are_row_errors(world, value):
    data = json.dumps(
        {"type": "FeatureCollection", "features": [feature("GC09", "社区", "GC", population=value)]}
    ).encode()
    result = import_file("x.geojson", data, actor=world.admin)
    assert [row for row, _m in result.errors] == [1]
    assert "population" in result.errors[0][1]
    assert len(result.errors[0][1]) < 300  # the value is shortened in the message
    assert not Region.objects.filter(code="GC09").exists()


def test_the_largest_figures_are_accepted(world):
    data = geojson_bytes(feature("GC09", "社区", "GC", population=2_147_483_647, households="0"))
    result = import_file("x.geojson", data, actor=world.admin)
    assert result.ok, result.errors
    assert Region.objects.get(code="GC09").population == 2_147_483_647


def test_a_number_too_long_for_int_in_a_spreadsheet_is_a_row_error_not_a_file_error(world):
    data = xlsx_bytes(
        ["编码", "名称", "上级编码", "人口", "户数"],
        ["GC09", "社区", "GC", "9" * 5000, 10**19],
    )
    result = import_file("x.xlsx", data, actor=world.admin)
    assert [row for row, _m in result.errors] == [2, 2]
    assert not Region.objects.filter(code="GC09").exists()


@pytest.mark.parametrize("data", [b"[" * 200_000, b'{"a":' * 200_000])
def test_deeply_nested_json_is_an_unreadable_file(world, data):
    with pytest.raises(ImportFileError):
        import_file("x.geojson", data, actor=world.admin)


# --- the import's checks and writes against concurrent edits --------------------------------


def test_an_edit_made_while_an_import_runs_is_not_overwritten(world, monkeypatch):
    from zhenxing.territory import imports
    from zhenxing.territory.services import region_update

    resolve = imports._resolve

    def someone_else_edits_first(*args, **kwargs):
        # Another admin changes 社区甲's figures while this import checks its rows.
        region_update(region=Region.objects.get(code="GC01"), population=9999, actor=None)
        return resolve(*args, **kwargs)

    monkeypatch.setattr(imports, "_resolve", someone_else_edits_first)
    result = import_file(
        "x.geojson", geojson_bytes(feature("GC01", "社区甲（更名）", "GC")), actor=world.admin
    )
    assert (result.ok, result.updated) == (True, 1)
    fresh = Region.objects.get(code="GC01")
    assert (fresh.name, fresh.population) == ("社区甲（更名）", 9999)


def test_the_import_reads_and_locks_the_regions_inside_its_transaction(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = geojson_bytes(feature("GC01", "社区甲（更名）", "GC"), feature("GC09", "社区", "GC"))
    with CaptureQueriesContext(connection) as queries:
        assert import_file("x.geojson", data, actor=world.admin).ok
    sql = [q["sql"] for q in queries.captured_queries]
    begin = next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    reads = [i for i, s in enumerate(sql) if 'FROM "territory_region"' in s and "SELECT" in s]
    # Every read of the regions the import checks and writes happens after it began.
    assert reads and min(reads) > begin
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in sql[i] for i in reads)


def test_an_importer_is_bounded_by_what_they_administer_not_what_they_read(world):
    # Office admin of 社区甲 and secretary of 社区乙: reads both, administers only 社区甲.
    RoleAssignment.objects.create(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.a)
    RoleAssignment.objects.create(user=world.nobody, role=Role.SECRETARY, region=world.b)
    data = geojson_bytes(feature("GC01-02", "甲二经济社", "GC01"), feature("GC02", "乙改名", "GC"))
    result = import_file("x.geojson", data, actor=world.nobody)
    assert [row for row, _m in result.errors] == [2]
    assert Region.objects.get(code="GC02").name == "社区乙"


def test_the_import_audit_row_is_bounded(world, monkeypatch):
    from zhenxing.territory import imports

    monkeypatch.setattr(imports, "AUDIT_MAX_REGIONS", 2)
    data = geojson_bytes(
        feature("GC01", "甲", "GC"), feature("GC02", "乙", "GC"), feature("GC01-01", "甲一", "GC01")
    )
    result = import_file("x.geojson", data, actor=world.admin)
    assert result.updated == 3
    changes = AuditEntry.objects.get(action="territory.import").changes
    assert len(changes["updated"]) == 2
    assert (changes["updated_count"], changes["updated_omitted"]) == (3, 1)
    assert changes["updated"]["GC01"] == {"name": ["社区甲", "甲"]}
