"""The public copies and the share image: pixels only, redactions solid, crops honoured."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone, translation
from PIL import Image

from zhenxing.cases import services as case_services
from zhenxing.cases.models import Case, PhotoKind, Status
from zhenxing.cases.photos import private_storage, validate_photos
from zhenxing.cases.testing import upload
from zhenxing.public import imaging, services
from zhenxing.public.models import Publication
from zhenxing.public.selectors import public_status
from zhenxing.public.testing import (
    CAMERA_MAKE,
    SECRET_MOBILE,
    SECRET_NAME,
    closed_case,
    jpeg_with_exif,
    reported_case,
)

pytestmark = pytest.mark.django_db


def assert_no_metadata(data: bytes) -> None:
    """Nothing but pixels: no EXIF block, GPS, comment, ICC or XMP; no secret in any byte."""
    assert data[:2] == b"\xff\xd8"
    assert b"Exif" not in data
    assert b"http://ns.adobe.com/xap" not in data
    assert SECRET_MOBILE.encode() not in data
    assert CAMERA_MAKE.encode() not in data
    assert SECRET_NAME.encode() not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    for key in ("comment", "exif", "icc_profile", "xmp"):
        assert key not in image.info


def big_exif_jpeg(size=(400, 300), orientation: int | None = None) -> bytes:
    """A red photo with GPS, a camera make and a comment holding a mobile number."""
    exif = Image.open(io.BytesIO(jpeg_with_exif())).getexif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, (220, 30, 30)).save(
        out, "JPEG", exif=exif.tobytes(), comment=SECRET_MOBILE.encode(), quality=95
    )
    return out.getvalue()


def case_with_photo(world, cats, data: bytes):
    return case_services.case_report(
        actor=None,
        category=cats.garbage,
        source="resident",
        description="路口垃圾",
        lat=23.005,
        lng=113.105,
        photos=validate_photos([upload("big.jpg", data)]),
        reporter_mobile=SECRET_MOBILE,
    )


def test_source_has_the_metadata_the_copy_must_not(world, cats, private_media):
    # The test would prove nothing if the original carried no secrets.
    case = reported_case(world, cats.garbage)
    source = case.photos.get()
    with private_storage.open(source.original) as handle:
        original = handle.read()
    assert b"Exif" in original and SECRET_MOBILE.encode() in original
    display, thumb, width, height = imaging.render_public_photo(source, None, [])
    assert_no_metadata(display)
    assert_no_metadata(thumb)
    assert (width, height) == (96, 72)


def test_redaction_box_is_solid_black_and_the_rest_untouched(world, cats, private_media):
    case = case_with_photo(world, cats, big_exif_jpeg())
    source = case.photos.get()
    box = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}
    display, thumb, width, height = imaging.render_public_photo(source, None, [box])
    assert (width, height) == (400, 300)
    for data, scale in ((display, 1), (thumb, 320 / 400)):
        image = Image.open(io.BytesIO(data)).convert("RGB")
        # Inside the box, near each edge (a few pixels in: JPEG's colour
        # subsampling blurs the edge between red and black by a pixel or two).
        for x, y in ((104, 79), (200, 150), (295, 220), (150, 200)):
            r, g, b = image.getpixel((int(x * scale), int(y * scale)))
            assert max(r, g, b) < 24, (x, y, (r, g, b))
        r, g, b = image.getpixel((int(20 * scale), int(20 * scale)))
        assert r > 180 and g < 80, (r, g, b)


def test_crop_changes_size_and_boxes_are_relative_to_the_crop(world, cats, private_media):
    case = case_with_photo(world, cats, big_exif_jpeg())
    source = case.photos.get()
    crop = {"x": 0.5, "y": 0.0, "w": 0.5, "h": 0.5}
    box = {"x": 0.0, "y": 0.0, "w": 0.5, "h": 1.0}  # the left half of the crop
    display, _thumb, width, height = imaging.render_public_photo(source, crop, [box])
    assert (width, height) == (200, 150)
    image = Image.open(io.BytesIO(display)).convert("RGB")
    assert image.size == (200, 150)
    assert max(image.getpixel((50, 75))) < 24
    assert image.getpixel((150, 75))[0] > 180


def test_orientation_is_applied_before_cropping(world, cats, private_media):
    # EXIF orientation 6: the camera held upright; the photo as seen is 300×400.
    case = case_with_photo(world, cats, big_exif_jpeg(orientation=6))
    source = case.photos.get()
    _display, _thumb, width, height = imaging.render_public_photo(source, None, [])
    assert (width, height) == (300, 400)


def test_large_photo_is_shrunk_to_the_display_edge(world, cats, private_media):
    case = case_with_photo(world, cats, big_exif_jpeg(size=(2000, 1500)))
    source = case.photos.get()
    display, thumb, width, height = imaging.render_public_photo(source, None, [])
    assert (width, height) == (imaging.DISPLAY_EDGE, 960)
    assert Image.open(io.BytesIO(thumb)).size == (imaging.THUMBNAIL_EDGE, 240)
    assert_no_metadata(display)


def test_a_photo_over_the_pixel_cap_is_refused(world, cats, private_media, settings):
    case = reported_case(world, cats.garbage)
    settings.ZHENXING_PHOTO_MAX_PIXELS = 1000
    with pytest.raises(imaging.RenderError):
        imaging.render_public_photo(case.photos.get(), None, [])


def test_a_missing_original_is_a_clear_error(world, cats, private_media):
    case = reported_case(world, cats.garbage)
    source = case.photos.get()
    private_storage.delete(source.original)
    with pytest.raises(imaging.RenderError):
        imaging.render_public_photo(source, None, [])


def test_share_font_is_the_bundled_cjk_font(settings):
    settings.ZHENXING_SHARE_FONT = ""
    font = imaging.share_font(30, bold=True)
    assert font.getname()[0] == "Noto Sans CJK SC"
    # Chinese is drawn, not tofu: the glyphs differ from each other.
    assert font.getmask("整").getbbox() != font.getmask("改").getbbox() or (
        bytes(font.getmask("整")) != bytes(font.getmask("改"))
    )


def _published(world, case):
    publication = services.publication_draft(case=case, actor=world.admin)
    for kind in (PhotoKind.BEFORE, PhotoKind.AFTER):
        source = case.photos.filter(kind=kind).first()
        if source is not None:
            services.public_photo_set(
                publication=publication,
                actor=world.admin,
                kind=kind,
                source=source,
                crop=None,
                redactions=[],
            )
    return services.publication_publish(publication=publication, actor=world.admin)


def test_share_image_is_a_clean_jpeg_of_the_expected_size(world, cats, private_media):
    publication = _published(world, closed_case(world, cats.garbage))
    data = imaging.make_share_image(publication)
    assert_no_metadata(data)
    image = Image.open(io.BytesIO(data))
    assert image.size == imaging.SHARE_SIZE
    # The header band is the board's red; the two panels hold the photos' red and green.
    assert image.convert("RGB").getpixel((5, 5))[0] > 150
    left = image.convert("RGB").getpixel((300, 520))
    right = image.convert("RGB").getpixel((900, 520))
    assert left[0] > 150 and left[1] < 90, left
    assert right[1] > 90 and right[0] < 90, right


def test_share_image_without_after_photo_shows_the_placeholder(world, cats, private_media):
    case = reported_case(world, cats.garbage)
    publication = _published(world, case)
    assert publication.after_photo is None
    image = Image.open(io.BytesIO(imaging.make_share_image(publication))).convert("RGB")
    # The right panel is the dark placeholder, not a photo.
    r, g, b = image.getpixel((620, 700))
    assert max(r, g, b) < 80 and abs(r - g) < 10


def test_ensure_share_image_makes_it_once(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    publication = services.publication_draft(case=case, actor=world.admin)
    assert imaging.ensure_share_image(publication) is None  # no before photo yet
    services.public_photo_set(
        publication=publication,
        actor=world.admin,
        kind=PhotoKind.BEFORE,
        source=case.photos.filter(kind=PhotoKind.BEFORE).get(),
        crop=None,
        redactions=[],
    )
    publication.refresh_from_db()
    assert publication.share_image == ""  # a draft's is drawn on demand
    key = imaging.ensure_share_image(publication)
    assert key and key.startswith("public/share/") and private_storage.exists(key)
    publication.refresh_from_db()
    assert publication.share_image == key
    assert imaging.ensure_share_image(publication) == key
    # A lost file is drawn again under a new name.
    private_storage.delete(key)
    again = imaging.ensure_share_image(publication)
    assert again != key and private_storage.exists(again)


# --- the share image's words: the board's vocabulary and dates -------------------------


def _words(publication):
    with translation.override("en"):
        return imaging.share_words(publication)


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()  # English dates are ISO


def test_share_words_of_a_closed_case_say_fixed_on_the_closing_day(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    # Put right three days before the office checked and closed it: the board's
    # "Fixed" date is the closing day, never the handler's.
    rectified = case.closed_at - datetime.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(rectified_at=rectified)
    publication = _published(world, Case.objects.get(pk=case.pk))
    words = _words(publication)
    assert words.after_note == f"Fixed {_day(publication.case.closed_at)}"
    assert _day(rectified) not in words.after_note
    assert words.after_fixed
    assert words.reported == f"Reported {_day(case.reported_at)}"


def test_share_words_before_closing_are_the_public_status(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    # The handler has put it right; the office has not checked it yet.
    Case.objects.filter(pk=case.pk).update(status=Status.RECTIFIED, closed_at=None)
    publication = _published(world, Case.objects.get(pk=case.pk))
    assert publication.after_photo is not None
    words = _words(publication)
    assert words.after_note == "Fixed, being checked"
    assert not words.after_fixed


def test_share_words_without_an_after_photo(world, cats, private_media):
    publication = _published(world, reported_case(world, cats.garbage))
    assert publication.after_photo is None
    words = _words(publication)
    assert words.after_note == "Received"
    assert words.after_placeholder == "No after photo yet"
    assert not words.after_fixed


def test_share_words_follow_the_selectors_vocabulary(world, cats, private_media):
    # Whatever the case's state, the share image says what the board says.
    case = reported_case(world, cats.garbage)
    publication = _published(world, case)
    for status in (Status.ACCEPTED, Status.RECTIFYING, Status.REWORK, Status.REJECTED):
        Case.objects.filter(pk=case.pk).update(status=status)
        publication.case.refresh_from_db()
        with translation.override("en"):
            expected = str(public_status(publication.case).label)
        assert _words(publication).after_note == expected, status


def test_share_image_is_drawn_again_once_the_case_moves_on(
    world, cats, private_media, django_capture_on_commit_callbacks
):
    case = closed_case(world, cats.garbage)
    Case.objects.filter(pk=case.pk).update(status=Status.RECTIFIED, closed_at=None)
    publication = _published(world, Case.objects.get(pk=case.pk))
    first = imaging.ensure_share_image(publication)
    assert first and private_storage.exists(first)
    assert imaging.ensure_share_image(publication) == first  # nothing changed: kept
    # The office checks and closes it after publishing: no publishing write happens.
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    publication = Publication.objects.select_related("case").get(pk=publication.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = imaging.ensure_share_image(publication)
    assert second != first and private_storage.exists(second)
    assert not private_storage.exists(first)
    publication.refresh_from_db()
    assert publication.share_image == second


def test_share_image_is_drawn_in_the_platforms_language(world, cats, private_media, settings):
    # The English wording is the office's choice of page language, not the image's:
    # the image is drawn the same whatever language the request was in.
    publication = _published(world, closed_case(world, cats.garbage))
    with translation.override("en"):
        english_page = imaging.make_share_image(publication)
    with translation.override("zh-hans"):
        chinese_page = imaging.make_share_image(publication)
    left = Image.open(io.BytesIO(english_page)).convert("L").crop((0, 0, 1200, 260))
    right = Image.open(io.BytesIO(chinese_page)).convert("L").crop((0, 0, 1200, 260))
    assert left.tobytes() == right.tobytes()
