"""The pixels the public sees: redacted copies of case photos, and the share image.

Everything made here is a new image built from pixels and encoded without
metadata: no EXIF (GPS, camera, time), no JPEG comment, no ICC profile, no
XMP. The originals keep their EXIF as the office's evidence; they are read
here and never leave private storage.

- `render_public_photo` crops and redacts one case photo for the board.
- `make_share_image` draws the before | after JPEG for official accounts
  from the public copies only (never from an original), and
  `ensure_share_image` stores it once (race-safe, like
  `cases.photos.ensure_derivatives`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from zhenxing.cases.models import CasePhoto
from zhenxing.cases.photos import (
    _flatten,
    _jpeg,
    _store,
    files_removed_on_error,
    new_token,
    private_storage,
)
from zhenxing.public.context import board_title
from zhenxing.public.selectors import fixed_at, public_status

# The board is read on phones: 1280 px is sharp on any of them, and far
# smaller than a camera original.
DISPLAY_EDGE = 1280
THUMBNAIL_EDGE = 320
DISPLAY_QUALITY = 82
THUMBNAIL_QUALITY = 75

SHARE_SIZE = (1200, 800)
SHARE_QUALITY = 85

# Colours of the public pages (public.css): the board's red, and the status greens.
RED = (183, 28, 28)
GREEN = (46, 125, 50)
ORANGE = (230, 120, 0)
INK = (33, 33, 33)
MUTED = (110, 110, 110)
PAPER = (250, 250, 247)
PANEL = (40, 40, 40)


class RenderError(ValueError):
    """The source photo cannot be read or is too large to decode; the message is for the user."""


# --- public copies ---------------------------------------------------------------


def _open_original(source: CasePhoto, needed_edge: int) -> Image.Image:
    """The source's original, decoded at no more resolution than `needed_edge` requires.

    The pixel cap is checked before decoding, as `cases.photos.validate_photo`
    does at upload: an original stored before a lower cap must not exhaust
    memory here either.
    """
    try:
        with private_storage.open(source.original, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise RenderError(_("The original of this photo is missing; choose another.")) from error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > settings.ZHENXING_PHOTO_MAX_PIXELS:
                raise RenderError(_("This photo has too many pixels to process; choose another."))
            if image.format in ("JPEG", "MPO"):
                # A JPEG decodes at 1/2, 1/4 or 1/8 scale for free; a square
                # request keeps enough pixels whichever way the photo is turned.
                image.draft("RGB", (needed_edge, needed_edge))
            image.load()
    except RenderError:
        raise
    except Exception as error:
        # Pillow raises many kinds of error on a damaged file; none may become a 500.
        raise RenderError(_("This photo cannot be read; choose another.")) from error
    return image


def _box(region: Mapping[str, float], width: int, height: int) -> tuple[int, int, int, int]:
    """A fraction box {x, y, w, h} as pixels, rounded outwards and clamped to the image."""
    left = max(0, math.floor(float(region["x"]) * width))
    top = max(0, math.floor(float(region["y"]) * height))
    right = min(width, math.ceil((float(region["x"]) + float(region["w"])) * width))
    bottom = min(height, math.ceil((float(region["y"]) + float(region["h"])) * height))
    return left, top, max(right, left + 1), max(bottom, top + 1)


def _redact(image: Image.Image, redactions: Sequence[Mapping[str, float]]) -> None:
    # A solid fill, not a blur or a mosaic: a blurred face or number plate can
    # be sharpened back or matched against guesses, and coarse pixelation of
    # text can be reversed by trying candidates; a black box holds nothing of
    # what was under it.
    draw = ImageDraw.Draw(image)
    for region in redactions:
        left, top, right, bottom = _box(region, *image.size)
        draw.rectangle((left, top, right - 1, bottom - 1), fill=(0, 0, 0))


def _shrunk(image: Image.Image, edge: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB image of the pixels alone: what `info` or a profile held stays behind."""
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def render_public_photo(
    source: CasePhoto,
    crop: Mapping[str, float] | None,
    redactions: Sequence[Mapping[str, float]],
) -> tuple[bytes, bytes, int, int]:
    """The display and thumbnail JPEGs of a public copy, and the display's width and height.

    `crop` is {x, y, w, h} as fractions of the photo as seen (after the EXIF
    orientation); `redactions` are boxes as fractions of the cropped image,
    filled solid black. Both were validated by the caller
    (`services.clean_crop` / `clean_redactions`); boxes are clamped here all the same.
    """
    crop_w = float(crop["w"]) if crop else 1.0
    crop_h = float(crop["h"]) if crop else 1.0
    needed = math.ceil(DISPLAY_EDGE / max(min(crop_w, crop_h), 0.01))
    image = _flatten(_open_original(source, needed))
    if crop:
        image = image.crop(_box(crop, *image.size))
    # Black out at full resolution first, so no pixel of what was under a box
    # reaches the resampling; then again on each output size, so the box is
    # solid black there too and not a soft grey edge where the filter mixed
    # its neighbours in.
    _redact(image, redactions)
    display = _pixels_only(_shrunk(image, DISPLAY_EDGE))
    _redact(display, redactions)
    thumbnail = _pixels_only(_shrunk(display, THUMBNAIL_EDGE))
    _redact(thumbnail, redactions)
    return (
        _jpeg(display, DISPLAY_QUALITY),
        _jpeg(thumbnail, THUMBNAIL_QUALITY),
        display.width,
        display.height,
    )


def public_photo_keys(token: str) -> tuple[str, str]:
    """Storage keys of a public copy's display and thumbnail files."""
    base = f"public/{token[:2]}/{token}"
    return f"{base}/display.jpg", f"{base}/thumb.jpg"


def store_public_photo(token: str, display: bytes, thumbnail: bytes) -> tuple[str, str]:
    """Write a public copy's files (removed again if the caller's transaction fails)."""
    display_key, thumb_key = public_photo_keys(token)
    return _store(display_key, display), _store(thumb_key, thumbnail)


# --- the share image ---------------------------------------------------------------

_BUNDLED_FONT = "NotoSansCJK-VF.otf.ttc"
_BUNDLED_INDEX = 2  # Noto Sans CJK SC in the collection


def _bundled_font_path() -> str:
    import manimgx_fonts_cjk

    return str(Path(manimgx_fonts_cjk.__file__).parent / _BUNDLED_FONT)


@functools.lru_cache(maxsize=32)
def _font(path: str, index: int, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, size, index=index)
    # A configured static font is no variable font: it has the one weight it has.
    with contextlib.suppress(OSError, ValueError):
        font.set_variation_by_name(b"Bold" if bold else b"Regular")
    return font


def share_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A CJK font: ZHENXING_SHARE_FONT if set, else the bundled Noto Sans CJK SC."""
    configured = settings.ZHENXING_SHARE_FONT
    if configured:
        return _font(str(configured), 0, size, bold)
    return _font(_bundled_font_path(), _BUNDLED_INDEX, size, bold)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont) -> float:
    return draw.textlength(text, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`text`, cut with an ellipsis where it would run wider than `width`."""
    if _text_width(draw, text, font) <= width:
        return text
    while text and _text_width(draw, text + "…", font) > width:
        text = text[:-1]
    return text + "…"


def _day(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def _read_public(key: str) -> Image.Image | None:
    try:
        with private_storage.open(key, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except Exception:
        return None
    return image.convert("RGB")


def _panel(
    canvas: Image.Image,
    box: tuple[int, int, int, int],
    photo: Image.Image | None,
    placeholder: str,
) -> None:
    """One photo fitted whole into `box` on a dark ground, or the placeholder text."""
    left, top, right, bottom = box
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=PANEL)
    if photo is None:
        font = share_font(44, bold=True)
        placeholder = _fit(draw, placeholder, font, right - left - 40)
        width = _text_width(draw, placeholder, font)
        draw.text(
            ((left + right - width) / 2, (top + bottom) / 2 - 30),
            placeholder,
            font=font,
            fill=(240, 240, 240),
        )
        return
    # Scaled to fill the panel either way: a small photo is not left as a stamp in the middle.
    fitted = ImageOps.contain(photo, (right - left, bottom - top), Image.Resampling.LANCZOS)
    x = left + (right - left - fitted.width) // 2
    y = top + (bottom - top - fitted.height) // 2
    canvas.paste(fitted, (x, y))


def _caption(
    draw: ImageDraw.ImageDraw, x: int, y: int, label: str, colour: tuple[int, int, int], note: str
) -> None:
    label_font = share_font(30, bold=True)
    note_font = share_font(24)
    width = _text_width(draw, label, label_font)
    draw.rounded_rectangle((x, y, x + width + 28, y + 46), radius=6, fill=colour)
    draw.text((x + 14, y + 2), label, font=label_font, fill=(255, 255, 255))
    if note:
        draw.text((x + width + 44, y + 9), note, font=note_font, fill=MUTED)


@dataclass(frozen=True)
class ShareWords:
    """What the share image says, in the words of the public pages (selectors.public_status)."""

    reported: str  # beside "Before": "Reported <date>" (reported_at)
    after_note: str  # beside "After": "Fixed <date>" (closed_at) once closed, else the status
    after_fixed: bool  # the "After" label in green (fixed) or orange (not yet)
    after_placeholder: str  # in the after panel while there is no after photo


def share_words(publication: Any) -> ShareWords:
    """The share image's words, in the current language.

    The same words and dates as the board: "Fixed" with the date the office
    checked and closed the case (not the day the handler said it was put
    right), and before that the public status (整改中, 已整改待核查…), so a
    share image never says more than the board does.
    """
    case = publication.case
    reported = _("Reported %(date)s") % {"date": _day(case.reported_at)}
    closed_at = fixed_at(case)
    if closed_at is not None:
        note, fixed = _("Fixed %(date)s") % {"date": _day(closed_at)}, True
    else:
        note, fixed = str(public_status(case).label), False
    return ShareWords(
        reported=reported,
        after_note=note,
        after_fixed=fixed,
        after_placeholder=_("No after photo yet"),
    )


def make_share_image(publication: Any) -> bytes:
    """One JPEG, 1200×800: the board's name, the title, place and dates, before | after.

    Drawn from the public copies (already cropped and redacted) and the
    office's public text only, in the platform's language whatever the
    office user's page was in: it is posted to official accounts. No name,
    no mobile number, no metadata.
    """
    case = publication.case
    before = publication.before_photo
    after = publication.after_photo
    width, height = SHARE_SIZE
    margin, gap = 30, 20
    with translation.override(settings.LANGUAGE_CODE):
        words = share_words(publication)
        canvas = Image.new("RGB", SHARE_SIZE, PAPER)
        draw = ImageDraw.Draw(canvas)
        # Header band: the board's name and the case number.
        draw.rectangle((0, 0, width, 84), fill=RED)
        number_font = share_font(24)
        number = _("No. %(number)s") % {"number": case.number}
        number_width = _text_width(draw, number, number_font)
        draw.text(
            (margin, 18),
            _fit(draw, board_title(), share_font(36, bold=True), width - 3 * margin - number_width),
            font=share_font(36, bold=True),
            fill=(255, 255, 255),
        )
        draw.text(
            (width - margin - number_width, 30), number, font=number_font, fill=(255, 230, 230)
        )
        # Title, then place.
        title_font = share_font(40, bold=True)
        draw.text(
            (margin, 100),
            _fit(draw, publication.title, title_font, width - 2 * margin),
            font=title_font,
            fill=INK,
        )
        place_font = share_font(26)
        draw.text(
            (margin, 158),
            _fit(draw, publication.place, place_font, width - 2 * margin),
            font=place_font,
            fill=MUTED,
        )
        # Captions over the two panels.
        panel_top, panel_bottom = 264, height - 70
        panel_width = (width - 2 * margin - gap) // 2
        left_box = (margin, panel_top, margin + panel_width, panel_bottom)
        right_box = (margin + panel_width + gap, panel_top, width - margin, panel_bottom)
        _caption(draw, left_box[0], 206, _("Before"), RED, words.reported)
        _caption(
            draw,
            right_box[0],
            206,
            _("After"),
            GREEN if words.after_fixed else ORANGE,
            words.after_note,
        )
        before_image = _read_public(before.image) if before is not None else None
        after_image = _read_public(after.image) if after is not None else None
        _panel(canvas, left_box, before_image, _("Photo unavailable"))
        _panel(canvas, right_box, after_image, words.after_placeholder)
        # Footer: when this image was made, so a repost shows its age.
        footer_font = share_font(22)
        footer = _("As of %(date)s") % {"date": _day(timezone.now())}
        draw.text((margin, height - 50), footer, font=footer_font, fill=MUTED)
    return _jpeg(_pixels_only(canvas), SHARE_QUALITY)


def share_state(publication: Any) -> str:
    """A short fingerprint of what the share image says about the case's progress.

    The case moves on after it is published (closed, sent back for rework)
    without a publishing write; the stored image would keep the old status.
    The fingerprint is part of the file's name, so `ensure_share_image` sees
    an image drawn for another state and draws it again.
    """
    with translation.override(settings.LANGUAGE_CODE):
        words = share_words(publication)
    text = "|".join((words.reported, words.after_note, words.after_placeholder))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def share_image_key(state: str) -> str:
    return f"public/share/{new_token()}-{state}.jpg"


def _is_current(key: str, publication: Any) -> bool:
    return bool(
        key and key.endswith(f"-{share_state(publication)}.jpg") and private_storage.exists(key)
    )


def store_share_image(publication: Any) -> str:
    """Draw and store a new share image; the storage key (removed if the transaction fails)."""
    return _store(share_image_key(share_state(publication)), make_share_image(publication))


def ensure_share_image(publication: Any) -> str | None:
    """The storage key of the publication's current share image, made and stored if missing
    or drawn for an earlier state of the case.

    None while the publication has no before photo. The row is locked and
    read again under the lock, so two requests that find it missing do not
    both draw one (and leave a stray file). A replaced image's file goes once
    the new key is committed.
    """
    from zhenxing.public.models import Publication

    if not publication.before_photo_id:
        return None
    if _is_current(publication.share_image, publication):
        return publication.share_image
    with files_removed_on_error(), transaction.atomic():
        locked = (
            Publication.objects.select_for_update(of=("self",))
            .select_related("case", "before_photo", "after_photo")
            .get(pk=publication.pk)
        )
        if locked.before_photo_id is None:
            return None
        if not _is_current(locked.share_image, locked):
            old = locked.share_image
            key = store_share_image(locked)
            Publication.objects.filter(pk=locked.pk).update(share_image=key)
            locked.share_image = key
            if old:
                transaction.on_commit(functools.partial(_delete_quietly, old), robust=True)
    publication.share_image = locked.share_image
    return locked.share_image


def _delete_quietly(key: str) -> None:
    with contextlib.suppress(OSError):
        private_storage.delete(key)
