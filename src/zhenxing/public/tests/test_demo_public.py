"""The demo's board (`demo.public.load_public`), on the small test territory."""

from __future__ import annotations

import pytest

from zhenxing.cases import services as case_services
from zhenxing.cases.models import Status
from zhenxing.cases.photos import private_storage, validate_photos
from zhenxing.cases.testing import jpeg_bytes, upload
from zhenxing.core.models import AuditEntry
from zhenxing.demo.public import load_public
from zhenxing.public.models import Publication
from zhenxing.public.testing import closed_case

pytestmark = pytest.mark.django_db


def closed_in_b(world, cats):
    case = case_services.case_report(
        actor=None,
        category=cats.garbage,
        source="resident",
        description="乙社区垃圾",
        lat=23.005,
        lng=113.125,
        photos=validate_photos([upload("b.jpg", jpeg_bytes(color="blue"))]),
    )
    case = case_services.case_accept(case=case, actor=world.admin)
    case = case_services.case_dispatch(case=case, actor=world.admin, to=world.b)
    case = case_services.case_start(case=case, actor=world.outsider)
    case = case_services.case_rectify(
        case=case,
        actor=world.outsider,
        note="已清理",
        photos=validate_photos([upload("b2.jpg", jpeg_bytes(color="green"))]),
    )
    return case_services.case_verify(case=case, actor=world.admin, passed=True)


def open_with_before(world, cats):
    case = case_services.case_report(
        actor=None,
        category=cats.garbage,
        source="resident",
        description="还在处理",
        lat=23.002,
        lng=113.102,
        photos=validate_photos([upload("o.jpg", jpeg_bytes(color="yellow"))]),
    )
    case = case_services.case_accept(case=case, actor=world.admin)
    return case_services.case_dispatch(case=case, actor=world.admin, to=world.a)


def test_load_public_spreads_across_communities_and_runs_once(world, cats, private_media):
    a_cases = [closed_case(world, cats.garbage) for _ in range(2)]
    b_case = closed_in_b(world, cats)
    still_open = open_with_before(world, cats)
    counts = load_public(actor=world.admin, count=2, root_code="GC")
    assert counts == {"publications": 3, "closed": 2, "open": 1}
    published = Publication.objects.filter(is_published=True)
    numbers = set(published.values_list("case__number", flat=True))
    # One closed case from each community, not two from the first.
    assert b_case.number in numbers
    assert len(numbers & {c.number for c in a_cases}) == 1
    assert still_open.number in numbers
    for publication in published.select_related("case"):
        assert publication.before_photo_id and private_storage.exists(publication.share_image)
        if publication.case.status == Status.CLOSED:
            assert publication.after_photo_id
        else:
            assert publication.after_photo_id is None
        assert publication.published_by == world.admin
    assert AuditEntry.objects.filter(action="public.publish").count() == 3
    # A second run publishes nothing more.
    assert load_public(actor=world.admin, count=2, root_code="GC")["publications"] == 0
    assert Publication.objects.count() == 3
