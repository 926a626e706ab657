"""Review fixes: the table's scope, the import's silence about other places, far-off weeks."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.plans import xlsx
from zhenxing.plans.models import Arrangement, WeeklyTarget

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = xlsx.PLAN_SHEET
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(client, plan, **extra):
    params = {"campaign": plan.campaign.pk, "task_type": plan.clean.pk, **extra}
    return client.get(reverse("plans:table"), params)


def test_a_role_on_one_area_shows_that_area_only(world, plan, freeze, client_for):
    user = User.objects.create_user(username="insp_a2", password="x")
    RoleAssignment.objects.create(user=user, role=Role.INSPECTOR, region=world.area_a2)
    response = table(client_for(user), plan)
    assert response.status_code == 200
    text = response.text
    assert "甲二片区" in text
    assert "甲一片区" not in text and "GC01-01-A" not in text
    assert [r["region"].code for r in response.context["rows"]] == ["GC01-01-B"]


def test_the_import_names_no_region_outside_the_scope(world, plan, freeze):
    data = workbook_bytes(
        [
            ["片区编码", "2026-W48 (11-23)"],
            ["GC01-01-A", 1],
            ["GC01-01", 2],
            ["GC02-01", 3],
        ]
    )
    result = xlsx.import_targets(
        actor=world.outsider, campaign=plan.campaign, task_type=plan.clean, file=data
    )
    messages = [e.message for e in result.errors]
    assert messages[:2] == [
        "There is no area with the code GC01-01-A.",
        "There is no area with the code GC01-01.",
    ]
    assert "乙一经济社" in messages[2]  # its own cooperative: "not an area", by name
    assert not any("甲" in m for m in messages)


def test_the_import_still_refuses_a_readable_area_the_actor_may_not_plan(world, plan, freeze):
    RoleAssignment.objects.create(user=world.outsider, role=Role.INSPECTOR, region=world.a)
    data = workbook_bytes([["片区编码", "2026-W48 (11-23)"], ["GC01-01-A", 1]])
    result = xlsx.import_targets(
        actor=world.outsider, campaign=plan.campaign, task_type=plan.clean, file=data
    )
    assert [e.message for e in result.errors] == [
        "You may not set targets for 甲一片区 (GC01-01-A)."
    ]


@pytest.mark.parametrize("week", ["9999-12-31", "9999-12-27", "0001-01-01", "1999-12-27"])
def test_a_far_off_week_of_a_cell_is_a_400(world, plan, freeze, client_for, week):
    response = client_for(world.secretary_a).post(
        reverse("plans:target_set"),
        {"area": "GC01-01-A", "task_type": plan.clean.pk, "week": week, "quantity": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert WeeklyTarget.objects.count() == 5


@pytest.mark.parametrize("header", ["9999-W52", "9999-12-27", "0001-W01", "1999-W52"])
def test_a_far_off_week_in_an_import_is_a_cell_error(world, plan, freeze, header):
    data = workbook_bytes([["片区编码", header], ["GC01-01-A", 1]])
    result = xlsx.import_targets(
        actor=world.secretary_a, campaign=plan.campaign, task_type=plan.clean, file=data
    )
    assert [e.cell for e in result.errors] == ["B1"]
    assert result.errors[0].message.startswith("Give a week between 2000-01-01 and ")


def test_the_import_page_answers_a_far_off_week_with_a_400(world, plan, freeze, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = workbook_bytes([["片区编码", "9999-W52"], ["GC01-01-A", 1]])
    response = client_for(world.secretary_a).post(
        reverse("plans:table_import"),
        {
            "campaign": plan.campaign.pk,
            "task_type": plan.clean.pk,
            "file": SimpleUploadedFile("plan.xlsx", data),
        },
    )
    assert response.status_code == 400
    errors = response.context["cell_errors"]
    assert [e.cell for e in errors] == ["B1"] and "2000-01-01" in errors[0].message


def test_the_services_refuse_a_far_off_week(world, plan, freeze):
    import datetime

    from zhenxing.plans import services

    for week in (datetime.date(9999, 12, 27), datetime.date(1, 1, 1)):
        with pytest.raises(services.PlanError):
            services.target_set(
                actor=world.secretary_a,
                area=world.area_a1,
                task_type=plan.clean,
                week=week,
                quantity=1,
            )
        with pytest.raises(services.PlanError):
            services.targets_set_many(
                actor=world.secretary_a, rows=[(world.area_a1, plan.clean, week, 1)]
            )


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2024-01-01"])
def test_a_far_off_from_shows_the_default_weeks(world, plan, freeze, client_for, start):
    client = client_for(world.secretary_a)
    default = table(client, plan)
    response = table(client, plan, **{"from": start})
    assert response.status_code == 200
    assert response.context["weeks"] == default.context["weeks"]
    export = client.get(reverse("plans:table_export"), {"task_type": plan.clean.pk, "from": start})
    assert export.status_code == 200


def test_a_near_from_is_kept(world, plan, freeze, client_for):
    response = table(client_for(world.secretary_a), plan, **{"from": "2027-01-04"})
    assert response.context["weeks"][0].isoformat() == "2027-01-04"


@pytest.mark.parametrize("pk", ["99999999999999999999999", "-1", "0", "abc"])
def test_a_person_key_out_of_range_is_a_400(world, plan, freeze, client_for, pk):
    response = client_for(world.secretary_a).post(
        f"{reverse('plans:arrangement_new')}?community=GC01",
        {
            "date": plan.today.isoformat(),
            "region": plan.street.pk,
            "task_type": plan.clean.pk,
            "team": plan.team_a.pk,
            "people": [world.team_leader_a.pk, pk],
            "planned_quantity": "3",
        },
    )
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["people"]] == [
        "invalid_pk_value"
    ]
    assert not Arrangement.objects.exists()
