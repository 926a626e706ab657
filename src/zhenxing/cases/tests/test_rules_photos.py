"""Photo rules: an EXIF time worth keeping, derivatives with no metadata at all, made once."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageCms, JpegImagePlugin

from zhenxing.cases.models import CasePhoto
from zhenxing.cases.photos import (
    DISPLAY_EDGE,
    ensure_derivatives,
    private_storage,
    validate_photo,
    validate_photos,
)

from .conftest import jpeg_bytes, upload
from .test_loop import report


def exif_taken(taken: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken
    return exif.tobytes()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def stored(world, cats, data: bytes) -> CasePhoto:
    case = report(world, cats.garbage, photos=validate_photos([upload("p.jpg", data)]))
    return case.photos.get()


def read(key: str) -> bytes:
    with private_storage.open(key, "rb") as handle:
        return handle.read()


# --- 2. EXIF time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "taken",
    [
        "0001:01:01 00:00:00",  # a camera whose clock was never set
        "1989:12:31 23:59:59",
        "9999:12:31 23:59:59",
        "2099:01:01 00:00:00",
    ],
)
def test_an_exif_time_out_of_range_is_dropped(taken):
    photo = validate_photo(upload("t.jpg", jpeg_bytes(exif=exif_taken(taken))))
    assert photo.taken_at is None


@pytest.mark.parametrize("taken", ["1990:01:01 00:00:00", "2024:06:01 12:00:00"])
def test_an_exif_time_in_range_is_kept(taken):
    photo = validate_photo(upload("t.jpg", jpeg_bytes(exif=exif_taken(taken))))
    assert photo.taken_at is not None
    assert photo.taken_at.strftime("%Y:%m:%d %H:%M:%S") == taken


def test_a_time_later_today_is_kept(time_machine):
    # A camera a few hours ahead of the server (another zone, a drifting clock).
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    ahead = timezone.localtime() + datetime.timedelta(hours=20)
    photo = validate_photo(
        upload("t.jpg", jpeg_bytes(exif=exif_taken(ahead.strftime("%Y:%m:%d %H:%M:%S"))))
    )
    assert photo.taken_at == ahead.replace(microsecond=0)


def test_a_photo_from_a_camera_with_no_clock_is_saved(world, cats, private_media):
    photo = stored(world, cats, jpeg_bytes(exif=exif_taken("0001:01:01 00:00:00")))
    assert photo.taken_at is None


# --- 3. derivatives: no metadata --------------------------------------------------------


MOBILE = b"13800138000"
METADATA_KEYS = ("comment", "exif", "xmp", "icc_profile")


def test_derivatives_carry_no_comment_xmp_or_profile(world, cats, private_media):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (800, 600), "green").save(
        out,
        "JPEG",
        comment=MOBILE,
        icc_profile=srgb,
        xmp=b"<x:xmpmeta><dc:creator>" + MOBILE + b"</dc:creator></x:xmpmeta>",
        exif=exif_taken("2026:03:05 09:30:00"),
    )
    original = Image.open(io.BytesIO(out.getvalue()))
    assert original.info["comment"] == MOBILE  # the upload really has them
    assert {"xmp", "icc_profile", "exif"} <= set(original.info)

    photo = stored(world, cats, out.getvalue())
    ensure_derivatives(photo)
    for key in (photo.display, photo.thumbnail):
        raw = read(key)
        assert MOBILE not in raw
        info = Image.open(io.BytesIO(raw)).info
        assert not set(METADATA_KEYS) & set(info), (key, set(info))


# --- 3. derivatives: made once, at fixed keys, from a draft -------------------------------


def test_a_second_caller_with_a_stale_photo_writes_nothing(world, cats, private_media):
    photo = stored(world, cats, jpeg_bytes((800, 600)))
    stale = CasePhoto.objects.get(pk=photo.pk)  # read before the first caller finished
    ensure_derivatives(photo)
    files = files_under(private_media)
    assert len(files) == 3
    ensure_derivatives(stale)
    assert files_under(private_media) == files
    assert (stale.display, stale.thumbnail) == (photo.display, photo.thumbnail)


def test_derivatives_go_to_fixed_keys_over_a_failed_runs_leftovers(world, cats, private_media):
    photo = stored(world, cats, jpeg_bytes((800, 600)))
    base = photo.original.rsplit("/", 1)[0]
    # A run that wrote its files and died before recording them.
    private_storage.save(f"{base}/display.jpg", io.BytesIO(b"half a file"))
    private_storage.save(f"{base}/thumb.jpg", io.BytesIO(b"half a file"))
    ensure_derivatives(photo)
    photo.refresh_from_db()
    assert (photo.display, photo.thumbnail) == (f"{base}/display.jpg", f"{base}/thumb.jpg")
    assert len(files_under(private_media)) == 3
    assert Image.open(io.BytesIO(read(photo.display))).size == (800, 600)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(world, cats, private_media, monkeypatch):
    drafts: list[tuple] = []
    plain = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append((mode, size, self.size))
        return plain(self, mode, size)

    photo = stored(world, cats, jpeg_bytes((6400, 3400)))
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    ensure_derivatives(photo)
    assert drafts == [("RGB", (DISPLAY_EDGE, DISPLAY_EDGE), (6400, 3400))]
    # Decoded at half size (3200 × 1700), still large enough for the display copy.
    assert Image.open(io.BytesIO(read(photo.display))).size == (1600, 850)
    assert max(Image.open(io.BytesIO(read(photo.thumbnail))).size) == 320
