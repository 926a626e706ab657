"""Organisation tree, work teams and departments pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Department
from zhenxing.people.services import party_organization_create, work_team_create


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["people:organizations", "people:teams", "people:departments"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_wrong_methods_are_405(client_for, world):
    client = client_for(world.admin)
    assert client.post(reverse("people:organizations")).status_code == 405
    assert client.post(reverse("people:teams")).status_code == 405
    assert client.delete(reverse("people:departments")).status_code == 405


# --- organisations --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_sees_the_whole_tree_with_member_counts(client_for, world, roster):
    cell = party_organization_create(
        code="GC01DZB-1",
        name="甲第一党小组",
        kind="branch",
        parent=roster.branch_a,
        region=world.a,
        actor=None,
    )
    response = client_for(world.admin).get(reverse("people:organizations"))
    assert response.status_code == 200
    orgs = {o.code: o for o in response.context["orgs"]}
    assert list(orgs) == ["GCDW", "GC01DZB", "GC01DZB-1", "GC02DZB"]  # tree order
    assert (orgs["GC01DZB"].member_count, orgs["GC02DZB"].member_count) == (2, 1)
    assert orgs["GCDW"].member_count == 0
    assert orgs["GCDW"].subtree_count == 3  # everyone below the committee
    assert [orgs[c].indent for c in ("GCDW", "GC01DZB", "GC01DZB-1")] == [0, 1, 2]
    assert cell.path.startswith(roster.branch_a.path)


@pytest.mark.django_db
def test_organisations_are_scoped(client_for, world, roster):
    def codes(user):
        return [
            o.code for o in client_for(user).get(reverse("people:organizations")).context["orgs"]
        ]

    assert codes(world.secretary_a) == ["GC01DZB"]
    assert codes(world.inspector_a) == ["GC01DZB"]
    assert codes(world.outsider) == ["GC02DZB"]
    assert codes(world.nobody) == []
    assert codes(world.dept_staff) == []
    secretary_page = client_for(world.secretary_a).get(reverse("people:organizations"))
    assert secretary_page.context["orgs"][0].indent == 0  # its top starts at the margin


# --- teams --------------------------------------------------------------------------


@pytest.mark.django_db
def test_teams_are_scoped(client_for, world, roster):
    def names(user):
        return {
            t.name
            for t in client_for(user).get(reverse("people:teams")).context["page"].object_list
        }

    assert names(world.admin) == {"甲清洁队", "乙清洁队"}
    assert names(world.secretary_a) == {"甲清洁队"}
    assert names(world.team_leader_a) == {"甲清洁队"}
    assert names(world.outsider) == {"乙清洁队"}
    assert names(world.dept_staff) == {"甲清洁队", "乙清洁队"}
    assert names(world.nobody) == set()


@pytest.mark.django_db
def test_the_team_list_has_a_bounded_number_of_queries(
    client_for, world, roster, django_assert_max_num_queries
):
    for i in range(30):
        work_team_create(name=f"队{i}", region=world.a, leader=world.team_leader_a, actor=None)
    client = client_for(world.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("people:teams"))
    assert len(response.context["page"].object_list) == 32
    assert "lead_a" in response.content.decode()


# --- departments ----------------------------------------------------------------------


@pytest.mark.django_db
def test_departments_are_listed_with_their_staff_count(client_for, world):
    response = client_for(world.secretary_a).get(reverse("people:departments"))
    assert response.status_code == 200
    (department,) = response.context["departments"]
    assert (department.name, department.staff_count) == ("城管办", 1)
    assert response.context["form"] is None  # only the office adds departments


@pytest.mark.django_db
def test_the_office_adds_a_department(client_for, world):
    client = client_for(world.admin)
    response = client.post(
        reverse("people:departments"), {"code": "D02", "name": "环保所", "in_joint_meeting": "on"}
    )
    assert response.status_code == 302
    assert Department.objects.get(code="D02").in_joint_meeting is True
    assert (
        AuditEntry.objects.filter(action="people.department.create", actor=world.admin).count() == 1
    )
    duplicate = client.post(reverse("people:departments"), {"code": "D02", "name": "别的"})
    assert duplicate.status_code == 400
    assert Department.objects.count() == 2


@pytest.mark.django_db
def test_others_get_403_when_adding_a_department(client_for, world):
    for user in (world.secretary_a, world.dept_staff, world.nobody):
        response = client_for(user).post(
            reverse("people:departments"), {"code": "D09", "name": "X"}
        )
        assert response.status_code == 403
    assert not Department.objects.filter(code="D09").exists()


@pytest.mark.django_db
def test_a_community_admin_may_not_add_departments(client_for, world):
    from zhenxing.people.models import Role, RoleAssignment, User

    admin_of_a = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=admin_of_a, role=Role.OFFICE_ADMIN, region=world.a)
    client = client_for(admin_of_a)
    assert client.get(reverse("people:departments")).context["form"] is None
    response = client.post(reverse("people:departments"), {"code": "D09", "name": "X"})
    assert response.status_code == 403
    assert not Department.objects.filter(code="D09").exists()


@pytest.mark.django_db
def test_a_department_code_is_checked_by_the_same_rule_as_the_service(client_for, world):
    response = client_for(world.admin).post(
        reverse("people:departments"), {"code": "D/9", "name": "斜杠"}
    )
    assert response.status_code == 400
    assert "1–40" in str(response.context["form"].errors["code"])
    assert not Department.objects.filter(name="斜杠").exists()
