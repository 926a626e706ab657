"""In Chromium: the photo forms show upload progress, survive a dropped connection, and show
the server's refusal exactly as a plain submit would (cases/upload.js)."""

# The fixture `cats` comes by import (`private_media` from the root conftest).
# ruff: noqa: F811

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD
from zhenxing.cases import services
from zhenxing.cases.models import Case, Status
from zhenxing.cases.tests.conftest import (  # noqa: F401 (fixtures)
    IN_A1,
    cats,
    jpeg_bytes,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108
CASE_PAGE = re.compile(r"/cases/c/(\d+)/$")

# Every value the progress bar and the panel's state take, in order, kept on the page's
# window (which outlives the document that upload.js replaces with the server's answer).
WATCH_PANEL = """
window.zxSeen = window.zxSeen || [];
new MutationObserver(function (records) {
  records.forEach(function (r) {
    if (r.target.closest && r.target.closest("[data-upload-panel]")) {
      window.zxSeen.push(r.attributeName + "=" + r.target.getAttribute(r.attributeName));
    }
  });
}).observe(document, {
  subtree: true, attributes: true, attributeFilter: ["aria-valuenow", "data-upload-state"]
});
"""


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def photo(name: str = "spot.jpg", size: tuple[int, int] = (640, 480)) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(size)}


def fill_intake(page, cats, *, description: str = "村口桥下暴露垃圾") -> None:
    page.wait_for_selector("#intake-map .leaflet-interactive")
    page.select_option("#id_category", str(cats.garbage.pk))
    if description:
        page.fill("#id_description", description)
    page.set_input_files("#id_photos", files=[photo()])
    page.locator("#intake-map .leaflet-interactive").first.click()
    page.wait_for_function("document.getElementById('id_lat').value !== ''")


@pytest.fixture
def page_errors(page) -> list[str]:
    """Script errors on the page: the swapped-in documents must run their scripts cleanly."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def seen(page) -> list[str]:
    return page.evaluate("window.zxSeen || []")


def test_the_report_shows_its_progress_and_lands_on_the_case_page(
    world, cats, private_media, page, page_errors
):
    page.set_viewport_size({"width": 412, "height": 915})
    page.add_init_script(WATCH_PANEL)
    log_in(page, "insp_a", "/cases/new/")
    form = page.locator("#case-form")
    assert form.get_attribute("data-upload-progress") is not None
    panel = form.locator("[data-upload-panel]")
    assert panel.is_hidden()
    fill_intake(page, cats)
    # A photo big enough to take more than one step on its way.
    page.set_input_files("#id_photos", files=[photo(size=(2400, 1800))])

    page.click(".zx-submit-bar button[type=submit]")
    page.wait_for_url(CASE_PAGE)

    case = Case.objects.get()
    assert case.status == Status.REPORTED and case.photos.count() == 1
    states = seen(page)
    assert "data-upload-state=sending" in states
    assert "aria-valuenow=100" in states
    assert states.index("data-upload-state=processing") > states.index("aria-valuenow=100")
    # The page the redirect led to, whole: its "filed" message (which a second request for
    # the same address would no longer carry) and its map, drawn by its own scripts.
    assert page.locator(".alert-success").count() == 1
    assert case.number in page.locator(".alert-success").inner_text()
    page.wait_for_selector("#case-map .leaflet-interactive")
    assert case.number in page.title()
    assert page_errors == []


def test_a_dropped_connection_is_retried_with_the_same_photos(
    world, cats, private_media, page, page_errors
):
    page.set_viewport_size({"width": 412, "height": 915})
    log_in(page, "insp_a", "/cases/new/")
    posts: list[str] = []

    def first_post_lost(route) -> None:
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 1:
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route("**/cases/new/", first_post_lost)
    fill_intake(page, cats)
    page.click(".zx-submit-bar button[type=submit]")

    retry = page.locator("[data-upload-retry]")
    retry.wait_for(state="visible")
    panel = page.locator("[data-upload-panel]")
    assert panel.get_attribute("data-upload-state") == "error"
    assert page.locator("[data-upload-error][role=alert]").is_visible()
    assert page.locator("[data-upload-cancel]").is_visible()
    # Nothing arrived; the page, the chosen photo and the pin are all still here.
    assert Case.objects.count() == 0 and len(posts) == 1
    assert page.evaluate("document.getElementById('id_photos').files.length") == 1
    assert page.locator(".zx-submit-bar button[type=submit]").is_enabled()
    box = retry.bounding_box()
    assert box is not None and box["height"] >= 44
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".zx-submit-bar").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "upload_retry.png"))

    retry.click()
    page.wait_for_url(CASE_PAGE)
    assert len(posts) == 2
    case = Case.objects.get()  # exactly one case
    assert case.photos.count() == 1 and case.description == "村口桥下暴露垃圾"
    assert case.number in page.url
    assert page_errors == []


def test_the_servers_refusal_shows_in_the_page_and_the_form_sends_again(
    world,
    cats,
    private_media,
    page,
    page_errors,
):
    page.set_viewport_size({"width": 412, "height": 915})
    log_in(page, "insp_a", "/cases/new/")
    fill_intake(page, cats, description="")  # the form is `novalidate`: the server judges
    responses: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            responses.append((r.status, r.request.resource_type))
            if r.request.method == "POST"
            else None
        ),
    )
    page.click(".zx-submit-bar button[type=submit]")

    # The server's 400 page in place of the form: the field named, the input kept.
    page.wait_for_selector("#id_description.is-invalid, #id_description + .invalid-feedback")
    assert responses == [(400, "xhr")]
    assert page.url.endswith("/cases/new/") and Case.objects.count() == 0
    assert page.locator(".invalid-feedback").count() >= 1
    assert page.input_value("#id_category") == str(cats.garbage.pk)
    assert page.input_value("#id_lat") != ""
    # The new document's scripts ran: the map is drawn and the form is enhanced again.
    page.wait_for_selector("#intake-map .leaflet-interactive")
    assert page.locator("#case-form [data-upload-panel]").is_hidden()

    page.fill("#id_description", "村口桥下暴露垃圾")
    page.set_input_files("#id_photos", files=[photo()])
    page.click(".zx-submit-bar button[type=submit]")
    page.wait_for_url(CASE_PAGE)
    assert responses[-1] == (302, "xhr") and Case.objects.count() == 1
    page.wait_for_selector(".alert-success")
    assert page_errors == []


def test_a_bad_photo_is_refused_with_the_servers_message(
    world, cats, private_media, page, page_errors
):
    page.set_viewport_size({"width": 412, "height": 915})
    log_in(page, "insp_a", "/cases/new/")
    fill_intake(page, cats)
    page.set_input_files(
        "#id_photos",
        files=[{"name": "spot.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}],
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(".zx-submit-bar button[type=submit]")
    assert answer.value.status == 400 and answer.value.request.resource_type == "xhr"
    page.wait_for_selector("#id_photos ~ .invalid-feedback")
    assert page.url.endswith("/cases/new/") and Case.objects.count() == 0
    assert page_errors == []


def test_the_step_forms_with_photos_send_with_progress_and_keep_the_servers_checks(
    world,
    cats,
    private_media,
    page,
    page_errors,
):
    from zhenxing.cases.photos import validate_photos

    case = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="路边暴露垃圾",
        lat=IN_A1[0],
        lng=IN_A1[1],
        photos=validate_photos([upload()]),
    )
    case = services.case_accept(case=case, actor=world.secretary_a)
    case = services.case_dispatch(case=case, actor=world.secretary_a, to=world.a)
    case = services.case_start(case=case, actor=world.secretary_a)
    page.set_viewport_size({"width": 412, "height": 915})
    page.add_init_script(WATCH_PANEL)
    log_in(page, "sec_a", f"/cases/c/{case.number}/")

    # The category needs an after-photo: without one the server's 400 shows, the note kept.
    page.click("#action-rectify summary")
    rectify = page.locator("#action-rectify form")
    assert rectify.get_attribute("data-upload-progress") is not None
    rectify.locator("textarea[name=note]").fill("已清理完毕")
    rectify.locator("button[type=submit]").click()
    page.wait_for_selector("#action-rectify[open] .invalid-feedback")
    assert page.input_value("#action-rectify textarea[name=note]") == "已清理完毕"
    case.refresh_from_db()
    assert case.status == Status.RECTIFYING

    # With one, sent with progress; the hidden version went along, the step is done.
    rectify = page.locator("#action-rectify form")
    rectify.locator("input[type=file]").set_input_files(files=[photo("after.jpg")])
    rectify.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "aria-valuenow=100" in seen(page)
    case.refresh_from_db()
    assert case.status == Status.RECTIFIED and case.photos.filter(kind="after").count() == 1

    # The inspector verifies: the confirmation box is still the server's to insist on.
    page.context.clear_cookies()
    log_in(page, "insp_a", f"/cases/c/{case.number}/")
    page.click("#action-verify_pass summary")
    page.locator("#action-verify_pass button[type=submit]").click()
    page.wait_for_selector("#action-verify_pass[open] .invalid-feedback")
    case.refresh_from_db()
    assert case.status == Status.RECTIFIED
    page.locator("#action-verify_pass input[name=confirm]").check()
    page.locator("#action-verify_pass button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert page_errors == []
