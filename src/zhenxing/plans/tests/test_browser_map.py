"""The battle map in Chromium: measures, the week slider, and a click into an area's sheet."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from conftest import PASSWORD
from zhenxing.plans.models import Campaign, ProgressReport, TaskType, Unit, WeeklyTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108
MONDAY = datetime.date(2026, 11, 23)


@pytest.fixture
def plan(world):
    campaign = Campaign.objects.create(
        code="SQSC", name="三清三拆三整治", start=datetime.date(2026, 11, 9)
    )
    garbage = TaskType.objects.create(
        campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    for area, quantity in [(world.area_a1, "10"), (world.area_a2, "4")]:
        WeeklyTarget.objects.create(
            area=area,
            region_path=area.path,
            task_type=garbage,
            week=MONDAY,
            quantity=Decimal(quantity),
        )
    ProgressReport.objects.create(
        date=MONDAY,
        region=world.area_a1,
        region_path=world.area_a1.path,
        task_type=garbage,
        quantity=Decimal("6"),
        reported_by=world.secretary_a,
    )
    return campaign


def login(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(re.escape(next_url)))


def test_the_battle_map_switches_measure_and_week_and_opens_an_area(world, plan, page):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.UTC)):
        page.set_viewport_size({"width": 1280, "height": 900})
        login(page, world.secretary_a.username, "/plans/map/")
        polygons = page.locator("#plans-map path.leaflet-interactive")
        polygons.first.wait_for()
        # The secretary of 社区甲 sees its two areas only.
        assert polygons.count() == 2
        legend = page.locator("#plans-map-legend")
        page.wait_for_selector("#plans-map-legend[data-measure=completion]")
        assert "%" in legend.inner_text()
        # The areas are coloured from the data: 60% and 0% fall in different classes.
        fills = {polygons.nth(i).get_attribute("fill") for i in range(2)}
        assert len(fills) == 2
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "plans_map.png"))

        # Another measure: the data is fetched again and the legend changes, no reload.
        with page.expect_response(lambda r: "measure=open" in r.url and r.ok):
            page.locator("label[for=plans-measure-open]").click()
        page.wait_for_selector("#plans-map-legend[data-measure=open]")
        assert "%" not in legend.inner_text()
        assert page.locator("#plans-map").get_attribute("data-measure") == "open"

        # The week slider: one step back is week 47, fetched when let go.
        slider = page.locator("#plans-week-slider")
        slider.focus()
        with page.expect_response(lambda r: "week=2026-11-16" in r.url and r.ok):
            page.keyboard.press("ArrowLeft")
        page.wait_for_selector("#plans-map[data-week='2026-11-16']")
        assert "第47周" in page.locator("#plans-week-label").inner_text() or "47" in (
            page.locator("#plans-week-label").inner_text()
        )
        # The address follows the choice.
        assert "week=2026-11-16" in page.url and "measure=open" in page.url

        # Hover names the area and its value; a click opens its sheet.
        polygons.first.hover()
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for()
        assert re.search("甲[一二]片区", tooltip.inner_text())
        polygons.first.click()
        page.wait_for_url(re.compile(r"/plans/area/GC01-01-[AB]/\?campaign=SQSC"))
        assert re.match("甲[一二]片区", page.locator("h1").inner_text())
        assert page.locator("#sheet-progress").is_visible()
        page.screenshot(path=str(SHOTS / "plans_sheet.png"), full_page=True)


def test_the_battle_map_prints_on_a3_without_navigation(world, plan, page):
    with time_machine.travel(datetime.datetime(2026, 11, 26, 10, tzinfo=datetime.UTC)):
        page.set_viewport_size({"width": 1280, "height": 900})
        login(page, world.admin.username, "/plans/map/")
        page.locator("#plans-map path.leaflet-interactive").first.wait_for()
        page.emulate_media(media="print")
        assert not page.locator(".zx-nav").is_visible()
        assert not page.locator("#plans-map-form").is_visible()
        assert page.locator("#plans-map").is_visible()
        assert page.locator("#plans-map-legend").is_visible()
        page.screenshot(path=str(SHOTS / "plans_map_print.png"))
