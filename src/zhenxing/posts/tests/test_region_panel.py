"""The region page's panel: red-grid members and posts, shown only to roster readers."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from zhenxing.posts import services
from zhenxing.posts.models import GridRole
from zhenxing.posts.panels import MAX_LISTED_POSTS, region_panel
from zhenxing.posts.testing import MEMBER_A_MOBILE
from zhenxing.territory import panels as territory_panels
from zhenxing.territory.panels import Panel

DAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


def region_url(code: str) -> str:
    return reverse("territory:region", args=[code])


@pytest.fixture
def grid(world, posts):
    leader = services.grid_assign(
        actor=None, area=world.area_a1, member=posts.member_a, role=GridRole.LEADER, started_on=DAY
    )
    ended = services.grid_assign(
        actor=None, area=world.area_a1, member=posts.member_a2, role="member", started_on=DAY
    )
    services.grid_end(actor=None, assignment=ended, ended_on=datetime.date(2026, 3, 5))
    return leader


def panel_of(response) -> dict:
    found = [p for p in response.context["panels"] if p.template == "posts/_region_panel.html"]
    assert len(found) == 1
    return found[0].context


def test_the_panel_is_registered_once():
    assert territory_panels._PROVIDERS.count(region_panel) == 1


def test_an_area_page_shows_its_grid_members_and_posts(world, posts, grid, client_for):
    response = client_for(world.secretary_a).get(region_url("GC01-01-A"))
    assert response.status_code == 200
    panel = panel_of(response)
    # Today's grid only: the member whose assignment ended is not on it.
    assert [a.member for a in panel["assignments"]] == [posts.member_a]
    assert [p.code for p in panel["posts"]] == ["GC01-WS-001"]
    html = response.content.decode()
    assert 'id="posts-panel"' in html
    assert "Red-grid leader" in html and "陈甲党员" in html and "甲一片区卫生监督岗" in html
    assert "梁甲二" not in html
    # The secretary edits 社区甲's members: the full number; a grid manager: the button.
    assert MEMBER_A_MOBILE in html
    assert f"{reverse('posts:grid_assign')}?area=GC01-01-A" in html


def test_a_read_only_viewer_sees_masked_numbers_and_no_button(world, posts, grid, client_for):
    response = client_for(world.party_member_a).get(region_url("GC01-01-A"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "陈甲党员" in html
    assert MEMBER_A_MOBILE not in html and "139****0011" in html
    assert reverse("posts:grid_assign") not in html


def test_an_area_without_grid_or_posts_says_so(world, posts, client_for):
    response = client_for(world.secretary_a).get(region_url("GC01-01-B"))
    panel = panel_of(response)
    assert panel["assignments"] == [] and panel["posts"] == []
    html = response.content.decode()
    assert "No red-grid member serves this area yet." in html
    assert "No active post lies here." in html


def test_department_staff_see_no_panel(world, posts, grid, client_for):
    response = client_for(world.dept_staff).get(region_url("GC01-01-A"))
    assert response.status_code == 200
    assert response.context["panels"] == []
    html = response.content.decode()
    assert 'id="posts-panel"' not in html and "陈甲党员" not in html


def test_a_community_page_lists_its_posts_with_holders(world, posts, grid, client_for):
    response = client_for(world.secretary_a).get(region_url("GC01"))
    panel = panel_of(response)
    assert [p.code for p in panel["posts"]] == ["GC01-HY-001", "GC01-WS-001"]
    assert panel["posts_count"] == 2
    # Above an area: the grid's coverage, not every member.
    assert (panel["areas_covered"], panel["areas_total"], panel["grid_members"]) == (1, 2, 1)
    html = response.content.decode()
    assert "甲涌保洁岗" in html and "Not claimed" in html
    assert "1 of 2 areas here have red-grid members" in html
    assert "乙一片区卫生监督岗" not in html


def test_a_retired_post_is_not_listed(world, posts, client_for):
    services.post_retire(actor=None, post=posts.post_a2, on=DAY, reason="整治完成")
    panel = panel_of(client_for(world.secretary_a).get(region_url("GC01")))
    assert [p.code for p in panel["posts"]] == ["GC01-WS-001"]


def test_a_community_with_many_posts_shows_counts_per_type(world, posts, client_for):
    for k in range(MAX_LISTED_POSTS):
        services.post_create(
            actor=None, code=f"GC01-X-{k:02d}", name=f"岗{k}", post_type=posts.river, region=world.a
        )
    response = client_for(world.secretary_a).get(region_url("GC01"))
    panel = panel_of(response)
    assert panel["posts"] is None
    assert panel["posts_count"] == MAX_LISTED_POSTS + 2
    counts = {row["post_type__name"]: row["n"] for row in panel["posts_by_type"]}
    assert counts == {posts.sanitation.name: 1, posts.river.name: MAX_LISTED_POSTS + 1}
    html = response.content.decode()
    assert f"{reverse('posts:list')}?status=active&amp;community={world.a.pk}" in html
    assert "岗7" not in html


def test_the_outsider_gets_no_page_and_no_panel(world, posts, grid, client_for):
    assert client_for(world.outsider).get(region_url("GC01-01-A")).status_code == 404
    response = client_for(world.outsider).get(region_url("GC02-01-A"))
    assert panel_of(response)["posts"][0].code == "GC02-WS-001"


def test_a_region_outside_the_roster_gets_no_panel(world, posts, client_for, rf):
    request = rf.get("/")
    request.user = world.secretary_a
    assert region_panel(request, world.root) is None
    assert region_panel(request, world.area_b1) is None
    assert isinstance(region_panel(request, world.area_a1), Panel)


def test_the_registry_orders_and_skips_empty_panels(world, rf):
    def first(request, region):
        return Panel("a.html", {}, 1)

    def nothing(request, region):
        return None

    territory_panels.register(first)
    territory_panels.register(nothing)
    territory_panels.register(first)
    try:
        request = rf.get("/")
        request.user = world.dept_staff
        found = territory_panels.panels_for(request, world.a)
        assert [p.template for p in found] == ["a.html"]
    finally:
        territory_panels.unregister(first)
        territory_panels.unregister(nothing)
    assert first not in territory_panels._PROVIDERS


def test_the_region_page_with_the_panel_keeps_a_query_budget(
    world, posts, grid, client_for, django_assert_max_num_queries
):
    client = client_for(world.secretary_a)
    client.get(region_url("GC01"))
    with django_assert_max_num_queries(18) as small:
        client.get(region_url("GC01"))
    for k in range(8):
        post = services.post_create(
            actor=None, code=f"GC01-Y-{k}", name=f"岗{k}", post_type=posts.river, region=world.a
        )
        services.claim_start(actor=None, post=post, member=posts.member_a2, started_on=DAY)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(region_url("GC01"))
    assert len(panel_of(response)["posts"]) == 10
