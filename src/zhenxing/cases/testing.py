"""Photo helpers for the test suites of every app that takes photos (cases, inspections, …)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_bytes(
    size: tuple[int, int] = (64, 48),
    color: str = "red",
    exif: Any = None,
    comment: bytes | None = None,
) -> bytes:
    out = io.BytesIO()
    extra: dict[str, Any] = {}
    if exif is not None:
        extra["exif"] = exif
    if comment is not None:
        extra["comment"] = comment
    Image.new("RGB", size, color).save(out, "JPEG", **extra)
    return out.getvalue()


def gps_exif(lat: float, lng: float) -> Image.Exif:
    """EXIF with a GPS fix north and east (where the test territories lie), as a phone writes it.

    Add tags to it before `tobytes()` for more (a camera make, say).
    """

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
        return (float(degrees), float(minutes), seconds)

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lng)}
    return exif


def jpeg_with_gps(lat: float, lng: float) -> bytes:
    """A small JPEG whose EXIF holds a GPS fix: what validate_photos reads the place from."""
    return jpeg_bytes(exif=gps_exif(lat, lng).tobytes())


def upload(
    name: str = "spot.jpg", data: bytes | None = None, content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_bytes(), content_type)
