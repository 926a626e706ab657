"""The plan table's XLSX export and import (推进计划表): the round trip and every bad cell."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.plans import xlsx
from zhenxing.plans.models import Campaign, ProgressReport, TaskType, Unit, WeeklyTarget
from zhenxing.territory.services import region_create

W1 = datetime.date(2026, 11, 2)  # 2026-W45, the campaign's first Monday
W2 = datetime.date(2026, 11, 9)
W3 = datetime.date(2026, 11, 16)
WEEKS = [W1, W2, W3]
HEADER = ["片区编码", "社区", "经济社", "片区", "2026-W45 (11-02)", "2026-W46 (11-09)"]


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 11, 10, 0, tzinfo=datetime.UTC))


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English msgids."""
    with translation.override("en"):
        yield


@pytest.fixture
def plan(world):
    campaign = Campaign.objects.create(
        code="SQ", name="三清三拆三整治", start=W1, end=datetime.date(2026, 12, 27)
    )
    task = TaskType.objects.create(campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE)
    other = TaskType.objects.create(
        campaign=campaign, code="WJ", name="拆除违建", unit=Unit.SQUARE_METRE
    )
    return world, campaign, task, other


def target(area, task, week, quantity) -> WeeklyTarget:
    return WeeklyTarget.objects.create(
        area=area, region_path=area.path, task_type=task, week=week, quantity=Decimal(quantity)
    )


def stored(task) -> dict[tuple[str, datetime.date], Decimal]:
    return {
        (t.area.code, t.week): t.quantity
        for t in WeeklyTarget.objects.filter(task_type=task).select_related("area")
    }


def values(data: bytes, sheet: str = xlsx.PLAN_SHEET) -> list[list]:
    workbook = load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def upload(workbook: Workbook, name: str = "plan.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def sheet_of(rows: list[list], *, title: str | None = None) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = xlsx.PLAN_SHEET
    if title is not None:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    return workbook


# --- export ----------------------------------------------------------------------------------


def test_export_layout_one_row_per_area_one_column_per_week(plan):
    world, campaign, task, other = plan
    target(world.area_a1, task, W1, "12")
    target(world.area_a1, task, W2, "7.5")
    target(world.area_b1, task, W3, "3")
    target(world.area_a2, other, W1, "99")  # another task type: not in this table

    data = xlsx.export_targets(
        user=world.admin, campaign=campaign, task_type=task, weeks=WEEKS, paths=None
    )

    rows = values(data)
    assert rows[0][0] == "推进计划表：三清三拆三整治 / 清理垃圾（tonnes）"
    assert rows[1] == [
        *xlsx.FIXED_COLUMNS,
        "2026-W45 (11-02)",
        "2026-W46 (11-09)",
        "2026-W47 (11-16)",
    ]
    assert rows[2:] == [
        ["GC01-01-A", "社区甲", "甲一经济社", "甲一片区", 12, 7.5, None],
        ["GC01-01-B", "社区甲", "甲一经济社", "甲二片区", None, None, None],
        ["GC02-01-A", "社区乙", "乙一经济社", "乙一片区", None, None, 3],
    ]


def test_export_actuals_sheet_follows_the_rollup(plan):
    world, campaign, task, _other = plan
    street = region_create(code="GC01-01-A-01", name="一巷", parent=world.area_a1, actor=None)
    for region, day, quantity in [
        (world.area_a1, datetime.date(2026, 11, 3), "2"),
        (street, datetime.date(2026, 11, 8), "1.5"),  # a street's report counts for its area
        (street, datetime.date(2026, 11, 9), "4"),  # the next week
        (world.area_b1, datetime.date(2026, 11, 4), "5"),
    ]:
        ProgressReport.objects.create(
            date=day, region=region, region_path=region.path, task_type=task, quantity=quantity
        )

    data = xlsx.export_targets(
        user=world.admin, campaign=campaign, task_type=task, weeks=[W1, W2], paths=None
    )

    rows = values(data, xlsx.ACTUAL_SHEET)
    assert rows[1][4:] == ["2026-W45 (11-02)", "2026-W46 (11-09)"]
    assert [row[0] for row in rows[2:]] == ["GC01-01-A", "GC01-01-B", "GC02-01-A"]
    assert [row[4:] for row in rows[2:]] == [[3.5, 4], [0, 0], [5, 0]]


def test_export_shows_only_what_the_user_may_see(plan):
    world, campaign, task, _other = plan
    target(world.area_b1, task, W1, "3")

    def codes(user, paths=None):
        data = xlsx.export_targets(
            user=user, campaign=campaign, task_type=task, weeks=WEEKS, paths=paths
        )
        return [row[0] for row in values(data)[2:]]

    assert codes(world.secretary_a) == ["GC01-01-A", "GC01-01-B"]
    assert codes(world.outsider) == ["GC02-01-A"]
    # Asking for another community's paths gives nothing of it.
    assert codes(world.secretary_a, [world.b.path]) == []
    assert codes(world.admin, [world.area_a2.path]) == ["GC01-01-B"]
    assert codes(world.nobody) == []
    # The outsider's export carries its own target, not others'.
    rows = values(
        xlsx.export_targets(
            user=world.outsider, campaign=campaign, task_type=task, weeks=[W1], paths=None
        )
    )
    assert rows[2][4] == 3


# --- the round trip ------------------------------------------------------------------------


def test_round_trip_export_edit_import_export(plan):
    world, campaign, task, other = plan
    target(world.area_a1, task, W1, "12")
    target(world.area_a1, task, W2, "7.5")
    target(world.area_a2, task, W1, "4")
    target(world.area_b1, task, W3, "3")
    target(world.area_a1, other, W1, "99")

    data = xlsx.export_targets(
        user=world.admin, campaign=campaign, task_type=task, weeks=WEEKS, paths=None
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[xlsx.PLAN_SHEET]
    assert sheet["A3"].value == "GC01-01-A"
    sheet["F3"] = 8  # updated: 7.5 → 8
    sheet["G3"] = "2.25"  # created, typed as text
    sheet["E4"] = None  # emptied: the target is deleted
    sheet["F5"] = 6.5  # created
    sheet["G5"] = 3  # unchanged
    edited = upload(workbook)

    result = xlsx.import_targets(actor=world.admin, campaign=campaign, task_type=task, file=edited)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.deleted) == (2, 1, 1)
    assert result.areas == 3
    assert result.weeks == WEEKS
    assert stored(task) == {
        ("GC01-01-A", W1): Decimal("12"),
        ("GC01-01-A", W2): Decimal("8"),
        ("GC01-01-A", W3): Decimal("2.25"),
        ("GC02-01-A", W2): Decimal("6.5"),
        ("GC02-01-A", W3): Decimal("3"),
    }
    # Another task type is not touched.
    assert stored(other) == {("GC01-01-A", W1): Decimal("99")}
    assert AuditEntry.objects.filter(action="plan.import").count() == 1

    again = xlsx.export_targets(
        user=world.admin, campaign=campaign, task_type=task, weeks=WEEKS, paths=None
    )
    edited_rows = values(_bytes(workbook))
    edited_rows[2][6] = 2.25  # typed as text, stored as the number
    assert values(again) == edited_rows

    # Importing the new export again changes nothing.
    result = xlsx.import_targets(
        actor=world.admin, campaign=campaign, task_type=task, file=io.BytesIO(again)
    )
    assert result.ok, result.errors
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)


def _bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_hand_made_sheet_without_title_or_name_columns(plan):
    world, campaign, task, _other = plan
    workbook = sheet_of(
        [
            ["片区编码", "2026-11-09", datetime.datetime(2026, 11, 16), "2026-W45"],
            ["GC01-01-B", "1,200", 5, None],
            [None, None, None, None],  # blank lines are skipped
            ["GC01-01-A", " 3 ", None, 0],
        ]
    )

    result = xlsx.import_targets(
        actor=world.secretary_a, campaign=campaign, task_type=task, file=_bytes(workbook)
    )

    assert result.ok, result.errors
    assert stored(task) == {
        ("GC01-01-B", W2): Decimal("1200"),
        ("GC01-01-B", W3): Decimal("5"),
        ("GC01-01-A", W2): Decimal("3"),
        ("GC01-01-A", W1): Decimal("0"),
    }


# --- bad cells: each reported by address, nothing saved ---------------------------------


BAD_CELLS = [
    # (what, the row as typed, the cell expected, a word of the message)
    ("text in a number cell", ["GC01-01-A", "", "", "", "十吨", 1], "E3", "not a number"),
    ("a negative number", ["GC01-01-A", "", "", "", -5, 1], "E3", "negative"),
    ("three decimals", ["GC01-01-A", "", "", "", 1.125, 1], "E3", "two decimal places"),
    ("too large", ["GC01-01-A", "", "", "", 10**12, 1], "E3", "too large"),
    ("a date in a number cell", ["GC01-01-A", "", "", "", datetime.date(2026, 11, 2), 1], "E3",
     "not a number"),
    ("an unknown area code", ["GC09-09-Z", "", "", "", 1, 1], "A3", "no area with the code"),
    ("not an area", ["GC01-01", "", "", "", 1, 1], "A3", "not an area"),
    ("a missing area code", [None, "社区甲", "", "", 1, 1], "A3", "code is missing"),
    # An area the importer cannot read is reported like an unknown code: no name, no hint.
    ("an area of 社区乙", ["GC02-01-A", "", "", "", 1, 1], "A3", "no area with the code"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("row", "cell", "words"), [case[1:] for case in BAD_CELLS], ids=[c[0] for c in BAD_CELLS]
)
def test_bad_cell_is_reported_by_address_and_nothing_is_saved(plan, row, cell, words):
    world, campaign, task, _other = plan
    target(world.area_a2, task, W1, "4")
    workbook = sheet_of(
        [HEADER, row, ["GC01-01-B", "", "", "", None, 9]],
        title=xlsx.title_of(campaign, task),
    )

    result = xlsx.import_targets(
        actor=world.secretary_a, campaign=campaign, task_type=task, file=upload(workbook)
    )

    assert not result.ok
    assert [e.cell for e in result.errors] == [cell]
    assert words in result.errors[0].message
    # The good row is not saved either, and nothing is deleted.
    assert stored(task) == {("GC01-01-B", W1): Decimal("4")}
    assert not AuditEntry.objects.filter(action="plan.import").exists()


def test_every_bad_cell_of_a_file_is_reported(plan):
    world, campaign, task, _other = plan
    workbook = sheet_of(
        [
            [*HEADER, "第48周", "2027-W01 (01-04)", "2026-W45 (11-02)", "2026-W47 (11-23)"],
            ["GC01-01-A", "", "", "", "x", -1, None, None, None, None],
            ["GC01-01-B", "", "", "", 1, 2, None, None, None, None],
            ["GC01-01-A", "", "", "", 1, 2, None, None, None, None],
            ["GC02-01-A", "", "", "", 1, 2, None, None, None, None],
        ],
        title=xlsx.title_of(campaign, task),
    )

    result = xlsx.import_targets(
        actor=world.secretary_a, campaign=campaign, task_type=task, file=upload(workbook)
    )

    errors = {e.cell: e.message for e in result.errors}
    assert set(errors) == {"G2", "H2", "I2", "J2", "E3", "F3", "A5", "A6"}
    assert "not a week" in errors["G2"]  # an unrecognised week header
    assert "outside the campaign" in errors["H2"]  # a week outside the campaign
    assert "already in column E" in errors["I2"]  # the same week twice
    assert "not a week" in errors["J2"]  # W47's Monday is 11-16, not 11-23
    assert "rows 3 and 5" in errors["A5"]  # a duplicated area row
    assert "no area with the code" in errors["A6"]  # 社区乙's area, unseen by 社区甲's secretary
    assert WeeklyTarget.objects.count() == 0


def test_value_under_a_column_without_header(plan):
    world, campaign, task, _other = plan
    workbook = sheet_of([[*HEADER, None], ["GC01-01-A", "", "", "", 1, 2, "备注"]])

    result = xlsx.import_targets(
        actor=world.admin, campaign=campaign, task_type=task, file=upload(workbook)
    )

    assert [(e.cell, "names no week" in e.message) for e in result.errors] == [("G1", True)]
    assert WeeklyTarget.objects.count() == 0


def test_sheet_of_another_task_type_is_refused(plan):
    world, campaign, task, other = plan
    data = xlsx.export_targets(
        user=world.admin, campaign=campaign, task_type=other, weeks=WEEKS, paths=None
    )

    result = xlsx.import_targets(actor=world.admin, campaign=campaign, task_type=task, file=data)

    assert [e.cell for e in result.errors] == ["A1"]
    assert "拆除违建" in result.errors[0].message
    assert WeeklyTarget.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "cell", "words"),
    [
        (b"not a workbook at all", "", "not a readable .xlsx"),
        (b"PK\x03\x04 broken zip", "", "not a readable .xlsx"),
        (_bytes(Workbook()), "A1", "worksheet is empty"),
        (_bytes(sheet_of([["名称", "2026-W45"], ["GC01-01-A", 1]])), "A1", "No header row"),
        (_bytes(sheet_of([HEADER])), "A1", "no areas below it"),
        (
            _bytes(sheet_of([["片区编码", "片区"], ["GC01-01-A", "甲一片区"]])),
            "A1",
            "names no week",
        ),
    ],
    ids=["text", "broken-zip", "empty-sheet", "no-header", "header-only", "no-weeks"],
)
def test_unreadable_or_empty_file(plan, data, cell, words):
    world, campaign, task, _other = plan

    result = xlsx.import_targets(actor=world.admin, campaign=campaign, task_type=task, file=data)

    assert [e.cell for e in result.errors] == [cell]
    assert words in result.errors[0].message
    assert WeeklyTarget.objects.count() == 0


def test_limits_on_size_rows_and_weeks(plan, monkeypatch):
    world, campaign, task, _other = plan
    good = _bytes(sheet_of([HEADER, ["GC01-01-A", "", "", "", 1, 2], ["GC01-01-B"]]))

    def errors(**limits):
        with monkeypatch.context() as patch:
            for name, value in limits.items():
                patch.setattr(xlsx, name, value)
            result = xlsx.import_targets(
                actor=world.admin,
                campaign=campaign,
                task_type=task,
                file=SimpleUploadedFile("plan.xlsx", good),
            )
        return [e.message for e in result.errors]

    assert "larger than" in errors(MAX_BYTES=1000)[0]
    assert "larger than" in errors(MAX_UNPACKED_BYTES=1000)[0]
    assert "more than 1 rows" in errors(MAX_ROWS=1)[0]
    assert "more than 1 week columns" in errors(MAX_WEEKS=1)[0]
    assert WeeklyTarget.objects.count() == 0
    assert errors() == []
    assert WeeklyTarget.objects.count() == 2


def test_inactive_campaign_and_permissions(plan):
    world, campaign, task, _other = plan
    good = _bytes(sheet_of([HEADER, ["GC01-01-A", "", "", "", 1, 2]]))

    with pytest.raises(PermissionDenied):
        xlsx.import_targets(actor=world.nobody, campaign=campaign, task_type=task, file=good)
    with pytest.raises(PermissionDenied):
        xlsx.import_targets(actor=world.inspector_a, campaign=campaign, task_type=task, file=good)

    campaign.is_active = False
    campaign.save()
    result = xlsx.import_targets(actor=world.admin, campaign=campaign, task_type=task, file=good)
    assert [e.cell for e in result.errors] == [""]
    assert "not active" in result.errors[0].message
    assert WeeklyTarget.objects.count() == 0


def test_week_headers():
    assert xlsx.week_header(W1) == "2026-W45 (11-02)"
    # ISO weeks cross the new year: 2024-12-30 is the Monday of 2025-W01.
    assert xlsx.week_header(datetime.date(2024, 12, 30)) == "2025-W01 (12-30)"
    assert xlsx._parse_week("2025-W01 (12-30)") == datetime.date(2024, 12, 30)
    assert xlsx._parse_week("2026w45") == W1
    assert xlsx._parse_week("2026-W45（11-02）") == W1
    assert xlsx._parse_week("2026年11月2日") == W1
    assert xlsx._parse_week(datetime.datetime(2026, 11, 2)) == W1
    assert xlsx._parse_week("2026-11-03") is None  # a Tuesday
    assert xlsx._parse_week("2026-W54") is None
    assert xlsx._parse_week("2026-W45 (11-09)") is None
    assert xlsx._parse_week("第45周") is None


def test_export_and_import_queries_do_not_grow_with_the_areas(plan):
    world, campaign, task, _other = plan
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as exported:
            data = xlsx.export_targets(
                user=world.admin, campaign=campaign, task_type=task, weeks=WEEKS, paths=None
            )
        workbook = load_workbook(io.BytesIO(data))
        for row in range(3, workbook[xlsx.PLAN_SHEET].max_row + 1):
            workbook[xlsx.PLAN_SHEET][f"E{row}"] = row
        with CaptureQueriesContext(connection) as imported:
            result = xlsx.import_targets(
                actor=world.admin, campaign=campaign, task_type=task, file=_bytes(workbook)
            )
        assert result.ok, result.errors
        return len(exported), len(imported)

    count()  # with targets and the actor's roles cached from here on
    few_export, few_import = count()
    for n in range(30):
        region_create(code=f"GC01-01-X{n:02d}", name=f"片区{n}", parent=world.coop_a, actor=None)
    many_export, many_import = count()
    assert many_export == few_export
    # The same, plus one bulk create and one bulk update for the new and moved rows.
    assert many_import <= few_import + 2
