"""Intake rules: relapses stay inside a community, resident details only on a resident's report,
further reports counted in SQL and seen as a change of the case."""

from __future__ import annotations

import datetime

import pytest

from zhenxing.cases import services
from zhenxing.cases.models import Case
from zhenxing.cases.selectors import relapse_origin
from zhenxing.cases.services import CaseError
from zhenxing.territory.selectors import community_path

from .conftest import IN_A1
from .test_loop import MONDAY, after_photos, dispatched, report, state


@pytest.fixture(autouse=True)
def _messages_in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


# Either side of the line between 甲二片区 (社区甲, to 113.12) and 乙一片区 (社区乙), ~20 m apart.
WEST_OF_LINE = (23.005, 113.1199)
EAST_OF_LINE = (23.005, 113.1201)


def test_community_path():
    assert community_path("GC/GC01/GC01-01/GC01-01-A/") == "GC/GC01/"
    assert community_path("GC/GC01/") == "GC/GC01/"
    assert community_path("GC/") == "GC/"


def test_a_closure_across_a_community_line_is_no_relapse(world, cats, private_media, frozen):
    first = report(world, cats.garbage, at=WEST_OF_LINE)
    assert first.region == world.area_a2
    services.case_accept(case=first, actor=world.secretary_a)
    services.case_dispatch(case=first, actor=world.secretary_a, to=world.area_a2)
    services.case_rectify(case=first, actor=world.secretary_a, note="已清", photos=after_photos())
    services.case_verify(case=first, actor=world.inspector_a, passed=True)
    frozen.shift(datetime.timedelta(days=3))

    # 社区乙's secretary reports the same kind of spot 20 m away, on their side.
    across = report(world, cats.garbage, world.outsider, at=EAST_OF_LINE)
    assert across.region == world.area_b1
    assert across.relapse_of is None
    # On 社区甲's side it is a relapse of 社区甲's own work.
    again = report(world, cats.garbage, at=(WEST_OF_LINE[0] + 0.0001, WEST_OF_LINE[1]))
    assert again.relapse_of == first
    found = relapse_origin(
        category=cats.garbage,
        lat=EAST_OF_LINE[0],
        lng=EAST_OF_LINE[1],
        region_path=world.area_b1.path,
        at=across.reported_at,
    )
    assert found is None


@pytest.mark.parametrize("source", ["office", "inspection"])
@pytest.mark.parametrize("details", [{"reporter_name": "张三"}, {"reporter_mobile": "13900000000"}])
def test_resident_details_only_on_a_residents_report(world, cats, private_media, source, details):
    actor = world.admin if source == "office" else world.inspector_a
    before = state()
    with pytest.raises(CaseError, match="resident's report only"):
        services.case_report(
            actor=actor,
            category=cats.garbage,
            source=source,
            description="路边暴露垃圾",
            lat=IN_A1[0],
            lng=IN_A1[1],
            **details,
        )
    assert state() == before


def test_a_residents_report_keeps_the_details(world, cats, private_media):
    case = services.case_report(
        actor=world.admin,
        category=cats.garbage,
        source="resident",
        description="群众来电",
        lat=IN_A1[0],
        lng=IN_A1[1],
        reporter_name="张三",
        reporter_mobile="13900000000",
    )
    assert (case.reporter_name, case.reporter_mobile) == ("张三", "13900000000")


def test_a_further_report_counts_in_sql_and_marks_the_case_changed(
    world, cats, private_media, frozen
):
    case = report(world, cats.garbage)
    first_seen = Case.objects.get(pk=case.pk).updated_at
    stale = Case.objects.get(pk=case.pk)  # a page loaded before either report
    frozen.shift(datetime.timedelta(hours=2))
    services.case_add_report(case=case, actor=world.party_member_a, description="又见")
    services.case_add_report(case=stale, actor=world.inspector_a, description="还在")
    row = Case.objects.get(pk=case.pk)
    assert row.report_count == 3 and stale.report_count == 3
    assert row.updated_at == first_seen + datetime.timedelta(hours=2)


def test_a_further_report_on_a_dispatched_case(world, cats, private_media):
    case = dispatched(world, cats.garbage)
    services.case_add_report(case=case, actor=world.party_member_a, description="又见")
    assert Case.objects.get(pk=case.pk).report_count == 2
