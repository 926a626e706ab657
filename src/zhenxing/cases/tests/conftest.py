"""Case fixtures: a category tree on top of the shared `world` and helpers to make photos."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhenxing.cases.testing import jpeg_bytes, upload  # noqa: F401  (re-exported to the tests)


@pytest.fixture
def cats(world):
    """环境卫生/暴露垃圾 (community, 2 working days, after-photo); 河涌/水面漂浮物 (department)."""
    from zhenxing.cases.models import Category, HandlerKind, TimeLimitUnit

    sanitation = Category.objects.create(code="HJ", name="环境卫生")
    garbage = Category.objects.create(
        parent=sanitation,
        code="HJ01",
        name="暴露垃圾",
        time_limit=2,
        time_limit_unit=TimeLimitUnit.WORKING_DAYS,
        duplicate_radius_m=50,
        relapse_days=30,
    )
    river = Category.objects.create(code="HC", name="河涌")
    floating = Category.objects.create(
        parent=river,
        code="HC01",
        name="水面漂浮物",
        time_limit=24,
        time_limit_unit=TimeLimitUnit.HOURS,
        default_handler=HandlerKind.DEPARTMENT,
        default_department=world.dept,
        after_photo_required=False,
    )
    return SimpleNamespace(sanitation=sanitation, garbage=garbage, river=river, floating=floating)


# A point inside 甲一片区 (GC01-01-A, the square 113.10..113.11 × 23.00..23.01).
IN_A1 = (23.005, 113.105)
IN_B1 = (23.005, 113.125)
