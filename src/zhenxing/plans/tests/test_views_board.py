"""Today's board, arrangements, the phone form for progress, and progress photos."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from zhenxing.cases.testing import upload
from zhenxing.people.models import WorkTeam
from zhenxing.plans.models import (
    Arrangement,
    ArrangementStatus,
    Campaign,
    ProgressPhoto,
    ProgressReport,
    TaskType,
    Unit,
    WeeklyTarget,
)
from zhenxing.territory.services import region_create

pytestmark = pytest.mark.django_db

# Wednesday of 2026-W48, local time (Asia/Shanghai: 10:00 UTC is 18:00 there).
NOW = datetime.datetime(2026, 11, 25, 2, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 25)
MONDAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(world):
    campaign = Campaign.objects.create(
        code="SQSC", name="三清三拆三整治", start=datetime.date(2026, 10, 1)
    )
    garbage = TaskType.objects.create(
        campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    street = region_create(code="GC01-01-A-01", name="甲一街", parent=world.area_a1, actor=None)
    team = WorkTeam.objects.create(name="甲一保洁队", region=world.a, leader=world.team_leader_a)
    team_b = WorkTeam.objects.create(name="乙队", region=world.b)
    WeeklyTarget.objects.create(
        area=world.area_a1,
        region_path=world.area_a1.path,
        task_type=garbage,
        week=MONDAY,
        quantity=Decimal("14"),
    )

    def arrange(region, day=TODAY, team=team, **extra):
        return Arrangement.objects.create(
            date=day,
            region=region,
            region_path=region.path,
            task_type=garbage,
            team=team,
            created_by=world.secretary_a,
            **extra,
        )

    return SimpleNamespace(
        campaign=campaign,
        garbage=garbage,
        street=street,
        team=team,
        team_b=team_b,
        arrange=arrange,
    )


def board(client, community="GC01"):
    return client.get(f"{reverse('plans:today')}?community={community}")


# -- today's board -----------------------------------------------------------------------------


def test_the_board_shows_todays_work_per_team_and_what_is_late(world, plan, client_for):
    today = plan.arrange(plan.street, planned_quantity=Decimal("2"), note="清运垃圾")
    today.people.add(world.party_member_a)
    late = plan.arrange(world.area_a2, day=TODAY - datetime.timedelta(days=2))
    plan.arrange(
        world.area_a2, day=TODAY - datetime.timedelta(days=3), status=ArrangementStatus.DONE
    )
    response = board(client_for(world.secretary_a))
    assert response.status_code == 200
    text = response.text
    assert "甲一保洁队" in text and "甲一街" in text and "pm_a" in text and "清运垃圾" in text
    assert f'id="arrangement-{today.pk}"' in text
    assert [a.pk for a in response.context["board"]["late"]] == [late.pk]
    # 甲一片区 has done nothing of its 14 t this week by Wednesday: behind the pace.
    behind = response.context["board"]["behind"]
    assert [(b["area"].code, b["expected"]) for b in behind] == [("GC01-01-A", Decimal("6"))]
    # A planner may arrange and cancel.
    assert 'id="arrange"' in text
    assert reverse("plans:arrangement_cancel", args=[today.pk]) in text


def test_the_board_defaults_to_the_users_community(world, plan, client_for):
    response = client_for(world.team_leader_a).get(reverse("plans:today"))
    assert response.status_code == 200
    assert response.context["community"] == world.a
    # A team leader reports, but does not arrange.
    assert 'id="arrange"' not in response.text


def test_the_board_is_closed_to_outsiders(world, plan, client_for):
    plan.arrange(world.area_a1)
    assert board(client_for(world.outsider)).status_code == 404
    assert board(client_for(world.party_member_a)).status_code == 404
    assert board(client_for(world.nobody)).status_code == 404
    own = board(client_for(world.outsider), "GC02")
    assert own.status_code == 200 and "甲一片区" not in own.text
    assert client_for(world.secretary_a).post(reverse("plans:today")).status_code == 405


# -- arrangements ------------------------------------------------------------------------------


def arrangement_data(world, plan, **extra):
    data = {
        "date": TODAY.isoformat(),
        "region": plan.street.pk,
        "task_type": plan.garbage.pk,
        "team": plan.team.pk,
        "people": [world.team_leader_a.pk],
        "people_names": "张三",
        "planned_quantity": "3",
        "note": "清理路边垃圾",
    }
    data.update(extra)
    return data


def test_a_secretary_arranges_work(world, plan, client_for):
    client = client_for(world.secretary_a)
    url = f"{reverse('plans:arrangement_new')}?community=GC01"
    page = client.get(url)
    assert page.status_code == 200
    assert "甲一街" in page.text and "乙一片区" not in page.text and "乙队" not in page.text
    response = client.post(url, arrangement_data(world, plan))
    assert response.status_code == 302
    assert response["Location"].endswith("?community=GC01")
    arrangement = Arrangement.objects.get()
    assert arrangement.region == plan.street and arrangement.team == plan.team
    assert list(arrangement.people.all()) == [world.team_leader_a]
    assert arrangement.planned_quantity == Decimal("3")


@pytest.mark.parametrize(
    "extra",
    [
        {"planned_quantity": "-1"},
        {"date": "yesterday"},
        {"region": ""},
        {"task_type": "999999"},
    ],
)
def test_a_bad_arrangement_is_a_400_and_nothing_saved(world, plan, client_for, extra):
    response = client_for(world.secretary_a).post(
        f"{reverse('plans:arrangement_new')}?community=GC01", arrangement_data(world, plan, **extra)
    )
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.text
    assert not Arrangement.objects.exists()


def test_a_rule_of_the_service_comes_back_as_a_400(world, plan, client_for):
    far = (TODAY + datetime.timedelta(days=800)).isoformat()
    response = client_for(world.secretary_a).post(
        f"{reverse('plans:arrangement_new')}?community=GC01",
        arrangement_data(world, plan, date=far),
    )
    assert response.status_code == 400
    assert "alert-danger" in response.text
    assert not Arrangement.objects.exists()


def test_arranging_is_for_planners_of_the_place(world, plan, client_for):
    url = reverse("plans:arrangement_new")
    assert client_for(world.team_leader_a).get(url).status_code == 404
    assert client_for(world.outsider).get(f"{url}?community=GC01").status_code == 404
    # Another community's place is not among the choices: a 400, nothing saved.
    response = client_for(world.outsider).post(
        f"{url}?community=GC02", arrangement_data(world, plan, team=plan.team_b.pk)
    )
    assert response.status_code == 400
    assert not Arrangement.objects.exists()
    assert client_for(world.secretary_a).delete(url).status_code == 405


def test_a_secretary_cancels_an_arrangement(world, plan, client_for):
    arrangement = plan.arrange(world.area_a1)
    url = reverse("plans:arrangement_cancel", args=[arrangement.pk])
    client = client_for(world.secretary_a)
    assert client.get(url).status_code == 405
    response = client.post(url, {"version": arrangement.version})
    assert response.status_code == 302
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.CANCELLED
    # Twice, or with an old version: 409, nothing changed.
    again = client.post(url, {"version": 1})
    assert again.status_code == 409
    assert "alert-warning" in again.text


def test_cancelling_is_refused_out_of_reach(world, plan, client_for):
    arrangement = plan.arrange(world.area_a1)
    url = reverse("plans:arrangement_cancel", args=[arrangement.pk])
    assert client_for(world.outsider).post(url, {"version": 1}).status_code == 404
    assert client_for(world.team_leader_a).post(url, {"version": 1}).status_code == 403
    assert client_for(world.secretary_a).post(url, {"version": "x"}).status_code == 302
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.PLANNED


# -- progress ----------------------------------------------------------------------------------


def test_the_phone_form_is_prefilled_from_an_arrangement(world, plan, client_for):
    arrangement = plan.arrange(plan.street, planned_quantity=Decimal("2.5"))
    response = client_for(world.team_leader_a).get(
        f"{reverse('plans:report_new')}?arrangement={arrangement.pk}"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["region"].value() == plan.street.pk
    assert form["arrangement"].value() == arrangement.pk
    text = response.text
    assert 'accept="image/*"' in text and 'capture="environment"' in text and "multiple" in text
    assert "data-upload-progress" in text and "data-upload-panel" in text
    assert "乙一片区" not in text


def test_a_team_leader_reports_progress_with_photos(world, plan, client_for, private_media):
    arrangement = plan.arrange(plan.street, planned_quantity=Decimal("2"))
    client = client_for(world.team_leader_a)
    response = client.post(
        reverse("plans:report_new"),
        {
            "region": plan.street.pk,
            "task_type": plan.garbage.pk,
            "date": TODAY.isoformat(),
            "quantity": "2.5",
            "note": "清完了",
            "arrangement": arrangement.pk,
            "photos": [upload("a.jpg"), upload("b.jpg")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = ProgressReport.objects.get()
    assert report.quantity == Decimal("2.5") and report.team == plan.team
    assert report.photos.count() == 2
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.DONE
    page = board(client)
    assert 'data-status="done"' in page.text
    group = page.context["board"]["teams"][0]["arrangements"][0]
    assert group.reported == Decimal("2.5")


@pytest.mark.parametrize(
    "extra",
    [
        {"quantity": "-1"},
        {"quantity": ""},
        {"date": (TODAY + datetime.timedelta(days=1)).isoformat()},
        {"date": "2026-09-01"},
        {"photos": [upload("x.jpg", data=b"not an image")]},
    ],
)
def test_a_bad_report_is_a_400_and_nothing_saved(world, plan, client_for, private_media, extra):
    data = {
        "region": plan.street.pk,
        "task_type": plan.garbage.pk,
        "date": TODAY.isoformat(),
        "quantity": "1",
    }
    data.update(extra)
    response = client_for(world.team_leader_a).post(reverse("plans:report_new"), data)
    assert response.status_code == 400
    assert 'id="report-errors"' in response.text
    assert not ProgressReport.objects.exists()
    assert not ProgressPhoto.objects.exists()


def test_reporting_out_of_reach(world, plan, client_for):
    url = reverse("plans:report_new")
    assert client_for(world.party_member_a).get(url).status_code == 404
    assert client_for(world.nobody).get(url).status_code == 404
    arrangement = plan.arrange(world.area_a1)
    assert client_for(world.outsider).get(f"{url}?arrangement={arrangement.pk}").status_code == 404
    response = client_for(world.outsider).post(
        url,
        {
            "region": world.area_a1.pk,
            "task_type": plan.garbage.pk,
            "date": TODAY.isoformat(),
            "quantity": "1",
        },
    )
    assert response.status_code == 400  # 甲一片区 is not among the outsider's places
    assert not ProgressReport.objects.exists()
    assert client_for(world.team_leader_a).put(url).status_code == 405


# -- photos ------------------------------------------------------------------------------------


@pytest.fixture
def shot(world, plan, client_for, private_media):
    client_for(world.team_leader_a).post(
        reverse("plans:report_new"),
        {
            "region": world.area_a1.pk,
            "task_type": plan.garbage.pk,
            "date": TODAY.isoformat(),
            "quantity": "1",
            "photos": [upload("a.jpg")],
        },
    )
    return ProgressPhoto.objects.get()


def photo_url(photo, variant):
    return reverse("plans:photo", args=[photo.token, variant])


def test_photos_are_served_to_those_who_see_the_report(world, shot, client_for):
    for user in (world.secretary_a, world.party_member_a, world.team_leader_a, world.admin):
        assert client_for(user).get(photo_url(shot, "thumb")).status_code == 200
    for user in (world.outsider, world.nobody):
        assert client_for(user).get(photo_url(shot, "thumb")).status_code == 404


def test_originals_are_for_planners_of_the_place(world, shot, client_for):
    assert client_for(world.secretary_a).get(photo_url(shot, "original")).status_code == 200
    assert client_for(world.team_leader_a).get(photo_url(shot, "original")).status_code == 404
    assert client_for(world.secretary_a).get(photo_url(shot, "poster")).status_code == 404
    assert client_for(world.secretary_a).post(photo_url(shot, "thumb")).status_code == 405
