"""The ranking page, its export and a unit's explanation: figures, the embargo, scope, input.

The scene is week 2026-W47 (Mon 16 – Sun 22 Nov, time frozen on Wed 25 Nov,
conftest.py): 社区甲 closed its one due case on time and its area 甲一片区 was
inspected at 80 (still under embargo); 社区乙 left its due case open. With
every indicator weighing 1, 甲 scores 96.00 and 乙 0.00.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhenxing.assessment.models import Period
from zhenxing.assessment.tests.conftest import at
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.people.tests.helpers import read_xlsx

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params)}" if params else base


@pytest.fixture
def scene(world, week47, frozen, scheme, make_case, make_inspection):
    # 社区乙 has one case and no inspection: ranked here all the same (the minimum of
    # evidence before a unit is ranked is tested in test_composite.py; "too little data"
    # on the pages below, with a scheme that asks for it).
    made = scheme()
    made.min_cases_to_rank = 1
    made.inspection_required_to_rank = False
    made.save()
    closed_a = make_case(
        world.area_a1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(18, 18),
        rectified=[at(17, 12)],
        closed=at(17, 15),
    )
    open_b = make_case(
        world.area_b1, reported=at(16, 9), dispatched=at(16, 10), deadline=at(18, 18)
    )
    inspection = make_inspection(world.area_a1, 18, 80)
    return SimpleNamespace(
        world=world, period=week47, closed_a=closed_a, open_b=open_b, inspection=inspection
    )


def release(scene) -> None:
    """What publishing the week's circular does to its inspections."""
    from zhenxing.inspections.models import Inspection

    Inspection.objects.update(released_at=timezone.now())


def explain_url(code: str, period: Period, kind: str = "community") -> str:
    return url("assessment:explain", kind, code, period=period.pk)


# --- the ranking ------------------------------------------------------------------------


def test_the_office_sees_last_weeks_live_ranking(scene, client_for):
    response = client_for(scene.world.admin).get(reverse("assessment:ranking"), **EN)
    assert response.status_code == 200
    assert response.context["period"] == scene.period  # the last finished week by default
    rows = response.context["rows"]
    assert [(r["result"].unit.key, r["result"].rank) for r in rows] == [("GC01", 1), ("GC02", 2)]
    html = response.content.decode()
    assert "96.00" in html and "0.00" in html
    assert "100.0%" in html  # 甲's closure rate
    assert "80.0" in html  # 甲's inspection score
    assert "Live" in html and "Final" not in html
    assert explain_url("GC01", scene.period) in html
    assert explain_url("GC02", scene.period) in html
    assert html.count('class="zx-spark"') == 2  # a trend line per unit


def test_rates_and_no_data(scene, client_for):
    response = client_for(scene.world.admin).get(reverse("assessment:ranking"), **EN)
    by_key = {r["result"].unit.key: r for r in response.context["rows"]}
    html = response.content.decode()
    # 乙 has no inspection: a dash, not a zero.
    cells = dict(by_key["GC02"]["cells"])
    assert cells["inspection_score"].value is None
    assert "—" in html


def test_a_secretary_waits_for_the_circular(scene, client_for):
    response = client_for(scene.world.secretary_a).get(reverse("assessment:ranking"), **EN)
    assert response.status_code == 200
    assert response.templates[0].name == "assessment/not_released.html"
    html = response.content.decode()
    assert "published with the period" in html
    assert "96.00" not in html and "社区乙" not in html and "zx-ranking" not in html


def test_after_release_a_secretary_sees_the_ranking_and_explains_only_their_own(scene, client_for):
    release(scene)
    response = client_for(scene.world.secretary_a).get(reverse("assessment:ranking"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "96.00" in html and "社区乙" in html
    assert explain_url("GC01", scene.period) in html
    assert explain_url("GC02", scene.period) not in html


def test_the_trend_hides_an_older_embargoed_week_from_secretaries(
    scene, client_for, make_case, make_inspection
):
    # Week 46: 甲 left a due case open (composite 0) and was inspected, still embargoed.
    make_case(
        world_area := scene.world.area_a1,
        reported=at(9, 9),
        dispatched=at(9, 10),
        deadline=at(11, 18),
    )
    make_inspection(world_area, 10, 50)
    release_w47_only = scene.inspection
    release_w47_only.released_at = timezone.now()
    release_w47_only.save()

    admin = client_for(scene.world.admin).get(reverse("assessment:ranking"), **EN)
    row = next(r for r in admin.context["rows"] if r["result"].unit.key == "GC01")
    assert row["trend"][-2] is not None  # the office sees week 46
    assert row["change"] is not None
    assert "↑" in admin.content.decode() or "↓" in admin.content.decode()

    response = client_for(scene.world.secretary_a).get(reverse("assessment:ranking"), **EN)
    row = next(r for r in response.context["rows"] if r["result"].unit.key == "GC01")
    assert row["trend"][-1] is not None
    assert row["trend"][-2] is None  # week 46 is still under embargo
    assert row["change"] is None


def test_a_closed_period_shows_its_snapshot(scene, client_for, make_case):
    from zhenxing.assessment.services import period_close

    period_close(period=scene.period, actor=scene.world.admin)
    # A case that would change the live figures does not change a closed period.
    make_case(scene.world.area_a1, reported=at(16, 9), dispatched=at(16, 10), deadline=at(18, 18))
    response = client_for(scene.world.admin).get(reverse("assessment:ranking"), **EN)
    html = response.content.decode()
    assert "Final" in html and "96.00" in html


def test_previous_and_next_links_and_a_day_inside_a_period(scene, client_for):
    client = client_for(scene.world.admin)
    response = client.get(url("assessment:ranking", period_kind="week", period="2026-11-18"), **EN)
    assert response.status_code == 200
    assert response.context["period"] == scene.period
    nav = response.context["nav"]
    assert "period=2026-11-09" in nav["previous"]
    assert "period=2026-11-23" in nav["next"]
    # The week in progress is offered, but nothing after it.
    current = client.get(url("assessment:ranking", period="2026-11-23"), **EN)
    assert current.status_code == 200 and "next" not in current.context["nav"]


def test_switching_to_months_opens_the_last_finished_month(scene, client_for):
    response = client_for(scene.world.admin).get(
        url("assessment:ranking", period_kind="month"), **EN
    )
    assert response.status_code == 200
    period = response.context["period"]
    assert (period.kind, period.start.isoformat()) == ("month", "2026-10-01")


def test_area_rankings_filtered_by_community(scene, client_for):
    response = client_for(scene.world.admin).get(
        url("assessment:ranking", unit_kind="area", community="GC01"), **EN
    )
    assert response.status_code == 200
    keys = [r["result"].unit.key for r in response.context["rows"]]
    assert sorted(keys) == ["GC01-01-A", "GC01-01-B"]
    assert 'name="community"' in response.content.decode()


# The last period of each kind that the calendar can hold: its end is no date (9999-12-31
# + 1 day overflows), so the form refuses the day before the period is worked out.
FAR_FUTURE = [
    ("week", "9999-12-31"),
    ("month", "9999-12-15"),
    ("quarter", "9999-11-01"),
    ("year", "9999-06-01"),
]


@pytest.mark.parametrize("name", ["assessment:ranking", "assessment:ranking_export"])
@pytest.mark.parametrize(("kind", "day"), FAR_FUTURE)
def test_days_at_the_end_of_the_calendar_are_400(scene, client_for, name, kind, day):
    before = Period.objects.count()
    response = client_for(scene.world.admin).get(url(name, period_kind=kind, period=day), **EN)
    assert response.status_code == 400
    assert "Choose a period from the list." in response.content.decode()
    assert Period.objects.count() == before


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-07"])
def test_days_at_the_start_of_the_calendar_are_400(scene, client_for, day):
    for kind in ("week", "month", "quarter", "year"):
        response = client_for(scene.world.admin).get(
            url("assessment:ranking", period_kind=kind, period=day), **EN
        )
        assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"unit_kind": "village"},
        {"period_kind": "decade"},
        {"period": "not-a-date"},
        {"period": "2027-01-04"},  # has not started
        {"period": "1990-01-01"},  # long before anything was assessed
        {"unit_kind": "area", "community": "XX99"},
    ],
)
def test_bad_filters_are_400_with_a_message_and_create_nothing(scene, client_for, params):
    before = Period.objects.count()
    response = client_for(scene.world.admin).get(url("assessment:ranking", **params), **EN)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "invalid-feedback" in response.content.decode()
    assert Period.objects.count() == before


def test_who_may_see_rankings(scene, client, client_for):
    anonymous = client.get(reverse("assessment:ranking"))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert client_for(scene.world.nobody).get(reverse("assessment:ranking")).status_code == 403


@pytest.mark.parametrize("name", ["assessment:ranking", "assessment:ranking_export"])
def test_the_ranking_pages_refuse_other_methods(scene, client_for, name):
    assert client_for(scene.world.admin).post(reverse(name)).status_code == 405


def test_the_ranking_reads_a_bounded_number_of_queries(
    scene, client_for, django_assert_max_num_queries
):
    from zhenxing.territory.services import region_create

    client = client_for(scene.world.admin)
    client.get(reverse("assessment:ranking"))  # the periods and the scheme exist from here on

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("assessment:ranking")).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(3, 9):
        region_create(code=f"GC0{n}", name=f"社区{n}", parent=scene.world.root, actor=None)
    assert count() == small  # no query per unit
    with django_assert_max_num_queries(80):
        client.get(reverse("assessment:ranking"))


# --- the export -----------------------------------------------------------------------------


def test_the_export_has_numerators_and_denominators(scene, client_for):
    response = client_for(scene.world.admin).get(reverse("assessment:ranking_export"), **EN)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "ranking-community-week-20261116.xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    header = rows[0]
    assert header[:4] == ("Rank", "Code", "Unit", "Composite score")
    assert "Closure rate (%)" in header and "Closure rate: Closed" in header
    gc01 = dict(zip(header, rows[1], strict=True))
    assert gc01["Code"] == "GC01" and gc01["Rank"] == 1 and gc01["Composite score"] == 96.0
    assert gc01["Closure rate (%)"] == 100.0
    assert gc01["Closure rate: Closed"] == 1 and gc01["Closure rate: Due to close"] == 1
    assert gc01["Inspection score"] == 80.0
    assert gc01["State of the figures"] == "Live"
    assert len(rows) == 3


def test_a_secretary_cannot_export_an_embargoed_period(scene, client_for):
    # A short text, not the HTML page saved under the .xlsx name.
    client = client_for(scene.world.secretary_a)
    response = client.get(reverse("assessment:ranking_export"), **EN)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert "Content-Disposition" not in response
    text = response.content.decode()
    assert "not published yet" in text and "2026 week 47" in text and "96.00" not in text
    release(scene)
    assert client.get(reverse("assessment:ranking_export")).status_code == 200


def test_a_bad_export_filter_is_a_short_400(scene, client_for):
    response = client_for(scene.world.admin).get(
        url("assessment:ranking_export", unit_kind="village"), **EN
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "Select a valid choice" in response.content.decode()


# --- one unit's explanation -----------------------------------------------------------------


def test_the_office_sees_the_evidence_behind_each_figure(scene, client_for):
    response = client_for(scene.world.admin).get(explain_url("GC01", scene.period), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "社区甲" in html and "96.00" in html
    assert "÷" in html and "Cases closed by the end of the period" in html
    assert reverse("cases:detail", args=[scene.closed_a.number]) in html
    assert reverse("inspections:detail", args=[scene.inspection.pk]) in html
    assert scene.open_b.number not in html
    sections = {s["key"]: s for s in response.context["sections"]}
    assert sections["closure_rate"]["num"]["total"] == 1
    assert sections["inspection_score"]["den"]["rows"] == [scene.inspection]


def test_a_closed_period_is_explained_from_its_snapshot(scene, client_for):
    from zhenxing.assessment.services import period_close
    from zhenxing.cases.models import Case

    period_close(period=scene.period, actor=scene.world.admin)
    # The case moves on (reopened here by hand): the published evidence stays.
    Case.objects.filter(pk=scene.closed_a.pk).update(status="rework", closed_at=None)
    response = client_for(scene.world.admin).get(explain_url("GC01", scene.period), **EN)
    sections = {s["key"]: s for s in response.context["sections"]}
    assert [c.number for c in sections["closure_rate"]["num"]["rows"]] == [scene.closed_a.number]
    assert "Final" in response.content.decode()


def test_explanations_wait_for_the_circular_too(scene, client_for):
    response = client_for(scene.world.secretary_a).get(explain_url("GC01", scene.period), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not published yet" in html
    assert scene.closed_a.number not in html and "96.00" not in html


def test_a_secretary_explains_their_community_after_release(scene, client_for):
    release(scene)
    response = client_for(scene.world.secretary_a).get(explain_url("GC01", scene.period), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert scene.closed_a.number in html
    assert reverse("inspections:detail", args=[scene.inspection.pk]) in html


def test_the_outsider_gets_no_explanation_of_community_a(scene, client_for):
    release(scene)
    client = client_for(scene.world.outsider)
    assert client.get(explain_url("GC01", scene.period)).status_code == 404
    assert client.get(explain_url("GC01-01-A", scene.period, "area")).status_code == 404
    own = client.get(explain_url("GC02", scene.period), **EN)
    assert own.status_code == 200 and scene.open_b.number in own.content.decode()


def test_a_department_explanation_lists_only_cases_the_viewer_may_see(scene, client_for, make_case):
    # An office admin of 社区甲 only may open the department's explanation, but its
    # case in 社区乙 stays out of the list (counted, not shown).
    make_case(
        scene.world.area_b1,
        reported=at(16, 9),
        dispatched=at(16, 10),
        deadline=at(18, 18),
        department=scene.world.dept,
        number="D00001",
    )
    admin_a = User.objects.create_user(username="office_a")
    RoleAssignment.objects.create(user=admin_a, role=Role.OFFICE_ADMIN, region=scene.world.a)
    # An admin of one community sees figures mixing every unit only once released.
    release(scene)
    response = client_for(admin_a).get(explain_url("D01", scene.period, "department"), **EN)
    assert response.status_code == 200
    sections = {s["key"]: s for s in response.context["sections"]}
    due = sections["closure_rate"]["den"]
    assert due["total"] == 1 and due["hidden"] == 1 and due["rows"] == []
    assert "D00001" not in response.content.decode()
    # The secretary of 社区甲 may not open a department's explanation at all.
    assert (
        client_for(scene.world.secretary_a)
        .get(explain_url("D01", scene.period, "department"))
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        ("community", "XX99", "ok"),
        ("village", "GC01", "ok"),
        ("area", "GC01", "ok"),  # a community is no area
        ("community", "GC01", "abc"),
        ("community", "GC01", "999999"),
        ("community", "GC01", "99999999999999999999"),  # beyond any integer column
        ("community", "GC01", "-1"),
    ],
)
def test_unknown_units_and_periods_are_404(scene, client_for, path):
    kind, code, period = path
    period = str(scene.period.pk) if period == "ok" else period
    response = client_for(scene.world.admin).get(
        url("assessment:explain", kind, code, period=period)
    )
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["community", "area", "department"])
@pytest.mark.parametrize("key", ["%00", "GC01%00", "%0A", "%7F"])
def test_keys_no_code_can_hold_are_404(scene, client_for, kind, key):
    # A NUL byte reached the database, which PostgreSQL refuses (a 500).
    base = reverse("assessment:explain", args=[kind, "KEY"]).replace("KEY", key)
    response = client_for(scene.world.admin).get(f"{base}?period={scene.period.pk}")
    assert response.status_code == 404


def test_a_department_code_may_hold_more_than_a_region_code(scene, client_for):
    from zhenxing.people.models import Department

    Department.objects.create(code="城管 01", name="城管科")
    response = client_for(scene.world.admin).get(
        url("assessment:explain", "department", "城管 01", period=scene.period.pk)
    )
    assert response.status_code == 200


def test_the_explanation_redoes_the_composite(scene, client_for, scheme, make_case):
    import re
    from decimal import ROUND_HALF_UP, Decimal

    # Uneven weights and a rate of 1/3 (a score of 66.67), so that the sums mean something.
    made = scheme(closure_rate=12.5, on_time_rate=20, overdue_rate=15, inspection_score=25)
    made.min_cases_to_rank, made.inspection_required_to_rank = 1, False
    made.save()
    for _n in range(2):
        make_case(
            scene.world.area_a1, reported=at(16, 9), dispatched=at(16, 10), deadline=at(18, 18)
        )
    response = client_for(scene.world.admin).get(explain_url("GC01", scene.period), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert made.name in html

    def figure(text: str) -> Decimal:
        return Decimal(re.sub(r"<[^>]+>", "", text).strip())

    rows = re.findall(
        r'data-indicator="(\w+)">.*?data-weight>([^<]*)<.*?data-score>([^<]*)<'
        r".*?data-product>(.*?)</td>",
        html,
        re.S,
    )
    assert [r[0] for r in rows] == [
        "closure_rate",
        "on_time_rate",
        "rework_rate",
        "overdue_rate",
        "relapse_rate",
        "inspection_score",
        "participation",
    ]
    counted = {}
    for key, weight, score, product in rows:
        if score.strip() != "—" and Decimal(weight) > 0:
            assert figure(product) == Decimal(weight) * Decimal(score)
            counted[key] = (Decimal(weight), Decimal(score), figure(product))
    # Closure 1 of 3: 33.33; on time the same; overdue 2 of 2 open: 0; inspection 80.
    assert counted["closure_rate"][1] == Decimal("33.33")
    assert set(counted) == {"closure_rate", "on_time_rate", "overdue_rate", "inspection_score"}
    total = figure(re.search(r"data-total>([^<]*)<", html).group(1))
    weight_sum = figure(re.search(r"data-weight-sum>([^<]*)<", html).group(1))
    composite = figure(re.search(r"data-composite>([^<]*)<", html).group(1))
    assert total == sum(p for _w, _s, p in counted.values())
    assert weight_sum == sum(w for w, _s, _p in counted.values()) == Decimal("72.5")
    assert (total / weight_sum).quantize(Decimal("0.01"), ROUND_HALF_UP) == composite
    assert composite == response.context["result"].composite
    assert "Σ(weight × score) / Σ weight" in html


def test_a_closed_period_is_redone_with_the_scheme_it_was_closed_with(scene, client_for, scheme):
    from zhenxing.assessment.models import IndicatorWeight
    from zhenxing.assessment.services import period_close

    period_close(period=scene.period, actor=scene.world.admin)  # the scene's scheme: all 1
    later = scheme(closure_rate=5)  # another scheme is active now
    response = client_for(scene.world.admin).get(explain_url("GC01", scene.period), **EN)
    weighting = response.context["weighting"]
    first = weighting["rows"][0]
    assert weighting["scheme"] != later and weighting["scheme"].name == "test scheme 1"
    assert (first["key"], first["weight"]) == ("closure_rate", "1.00")
    assert weighting["weight_sum"] == "5.00" and "96.00" in response.content.decode()
    assert weighting["matches"] and "were changed after" not in response.content.decode()
    # The closed period's scheme is edited afterwards: its sum no longer gives the composite.
    IndicatorWeight.objects.filter(scheme=weighting["scheme"], indicator="inspection_score").update(
        weight=4
    )
    response = client_for(scene.world.admin).get(explain_url("GC01", scene.period), **EN)
    assert not response.context["weighting"]["matches"]
    html = response.content.decode()
    assert "were changed after the period was closed" in html and "96.00" in html


def test_a_unit_with_too_little_data_is_not_ranked_on_the_pages(scene, client_for):
    from zhenxing.assessment.models import Scheme

    # The scheme asks for an inspection score: 社区乙 has none.
    Scheme.objects.filter(is_active=True).update(inspection_required_to_rank=True)
    client = client_for(scene.world.admin)
    response = client.get(reverse("assessment:ranking"), **EN)
    rows = {r["result"].unit.key: r for r in response.context["rows"]}
    assert rows["GC02"]["insufficient"] and rows["GC02"]["result"].rank is None
    assert not rows["GC01"]["insufficient"] and rows["GC01"]["result"].rank == 1
    html = response.content.decode()
    assert html.count("Too little data") == 1
    explained = client.get(explain_url("GC02", scene.period), **EN).content.decode()
    assert ">Too little data<" in explained and ">Not ranked<" not in explained
    exported = read_xlsx(client.get(reverse("assessment:ranking_export"), **EN).content)
    by_code = {row[1]: row for row in exported[1:]}
    assert by_code["GC02"][0] == "Too little data" and by_code["GC01"][0] == 1


def test_the_period_sentence_is_one_text_to_translate():
    # "2026年11月16日 – 2026年11月22日. 数据为…": the dates and the sentence were joined by
    # an ASCII full stop outside any translation.
    from pathlib import Path

    from django.utils.translation import template as trans_template

    import zhenxing.assessment

    source = Path(zhenxing.assessment.__file__).parent / "templates/assessment/ranking.html"
    code = trans_template.templatize(source.read_text())
    for sentence in (
        "%(first)s – %(last)s. Figures as closed on %(when)s.",
        "%(first)s – %(last)s. Figures computed from the cases at %(when)s.",
    ):
        assert sentence in code


def test_an_office_admin_of_one_community_waits_for_the_circular(scene, client_for):
    # Their figures would mix every community's unreleased inspection scores.
    admin_a = User.objects.create_user(username="office_a")
    RoleAssignment.objects.create(user=admin_a, role=Role.OFFICE_ADMIN, region=scene.world.a)
    client = client_for(admin_a)
    for name in ("assessment:ranking", "assessment:lists"):
        response = client.get(reverse(name), **EN)
        assert response.status_code == 200
        assert response.templates[0].name == "assessment/not_released.html"
        html = response.content.decode()
        assert "not published yet" in html and "96.00" not in html and "社区乙" not in html
    assert client.get(reverse("assessment:ranking_export")).status_code == 403
    release(scene)
    ranking = client.get(reverse("assessment:ranking"), **EN)
    assert ranking.templates[0].name == "assessment/ranking.html"
    assert "96.00" in ranking.content.decode() and "社区乙" in ranking.content.decode()
    lists = client.get(reverse("assessment:lists"), **EN)
    assert lists.templates[0].name == "assessment/lists.html"
    assert "not published yet" not in lists.content.decode()


def test_explain_without_a_period_opens_last_week(scene, client_for):
    response = client_for(scene.world.admin).get(url("assessment:explain", "community", "GC01"))
    assert response.status_code == 200 and response.context["period"] == scene.period


def test_explain_refuses_other_methods(scene, client_for):
    response = client_for(scene.world.admin).post(explain_url("GC01", scene.period))
    assert response.status_code == 405
