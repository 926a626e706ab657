"""The intake form (/cases/new/), its duplicates fragment and "add my report to this case"."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from zhenxing.cases import services
from zhenxing.cases.models import Case, CaseEvent, CasePhoto, EventKind, Status
from zhenxing.cases.photos import validate_photos

from .conftest import IN_A1, IN_B1, jpeg_bytes, upload

NEW = reverse("cases:new")
DUPLICATES = reverse("cases:duplicates")


def gps_jpeg(lat: float, lng: float, orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF says where and when it was taken (and, if asked, how it was held)."""

    def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round((value - degrees - minutes / 60) * 3600, 3)
        return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds)

    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
    exif.get_ifd(ExifTags.IFD.Exif)[36867] = "2026:03:04 10:11:12"
    if orientation is not None:
        exif[0x0112] = orientation
    return jpeg_bytes(size=(80, 40), exif=exif.tobytes())


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def report_data(cats, **extra):
    data = {
        "source": "party_patrol",
        "category": str(cats.garbage.pk),
        "description": "路口暴露垃圾一堆",
        "lat": str(IN_A1[0]),
        "lng": str(IN_A1[1]),
        "photos": [upload()],
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def file_case(world, cats, **kwargs):
    defaults = {
        "actor": world.inspector_a,
        "category": cats.garbage,
        "source": "inspection",
        "description": "已有的案卷",
        "lat": IN_A1[0],
        "lng": IN_A1[1],
        "photos": validate_photos([upload()]),
    }
    defaults.update(kwargs)
    return services.case_report(**defaults)


# --- who may open the form ------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get(DUPLICATES)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_user_without_a_role_is_refused(client_for, world, cats):
    client = client_for(world.nobody)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, report_data(cats)).status_code == 403
    assert client.get(DUPLICATES).status_code == 403
    assert Case.objects.count() == 0


def test_wrong_methods(client_for, world):
    client = client_for(world.inspector_a)
    assert client.put(NEW).status_code == 405
    assert client.delete(NEW).status_code == 405
    assert client.post(DUPLICATES).status_code == 405


def test_the_form_for_a_field_phone(client_for, world, cats):
    response = client_for(world.inspector_a).get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    # One source only: it is not asked.
    assert '<select name="source"' not in html
    assert 'name="source" value="inspection"' in html
    # Sub-categories grouped by their main category.
    assert '<optgroup label="环境卫生">' in html and '<optgroup label="河涌">' in html
    assert "暴露垃圾" in html and "水面漂浮物" in html
    # The camera input and the location controls.
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert 'id="use-location"' in html and 'id="intake-map"' in html
    assert 'type="hidden" name="lat"' in html
    # No resident fields for an inspector.
    assert "reporter_mobile" not in html
    # The area select lists only the areas the inspector can see.
    assert "甲一片区" in html and "乙一片区" not in html


def _form_tags(html: str) -> dict[str, str]:
    """Each <form> start tag on the page, by its action."""
    return {
        m.group(1): m.group(0) for m in re.finditer(r'<form\b[^>]*?\baction="([^"]*)"[^>]*>', html)
    }


def test_the_photo_forms_send_with_upload_progress(client_for, world, cats, private_media):
    """upload.js takes the forms that carry photos (tested in Chromium in tests/browser)."""
    html = client_for(world.inspector_a).get(NEW).content.decode()
    form = _form_tags(html)[NEW]
    assert "data-upload-progress" in form and 'enctype="multipart/form-data"' in form
    assert "cases/upload.js" in html and "data-upload-panel" in html
    assert 'role="progressbar"' in html and 'aria-live="polite"' in html

    # On the case page: the step forms with photos, and no other.
    case = file_case(world, cats)
    services.case_accept(case=case, actor=world.secretary_a)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.a)
    page = client_for(world.secretary_a).get(reverse("cases:detail", args=[case.number]))
    forms = _form_tags(page.content.decode())
    rectify = forms[reverse("cases:act", args=[case.number, "rectify"])]
    assert "data-upload-progress" in rectify and 'enctype="multipart/form-data"' in rectify
    start = forms[reverse("cases:act", args=[case.number, "start"])]
    assert "data-upload-progress" not in start and "multipart" not in start
    # One script tag per form that needs it; the script sets itself up once per page.
    assert page.content.decode().count("cases/upload.js") == sum(
        "data-upload-progress" in tag for tag in forms.values()
    )


def test_a_secretary_chooses_the_source_and_may_record_a_resident(client_for, world, cats):
    html = client_for(world.secretary_a).get(NEW).content.decode()
    assert '<select name="source"' in html
    assert 'name="reporter_mobile"' in html


# --- filing ---------------------------------------------------------------------------


def test_filing_with_a_pin(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    response = client.post(NEW, report_data(cats, source="inspection"))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    assert case.region == world.area_a1 and case.status == Status.REPORTED
    assert case.source == "inspection" and case.reporter == world.inspector_a
    assert case.photos.count() == 1
    assert len(files_under(private_media)) == 1
    page = client.get(response["Location"])
    assert case.number in page.content.decode()
    assert 'class="alert alert-success"' in page.content.decode()


def test_filing_with_the_gps_of_a_photo(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, lat=None, lng=None, source="inspection")
    data["photos"] = [upload("gps.jpg", gps_jpeg(23.005, 113.115))]  # inside area_a2
    response = client.post(NEW, data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.region == world.area_a2
    assert case.lat == pytest.approx(23.005, abs=1e-4)
    assert case.lng == pytest.approx(113.115, abs=1e-4)
    photo = case.photos.get()
    assert photo.lat is not None and photo.taken_at is not None


def test_filing_with_an_area_and_an_address(client_for, world, cats, private_media):
    client = client_for(world.secretary_a)
    data = report_data(
        cats,
        lat=None,
        lng=None,
        source="resident",
        area=str(world.area_a2.pk),
        address="甲村大道18号旁",
        reporter_name="陈大文",
        reporter_mobile="13912345678",
    )
    response = client.post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.region == world.area_a2
    assert case.address == "甲村大道18号旁"
    assert (case.reporter_name, case.reporter_mobile) == ("陈大文", "13912345678")


def test_resident_details_are_dropped_from_any_other_source(client_for, world, cats, private_media):
    client = client_for(world.secretary_a)
    data = report_data(cats, source="office", reporter_name="陈大文", reporter_mobile="13912345678")
    assert client.post(NEW, data).status_code == 302
    case = Case.objects.get()
    assert case.reporter_name == "" and case.reporter_mobile == ""


def test_no_location_at_all_is_a_400_that_keeps_the_input(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, lat=None, lng=None, source="inspection")
    response = client.post(NEW, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "路口暴露垃圾一堆" in html  # the description is kept
    assert Case.objects.count() == 0 and files_under(private_media) == []


def test_a_place_outside_the_territory_is_a_400(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    response = client.post(NEW, report_data(cats, lat="30.5", lng="114.3", source="inspection"))
    assert response.status_code == 400
    assert Case.objects.count() == 0 and files_under(private_media) == []


def test_a_place_outside_the_reporters_scope_is_refused(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, lat=str(IN_B1[0]), lng=str(IN_B1[1]), source="inspection")
    assert client.post(NEW, data).status_code == 403
    assert Case.objects.count() == 0 and files_under(private_media) == []


def test_a_source_the_user_may_not_use_is_a_400(client_for, world, cats, private_media):
    client = client_for(world.party_member_a)
    assert client.post(NEW, report_data(cats, source="office")).status_code == 400
    assert Case.objects.count() == 0


def test_a_main_category_cannot_be_chosen(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, category=str(cats.sanitation.pk), source="inspection")
    assert client.post(NEW, data).status_code == 400
    assert Case.objects.count() == 0


def test_a_photo_is_required(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, source="inspection")
    del data["photos"]
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert Case.objects.count() == 0


# --- bad uploads ------------------------------------------------------------------------


def _bad_upload_refused(client, cats, private_media, bad) -> str:
    data = report_data(cats, source="inspection")
    data["photos"] = [upload(), bad]
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert Case.objects.count() == 0
    assert CasePhoto.objects.count() == 0
    assert files_under(private_media) == []
    html = response.content.decode()
    assert "路口暴露垃圾一堆" in html  # everything else is kept
    return html


def test_a_text_file_named_jpg_is_refused(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    html = _bad_upload_refused(
        client, cats, private_media, upload("notes.jpg", b"just some text, not a photo")
    )
    assert "notes.jpg" in html


def test_a_too_big_photo_is_refused(client_for, world, cats, private_media, settings):
    settings.ZHENXING_PHOTO_MAX_BYTES = 2048
    # Noise, so that the JPEG cannot compress below the limit.
    image = Image.frombytes("RGB", (200, 200), random.Random(1).randbytes(200 * 200 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > 2048
    client = client_for(world.inspector_a)
    # Beside a good photo, so that one saved before the refusal would show.
    html = _bad_upload_refused(client, cats, private_media, upload("huge.jpg", big))
    assert "huge.jpg" in html


def test_a_decompression_bomb_is_refused(client_for, world, cats, private_media, settings):
    settings.ZHENXING_PHOTO_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    Image.new("L", (2000, 1000)).save(out, "PNG")
    client = client_for(world.inspector_a)
    html = _bad_upload_refused(client, cats, private_media, upload("bomb.png", out.getvalue()))
    assert "bomb.png" in html


def test_ten_photos_are_too_many(client_for, world, cats, private_media):
    client = client_for(world.inspector_a)
    data = report_data(cats, source="inspection")
    data["photos"] = [upload(f"p{i}.jpg") for i in range(10)]
    assert client.post(NEW, data).status_code == 400
    assert Case.objects.count() == 0 and files_under(private_media) == []


# --- duplicates ---------------------------------------------------------------------------


def test_an_open_case_nearby_is_offered_before_saving(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    client = client_for(world.party_member_a)
    data = report_data(cats, lat="23.0051", lng="113.1051")  # ~15 m away
    response = client.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert existing.number in html
    assert reverse("cases:add_report", args=[existing.number]) in html
    assert 'name="confirm_new"' in html
    assert Case.objects.count() == 1  # nothing filed yet
    # Filed anyway, on purpose.
    data = report_data(cats, lat="23.0051", lng="113.1051", confirm_new="1")
    response = client.post(NEW, data)
    assert response.status_code == 302
    assert Case.objects.count() == 2


def test_nothing_is_offered_for_another_category_or_far_away(
    client_for, world, cats, private_media
):
    file_case(world, cats)
    client = client_for(world.party_member_a)
    other = report_data(cats, category=str(cats.floating.pk))
    assert client.post(NEW, other).status_code == 302
    far = report_data(cats, lat="23.009", lng="113.109")  # ~600 m away
    assert client.post(NEW, far).status_code == 302
    assert Case.objects.count() == 3


def test_the_duplicates_fragment(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    client = client_for(world.party_member_a)
    query = {"category": cats.garbage.pk, "lat": "23.0051", "lng": "113.1051"}
    response = client.get(DUPLICATES, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert existing.number in html and "<html" not in html
    assert (
        "m" in html and reverse("cases:photo", args=[existing.photos.get().token, "thumb"]) in html
    )
    # Nothing chosen yet: an empty answer, not an error.
    empty = client.get(DUPLICATES, {"category": cats.garbage.pk})
    assert empty.status_code == 200 and existing.number not in empty.content.decode()
    # Nonsense is a 400.
    assert client.get(DUPLICATES, {**query, "lat": "north"}).status_code == 400
    assert client.get(DUPLICATES, {**query, "category": "x"}).status_code == 400


def test_the_duplicates_fragment_shows_only_cases_in_scope(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    client = client_for(world.outsider)
    query = {"category": cats.garbage.pk, "lat": IN_A1[0], "lng": IN_A1[1]}
    response = client.get(DUPLICATES, query)
    assert response.status_code == 200
    assert existing.number not in response.content.decode()


def test_a_closed_case_is_not_offered(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    services.case_reject(case=existing, actor=world.secretary_a, reason="不属实")
    client = client_for(world.party_member_a)
    response = client.post(NEW, report_data(cats))
    assert response.status_code == 302


# --- add my report to this case -----------------------------------------------------------


def test_adding_a_report_to_an_open_case(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    client = client_for(world.party_member_a)
    url = reverse("cases:add_report", args=[existing.number])
    # The intake form itself is posted there, with its photos.
    response = client.post(url, report_data(cats, description="垃圾更多了"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[existing.number])
    existing.refresh_from_db()
    assert existing.report_count == 2
    event = existing.events.get(kind=EventKind.REPORT_ADDED)
    assert event.note == "垃圾更多了" and event.actor == world.party_member_a
    assert existing.photos.count() == 2
    assert Case.objects.count() == 1


def test_adding_a_report_checks_its_input(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    before = len(files_under(private_media))
    client = client_for(world.party_member_a)
    url = reverse("cases:add_report", args=[existing.number])
    data = report_data(cats, description="")
    response = client.post(url, data)
    assert response.status_code == 400
    data = report_data(cats, description="再报")
    data["photos"] = [upload("fake.jpg", b"not an image")]
    response = client.post(url, data)
    assert response.status_code == 400
    assert "fake.jpg" in response.content.decode()
    assert "再报" in response.content.decode()  # the form comes back filled in
    existing.refresh_from_db()
    assert existing.report_count == 1
    assert len(files_under(private_media)) == before
    assert CaseEvent.objects.filter(kind=EventKind.REPORT_ADDED).count() == 0


def test_adding_a_report_to_a_closed_case_is_a_conflict(client_for, world, cats, private_media):
    existing = file_case(world, cats)
    services.case_reject(case=existing, actor=world.secretary_a, reason="不属实")
    client = client_for(world.party_member_a)
    url = reverse("cases:add_report", args=[existing.number])
    response = client.post(url, report_data(cats))
    assert response.status_code == 409
    existing.refresh_from_db()
    assert existing.report_count == 1


def test_adding_a_report_outside_scope_or_by_get(client, client_for, world, cats, private_media):
    existing = file_case(world, cats)
    url = reverse("cases:add_report", args=[existing.number])
    assert client.post(url, report_data(cats)).status_code == 302  # anonymous → login
    assert client_for(world.outsider).post(url, report_data(cats)).status_code == 404
    assert client_for(world.nobody).post(url, report_data(cats)).status_code == 404
    assert client_for(world.party_member_a).get(url).status_code == 405
    existing.refresh_from_db()
    assert existing.report_count == 1
