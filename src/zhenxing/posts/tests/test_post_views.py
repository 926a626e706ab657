"""Post pages: list, export, detail, create, edit, retire — for every persona."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.people.tests.helpers import read_xlsx
from zhenxing.posts import services
from zhenxing.posts.models import Patrol, PlaceKind, Post
from zhenxing.posts.testing import MEMBER_A_MOBILE, MEMBER_B_MOBILE

POST_PAGES = ["detail", "edit", "retire", "claim_add"]


def _url(name, post):
    return reverse(f"posts:{name}", args=[post.pk])


def _form(world, posts, **changes):
    data = {
        "code": "GC01-LH-001",
        "name": "甲二片区绿化巡查岗",
        "post_type": posts.sanitation.pk,
        "region": world.area_a2.pk,
        "place_kind": PlaceKind.AREA,
        "place_name": "甲二片区",
        "lat": "23.005",
        "lng": "113.115",
        "duties": "",
        "organization": posts.org_a.pk,
    }
    data.update(changes)
    return data


# --- who gets in ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "export", "create", "import", "import_template"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(f"posts:{name}"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_anonymous_is_sent_to_login_from_a_post(client, world, posts):
    for name in POST_PAGES:
        response = client.get(_url(name, posts.post_a1))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_outsider_gets_404_on_another_communitys_post(client_for, world, posts):
    client = client_for(world.outsider)
    for name in POST_PAGES:
        assert client.get(_url(name, posts.post_a1)).status_code == 404, name
    assert client.post(_url("edit", posts.post_a1), _form(world, posts)).status_code == 404
    assert (
        client.post(_url("retire", posts.post_a1), {"retired_on": "2026-11-01"}).status_code == 404
    )
    assert Post.objects.get(pk=posts.post_a1.pk).is_active
    # Their own post opens.
    assert client.get(_url("detail", posts.post_b1)).status_code == 200


@pytest.mark.parametrize("name", ["list", "export", "create", "import"])
def test_department_staff_and_logins_without_roles_see_nothing(client_for, world, name):
    for user in (world.dept_staff, world.nobody):
        assert client_for(user).get(reverse(f"posts:{name}")).status_code == 404


def test_department_staff_get_404_on_a_post(client_for, world, posts):
    assert client_for(world.dept_staff).get(_url("detail", posts.post_a1)).status_code == 404


@pytest.mark.parametrize("user", ["party_member_a", "inspector_a"])
def test_read_only_viewers_see_the_post_without_buttons_and_get_403_on_writes(
    client_for, world, posts, user
):
    client = client_for(getattr(world, user))
    response = client.get(_url("detail", posts.post_a1))
    assert response.status_code == 200
    body = response.content.decode()
    assert _url("edit", posts.post_a1) not in body
    assert _url("retire", posts.post_a1) not in body
    assert _url("claim_add", posts.post_a1) not in body
    assert reverse("posts:claim_end", args=[posts.claim_a1.pk]) not in body
    assert client.post(_url("edit", posts.post_a1), _form(world, posts)).status_code == 403
    assert (
        client.post(_url("retire", posts.post_a1), {"retired_on": "2026-11-01"}).status_code == 403
    )
    assert client.post(reverse("posts:create"), _form(world, posts)).status_code == 403
    assert Post.objects.get(pk=posts.post_a1.pk).is_active
    assert not Post.objects.filter(code="GC01-LH-001").exists()


def test_wrong_methods_are_405(client_for, world, posts):
    client = client_for(world.admin)
    assert client.post(reverse("posts:list")).status_code == 405
    assert client.post(reverse("posts:export")).status_code == 405
    assert client.post(reverse("posts:import_template")).status_code == 405
    assert client.post(_url("detail", posts.post_a1)).status_code == 405
    assert client.delete(_url("edit", posts.post_a1)).status_code == 405
    assert client.put(_url("retire", posts.post_a1)).status_code == 405
    assert client.put(reverse("posts:create")).status_code == 405


# --- the list ---------------------------------------------------------------------------


def _codes(response):
    return [p.code for p in response.context["page"].object_list]


def test_list_shows_the_users_posts_with_holders_and_counts(client_for, world, posts):
    response = client_for(world.secretary_a).get(reverse("posts:list"))
    assert response.status_code == 200
    assert _codes(response) == ["GC01-HY-001", "GC01-WS-001"]
    assert response.context["holder_count"] == 1
    body = response.content.decode()
    assert "陈甲党员" in body and "黄乙党员" not in body
    assert "2 posts, 1 member holding them" in body or "2 个岗位" in body


def test_list_filters(client_for, world, posts):
    client = client_for(world.admin)
    url = reverse("posts:list")
    assert _codes(client.get(url)) == ["GC01-HY-001", "GC01-WS-001", "GC02-WS-001"]
    assert _codes(client.get(url, {"community": world.b.pk})) == ["GC02-WS-001"]
    assert _codes(client.get(url, {"post_type": posts.river.pk})) == ["GC01-HY-001"]
    assert _codes(client.get(url, {"place_kind": "river"})) == ["GC01-HY-001"]
    assert _codes(client.get(url, {"claimed": "no"})) == ["GC01-HY-001"]
    claimed = client.get(url, {"claimed": "yes"})
    assert _codes(claimed) == ["GC01-WS-001", "GC02-WS-001"]
    assert claimed.context["holder_count"] == 2
    assert _codes(client.get(url, {"q": "陈甲"})) == ["GC01-WS-001"]
    assert _codes(client.get(url, {"q": "一桥"})) == ["GC01-HY-001"]
    assert _codes(client.get(url, {"q": "gc02-ws"})) == ["GC02-WS-001"]
    # An area's posts (the red grid and the area page link here by code).
    assert _codes(client.get(url, {"region": world.area_a1.code})) == ["GC01-WS-001"]
    assert _codes(client.get(url, {"region": world.coop_a.code})) == ["GC01-WS-001"]
    assert _codes(client.get(url, {"region": "NO-SUCH"})) == []
    # The outsider naming 社区甲's area still sees nothing of 社区甲.
    outsider = client_for(world.outsider).get(url, {"region": world.area_a1.code})
    assert _codes(outsider) == []
    client = client_for(world.admin)
    services.post_retire(actor=None, post=posts.post_a2, reason="整治完成")
    assert _codes(client.get(url, {"status": "retired"})) == ["GC01-HY-001"]
    assert _codes(client.get(url, {"status": "active"})) == ["GC01-WS-001", "GC02-WS-001"]
    # An ended claim does not make a post "claimed", nor its member a holder.
    services.claim_end(actor=None, claim=posts.claim_b1, reason="搬迁")
    ended = client.get(url, {"claimed": "yes"})
    assert _codes(ended) == ["GC01-WS-001"] and ended.context["holder_count"] == 1
    assert _codes(client.get(url, {"q": "黄乙"})) == []
    # The outsider's community filter offers only its own community.
    options = client_for(world.outsider).get(url).context["form"].fields["community"].queryset
    assert list(options) == [world.b]


def test_list_counts_recent_patrols_and_keeps_to_a_query_budget(
    client_for, world, posts, django_assert_max_num_queries
):
    for i in range(60):
        post = services.post_create(
            actor=None,
            code=f"GC01-X-{i:03d}",
            name=f"岗位{i}",
            post_type=posts.sanitation,
            region=world.area_a2,
        )
        services.claim_start(actor=None, post=post, member=posts.member_a2)
    now = timezone.now()
    for days in (1, 5, 40):
        Patrol.objects.create(
            member=posts.member_a,
            post=posts.post_a1,
            region_path=posts.post_a1.region.path,
            at=now - datetime.timedelta(days=days),
        )
    client = client_for(world.secretary_a)
    client.get(reverse("posts:list"))  # warm the session and the level caches
    with django_assert_max_num_queries(15):
        response = client.get(reverse("posts:list"))
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.paginator.count == 62
    assert response.context["holder_count"] == 2
    second = client.get(reverse("posts:list"), {"page": 2, "q": "甲一片区卫生"})
    [post] = second.context["page"].object_list
    assert post.recent_patrols == 2


# --- export ---------------------------------------------------------------------------


def test_export_masks_mobiles_for_the_secretary(client_for, world, posts):
    response = client_for(world.secretary_a).get(reverse("posts:export"))
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    header, body = rows[0], rows[1:]
    mobile = header.index("Mobile") if "Mobile" in header else header.index("手机号")
    by_code = {r[0]: r for r in body}
    assert set(by_code) == {"GC01-WS-001", "GC01-HY-001"}
    assert by_code["GC01-WS-001"][mobile] == "139****0011"
    assert by_code["GC01-HY-001"][mobile] in (None, "")
    assert MEMBER_A_MOBILE.encode() not in response.content
    assert AuditEntry.objects.filter(action="posts.post.export").exists()


def test_export_is_full_for_the_office_and_follows_filters(client_for, world, posts):
    response = client_for(world.admin).get(reverse("posts:export"), {"community": world.b.pk})
    rows = read_xlsx(response.content)
    assert [r[0] for r in rows[1:]] == ["GC02-WS-001"]
    assert MEMBER_B_MOBILE in rows[1]
    assert "黄乙党员" in rows[1] and "乙党支部" in rows[1]


def test_export_refuses_too_many_rows(client_for, world, posts, monkeypatch):
    from zhenxing.posts.views import posts as views

    monkeypatch.setattr(views, "POST_EXPORT_MAX_ROWS", 2)
    response = client_for(world.admin).get(reverse("posts:export"), {"post_type": ""})
    assert response.status_code == 302
    assert response.url.startswith(reverse("posts:list"))


# --- detail ----------------------------------------------------------------------------


def test_detail_for_the_secretary_has_actions_and_the_full_mobile(client_for, world, posts):
    response = client_for(world.secretary_a).get(_url("detail", posts.post_a1))
    body = response.content.decode()
    for link in (
        _url("edit", posts.post_a1),
        _url("retire", posts.post_a1),
        _url("claim_add", posts.post_a1),
        reverse("posts:claim_end", args=[posts.claim_a1.pk]),
        reverse("posts_public:post", args=[posts.post_a1.public_token]),
        reverse("posts:sign", args=[posts.post_a1.pk]) + "?size=a5",
        reverse("people:member_detail", args=[posts.member_a.pk]),
    ):
        assert link in body, link
    assert MEMBER_A_MOBILE in body
    assert "社区甲" in body and "23.005" in body


def test_detail_masks_the_mobile_for_a_reader(client_for, world, posts):
    body = client_for(world.inspector_a).get(_url("detail", posts.post_a1)).content.decode()
    assert MEMBER_A_MOBILE not in body and "139****0011" in body


def test_detail_keeps_the_duties_line_breaks(client_for, world, posts):
    post = services.post_create(
        actor=None,
        code="GC01-T-1",
        name="测试岗",
        post_type=posts.sanitation,
        region=world.area_a1,
        duties="第一条\n第二条",
    )
    body = client_for(world.secretary_a).get(_url("detail", post)).content.decode()
    assert "第一条<br>第二条" in body


# --- create and edit ---------------------------------------------------------------------


def test_secretary_opens_a_post_with_the_types_duties(client_for, world, posts):
    response = client_for(world.secretary_a).post(reverse("posts:create"), _form(world, posts))
    assert response.status_code == 302
    post = Post.objects.get(code="GC01-LH-001")
    assert post.duties == posts.sanitation.duties and post.region == world.area_a2
    assert (post.lat, post.lng) == (23.005, 113.115)
    assert AuditEntry.objects.filter(action="posts.post.create", object_id=str(post.pk)).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "GC01-WS-001"},  # taken
        {"name": ""},
        {"lat": "95", "lng": "113"},
        {"lat": "23.0", "lng": ""},
        {"lat": "north", "lng": "113"},
        {"region": "GC02-01-A"},  # outside the secretary's scope
        {"region": "root"},  # above the communities: not offered
        {"post_type": "999999"},
    ],
)
def test_create_with_bad_input_is_a_400_that_keeps_the_values(client_for, world, posts, changes):
    if changes.get("region") == "GC02-01-A":
        changes = {"region": world.area_b1.pk}
    elif changes.get("region") == "root":
        changes = {"region": world.root.pk}
    response = client_for(world.secretary_a).post(
        reverse("posts:create"),
        _form(world, posts, name=changes.pop("name", "保留的名称"), **changes),
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    if "name" not in response.context["form"].errors:
        assert "保留的名称" in response.content.decode()
    assert Post.objects.count() == 3


def test_a_service_rule_shows_as_a_form_error(client_for, world, posts):
    # The organisation of 社区乙 does not belong to a post in 社区甲 (the service's rule).
    response = client_for(world.admin).post(
        reverse("posts:create"), _form(world, posts, organization=posts.org_b.pk, name="留名")
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert "留名" in response.content.decode()
    assert not Post.objects.filter(code="GC01-LH-001").exists()


def test_edit_changes_the_post_and_keeps_its_code(client_for, world, posts):
    client = client_for(world.secretary_a)
    page = client.get(_url("edit", posts.post_a1))
    assert "code" not in page.context["form"].fields
    data = _form(world, posts, name="新名称", duties="新职责", region=world.area_a1.pk)
    response = client.post(_url("edit", posts.post_a1), data)
    assert response.status_code == 302
    post = Post.objects.get(pk=posts.post_a1.pk)
    assert (post.code, post.name, post.duties) == ("GC01-WS-001", "新名称", "新职责")


def test_edit_refuses_moving_a_held_post_to_another_community(client_for, world, posts):
    response = client_for(world.admin).post(
        _url("edit", posts.post_a1), _form(world, posts, region=world.area_b1.pk, organization="")
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Post.objects.get(pk=posts.post_a1.pk).region == world.area_a1


def test_region_choices_are_the_users_communities_and_below(client_for, world, posts):
    form = client_for(world.secretary_a).get(reverse("posts:create")).context["form"]
    regions = list(form.fields["region"].queryset)
    assert regions == [world.a, world.coop_a, world.area_a1, world.area_a2]


# --- the Django admin ---------------------------------------------------------------------


def test_admin_pages_open_for_the_office_and_stay_shut_for_a_staff_secretary(
    client_for, world, posts
):
    from django.contrib.auth.models import Permission

    from zhenxing.people.models import User
    from zhenxing.posts.models import GridAssignment, PostClaim, PostType

    def staff(user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="posts"))
        return User.objects.get(pk=user.pk)

    patrol = Patrol.objects.create(
        member=posts.member_a,
        post=posts.post_a1,
        region_path=posts.post_a1.region.path,
        at=timezone.now(),
    )
    office = client_for(staff(world.admin))
    for model in (PostType, Post, PostClaim, GridAssignment, Patrol):
        url = reverse(f"admin:posts_{model._meta.model_name}_changelist")
        assert office.get(url).status_code == 200, url
    assert (
        office.get(reverse("admin:posts_post_change", args=[posts.post_a1.pk])).status_code == 200
    )
    # Patrols are written by the check-in only.
    assert office.get(reverse("admin:posts_patrol_add")).status_code == 403
    changed = office.post(reverse("admin:posts_patrol_change", args=[patrol.pk]), {"note": "x"})
    assert changed.status_code == 403
    secretary = client_for(staff(world.secretary_a))
    response = secretary.get(reverse("admin:posts_post_changelist"))
    assert response.status_code == 403
