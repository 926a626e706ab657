"""The campaigns page and the progress plan table: roll-ups, inline targets, XLSX in and out."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhenxing.plans.models import Campaign, ProgressReport, TaskType, Unit, WeeklyTarget
from zhenxing.territory.services import region_create

pytestmark = pytest.mark.django_db

# Wednesday of 2026-W48; the campaign runs from the Monday of W40.
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC)
MONDAY = datetime.date(2026, 11, 23)
START = datetime.date(2026, 9, 28)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(world):
    campaign = Campaign.objects.create(code="SQSC", name="三清三拆三整治", start=START)
    garbage = TaskType.objects.create(
        campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    sheds = TaskType.objects.create(
        campaign=campaign, code="CW", name="拆除违建", unit=Unit.SQUARE_METRE, order=2
    )
    street = region_create(code="GC01-01-A-01", name="甲一街", parent=world.area_a1, actor=None)
    for area, quantity in ((world.area_a1, "10"), (world.area_a2, "4"), (world.area_b1, "8")):
        WeeklyTarget.objects.create(
            area=area,
            region_path=area.path,
            task_type=garbage,
            week=MONDAY,
            quantity=Decimal(quantity),
        )
    for region, quantity in ((world.area_a1, "3"), (street, "2"), (world.area_b1, "8")):
        ProgressReport.objects.create(
            date=MONDAY + datetime.timedelta(days=1),
            region=region,
            region_path=region.path,
            task_type=garbage,
            quantity=Decimal(quantity),
            reported_by=world.secretary_a,
        )
    return SimpleNamespace(campaign=campaign, garbage=garbage, sheds=sheds, street=street)


def table_url(plan, community: str = "") -> str:
    url = f"{reverse('plans:table')}?campaign={plan.campaign.pk}&task_type={plan.garbage.pk}"
    return f"{url}&community={community}" if community else url


def cell_id(area, week: datetime.date = MONDAY) -> str:
    return f'id="cell-{area.code}-{week.isoformat()}"'


# -- campaigns ---------------------------------------------------------------------------------


def test_campaigns_show_this_weeks_subdistrict_figures(world, plan, client_for):
    response = client_for(world.admin).get(reverse("plans:campaigns"))
    assert response.status_code == 200
    rows = {r["task_type"].code: r for c in response.context["campaigns"] for r in c.rows}
    # 10 + 4 + 8 planned; 3 + 2 (the street counts for its area) + 8 done.
    assert rows["LJ"]["target"] == Decimal("22")
    assert rows["LJ"]["actual"] == Decimal("13")
    assert rows["LJ"]["percent"] == pytest.approx(59.1)
    assert rows["CW"]["target"] == 0 and rows["CW"]["percent"] is None
    assert (
        "三清三拆三整治" in response.text and "平方米" in response.text or "square" in response.text
    )


def test_a_community_sees_its_own_figures_only(world, plan, client_for):
    response = client_for(world.secretary_a).get(reverse("plans:campaigns"))
    rows = {r["task_type"].code: r for c in response.context["campaigns"] for r in c.rows}
    assert rows["LJ"]["target"] == Decimal("14")
    assert rows["LJ"]["actual"] == Decimal("5")
    outsider = client_for(world.outsider).get(reverse("plans:campaigns"))
    rows = {r["task_type"].code: r for c in outsider.context["campaigns"] for r in c.rows}
    assert (rows["LJ"]["target"], rows["LJ"]["actual"]) == (Decimal("8"), Decimal("8"))


def test_campaigns_refuse_no_role_and_wrong_method(world, plan, client_for):
    assert client_for(world.nobody).get(reverse("plans:campaigns")).status_code == 404
    assert client_for(world.admin).post(reverse("plans:campaigns")).status_code == 405


# -- the table ---------------------------------------------------------------------------------


def test_table_rolls_up_area_cooperative_and_community(world, plan, client_for):
    response = client_for(world.secretary_a).get(table_url(plan))
    assert response.status_code == 200
    rows = response.context["rows"]
    weeks = response.context["weeks"]
    # The last 8 weeks (this one included) and the next 4.
    assert weeks[0] == MONDAY - datetime.timedelta(weeks=7)
    assert weeks[-1] == MONDAY + datetime.timedelta(weeks=4)
    col = weeks.index(MONDAY)
    by = {(r["kind"], r["region"].code): r for r in rows if r["kind"] != "heading"}
    a1 = by[("area", "GC01-01-A")]["cells"][col]
    assert (a1["target"], a1["actual"], a1["percent"]) == (Decimal("10"), Decimal("5"), 50.0)
    assert a1["css"] == "zx-pc-half"
    coop = by[("cooperative", "GC01-01")]["cells"][col]
    assert (coop["target"], coop["actual"]) == (Decimal("14"), Decimal("5"))
    community = by[("community", "GC01")]["cells"][col]
    assert (community["target"], community["actual"]) == (Decimal("14"), Decimal("5"))
    # The outsider's community is not in it; the order: areas, then their subtotals.
    assert ("area", "GC02-01-A") not in by
    kinds = [r["kind"] for r in rows]
    assert kinds == ["heading", "area", "area", "cooperative", "community"]
    # The secretary plans here: every area cell is an input.
    assert 'name="quantity"' in response.text
    assert cell_id(world.area_a1) in response.text


def test_table_for_the_whole_subdistrict_ends_with_its_total(world, plan, client_for):
    response = client_for(world.admin).get(table_url(plan, "all"))
    rows = response.context["rows"]
    col = response.context["weeks"].index(MONDAY)
    total = rows[-1]
    assert total["kind"] == "total" and total["region"].code == "GC"
    assert (total["cells"][col]["target"], total["cells"][col]["actual"]) == (
        Decimal("22"),
        Decimal("13"),
    )
    b1 = next(r for r in rows if r["kind"] == "area" and r["region"].code == "GC02-01-A")
    assert b1["cells"][col]["css"] == "zx-pc-done"


def test_the_default_community_is_the_users_and_others_are_out_of_reach(world, plan, client_for):
    response = client_for(world.secretary_a).get(reverse("plans:table"))
    assert response.context["community"] == world.a
    assert response.context["task_type"] == plan.garbage
    outsider = client_for(world.outsider).get(table_url(plan, "GC01"))
    assert outsider.status_code == 200
    # 社区甲 is not among the outsider's choices: its own community is shown instead.
    assert outsider.context["community"] == world.b
    assert "甲一片区" not in outsider.text


def test_a_party_member_reads_the_table_without_inputs(world, plan, client_for):
    response = client_for(world.party_member_a).get(table_url(plan))
    assert response.status_code == 200
    assert 'name="quantity"' not in response.text
    assert "table-export" not in response.text


def test_table_refuses_no_role_and_wrong_method(world, plan, client_for):
    assert client_for(world.nobody).get(table_url(plan)).status_code == 404
    assert client_for(world.admin).post(table_url(plan)).status_code == 405


def test_table_reads_a_bounded_number_of_queries(world, plan, client_for):
    client = client_for(world.admin)
    client.get(table_url(plan, "all"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(table_url(plan, "all")).status_code == 200
    coop = world.coop_a
    for i in range(12):
        area = region_create(code=f"GC01-01-X{i:02d}", name=f"片区{i}", parent=coop, actor=None)
        WeeklyTarget.objects.create(
            area=area, region_path=area.path, task_type=plan.garbage, week=MONDAY, quantity=1
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(table_url(plan, "all"))
    assert response.context["area_count"] == 15
    assert len(many) == len(few)


def test_weeks_can_be_paged_and_stay_in_the_campaign(world, plan, client_for):
    client = client_for(world.secretary_a)
    response = client.get(table_url(plan) + "&from=2026-09-01")
    # Nothing before the campaign's first Monday.
    assert response.context["weeks"][0] == START


# -- setting a target inline -------------------------------------------------------------------


def post_target(client, plan, area, quantity, week=MONDAY, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("plans:target_set"),
        {
            "area": area.code,
            "task_type": plan.garbage.pk,
            "week": week.isoformat(),
            "quantity": quantity,
        },
        **headers,
    )


def test_a_planner_sets_a_target_and_gets_the_cell_back(world, plan, client_for):
    client = client_for(world.secretary_a)
    # Any day of the week stands for its Monday.
    response = post_target(client, plan, world.area_a2, "7.5", week=MONDAY + datetime.timedelta(2))
    assert response.status_code == 200
    assert cell_id(world.area_a2) in response.text
    assert 'value="7.5"' in response.text
    target = WeeklyTarget.objects.get(area=world.area_a2, task_type=plan.garbage, week=MONDAY)
    assert target.quantity == Decimal("7.5")
    # Emptied: the target is gone.
    assert post_target(client, plan, world.area_a2, "").status_code == 200
    assert not WeeklyTarget.objects.filter(area=world.area_a2, week=MONDAY).exists()


def test_a_target_without_htmx_goes_back_to_the_table(world, plan, client_for):
    response = post_target(client_for(world.secretary_a), plan, world.area_a2, "9", htmx=False)
    assert response.status_code == 302
    assert reverse("plans:table") in response["Location"]


@pytest.mark.parametrize(
    "quantity, words",
    [("-3", "greater than or equal"), ("abc", "number"), ("1e20", "")],
)
def test_a_bad_target_is_a_400_with_the_reason_and_nothing_saved(
    world, plan, client_for, quantity, words
):
    client = client_for(world.secretary_a)
    with_lang = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.post(
        reverse("plans:target_set"),
        {
            "area": world.area_a2.code,
            "task_type": plan.garbage.pk,
            "week": MONDAY.isoformat(),
            "quantity": quantity,
        },
        HTTP_HX_REQUEST="true",
        **with_lang,
    )
    assert response.status_code == 400
    assert "zx-cell-error" in response.text
    assert WeeklyTarget.objects.get(area=world.area_a2, week=MONDAY).quantity == Decimal("4")


def test_a_week_outside_the_campaign_is_refused_by_the_service(world, plan, client_for):
    response = post_target(
        client_for(world.secretary_a), plan, world.area_a2, "3", week=datetime.date(2026, 1, 5)
    )
    assert response.status_code == 400
    assert "zx-cell-error" in response.text
    assert not WeeklyTarget.objects.filter(week=datetime.date(2026, 1, 5)).exists()


def test_targets_out_of_reach(world, plan, client_for):
    # Another community's area: not there (404); a visible one the user may not plan: 403.
    assert post_target(client_for(world.outsider), plan, world.area_a1, "1").status_code == 404
    assert (
        post_target(client_for(world.party_member_a), plan, world.area_a1, "1").status_code == 403
    )
    assert post_target(client_for(world.nobody), plan, world.area_a1, "1").status_code == 404
    assert WeeklyTarget.objects.get(area=world.area_a1, week=MONDAY).quantity == Decimal("10")
    assert client_for(world.secretary_a).get(reverse("plans:target_set")).status_code == 405


def test_a_broken_cell_address_is_a_400(world, plan, client_for):
    response = client_for(world.secretary_a).post(
        reverse("plans:target_set"), {"area": world.area_a1.code, "task_type": "x", "week": "y"}
    )
    assert response.status_code == 400


# -- XLSX --------------------------------------------------------------------------------------


def export(client, plan, community="GC01"):
    return client.get(
        f"{reverse('plans:table_export')}?campaign={plan.campaign.pk}"
        f"&task_type={plan.garbage.pk}&community={community}"
    )


def test_export_gives_the_officials_layout(world, plan, client_for):
    response = export(client_for(world.secretary_a), plan)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content))
        if response.streaming
        else io.BytesIO(response.content)
    )
    values = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert "GC01-01-A" in values and "GC02-01-A" not in values


def test_export_and_import_are_for_planners(world, plan, client_for):
    assert export(client_for(world.party_member_a), plan).status_code == 404
    assert export(client_for(world.outsider), plan).status_code == 404
    assert client_for(world.party_member_a).get(reverse("plans:table_import")).status_code == 404
    assert client_for(world.secretary_a).post(reverse("plans:table_export")).status_code == 405
    assert client_for(world.secretary_a).put(reverse("plans:table_import")).status_code == 405


def _round_trip(client, plan, change) -> bytes:
    """The exported workbook with `change(sheet)` applied, as bytes."""
    data = export(client, plan).content
    book = load_workbook(io.BytesIO(data))
    change(book.worksheets[0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _find(sheet, value):
    for row in sheet.iter_rows():
        for c in row:
            if c.value == value:
                return c
    raise AssertionError(value)


def _week_column(sheet, week: datetime.date) -> int:
    for row in sheet.iter_rows():
        for c in row:
            if isinstance(c.value, str) and f"({week:%m-%d})" in c.value:
                return c.column
    raise AssertionError(week)


def post_import(client, plan, data: bytes, name="plan.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        reverse("plans:table_import"),
        {"campaign": plan.campaign.pk, "task_type": plan.garbage.pk, "file": upload},
    )


def test_import_round_trip_saves_the_changed_cells(world, plan, client_for):
    client = client_for(world.secretary_a)
    assert (
        client.get(reverse("plans:table_import") + f"?task_type={plan.garbage.pk}").status_code
        == 200
    )

    def change(sheet):
        row = _find(sheet, "GC01-01-B").row
        sheet.cell(row=row, column=_week_column(sheet, MONDAY), value=6)

    response = post_import(client, plan, _round_trip(client, plan, change))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert WeeklyTarget.objects.get(area=world.area_a2, week=MONDAY).quantity == Decimal("6")
    assert WeeklyTarget.objects.get(area=world.area_a1, week=MONDAY).quantity == Decimal("10")
    page = client.get(response["Location"])
    assert "1" in [m.message for m in page.context["messages"]][0]


def test_import_lists_bad_cells_by_address_and_saves_nothing(world, plan, client_for):
    client = client_for(world.secretary_a)
    addresses = {}

    def change(sheet):
        col = _week_column(sheet, MONDAY)
        row_a = _find(sheet, "GC01-01-A").row
        row_b = _find(sheet, "GC01-01-B").row
        sheet.cell(row=row_a, column=col, value="lots")
        sheet.cell(row=row_b, column=col, value=-2)
        addresses["a"] = sheet.cell(row=row_a, column=col).coordinate
        addresses["b"] = sheet.cell(row=row_b, column=col).coordinate

    response = post_import(client, plan, _round_trip(client, plan, change))
    assert response.status_code == 400
    cells = [e.cell for e in response.context["cell_errors"]]
    assert addresses["a"] in cells and addresses["b"] in cells
    assert addresses["a"] in response.text
    assert WeeklyTarget.objects.get(area=world.area_a1, week=MONDAY).quantity == Decimal("10")
    assert WeeklyTarget.objects.get(area=world.area_a2, week=MONDAY).quantity == Decimal("4")


def test_import_of_another_communitys_area_is_refused(world, plan, client_for):
    client = client_for(world.secretary_a)

    def change(sheet):
        cell = _find(sheet, "GC01-01-B")
        cell.value = "GC02-01-A"

    response = post_import(client, plan, _round_trip(client, plan, change))
    assert response.status_code == 400
    assert WeeklyTarget.objects.get(area=world.area_b1, week=MONDAY).quantity == Decimal("8")


def test_import_without_a_file_or_with_junk_is_a_400(world, plan, client_for):
    client = client_for(world.secretary_a)
    response = client.post(
        reverse("plans:table_import"),
        {"campaign": plan.campaign.pk, "task_type": plan.garbage.pk},
    )
    assert response.status_code == 400
    assert post_import(client, plan, b"not a workbook").status_code == 400
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    assert post_import(client, plan, out.getvalue()).status_code == 400
    assert WeeklyTarget.objects.count() == 3
