"""In Chromium: an inspector files a case from the field form; the secretary dispatches it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD
from zhenxing.cases.models import Case, Status
from zhenxing.cases.tests.conftest import cats, jpeg_bytes  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_an_inspector_files_and_the_secretary_dispatches(world, cats, private_media, page):  # noqa: F811
    page.set_viewport_size({"width": 412, "height": 915})  # a phone
    log_in(page, "insp_a", "/cases/new/")

    # The areas in the inspector's scope are drawn; a tap on one puts the pin there.
    page.wait_for_selector("#intake-map .leaflet-interactive")
    assert page.locator("#intake-map .leaflet-interactive").count() == 2
    page.select_option("#id_category", str(cats.garbage.pk))
    page.fill("#id_description", "村口桥下暴露垃圾")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "spot.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((640, 480))}],
    )
    page.locator("#intake-map .leaflet-interactive").first.click()
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    assert page.locator("#intake-map").get_attribute("data-pinned") == "1"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "case_form.png"), full_page=True)
    page.click(".zx-submit-bar button[type=submit]")

    page.wait_for_url(re.compile(r"/cases/c/\d+/$"))
    case = Case.objects.get()
    assert case.region == world.area_a1 and case.status == Status.REPORTED
    assert case.description == "村口桥下暴露垃圾" and case.photos.count() == 1
    assert case.number in page.content()
    # The before-photo's thumbnail is served (and made on the spot: no worker runs here).
    page.wait_for_function(
        "document.querySelector('#photos-before img') && "
        "document.querySelector('#photos-before img').naturalWidth > 0"
    )

    # The secretary accepts and dispatches it, on a desktop.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "sec_a", f"/cases/c/{case.number}/")
    page.click("#action-accept summary")
    page.click("#action-accept button[type=submit]")
    page.wait_for_selector(".alert-success")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED

    page.click("#action-dispatch summary")
    # The community is offered first: the category's default handler.
    assert page.input_value("#action-dispatch select[name=target]") == f"region:{world.a.pk}"
    page.fill("#action-dispatch textarea[name=note]", "请三天内清理")
    page.click("#action-dispatch button[type=submit]")
    page.wait_for_selector(".alert-success")
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.assigned_region == world.a
    assert case.deadline is not None

    page.wait_for_selector("#case-map .leaflet-interactive")
    assert page.locator(".zx-timeline-item").count() == 3
    page.screenshot(path=str(SHOTS / "case_detail.png"), full_page=True)


def test_a_nearby_open_case_is_offered_and_the_report_added_to_it(
    world,
    cats,  # noqa: F811
    private_media,  # noqa: F811
    page,
):
    from zhenxing.cases import services
    from zhenxing.cases.photos import validate_photos
    from zhenxing.cases.tests.conftest import IN_A1, upload

    existing = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="已有的案卷",
        lat=IN_A1[0],
        lng=IN_A1[1],
        photos=validate_photos([upload()]),
    )
    page.set_viewport_size({"width": 412, "height": 915})
    log_in(page, "pm_a", "/cases/new/")
    page.wait_for_selector("#intake-map .leaflet-interactive")
    page.select_option("#id_category", str(cats.garbage.pk))
    page.fill("#id_description", "这里又堆了垃圾")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "more.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    # The pin lands in the middle of 甲一片区, a few metres from the open case.
    page.locator("#intake-map .leaflet-interactive").first.click()
    page.wait_for_selector(f"#duplicates >> text={existing.number}")
    # Sending it as new without saying so is stopped on the page, photos and all kept.
    page.click(".zx-submit-bar button[type=submit]")
    page.wait_for_selector("#duplicates-choice:not([hidden])")
    assert "/cases/new/" in page.url and Case.objects.count() == 1
    page.click("#duplicates button[formaction]")

    page.wait_for_url(re.compile(rf"/cases/c/{existing.number}/$"))
    page.wait_for_selector(".alert-success")
    existing.refresh_from_db()
    assert existing.report_count == 2 and existing.photos.count() == 2
    assert Case.objects.count() == 1
