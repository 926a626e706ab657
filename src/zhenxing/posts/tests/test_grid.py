"""The red-grid pages: the list, assigning and ending, from every side."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import PartyMember
from zhenxing.posts import services
from zhenxing.posts.models import GridAssignment, GridRole
from zhenxing.posts.testing import MEMBER_A2_MOBILE
from zhenxing.territory.services import region_create

GRID = reverse("posts:grid")
ASSIGN = reverse("posts:grid_assign")
DAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def english_messages():
    """Messages asserted here are the English msgids, whatever the catalogue holds."""
    from django.utils import translation

    with translation.override("en"):
        yield


def end_url(assignment: GridAssignment) -> str:
    return reverse("posts:grid_end", args=[assignment.pk])


def assign(world, posts, **kwargs) -> GridAssignment:
    values = {
        "actor": None,
        "area": world.area_a1,
        "member": posts.member_a,
        "role": GridRole.LEADER,
        "started_on": DAY,
    }
    values.update(kwargs)
    return services.grid_assign(**values)


def post_assign(client, area, member, role="member", started_on="2026-03-02"):
    return client.post(
        ASSIGN,
        {"area": area.code, "member": member.pk, "role": role, "started_on": started_on},
    )


# --- the list ---------------------------------------------------------------------------


def test_the_list_shows_each_area_with_its_grid_and_posts(world, posts, client_for):
    assign(world, posts)
    assign(world, posts, member=posts.member_a2, role=GridRole.MEMBER)
    response = client_for(world.secretary_a).get(GRID)
    assert response.status_code == 200
    entries = {e["area"].code: e for e in response.context["entries"]}
    # 社区甲's two areas, not 社区乙's.
    assert set(entries) == {"GC01-01-A", "GC01-01-B"}
    a1 = entries["GC01-01-A"]
    assert [a.member.name for a in a1["assignments"]] == ["陈甲党员", "梁甲二"]
    assert a1["assignments"][0].role == GridRole.LEADER
    assert a1["posts"] == 1 and entries["GC01-01-B"]["posts"] == 0
    assert a1["can_manage"]
    assert response.context["areas_total"] == 2
    assert response.context["areas_covered"] == 1
    assert response.context["members_on_grid"] == 2
    html = response.content.decode()
    assert "陈甲党员" in html and "甲党支部" in html
    # The secretary may edit 社区甲's members: full numbers.
    assert MEMBER_A2_MOBILE in html
    assert "黄乙党员" not in html
    assert f'href="{end_url(a1["assignments"][0])}"' in html


def test_read_only_viewers_see_masked_mobiles_and_no_buttons(world, posts, client_for):
    assign(world, posts, member=posts.member_a2)
    for viewer in (world.party_member_a, world.inspector_a):
        response = client_for(viewer).get(GRID)
        assert response.status_code == 200
        html = response.content.decode()
        assert "梁甲二" in html
        assert MEMBER_A2_MOBILE not in html
        assert "139****0012" in html
        assert ASSIGN not in html
        assert "/end/" not in html


def test_the_list_filters_by_community_and_uncovered_areas(world, posts, client_for):
    assign(world, posts)
    services.grid_assign(
        actor=None, area=world.area_b1, member=posts.member_b, role="member", started_on=DAY
    )
    client = client_for(world.admin)
    codes = {e["area"].code for e in client.get(GRID).context["entries"]}
    assert codes == {"GC01-01-A", "GC01-01-B", "GC02-01-A"}
    response = client.get(GRID, {"community": world.a.pk})
    assert {e["area"].code for e in response.context["entries"]} == {"GC01-01-A", "GC01-01-B"}
    assert response.context["areas_total"] == 2
    response = client.get(GRID, {"uncovered": "on"})
    assert [e["area"].code for e in response.context["entries"]] == ["GC01-01-B"]
    # The counts stay those of the whole selection, not of the uncovered ones.
    assert response.context["areas_covered"] == 2
    assert response.context["areas_total"] == 3


def test_the_history_toggle_shows_ended_assignments(world, posts, client_for):
    old = assign(world, posts)
    services.grid_end(actor=None, assignment=old, ended_on=datetime.date(2026, 3, 10))
    client = client_for(world.secretary_a)
    entry = client.get(GRID).context["entries"][0]
    assert entry["area"] == world.area_a1 and entry["assignments"] == []
    entry = client.get(GRID, {"history": "on"}).context["entries"][0]
    assert [a.pk for a in entry["assignments"]] == [old.pk]
    assert "2026" in client.get(GRID, {"history": "on"}).content.decode()


def test_the_list_is_404_for_those_who_read_no_rosters(world, posts, client, client_for):
    for user in (world.dept_staff, world.nobody):
        assert client_for(user).get(GRID).status_code == 404
    client.logout()
    response = client.get(GRID)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(world.secretary_a).post(GRID).status_code == 405


def test_the_outsider_sees_only_their_own_community(world, posts, client_for):
    assign(world, posts)
    response = client_for(world.outsider).get(GRID)
    assert {e["area"].code for e in response.context["entries"]} == {"GC02-01-A"}
    assert "陈甲党员" not in response.content.decode()


def test_the_list_query_count_does_not_grow_with_areas(
    world, posts, client_for, django_assert_max_num_queries
):
    assign(world, posts)
    client = client_for(world.admin)
    client.get(GRID)
    with django_assert_max_num_queries(16) as small:
        client.get(GRID)
    members = [
        PartyMember.objects.create(
            name=f"党员{k}", organization=posts.org_a, region=world.a, mobile=f"1390000{k:04d}"
        )
        for k in range(6)
    ]
    for k in range(6):
        area = region_create(
            code=f"GC01-01-Z{k}", name=f"片区Z{k}", parent=world.coop_a, actor=None
        )
        services.grid_assign(
            actor=None, area=area, member=members[k], role="leader", started_on=DAY
        )
        services.post_create(
            actor=None, code=f"Z-{k}", name=f"岗{k}", post_type=posts.sanitation, region=area
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(GRID)
    assert len(response.context["entries"]) == 9


# --- assigning ----------------------------------------------------------------------------


def test_assigning_through_the_form(world, posts, client_for):
    client = client_for(world.secretary_a)
    response = client.get(ASSIGN, {"area": world.area_a1.code})
    assert response.status_code == 200
    members = list(response.context["form"].fields["member"].queryset)
    assert set(members) == {posts.member_a, posts.member_a2}
    response = post_assign(client, world.area_a1, posts.member_a2, role="leader")
    assert response.status_code == 302
    assignment = GridAssignment.objects.get(area=world.area_a1)
    assert assignment.member == posts.member_a2
    assert assignment.role == GridRole.LEADER
    assert assignment.started_on == datetime.date(2026, 3, 2)
    assert assignment.created_by == world.secretary_a
    assert AuditEntry.objects.filter(action="posts.grid.assign").count() == 1


def test_the_assign_page_without_an_area_asks_for_the_area_first(world, posts, client_for):
    response = client_for(world.secretary_a).get(ASSIGN)
    assert response.status_code == 200
    areas = list(response.context["form"].fields["area"].queryset)
    assert areas == [world.area_a1, world.area_a2]
    assert 'method="get"' in response.content.decode()


def test_a_second_leader_is_refused_and_the_values_kept(world, posts, client_for):
    assign(world, posts)
    response = post_assign(
        client_for(world.secretary_a), world.area_a1, posts.member_a2, role="leader"
    )
    assert response.status_code == 400
    assert "already has a red-grid leader" in response.content.decode()
    form = response.context["form"]
    assert form.data["role"] == "leader" and form.data["started_on"] == "2026-03-02"
    assert GridAssignment.objects.filter(area=world.area_a1).count() == 1


def test_a_member_of_another_community_is_refused(world, posts, client_for):
    response = post_assign(client_for(world.admin), world.area_a1, posts.member_b)
    assert response.status_code == 400
    assert "belongs to 社区乙" in response.content.decode()
    # The secretary of 社区甲 cannot even name 社区乙's member.
    response = post_assign(client_for(world.secretary_a), world.area_a1, posts.member_b)
    assert response.status_code == 400
    assert not GridAssignment.objects.exists()


def test_a_region_that_is_no_area_is_refused(world, posts, client_for):
    client = client_for(world.admin)
    for region in (world.coop_a, world.a):
        response = post_assign(client, region, posts.member_a)
        assert response.status_code == 400
        assert response.context["form"].errors["area"]
    with pytest.raises(services.PostError):
        services.grid_assign(actor=world.admin, area=world.coop_a, member=posts.member_a)
    assert not GridAssignment.objects.exists()


def test_bad_input_is_a_400(world, posts, client_for):
    client = client_for(world.secretary_a)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = post_assign(client, world.area_a1, posts.member_a, started_on=future)
    assert response.status_code == 400
    assert "cannot start in the future" in response.content.decode()
    response = post_assign(client, world.area_a1, posts.member_a, started_on="not a day")
    assert response.status_code == 400
    assert response.context["form"].errors["started_on"]
    response = post_assign(client, world.area_a1, posts.member_a, role="boss")
    assert response.status_code == 400
    assert not GridAssignment.objects.exists()


def test_assigning_from_the_wrong_side(world, posts, client, client_for):
    for viewer in (world.party_member_a, world.inspector_a):
        c = client_for(viewer)
        assert post_assign(c, world.area_a1, posts.member_a).status_code == 403
        assert c.get(ASSIGN, {"area": world.area_a1.code}).status_code == 403
    outsider = client_for(world.outsider)
    assert outsider.get(ASSIGN, {"area": world.area_a1.code}).status_code == 404
    # Posting 社区甲's area from 社区乙: not among the outsider's areas.
    assert post_assign(outsider, world.area_a1, posts.member_a).status_code == 400
    assert client_for(world.dept_staff).get(ASSIGN).status_code == 404
    client.logout()
    response = post_assign(client, world.area_a1, posts.member_a)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(world.secretary_a).put(ASSIGN).status_code == 405
    assert not GridAssignment.objects.exists()


# --- ending ----------------------------------------------------------------------------------


def test_ending_keeps_the_history(world, posts, client_for):
    old = assign(world, posts)
    client = client_for(world.secretary_a)
    response = client.get(end_url(old))
    assert response.status_code == 200 and "陈甲党员" in response.content.decode()
    response = client.post(end_url(old), {"ended_on": "2026-03-20"})
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.ended_on == datetime.date(2026, 3, 20)
    # A new leader may follow; both rows stay, the grid's history.
    response = post_assign(client, world.area_a1, posts.member_a2, "leader", "2026-03-21")
    assert response.status_code == 302
    rows = GridAssignment.objects.filter(area=world.area_a1).order_by("started_on")
    assert [(r.member, r.ended_on) for r in rows] == [
        (posts.member_a, datetime.date(2026, 3, 20)),
        (posts.member_a2, None),
    ]
    assert AuditEntry.objects.filter(action="posts.grid.end").count() == 1


def test_ending_with_bad_dates_is_a_400(world, posts, client_for):
    old = assign(world, posts)
    client = client_for(world.secretary_a)
    response = client.post(end_url(old), {"ended_on": "2026-02-01"})
    assert response.status_code == 400
    assert "before it started" in response.content.decode()
    assert client.post(end_url(old), {"ended_on": ""}).status_code == 400
    old.refresh_from_db()
    assert old.ended_on is None
    services.grid_end(actor=None, assignment=old, ended_on=DAY)
    response = client.post(end_url(old), {"ended_on": "2026-03-05"})
    assert response.status_code == 400
    assert "already ended" in response.content.decode()


def test_ending_from_the_wrong_side(world, posts, client, client_for):
    old = assign(world, posts)
    for viewer in (world.party_member_a, world.inspector_a):
        c = client_for(viewer)
        assert c.post(end_url(old), {"ended_on": "2026-03-20"}).status_code == 403
    for user in (world.outsider, world.dept_staff, world.nobody):
        c = client_for(user)
        assert c.get(end_url(old)).status_code == 404
        assert c.post(end_url(old), {"ended_on": "2026-03-20"}).status_code == 404
    assert client_for(world.secretary_a).delete(end_url(old)).status_code == 405
    assert (
        client_for(world.secretary_a).get(reverse("posts:grid_end", args=[99999])).status_code
        == 404
    )
    client.logout()
    response = client.post(end_url(old), {"ended_on": "2026-03-20"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    old.refresh_from_db()
    assert old.ended_on is None
