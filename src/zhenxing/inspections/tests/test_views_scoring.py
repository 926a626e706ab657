"""The inspector's pages (mine, the scoring form) and one inspection (detail, void, open a case)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from zhenxing.cases.models import Case, Source
from zhenxing.inspections import services
from zhenxing.inspections.models import Finding, Inspection, InspectionPhoto, InspectionStatus

from .conftest import IN_A1, IN_A2, days, finding, jpeg_bytes, submit, upload

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def score_data(inspection: Inspection, **extra: Any) -> dict[str, Any]:
    """The scoring form as posted with nothing found: every count 0."""
    data: dict[str, Any] = {"version": inspection.version, "note": "", "lat": "", "lng": ""}
    for item in inspection.template.items.all():
        data[f"count_{item.pk}"] = "0"
        data[f"note_{item.pk}"] = ""
    data.update(extra)
    return data


def release(world) -> None:
    services.inspections_release(
        start=timezone.localdate(), end=days(1), scope_path=world.root.path, actor=None
    )


# --- methods -----------------------------------------------------------------------------------


def test_wrong_methods_are_405(scored_a1, world, client_for):
    client = client_for(world.admin)
    finding_id = scored_a1.findings.get().pk
    assert client.post(reverse("inspections:mine")).status_code == 405
    assert client.post(url("inspections:detail", scored_a1.pk)).status_code == 405
    assert client.put(url("inspections:score", scored_a1.pk)).status_code == 405
    assert client.get(url("inspections:void", scored_a1.pk)).status_code == 405
    assert client.get(url("inspections:open_case", scored_a1.pk, finding_id)).status_code == 405


# --- mine --------------------------------------------------------------------------------------


def test_mine_shows_todays_cards_pending_first(round_a, world, client_for):
    submit(round_a.i1, world.inspector_a)
    response = client_for(world.inspector_a).get(reverse("inspections:mine"))
    assert response.status_code == 200
    assert [i.pk for i in response.context["inspections"]] == [round_a.i2.pk, round_a.i1.pk]
    assert response.context["pending"] == 1
    html = response.content.decode()
    assert url("inspections:score", round_a.i2.pk) in html
    assert url("inspections:detail", round_a.i1.pk) in html
    assert "社区甲" in html and "人居环境暗检通用表" in html


def test_mine_says_when_no_round_is_planned(round_a, world, client_for, inspector_gc):
    response = client_for(inspector_gc).get(reverse("inspections:mine"), **EN)
    assert response.status_code == 200
    assert "No round is planned for you today." in response.content.decode()


def test_mine_shows_nothing_of_another_day(round_a, world, client_for):
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        response = client_for(world.inspector_a).get(reverse("inspections:mine"))
    assert response.context["inspections"] == []


@pytest.mark.parametrize("who", ["secretary_a", "admin", "outsider", "nobody"])
def test_mine_is_for_inspectors(world, client_for, who):
    # Not there for anyone else (404, as ARCHITECTURE.md habit 3 has it), in plain Chinese.
    response = client_for(getattr(world, who)).get(reverse("inspections:mine"))
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


# --- the workbench card ------------------------------------------------------------------------


def test_the_workbench_shows_an_inspector_todays_inspections(round_a, world, client_for):
    submit(round_a.i1, world.inspector_a)
    response = client_for(world.inspector_a).get(reverse("core:home"), **EN)
    assert response.status_code == 200
    assert response.context["inspections_today"] == {"total": 2, "pending": 1, "scored": 1}
    html = response.content.decode()
    card = html[html.index('id="today-inspections"') :]
    card = card[: card.index("</section>")]
    assert "1 left to score" in card and "1 of 2 scored" in card
    assert f'href="{reverse("inspections:mine")}"' in card
    # The card comes first, above the rest of the workbench.
    assert html.index('id="today-inspections"') < html.index("Welcome,")


def test_the_workbench_card_says_when_no_round_is_planned(round_a, world, client_for, inspector_gc):
    response = client_for(inspector_gc).get(reverse("core:home"), **EN)
    assert response.context["inspections_today"] == {"total": 0, "pending": 0, "scored": 0}
    assert "No round is planned for you today." in response.content.decode()


@pytest.mark.parametrize("who", ["admin", "secretary_a", "outsider", "nobody"])
def test_the_workbench_card_is_for_inspectors_only(round_a, world, client_for, who):
    response = client_for(getattr(world, who)).get(reverse("core:home"))
    assert response.context["inspections_today"] is None
    assert 'id="today-inspections"' not in response.content.decode()


def test_the_workbench_card_costs_one_query(round_a, world, django_assert_num_queries):
    from zhenxing.core.views import _inspections_today
    from zhenxing.people.scopes import roles_of

    roles_of(world.inspector_a)  # the roles are read once per request anyway
    with django_assert_num_queries(1):
        counts = _inspections_today(world.inspector_a)
    assert counts == {"total": 2, "pending": 2, "scored": 0}


# --- the scoring form --------------------------------------------------------------------------


def test_the_form_lists_the_items_with_their_rules(round_a, insp, world, client_for):
    response = client_for(world.inspector_a).get(url("inspections:score", round_a.i1.pk), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    rows = response.context["rows"]
    assert [r["item"].code for r in rows] == ["A01", "A02", "A03"]
    assert [r["rule"] for r in rows] == [
        "−2 per 处, at most −10",
        "−1 per 处",
        "−5 per 处, at most −5",
    ]
    # The case switch only where the item has a case category, and on by default.
    assert [r["case"] is not None for r in rows] == [True, False, True]
    assert f'name="case_{insp.garbage.pk}"' in html and "checked" in html
    photos = f'name="photos_{insp.garbage.pk}"'
    tag = html[html.rindex("<input", 0, html.index(photos)) : html.index(">", html.index(photos))]
    assert 'capture="environment"' in tag and 'accept="image/*"' in tag and "multiple" in tag
    assert "data-upload-progress" in html and "cases/upload.js" in html
    assert 'data-confirm="' in html


def test_each_photo_input_sits_under_a_take_photos_button(round_a, insp, world, client_for):
    response = client_for(world.inspector_a).get(url("inspections:score", round_a.i1.pk), **EN)
    html = response.content.decode()
    for name in (f"photos_{insp.garbage.pk}", "photos"):
        start = html.index(f'name="{name}"')
        tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
        # Visually hidden (never the browser's "Choose Files"), still in the form.
        assert 'class="zx-photo-input"' in tag and "form-control" not in tag
        assert 'type="file"' in tag and "hidden" not in tag.replace('class="zx-photo-input"', "")
        pick = html[html.rindex("data-photo-pick", 0, start) : html.index("</div>", start)]
        assert f'for="id_{name}"' in pick and "Take photos" in pick
        assert 'data-text-some="Photos chosen: {n}"' in pick


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "party_member_a", "nobody"])
def test_the_form_is_not_there_for_others(round_a, world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(url("inspections:score", round_a.i1.pk)).status_code == 404
    response = client.post(url("inspections:score", round_a.i1.pk), score_data(round_a.i1))
    assert response.status_code == 404
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.PENDING


def test_the_office_sees_but_does_not_score(round_a, world, client_for, inspector_gc):
    # The office plans the round: it sees the pending inspection, but the form is not there
    # for it (404) and a score it posts is refused (403). An inspector who is not on the
    # round does not even see the inspection (the plan is secret): 404 both ways.
    for user, get_status, post_status in ((world.admin, 404, 403), (inspector_gc, 404, 404)):
        client = client_for(user)
        assert client.get(url("inspections:score", round_a.i1.pk)).status_code == get_status
        response = client.post(url("inspections:score", round_a.i1.pk), score_data(round_a.i1))
        assert response.status_code == post_status
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.PENDING


def test_submitting_scores_and_opens_the_cases(round_a, insp, world, client_for, private_media):
    inspection = round_a.i1
    client = client_for(world.inspector_a)
    data = score_data(
        inspection,
        **{
            f"count_{insp.garbage.pk}": "2",
            f"note_{insp.garbage.pk}": "桥下两堆",
            f"case_{insp.garbage.pk}": "on",
            f"count_{insp.clutter.pk}": "3",
            f"count_{insp.board.pk}": "1",  # its case switch left off
            "note": "总体尚可",
            "lat": str(IN_A1[0]),
            "lng": str(IN_A1[1]),
        },
    )
    data[f"photos_{insp.garbage.pk}"] = [upload("a.jpg"), upload("b.jpg")]
    data["photos"] = [upload("all.jpg")]
    response = client.post(url("inspections:score", inspection.pk), data, **EN)
    assert response.status_code == 302
    assert response.url == url("inspections:detail", inspection.pk)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.SUBMITTED
    assert inspection.score == 100 - 4 - 3 - 5 and inspection.note == "总体尚可"
    assert (inspection.lat, inspection.lng) == IN_A1
    garbage = Finding.objects.get(inspection=inspection, item=insp.garbage)
    assert garbage.count == 2 and garbage.note == "桥下两堆" and garbage.photos.count() == 2
    assert garbage.case is not None and garbage.case.source == Source.INSPECTION
    assert Finding.objects.get(inspection=inspection, item=insp.board).case is None
    assert InspectionPhoto.objects.filter(inspection=inspection, finding=None).count() == 1
    assert Case.objects.count() == 1
    text = " ".join(messages_of(response))
    assert "Scored: 88 points." in text and garbage.case.number in text

    detail = client.get(response.url)
    html = detail.content.decode()
    assert detail.status_code == 200
    assert garbage.case.number in html and "桥下两堆" in html
    assert url("inspections:photo", garbage.photos.first().token, "thumb") in html
    # The board finding has a category but no case yet: the inspector may open one.
    board = Finding.objects.get(inspection=inspection, item=insp.board)
    assert url("inspections:open_case", inspection.pk, board.pk) in html


def test_a_position_outside_the_area_is_warned_but_saved(round_a, world, client_for):
    # 甲二片区's centre is 0.01° (about 1 km) east of 甲一片区: the inspector is elsewhere.
    data = score_data(round_a.i1, lat=str(IN_A2[0]), lng=str(IN_A2[1]))
    response = client_for(world.inspector_a).post(
        url("inspections:score", round_a.i1.pk), data, **EN
    )
    assert response.status_code == 302
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.SUBMITTED
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "Your location is not inside this area. The score was saved all the same: "
        "check that you scored the right area."
    ]


@pytest.mark.parametrize(
    "position",
    [
        IN_A1,
        (23.005, 113.1101),  # about 10 m past the eastern border: within the tolerance
        None,  # no position at all
    ],
)
def test_no_warning_inside_the_area(round_a, world, client_for, position):
    lat, lng = (str(position[0]), str(position[1])) if position else ("", "")
    data = score_data(round_a.i1, lat=lat, lng=lng)
    response = client_for(world.inspector_a).post(url("inspections:score", round_a.i1.pk), data)
    assert response.status_code == 302
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == []


def test_the_warning_follows_the_border_tolerance(round_a, world, client_for, settings):
    settings.ZHENXING_AREA_TOLERANCE_M = 0
    data = score_data(round_a.i1, lat="23.005", lng="113.1101")
    response = client_for(world.inspector_a).post(url("inspections:score", round_a.i1.pk), data)
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success", "warning"]


def test_an_area_without_a_polygon_gets_no_warning(round_a, world, client_for):
    from zhenxing.territory.models import Region

    Region.objects.filter(pk=world.area_a1.pk).update(geometry=None)
    data = score_data(round_a.i1, lat=str(IN_A2[0]), lng=str(IN_A2[1]))
    response = client_for(world.inspector_a).post(url("inspections:score", round_a.i1.pk), data)
    assert response.status_code == 302
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == []


def test_a_clean_area_scores_full(round_a, world, client_for):
    response = client_for(world.inspector_a).post(
        url("inspections:score", round_a.i1.pk), score_data(round_a.i1), **EN
    )
    assert response.status_code == 302
    round_a.i1.refresh_from_db()
    assert round_a.i1.score == 100 and not round_a.i1.findings.exists()
    assert "Scored: 100 points." in messages_of(response)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"count_{garbage}": "-1"}, "暴露垃圾: "),
        ({"count_{garbage}": "abc"}, "暴露垃圾: "),
        ({"count_{garbage}": "1000"}, "暴露垃圾: "),
        (
            {"note_{clutter}": "一些杂物"},
            "乱堆乱放: Give a count, or remove the note and photos of this item.",
        ),
        ({"note_{garbage}": "长" * 501, "count_{garbage}": "1"}, "暴露垃圾: "),
        ({"version": ""}, ""),
        ({"lat": "91", "lng": "113"}, ""),
    ],
)
def test_bad_input_is_400_naming_the_item(round_a, insp, world, client_for, extra, message):
    names = {"garbage": insp.garbage.pk, "clutter": insp.clutter.pk}
    data = score_data(round_a.i1, **{k.format(**names): v for k, v in extra.items()})
    response = client_for(world.inspector_a).post(
        url("inspections:score", round_a.i1.pk), data, **EN
    )
    assert response.status_code == 400
    if message:
        assert message in response.content.decode()
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.PENDING
    assert not Finding.objects.exists()


def test_a_bad_photo_names_its_item_and_nothing_is_saved(
    round_a, insp, world, client_for, private_media
):
    data = score_data(round_a.i1, **{f"count_{insp.garbage.pk}": "1"})
    data[f"photos_{insp.garbage.pk}"] = [upload("notes.jpg", b"not a photo at all")]
    response = client_for(world.inspector_a).post(
        url("inspections:score", round_a.i1.pk), data, **EN
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "暴露垃圾: notes.jpg is not a JPEG, PNG or WebP photo" in html
    # A browser cannot re-fill the file inputs: the page says so.
    assert response.context["photos_again"]
    assert not Finding.objects.exists() and not InspectionPhoto.objects.exists()
    assert not [p for p in private_media.rglob("*") if p.is_file()]


def test_too_many_photos_on_an_item_are_refused(round_a, insp, world, client_for, private_media):
    data = score_data(round_a.i1, **{f"count_{insp.garbage.pk}": "1"})
    data[f"photos_{insp.garbage.pk}"] = [upload(f"{n}.jpg", jpeg_bytes()) for n in range(10)]
    response = client_for(world.inspector_a).post(
        url("inspections:score", round_a.i1.pk), data, **EN
    )
    assert response.status_code == 400
    assert "暴露垃圾: At most 9 photos at a time." in response.content.decode()


def test_an_item_of_another_checklist_cannot_be_counted(
    round_a, insp, world, client_for, road_template
):
    # Only the inspection's own items are fields: a foreign one is ignored, never saved.
    road_item = road_template.items.get()
    data = score_data(round_a.i1, **{f"count_{road_item.pk}": "3"})
    response = client_for(world.inspector_a).post(url("inspections:score", round_a.i1.pk), data)
    assert response.status_code == 302
    round_a.i1.refresh_from_db()
    assert round_a.i1.score == 100


def test_scoring_twice_is_409_and_the_form_sends_to_the_detail(round_a, world, client_for):
    client = client_for(world.inspector_a)
    assert (
        client.post(url("inspections:score", round_a.i1.pk), score_data(round_a.i1)).status_code
        == 302
    )
    again = client.post(url("inspections:score", round_a.i1.pk), score_data(round_a.i1), **EN)
    assert again.status_code == 409
    assert "scored or cancelled meanwhile" in again.content.decode()
    form = client.get(url("inspections:score", round_a.i1.pk))
    assert form.status_code == 302 and form.url == url("inspections:detail", round_a.i1.pk)


def test_a_stale_version_is_409(round_a, world, client_for):
    data = score_data(round_a.i1, version=round_a.i1.version + 1)
    response = client_for(world.inspector_a).post(url("inspections:score", round_a.i1.pk), data)
    assert response.status_code == 409
    round_a.i1.refresh_from_db()
    assert round_a.i1.status == InspectionStatus.PENDING


def test_a_future_inspection_is_refused_by_the_service(insp, world, client_for):
    round_ = services.round_plan(
        actor=world.admin,
        date=days(2),
        scope=world.a,
        inspectors=[world.inspector_a],
        areas=[world.area_a1],
    )
    inspection = round_.inspections.get()
    response = client_for(world.inspector_a).post(
        url("inspections:score", inspection.pk), score_data(inspection), **EN
    )
    assert response.status_code == 400
    assert "score it on that day" in response.content.decode()


# --- the detail page ---------------------------------------------------------------------------


def test_the_detail_is_embargoed(scored_a1, world, client_for):
    for who in ("secretary_a", "party_member_a", "outsider", "nobody"):
        response = client_for(getattr(world, who)).get(url("inspections:detail", scored_a1.pk))
        assert response.status_code == 404
    release(world)
    page = client_for(world.secretary_a).get(url("inspections:detail", scored_a1.pk))
    assert page.status_code == 200
    assert page.context["score"] == "94"
    # Released to the community, still without the inspector's name or the round.
    assert not page.context["show_inspector"] and not page.context["round_visible"]
    assert str(world.inspector_a) not in page.content.decode()
    assert (
        client_for(world.outsider).get(url("inspections:detail", scored_a1.pk)).status_code == 404
    )


def test_the_detail_for_the_office(scored_a1, world, client_for):
    response = client_for(world.admin).get(url("inspections:detail", scored_a1.pk))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["show_inspector"] and ctx["round_visible"] and ctx["may_see_originals"]
    assert ctx["void_form"] is not None
    html = response.content.decode()
    assert "94" in html and "暴露垃圾" in html and "人居环境暗检通用表" in html


def breadcrumb(response) -> str:
    html = response.content.decode()
    start = html.index('<ol class="breadcrumb">')
    return html[start : html.index("</ol>", start)]


def test_the_findings_read_as_a_list_of_deductions(scored_a1, world, client_for):
    response = client_for(world.admin).get(url("inspections:detail", scored_a1.pk), **EN)
    html = response.content.decode()
    assert 'id="findings-title">Deductions found</h2>' in html
    # "Findings" is the count column of the results export (发现问题数), not this heading.
    assert ">Findings<" not in html


def test_the_breadcrumb_leads_the_inspector_back_to_their_day(scored_a1, world, client_for):
    mine, results = reverse("inspections:mine"), reverse("inspections:results")
    own = breadcrumb(client_for(world.inspector_a).get(url("inspections:detail", scored_a1.pk)))
    assert f'href="{mine}"' in own and f'href="{results}"' not in own
    office = breadcrumb(client_for(world.admin).get(url("inspections:detail", scored_a1.pk)))
    assert f'href="{results}"' in office and f'href="{mine}"' not in office
    release(world)
    community = breadcrumb(
        client_for(world.secretary_a).get(url("inspections:detail", scored_a1.pk))
    )
    assert f'href="{results}"' in community


def test_the_breadcrumb_of_another_inspectors_score_leads_to_the_results(
    round_all, world, client_for, inspector_gc
):
    # inspector_a sees inspector_gc's score of 社区甲 (the team checks each other's work),
    # but it is not their day's work.
    submit(round_all.i1, inspector_gc)
    crumbs = breadcrumb(
        client_for(world.inspector_a).get(url("inspections:detail", round_all.i1.pk))
    )
    assert f'href="{reverse("inspections:results")}"' in crumbs
    mine = breadcrumb(client_for(inspector_gc).get(url("inspections:detail", round_all.i1.pk)))
    assert f'href="{reverse("inspections:mine")}"' in mine


def test_a_pending_inspection_offers_the_form_to_its_inspector(round_a, world, client_for):
    page = client_for(world.inspector_a).get(url("inspections:detail", round_a.i1.pk))
    assert page.status_code == 200 and page.context["may_score"]
    assert url("inspections:score", round_a.i1.pk) in page.content.decode()


def test_the_detail_stays_within_its_query_budget(
    round_a, insp, world, client_for, private_media, django_assert_max_num_queries
):
    from .conftest import photo

    submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 2, photos=[photo(), photo("blue")]),
        finding(insp.clutter, 1, photos=[photo("green")]),
        finding(insp.board, 1),
        photos=[photo("white")],
    )
    client = client_for(world.admin)
    client.get(url("inspections:detail", round_a.i1.pk))
    with django_assert_max_num_queries(12):
        client.get(url("inspections:detail", round_a.i1.pk))


# --- voiding -----------------------------------------------------------------------------------


def test_the_office_voids_a_score_with_a_reason(scored_a1, world, client_for):
    client = client_for(world.admin)
    response = client.post(
        url("inspections:void", scored_a1.pk), {"version": scored_a1.version, "reason": "走错片区"}
    )
    assert response.status_code == 302
    scored_a1.refresh_from_db()
    assert scored_a1.status == InspectionStatus.VOID and scored_a1.void_reason == "走错片区"
    again = client.post(
        url("inspections:void", scored_a1.pk), {"version": scored_a1.version, "reason": "x"}
    )
    assert again.status_code == 409


def test_a_void_without_reason_is_400(scored_a1, world, client_for):
    response = client_for(world.admin).post(
        url("inspections:void", scored_a1.pk), {"version": scored_a1.version, "reason": " "}
    )
    assert response.status_code == 400
    assert response.context["void_open"]
    scored_a1.refresh_from_db()
    assert scored_a1.status == InspectionStatus.SUBMITTED


def test_who_may_not_void(scored_a1, world, client_for):
    data = {"version": scored_a1.version, "reason": "x"}
    assert (
        client_for(world.inspector_a).post(url("inspections:void", scored_a1.pk), data).status_code
        == 403
    )
    for who in ("secretary_a", "outsider"):
        response = client_for(getattr(world, who)).post(url("inspections:void", scored_a1.pk), data)
        assert response.status_code == 404
    release(world)
    # Released: the community sees it now, but may not void it; nor may the office any more.
    assert (
        client_for(world.secretary_a).post(url("inspections:void", scored_a1.pk), data).status_code
        == 403
    )
    assert (
        client_for(world.admin).post(url("inspections:void", scored_a1.pk), data).status_code == 403
    )
    scored_a1.refresh_from_db()
    assert scored_a1.status == InspectionStatus.SUBMITTED


# --- opening a case from a finding -------------------------------------------------------------


def test_the_inspector_opens_a_case_from_a_finding(scored_a1, world, client_for, private_media):
    found = scored_a1.findings.get()
    client = client_for(world.inspector_a)
    response = client.post(url("inspections:open_case", scored_a1.pk, found.pk), **EN)
    found.refresh_from_db()
    assert found.case is not None
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[found.case.number])
    assert f"Case {found.case.number} was opened." in messages_of(response)
    again = client.post(url("inspections:open_case", scored_a1.pk, found.pk), **EN)
    assert again.status_code == 409
    assert Case.objects.count() == 1


def test_an_item_without_a_category_opens_no_case(round_a, insp, world, client_for):
    submit(round_a.i1, world.inspector_a, finding(insp.clutter, 2))
    found = round_a.i1.findings.get()
    response = client_for(world.inspector_a).post(
        url("inspections:open_case", round_a.i1.pk, found.pk), **EN
    )
    assert response.status_code == 400
    assert "has no case category" in response.content.decode()
    assert not Case.objects.exists()


def test_who_may_not_open_a_case(scored_a1, round_a, world, client_for):
    found = scored_a1.findings.get()
    target = url("inspections:open_case", scored_a1.pk, found.pk)
    for who in ("secretary_a", "outsider"):
        assert client_for(getattr(world, who)).post(target).status_code == 404
    release(world)
    assert client_for(world.secretary_a).post(target).status_code == 403
    # A finding of another inspection is not found through this one.
    other = url("inspections:open_case", round_a.i2.pk, found.pk)
    assert client_for(world.admin).post(other).status_code == 404
    assert not Case.objects.exists()


def test_a_too_long_description_is_400(scored_a1, world, client_for):
    found = scored_a1.findings.get()
    response = client_for(world.admin).post(
        url("inspections:open_case", scored_a1.pk, found.pk), {"description": "长" * 2001}
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
