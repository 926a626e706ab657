"""The office's pages: rounds (list, planner, one round, cancel) and the results with export.

Rounds are the office's and their inspectors' only: a community never sees
one. Results hold the embargo: a community sees a score only once released.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.inspections import services
from zhenxing.inspections.models import Inspection, InspectionRound, InspectionStatus, RoundStatus
from zhenxing.people.tests.helpers import read_xlsx

from .conftest import days, finding, submit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params, doseq=True)}" if params else base


def release(world, day=None) -> None:
    day = day or timezone.localdate()
    services.inspections_release(start=day, end=days(1), scope_path=world.root.path, actor=None)


# --- methods and anonymous -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("inspections:rounds", "post"),
        ("inspections:results", "post"),
        ("inspections:results_export", "post"),
        ("inspections:plan", "put"),
    ],
)
def test_wrong_methods_are_405(world, client_for, name, method):
    assert getattr(client_for(world.admin), method)(reverse(name)).status_code == 405


def test_wrong_methods_on_a_round_are_405(round_a, world, client_for):
    client = client_for(world.admin)
    assert client.post(url("inspections:round", round_a.pk)).status_code == 405
    assert client.get(url("inspections:round_cancel", round_a.pk)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["inspections:rounds", "inspections:plan", "inspections:results"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- the list of rounds ----------------------------------------------------------------------


def test_the_office_sees_every_round_with_its_progress(round_a, round_all, world, client_for):
    submit(round_a.i1, world.inspector_a)
    response = client_for(world.admin).get(reverse("inspections:rounds"))
    assert response.status_code == 200
    rows = {r.pk: r for r in response.context["page"].object_list}
    assert set(rows) == {round_a.pk, round_all.pk}
    assert (rows[round_a.pk].scored, rows[round_a.pk].due, rows[round_a.pk].percent) == (1, 2, 50)
    assert (rows[round_all.pk].scored, rows[round_all.pk].due) == (0, 3)
    html = response.content.decode()
    assert "1 / 2" in html and "社区甲暗检" in html
    assert str(world.inspector_a) in html


def test_an_inspector_sees_only_the_rounds_they_walk(round_a, round_all, world, client_for):
    response = client_for(world.inspector_a).get(reverse("inspections:rounds"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["page"].object_list] == [round_a.pk]


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "party_member_a", "nobody"])
def test_a_community_never_sees_the_rounds(round_a, world, client_for, who):
    # Not even the list page is there for them: "no access" looks like "not there".
    client = client_for(getattr(world, who))
    assert client.get(reverse("inspections:rounds")).status_code == 404
    assert client.get(url("inspections:round", round_a.pk)).status_code == 404


def test_the_rounds_filter_by_date_and_status(round_a, world, client_for):
    later = services.round_plan(
        actor=world.admin,
        date=days(3),
        scope=world.a,
        inspectors=[world.inspector_a],
        areas=[world.area_a1],
    )
    services.round_cancel(round_=later, actor=world.admin, reason="下雨")
    client = client_for(world.admin)
    page = client.get(url("inspections:rounds", date_from=days(1).isoformat()))
    assert [r.pk for r in page.context["page"].object_list] == [later.pk]
    page = client.get(url("inspections:rounds", status="planned"))
    assert [r.pk for r in page.context["page"].object_list] == [round_a.pk]
    bad = client.get(
        url("inspections:rounds", date_from=days(2).isoformat(), date_to=days(1).isoformat()),
        **EN,
    )
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()
    assert list(bad.context["page"].object_list) == []


def test_the_rounds_list_stays_within_its_query_budget(
    insp, world, client_for, django_assert_max_num_queries
):
    for n in range(12):
        services.round_plan(
            actor=world.admin,
            date=days(n % 4),
            scope=world.a,
            inspectors=[world.inspector_a],
            areas=[world.area_a1, world.area_a2],
        )
    client = client_for(world.admin)
    client.get(reverse("inspections:rounds"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("inspections:rounds"))
    assert response.context["page"].paginator.count == 12


# --- planning ----------------------------------------------------------------------------------


def plan_data(world, **extra: Any) -> dict[str, Any]:
    data = {
        "date": timezone.localdate().isoformat(),
        "scope": world.a.pk,
        "mode": "choose",
        "areas": [world.area_a1.pk, world.area_a2.pk],
        "inspectors": [world.inspector_a.pk],
        "title": "周二暗检",
        "note": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("who", ["secretary_a", "inspector_a", "outsider", "nobody"])
def test_only_the_office_plans(insp, world, client_for, who):
    # The planner is not there for anyone else, whichever the method.
    client = client_for(getattr(world, who))
    assert client.get(reverse("inspections:plan")).status_code == 404
    assert client.post(reverse("inspections:plan"), plan_data(world)).status_code == 404
    assert not InspectionRound.objects.exists()


def test_the_planner_offers_scopes_areas_and_inspectors(insp, world, client_for, inspector_gc):
    response = client_for(world.admin).get(reverse("inspections:plan"))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["scope"].queryset) == {world.root, world.a, world.b}
    assert list(form.fields["areas"].queryset) == [world.area_a1, world.area_a2, world.area_b1]
    assert set(form.fields["inspectors"].queryset) == {world.inspector_a, inspector_gc}
    groups = dict(form.area_groups())
    assert [box.choice_label for box in groups["社区甲"]] == ["甲一片区", "甲二片区"]
    html = response.content.decode()
    assert 'id="plan-config"' in html and "inspections/plan.js" in html


def test_planning_chosen_areas_makes_the_round(insp, world, client_for):
    client = client_for(world.admin)
    response = client.post(reverse("inspections:plan"), plan_data(world))
    round_ = InspectionRound.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("inspections:round", args=[round_.pk])
    assert round_.title == "周二暗检" and not round_.drawn
    assert sorted(round_.inspections.values_list("area__code", flat=True)) == [
        "GC01-01-A",
        "GC01-01-B",
    ]
    page = client.get(response.url)
    assert page.status_code == 200
    assert "甲一片区" in page.content.decode()


def test_a_draw_keeps_its_seed_and_shows_it(insp, world, client_for):
    client = client_for(world.admin)
    response = client.post(
        reverse("inspections:plan"),
        plan_data(world, mode="draw", areas=[], draw_count=2, seed="abc"),
    )
    assert response.status_code == 302
    round_ = InspectionRound.objects.get()
    assert round_.drawn and round_.draw_seed == "abc" and round_.inspections.count() == 2
    page = client.get(response.url).content.decode()
    assert 'id="draw-seed">abc<' in page


def test_a_draw_without_a_seed_gets_one(insp, world, client_for):
    response = client_for(world.admin).post(
        reverse("inspections:plan"),
        plan_data(world, mode="draw", areas=[], draw_count=1, seed=""),
    )
    assert response.status_code == 302
    assert len(InspectionRound.objects.get().draw_seed) >= 16


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"areas": []}, "areas", "Tick at least one area"),
        ({"mode": "draw", "draw_count": ""}, "draw_count", "Say how many areas to draw."),
        ({"mode": "draw", "draw_count": "0"}, "draw_count", ""),
        ({"inspectors": []}, "inspectors", "Choose at least one inspector."),
        ({"date": "2020-01-01"}, "date", "A round is planned for today or a later day."),
        ({"date": "someday"}, "date", ""),
        ({"mode": "sometimes"}, "mode", ""),
        ({"scope": "999999"}, "scope", ""),
    ],
)
def test_bad_plans_are_400_with_the_field_named(insp, world, client_for, change, field, message):
    response = client_for(world.admin).post(
        reverse("inspections:plan"), plan_data(world, **change), **EN
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    if message:
        assert message in response.content.decode()
    assert not InspectionRound.objects.exists()


def test_an_area_outside_the_scope_is_refused(insp, world, client_for):
    response = client_for(world.admin).post(
        reverse("inspections:plan"), plan_data(world, areas=[world.area_b1.pk]), **EN
    )
    assert response.status_code == 400
    assert "Not in 社区甲: 乙一片区" in response.content.decode()
    assert not InspectionRound.objects.exists()


def test_the_services_refusal_shows_on_the_form_with_the_input_kept(insp, world, client_for):
    # inspector_a is an inspector of 社区甲 only: 社区乙's area is out of their reach.
    response = client_for(world.admin).post(
        reverse("inspections:plan"),
        plan_data(world, scope=world.root.pk, areas=[world.area_b1.pk], title="留着"),
        **EN,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not an inspector for 乙一片区" in html
    assert 'value="留着"' in html
    assert not InspectionRound.objects.exists()


# --- one round and cancelling ----------------------------------------------------------------


def test_the_round_page_lists_its_inspections(round_a, world, client_for):
    submit(round_a.i1, world.inspector_a, finding(round_a.i1.template.items.get(code="A01"), 2))
    for user in (world.admin, world.inspector_a):
        response = client_for(user).get(url("inspections:round", round_a.pk))
        assert response.status_code == 200
        html = response.content.decode()
        assert "甲一片区" in html and "甲二片区" in html and "96" in html
    assert client_for(world.admin).get(url("inspections:round", round_a.pk)).context["cancel_form"]
    page = client_for(world.inspector_a).get(url("inspections:round", round_a.pk))
    assert page.context["cancel_form"] is None


def test_cancelling_voids_what_is_pending(round_a, world, client_for):
    submit(round_a.i1, world.inspector_a)
    client = client_for(world.admin)
    response = client.post(
        url("inspections:round_cancel", round_a.pk),
        {"version": round_a.version, "reason": "台风", "confirm": "on"},
    )
    assert response.status_code == 302
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.CANCELLED and round_a.cancel_reason == "台风"
    statuses = dict(round_a.inspections.values_list("area__code", "status"))
    assert statuses == {"GC01-01-A": InspectionStatus.SUBMITTED, "GC01-01-B": InspectionStatus.VOID}
    again = client.post(
        url("inspections:round_cancel", round_a.pk),
        {"version": round_a.version, "reason": "台风", "confirm": "on"},
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "", "confirm": "on"},
        {"reason": "台风"},
        {"reason": "台风", "confirm": "on", "version": "x"},
    ],
)
def test_a_cancel_without_reason_or_confirmation_is_400(round_a, world, client_for, data):
    data = {"version": round_a.version, **data}
    response = client_for(world.admin).post(url("inspections:round_cancel", round_a.pk), data)
    assert response.status_code == 400
    assert response.context["cancel_open"]
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.PLANNED


def test_a_stale_cancel_is_409(round_a, world, client_for):
    response = client_for(world.admin).post(
        url("inspections:round_cancel", round_a.pk),
        {"version": round_a.version + 5, "reason": "台风", "confirm": "on"},
    )
    assert response.status_code == 409
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.PLANNED


def test_who_may_not_cancel(round_a, world, client_for):
    data = {"version": round_a.version, "reason": "x", "confirm": "on"}
    # The round's inspector sees it but may not cancel it; a community does not even see it.
    assert (
        client_for(world.inspector_a).post(url("inspections:round_cancel", round_a.pk), data)
    ).status_code == 403
    for user in (world.secretary_a, world.outsider):
        response = client_for(user).post(url("inspections:round_cancel", round_a.pk), data)
        assert response.status_code == 404
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.PLANNED


def test_a_round_with_every_area_scored_or_void_is_completed(round_a, insp, world, client_for):
    submit(round_a.i1, world.inspector_a)
    page = client_for(world.admin).get(url("inspections:round", round_a.pk), **EN)
    # One area is still to walk: the round is as planned, and may be cancelled.
    assert not page.context["round"].completed and page.context["cancel_form"] is not None
    scored = submit(round_a.i2, world.inspector_a, finding(insp.clutter, 1))
    services.inspection_void(inspection=scored, actor=world.admin, reason="走错片区")
    client = client_for(world.admin)
    page = client.get(url("inspections:round", round_a.pk), **EN)
    assert page.status_code == 200
    assert page.context["round"].completed and page.context["cancel_form"] is None
    html = page.content.decode()
    assert 'zx-badge-closed">Completed<' in html and 'id="round-cancel"' not in html
    listing = client.get(reverse("inspections:rounds"), **EN)
    (row,) = listing.context["page"].object_list
    assert row.completed and 'zx-badge-closed">Completed<' in listing.content.decode()
    # Nothing is left to cancel: a cancel posted from an old page is refused, not relabelled.
    response = client.post(
        url("inspections:round_cancel", round_a.pk),
        {"version": round_a.version, "reason": "台风", "confirm": "on"},
        **EN,
    )
    assert response.status_code == 409
    assert "nothing to cancel" in response.content.decode()
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.PLANNED


def test_a_cancelled_round_is_not_completed(round_a, world, client_for):
    submit(round_a.i1, world.inspector_a)
    services.round_cancel(round_=round_a, actor=world.admin, reason="台风")
    page = client_for(world.admin).get(url("inspections:round", round_a.pk), **EN)
    assert not page.context["round"].completed
    assert "Completed" not in page.content.decode()


# --- results ---------------------------------------------------------------------------------


def _results(client, **params) -> list[Inspection]:
    response = client.get(url("inspections:results", **params))
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_the_embargo_holds_on_the_results(scored_a1, round_all, world, client_for):
    submit(round_all.ib, round_all.ib.inspector)
    assert {i.pk for i in _results(client_for(world.admin))} == {scored_a1.pk, round_all.ib.pk}
    assert [i.pk for i in _results(client_for(world.inspector_a))] == [scored_a1.pk]
    for who in ("secretary_a", "party_member_a", "outsider", "nobody", "dept_staff"):
        client = client_for(getattr(world, who))
        response = client.get(reverse("inspections:results"))
        if who == "nobody":
            assert response.status_code == 404
            assert client.get(reverse("inspections:results_export")).status_code == 404
            continue
        assert list(response.context["page"].object_list) == []
        assert "甲一片区" not in response.content.decode()
    release(world)
    assert [i.pk for i in _results(client_for(world.secretary_a))] == [scored_a1.pk]
    assert [i.pk for i in _results(client_for(world.outsider))] == [round_all.ib.pk]


def test_the_community_sees_no_inspector_name(scored_a1, world, client_for):
    release(world)
    response = client_for(world.secretary_a).get(reverse("inspections:results"))
    row = response.context["page"].object_list[0]
    assert not row.show_inspector
    office = client_for(world.admin).get(reverse("inspections:results"))
    assert office.context["page"].object_list[0].show_inspector


def test_the_results_filter(scored_a1, round_all, insp, world, client_for):
    submit(round_all.ib, round_all.ib.inspector)  # 100
    client = client_for(world.admin)
    assert [i.pk for i in _results(client, score_below="95")] == [scored_a1.pk]
    assert [i.pk for i in _results(client, community=world.b.code)] == [round_all.ib.pk]
    assert _results(client, date_from=days(1).isoformat()) == []
    bad = client.get(url("inspections:results", score_below="lots"))
    assert bad.status_code == 400 and list(bad.context["page"].object_list) == []
    # A community out of the user's territory is refused, not silently widened.
    release(world)
    outside = client_for(world.secretary_a).get(url("inspections:results", community="GC02"))
    assert outside.status_code == 400
    assert list(outside.context["page"].object_list) == []


def test_the_results_list_stays_within_its_query_budget(
    insp, world, client_for, django_assert_max_num_queries, inspector_gc
):
    for _n in range(6):
        round_ = services.round_plan(
            actor=world.admin,
            date=timezone.localdate(),
            scope=world.root,
            inspectors=[inspector_gc],
            areas=[world.area_a1, world.area_a2, world.area_b1],
        )
        for inspection in round_.inspections.all():
            submit(inspection, inspector_gc, finding(insp.clutter, 1))
    client = client_for(world.admin)
    client.get(reverse("inspections:results"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("inspections:results"))
    assert response.context["page"].paginator.count == 18


def test_the_export_holds_the_filtered_results(scored_a1, round_all, world, client_for):
    submit(round_all.ib, round_all.ib.inspector)
    response = client_for(world.admin).get(url("inspections:results_export", score_below="99"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = read_xlsx(response.content)
    assert len(rows) == 2
    row = rows[1]
    assert "社区甲" in row and "甲一片区" in row and "GC01-01-A" in row
    assert 94 in row or "94.00" in [str(v) for v in row]
    entry = AuditEntry.objects.get(action="inspection.export")
    assert entry.changes["rows"] == 1


def test_the_export_keeps_the_embargo(scored_a1, world, client_for):
    response = client_for(world.secretary_a).get(reverse("inspections:results_export"))
    assert response.status_code == 200
    assert len(read_xlsx(response.content)) == 1  # the header only


def test_an_export_with_bad_filters_shows_the_list_with_errors(scored_a1, world, client_for):
    response = client_for(world.admin).get(url("inspections:results_export", score_below="x"))
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="inspection.export").exists()


def test_planned_message_names_the_areas(insp, world, client_for):
    response = client_for(world.admin).post(reverse("inspections:plan"), plan_data(world), **EN)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("2 areas" in t for t in texts)
