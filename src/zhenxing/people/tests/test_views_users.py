"""Users and roles: the list (scoped), new logins, assigning and revoking roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.people.services import PeopleError, role_assign


def _usernames(response) -> set[str]:
    return {u.username for u in response.context["page"].object_list}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["people:users", "people:user_create", "people:role_assign"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_wrong_methods_are_405(client_for, world):
    client = client_for(world.admin)
    assignment = world.inspector_a.role_assignments.get()
    assert client.post(reverse("people:users")).status_code == 405
    assert client.put(reverse("people:user_create")).status_code == 405
    assert client.delete(reverse("people:role_assign")).status_code == 405
    assert client.put(reverse("people:role_revoke", args=[assignment.pk])).status_code == 405


# --- list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_list_scope(client_for, world):
    admin_view = client_for(world.admin).get(reverse("people:users"))
    assert _usernames(admin_view) == set(User.objects.values_list("username", flat=True))
    assert admin_view.context["can_manage"] is True
    secretary_view = client_for(world.secretary_a).get(reverse("people:users"))
    assert _usernames(secretary_view) == {"sec_a", "insp_a", "pm_a", "lead_a"}
    assert secretary_view.context["can_manage"] is False
    assert reverse("people:role_assign") not in secretary_view.content.decode()
    assert _usernames(client_for(world.outsider).get(reverse("people:users"))) == {"sec_b"}
    assert _usernames(client_for(world.nobody).get(reverse("people:users"))) == set()


@pytest.mark.django_db
def test_user_list_filters_and_shows_roles_with_bounded_queries(
    client_for, world, django_assert_max_num_queries
):
    for i in range(40):
        user = User.objects.create_user(username=f"member{i:02d}", password="x")
        RoleAssignment.objects.create(user=user, role=Role.PARTY_MEMBER, region=world.area_a1)
    client = client_for(world.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("people:users"))
    # 8 personas + 40 members, all on the first page of 50.
    assert response.context["page"].paginator.count == 48
    assert len(response.context["page"].object_list) == 48
    body = response.content.decode()
    assert "甲一片区" in body  # the scope of each role is shown
    assert _usernames(client.get(reverse("people:users"), {"role": "secretary"})) == {
        "sec_a",
        "sec_b",
    }
    assert _usernames(client.get(reverse("people:users"), {"q": "insp"})) == {"insp_a"}
    assert _usernames(client.get(reverse("people:users"), {"q": "13800000002"})) == {"sec_a"}


# --- new login ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_creates_a_login(client_for, world):
    client = client_for(world.admin)
    data = {
        "username": "cadre1",
        "display_name": "干部一",
        "mobile": "13700000077",
        "password": "Strong-enough-pass-42",
    }
    response = client.post(reverse("people:user_create"), data)
    assert response.status_code == 302
    assert response.url == reverse("people:role_assign") + "?username=cadre1"
    user = User.objects.get(username="cadre1")
    assert user.check_password("Strong-enough-pass-42") and user.mobile == "13700000077"
    assert AuditEntry.objects.filter(action="people.user.create", actor=world.admin).count() == 1


@pytest.mark.django_db
def test_new_login_is_validated(client_for, world):
    client = client_for(world.admin)
    base = {
        "username": "cadre2",
        "display_name": "",
        "mobile": "",
        "password": "Strong-enough-pass-42",
    }
    assert (
        client.post(reverse("people:user_create"), {**base, "password": "123"}).status_code == 400
    )
    assert (
        client.post(reverse("people:user_create"), {**base, "username": "sec_a"}).status_code == 400
    )
    assert (
        client.post(reverse("people:user_create"), {**base, "mobile": "13800000002"}).status_code
        == 400
    )
    assert client.post(reverse("people:user_create"), {**base, "mobile": "999"}).status_code == 400
    assert not User.objects.filter(username="cadre2").exists()


@pytest.mark.django_db
def test_non_admins_get_403_on_new_login(client_for, world):
    for user in (world.secretary_a, world.nobody):
        client = client_for(user)
        assert client.get(reverse("people:user_create")).status_code == 403
        response = client.post(
            reverse("people:user_create"),
            {"username": "sneaky", "password": "Strong-enough-pass-42"},
        )
        assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


# --- assign -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_assigns_a_role(client_for, world):
    client = client_for(world.admin)
    form = client.get(reverse("people:role_assign"), {"username": "nobody"})
    assert form.status_code == 200 and form.context["form"]["username"].value() == "nobody"
    response = client.post(
        reverse("people:role_assign"),
        {"username": "nobody", "role": "inspector", "region": world.a.pk, "title": "巡查员"},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=world.nobody)
    assert (assignment.role, assignment.region, assignment.title) == (
        "inspector",
        world.a,
        "巡查员",
    )
    assert AuditEntry.objects.filter(action="people.role.assign", actor=world.admin).count() == 1


@pytest.mark.django_db
def test_a_department_role_is_assigned_on_a_department(client_for, world):
    response = client_for(world.admin).post(
        reverse("people:role_assign"),
        {"username": "nobody", "role": "department_staff", "department": world.dept.pk},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=world.nobody).department == world.dept


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"username": "nobody", "role": "inspector"},  # region role without a region
        {"username": "nobody", "role": "department_staff", "region": "REGION_A"},
        {"username": "ghost", "role": "inspector", "region": "REGION_A"},  # no such user
        {"username": "nobody", "role": "emperor", "region": "REGION_A"},
        {"username": "sec_a", "role": "secretary", "region": "REGION_A"},  # already holds it
    ],
)
def test_a_bad_assignment_is_400(client_for, world, data):
    data = {k: (world.a.pk if v == "REGION_A" else v) for k, v in data.items()}
    count = RoleAssignment.objects.count()
    response = client_for(world.admin).post(reverse("people:role_assign"), data)
    assert response.status_code == 400
    assert RoleAssignment.objects.count() == count


@pytest.mark.django_db
def test_an_office_admin_cannot_assign_out_of_scope(client_for, world):
    admin_b = User.objects.create_user(username="office_b", password="x")
    RoleAssignment.objects.create(user=admin_b, role=Role.OFFICE_ADMIN, region=world.b)
    response = client_for(admin_b).post(
        reverse("people:role_assign"),
        {"username": "nobody", "role": "inspector", "region": world.a.pk},
    )
    assert response.status_code == 400  # 社区甲 is not even offered
    offered = set(response.context["form"].fields["region"].queryset)
    assert world.a not in offered and world.b in offered
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()
    # ...and the service refuses it too, whatever a form offered.
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.a, actor=admin_b)
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()


@pytest.mark.django_db
def test_non_admins_get_403_on_assign(client_for, world):
    for user in (world.secretary_a, world.inspector_a, world.nobody):
        client = client_for(user)
        assert client.get(reverse("people:role_assign")).status_code == 403
        response = client.post(
            reverse("people:role_assign"),
            {"username": "nobody", "role": "inspector", "region": world.a.pk},
        )
        assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()


@pytest.mark.django_db
def test_assigning_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    response = client.post(
        reverse("people:role_assign"),
        {"username": "nobody", "role": "inspector", "region": world.a.pk},
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()


# --- revoke -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_revokes_after_confirming(client_for, world):
    client = client_for(world.admin)
    assignment = world.inspector_a.role_assignments.get()
    url = reverse("people:role_revoke", args=[assignment.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "insp_a" in confirm.content.decode()
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(action="people.role.revoke", actor=world.admin).count() == 1


@pytest.mark.django_db
def test_revoking_ones_own_admin_role_is_refused_with_400(client_for, world):
    assignment = world.admin.role_assignments.get()
    response = client_for(world.admin).post(reverse("people:role_revoke", args=[assignment.pk]))
    assert response.status_code == 400
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.django_db
def test_revoke_is_403_for_readers_and_404_outside_scope(client_for, world):
    in_a = world.inspector_a.role_assignments.get()
    in_b = world.outsider.role_assignments.get()
    assert (
        client_for(world.secretary_a)
        .post(reverse("people:role_revoke", args=[in_a.pk]))
        .status_code
        == 403
    )
    assert (
        client_for(world.secretary_a)
        .post(reverse("people:role_revoke", args=[in_b.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(world.nobody).post(reverse("people:role_revoke", args=[in_a.pk])).status_code
        == 404
    )
    assert RoleAssignment.objects.filter(pk__in=[in_a.pk, in_b.pk]).count() == 2


# --- navigation ------------------------------------------------------------------------


@pytest.mark.django_db
def test_navigation_entries_follow_the_roles(client_for, world):
    def menu_urls(user):
        menu = client_for(user).get(reverse("core:home")).context["nav_menu"]
        return {item["url"] for group in menu for item in group["items"]}

    admin = menu_urls(world.admin)
    for name in (
        "people:members",
        "people:organizations",
        "people:teams",
        "people:departments",
        "people:users",
        "audit:list",
    ):
        assert reverse(name) in admin
    secretary = menu_urls(world.secretary_a)
    assert reverse("people:members") in secretary
    assert reverse("people:users") not in secretary
    assert reverse("audit:list") not in secretary
    department = menu_urls(world.dept_staff)
    assert reverse("people:members") not in department
    assert reverse("people:teams") in department
    assert not {reverse("people:members"), reverse("people:users")} & menu_urls(world.nobody)


# --- an office admin below the subdistrict, with a department role beside it ------------


@pytest.fixture
def admin_of_a_in_a_department(world):
    user = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_STAFF, department=world.dept)
    return user


@pytest.mark.django_db
def test_the_assign_page_offers_only_regions_the_actor_administers(
    client_for, world, admin_of_a_in_a_department
):
    client = client_for(admin_of_a_in_a_department)
    form = client.get(reverse("people:role_assign")).context["form"]
    offered = {r.code for r in form.fields["region"].queryset}
    assert offered == {"GC01", "GC01-01", "GC01-01-A", "GC01-01-B"}
    response = client.post(
        reverse("people:role_assign"),
        {"username": "office_a", "role": "office_admin", "region": world.root.pk},
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(
        user=admin_of_a_in_a_department, region=world.root
    ).exists()
    # The subdistrict admin's role is not even there to revoke.
    root_admin = world.admin.role_assignments.get()
    assert client.post(reverse("people:role_revoke", args=[root_admin.pk])).status_code == 404
    assert RoleAssignment.objects.filter(pk=root_admin.pk).exists()


@pytest.mark.django_db
def test_a_community_admin_sees_and_revokes_only_in_that_community(
    client_for, world, admin_of_a_in_a_department
):
    client = client_for(admin_of_a_in_a_department)
    listed = _usernames(client.get(reverse("people:users")))
    assert "sec_b" not in listed and "office" not in listed
    assert {"sec_a", "insp_a", "nobody"} <= listed  # and role-less logins, to give them one
    in_b = world.outsider.role_assignments.get()
    assert client.post(reverse("people:role_revoke", args=[in_b.pk])).status_code == 404
    in_a = world.inspector_a.role_assignments.get()
    assert client.post(reverse("people:role_revoke", args=[in_a.pk])).status_code == 302
    assert RoleAssignment.objects.filter(pk=in_b.pk).exists()


# --- what a reader of the user list learns ------------------------------------------------


@pytest.mark.django_db
def test_the_user_list_shows_only_roles_the_viewer_reads(client_for, world):
    RoleAssignment.objects.create(user=world.inspector_a, role=Role.INSPECTOR, region=world.b)
    body = client_for(world.party_member_a).get(reverse("people:users")).content.decode()
    assert "社区甲" in body and "社区乙" not in body
    assert "社区乙" in client_for(world.admin).get(reverse("people:users")).content.decode()


@pytest.mark.django_db
def test_readers_cannot_find_a_login_by_its_mobile(client_for, world):
    assert (
        _usernames(
            client_for(world.party_member_a).get(reverse("people:users"), {"q": "13800000002"})
        )
        == set()
    )
    assert _usernames(
        client_for(world.party_member_a).get(reverse("people:users"), {"q": "sec"})
    ) == {"sec_a"}
    assert _usernames(
        client_for(world.admin).get(reverse("people:users"), {"q": "13800000002"})
    ) == {"sec_a"}
