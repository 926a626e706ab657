"""In Chromium, on a phone: a party member checks in at a post with a photo and a problem."""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD
from zhenxing.cases.models import Case, Source
from zhenxing.cases.testing import jpeg_bytes
from zhenxing.posts.models import Patrol, PatrolPhoto, PostCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


def test_member_checks_in_with_a_photo_and_a_problem(
    world,
    posts,
    cats,  # noqa: F811
    private_media,
    page,
    tmp_path,
):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size(PHONE)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 23.0052, "longitude": 113.1048, "accuracy": 9})

    page.goto("/login/?next=/posts/mine/")
    page.fill("#id_username", world.party_member_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/posts/mine/$"))

    card = page.locator(f"#post-{posts.post_a1.pk}")
    assert posts.post_a1.name in card.text_content()
    card.locator(f"a[href='/posts/{posts.post_a1.pk}/patrol/']").click()
    page.wait_for_url(re.compile(rf"/posts/{posts.post_a1.pk}/patrol/$"))

    # Nothing overflows a 375 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("#use-location")
    page.wait_for_function("document.querySelector('[name=lat]').value !== ''")
    assert page.input_value("[name=lat]") == "23.005200"
    assert page.input_value("[name=accuracy]") == "9"
    assert "9" in page.text_content("#location-status")

    photo = tmp_path / "spot.jpg"
    photo.write_bytes(jpeg_bytes(size=(120, 90)))
    page.set_input_files("#id_photos", str(photo))
    page.fill("#id_note", "巡查一圈")

    problem = page.locator("#problem-fields")
    assert problem.is_hidden()
    page.check("#id_problem")
    assert problem.is_visible()
    # The post type's usual category is not set in this world: choose one.
    page.select_option("#id_category", str(cats.garbage.pk))
    page.fill("#id_description", "路口垃圾堆积")
    page.click("#patrol-submit")
    page.wait_for_url(re.compile(r"/posts/mine/$"))

    case = Case.objects.get()
    assert case.source == Source.PARTY_PATROL
    assert case.number in page.text_content("main")
    patrol = Patrol.objects.get()
    assert (round(patrol.lat, 4), round(patrol.lng, 4)) == (23.0052, 113.1048)
    assert PatrolPhoto.objects.filter(patrol=patrol).count() == 1
    assert PostCase.objects.get().patrol == patrol
    assert errors == []
