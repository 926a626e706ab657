"""Inspection fixtures on top of the shared `world`, for every test file of this app.

- `insp`: two area types (村居 village, 道路 road), two case categories
  (环境卫生/暴露垃圾, 环境卫生/乱堆乱放) and the general checklist GEN v1, in use:
      A01 暴露垃圾  −2 per 处, at most −10, opens cases under 暴露垃圾
      A02 乱堆乱放  −1 per 处, no cap, no case category
      A03 宣传栏破损 −5 per 处, at most −5, opens cases under 乱堆乱放
- `road_template`: a checklist of the road type (ROAD v1, in use) and
  GC02-01-A (乙一片区) made a road area.
- `admin_a`: an office admin of 社区甲 only.
- `round_a`: today's round on 社区甲's two areas, walked by `world.inspector_a`
  (`round_a.i1` GC01-01-A, `round_a.i2` GC01-01-B, both assigned to them).
- `round_all`: today's round on all three areas of the world, walked by
  `inspector_gc` (an inspector of the whole subdistrict).
- `scored_a1`: `round_a.i1` scored by inspector_a: 暴露垃圾 ×3 (−6) → 94.
- `private_media` (root conftest): photos go to a temporary folder.
- Helpers: `photo()` gives a ValidatedPhoto (optionally with GPS),
  `finding(item, count, **kw)` a FindingInput, `submit(inspection, actor, ...)`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from zhenxing.cases.testing import jpeg_bytes, upload  # noqa: F401  (re-exported to the tests)


def gps_exif(lat: float, lng: float) -> Any:
    """EXIF with a GPS position (north and east), as a phone camera writes it."""
    exif = Image.Exif()

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes_full = (value - degrees) * 60
        minutes = int(minutes_full)
        return (float(degrees), float(minutes), round((minutes_full - minutes) * 60, 4))

    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lng)}
    return exif


def photo(color: str = "red", gps: tuple[float, float] | None = None, name: str = "spot.jpg"):
    """A validated photo, as a view hands it to the services; `gps` is (lat, lng)."""
    from zhenxing.cases.photos import validate_photo

    exif = gps_exif(*gps) if gps else None
    return validate_photo(upload(name, jpeg_bytes(color=color, exif=exif)))


def finding(item: Any, count: int = 1, **kwargs: Any) -> Any:
    from zhenxing.inspections.services import FindingInput

    return FindingInput(item=item, count=count, **kwargs)


def submit(inspection: Any, actor: Any, *findings: Any, **kwargs: Any) -> Any:
    from zhenxing.inspections.services import inspection_submit

    return inspection_submit(inspection=inspection, actor=actor, findings=list(findings), **kwargs)


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    """A GeoJSON square with its south-west corner at (lng, lat), as the world's areas are."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


# A point inside 甲一片区 (GC01-01-A, the square 113.10..113.11 × 23.00..23.01).
IN_A1 = (23.005, 113.105)
IN_A2 = (23.005, 113.115)
IN_B1 = (23.005, 113.125)


@pytest.fixture
def insp(world):
    from zhenxing.cases.models import Category, TimeLimitUnit
    from zhenxing.inspections.models import (
        AreaType,
        InspectionTemplate,
        TemplateItem,
        TemplateStatus,
    )

    village = AreaType.objects.create(code="CJ", name="村居", order=1)
    road = AreaType.objects.create(code="DL", name="道路", order=2)
    sanitation = Category.objects.create(code="HJ", name="环境卫生")
    garbage_cat = Category.objects.create(
        parent=sanitation,
        code="HJ01",
        name="暴露垃圾",
        time_limit=2,
        time_limit_unit=TimeLimitUnit.WORKING_DAYS,
        after_photo_required=False,
    )
    clutter_cat = Category.objects.create(
        parent=sanitation, code="HJ02", name="乱堆乱放", after_photo_required=False
    )
    general = InspectionTemplate.objects.create(
        code="GEN",
        version=1,
        name="人居环境暗检通用表",
        status=TemplateStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    garbage = TemplateItem.objects.create(
        template=general,
        order=1,
        code="A01",
        text="暴露垃圾",
        unit="处",
        points_per_unit=Decimal("2"),
        max_deduction=Decimal("10"),
        category=garbage_cat,
    )
    clutter = TemplateItem.objects.create(
        template=general,
        order=2,
        code="A02",
        text="乱堆乱放",
        unit="处",
        points_per_unit=Decimal("1"),
        max_deduction=None,
    )
    board = TemplateItem.objects.create(
        template=general,
        order=3,
        code="A03",
        text="宣传栏破损",
        unit="处",
        points_per_unit=Decimal("5"),
        max_deduction=Decimal("5"),
        category=clutter_cat,
    )
    return SimpleNamespace(
        world=world,
        village=village,
        road=road,
        sanitation=sanitation,
        garbage_cat=garbage_cat,
        clutter_cat=clutter_cat,
        general=general,
        garbage=garbage,
        clutter=clutter,
        board=board,
    )


@pytest.fixture
def road_template(insp, world):
    from zhenxing.inspections.models import (
        AreaTypeMembership,
        InspectionTemplate,
        TemplateItem,
        TemplateStatus,
    )

    template = InspectionTemplate.objects.create(
        code="ROAD",
        version=1,
        name="道路暗检表",
        area_type=insp.road,
        status=TemplateStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    TemplateItem.objects.create(
        template=template,
        order=1,
        code="R01",
        text="路面垃圾",
        unit="处",
        points_per_unit=Decimal("3"),
        max_deduction=Decimal("15"),
        category=insp.garbage_cat,
    )
    AreaTypeMembership.objects.create(area=world.area_b1, area_type=insp.road)
    return template


@pytest.fixture
def inspector_gc(world):
    """An inspector of the whole subdistrict (the standing team), with no other role."""
    from zhenxing.people.models import Role, RoleAssignment, User

    user = User.objects.create_user(username="insp_gc", password="x", display_name="巡查员乙")
    RoleAssignment.objects.create(user=user, role=Role.INSPECTOR, region=world.root)
    return user


@pytest.fixture
def admin_a(world):
    """An office admin of 社区甲 only (not of the whole subdistrict)."""
    from zhenxing.people.models import Role, RoleAssignment, User

    user = User.objects.create_user(username="office_a", password="x", display_name="甲办")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    return user


def _by_area(round_: Any) -> dict[str, Any]:
    return {i.area.code: i for i in round_.inspections.select_related("area", "template")}


@pytest.fixture
def round_a(insp, world):
    from zhenxing.inspections.services import round_plan

    round_ = round_plan(
        actor=world.admin,
        date=timezone.localdate(),
        scope=world.a,
        inspectors=[world.inspector_a],
        areas=[world.area_a1, world.area_a2],
        title="社区甲暗检",
    )
    found = _by_area(round_)
    round_.i1, round_.i2 = found["GC01-01-A"], found["GC01-01-B"]
    return round_


@pytest.fixture
def round_all(insp, world, inspector_gc):
    from zhenxing.inspections.services import round_plan

    round_ = round_plan(
        actor=world.admin,
        date=timezone.localdate(),
        scope=world.root,
        inspectors=[inspector_gc],
        areas=[world.area_a1, world.area_a2, world.area_b1],
    )
    found = _by_area(round_)
    round_.i1, round_.i2, round_.ib = found["GC01-01-A"], found["GC01-01-B"], found["GC02-01-A"]
    return round_


@pytest.fixture
def scored_a1(round_a, insp, world):
    """社区甲's first area scored by inspector_a: 暴露垃圾 ×3 → −6 → 94."""
    return submit(
        round_a.i1, world.inspector_a, finding(insp.garbage, 3), lat=IN_A1[0], lng=IN_A1[1]
    )


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)
