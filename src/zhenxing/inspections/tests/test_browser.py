"""In Chromium, on a phone: the inspector opens today's list, scores an area, a case opens."""

# The fixtures `insp`, `round_a` and `private_media` come from this app's conftest.

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD
from zhenxing.cases.models import Case
from zhenxing.inspections.models import Finding, InspectionStatus

from .conftest import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108
PHONE = {"width": 390, "height": 844}


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


@pytest.fixture
def page_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_an_inspector_scores_an_area_on_a_phone(
    world, insp, round_a, private_media, page, page_errors
):
    page.set_viewport_size(PHONE)
    log_in(page, "insp_a", "/inspections/mine/")
    cards = page.locator(".zx-mine-card")
    assert cards.count() == 2
    page.click(f"a[href='/inspections/i/{round_a.i1.pk}/score/']")
    page.wait_for_url(re.compile(rf"/inspections/i/{round_a.i1.pk}/score/$"))

    item = page.locator(f"#item-{insp.garbage.pk}")
    assert page.text_content("#score-total") == "100"
    # Nothing found yet: the item's note, photos and case switch stay out of the way.
    assert item.locator("[data-item-more]").is_hidden()
    plus = item.locator("button[data-step='1']")
    box = plus.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    plus.click()
    plus.click()
    assert item.locator(".zx-count").input_value() == "2"
    assert page.text_content("#score-total") == "96"
    assert page.text_content("#score-deducted") == "−4"
    assert item.locator("[data-item-points]").text_content() == "−4"
    assert item.locator("[data-item-more]").is_visible()
    assert item.locator(f"#id_case_{insp.garbage.pk}").is_checked()
    # The cap holds in the preview as on the server: 6 × −2 is −10 at most.
    for _n in range(4):
        plus.click()
    assert page.text_content("#score-total") == "90"
    item.locator("button[data-step='-1']").click()
    item.locator("button[data-step='-1']").click()
    item.locator("button[data-step='-1']").click()
    item.locator("button[data-step='-1']").click()
    assert page.text_content("#score-total") == "96"
    item.locator(f"#id_note_{insp.garbage.pk}").fill("桥下两堆")

    # Photos: a big "Take photos" button opens the camera / file chooser; the input itself is
    # visually hidden, so the browser's own "Choose Files" wording never shows.
    take = item.locator(".zx-photo-button")
    box = take.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    hidden_input = item.locator(f"#id_photos_{insp.garbage.pk}").bounding_box()
    assert hidden_input is not None and hidden_input["width"] <= 1
    count = item.locator("[data-photo-count]")
    none_text = count.get_attribute("data-text-none")
    assert count.text_content() == none_text
    with page.expect_file_chooser() as chooser:
        take.click()
    assert chooser.value.is_multiple()
    chooser.value.set_files(
        [
            {"name": f"spot{n}.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
            for n in range(2)
        ]
    )
    assert "2" in count.text_content() and count.text_content() != none_text

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "score.png"))
    page.screenshot(path=str(SHOTS / "score_full.png"), full_page=True)

    # Declining the confirmation sends nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#score-submit")
    assert "/score/" in page.url
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.PENDING

    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("#score-submit")
    page.wait_for_url(re.compile(rf"/inspections/i/{round_a.i1.pk}/$"))
    page.wait_for_selector("#inspection-score")
    assert messages and messages[0]
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.SUBMITTED and round_a.i1.score == 96
    found = Finding.objects.get(inspection=round_a.i1)
    assert found.count == 2 and found.note == "桥下两堆" and found.photos.count() == 2
    case = Case.objects.get()
    assert found.case == case
    assert "96" in page.text_content("#inspection-score")
    assert case.number in page.text_content(".alert-success")
    assert page.locator(f"#finding-{found.pk} a[href='/cases/c/{case.number}/']").count() == 1
    page.screenshot(path=str(SHOTS / "inspection_detail.png"), full_page=True)
    assert page_errors == []
