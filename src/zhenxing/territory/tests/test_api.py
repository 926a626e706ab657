"""/api/v1/regions: lists, detail, point lookup and map GeoJSON, all scoped."""

from __future__ import annotations

import pytest

from zhenxing.territory.services import region_create
from zhenxing.territory.tests.conftest import square

URL = "/api/v1/regions"


def codes(response) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


def test_the_list_counts_and_pages(world, client_for):
    client = client_for(world.admin)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 8
    assert codes(response)[:2] == ["GC", "GC01"]  # in tree order
    page = client.get(URL, {"limit": 3, "offset": 3}).json()
    assert page["count"] == 8
    assert [i["code"] for i in page["items"]] == codes(response)[3:6]
    assert client.get(URL, {"offset": 8}).json() == {"count": 8, "items": []}


def test_list_items_carry_the_documented_fields(world, client_for):
    item = client_for(world.admin).get(URL, {"q": "甲一片区"}).json()["items"][0]
    assert item == {
        "code": "GC01-01-A",
        "name": "甲一片区",
        "level": 4,
        "level_name": "片区",
        "parent_code": "GC01-01",
        "path": "GC/GC01/GC01-01/GC01-01-A/",
        "centroid_lat": pytest.approx(23.005),
        "centroid_lng": pytest.approx(113.105),
        "population": None,
        "households": None,
    }


def test_list_filters(world, client_for):
    client = client_for(world.admin)
    assert codes(client.get(URL, {"level": 4})) == ["GC01-01-A", "GC01-01-B", "GC02-01-A"]
    assert codes(client.get(URL, {"parent": "GC01-01"})) == ["GC01-01-A", "GC01-01-B"]
    assert codes(client.get(URL, {"q": "社区"})) == ["GC01", "GC02"]
    assert codes(client.get(URL, {"level": 2, "q": "乙"})) == ["GC02"]
    assert client.get(URL, {"parent": "NOPE"}).json()["count"] == 0


@pytest.mark.parametrize(
    "params",
    [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"level": "four"}, {"level": 0}],
)
def test_bad_list_parameters_are_refused(world, client_for, params):
    response = client_for(world.admin).get(URL, params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_a_secretary_sees_only_their_community(world, client_for):
    client = client_for(world.secretary_a)
    assert codes(client.get(URL)) == ["GC01", "GC01-01", "GC01-01-A", "GC01-01-B"]
    assert client.get(URL, {"parent": "GC02-01"}).json()["count"] == 0
    assert client.get(f"{URL}/GC01-01-A").status_code == 200
    assert client.get(f"{URL}/GC02").status_code == 404
    assert client.get(f"{URL}/GC02-01-A").status_code == 404
    assert client.get(f"{URL}/GC").status_code == 404  # the root is above their scope


def test_a_user_without_a_scope_sees_nothing(world, client_for):
    client = client_for(world.nobody)
    assert client.get(URL).json() == {"count": 0, "items": []}
    assert client.get(f"{URL}/GC01").status_code == 404


def test_detail_includes_geometry_and_children_count(world, client_for):
    client = client_for(world.admin)
    body = client.get(f"{URL}/GC01-01").json()
    assert body["children_count"] == 2
    assert body["geometry"] is None
    area = client.get(f"{URL}/GC01-01-A").json()
    assert area["geometry"] == square(113.10, 23.00)
    assert area["children_count"] == 0
    assert client.get(f"{URL}/NOPE").status_code == 404


@pytest.mark.parametrize(
    "url",
    [URL, f"{URL}/GC01", f"{URL}/lookup?lat=23.005&lng=113.105", f"{URL}/geojson"],
)
def test_anonymous_callers_get_401(world, client, url):
    assert client.get(url).status_code == 401


def test_wrong_method_is_refused(world, client_for):
    assert client_for(world.admin).post(URL).status_code == 405


def test_lookup_finds_the_area_in_scope(world, client_for):
    client = client_for(world.secretary_a)
    response = client.get(f"{URL}/lookup", {"lat": 23.005, "lng": 113.115})
    assert response.status_code == 200
    assert response.json()["code"] == "GC01-01-B"
    # 乙一片区 exists at this point, but outside the secretary's scope.
    assert client.get(f"{URL}/lookup", {"lat": 23.005, "lng": 113.125}).status_code == 404
    assert client.get(f"{URL}/lookup", {"lat": 40.0, "lng": 100.0}).status_code == 404


@pytest.mark.parametrize(
    "params", [{"lat": 91, "lng": 113}, {"lat": "north", "lng": 113}, {"lat": 23.0}]
)
def test_lookup_refuses_bad_coordinates(world, client_for, params):
    assert client_for(world.admin).get(f"{URL}/lookup", params).status_code == 422


def test_geojson_defaults_to_the_areas_in_scope(world, client_for):
    body = client_for(world.secretary_a).get(f"{URL}/geojson").json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == ["GC01-01-A", "GC01-01-B"]
    props = body["features"][0]["properties"]
    assert props == {
        "code": "GC01-01-A",
        "name": "甲一片区",
        "level": 4,
        "parent_code": "GC01-01",
        "population": None,
        "community": "GC01",
        "cooperative": "GC01-01",
    }
    assert body["features"][0]["geometry"] == square(113.10, 23.00)


def test_geojson_by_root_and_level(world, client_for):
    client = client_for(world.admin)
    region_create(
        code="GC03", name="社区丙", parent=world.root, geometry=square(113.2, 23.0), actor=None
    )
    body = client.get(f"{URL}/geojson", {"level": 2}).json()
    # Communities without a polygon are left out of a map layer.
    assert [f["properties"]["code"] for f in body["features"]] == ["GC03"]
    body = client.get(f"{URL}/geojson", {"root": "GC02"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["GC02-01-A"]
    assert client.get(f"{URL}/geojson", {"root": "NOPE"}).status_code == 404
    outsider = client_for(world.outsider)
    assert outsider.get(f"{URL}/geojson", {"root": "GC01"}).status_code == 404


def test_geojson_reads_the_features_in_one_query(world, client_for, django_assert_num_queries):
    client = client_for(world.admin)
    client.get(f"{URL}/geojson", {"level": 4})  # warm the session
    # session, user, the user's roles, then the features themselves.
    with django_assert_num_queries(4):
        assert len(client.get(f"{URL}/geojson", {"level": 4}).json()["features"]) == 3


def test_the_endpoints_are_in_the_openapi_schema(world, client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/regions/lookup",
        "/api/v1/regions/geojson",
    ]:
        assert "get" in paths[path], path
    listing = paths["/api/v1/regions"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert params == {"level", "parent", "q", "limit", "offset"}
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/RegionPage")
    components = schema["components"]["schemas"]
    assert {"RegionOut", "RegionPage", "RegionDetail", "FeatureCollection"} <= set(components)
    assert "404" in paths["/api/v1/regions/{code}"]["get"]["responses"]


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=a%07b",
        "parent=%00",
        "parent=GC%00",
        "parent=a%20b",
    ],
)
def test_nul_and_control_characters_in_list_parameters_are_refused(world, client_for, query):
    # PostgreSQL refuses NUL in text with an error: it never reaches the database.
    response = client_for(world.admin).get(f"{URL}?{query}")
    assert response.status_code == 422


@pytest.mark.parametrize("root", ["%00", "GC%00", "a%07b"])
def test_a_malformed_geojson_root_is_refused(world, client_for, root):
    response = client_for(world.admin).get(f"{URL}/geojson?root={root}")
    assert response.status_code in (404, 422)


@pytest.mark.parametrize("code", ["%00", "GC01%00", "a%07b", "gc01"])
def test_a_malformed_or_miscased_code_is_404(world, client_for, code):
    assert client_for(world.admin).get(f"{URL}/{code}").status_code == 404
