"""Territory pages: the browser, the region page, import and export downloads."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.core.navigation import menu_for
from zhenxing.people.models import RoleAssignment
from zhenxing.territory.imports import import_file
from zhenxing.territory.models import PATH_SEP, Region, RegionLevel
from zhenxing.territory.services import region_create
from zhenxing.territory.tests.conftest import square
from zhenxing.territory.tests.test_imports import feature, geojson_bytes

BROWSER = reverse("territory:browser")
IMPORT = reverse("territory:import")
EXPORT = reverse("territory:export")
TEMPLATE = reverse("territory:import_template")


def region_url(code: str) -> str:
    return reverse("territory:region", args=[code])


def map_config(response, name: str) -> dict:
    html = response.content.decode()
    start = html.index(f'id="{name}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


# --- the territory browser ------------------------------------------------------------------


def test_the_browser_shows_the_areas_on_a_map_and_in_a_table(world, client_for):
    response = client_for(world.admin).get(BROWSER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="territory-map"' in html and 'class="zx-map"' in html
    assert "js_lib_leaflet/leaflet.js" in html and "territory/map.js" in html
    page = response.context["page"]
    assert [r.code for r in page.object_list] == ["GC01-01-A", "GC01-01-B", "GC02-01-A"]
    assert response.context["level"] == 4
    config = map_config(response, "territory-map-config")
    assert config["geojsonUrl"] == "/api/v1/regions/geojson?level=4"
    assert config["tileUrl"] == ""  # offline by default: polygons only
    # Every community has a colour, and the legend names them.
    assert set(config["colours"]) == {"GC01", "GC02"}
    assert [e["name"] for e in config["legend"]] == ["社区甲", "社区乙"]
    assert config["regionUrl"].replace(config["codeSlot"], "GC01") == region_url("GC01")


def test_the_browser_level_selector_and_children_counts(world, client_for):
    response = client_for(world.admin).get(BROWSER, {"level": 2})
    assert response.status_code == 200
    rows = {r.code: r.children_count for r in response.context["page"].object_list}
    assert rows == {"GC01": 1, "GC02": 1}
    assert map_config(response, "territory-map-config")["geojsonUrl"].endswith("level=2")
    html = response.content.decode()
    assert '<option value="2" selected>' in html


def test_the_browser_name_search(world, client_for):
    response = client_for(world.admin).get(BROWSER, {"level": 4, "q": "乙"})
    assert [r.code for r in response.context["page"].object_list] == ["GC02-01-A"]


def test_the_browser_is_scoped(world, client_for):
    response = client_for(world.outsider).get(BROWSER)
    assert [r.code for r in response.context["page"].object_list] == ["GC02-01-A"]
    config = map_config(response, "territory-map-config")
    # One community in scope: its areas are told apart by cooperative.
    assert (config["colourBy"], [e["code"] for e in config["legend"]]) == (
        "cooperative",
        ["GC02-01"],
    )
    assert "社区甲" not in response.content.decode()


def test_the_browser_legend_names_the_community_of_a_narrower_scope(world, client_for):
    RoleAssignment.objects.create(user=world.nobody, role="inspector", region=world.coop_a)
    client = client_for(world.nobody)
    config = map_config(client.get(BROWSER, {"level": 2}), "territory-map-config")
    assert (config["colourBy"], [e["code"] for e in config["legend"]]) == ("community", ["GC01"])
    config = map_config(client.get(BROWSER), "territory-map-config")
    assert [e["code"] for e in config["legend"]] == ["GC01-01"]


def test_the_browser_colours_areas_by_community_when_several_are_in_scope(world, client_for):
    config = map_config(client_for(world.admin).get(BROWSER), "territory-map-config")
    assert (config["colourBy"], [e["code"] for e in config["legend"]]) == (
        "community",
        ["GC01", "GC02"],
    )


def test_the_browser_refuses_an_unknown_level(world, client_for):
    assert client_for(world.admin).get(BROWSER, {"level": "nine"}).status_code == 400
    assert client_for(world.admin).get(BROWSER, {"level": 9}).status_code == 400


def test_the_browser_still_works_with_the_level_table_emptied(world, client_for):
    # The level names fall back to the configured defaults, as everywhere else.
    RegionLevel.objects.all().delete()
    response = client_for(world.admin).get(BROWSER)
    assert response.status_code == 200
    assert response.context["level"] == 4
    assert response.context["level_name"] == "片区"
    assert [r.code for r in response.context["page"].object_list] == [
        "GC01-01-A",
        "GC01-01-B",
        "GC02-01-A",
    ]


def test_the_browser_for_a_user_without_a_scope_says_what_to_do(world, client_for):
    response = client_for(world.nobody).get(BROWSER, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'id="territory-map"' not in response.content.decode()
    assert "No part of the territory is assigned to you yet." in response.content.decode()


def test_the_browser_needs_a_login_and_refuses_post(world, client, client_for):
    response = client.get(BROWSER)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client_for(world.admin).post(BROWSER).status_code == 405


def test_the_browser_pages_a_long_list(world, client_for):
    coop = world.coop_a
    Region.objects.bulk_create(
        Region(
            code=f"GC01-01-X{k:03d}",
            name=f"片区{k:03d}",
            parent=coop,
            depth=4,
            path=f"{coop.path}GC01-01-X{k:03d}{PATH_SEP}",
        )
        for k in range(120)
    )
    client = client_for(world.admin)
    first = client.get(BROWSER)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 123
    third = client.get(BROWSER, {"level": 4, "page": 3})
    assert len(third.context["page"].object_list) == 23


def test_the_browser_query_count_does_not_grow_with_the_regions(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.admin)
    client.get(BROWSER)
    with django_assert_max_num_queries(12) as small:
        client.get(BROWSER)
    for k in range(20):
        region_create(
            code=f"GC01-01-Y{k:02d}",
            name=f"新片区{k}",
            parent=world.coop_a,
            geometry=square(113.0 + k * 0.01, 22.9),
            actor=None,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(BROWSER)
    assert response.context["page"].paginator.count == 23


# --- the region page ------------------------------------------------------------------------


def test_the_region_page_shows_the_region_its_children_and_its_people(world, client_for):
    RoleAssignment.objects.filter(user=world.secretary_a).update(title="党委书记")
    response = client_for(world.admin).get(region_url("GC01"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "社区甲" in html and "GC01" in html
    assert response.context["level_name"] == "Community"
    assert "5,000" in html  # population
    assert [c.code for c in response.context["children"]] == ["GC01-01"]
    assert response.context["children"][0].children_count == 2
    # The people holding roles here, with masked mobiles.
    people = {a.user.username: a for a in response.context["people"]}
    assert set(people) == {"sec_a", "insp_a", "pm_a", "lead_a"}
    assert "党委书记" in html
    assert "138****0002" in html
    assert "13800000002" not in html
    assert "Community secretary / cadre" in html


def test_the_region_page_map_holds_the_region_and_its_children(world, client_for):
    response = client_for(world.admin).get(region_url("GC01-01"))
    config = map_config(response, "region-map-config")
    features = config["data"]["features"]
    assert [f["properties"]["code"] for f in features] == ["GC01-01-A", "GC01-01-B"]
    assert 'id="region-map"' in response.content.decode()
    assert {f["properties"]["group"] for f in features} == {"GC01-01-A", "GC01-01-B"}
    area = client_for(world.admin).get(region_url("GC01-01-A"))
    roles = [
        f["properties"]["role"] for f in map_config(area, "region-map-config")["data"]["features"]
    ]
    assert roles == ["self"]


def test_a_region_without_drawn_children_maps_the_areas_under_it(world, client_for):
    # 社区甲's only child, 甲一经济社, has no polygon: its areas are drawn instead,
    # grouped (and so coloured) by that child.
    response = client_for(world.admin).get(region_url("GC01"))
    config = map_config(response, "region-map-config")
    features = config["data"]["features"]
    assert [f["properties"]["code"] for f in features] == ["GC01-01-A", "GC01-01-B"]
    assert {f["properties"]["group"] for f in features} == {"GC01-01"}
    assert config["colourBy"] == "group" and "GC01-01" in config["colours"]
    # The root's areas include 社区乙's, grouped by community.
    root = map_config(client_for(world.admin).get(region_url("GC")), "region-map-config")
    groups = {f["properties"]["code"]: f["properties"]["group"] for f in root["data"]["features"]}
    assert groups == {"GC01-01-A": "GC01", "GC01-01-B": "GC01", "GC02-01-A": "GC02"}


def test_the_region_page_lists_only_the_role_holders_the_viewer_may_see(world, client_for):
    # Department staff read the whole territory, but not the community rosters.
    response = client_for(world.dept_staff).get(region_url("GC01"))
    assert response.status_code == 200
    assert list(response.context["people"]) == []
    html = response.content.decode()
    assert "sec_a" not in html and "138****0002" not in html
    # A holder of a role in the community reads its roster.
    response = client_for(world.inspector_a).get(region_url("GC01"))
    assert {a.user.username for a in response.context["people"]} == {
        "sec_a",
        "insp_a",
        "pm_a",
        "lead_a",
    }


def test_region_breadcrumbs_link_only_to_regions_in_scope(world, client_for):
    response = client_for(world.secretary_a).get(region_url("GC01-01-A"))
    assert response.status_code == 200
    html = response.content.decode()
    steps = [(s["region"].code, s["visible"]) for s in response.context["ancestors"]]
    assert steps == [("GC", False), ("GC01", True), ("GC01-01", True)]
    assert f'href="{region_url("GC01")}"' in html
    assert f'href="{region_url("GC")}"' not in html
    assert "桂城街道" in html  # named, not linked


def test_the_region_page_is_404_outside_the_scope(world, client_for):
    assert client_for(world.outsider).get(region_url("GC01")).status_code == 404
    assert client_for(world.outsider).get(region_url("GC01-01-A")).status_code == 404
    assert client_for(world.secretary_a).get(region_url("GC02")).status_code == 404
    assert client_for(world.admin).get(region_url("NOPE")).status_code == 404


@pytest.mark.parametrize("code", ["%00", "GC01%00", "a%07b", "gc01"])
def test_a_malformed_or_miscased_code_is_404_not_an_error(world, client_for, code):
    client = client_for(world.admin)
    assert client.get(f"/territory/r/{code}/").status_code == 404
    assert client.get(f"{EXPORT}?root={code}").status_code == 404


def test_the_region_page_needs_a_login_and_refuses_post(world, client, client_for):
    response = client.get(region_url("GC01"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client_for(world.admin).post(region_url("GC01")).status_code == 405


def test_the_region_page_query_budget(world, client_for, django_assert_max_num_queries):
    client = client_for(world.admin)
    client.get(region_url("GC01-01"))
    # 12 for the page itself, 3 for the posts panel (the red grid and the posts beneath).
    with django_assert_max_num_queries(15) as small:
        client.get(region_url("GC01-01"))
    for k in range(15):
        region_create(
            code=f"GC01-01-Z{k:02d}",
            name=f"片区{k}",
            parent=world.coop_a,
            geometry=square(113.0 + k * 0.01, 22.8),
            actor=None,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(region_url("GC01-01"))
    assert len(response.context["children"]) == 17


# --- import ---------------------------------------------------------------------------------


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_import_page_is_for_office_admins(world, client, client_for):
    assert client_for(world.admin).get(IMPORT).status_code == 200
    # What a user may not use does not exist for them.
    for user in [world.secretary_a, world.outsider, world.dept_staff, world.nobody]:
        assert client_for(user).get(IMPORT).status_code == 404
        assert client_for(user).post(IMPORT).status_code == 404
    client.logout()
    response = client.get(IMPORT)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(world.admin).put(IMPORT).status_code == 405


def test_a_good_import_writes_and_redirects_with_a_summary(world, client_for):
    data = geojson_bytes(
        feature("GC03-01", "丙一经济社", "GC03"), feature("GC03", "社区丙", "GC", level=2)
    )
    client = client_for(world.admin)
    response = client.post(IMPORT, {"file": upload("new.geojson", data)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == IMPORT
    assert Region.objects.get(code="GC03-01").path == "GC/GC03/GC03-01/"
    assert AuditEntry.objects.get(action="territory.import").actor == world.admin
    page = client.get(IMPORT, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 created, 0 updated, 0 unchanged" in page


def test_a_bad_import_lists_each_row_and_writes_nothing(world, client_for):
    data = geojson_bytes(
        feature("GC03", "社区丙", "GC"),
        feature("GC04", "孤儿", "NOPE"),
        feature("GC05", "", "GC"),
    )
    count = Region.objects.count()
    response = client_for(world.admin).post(IMPORT, {"file": upload("bad.geojson", data)})
    assert response.status_code == 400
    assert [row for row, _m in response.context["errors"]] == [2, 3]
    html = response.content.decode()
    assert 'id="import-errors"' in html and "<td>2</td>" in html and "<td>3</td>" in html
    assert Region.objects.count() == count
    assert not AuditEntry.objects.filter(action="territory.import").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deep.geojson", b"[" * 200_000),
        ("garbage.xlsx", b"\x00\x01 definitely not a workbook"),
        ("notes.txt", b"hello"),
        ("broken.geojson", b"{"),
    ],
)
def test_an_unreadable_upload_is_a_400_and_writes_nothing(world, client_for, name, data):
    count = Region.objects.count()
    response = client_for(world.admin).post(IMPORT, {"file": upload(name, data)})
    assert response.status_code == 400
    assert response.context["file_error"] or response.context["form"].errors
    assert Region.objects.count() == count


def test_an_upload_without_a_file_is_a_400(world, client_for):
    response = client_for(world.admin).post(IMPORT, {})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_an_oversized_upload_is_refused(world, client_for, monkeypatch):
    monkeypatch.setattr("zhenxing.territory.forms.MAX_UPLOAD_BYTES", 10)
    data = geojson_bytes(feature("GC03", "社区丙", "GC"))
    response = client_for(world.admin).post(IMPORT, {"file": upload("big.geojson", data)})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not Region.objects.filter(code="GC03").exists()


def test_the_xlsx_template_download(world, client_for):
    response = client_for(world.admin).get(TEMPLATE)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["编码", "名称", "上级编码"]
    assert client_for(world.secretary_a).get(TEMPLATE).status_code == 404
    assert client_for(world.dept_staff).get(TEMPLATE).status_code == 404


# --- export ---------------------------------------------------------------------------------


def test_the_export_is_the_visible_subtree(world, client_for):
    response = client_for(world.secretary_a).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert "attachment" in response["Content-Disposition"]
    body = json.loads(response.content)
    assert {f["properties"]["code"] for f in body["features"]} == {
        "GC01",
        "GC01-01",
        "GC01-01-A",
        "GC01-01-B",
    }


def test_the_export_of_one_region(world, client_for):
    response = client_for(world.admin).get(EXPORT, {"root": "GC02"})
    codes = [f["properties"]["code"] for f in json.loads(response.content)["features"]]
    assert codes == ["GC02", "GC02-01", "GC02-01-A"]
    assert "territory-GC02.geojson" in response["Content-Disposition"]
    assert client_for(world.secretary_a).get(EXPORT, {"root": "GC02"}).status_code == 404


def test_the_export_needs_a_login_and_refuses_post(world, client, client_for):
    assert client.get(EXPORT).status_code == 302
    assert client_for(world.admin).post(EXPORT).status_code == 405


# --- navigation -----------------------------------------------------------------------------


def _labels(user) -> set[str]:
    return {str(item["url"]) for group in menu_for(user, "/") for item in group["items"]}


def test_navigation_entries(world):
    assert {BROWSER, IMPORT} <= _labels(world.admin)
    assert BROWSER in _labels(world.secretary_a)
    assert IMPORT not in _labels(world.secretary_a)
    assert BROWSER not in _labels(world.nobody)
    assert IMPORT not in _labels(world.nobody)


def test_the_excel_export_lists_the_visible_regions_of_a_level_and_reimports(world, client_for):
    response = client_for(world.secretary_a).get(reverse("territory:export_xlsx"), {"level": 4})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编码", "名称", "上级编码")
    # Only 社区甲's two areas: 社区乙's area is outside the secretary's scope.
    assert [row[0] for row in rows[1:]] == ["GC01-01-A", "GC01-01-B"]
    assert rows[1][2:4] == ("GC01-01", 4)
    # The file is in the import's own columns: importing it back changes nothing.
    result = import_file("regions.xlsx", response.content, actor=world.admin)
    assert (result.ok, result.created, result.updated) == (True, 0, 0)


def test_the_excel_export_refuses_a_level_that_does_not_exist(world, client_for, client):
    response = client_for(world.admin).get(reverse("territory:export_xlsx"), {"level": 99})
    assert response.status_code == 400
    client.logout()
    assert client.get(reverse("territory:export_xlsx")).status_code == 302
    assert client_for(world.admin).post(reverse("territory:export_xlsx")).status_code == 405
