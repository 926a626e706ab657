"""Periods (close, recompute), the red and black lists, and recording rewards and criticism."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from zhenxing.assessment.models import (
    IncentiveRecord,
    ListKind,
    ListRule,
    Period,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.tests import test_views_ranking
from zhenxing.assessment.tests.test_views_ranking import EN, release, url
from zhenxing.core.models import AuditEntry

# The ranking tests' week 2026-W47 (see test_views_ranking.py).
scene = test_views_ranking.scene


def close(scene) -> None:
    from zhenxing.assessment.services import period_close

    period_close(period=scene.period, actor=scene.world.admin)


@pytest.fixture
def rules(db):
    common = {"unit_kind": UnitKind.COMMUNITY, "period_kind": "week"}
    return (
        ListRule.objects.create(name="周红榜", kind=ListKind.RED, top_n=1, **common),
        ListRule.objects.create(name="周黑榜", kind=ListKind.BLACK, bottom_n=1, **common),
    )


# --- the periods page ---------------------------------------------------------------------


def test_the_office_sees_recent_weeks_with_their_buttons(scene, client_for):
    response = client_for(scene.world.admin).get(reverse("assessment:periods"), **EN)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 13  # the week in progress and the twelve before it
    assert rows[0]["period"].start.isoformat() == "2026-11-23" and not rows[0]["ended"]
    assert rows[1]["period"] == scene.period and rows[1]["ended"]
    html = response.content.decode()
    assert reverse("assessment:period_close", args=[scene.period.pk]) in html
    assert reverse("assessment:period_close", args=[rows[0]["period"].pk]) not in html
    assert "no longer changes with the cases" in html  # the confirmation
    months = client_for(scene.world.admin).get(url("assessment:periods", kind="month"), **EN)
    assert months.context["kind"] == "month" and len(months.context["rows"]) == 13


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "inspector_a", "nobody"])
def test_only_the_office_manages_periods(scene, client_for, who):
    client = client_for(getattr(scene.world, who))
    # The page is not theirs: 404. The periods are known to them (rankings), so the
    # buttons' POSTs say 403.
    assert client.get(reverse("assessment:periods")).status_code == 404
    assert client.get(url("assessment:periods", kind="month")).status_code == 404
    close_url = reverse("assessment:period_close", args=[scene.period.pk])
    assert client.post(close_url).status_code == 403
    recompute_url = reverse("assessment:period_recompute", args=[scene.period.pk])
    assert client.post(recompute_url, {"reason": "x"}).status_code == 403
    scene.period.refresh_from_db()
    assert not scene.period.is_closed


def test_wrong_methods_on_periods_are_405(scene, client_for):
    client = client_for(scene.world.admin)
    assert client.post(reverse("assessment:periods")).status_code == 405
    assert client.get(reverse("assessment:period_close", args=[scene.period.pk])).status_code == 405
    recompute = reverse("assessment:period_recompute", args=[scene.period.pk])
    assert client.get(recompute).status_code == 405


def test_closing_a_period_makes_its_figures_final(scene, client_for):
    client = client_for(scene.world.admin)
    response = client.post(reverse("assessment:period_close", args=[scene.period.pk]), **EN)
    assert response.status_code == 302
    assert response.url == url("assessment:periods", kind="week")
    scene.period.refresh_from_db()
    assert scene.period.is_closed and scene.period.closed_by == scene.world.admin
    assert ScoreSnapshot.objects.filter(period=scene.period, unit_kind="community").count() == 2
    assert [str(m) for m in get_messages(response.wsgi_request)][0].endswith("are final.")


def test_closing_twice_or_too_early_is_refused_with_the_reason(scene, client_for):
    client = client_for(scene.world.admin)
    close(scene)
    again = client.post(reverse("assessment:period_close", args=[scene.period.pk]), **EN)
    assert again.status_code == 409
    assert "already closed" in again.context["error"]
    assert ScoreSnapshot.objects.filter(period=scene.period).count() == 6  # written once

    client.get(reverse("assessment:periods"))  # makes this week's row
    current = Period.objects.get(kind="week", start="2026-11-23")
    early = client.post(reverse("assessment:period_close", args=[current.pk]), **EN)
    assert early.status_code == 400 and "has not ended" in early.context["error"]
    current.refresh_from_db()
    assert not current.is_closed


def test_recompute_needs_a_reason_and_keeps_the_old_figures(scene, client_for):
    client = client_for(scene.world.admin)
    recompute = reverse("assessment:period_recompute", args=[scene.period.pk])
    # An open period cannot be recomputed.
    refused = client.post(recompute, {"reason": "数据更正"}, **EN)
    assert refused.status_code == 400 and "is not closed" in refused.context["error"]

    close(scene)
    blank = client.post(recompute, {"reason": "   "}, **EN)
    assert blank.status_code == 400
    assert "Say why" in blank.content.decode()
    assert not ScoreSnapshot.objects.filter(superseded_at__isnull=False).exists()

    done = client.post(recompute, {"reason": "案件数据更正"}, **EN)
    assert done.status_code == 302
    assert ScoreSnapshot.objects.filter(period=scene.period, superseded_at__isnull=False).count()
    entry = AuditEntry.objects.filter(action="assessment.period_recompute").get()
    assert entry.changes["reason"] == "案件数据更正"


def test_an_unknown_period_is_404(scene, client_for):
    client = client_for(scene.world.admin)
    assert client.post(reverse("assessment:period_close", args=[999999])).status_code == 404


# --- the red and black lists ---------------------------------------------------------------


def test_the_lists_of_a_closed_week(scene, rules, client_for):
    close(scene)
    response = client_for(scene.world.admin).get(reverse("assessment:lists"), **EN)
    assert response.status_code == 200
    red = [e.unit_key for g in response.context["red"] for e in g["entries"]]
    black = [e.unit_key for g in response.context["black"] for e in g["entries"]]
    assert (red, black) == (["GC01"], ["GC02"])
    html = response.content.decode()
    assert "zx-list-red" in html and "zx-list-black" in html
    assert "Record a commendation" in html  # the office records rewards and criticism here


def test_an_open_week_has_no_lists_yet(scene, rules, client_for):
    response = client_for(scene.world.admin).get(reverse("assessment:lists"), **EN)
    assert response.status_code == 200
    assert "drawn when the period is closed" in response.content.decode()


def test_lists_wait_for_the_circular(scene, rules, client_for):
    close(scene)
    client = client_for(scene.world.secretary_a)
    response = client.get(reverse("assessment:lists"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not published yet" in html and "社区乙" not in html
    assert "Record a commendation" not in html
    release(scene)
    shown = client.get(reverse("assessment:lists"), **EN).content.decode()
    assert "社区乙" in shown and "Record a commendation" not in shown


def test_lists_bad_input_and_methods(scene, client_for):
    client = client_for(scene.world.admin)
    assert client.get(url("assessment:lists", period="2030-01-06")).status_code == 400
    for kind, day in test_views_ranking.FAR_FUTURE:
        response = client.get(url("assessment:lists", period_kind=kind, period=day), **EN)
        assert response.status_code == 400
        assert "Choose a period from the list." in response.content.decode()
    assert client.post(reverse("assessment:lists")).status_code == 405
    assert client_for(scene.world.nobody).get(reverse("assessment:lists")).status_code == 403


def test_the_lists_page_reads_a_bounded_number_of_queries(
    scene, rules, client_for, django_assert_max_num_queries
):
    close(scene)
    for n in range(10):
        IncentiveRecord.objects.create(
            kind="commendation",
            community=scene.world.a,
            cadre=scene.world.secretary_a,
            date=scene.period.start,
            reason=f"表扬 {n}",
            recorded_by=scene.world.admin,
            period=scene.period,
        )
    client = client_for(scene.world.admin)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("assessment:lists"))
    assert len(response.context["records"]) == 10


# --- rewards and criticism -------------------------------------------------------------------


def incentive(scene, **extra):
    data = {
        "kind": "interview",
        "community": scene.world.b.pk,
        "cadre": scene.world.outsider.pk,
        "date": "2026-11-20",
        "reason": "整改不力，约谈社区书记",
        "period": scene.period.pk,
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_the_office_records_an_interview(scene, client_for):
    client = client_for(scene.world.admin)
    response = client.post(reverse("assessment:incentive_new"), incentive(scene), **EN)
    assert response.status_code == 302
    assert response.url == url("assessment:lists", period_kind="week", period="2026-11-16")
    record = IncentiveRecord.objects.get()
    assert (record.kind, record.community, record.cadre) == (
        "interview",
        scene.world.b,
        scene.world.outsider,
    )
    assert record.recorded_by == scene.world.admin and record.period == scene.period
    assert AuditEntry.objects.filter(action="assessment.incentive").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"community": None, "cadre": None}, "Name the community, the cadre, or both."),
        ({"date": "2026-12-01"}, "cannot be in the future"),
        ({"date": "9999-12-31"}, "cannot be in the future"),
        ({"date": "1999-12-31"}, "cannot be before"),
        ({"date": "0026-11-20"}, "cannot be before"),
        ({"reason": ""}, "This field is required."),
        ({"kind": "medal"}, "Select a valid choice."),
        ({"community": 999999}, "Select a valid choice."),
    ],
)
def test_bad_incentives_are_400_and_record_nothing(scene, client_for, extra, message):
    client = client_for(scene.world.admin)
    response = client.post(reverse("assessment:incentive_new"), incentive(scene, **extra), **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IncentiveRecord.objects.exists()


def test_only_the_office_records_incentives(scene, client_for):
    for who in ("secretary_a", "outsider", "inspector_a"):
        client = client_for(getattr(scene.world, who))
        assert client.post(reverse("assessment:incentive_new"), incentive(scene)).status_code == 403
    assert client_for(scene.world.admin).get(reverse("assessment:incentive_new")).status_code == 405
    assert not IncentiveRecord.objects.exists()


def test_records_are_seen_within_scope(scene, client_for):
    release(scene)
    client_for(scene.world.admin).post(reverse("assessment:incentive_new"), incentive(scene))
    reason = "整改不力，约谈社区书记"
    admin = client_for(scene.world.admin).get(reverse("assessment:lists"))
    assert reason in admin.content.decode()
    outsider = client_for(scene.world.outsider).get(reverse("assessment:lists"))
    assert reason in outsider.content.decode()  # about 社区乙 and its secretary
    secretary_a = client_for(scene.world.secretary_a).get(reverse("assessment:lists"))
    assert secretary_a.status_code == 200 and reason not in secretary_a.content.decode()


def test_a_record_without_a_period_lands_on_its_week(scene, client_for):
    client = client_for(scene.world.admin)
    response = client.post(
        reverse("assessment:incentive_new"),
        incentive(scene, period="", kind="commendation", date="2026-11-10"),
    )
    assert response.status_code == 302
    assert response.url == url("assessment:lists", period_kind="week", period="2026-11-09")
    assert IncentiveRecord.objects.get().period is None


def test_the_record_form_offers_dates_from_2000_to_today(scene, client_for):
    html = client_for(scene.world.admin).get(reverse("assessment:lists")).content.decode()
    assert 'min="2000-01-01"' in html and 'max="2026-11-25"' in html
    response = client_for(scene.world.admin).post(
        reverse("assessment:incentive_new"), incentive(scene, date="2000-01-01", period="")
    )
    assert response.status_code == 302


def record(scene, **fields) -> IncentiveRecord:
    values = {
        "kind": "criticism",
        "community": scene.world.a,
        "cadre": scene.world.team_leader_a,
        "date": scene.period.start,
        "reason": "垃圾清运不及时",
        "recorded_by": scene.world.admin,
        "period": scene.period,
    }
    values.update(fields)
    return IncentiveRecord.objects.create(**values)


def test_names_and_reasons_are_for_the_office_and_the_cadre_concerned(scene, client_for):
    release(scene)
    scene.world.team_leader_a.display_name = "钱队长"
    scene.world.team_leader_a.save()
    record(scene)
    for who in ("admin", "team_leader_a"):
        html = client_for(getattr(scene.world, who)).get(reverse("assessment:lists"), **EN)
        html = html.content.decode()
        assert "钱队长" in html and "垃圾清运不及时" in html
    # Within their scope (社区甲; every community for department staff), others read the
    # kind, the date and the community only.
    for who in ("party_member_a", "dept_staff"):
        response = client_for(getattr(scene.world, who)).get(reverse("assessment:lists"), **EN)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Criticism" in html and "社区甲" in html and "2026-11-16" in html
        assert "钱队长" not in html and "垃圾清运不及时" not in html
        assert "Cadre" not in html and "Recorded by" not in html


def test_the_cadre_concerned_reads_only_their_own_records_in_full(scene, client_for):
    release(scene)
    record(scene, reason="本人记录")
    record(scene, cadre=scene.world.secretary_a, reason="他人记录")
    html = client_for(scene.world.team_leader_a).get(reverse("assessment:lists"), **EN)
    html = html.content.decode()
    assert "本人记录" in html and "他人记录" not in html
    assert "Not shown: for the office and the cadre concerned." in html


def test_the_records_of_a_period_are_those_it_names_or_undated_ones_inside_it(scene, client_for):
    from zhenxing.assessment.services import period_for

    month = period_for(kind="month", day=scene.period.start)
    record(scene, reason="本周记录")
    record(scene, period=None, date=scene.period.start, reason="无考核周期记录")
    # Attached to November, dated inside week 47: November's, not the week's.
    record(scene, period=month, date=scene.period.start, reason="本月记录")
    client = client_for(scene.world.admin)
    week = client.get(reverse("assessment:lists"), **EN).content.decode()
    assert "本周记录" in week and "无考核周期记录" in week and "本月记录" not in week
    november = client.get(url("assessment:lists", period_kind="month", period="2026-11-01"), **EN)
    html = november.content.decode()
    assert "本月记录" in html and "本周记录" not in html
