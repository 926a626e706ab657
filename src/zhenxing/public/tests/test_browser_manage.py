"""In Chromium: the office opens a case on the publishing desk, blacks out part of its
before photo with the mouse, publishes it, and the public copy is black in that box."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from conftest import PASSWORD
from zhenxing.cases import services as case_services
from zhenxing.cases.models import PhotoKind
from zhenxing.cases.photos import private_storage, validate_photos
from zhenxing.cases.testing import upload
from zhenxing.public.models import Publication
from zhenxing.public.testing import (
    SECRET_MOBILE,
    closed_case,
    jpeg_with_exif,
    publish_directly,
    rectified_case,
    reported_case,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def photo_with_exif() -> bytes:
    """A 480×360 red photo carrying GPS, a camera make and a mobile number in its comment."""
    exif = Image.open(io.BytesIO(jpeg_with_exif())).getexif()
    out = io.BytesIO()
    Image.new("RGB", (480, 360), (220, 30, 30)).save(
        out, "JPEG", exif=exif.tobytes(), comment=SECRET_MOBILE.encode(), quality=95
    )
    return out.getvalue()


def test_redact_and_publish(world, cats, private_media, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    case = case_services.case_report(
        actor=None,
        category=cats.garbage,
        source="resident",
        description=f"路口垃圾 {SECRET_MOBILE}",
        lat=23.005,
        lng=113.105,
        photos=validate_photos([upload("spot.jpg", photo_with_exif())]),
        reporter_mobile=SECRET_MOBILE,
    )
    target = f"/public/manage/cases/{case.number}/"
    log_in(page, "office", target)
    assert SECRET_MOBILE not in page.content()

    # The before photo is chosen already (the case's only one); the editor shows it.
    stage = page.locator("[data-layer]")
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-image]'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
    # The mouse draws in the viewport: bring the photo into it first.
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    assert box and box["width"] > 100
    # Black out the left half, top to bottom (from just outside the photo: clamped to it).
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] - 2, steps=5)
    page.mouse.up()
    assert page.locator("[data-count]").text_content() == "1"
    drawn = page.input_value("input[name=redactions]")
    assert drawn.startswith("[{")
    page.screenshot(path=str(SHOTS / "public_manage_redact.png"), full_page=True)
    page.click("#photo-submit")
    page.wait_for_url(re.compile(re.escape(target) + "#copies$"))
    page.wait_for_selector("#copy-before")

    # Publishing asks first and says what will happen.
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#publish-button")
    page.wait_for_selector('#board-state[data-state="published"]')
    assert dialogs and len(dialogs[0]) > 10
    page.screenshot(path=str(SHOTS / "public_manage_published.png"), full_page=True)

    publication = Publication.objects.select_related("before_photo").get(case=case)
    assert publication.is_published
    photo = publication.before_photo
    assert photo.kind == PhotoKind.BEFORE and len(photo.redactions) == 1
    drawn_box = photo.redactions[0]
    assert drawn_box["x"] < 0.02 and drawn_box["y"] < 0.02
    assert 0.45 < drawn_box["w"] < 0.52 and drawn_box["h"] > 0.97
    data = private_storage.open(photo.image).read()
    assert b"Exif" not in data and SECRET_MOBILE.encode() not in data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (480, 360)
    for x, y in ((10, 10), (120, 180), (200, 340)):
        assert max(image.getpixel((x, y))) < 24, (x, y)
    assert image.getpixel((400, 180))[0] > 180
    # The desk's list has it on the board, with a way to take it off.
    page.goto("/public/manage/")
    assert page.locator(f"#published-{case.number}").count() == 1
    page.screenshot(path=str(SHOTS / "public_manage_list.png"), full_page=True)
    assert not errors


def test_desk_at_a_laptops_size(world, cats, private_media, page):
    """The desk's lists and a publishing page at 1366×900, in Chinese, as the office sees them."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1366, "height": 900})
    fixed = closed_case(world, cats.garbage)
    publish_directly(fixed, actor=world.admin, title="叠南路口暴露垃圾")
    checking = rectified_case(world, cats.garbage, lat=23.004)
    publish_directly(checking, actor=world.admin, title="村道旁垃圾堆放")
    candidate_fixed = closed_case(world, cats.garbage)
    candidate_checking = rectified_case(world, cats.garbage, lat=23.003)
    newest = reported_case(world, cats.garbage, lat=23.006, lng=113.106)

    log_in(page, "office", "/public/manage/")
    # The board's words beside the office's own status.
    assert page.locator(f"#published-{fixed.number} [data-board-status]").inner_text() == "已整改"
    checking_row = page.locator(f"#published-{checking.number}")
    assert checking_row.locator("[data-board-status]").inner_text() == "已整改待核查"
    assert "待核查" in checking_row.locator("td").nth(4).inner_text()  # the office's status
    assert "/" not in page.locator("#published-table time").first.inner_text()
    page.screenshot(path=str(SHOTS / "public_manage_desk_list.png"), full_page=True)

    # Candidates: both photos first, the closed one on top, the newest report last.
    page.click("#manage-tabs >> text=可发布")
    page.wait_for_selector("#candidate-table")
    rows = page.locator("#candidate-table tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    assert rows == [
        f"candidate-{candidate_fixed.number}",
        f"candidate-{candidate_checking.number}",
        f"candidate-{newest.number}",
    ]
    page.screenshot(path=str(SHOTS / "public_manage_desk_candidates.png"), full_page=True)
    # The photos filter narrows them to the cases with both photos.
    page.select_option("select[name=photos]", "both")
    page.click(".zx-filter-bar button[type=submit]")
    page.wait_for_url(re.compile(r"photos=both"))
    rows = page.locator("#candidate-table tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    assert rows == [f"candidate-{candidate_fixed.number}", f"candidate-{candidate_checking.number}"]

    # A published case's page: on the board, in the board's words.
    page.goto(f"/public/manage/cases/{fixed.number}/")
    assert page.locator("#board-state").get_attribute("data-state") == "published"
    assert page.locator("#board-status [data-board-status]").inner_text() == "已整改"
    picker = page.locator(".zx-pick").inner_text()
    assert "/" not in picker and "年" in picker
    page.screenshot(path=str(SHOTS / "public_manage_desk_case.png"), full_page=True)

    # The staff case page says whether it is on the board, and leads to the desk.
    page.goto(reverse("cases:detail", args=[fixed.number]))
    button = page.locator("#case-publishing")
    assert "已上曝光台" in button.inner_text()
    page.goto(reverse("cases:detail", args=[newest.number]))
    assert "未上曝光台" in page.locator("#case-publishing").inner_text()
    page.screenshot(path=str(SHOTS / "public_manage_case_detail.png"))
    assert not errors
