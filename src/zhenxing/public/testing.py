"""Test helpers for the exposure board, residents' reports and Open311.

`closed_case` walks a resident's report with a GPS-tagged photo (and a
mobile number in its text) through the whole loop; `publish_directly` puts
it on the board by writing the rows the publishing service writes, so page
tests do not depend on the publishing desk.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone

from zhenxing.cases import services as case_services
from zhenxing.cases.models import Case, PhotoKind
from zhenxing.cases.photos import new_token, private_storage, validate_photos
from zhenxing.cases.testing import gps_exif, jpeg_bytes, upload
from zhenxing.public.models import Publication, PublicPhoto

# Put into every test report: none of them may ever reach a public byte.
SECRET_MOBILE = "13912345678"  # noqa: S105  (a marker, not a password)
SECRET_NAME = "王秘密"  # noqa: S105
CAMERA_MAKE = "SecretCam"


def jpeg_with_exif(lat: float = 23.005, lng: float = 113.105, color: str = "red") -> bytes:
    """A JPEG whose EXIF holds a GPS fix, a camera make and a comment: all private."""
    exif = gps_exif(lat, lng)
    exif[0x010F] = CAMERA_MAKE  # Make
    return jpeg_bytes((96, 72), color, exif=exif.tobytes(), comment=SECRET_MOBILE.encode())


def reported_case(world: Any, category: Any, *, lat: float = 23.005, lng: float = 113.105) -> Case:
    """A resident's report in 甲一片区 with a GPS-tagged photo, a name and a mobile number."""
    return case_services.case_report(
        actor=None,
        category=category,
        source="resident",
        description=f"路口有垃圾，联系我 {SECRET_MOBILE}",
        lat=lat,
        lng=lng,
        photos=validate_photos([upload("before.jpg", jpeg_with_exif(lat, lng, "red"))]),
        reporter_name=SECRET_NAME,
        reporter_mobile=SECRET_MOBILE,
    )


def rectified_case(world: Any, category: Any, *, lat: float = 23.005) -> Case:
    """`reported_case` accepted, dispatched to 社区甲, put right with an after photo, unchecked."""
    case = reported_case(world, category, lat=lat)
    case = case_services.case_accept(case=case, actor=world.admin)
    case = case_services.case_dispatch(case=case, actor=world.admin, to=world.a)
    case = case_services.case_start(case=case, actor=world.secretary_a)
    return case_services.case_rectify(
        case=case,
        actor=world.secretary_a,
        note="已清理",
        photos=validate_photos([upload("after.jpg", jpeg_with_exif(color="green"))]),
    )


def closed_case(world: Any, category: Any) -> Case:
    """`rectified_case`, checked and closed by the office."""
    case = rectified_case(world, category)
    return case_services.case_verify(case=case, actor=world.admin, passed=True)


def _public_copy(publication: Publication, kind: str, color: str) -> PublicPhoto:
    token = new_token()
    image = private_storage.save(
        f"public/{token[:2]}/{token}/display.jpg", io.BytesIO(jpeg_bytes(color=color))
    )
    thumb = private_storage.save(
        f"public/{token[:2]}/{token}/thumb.jpg", io.BytesIO(jpeg_bytes((32, 24), color))
    )
    source = publication.case.photos.filter(kind=kind).first()
    return PublicPhoto.objects.create(
        publication=publication,
        source=source,
        kind=kind,
        token=token,
        image=image,
        thumbnail=thumb,
        width=64,
        height=48,
    )


def publish_directly(case: Case, *, actor: Any = None, title: str = "路口暴露垃圾") -> Publication:
    """The rows a publication consists of, written without the publishing service."""
    now = timezone.now()
    publication = Publication.objects.create(
        case=case,
        is_published=True,
        title=title,
        description="路口暴露垃圾，已清理。",
        place=f"{case.region.parent.parent.name} {case.region.name}",
        first_published_at=now,
        published_at=now,
        published_by=actor,
    )
    publication.before_photo = _public_copy(publication, PhotoKind.BEFORE, "red")
    if case.photos.filter(kind=PhotoKind.AFTER).exists():
        publication.after_photo = _public_copy(publication, PhotoKind.AFTER, "green")
    publication.save(update_fields=["before_photo", "after_photo"])
    return publication
