"""The battle map pages: the map, its data endpoint and the area sheet."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from zhenxing.plans.models import Campaign, ProgressReport, TaskType, Unit, WeeklyTarget
from zhenxing.plans.views.battle_map import legend_bins, week_label
from zhenxing.territory.models import Region
from zhenxing.territory.services import region_create

pytestmark = pytest.mark.django_db

# Thursday of 2026-W48; the campaign runs from the Monday of W46.
TODAY = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.UTC)
MONDAY = datetime.date(2026, 11, 23)
START = datetime.date(2026, 11, 9)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def plan(world):
    campaign = Campaign.objects.create(code="SQSC", name="三清三拆三整治", start=START)
    garbage = TaskType.objects.create(
        campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    sheds = TaskType.objects.create(
        campaign=campaign, code="CW", name="拆除违建", unit=Unit.SQUARE_METRE, order=2
    )
    street = region_create(code="GC01-01-A-01", name="甲一街", parent=world.area_a1, actor=None)
    targets = [
        (world.area_a1, garbage, Decimal("10")),
        (world.area_a2, garbage, Decimal("4")),
        (world.area_b1, garbage, Decimal("8")),
        (world.area_a1, sheds, Decimal("100")),
    ]
    for area, task, quantity in targets:
        WeeklyTarget.objects.create(
            area=area, region_path=area.path, task_type=task, week=MONDAY, quantity=quantity
        )
    reports = [
        (world.area_a1, garbage, Decimal("3")),
        (street, garbage, Decimal("2")),
        (world.area_b1, garbage, Decimal("8")),
    ]
    for region, task, quantity in reports:
        ProgressReport.objects.create(
            date=MONDAY + datetime.timedelta(days=1),
            region=region,
            region_path=region.path,
            task_type=task,
            quantity=quantity,
            reported_by=world.secretary_a,
        )
    return SimpleNamespace(campaign=campaign, garbage=garbage, sheds=sheds, street=street)


def unit(name: str) -> str:
    """A unit as the (Chinese) pages show it: 件, 分."""
    with translation.override("zh-hans"):
        return pgettext("unit", name)


def data_url(**params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('plans:map_data')}?{query}"


# -- the page ---------------------------------------------------------------------------------


def test_the_map_page_offers_campaigns_measures_and_weeks(world, plan, client_for):
    response = client_for(world.secretary_a).get(reverse("plans:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "三清三拆三整治" in html and "清理垃圾" in html
    assert 'name="measure" value="completion"' in html
    assert 'name="measure" value="overdue"' in html
    # W46, W47, W48 and next week W49: four positions, this week chosen.
    assert 'max="3"' in html and 'value="2"' in html
    assert "2026年第48周" in html
    config = response.context["map_config"]
    assert config["geojsonUrl"].endswith("?level=4")
    assert config["areaUrl"].startswith("/plans/area/__code__/?campaign=SQSC")
    # No CDN: the scripts are the project's own static files.
    assert "leaflet.js" in html and "https://" not in html.split("</main>")[0].split("<main")[1]


def test_the_map_page_without_a_role_or_a_campaign_says_why(world, client_for):
    client = client_for(world.nobody)
    response = client.get(reverse("plans:map"))
    assert response.status_code == 200
    assert "map_config" not in response.context
    client = client_for(world.secretary_a)
    response = client.get(reverse("plans:map"))
    assert response.status_code == 200
    assert "map_config" not in response.context


def test_the_map_page_falls_back_on_unknown_choices(world, plan, client_for):
    response = client_for(world.secretary_a).get(
        reverse("plans:map"), {"campaign": "NOPE", "measure": "x", "week": "bad", "task": "??"}
    )
    assert response.status_code == 200
    choice = response.context["choice"]
    assert (choice.campaign, choice.measure, choice.week) == (plan.campaign, "completion", MONDAY)
    assert choice.task_type is None


@pytest.mark.parametrize("view", ["plans:map", "plans:map_data"])
def test_the_map_answers_get_only(world, plan, client_for, view):
    assert client_for(world.admin).post(reverse(view)).status_code == 405


@pytest.mark.parametrize("view", ["plans:map", "plans:map_data"])
def test_the_map_needs_a_login(world, client, view):
    response = client.get(reverse(view))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- the data ---------------------------------------------------------------------------------


def test_map_data_has_the_completion_of_every_visible_area(world, plan, client_for):
    response = client_for(world.secretary_a).get(
        data_url(campaign="SQSC", task="LJ", measure="completion", week="2026-11-23")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["measure"] == "completion" and body["week"] == "2026-11-23"
    assert body["weekLabel"] == "2026年第48周"
    assert body["unit"] == "%"
    # 甲一: (3 + the street's 2) of 10; 甲二: nothing of 4; 社区乙's area is not there.
    assert body["values"]["GC01-01-A"] == 50
    assert body["values"]["GC01-01-B"] == 0
    assert "GC02-01-A" not in body["values"]
    assert [b["colour"] for b in body["bins"]][-1] == "#253494"
    assert body["noData"]["colour"]


def test_map_data_over_all_task_types_of_the_campaign(world, plan, client_for):
    body = (
        client_for(world.admin)
        .get(data_url(campaign="SQSC", measure="completion", week="2026-11-23"))
        .json()
    )
    assert set(body["values"]) >= {"GC01-01-A", "GC01-01-B", "GC02-01-A"}
    assert body["values"]["GC02-01-A"] == 100


def test_map_data_for_the_outsider_holds_only_their_areas(world, plan, client_for):
    body = (
        client_for(world.outsider)
        .get(data_url(campaign="SQSC", measure="open", week="2026-11-23"))
        .json()
    )
    assert set(body["values"]) <= {"GC02-01-A"}
    assert body["unit"] == unit("cases")


def test_map_data_for_someone_without_a_role_is_empty(world, plan, client_for):
    body = (
        client_for(world.nobody)
        .get(data_url(campaign="SQSC", measure="completion", week="2026-11-23"))
        .json()
    )
    assert body["values"] == {}


@pytest.mark.parametrize(
    "params",
    [
        {"campaign": "NOPE", "measure": "completion", "week": "2026-11-23"},
        {"campaign": "SQSC", "measure": "beauty", "week": "2026-11-23"},
        {"campaign": "SQSC", "measure": "completion", "week": "next-tuesday"},
        {"campaign": "SQSC", "measure": "completion", "week": "2026-02-30"},
        # Before the campaign, and beyond next week.
        {"campaign": "SQSC", "measure": "completion", "week": "2026-11-02"},
        {"campaign": "SQSC", "measure": "completion", "week": "2027-01-04"},
        {"campaign": "SQSC", "task": "XX", "measure": "completion", "week": "2026-11-23"},
        {"campaign": "SQSC", "measure": "completion", "week": "2026-11-23%00"},
    ],
)
def test_map_data_refuses_bad_input_with_a_message(world, plan, client_for, params):
    response = client_for(world.admin).get(data_url(**params))
    assert response.status_code == 400
    assert response.json()["detail"]


def test_map_data_takes_any_day_of_a_week_as_that_week(world, plan, client_for):
    body = (
        client_for(world.admin)
        .get(data_url(campaign="SQSC", measure="completion", week="2026-11-26"))
        .json()
    )
    assert body["week"] == "2026-11-23"


def test_map_data_of_an_inactive_campaign_is_refused(world, plan, client_for):
    Campaign.objects.filter(pk=plan.campaign.pk).update(is_active=False)
    response = client_for(world.admin).get(
        data_url(campaign="SQSC", measure="completion", week="2026-11-23")
    )
    assert response.status_code == 400


def _inspection(world, area, score: str, *, released: bool):
    from zhenxing.inspections.models import (
        Inspection,
        InspectionRound,
        InspectionStatus,
        InspectionTemplate,
        TemplateStatus,
    )

    template, _created = InspectionTemplate.objects.get_or_create(
        code="GEN",
        version=1,
        defaults={
            "name": "暗检通用表",
            "status": TemplateStatus.ACTIVE,
            "activated_at": timezone.now(),
        },
    )
    round_ = InspectionRound.objects.create(date=MONDAY, scope=world.root, planned_by=world.admin)
    return Inspection.objects.create(
        round=round_,
        area=area,
        area_path=area.path,
        date=MONDAY,
        template=template,
        inspector=world.admin,
        status=InspectionStatus.SUBMITTED,
        score=Decimal(score),
        inspected_at=timezone.now(),
        released_at=timezone.now() if released else None,
    )


def test_an_embargoed_inspection_score_stays_off_the_secretarys_map(world, plan, client_for):
    _inspection(world, world.area_a1, "94", released=False)
    _inspection(world, world.area_a2, "81.5", released=True)
    params = {"campaign": "SQSC", "measure": "inspection", "week": "2026-11-23"}
    body = client_for(world.secretary_a).get(data_url(**params)).json()
    assert body["values"].get("GC01-01-A") is None
    assert body["values"]["GC01-01-B"] == 81.5
    assert body["unit"] == unit("pts")
    # The office sees both.
    body = client_for(world.admin).get(data_url(**params)).json()
    assert body["values"]["GC01-01-A"] == 94


def test_map_data_for_1730_areas_in_one_bounded_request(
    world, plan, client_for, django_assert_max_num_queries
):
    """Guicheng's 173 areas ten times over: one answer, a fixed number of queries."""
    coops = [world.coop_a, world.coop_b]
    areas = [
        Region(
            code=f"{coops[i % 2].code}-{i:04d}",
            name=f"片区{i}",
            parent=coops[i % 2],
            depth=4,
            path=f"{coops[i % 2].path}{coops[i % 2].code}-{i:04d}/",
        )
        for i in range(1727)
    ]
    Region.objects.bulk_create(areas, batch_size=500)
    created = Region.objects.filter(depth=4, code__regex=r"-\d{4}$")
    WeeklyTarget.objects.bulk_create(
        [
            WeeklyTarget(
                area=area, region_path=area.path, task_type=plan.garbage, week=MONDAY, quantity=5
            )
            for area in created
        ],
        batch_size=500,
    )
    client = client_for(world.admin)
    for measure in ["completion", "inspection", "open", "overdue", "relapses"]:
        with django_assert_max_num_queries(16):
            response = client.get(data_url(campaign="SQSC", measure=measure, week="2026-11-23"))
        assert response.status_code == 200
        values = response.json()["values"]
        assert len(values) == 1730, measure


def test_week_labels_and_legend_classes():
    assert week_label(datetime.date(2026, 11, 23)) == "2026年第48周"
    assert week_label(datetime.date(2026, 12, 28)) == "2026年第53周"
    cases, points = unit("cases"), unit("pts")
    with translation.override("zh-hans"):
        counts = legend_bins("open", [0, 4, 9])
        scores = legend_bins("inspection", [])
    labels = ["0", "1–2", "3–5", "6–10", "≥ 11"]
    assert [b["label"] for b in counts] == [f"{label} {cases}" for label in labels]
    # Fewer open cases is better: the darkest colour is the first class.
    assert counts[0]["colour"] == "#253494"
    assert legend_bins("open", [500])[-1]["to"] is None
    assert scores[0]["label"] == f"< 60 {points}" and scores[-1]["label"] == f"≥ 90 {points}"
    assert legend_bins("completion", [])[-1]["label"] == "≥ 100 %"


# -- the area sheet ---------------------------------------------------------------------------


def sheet_url(code: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('plans:area', args=[code])}?{query}"


def test_the_area_sheet_shows_targets_actuals_and_streets(world, plan, client_for):
    response = client_for(world.secretary_a).get(sheet_url("GC01-01-A", campaign="SQSC"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲一片区" in html and "清理垃圾" in html and "甲一街" in html
    # Breadcrumbs up the tree.
    for name in ["桂城街道", "社区甲", "甲一经济社"]:
        assert name in html
    assert "2026年第48周" in html
    assert "50%" in html


@pytest.mark.parametrize("code", ["GC01-01-A", "GC01-01", "GC01", "GC01-01-A-01", "NOPE", "a b"])
def test_the_area_sheet_is_404_for_the_outsider_and_for_a_non_area(world, plan, client_for, code):
    response = client_for(world.outsider).get(sheet_url(code, campaign="SQSC"))
    assert response.status_code == 404
    if code != "GC01-01-A":
        response = client_for(world.admin).get(sheet_url(code, campaign="SQSC"))
        assert response.status_code == 404


def test_the_area_sheet_answers_get_only(world, plan, client_for):
    response = client_for(world.secretary_a).post(sheet_url("GC01-01-A", campaign="SQSC"))
    assert response.status_code == 405


def test_the_area_sheet_hides_an_embargoed_score(world, plan, client_for):
    _inspection(world, world.area_a1, "37.25", released=False)
    html = client_for(world.secretary_a).get(sheet_url("GC01-01-A")).content.decode()
    assert "37.25" not in html
    html = client_for(world.admin).get(sheet_url("GC01-01-A")).content.decode()
    assert "37.25" in html
