"""XLSX import of party members: good files, every kind of row error, all-or-nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import translation

from zhenxing.core.models import AuditEntry
from zhenxing.people.imports import (
    ImportFileError,
    party_members_import,
    template_workbook,
)
from zhenxing.people.models import PartyMember
from zhenxing.people.tests.helpers import (
    HEADER,
    make_xlsx,
    read_xlsx,
    sheet_xlsx,
    sheetless_xlsx,
    truncated_sheet_xlsx,
)


def _import(rows, actor, header=HEADER):
    with translation.override("en"):
        return party_members_import(
            file=make_xlsx(rows, header), filename="members.xlsx", actor=actor
        )


def _where(result) -> set[tuple[int, str]]:
    """(row, column header) of every error, the column named by its Chinese header."""
    return {(e.row, e.column.split("/")[0]) for e in result.errors}


@pytest.mark.django_db
def test_a_good_file_creates_and_updates_in_one_audited_import(world, roster):
    rows = [
        # new member, date as a date cell, mobile typed as a number
        ["陈新", 13900000011, "男", 1980, "GC01DZB", "GC01", datetime.datetime(2001, 7, 1), "是"],
        # new member, date as text, optional cells blank
        ["周敏", "13900000012", "女", None, "GC01DZB", "GC01", "2010-07-01", None],
        # existing member (by mobile): name and office change
        ["李明明", "13900000002", None, None, "GC01DZB", "GC01", None, "是"],
    ]
    result = _import(rows, world.secretary_a)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    chen = PartyMember.objects.get(mobile="13900000011")
    assert (chen.name, chen.gender, chen.birth_year) == ("陈新", "M", 1980)
    assert chen.joined_on == datetime.date(2001, 7, 1)
    assert chen.holds_office is True and chen.region == world.a
    zhou = PartyMember.objects.get(mobile="13900000012")
    assert zhou.joined_on == datetime.date(2010, 7, 1) and zhou.holds_office is False
    roster.a2.refresh_from_db()
    assert (roster.a2.name, roster.a2.holds_office) == ("李明明", True)
    entries = AuditEntry.objects.filter(action="people.party_member.import")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor == world.secretary_a
    assert entry.changes["created"] == 2 and entry.changes["updated"] == 1
    assert sorted(entry.changes["created_ids"]) == sorted([chen.pk, zhou.pk])
    assert entry.changes["updated_ids"] == [roster.a2.pk]
    # one summary row, not one per member
    assert not AuditEntry.objects.filter(
        action__in=["people.party_member.create", "people.party_member.update"],
        actor=world.secretary_a,
    ).exists()


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(world, roster):
    rows = [["陈新", "13900000011", "男", 1980, "GC01DZB", "GC01", "2001-07-01", "否"]]
    assert _import(rows, world.secretary_a).created == 1
    again = _import(rows, world.secretary_a)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert PartyMember.objects.filter(mobile="13900000011").count() == 1


@pytest.mark.django_db
def test_english_and_bilingual_headers_in_any_order_are_accepted(world, roster):
    header = ["community_code", "姓名/name", "Mobile", "organization_code", "ignored column"]
    result = _import([["GC02", "赵六", "13900000021", "GC02DZB", "x"]], world.admin, header)
    assert result.ok, result.errors
    assert PartyMember.objects.get(mobile="13900000021").region == world.b


@pytest.mark.django_db
def test_a_new_member_is_linked_to_the_login_with_the_same_mobile(world, roster):
    result = _import([["书记甲", "13800000002", "", "", "GC01DZB", "GC01", "", ""]], world.admin)
    assert result.created == 1
    assert PartyMember.objects.get(mobile="13800000002").user == world.secretary_a


@pytest.mark.django_db
def test_a_bad_file_reports_every_error_at_its_row_and_writes_nothing(world, roster):
    good = ["好人", "13900000100", "男", 1980, "GC01DZB", "GC01", "2001-07-01", "否"]

    def row(**changes):
        values = dict(
            zip(
                ["name", "mobile", "gender", "year", "org", "comm", "date", "office"],
                good,
                strict=True,
            )
        )
        values.update(changes)
        return list(values.values())

    rows = [
        good,  # row 2: fine, but must not be written
        row(name=None, mobile="13900000101"),  # 3: name missing
        row(mobile="12345"),  # 4: bad mobile
        row(mobile="13900000104"),  # 5: first of a duplicate pair
        row(mobile="13900000104"),  # 6: duplicate of row 5
        row(mobile="13900000106", org="NOPE"),  # 7: unknown organisation
        row(mobile="13900000107", comm="GC99"),  # 8: unknown community
        row(mobile="13900000108", comm="GC02", org="GC02DZB"),  # 9: community outside scope
        row(mobile="13900000109", gender="未知"),  # 10: bad gender
        row(mobile="13900000110", date="2001-13-45"),  # 11: bad date
        row(mobile="13900000111", year="nineteen"),  # 12: bad year
        row(mobile="13900000112", office="也许"),  # 13: bad yes/no
        row(mobile="13900000113", comm="GC01-01"),  # 14: a cooperative, not a community
        row(mobile="13900000003"),  # 15: existing member of 社区乙
        row(mobile="13900000115", org="GC02DZB"),  # 16: organisation of another community
        row(mobile="13900000116", date=datetime.date(2999, 1, 1)),  # 17: date in the future
    ]
    members_before = PartyMember.objects.count()
    result = _import(rows, world.secretary_a)
    assert not result.ok
    assert _where(result) == {
        (3, "姓名"),
        (4, "手机号"),
        (6, "手机号"),
        (7, "党组织编码"),
        (8, "社区编码"),
        (9, "社区编码"),
        (9, "党组织编码"),  # 社区乙's branch is outside 社区甲's secretary's scope too
        (10, "性别"),
        (11, "入党日期"),
        (12, "出生年份"),
        (13, "是否有职务"),
        (14, "社区编码"),
        (15, "手机号"),
        (16, "党组织编码"),
        (17, "入党日期"),
    }
    duplicate = next(e for e in result.errors if e.row == 6)
    assert "5" in duplicate.message and "6" in duplicate.message
    assert "12345" in next(e for e in result.errors if e.row == 4).message
    assert PartyMember.objects.count() == members_before
    assert not PartyMember.objects.filter(mobile="13900000100").exists()
    assert not AuditEntry.objects.filter(action="people.party_member.import").exists()


@pytest.mark.django_db
def test_the_office_may_import_anywhere_but_codes_must_still_exist(world, roster):
    rows = [["跨社区", "13900000200", "", "", "GC02DZB", "GC02", "", ""]]
    assert _import(rows, world.admin).created == 1
    assert _import(rows, world.inspector_a).errors  # a reader imports nowhere


@pytest.mark.django_db
def test_a_missing_required_column_is_reported_on_the_header_row(world, roster):
    result = _import([["某人", "13900000300"]], world.admin, header=["姓名", "手机号"])
    assert _where(result) == {(1, "党组织编码"), (1, "社区编码")}


@pytest.mark.django_db
def test_a_header_without_rows_is_an_error(world, roster):
    result = _import([], world.admin)
    assert not result.ok and result.errors[0].row == 1


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(world, roster):
    rows = [
        ["甲", "13900000400", "", "", "GC01DZB", "GC01", "", ""],
        [None] * 8,
        ["乙", "bad", "", "", "GC01DZB", "GC01", "", ""],
    ]
    result = _import(rows, world.admin)
    assert [(e.row, e.column) for e in result.errors] == [(4, "手机号/mobile")]


@pytest.mark.django_db
def test_a_file_that_is_not_a_workbook_raises(world):
    with pytest.raises(ImportFileError):
        party_members_import(
            file=io.BytesIO(b"name,mobile\n"), filename="x.xlsx", actor=world.admin
        )


@pytest.mark.django_db
def test_the_template_has_the_header_row_and_imports_as_empty(world):
    rows = read_xlsx(template_workbook())
    assert list(rows[0]) == HEADER
    assert all(v is None for row in rows[1:] for v in row)
    with translation.override("en"):
        result = party_members_import(
            file=io.BytesIO(template_workbook()), filename="t.xlsx", actor=world.admin
        )
    assert [e.row for e in result.errors] == [1]


@pytest.mark.django_db
def test_an_organisation_of_another_community_is_refused_even_for_the_office(world, roster):
    result = _import([["错配", "13900000500", "", "", "GC02DZB", "GC01", "", ""]], world.admin)
    assert _where(result) == {(2, "党组织编码")}
    assert "社区乙" in result.errors[0].message


@pytest.mark.django_db
def test_the_subdistrict_committee_accepts_members_of_any_community(world, roster):
    # The committee sits on the root region, which contains every community.
    result = _import([["直属", "13900000501", "", "", "GCDW", "GC02", "", ""]], world.admin)
    assert result.ok, result.errors


# --- damaged files are a clear error, never a crash ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("content", [truncated_sheet_xlsx(), sheetless_xlsx()])
def test_a_damaged_workbook_raises_an_import_file_error(world, roster, content):
    count = PartyMember.objects.count()
    with pytest.raises(ImportFileError):
        party_members_import(file=io.BytesIO(content), filename="x.xlsx", actor=world.admin)
    assert PartyMember.objects.count() == count


# --- files as Excel and WPS users really make them ------------------------------------------


def _import_lines(lines, actor, merge=""):
    with translation.override("en"):
        return party_members_import(
            file=sheet_xlsx(lines, merge=merge), filename="roster.xlsx", actor=actor
        )


@pytest.mark.django_db
def test_headers_with_spaces_line_breaks_notes_and_aliases_are_recognised(world, roster):
    header = ["姓 名", "手机号码", "性　别", "党组织编码\n(必填)", "社区编码（必填）", " 入党日期 "]
    result = _import_lines(
        [header, ["赵六", "13900000401", "男", "GC01DZB", "GC01", "2001-07-01"]], world.admin
    )
    assert result.ok, result.errors
    member = PartyMember.objects.get(mobile="13900000401")
    assert (member.name, member.gender, member.joined_on) == (
        "赵六",
        "M",
        datetime.date(2001, 7, 1),
    )


@pytest.mark.django_db
def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers(world, roster):
    lines = [
        ["社区甲党员花名册", None, None, None, None, None, None, None],
        HEADER,
        ["甲", "13900000410", "", "", "GC01DZB", "GC01", "", ""],
        ["乙", "bad", "", "", "GC01DZB", "GC01", "", ""],
    ]
    result = _import_lines(lines, world.admin, merge="A1:H1")
    assert [(e.row, e.column) for e in result.errors] == [(4, "手机号/mobile")]
    assert _import_lines(lines[:3], world.admin, merge="A1:H1").created == 1


@pytest.mark.django_db
def test_a_missing_column_is_reported_on_the_header_row_below_a_title(world, roster):
    lines = [["花名册"], ["姓名", "手机号", "社区编码"], ["某人", "13900000411", "GC01"]]
    result = _import_lines(lines, world.admin)
    assert _where(result) == {(2, "党组织编码")}


@pytest.mark.django_db
def test_rows_with_only_a_serial_number_are_blank(world, roster):
    lines = [
        ["序号", *HEADER],
        [1, "甲", "13900000420", "", "", "GC01DZB", "GC01", "", ""],
        [2, None, None, None, None, None, None, None, None],
        [3, "", " ", None, None, None, None, None, None],
    ]
    result = _import_lines(lines, world.admin)
    assert result.ok, result.errors
    assert (result.rows, result.created) == (1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "2001/7/1",
        "2001.7.1",
        "2001年7月1日",
        "2001-07-01 00:00:00",
        "2001-7-1",
        "20010701",
        37073,  # Excel's serial number for 2001-07-01, in a cell formatted "General"
        37073.0,
        datetime.datetime(2001, 7, 1),
    ],
)
def test_dates_as_excel_and_wps_write_them(world, roster, value):
    rows = [["甲", "13900000430", "", "", "GC01DZB", "GC01", value, ""]]
    result = _import(rows, world.admin)
    assert result.ok, result.errors
    assert PartyMember.objects.get(mobile="13900000430").joined_on == datetime.date(2001, 7, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2001年13月1日", "7/1/2001", 0, -5, "2001"])
def test_what_is_not_a_date_is_still_an_error(world, roster, value):
    result = _import([["甲", "13900000431", "", "", "GC01DZB", "GC01", value, ""]], world.admin)
    assert _where(result) == {(2, "入党日期")}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["13900000402.0", 13900000402.0, " 139 0000 0402 "])
def test_a_mobile_stored_as_text_of_a_number_is_read(world, roster, value):
    result = _import([["甲", value, "", "1975.0", "GC01DZB", "GC01", "", ""]], world.admin)
    assert result.ok, result.errors
    assert PartyMember.objects.get(mobile="13900000402").birth_year == 1975


# --- trusted code, races ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_system_import_without_an_actor_is_unrestricted(world, roster):
    rows = [
        ["直属", "13900000440", "", "", "GCDW", "GC02", "", ""],
        ["王刚", "13900000003", "", "", "GC02DZB", "GC02", "", "是"],
    ]
    result = _import(rows, None)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (1, 1)
    assert AuditEntry.objects.get(action="people.party_member.import").actor is None


@pytest.mark.django_db
def test_a_member_saved_by_someone_else_meanwhile_fails_the_import_cleanly(
    world, roster, monkeypatch
):
    from zhenxing.people import imports

    real_write = imports._write

    def write_after_a_concurrent_insert(*args, **kwargs):
        # Another request registers the same mobile between our check and our write.
        PartyMember.objects.create(
            name="抢先", mobile="13900000450", organization=roster.branch_a, region=world.a
        )
        return real_write(*args, **kwargs)

    monkeypatch.setattr(imports, "_write", write_after_a_concurrent_insert)
    with pytest.raises(ImportFileError):
        _import([["甲", "13900000450", "", "", "GC01DZB", "GC01", "", ""]], world.admin)
    assert not AuditEntry.objects.filter(action="people.party_member.import").exists()


@pytest.mark.django_db
def test_existing_members_are_locked_while_the_import_checks_them(world, roster):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [["李明明", "13900000002", "", "", "GC01DZB", "GC01", "", ""]]
    with CaptureQueriesContext(connection) as queries:
        assert _import(rows, world.secretary_a).updated == 1
    locked = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert any("people_partymember" in sql for sql in locked)
