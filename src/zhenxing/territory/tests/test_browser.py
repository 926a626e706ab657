"""The territory maps in Chromium: polygons drawn, names on hover, a click opens the region."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"


def login(page, live_server, client, user) -> None:
    """Reuse the test client's session in the browser (the login form has its own test)."""
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_the_browser_map_names_areas_and_opens_them(world, page, live_server, client):
    login(page, live_server, client, world.secretary_a)
    page.goto("/territory/")
    paths = page.locator("#territory-map path.leaflet-interactive")
    paths.first.wait_for()
    # The secretary of 社区甲 sees its two areas, not 社区乙's.
    assert paths.count() == 2
    assert page.locator("#territory-map").get_attribute("data-features") == "2"
    # Both areas lie in 社区甲, so they share its colour.
    fills = {paths.nth(i).get_attribute("fill") for i in range(2)}
    assert len(fills) == 1 and None not in fills
    paths.first.hover()
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() in {"甲一片区", "甲二片区"}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "territory-browser-hover.png"))
    paths.first.click()
    page.wait_for_url(re.compile(r"/territory/r/GC01-01-[AB]/$"))
    assert page.locator("h1").inner_text().startswith(("甲一片区", "甲二片区"))


def test_the_region_page_draws_the_region_and_its_children(world, page, live_server, client):
    login(page, live_server, client, world.admin)
    page.goto("/territory/r/GC01-01/")
    page.locator("#region-map path.leaflet-interactive").first.wait_for()
    assert page.locator("#region-map path.leaflet-interactive").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "territory-region.png"), full_page=True)
