from __future__ import annotations

from zhenxing.cases import services
from zhenxing.cases.models import Status
from zhenxing.cases.photos import validate_photos

from .conftest import IN_A1, upload


def test_the_whole_loop_by_the_right_people(world, cats, private_media):
    photos = validate_photos([upload()])
    case = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="路边暴露垃圾",
        lat=IN_A1[0],
        lng=IN_A1[1],
        photos=photos,
    )
    assert case.region == world.area_a1 and case.status == Status.REPORTED
    services.case_accept(case=case, actor=world.secretary_a)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    assert case.deadline is not None
    services.case_start(case=case, actor=world.secretary_a)
    services.case_rectify(
        case=case, actor=world.secretary_a, note="已清理", photos=validate_photos([upload()])
    )
    services.case_verify(case=case, actor=world.inspector_a, passed=True)
    assert case.status == Status.CLOSED and case.closed_on_time
    assert case.events.count() == 6
