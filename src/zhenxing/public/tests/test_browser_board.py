"""The board on a phone (375×812, Chinese), as a resident opens it from WeChat."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import square
from zhenxing.public.testing import closed_case, publish_directly, reported_case
from zhenxing.territory.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp")  # noqa: S108


@pytest.fixture
def on_board(world, cats, private_media):
    # The communities' own outlines, around their areas (the world gives only the areas').
    Region.objects.filter(pk=world.a.pk).update(geometry=square(113.10, 23.00, 0.02))
    Region.objects.filter(pk=world.b.pk).update(geometry=square(113.12, 23.00))
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
    # The map draws both published spots, over the communities' outlines and names.
    page.wait_for_selector("#public-map[data-points='2']")
    page.wait_for_selector("#public-map[data-areas='2']")
    labels = page.locator("#public-map .zx-pb-area-label")
    assert sorted(labels.all_inner_texts()) == ["社区乙", "社区甲"]
    # The points take their badges' colours: the fixed one is the fixed badge's green.
    badge_green = page.evaluate(
        "() => getComputedStyle(document.querySelector('.zx-ps-fixed')).backgroundColor"
    )
    assert badge_green == "rgb(21, 115, 71)"
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
    # Tap a photo: it fills the screen with its caption and a close button.
    images.nth(0).click()
    zoom = page.locator(".zx-pb-zoom img")
    zoom.wait_for()
    assert zoom.bounding_box()["width"] > before["width"]
    close = page.locator(".zx-pb-zoom-close")
    assert close.is_visible() and close.get_attribute("aria-label") == "关闭"
    assert close.bounding_box()["width"] >= 44
    assert page.locator(".zx-pb-zoom-caption").inner_text() == "整改前"
    close.click()
    assert page.locator(".zx-pb-zoom").count() == 0
    # The after photo: its own caption; Escape closes.
    images.nth(1).click()
    page.locator(".zx-pb-zoom").wait_for()
    assert page.locator(".zx-pb-zoom-caption").inner_text() == "整改后"
    page.keyboard.press("Escape")
    assert page.locator(".zx-pb-zoom").count() == 0
    # A tap outside the photo (above it, by the caption's band) closes it too.
    images.nth(0).click()
    page.locator(".zx-pb-zoom").wait_for()
    page.mouse.click(20, 20)
    assert page.locator(".zx-pb-zoom").count() == 0


def test_an_open_case_page_shows_two_equal_boxes(on_board, page):
    _fixed, fixing = on_board
    page.set_viewport_size(PHONE)
    page.goto(f"/public/cases/{fixing.case.number}/")
    before = page.locator("#case-photos .zx-pb-photo-before img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=before.element_handle()
    )
    waiting = page.locator("#case-photos .zx-pb-photo-after .zx-pb-nophoto")
    assert waiting.inner_text() == "暂无整改后照片" or waiting.inner_text() == "No after photo yet"
    a, b = before.bounding_box(), waiting.bounding_box()
    # Side by side, the same size, both 4:3.
    assert abs(a["width"] - b["width"]) < 2 and abs(a["height"] - b["height"]) < 2
    assert abs(a["y"] - b["y"]) < 2
    assert abs(a["width"] / a["height"] - 4 / 3) < 0.02
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / "public_case_open.png"), full_page=True)
