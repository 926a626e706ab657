"""A person logs in through the real login form and opens the territory map in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_office_admin_logs_in_and_sees_the_area_polygons(world, page):
    page.goto("/territory/")
    # Not logged in: the login page comes first, in Chinese by default.
    expect_url = re.compile(r"/login/\?next=/territory/")
    page.wait_for_url(expect_url)
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.fill("#id_username", "13800000001")  # the office admin's mobile number
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/territory/$"))

    # The map draws one SVG path per area polygon in scope.
    page.wait_for_selector("#territory-map .leaflet-interactive")
    assert page.locator("#territory-map .leaflet-interactive").count() == 3
    assert "甲一片区" in page.content()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "territory-map.png"), full_page=True)


def test_wrong_password_keeps_the_person_on_the_login_page(world, page):
    page.goto("/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    page.wait_for_selector(".alert-danger")
    assert "/login/" in page.url
