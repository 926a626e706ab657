"""Service requests: what POST files, what GET shows (and to whom), the filters and the limits."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from zhenxing.cases import services as case_services
from zhenxing.cases.models import Case, Source
from zhenxing.core.models import AuditEntry
from zhenxing.open311 import views
from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import client_create
from zhenxing.public.models import ReportChannel, ResidentReport
from zhenxing.public.testing import (
    SECRET_MOBILE,
    SECRET_NAME,
    closed_case,
    publish_directly,
    reported_case,
)

from .support import FORMATS, a_request, errors, get, post, web_report


@pytest.fixture
def api(world):
    client, raw = client_create(name="街坊通", actor=world.admin)
    return client, raw


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["service_request_id"] for row in json.loads(response.content)]


def everything(client, key, number) -> str:
    """Every answer the API gives about one request, in both formats, as one text."""
    parts = []
    for fmt in FORMATS:
        parts.append(get(client, "requests", fmt, api_key=key).content.decode())
        parts.append(get(client, "request", fmt, number, api_key=key).content.decode())
        parts.append(get(client, "requests", fmt).content.decode())
    return "\n".join(parts)


def test_post_files_one_resident_case_from_the_client(client, cats, api):
    api_client, key = api
    response = post(client, "json", **a_request(cats, key))
    (body,) = json.loads(response.content)
    case = Case.objects.get()
    assert body["service_request_id"] == case.number
    assert case.source == Source.RESIDENT and case.reporter is None
    assert case.category == cats.garbage and case.address == "甲一片区路口"
    assert (case.lat, case.lng) == (23.005, 113.105)
    # Kept on the case for the office; never shown by the API (below).
    assert case.reporter_name == SECRET_NAME and case.reporter_mobile == SECRET_MOBILE
    report = ResidentReport.objects.get()
    assert report.case == case and report.tracking_code == body["token"]
    assert report.channel == ReportChannel.OPEN311 and report.open311_client == api_client
    assert AuditEntry.objects.filter(action="public.resident_report", object_id=str(case.pk))
    api_client.refresh_from_db()
    assert api_client.last_used_at is not None
    # The photo a client names is never fetched: the case has none.
    assert not case.photos.exists()


def test_a_phone_with_the_country_code_is_a_mobile(client, cats, api):
    post(client, "json", **a_request(cats, api[1], phone="+86 139-1234-5678"))
    assert Case.objects.get().reporter_mobile == SECRET_MOBILE


def test_the_name_and_mobile_never_come_back(client, cats, api):
    _api_client, key = api
    response = post(client, "xml", **a_request(cats, key))
    number = Case.objects.get().number
    text = response.content.decode() + everything(client, key, number)
    assert number in text  # the client does see its own request
    assert SECRET_MOBILE not in text and SECRET_NAME not in text
    assert SECRET_NAME[1:] not in text
    assert SECRET_MOBILE[-4:] not in text  # the mobile inside the description, removed


def test_a_published_case_shows_no_private_data(client, world, cats, api, private_media):
    case = closed_case(world, cats.garbage)
    publish_directly(case, actor=world.admin)
    text = everything(client, api[1], case.number)
    assert case.number in text
    assert SECRET_MOBILE not in text and SECRET_NAME not in text
    assert "13800000002" not in text and "sec_a" not in text  # the handler: no person
    # What the office wrote for the public, not the resident's own text.
    assert "联系我" not in text


def test_unpublished_cases_are_never_listed(client, world, cats, api, private_media):
    _api_client, key = api
    private = reported_case(world, cats.garbage)
    from_web = web_report(cats).case
    published = closed_case(world, cats.garbage)
    publication = publish_directly(published, actor=world.admin)
    for params in (
        {},
        {"api_key": key},
        {"service_request_id": f"{private.number},{from_web.number}"},
    ):
        assert ids(get(client, "requests", "json", **params)) in ([published.number], [])
    for number in (private.number, from_web.number):
        errors(get(client, "request", "json", number), "json", 404)
        errors(get(client, "request", "xml", number, api_key=key), "xml", 404)
    # Unpublishing takes effect at once.
    publication.is_published = False
    publication.save()
    assert ids(get(client, "requests", "json")) == []
    errors(get(client, "request", "json", published.number), "json", 404)


def test_a_client_sees_its_own_requests_and_no_one_elses(client, world, cats, api):
    _mine, key = api
    _other, other_key = client_create(name="另一个应用", actor=world.admin)
    number = json.loads(post(client, "json", **a_request(cats, key)).content)[0][
        "service_request_id"
    ]
    assert ids(get(client, "requests", "json", api_key=key)) == [number]
    assert get(client, "request", "json", number, api_key=key).status_code == 200
    # Not published: nobody else sees it, with or without a key.
    assert ids(get(client, "requests", "json")) == []
    assert ids(get(client, "requests", "json", api_key=other_key)) == []
    errors(get(client, "request", "json", number, api_key=other_key), "json", 404)
    errors(get(client, "request", "json", number), "json", 404)
    (row,) = json.loads(get(client, "requests", "json", api_key=key).content)
    assert row["status"] == "open" and row["media_url"] is None
    assert row["address"] == "甲一片区路口"
    assert row["agency_responsible"] == "社区甲"


def test_states_map_to_open_and_closed(client, world, cats, private_media):
    open_case = reported_case(world, cats.garbage)
    rejected = case_services.case_reject(
        case=reported_case(world, cats.garbage, lat=23.006), actor=world.admin, reason="重复"
    )
    closed = closed_case(world, cats.garbage)
    for case in (open_case, rejected, closed):
        publish_directly(case, actor=world.admin)
    rows = {r["service_request_id"]: r for r in json.loads(get(client, "requests", "json").content)}
    assert rows[open_case.number]["status"] == "open"
    assert rows[rejected.number]["status"] == "closed"
    assert rows[closed.number]["status"] == "closed"
    # The notes are the public step, never the reason the office wrote.
    assert "重复" not in json.dumps(rows, ensure_ascii=False)
    english = json.loads(get(client, "requests", "json", headers={"accept-language": "en"}).content)
    notes = {r["service_request_id"]: r["status_notes"] for r in english}
    assert notes == {
        open_case.number: "Received",
        rejected.number: "Not taken up",
        closed.number: "Fixed",
    }


def test_a_department_is_the_agency_when_one_is_assigned(client, world, cats, private_media):
    case = case_services.case_report(
        actor=None,
        category=cats.floating,
        source="resident",
        description="漂浮物",
        lat=23.005,
        lng=113.105,
    )
    case = case_services.case_accept(case=case, actor=world.admin)
    case = case_services.case_dispatch(case=case, actor=world.admin, to=world.dept)
    publish_directly(case, actor=world.admin)
    (row,) = json.loads(get(client, "requests", "json").content)
    assert row["agency_responsible"] == "城管办"


@pytest.fixture
def board(world, cats, private_media):
    """Published cases: a garbage report 100 days ago, one 20 days ago, a closed one now."""
    now = timezone.now()
    made = {}
    for name, days in (("old", 100), ("recent", 20)):
        with time_machine.travel(now - datetime.timedelta(days=days), tick=False):
            made[name] = reported_case(world, cats.garbage, lat=23.001 + days / 100000)
            publish_directly(made[name], actor=world.admin)
    made["closed"] = closed_case(world, cats.garbage)
    publish_directly(made["closed"], actor=world.admin)
    made["river"] = case_services.case_report(
        actor=None,
        category=cats.floating,
        source="resident",
        description="漂浮物",
        lat=23.002,
        lng=113.102,
    )
    publish_directly(made["river"], actor=world.admin)
    return made


def test_the_default_range_is_the_last_90_days_newest_first(client, board):
    assert ids(get(client, "requests", "json")) == [
        board["river"].number,
        board["closed"].number,
        board["recent"].number,
    ]


def test_filters(client, board):
    old = board["old"].reported_at
    window = {
        "start_date": (old - datetime.timedelta(days=1)).isoformat(),
        "end_date": (old + datetime.timedelta(days=1)).isoformat(),
    }
    assert ids(get(client, "requests", "json", **window)) == [board["old"].number]
    # Only a start: the 90 days after it.
    start = (old - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(get(client, "requests", "json", start_date=start)) == [
        board["recent"].number,
        board["old"].number,
    ]
    assert ids(get(client, "requests", "json", status="closed")) == [board["closed"].number]
    assert ids(get(client, "requests", "json", status="open")) == [
        board["river"].number,
        board["recent"].number,
    ]
    assert len(ids(get(client, "requests", "json", status="open,closed"))) == 3
    assert ids(get(client, "requests", "json", service_code="HC01")) == [board["river"].number]
    assert len(ids(get(client, "requests", "json", service_code="HC01,HJ01"))) == 3
    # service_request_id overrides every other filter, the date range included.
    both = f"{board['old'].number},{board['river'].number}"
    found = ids(
        get(
            client,
            "requests",
            "json",
            service_request_id=both,
            service_code="HJ01",
            status="closed",
        )
    )
    assert found == [board["river"].number, board["old"].number]


def test_an_unencoded_plus_in_a_date_still_reads(client, board):
    old = timezone.localtime(board["old"].reported_at)
    start = (old - datetime.timedelta(hours=1)).isoformat(timespec="seconds").replace("+", " ")
    assert board["old"].number in ids(get(client, "requests", "json", start_date=start))


def test_at_most_max_requests_newest_first(client, board, monkeypatch):
    monkeypatch.setattr(views, "MAX_REQUESTS", 2)
    assert ids(get(client, "requests", "json")) == [board["river"].number, board["closed"].number]
    every = ",".join(c.number for c in board.values())
    assert len(ids(get(client, "requests", "json", service_request_id=every))) == 2


def test_the_list_costs_the_same_queries_for_more_cases(
    client, world, cats, private_media, django_assert_max_num_queries
):
    for i in range(6):
        publish_directly(
            reported_case(world, cats.garbage, lat=23.001 + i / 1000), actor=world.admin
        )
    # Two queries a list, whatever its length: the cases with their joins, the community names.
    with django_assert_max_num_queries(4):
        for fmt in FORMATS:
            assert len(get(client, "requests", fmt).content) > 0


def test_posts_are_rate_limited_per_key(client, world, cats, api, settings):
    settings.ZHENXING_OPEN311_POSTS_PER_MINUTE = 2
    _c, key = api
    _o, other = client_create(name="另一个应用", actor=world.admin)
    assert post(client, "json", **a_request(cats, key)).status_code == 200
    # A refused POST counts too: a client hammering with bad requests is slowed as well.
    assert post(client, "json", **a_request(cats, key, lat="x")).status_code == 400
    response = post(client, "xml", **a_request(cats, key))
    errors(response, "xml", 429)
    assert int(response["Retry-After"]) >= 1
    assert Case.objects.count() == 1
    # Another key has its own allowance.
    assert post(client, "json", **a_request(cats, other)).status_code == 200


def test_token_lookups_are_rate_limited(client, world, monkeypatch):
    from zhenxing.public import reporting

    monkeypatch.setattr(reporting, "TRACK_MISSES_PER_HOUR", 2)
    for _ in range(2):
        errors(get(client, "token", "json", "ABCDEFGHJK"), "json", 404)
    errors(get(client, "token", "json", "ABCDEFGHJK"), "json", 429)


def test_a_get_with_a_key_marks_it_used(client, api):
    api_client, key = api
    assert get(client, "requests", "json", api_key=key).status_code == 200
    assert Open311Client.objects.get(pk=api_client.pk).last_used_at is not None


def test_a_published_case_gives_the_boards_rounded_place_and_no_number(
    client, world, cats, private_media
):
    from zhenxing.public.models import Publication

    case = closed_case(world, cats.garbage)
    Case.objects.filter(pk=case.pk).update(lat=23.0051234, lng=113.1051234)
    publication = publish_directly(case, actor=world.admin)
    # A row written around the publishing service, with a number in another form.
    Publication.objects.filter(pk=publication.pk).update(description="联系 +86 139 1234 5678")
    (row,) = json.loads(client.get(f"/open311/v2/requests/{case.number}.json").content)
    assert (row["lat"], row["long"]) == (23.0051, 113.1051)
    assert row["description"] == "联系 ***"
