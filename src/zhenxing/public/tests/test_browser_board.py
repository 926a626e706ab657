"""The board on a phone (375×812, Chinese), as a resident opens it from WeChat."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhenxing.public.testing import closed_case, publish_directly, reported_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp")  # noqa: S108


@pytest.fixture
def on_board(world, cats, private_media):
    fixed = publish_directly(closed_case(world, cats.garbage), title="路口暴露垃圾已清理")
    fixing = publish_directly(
        reported_case(world, cats.garbage, lat=23.007, lng=113.107), title="河边堆放杂物"
    )
    return fixed, fixing


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_board_fits_a_phone_with_both_photos_on_each_card(on_board, page):
    fixed, fixing = on_board
    page.set_viewport_size(PHONE)
    page.goto("/public/")
    card = page.locator(f".zx-pb-card[data-number='{fixed.case.number}']")
    card.wait_for()
    images = card.locator(".zx-pb-pair img")
    assert images.count() == 2
    for i in range(2):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle()
        )
    # Side by side: the after photo starts to the right of the before photo, on the same row.
    before, after = images.nth(0).bounding_box(), images.nth(1).bounding_box()
    assert after["x"] >= before["x"] + before["width"] - 1
    assert abs(after["y"] - before["y"]) < 2
    # The open case waits for its after photo.
    waiting = page.locator(f".zx-pb-card[data-number='{fixing.case.number}'] .zx-pb-nophoto")
    assert waiting.is_visible()
    # One column of cards, and nothing wider than the phone.
    assert no_horizontal_scroll(page)
    width = card.bounding_box()["width"]
    assert 300 < width <= PHONE["width"]
    # The map draws both published spots.
    page.wait_for_selector("#public-map[data-points='2']")
    page.screenshot(path=str(SHOTS / "public_board.png"), full_page=True)


def test_the_case_page_shows_the_pair_side_by_side_and_zooms(on_board, page):
    fixed, _fixing = on_board
    page.set_viewport_size(PHONE)
    page.goto(f"/public/cases/{fixed.case.number}/")
    images = page.locator("#case-photos img")
    assert images.count() == 2
    for i in range(2):
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle()
        )
    before, after = images.nth(0).bounding_box(), images.nth(1).bounding_box()
    assert after["x"] >= before["x"] + before["width"] - 1
    assert abs(after["y"] - before["y"]) < 2
    assert no_horizontal_scroll(page)
    assert page.locator("#share-link").is_visible()
    assert page.locator("#case-timeline li").count() == 4
    page.screenshot(path=str(SHOTS / "public_case.png"), full_page=True)
    # Tap a photo: it fills the screen; tap again to close.
    images.nth(0).click()
    zoom = page.locator(".zx-pb-zoom img")
    zoom.wait_for()
    assert zoom.bounding_box()["width"] > before["width"]
    page.locator(".zx-pb-zoom").click()
    assert page.locator(".zx-pb-zoom").count() == 0
