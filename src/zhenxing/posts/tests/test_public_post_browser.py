"""A resident scans a sign's QR code on a phone, reads the post and reports a problem there."""

from __future__ import annotations

import re

import pytest

from zhenxing.core.privacy import mask_mobile
from zhenxing.posts.models import CaseOrigin, PostCase
from zhenxing.posts.testing import MEMBER_A_MOBILE
from zhenxing.public.models import ResidentReport
from zhenxing.public.testing import jpeg_with_exif

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOT = "/tmp/posts_public_post.png"  # noqa: S108  (the lead looks at it)


def test_from_the_post_page_to_a_report_at_the_post(
    world,
    posts,
    cats,
    page,
    settings,
    private_media,
):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 8
    post = posts.post_a1
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"/public/posts/{post.public_token}/")
    assert page.locator("#post-name").inner_text() == post.name
    assert mask_mobile(MEMBER_A_MOBILE) in page.locator("#post-holders").inner_text()
    # Phone first: nothing sticks out sideways, and the button is on the first screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    button = page.locator("#report-here")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 812 and box["width"] > 300
    page.screenshot(path=SHOT, full_page=True)

    button.click()
    page.wait_for_url(re.compile(r"/public/report/\?post="))
    assert post.name in page.locator("#reporting-post").inner_text()
    # The pin starts at the post's place.
    page.wait_for_selector("#report-map[data-pinned='1']")
    assert float(page.input_value("#id_lat")) == pytest.approx(post.lat)

    page.set_input_files(
        "#id_photos",
        files=[{"name": "spot.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}],
    )
    page.select_option("#id_category", str(cats.garbage.pk))
    page.fill("#id_description", "岗位旁边垃圾桶满了")
    page.locator("#report-form button[type=submit]").click()
    code = page.locator("#tracking-code")
    code.wait_for(timeout=30000)
    report = ResidentReport.objects.get(tracking_code=code.inner_text().strip())
    link = PostCase.objects.get(case=report.case)
    assert link.post == post and link.origin == CaseOrigin.RESIDENT
