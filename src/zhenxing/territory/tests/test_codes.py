"""Region codes and names: one spelling per code whatever the case, a safe alphabet, no
control characters (they build paths, URLs and Excel cells)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from zhenxing.territory import api
from zhenxing.territory.imports import import_file
from zhenxing.territory.models import PATH_SEP, RESERVED_CODES, Region
from zhenxing.territory.services import TerritoryError, check_code, region_create, region_update
from zhenxing.territory.tests.test_imports import feature, geojson_bytes


@pytest.mark.parametrize("code", ["gc01", "Gc01", "gC01"])
def test_a_code_differing_only_by_case_from_an_existing_one_is_refused(world, code):
    with pytest.raises(TerritoryError, match="GC01"):
        region_create(code=code, name="影子社区", parent=world.root, actor=None)
    assert not Region.objects.filter(code=code).exists()


def test_the_database_refuses_codes_differing_only_by_case(world):
    # Writes that bypass the service meet the same rule, as a unique index on lower(code).
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(
            code="gc01", name="影子社区", parent=world.root, depth=2, path="GC/gc01" + PATH_SEP
        )


def test_an_import_refuses_a_code_differing_only_by_case(world):
    data = geojson_bytes(
        feature("gc01", "影子社区", "GC"),  # 1: GC01 exists
        feature("GC07", "社区庚", "GC"),  # 2: fine on its own
        feature("gc07", "社区庚二", "GC"),  # 3: same code as row 2 but for the case
    )
    result = import_file("x.geojson", data, actor=world.admin)
    messages = dict(result.errors)
    assert sorted(messages) == [1, 3]
    assert "GC01" in messages[1] and "case" in messages[1]
    assert "GC07" in messages[3] and "row 2" in messages[3]
    assert not Region.objects.filter(code__in=["gc01", "GC07", "gc07"]).exists()


@pytest.mark.parametrize(
    "code",
    [
        "A/B",
        "with space",
        "tab\there",
        "nul\x00",
        "bell\x07",
        "中文编码",
        "a?b",
        "a#b",
        "a%b",
        "..",
        ".hidden",
        "-dash",
        "x" * 41,
        # Words the API uses for its own routes beside /api/v1/regions/{code}.
        "lookup",
        "GeoJSON",
    ],
)
def test_unsafe_codes_are_refused(world, code):
    with pytest.raises(TerritoryError):
        check_code(code)
    with pytest.raises(TerritoryError):
        region_create(code=code, name="坏", parent=world.root, actor=None)
    result = import_file("x.geojson", geojson_bytes(feature(code, "坏", "GC")), actor=world.admin)
    assert [row for row, _m in result.errors] == [1]


@pytest.mark.parametrize("code", ["GC01-02_b.3", "4403", "a", "x" * 40])
def test_safe_codes_are_accepted(world, code):
    assert check_code(f"  {code} ") == code


def test_every_fixed_api_route_under_regions_is_a_reserved_code():
    # /api/v1/regions/{code} would be shadowed by a fixed route of the same name.
    first_segments = {path.strip("/").split("/")[0] for path in api.router.path_operations}
    fixed = {segment.lower() for segment in first_segments if segment and "{" not in segment}
    assert fixed == {"lookup", "geojson"}
    assert fixed <= RESERVED_CODES


@pytest.mark.parametrize("name", ["坏\x07名", "坏\x00名", "两\n行", "制\t表"])
def test_control_characters_in_names_are_refused(world, name):
    with pytest.raises(TerritoryError):
        region_create(code="GC09", name=name, parent=world.root, actor=None)
    with pytest.raises(TerritoryError):
        region_update(region=world.a, name=name, actor=None)
    assert Region.objects.get(pk=world.a.pk).name == "社区甲"
    result = import_file("x.geojson", geojson_bytes(feature("GC09", name, "GC")), actor=None)
    assert [row for row, _m in result.errors] == [1]
    assert "control characters" in result.errors[0][1]
    assert not Region.objects.filter(code="GC09").exists()


def test_a_parent_code_with_a_nul_is_a_row_error(world):
    # Never sent to the database: PostgreSQL refuses NUL in text with an error.
    result = import_file("x.geojson", geojson_bytes(feature("GC09", "社区", "G\x00C")), actor=None)
    assert [row for row, _m in result.errors] == [1]


def test_an_existing_code_is_a_territory_error_not_a_database_error(world):
    with pytest.raises(TerritoryError, match="already exists"):
        region_create(code="GC01", name="又一个", parent=world.root, actor=None)
    assert Region.objects.filter(code="GC01").count() == 1
