"""GeoReport v2 conformance: every endpoint's fields in both formats, and every error's format."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from zhenxing.open311.services import client_create, client_revoke
from zhenxing.public.testing import closed_case, publish_directly

from .support import (
    DEFINITION_FIELDS,
    DISCOVERY_FIELDS,
    ENDPOINT_FIELDS,
    FORMATS,
    POST_FIELDS,
    REQUEST_FIELDS,
    SERVICE_FIELDS,
    TOKEN_FIELDS,
    a_request,
    errors,
    get,
    parse,
    post,
    url,
)


@pytest.fixture
def key(world):
    return client_create(name="街坊通", actor=world.admin)[1]


@pytest.fixture
def published(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    publish_directly(case, actor=world.admin)
    return case


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_this_endpoint(client, world, fmt):
    response = get(client, "discovery", fmt)
    assert response.status_code == 200
    body = parse(response, fmt, root="discovery", item=None)
    assert set(body) == DISCOVERY_FIELDS
    (endpoint,) = body["endpoints"]
    assert set(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_contact_is_the_configured_one(client, world, settings, fmt):
    settings.ZHENXING_PUBLIC_CONTACT = " 0757-86230000 "
    body = parse(get(client, "discovery", fmt), fmt, root="discovery", item=None)
    assert body["contact"] == "0757-86230000"


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_contact_without_a_setting_names_the_board(client, world, settings, fmt):
    settings.ZHENXING_PUBLIC_CONTACT = ""
    settings.ZHENXING_PUBLIC_TITLE = "桂城街道乡村振兴曝光台"
    response = get(client, "discovery", fmt, headers={"accept-language": "en"})
    contact = parse(response, fmt, root="discovery", item=None)["contact"]
    # The board's name leads, whole; no sentence is wrapped around it.
    assert contact == "桂城街道乡村振兴曝光台, run by the rural revitalisation office"


def test_discovery_contact_in_chinese_has_no_stray_space(client, world, settings):
    settings.ZHENXING_PUBLIC_CONTACT = ""
    settings.ZHENXING_PUBLIC_TITLE = "桂城街道乡村振兴曝光台"
    response = get(client, "discovery", "json", headers={"accept-language": "zh-hans"})
    contact = parse(response, "json", root="discovery", item=None)["contact"]
    assert contact.startswith("桂城街道乡村振兴曝光台")
    assert " 桂城" not in contact and not contact.endswith(" .")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_reportable_categories(client, cats, fmt):
    response = get(client, "services", fmt)
    assert response.status_code == 200
    body = parse(response, fmt, root="services", item="service")
    # Main categories group services; they are not services themselves.
    # In the order of the main categories (here by code: 河涌 HC, 环境卫生 HJ).
    assert [s["service_code"] for s in body] == ["HC01", "HJ01"]
    for service in body:
        assert set(service) == SERVICE_FIELDS
    garbage = body[1]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == garbage["keywords"] == "环境卫生"
    assert garbage["type"] == "realtime"
    assert garbage["metadata"] in (False, "false")


def test_service_names_and_descriptions_follow_the_language(client, cats):
    english = json.loads(get(client, "services", "json", headers={"accept-language": "en"}).content)
    assert "working days" in english[1]["description"]
    default = json.loads(get(client, "services", "json").content)
    assert "working days" not in default[1]["description"]


def test_a_retired_category_is_no_service(client, cats):
    cats.floating.is_active = False
    cats.floating.save()
    body = json.loads(get(client, "services", "json").content)
    assert [s["service_code"] for s in body] == ["HJ01"]
    errors(get(client, "service", "json", "HC01"), "json", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, cats, fmt):
    response = get(client, "service", fmt, "HJ01")
    assert response.status_code == 200
    body = parse(response, fmt, root="service_definition", item=None)
    assert set(body) == DEFINITION_FIELDS
    assert body["service_code"] == "HJ01" and body["attributes"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_fields(client, cats, key, fmt):
    response = post(client, fmt, **a_request(cats, key))
    assert response.status_code == 200, response.content
    (body,) = parse(response, fmt, root="service_requests", item="request")
    assert set(body) == POST_FIELDS
    assert body["service_request_id"] and body["token"]
    assert body["token"] in body["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_lookup_fields(client, cats, key, fmt):
    created = json.loads(post(client, "json", **a_request(cats, key)).content)[0]
    response = get(client, "token", fmt, created["token"])
    assert response.status_code == 200
    (body,) = parse(response, fmt, root="service_requests", item="request")
    assert set(body) == TOKEN_FIELDS
    assert body == {"service_request_id": created["service_request_id"], "token": created["token"]}
    # As typed by hand: lower case is the same code.
    assert get(client, "token", fmt, created["token"].lower()).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_list_and_detail_fields(client, published, fmt):
    listing = get(client, "requests", fmt)
    assert listing.status_code == 200
    (row,) = parse(listing, fmt, root="service_requests", item="request")
    assert set(row) == REQUEST_FIELDS
    detail = get(client, "request", fmt, published.number)
    assert detail.status_code == 200
    # The specification answers one request as a list of one, too.
    assert parse(detail, fmt, root="service_requests", item="request") == [row]
    assert row["service_request_id"] == published.number
    assert row["status"] == "closed"
    assert row["service_code"] == "HJ01" and row["service_name"] == "暴露垃圾"
    assert row["description"] == "路口暴露垃圾，已清理。"
    assert row["address"] == published.publication.place
    assert row["agency_responsible"] == "社区甲"
    assert float(row["lat"]) == published.lat and float(row["long"]) == published.lng
    photo = published.publication.before_photo
    assert row["media_url"] == f"http://testserver/public/photos/{photo.token}/display"
    local = timezone.localtime(published.reported_at).isoformat(timespec="seconds")
    assert row["requested_datetime"] == local and local.endswith("+08:00")
    assert row["expected_datetime"]  # the deadline it was dispatched with


def test_empty_values_are_null_in_json_and_empty_in_xml(client, published):
    (row,) = json.loads(get(client, "requests", "json").content)
    assert row["address_id"] is None and row["zipcode"] is None and row["service_notice"] is None
    assert isinstance(row["lat"], float)
    (xml_row,) = parse(
        get(client, "requests", "xml"), "xml", root="service_requests", item="request"
    )
    assert xml_row["address_id"] is None and xml_row["zipcode"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_list_is_an_empty_list(client, world, fmt):
    response = get(client, "requests", fmt)
    assert response.status_code == 200
    assert parse(response, fmt, root="service_requests", item="request") == []


# --- errors ----------------------------------------------------------------------------------


def _bad(cats, key, **changes):
    body = a_request(cats, key)
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    return body


ERROR_CASES = {
    # (method, endpoint, args, params-maker(cats, key), status)
    "other jurisdiction": ("get", "services", [], lambda c, k: {"jurisdiction_id": "x.y"}, 404),
    "other jurisdiction on POST": (
        "post",
        "requests",
        [],
        lambda c, k: _bad(c, k, jurisdiction_id="beijing"),
        404,
    ),
    "unknown service": ("get", "service", ["NOPE"], lambda c, k: {}, 404),
    "unknown request": ("get", "request", ["20990101000001"], lambda c, k: {}, 404),
    "huge request id": ("get", "request", ["9" * 500], lambda c, k: {}, 404),
    "unknown token": ("get", "token", ["ABCDEFGHJK"], lambda c, k: {}, 404),
    "no api_key": ("post", "requests", [], lambda c, k: _bad(c, k, api_key=None), 403),
    "wrong api_key": ("post", "requests", [], lambda c, k: _bad(c, k, api_key="guess"), 403),
    "wrong api_key on GET": ("get", "requests", [], lambda c, k: {"api_key": "guess"}, 403),
    "no service_code": ("post", "requests", [], lambda c, k: _bad(c, k, service_code=None), 400),
    "unknown service_code": (
        "post",
        "requests",
        [],
        lambda c, k: _bad(c, k, service_code="ZZ99"),
        400,
    ),
    "main category": ("post", "requests", [], lambda c, k: _bad(c, k, service_code="HJ"), 400),
    "address only": (
        "post",
        "requests",
        [],
        lambda c, k: _bad(c, k, lat=None, long=None),
        400,
    ),
    "bad lat": ("post", "requests", [], lambda c, k: _bad(c, k, lat="north"), 400),
    "lat out of range": ("post", "requests", [], lambda c, k: _bad(c, k, lat="123"), 400),
    "infinite long": ("post", "requests", [], lambda c, k: _bad(c, k, long="1e999"), 400),
    "outside the territory": (
        "post",
        "requests",
        [],
        lambda c, k: _bad(c, k, lat="39.9", long="116.4"),
        400,
    ),
    "no description": ("post", "requests", [], lambda c, k: _bad(c, k, description=" "), 400),
    "long description": (
        "post",
        "requests",
        [],
        lambda c, k: _bad(c, k, description="长" * 2001),
        400,
    ),
    "bad phone": ("post", "requests", [], lambda c, k: _bad(c, k, phone="12345"), 400),
    "bad start_date": ("get", "requests", [], lambda c, k: {"start_date": "yesterday"}, 400),
    "impossible date": ("get", "requests", [], lambda c, k: {"end_date": "2026-02-30"}, 400),
    "span over 90 days": (
        "get",
        "requests",
        [],
        lambda c, k: {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        400,
    ),
    "end before start": (
        "get",
        "requests",
        [],
        lambda c, k: {"start_date": "2026-06-01", "end_date": "2026-05-01"},
        400,
    ),
    "bad status": ("get", "requests", [], lambda c, k: {"status": "open,pending"}, 400),
    "POST to services": ("post", "services", [], lambda c, k: {}, 405),
    "PUT to requests": ("put", "requests", [], lambda c, k: {}, 405),
    "DELETE a request": ("delete", "request", ["1"], lambda c, k: {}, 405),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_error_format(client, cats, key, fmt, case):
    from zhenxing.cases.models import Case

    method, name, args, params, status = ERROR_CASES[case]
    response = getattr(client, method)(url(name, fmt, *args), params(cats, key))
    errors(response, fmt, status)
    if status == 405:
        assert "GET" in response["Allow"]
    # A refused request files nothing.
    assert not Case.objects.exists()


def test_a_revoked_key_is_refused(client, world, cats):
    api_client, raw = client_create(name="旧应用", actor=world.admin)
    assert post(client, "json", **a_request(cats, raw)).status_code == 200
    client_revoke(client=api_client, actor=world.admin)
    for fmt in FORMATS:
        description = errors(post(client, fmt, **a_request(cats, raw)), fmt, 403)
        assert "revoked" in description or "吊销" in description or "api_key" in description


def test_errors_are_in_the_requested_language(client, cats, key):
    response = client.post(
        url("requests", "json"),
        _bad(cats, key, lat=None, long=None),
        headers={"accept-language": "en"},
    )
    assert "lat and long are required" in errors(response, "json", 400)


def test_the_jurisdiction_may_be_named(client, cats, key, settings):
    ours = settings.ZHENXING_OPEN311_JURISDICTION
    assert get(client, "services", "json", jurisdiction_id=ours).status_code == 200
    assert post(client, "xml", **a_request(cats, key, jurisdiction_id=ours)).status_code == 200


def test_unknown_parameters_are_ignored(client, cats, key):
    assert get(client, "services", "json", foo="bar", page="2").status_code == 200
    assert post(client, "json", **a_request(cats, key, attribute_x="1", foo="b")).status_code == 200


def test_a_malformed_body_is_a_400_in_format(client, cats, key):
    response = client.generic(
        "POST",
        url("requests", "xml"),
        b"--x\r\nbroken",
        content_type="multipart/form-data; boundary=x",
    )
    # Either unreadable (400) or read as empty (no api_key, 403): never a 500, always our format.
    assert response.status_code in (400, 403)
    errors(response, "xml", response.status_code)


GARBAGE = [
    "",
    " ",
    "\x00",
    "1\x00",
    "ä½ å¥½",
    "你好,世界",
    "'; drop table cases_case; --",
    "<xml>&amp;",
    "9" * 5000,
    "-1",
    "1e309",
    "nan",
    "2026-13-45T99:99:99Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "😀",
    ",,,,",
]


@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_never_makes_a_500(client, cats, published, key, value):
    gets = [
        ("discovery", []),
        ("services", []),
        ("service", [value or "x"]),
        ("requests", []),
        ("request", [value or "x"]),
        ("token", [value or "x"]),
    ]
    names = [
        "jurisdiction_id",
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "api_key",
    ]
    for fmt in FORMATS:
        for name, args in gets:
            if any("/" in a for a in args):
                continue
            for param in names:
                response = get(client, name, fmt, *args, **{param: value})
                assert response.status_code < 500, (name, param, value)
                if response.status_code >= 400:
                    errors(response, fmt, response.status_code)
        for field in ["service_code", "lat", "long", "description", "address_string", "phone"]:
            response = post(client, fmt, **{**a_request(cats, key), field: value})
            assert response.status_code < 500, (field, value)
            if response.status_code >= 400:
                errors(response, fmt, response.status_code)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("nothing.json", "application/json"),
        ("services/x/y.xml", "text/xml"),
        ("requests", "application/json"),
    ],
)
def test_an_unknown_endpoint_answers_in_the_error_format(client, path, content_type):
    response = client.get(f"/open311/v2/{path}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith(content_type)
    body = response.content.decode()
    assert "<html" not in body.lower()
    assert "404" in body


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+08:00", "0001-01-01T01:00:00+08:00"),
        ("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
        ("9999-12-31T20:00:00-12:00", "9999-12-31T23:00:00-12:00"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_range_wholly_outside_the_databases_dates_finds_nothing(
    client, published, fmt, start, end
):
    response = client.get(f"/open311/v2/requests.{fmt}", {"start_date": start, "end_date": end})
    assert response.status_code == 200
    assert published.number not in response.content.decode()
