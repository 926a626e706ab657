"""A resident reports from a phone in Chromium: photo, pin, proof of work, code, tracking."""

from __future__ import annotations

import re

import pytest

from zhenxing.cases.models import Case, Source
from zhenxing.public.models import ResidentReport
from zhenxing.public.testing import SECRET_MOBILE, jpeg_with_exif

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOT = "/tmp/public_report.png"  # noqa: S108  (the lead looks at it)
SHOT_DONE = "/tmp/public_report_done.png"  # noqa: S108

# FIPS 180-2 test vectors, and one in UTF-8.
VECTORS = {
    "abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    "中文": "72726d8818f693066ceb69afa364218b692e62ea92b385782363780f47529c21",
}


@pytest.fixture
def phone(page, settings, private_media):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 8
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_our_sha256_matches_the_known_vectors(world, phone):
    phone.goto("/public/report/")
    phone.wait_for_function("typeof window.zxSha256 !== 'undefined'")
    for text, digest in VECTORS.items():
        assert phone.evaluate("t => window.zxSha256.hex(t)", text) == digest
    # A million 'a's spans many blocks.
    million = phone.evaluate("() => window.zxSha256.hex('a'.repeat(1000000))")
    assert million == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def test_a_resident_reports_from_a_phone_and_follows_it(world, cats, phone):
    phone.goto("/public/report/")
    map_el = phone.locator("#report-map")
    phone.wait_for_selector("#report-map[data-features='3']")

    # The mobile's placeholder is a hint, not a number that looks typed in.
    assert not phone.get_attribute("#id_mobile", "placeholder").isdigit()
    phone.set_input_files(
        "#id_photos",
        files=[
            {"name": "spot.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()},
            {"name": "more.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif(color="blue")},
        ],
    )
    # A small preview of each chosen photo.
    phone.wait_for_selector("#photo-previews[data-count='2']")
    previews = phone.locator("#photo-previews img")
    assert previews.count() == 2
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=previews.nth(0).element_handle()
    )
    assert previews.nth(0).bounding_box()["width"] <= 80
    phone.select_option("#id_category", str(cats.garbage.pk))
    phone.fill("#id_description", "村口垃圾堆了三天")
    phone.fill("#id_mobile", SECRET_MOBILE)

    # Tap the middle of the map: the outlines fill it, so the tap lands in the territory.
    map_el.scroll_into_view_if_needed()
    box = map_el.bounding_box()
    phone.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.wait_for_selector("#report-map[data-pinned='1']")
    assert phone.input_value("#id_lat") and phone.input_value("#id_lng")
    assert phone.locator("#clear-pin").is_visible()
    phone.screenshot(path=SHOT, full_page=True)

    phone.locator("#report-form button[type=submit]").click()
    code_el = phone.locator("#tracking-code")
    code_el.wait_for(timeout=30000)
    code = code_el.inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{10}", code)
    # The browser solved the challenge: the server filed the case only after checking it.
    report = ResidentReport.objects.select_related("case").get(tracking_code=code)
    assert report.case.source == Source.RESIDENT and Case.objects.count() == 1
    assert report.case.region in (world.area_a1, world.area_a2, world.area_b1)
    assert SECRET_MOBILE not in phone.content()
    phone.screenshot(path=SHOT_DONE, full_page=True)

    phone.locator("#track-link").click()
    phone.wait_for_url(re.compile(rf"/public/track/{code}/$"))
    assert phone.locator("#track-status").is_visible()
    # Received so far; what comes next is listed without a date.
    assert phone.locator("#track-steps li.done").count() == 1
    assert phone.locator("#track-steps li.todo").count() == 3
    assert SECRET_MOBILE not in phone.content()


def test_on_a_small_phone_only_the_button_stays_on_screen(world, page, settings):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 8
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/public/report/")
    page.wait_for_selector("#report-map[data-features='3']")
    bar = page.locator(".zx-report-submit")
    box = bar.bounding_box()
    # At the top of the page the sticky bar sits at the bottom of the screen: the button only.
    assert box["y"] + box["height"] <= 812 + 1
    assert box["height"] < 812 * 0.12, box
    assert "公开" not in bar.inner_text() and "public" not in bar.inner_text()
    # The privacy note is in the flow, just above the button at the end of the form.
    assert page.locator("#privacy-note").count() == 1
    # The photo field says it is required.
    assert page.locator("label[for='id_photos'] .text-danger").inner_text() == "*"
    page.screenshot(path="/tmp/public_report_phone.png", full_page=False)  # noqa: S108


def test_a_refused_report_keeps_the_input(world, cats, phone):
    phone.goto("/public/report/")
    phone.wait_for_selector("#report-map[data-features='3']")
    phone.set_input_files(
        "#id_photos",
        files=[{"name": "bad.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}],
    )
    phone.select_option("#id_category", str(cats.garbage.pk))
    phone.fill("#id_description", "河里有垃圾")
    phone.locator("#report-form button[type=submit]").click()
    phone.wait_for_selector("[data-photos-again]")
    assert phone.input_value("#id_description") == "河里有垃圾"
    assert phone.locator(".invalid-feedback").count() >= 1
    assert not Case.objects.exists()
