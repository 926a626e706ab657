"""Hostile input at the edges: odd dates, huge offsets, NUL bytes and junk codes are 4xx, never 500.

Each of these was once a 500 (an overflowing date, an offset past SQLite's
integers, a NUL byte that PostgreSQL refuses in a text literal). Run on both
databases: PostgreSQL is where the NUL byte bites.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhenxing.cases.filters import CaseFilterForm
from zhenxing.people.tokens import token_create

from .test_filters import make_case

LIST_PAGES = ["/cases/", "/cases/map/", "/cases/map.geojson", "/cases/export.xlsx"]
API = "/api/v1/cases"


@pytest.fixture
def bearer(world) -> Client:
    _, plain = token_create(user=world.admin, name="edge", actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


@pytest.fixture
def one_case(world, cats):
    return make_case(cats.garbage, world.area_a1)


# --- dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"reported_to": "9999-12-31"},
        {"reported_from": "0001-01-01"},
        {"reported_from": "0001-01-01", "reported_to": "9999-12-31"},
        {"reported_from": "1999-12-31"},
        {"reported_to": "2101-01-01"},
    ],
)
def test_dates_outside_the_supported_range_are_a_form_error(world, one_case, client_for, params):
    form = CaseFilterForm(world.admin, params)
    assert not form.is_valid()
    assert set(params) <= set(form.errors)
    client = client_for(world.admin)
    for url in LIST_PAGES:
        assert client.get(url, {"status": "open", **params}).status_code == 400, url


def test_dates_at_the_ends_of_the_range_are_accepted(world, one_case, client_for, bearer):
    params = {"reported_from": "2000-01-01", "reported_to": "2100-12-31"}
    assert CaseFilterForm(world.admin, params).is_valid()
    assert client_for(world.admin).get("/cases/", params).status_code == 200
    answer = bearer.get(API, params)
    assert answer.status_code == 200 and answer.json()["count"] == 1


@pytest.mark.parametrize("params", [{"reported_to": "9999-12-31"}, {"reported_from": "0001-01-01"}])
def test_the_api_answers_400_for_dates_out_of_range(bearer, one_case, params):
    answer = bearer.get(API, params)
    assert answer.status_code == 400
    assert set(params) <= set(answer.json()["errors"])


# --- limit and offset -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"offset": str(10**9 + 1)},
        {"offset": str(2**63)},
        {"offset": "99999999999999999999999"},
        {"offset": "-1"},
        {"limit": "0"},
        {"limit": "201"},
        {"limit": str(2**63)},
    ],
)
def test_out_of_range_paging_is_422(bearer, one_case, params):
    assert bearer.get(API, params).status_code == 422


def test_the_largest_offset_is_an_empty_page(bearer, one_case):
    answer = bearer.get(API, {"offset": str(10**9), "limit": "200"})
    assert answer.status_code == 200
    assert answer.json()["count"] == 1 and answer.json()["items"] == []


# --- NUL bytes and junk in codes -------------------------------------------------------

JUNK = ["\x00", "HJ01\x00", "a b", "x" * 41, "<script>", "代码"]


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("name", ["category", "area", "assignee_department"])
def test_junk_codes_in_api_filters_are_refused(bearer, one_case, name, junk):
    assert bearer.get(API, {name: junk}).status_code in (400, 422)


@pytest.mark.parametrize("name", ["category", "area", "assignee_department"])
def test_blank_filters_are_no_filter_in_the_api(bearer, one_case, name):
    answer = bearer.get(API, {name: ""})
    assert answer.status_code == 200 and answer.json()["count"] == 1


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("name", ["category", "area", "assignee_department"])
def test_junk_codes_in_page_filters_are_400(world, one_case, client_for, name, junk):
    client = client_for(world.admin)
    for url in LIST_PAGES:
        assert client.get(url, {"status": "open", name: junk}).status_code == 400, url


@pytest.mark.parametrize("junk", JUNK)
def test_junk_category_when_looking_for_duplicates_is_refused(bearer, one_case, junk):
    answer = bearer.get(f"{API}/duplicates", {"category": junk, "lat": 23.0, "lng": 113.1})
    assert answer.status_code in (400, 422)


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("name", ["category", "area"])
def test_junk_codes_when_filing_are_refused(world, cats, private_media, bearer, name, junk):
    from .conftest import upload

    data: dict[str, Any] = {
        "category": "HJ01",
        "description": "路边暴露垃圾",
        "area": "GC01-01-A",
        "photos": [upload()],
    }
    data[name] = junk
    assert bearer.post(API, data).status_code in (400, 422)


@pytest.mark.parametrize("junk", JUNK)
def test_junk_dispatch_target_code_is_refused(world, cats, bearer, junk):
    from zhenxing.cases.models import Status

    case = make_case(cats.garbage, world.area_a1, status=Status.ACCEPTED)
    for kind in ("region", "department"):
        answer = bearer.post(
            f"{API}/{case.number}/dispatch",
            {"version": case.version, "to": {"kind": kind, "code": junk}},
            content_type="application/json",
        )
        assert answer.status_code in (400, 422), (kind, answer.content)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


@pytest.mark.parametrize("number", ["%00", "T%00", "x" * 300])
def test_junk_case_numbers_are_404(world, one_case, client_for, bearer, number):
    assert client_for(world.admin).get(f"/cases/c/{number}/").status_code == 404
    assert bearer.get(f"{API}/{number}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cases/photos/%00/thumb",
        "/cases/photos/abc%00/display",
        "/cases/photos/abc-def/thumb",
        "/cases/photos/" + "a" * 33 + "/thumb",
        "/cases/photos/abc/%00",
    ],
)
def test_junk_photo_tokens_are_404(world, client_for, path):
    assert client_for(world.admin).get(path).status_code == 404


@pytest.mark.parametrize("name", ["q", "status", "source", "overdue"])
def test_a_nul_byte_in_any_other_filter_is_a_400(world, one_case, client_for, bearer, name):
    client = client_for(world.admin)
    for url in LIST_PAGES:
        assert client.get(url, {name: "a\x00b"}).status_code == 400, url
    assert bearer.get(API, {name: "a\x00b"}).status_code in (400, 422)
