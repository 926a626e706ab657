"""Photos at the storage level: what is accepted, what is read, what is kept, what is removed."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from PIL import Image

from zhenxing.cases import services
from zhenxing.cases.models import CasePhoto
from zhenxing.cases.photos import (
    THUMBNAIL_EDGE,
    PhotoError,
    ensure_derivatives,
    files_removed_on_error,
    private_storage,
    save_photos,
    validate_photo,
    validate_photos,
)
from zhenxing.cases.services import CaseError

from .conftest import jpeg_bytes, upload
from .test_loop import dispatched, report, state


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions below read the services' messages in their English source text."""
    from django.utils import translation

    with translation.override("en"):
        yield


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **kw) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "P" else 1).save(out, fmt, **kw)
    return out.getvalue()


def noisy_jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "JPEG")
    return out.getvalue()


def exif_bytes(
    *,
    lat: tuple = (23.0, 0.0, 18.0),
    lng: tuple = (113.0, 6.0, 18.0),
    ns: str = "N",
    ew: str = "E",
    taken: str | None = "2026:03:05 09:30:00",
    orientation: int | None = None,
) -> bytes:
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: ns, 2: lat, 3: ew, 4: lng})
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if orientation:
        exif[0x0112] = orientation
    return exif.tobytes()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge image, with a few bytes of data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- validation -----------------------------------------------------------------


TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@pytest.mark.parametrize(
    "fmt, mode",
    [("JPEG", "RGB"), ("JPEG", "L")]
    + [(fmt, mode) for fmt in ("PNG", "WEBP") for mode in ("RGB", "RGBA", "P")],
)
def test_jpeg_png_and_webp_are_accepted(fmt, mode):
    content_type, extension = TYPES[fmt]
    data = image_bytes(fmt, mode=mode)
    photo = validate_photo(upload("a.bin", data))
    assert (photo.format, photo.content_type, photo.extension) == (fmt, content_type, extension)
    assert (photo.width, photo.height) == (64, 48)
    assert photo.data == data and len(photo.sha256) == 64
    assert (photo.lat, photo.lng, photo.taken_at) == (None, None, None)


def test_a_phone_jpeg_with_an_embedded_preview_is_a_jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (16, 12))]
    )
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    photo = validate_photo(upload("phone.jpg", out.getvalue()))
    assert (photo.format, photo.extension) == ("JPEG", "jpg")


@pytest.mark.parametrize(
    "name, data",
    [
        ("anim.gif", image_bytes("GIF")),
        ("notes.txt", b"not a photo at all"),
        ("empty.jpg", b""),
        ("half.jpg", noisy_jpeg()[:3000]),
        ("cut.png", image_bytes("PNG", (200, 200), "RGB")[:-40]),
        ("picture.bmp", image_bytes("BMP")),
        ("page.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"),
    ],
)
def test_anything_else_is_refused_naming_the_file(name, data):
    with pytest.raises(PhotoError) as refused:
        validate_photos([upload(name, data)])
    assert name in str(refused.value)
    assert "JPEG, PNG or WebP" in str(refused.value)


def test_too_big_is_refused_before_decoding(settings):
    data = noisy_jpeg()
    settings.ZHENXING_PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(PhotoError, match="big.jpg is larger than"):
        validate_photo(upload("big.jpg", data))
    # Without a declared size, the bytes read count.
    stream = io.BytesIO(data)
    stream.name = "stream.jpg"
    with pytest.raises(PhotoError, match="stream.jpg is larger than"):
        validate_photo(stream)
    settings.ZHENXING_PHOTO_MAX_BYTES = len(data)
    assert validate_photo(upload("big.jpg", data)).format == "JPEG"


def test_the_default_limit_is_20_mb():
    assert django_settings.ZHENXING_PHOTO_MAX_BYTES == 20 * 1024 * 1024


def test_too_many_pixels_is_refused(settings):
    settings.ZHENXING_PHOTO_MAX_PIXELS = 1_000_000
    # A 2000 × 2000 PNG of one colour is a few kilobytes: the size limit alone would pass it.
    data = image_bytes("PNG", (2000, 2000), "L")
    assert len(data) < 50_000
    with pytest.raises(PhotoError, match="wide.png has too many pixels"):
        validate_photo(upload("wide.png", data))
    assert validate_photo(upload("ok.png", image_bytes("PNG", (1000, 1000), "L"))).width == 1000


def test_a_decompression_bomb_is_refused_without_decoding():
    # 100,000 × 100,000 pixels claimed in 100 bytes: Pillow's own guard and ours both refuse.
    data = png_header_only(100_000, 100_000)
    assert len(data) < 200
    with pytest.raises(PhotoError, match="bomb.png has too many pixels"):
        validate_photo(upload("bomb.png", data))
    with pytest.raises(PhotoError, match="too many pixels"):
        validate_photo(upload("bomb2.png", png_header_only(9000, 9000)))


def test_count_rules():
    with pytest.raises(PhotoError):
        validate_photos([], required=True)
    with pytest.raises(PhotoError):
        validate_photos([None, ""], required=True)
    assert validate_photos([None]) == []
    with pytest.raises(PhotoError):
        validate_photos([upload() for _ in range(10)])
    assert len(validate_photos([upload() for _ in range(9)])) == 9


# --- EXIF ---------------------------------------------------------------------------


def test_exif_gps_and_time_are_read():
    photo = validate_photo(upload("gps.jpg", jpeg_bytes(exif=exif_bytes())))
    assert photo.lat == pytest.approx(23.005) and photo.lng == pytest.approx(113.105)
    assert photo.taken_at is not None
    assert photo.taken_at.isoformat() == "2026-03-05T09:30:00+08:00"


def test_southern_and_western_hemispheres_are_negative():
    photo = validate_photo(upload("sw.jpg", jpeg_bytes(exif=exif_bytes(ns="S", ew="W"))))
    assert (round(photo.lat, 3), round(photo.lng, 3)) == (-23.005, -113.105)


@pytest.mark.parametrize(
    "exif",
    [
        exif_bytes(lat=(0.0, 0.0, 0.0), lng=(0.0, 0.0, 0.0), taken=None),  # "no fix" written as 0,0
        exif_bytes(lat=(123.0, 0.0, 0.0), taken="not a date"),  # impossible latitude
    ],
)
def test_meaningless_exif_is_ignored_not_refused(exif):
    photo = validate_photo(upload("odd.jpg", jpeg_bytes(exif=exif)))
    assert (photo.lat, photo.lng, photo.taken_at) == (None, None, None)


def test_exif_of_a_png_is_read_too():
    data = image_bytes("PNG", exif=exif_bytes())
    photo = validate_photo(upload("gps.png", data))
    assert photo.lat == pytest.approx(23.005)


def test_a_case_with_a_gps_photo_and_no_pin_lands_in_the_photos_area(world, cats, private_media):
    # 23°0'18" N, 113°6'18" E lies in 甲一片区; a second photo elsewhere does not count.
    in_a2 = exif_bytes(lat=(23.0, 0.0, 18.0), lng=(113.0, 6.0, 54.0))
    photos = validate_photos(
        [upload("no_gps.jpg"), upload("a1.jpg", jpeg_bytes(exif=exif_bytes()))]
        + [upload("a2.jpg", jpeg_bytes(exif=in_a2))]
    )
    case = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="照片定位",
        photos=photos,
    )
    assert case.region == world.area_a1
    assert (case.lat, case.lng) == pytest.approx((23.005, 113.105))
    # A pin wins over the photo's GPS.
    pinned = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="照片定位",
        lat=23.005,
        lng=113.115,
        photos=validate_photos([upload("a1.jpg", jpeg_bytes(exif=exif_bytes()))]),
    )
    assert pinned.region == world.area_a2
    photo = case.photos.get(lat__isnull=False, lng__gt=113.11)
    assert photo.taken_at is not None


def test_a_gps_photo_outside_the_reporters_scope_is_refused(world, cats, private_media):
    in_b1 = exif_bytes(lat=(23.0, 0.0, 18.0), lng=(113.0, 7.0, 30.0))
    before = state()
    with pytest.raises(PermissionDenied):
        services.case_report(
            actor=world.inspector_a,
            category=cats.garbage,
            source="inspection",
            description="照片定位",
            photos=validate_photos([upload("b1.jpg", jpeg_bytes(exif=in_b1))]),
        )
    assert state() == before
    assert files_under(private_media) == []


# --- storage and clean-up ---------------------------------------------------------------


def test_originals_are_stored_privately_under_random_keys(world, cats, private_media):
    case = report(world, cats.garbage, photos=validate_photos([upload(), upload()]))
    photos = list(case.photos.all())
    assert len(photos) == 2 and len({p.token for p in photos}) == 2
    for photo in photos:
        path = Path(private_storage.path(photo.original))
        assert path.is_file() and path.is_relative_to(private_media)
        assert photo.token in photo.original and photo.original.endswith("original.jpg")
        assert (photo.content_type, photo.kind, photo.uploaded_by) == (
            "image/jpeg",
            "before",
            world.inspector_a,
        )
        assert photo.size == path.stat().st_size and not photo.ready
    assert not Path(private_media).is_relative_to(Path(django_settings.MEDIA_ROOT))


def test_a_failure_after_photos_were_stored_removes_them(world, cats, private_media, monkeypatch):
    """A report that fails after its photos were written leaves neither rows nor files."""
    original_record = services.audit.record

    def failing_audit(**kwargs):
        raise CaseError("the audit log is unavailable")

    monkeypatch.setattr(services.audit, "record", failing_audit)
    before = state()
    with pytest.raises(CaseError):
        report(world, cats.garbage, photos=validate_photos([upload(), upload()]))
    assert state() == before
    assert files_under(private_media) == []

    monkeypatch.setattr(services.audit, "record", original_record)
    case = dispatched(world, cats.garbage)
    kept = files_under(private_media)
    assert len(kept) == 1

    # The same inside a transition: the after-photos of a failed rectify are removed.
    monkeypatch.setattr(services.audit, "record", failing_audit)
    before = state()
    with pytest.raises(CaseError):
        services.case_rectify(
            case=case,
            actor=world.secretary_a,
            note="已清",
            photos=validate_photos([upload("after.jpg")]),
        )
    assert state() == before
    assert files_under(private_media) == kept


def test_a_refused_step_writes_no_file(world, cats, private_media):
    case = dispatched(world, cats.garbage)
    kept = files_under(private_media)
    photos = validate_photos([upload("after.jpg")])
    with pytest.raises(PermissionDenied):
        services.case_rectify(case=case, actor=world.inspector_a, note="x", photos=photos)
    with pytest.raises(CaseError):
        services.case_rectify(case=case, actor=world.secretary_a, note="", photos=photos)
    with pytest.raises(CaseError):  # too many
        services.case_rectify(case=case, actor=world.secretary_a, note="x", photos=photos * 10)
    assert files_under(private_media) == kept


def test_files_removed_on_error_belongs_to_the_outermost_block(world, cats, private_media):
    case = report(world, cats.garbage, photos=validate_photos([upload()]))
    kept = files_under(private_media)
    photo = validate_photo(upload())
    with pytest.raises(RuntimeError), files_removed_on_error():
        with files_removed_on_error():
            save_photos(case=case, event=None, kind="other", photos=[photo], actor=None)
        # The inner block ended well, and still the outer failure removes its file.
        assert len(files_under(private_media)) == len(kept) + 1
        raise RuntimeError
    assert files_under(private_media) == kept


# --- derivatives ------------------------------------------------------------------------


def _stored(world, cats, data: bytes) -> CasePhoto:
    case = report(world, cats.garbage, photos=validate_photos([upload("p.jpg", data)]))
    return case.photos.get()


def _open(key: str) -> Image.Image:
    with private_storage.open(key, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def test_derivatives_are_upright_small_and_carry_no_exif(world, cats, private_media):
    # 1000 × 500 as stored, "rotate 90° clockwise to view" (orientation 6), with GPS.
    source = Image.new("RGB", (1000, 500), "white")
    source.paste(Image.new("RGB", (100, 500), "black"), (0, 0))  # a black band on the left
    out = io.BytesIO()
    source.save(out, "JPEG", exif=exif_bytes(orientation=6))
    photo = _stored(world, cats, out.getvalue())
    assert _open(photo.original).getexif().get_ifd(0x8825)  # the original keeps its EXIF

    ensure_derivatives(photo)
    photo.refresh_from_db()
    assert photo.ready
    display, thumb = _open(photo.display), _open(photo.thumbnail)
    assert display.format == thumb.format == "JPEG"
    # Upright: portrait now, and the stored left band is at the top.
    assert display.size == (500, 1000)
    assert display.getpixel((250, 20))[0] < 60 and display.getpixel((250, 900))[0] > 200
    assert max(thumb.size) == THUMBNAIL_EDGE and thumb.size == (160, 320)
    for image in (display, thumb):
        assert not image.getexif()
        assert "exif" not in image.info
    # Idempotent: a second run writes nothing new.
    files = files_under(private_media)
    assert ensure_derivatives(photo).thumbnail == photo.thumbnail
    assert files_under(private_media) == files


@pytest.mark.parametrize("mode", ["RGBA", "P", "LA", "I;16"])
def test_derivatives_of_png_modes(world, cats, private_media, mode):
    photo = _stored(world, cats, image_bytes("PNG", (640, 480), mode))
    ensure_derivatives(photo)
    thumb = _open(photo.thumbnail)
    assert thumb.mode == "RGB" and thumb.size == (320, 240)


def test_derivatives_of_a_phone_jpeg_with_a_preview(world, cats, private_media):
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (160, 120), "red")]
    )
    photo = _stored(world, cats, out.getvalue())
    assert photo.original.endswith("original.jpg")
    ensure_derivatives(photo)
    thumb = _open(photo.thumbnail)
    # The main picture, not the preview.
    assert thumb.size == (320, 240) and thumb.getpixel((10, 10))[2] > 200


def test_a_large_photo_is_shrunk_for_display(world, cats, private_media):
    photo = _stored(world, cats, jpeg_bytes((2400, 1200)))
    ensure_derivatives(photo)
    assert _open(photo.display).size == (1600, 800)


def test_the_task_makes_derivatives_after_commit(
    world, cats, private_media, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        case = report(world, cats.garbage, photos=validate_photos([upload(), upload()]))
    assert all(p.ready for p in case.photos.all())
    assert len(files_under(private_media)) == 6


def test_the_reporter_is_not_in_a_derivative(world, cats, private_media):
    """No EXIF at all survives, camera make and GPS included."""
    exif = Image.Exif()
    exif[0x010F] = "Huawei"
    exif.get_ifd(0x8825).update({1: "N", 2: (23.0, 0.0, 18.0), 3: "E", 4: (113.0, 6.0, 18.0)})
    photo = _stored(world, cats, jpeg_bytes((800, 600), exif=exif.tobytes()))
    ensure_derivatives(photo)
    for key in (photo.display, photo.thumbnail):
        with private_storage.open(key, "rb") as handle:
            raw = handle.read()
        assert b"Exif" not in raw and b"Huawei" not in raw
