"""Case photos: checked at the edge, stored privately, derivatives without EXIF.

- `validate_photos` (views and the API call it) refuses anything that is not
  a JPEG, PNG or WebP of at most ZHENXING_PHOTO_MAX_BYTES, or whose pixel
  count could exhaust memory when decoded (a decompression bomb), and reads
  the EXIF GPS position and time while the bytes are in hand.
- `save_photos` (services call it inside their transaction) writes the
  original to private storage under a random token and, after commit, has
  the worker make the display and thumbnail derivatives: orientation
  corrected, re-encoded as JPEG, no EXIF.
- `files_removed_on_error` wraps a service's transaction: if anything fails,
  the files written inside it are removed, so a refused step leaves neither a
  row nor a file behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import io
import secrets
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext as _
from django_tasks import task
from PIL import Image, ImageOps

from zhenxing.cases.models import CasePhoto

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Photos per step: a report, a rectification or a verification carries 1 to 9.
MAX_PHOTOS = 9
DISPLAY_EDGE = 1600
THUMBNAIL_EDGE = 320

# EXIF times outside this span are a camera's unset clock (0001:01:01), not a
# time a photo of a case was taken; kept, they could not even be stored.
TAKEN_AT_EARLIEST = datetime.datetime(1990, 1, 1)
TAKEN_AT_AHEAD = datetime.timedelta(days=1)

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 36867
_DATETIME = 306


class PhotoError(Exception):
    """An upload that is not an acceptable photo; the message names the file and the fix."""


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.ZHENXING_PRIVATE_MEDIA_ROOT)


# Originals and derivatives live here, outside MEDIA_ROOT: nothing under it is
# served except through `cases.views.photo`, which checks the case is visible.
private_storage: Storage = _PrivateStorage()  # type: ignore[assignment]


@dataclass(frozen=True)
class ValidatedPhoto:
    name: str
    data: bytes
    format: str
    width: int
    height: int
    sha256: str
    taken_at: datetime.datetime | None
    lat: float | None
    lng: float | None

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


def _read(upload: Any, limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data


def _ratio(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # a malformed GPS block is no reason to refuse the photo
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    try:
        lat = sum(_ratio(v) / 60**i for i, v in enumerate(gps[2]))
        lng = sum(_ratio(v) / 60**i for i, v in enumerate(gps[4]))
    except TypeError:
        return None
    if gps.get(1) in ("S", b"S"):
        lat = -lat
    if gps.get(3) in ("W", b"W"):
        lng = -lng
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return lat, lng


def _taken_at(exif: Image.Exif) -> datetime.datetime | None:
    raw = None
    with contextlib.suppress(Exception):
        raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
    raw = raw or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        naive = datetime.datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if naive < TAKEN_AT_EARLIEST:
        return None
    try:
        # Cameras write local time without a zone; ours is the platform's.
        aware = timezone.make_aware(naive)
    except (ValueError, OverflowError):
        return None
    if aware > timezone.now() + TAKEN_AT_AHEAD:
        return None
    return aware


def validate_photo(upload: Any) -> ValidatedPhoto:
    name = str(getattr(upload, "name", "") or _("photo"))[:100]
    limit = settings.ZHENXING_PHOTO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise PhotoError(
            _("%(name)s is larger than %(mb)d MB; send a smaller photo.")
            % {"name": name, "mb": limit // (1024 * 1024)}
        )
    data = _read(upload, limit)
    if len(data) > limit:
        raise PhotoError(
            _("%(name)s is larger than %(mb)d MB; send a smaller photo.")
            % {"name": name, "mb": limit // (1024 * 1024)}
        )
    not_a_photo = PhotoError(
        _(
            "%(name)s is not a JPEG, PNG or WebP photo; "
            "take or choose a photo in one of these formats."
        )
        % {"name": name}
    )
    too_many_pixels = PhotoError(
        _("%(name)s has too many pixels to process; send a photo of at most %(mp)d megapixels.")
        % {"name": name, "mp": settings.ZHENXING_PHOTO_MAX_PIXELS // 1_000_000}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            # Many phones write a JPEG with an embedded preview (Multi-Picture
            # Format), which Pillow names MPO: it is a JPEG, stored as one.
            image_format = "JPEG" if image.format == "MPO" else image.format
            if image_format not in FORMATS:
                raise not_a_photo
            width, height = image.size
            if (
                width * height > settings.ZHENXING_PHOTO_MAX_PIXELS
                or getattr(image, "n_frames", 1) > 1
                and image_format == "PNG"
            ):
                raise too_many_pixels
            # verify() must come directly after open: reading a PNG's EXIF
            # loads the image, after which verify() raises RuntimeError.
            image.verify()
            # verify() does not decode the pixels; a truncated file only shows
            # when decoded. JPEGs decode at 1/8 scale, which is enough to know.
            image = Image.open(io.BytesIO(data))
            if image_format == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
            exif = image.getexif()
            gps = _gps(exif)
            taken_at = _taken_at(exif)
    except PhotoError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_many_pixels from None
    except Exception:
        # Pillow's parsers raise many kinds of error on malformed input
        # (OSError, SyntaxError, struct.error, IndexError…); whichever it is,
        # the upload is not a photo we can use, and must not become a 500.
        raise not_a_photo from None
    return ValidatedPhoto(
        name=name,
        data=data,
        format=str(image_format),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        taken_at=taken_at,
        lat=gps[0] if gps else None,
        lng=gps[1] if gps else None,
    )


def max_photo_mb() -> int:
    """The largest photo accepted, in whole megabytes (for the forms' help text)."""
    return max(1, settings.ZHENXING_PHOTO_MAX_BYTES // (1024 * 1024))


def validate_photos(
    uploads: Sequence[Any], *, required: bool = False, max_count: int = MAX_PHOTOS
) -> list[ValidatedPhoto]:
    """Check every upload before anything is written; raise PhotoError at the first bad one."""
    uploads = [u for u in uploads if u]
    if required and not uploads:
        raise PhotoError(_("Add at least one photo."))
    if len(uploads) > max_count:
        raise PhotoError(_("At most %(max)d photos at a time.") % {"max": max_count})
    return [validate_photo(upload) for upload in uploads]


def first_gps(photos: Sequence[ValidatedPhoto]) -> tuple[float, float] | None:
    for photo in photos:
        if photo.lat is not None and photo.lng is not None:
            return photo.lat, photo.lng
    return None


# --- storage ---------------------------------------------------------------------

_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "zhenxing_photo_files_written", default=None
)


@contextlib.contextmanager
def files_removed_on_error() -> Iterator[None]:
    """Remove the files saved inside this block if the block fails (its rows roll back)."""
    outer = _written.get()
    if outer is not None:
        # Nested: the outermost block owns the clean-up.
        yield
        return
    written: list[str] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for key in written:
            with contextlib.suppress(OSError):
                private_storage.delete(key)
        raise
    finally:
        _written.reset(token)


def _store(key: str, data: bytes) -> str:
    saved = private_storage.save(key, ContentFile(data))
    written = _written.get()
    if written is not None:
        written.append(saved)
    return saved


def new_token() -> str:
    """A photo's random name: 24 letters and digits (144 bits; no "-" or "_" for tidy URLs)."""
    return secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")[:24]


def store_original(*, folder: str, photo: ValidatedPhoto, actor: Any) -> dict[str, Any]:
    """Write one original to private storage under a fresh token.

    Returns the fields every photo model shares (`CasePhoto`,
    `inspections.InspectionPhoto`): the caller adds its own links and creates the row.
    """
    token = new_token()
    key = _store(f"{folder}/{token[:2]}/{token}/original.{photo.extension}", photo.data)
    return {
        "token": token,
        "original": key,
        "content_type": photo.content_type,
        "size": len(photo.data),
        "width": photo.width,
        "height": photo.height,
        "sha256": photo.sha256,
        "taken_at": photo.taken_at,
        "lat": photo.lat,
        "lng": photo.lng,
        "uploaded_by": actor if getattr(actor, "is_authenticated", False) else None,
    }


def derivatives_after_commit(make: Any, photo_ids: Sequence[int]) -> None:
    """Enqueue `make` (a task taking a photo's id) for each new photo once the write commits.

    Inspection scores, progress reports and patrols store their photos in their
    own transaction; a worker must not look for a row that is not committed yet.
    """
    ids = list(photo_ids)
    if not ids:
        return

    def enqueue() -> None:
        for pk in ids:
            make.enqueue(pk)

    transaction.on_commit(enqueue, robust=True)


def save_photos(
    *, case: Any, event: Any, kind: str, photos: Sequence[ValidatedPhoto], actor: Any
) -> list[CasePhoto]:
    """Store each original privately and record it; derivatives follow after commit."""
    saved = [
        CasePhoto.objects.create(
            case=case,
            event=event,
            kind=kind,
            **store_original(folder="cases", photo=p, actor=actor),
        )
        for p in photos
    ]
    ids = [p.pk for p in saved]
    if ids:
        transaction.on_commit(lambda: [make_derivatives.enqueue(pk) for pk in ids], robust=True)
    return saved


def _shrunk(image: Image.Image, edge: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow writes what `info` holds (a JPEG comment, XMP) even without being
    # asked: emptied, and no exif= / icc_profile= given, the derivative carries
    # no metadata at all. A comment may hold a phone number.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _overwrite(key: str, data: bytes) -> str:
    """Store `data` under exactly `key`, replacing a file a failed run may have left there.

    Storage `save` never overwrites: it would pick another name, and a retry
    would leave copies behind. The caller holds the photo's row lock, so no
    one else writes this key meanwhile.
    """
    private_storage.delete(key)
    saved = _store(key, data)
    if saved != key:  # pragma: no cover - only if the storage renames regardless
        raise OSError(f"{key} was stored as {saved}")
    return saved


def ensure_derivatives(photo: Any) -> Any:
    """Make the display and thumbnail JPEGs if they are missing (idempotent, race-safe).

    Works for any photo model with the fields `store_original` fills and
    `display` / `thumbnail` (`CasePhoto`, `inspections.InspectionPhoto`).
    The photo's row is locked and `ready` read again under the lock, so two
    workers (or a worker and a page that asks first) never both write.
    """
    if photo.ready:
        return photo
    rows = type(photo)._default_manager
    with files_removed_on_error(), transaction.atomic():
        locked = rows.select_for_update().get(pk=photo.pk)
        if not locked.ready:
            with private_storage.open(locked.original, "rb") as handle:
                image = Image.open(io.BytesIO(handle.read()))
                if image.format in ("JPEG", "MPO"):
                    # Decode at the smallest scale (1/2, 1/4, 1/8) still at
                    # least the display size: far less memory and time.
                    image.draft("RGB", (DISPLAY_EDGE, DISPLAY_EDGE))
                image.load()
            display_image = _shrunk(_flatten(image), DISPLAY_EDGE)
            thumbnail_image = _shrunk(display_image, THUMBNAIL_EDGE)
            base = locked.original.rsplit("/", 1)[0]
            locked.display = _overwrite(f"{base}/display.jpg", _jpeg(display_image, 82))
            locked.thumbnail = _overwrite(f"{base}/thumb.jpg", _jpeg(thumbnail_image, 75))
            rows.filter(pk=locked.pk).update(display=locked.display, thumbnail=locked.thumbnail)
    photo.display, photo.thumbnail = locked.display, locked.thumbnail
    return photo


@task()
def make_derivatives(photo_id: int) -> None:
    """Background: the display and thumbnail versions of one uploaded photo."""
    photo = CasePhoto.objects.filter(pk=photo_id).first()
    if photo is not None:
        ensure_derivatives(photo)
