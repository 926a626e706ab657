"""Scope of every persona over members, organisations, teams and users."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.people.permissions import (
    can_edit_party_member,
    can_import_party_members,
    communities_managed_by,
    get_party_member_for_user,
    get_role_assignment_for_user,
    party_members_visible_to,
    party_organizations_visible_to,
    role_assignments_visible_to,
    users_visible_to,
    work_teams_visible_to,
)


def _names(queryset) -> set[str]:
    return {str(x) for x in queryset}


@pytest.mark.django_db
def test_party_members_visible_to_each_persona(world, roster):
    everyone = {"张红", "李明", "王刚"}
    in_a = {"张红", "李明"}
    assert _names(party_members_visible_to(world.admin)) == everyone
    for persona in (
        world.secretary_a,
        world.inspector_a,
        world.party_member_a,
        world.team_leader_a,
    ):
        assert _names(party_members_visible_to(persona)) == in_a
    assert _names(party_members_visible_to(world.outsider)) == {"王刚"}
    # Department staff: rosters are personal data a department does not need.
    assert _names(party_members_visible_to(world.dept_staff)) == set()
    assert _names(party_members_visible_to(world.nobody)) == set()
    assert _names(party_members_visible_to(AnonymousUser())) == set()


@pytest.mark.django_db
def test_a_role_below_the_community_reads_the_whole_community_roster(world, roster):
    user = User.objects.create_user(username="grid", password="x")
    RoleAssignment.objects.create(user=user, role=Role.PARTY_MEMBER, region=world.area_a1)
    assert _names(party_members_visible_to(user)) == {"张红", "李明"}
    assert _names(work_teams_visible_to(user)) == {"甲清洁队"}
    # ...but reading is not editing.
    assert not can_edit_party_member(user, roster.a1)


@pytest.mark.django_db
def test_superuser_sees_everything(world, roster):
    boss = User.objects.create_superuser(username="root", password="x")
    assert _names(party_members_visible_to(boss)) == {"张红", "李明", "王刚"}
    assert can_edit_party_member(boss, roster.b1)


@pytest.mark.django_db
def test_party_organizations_visible_to(world, roster):
    assert _names(party_organizations_visible_to(world.admin)) == {
        "桂城街道党工委",
        "社区甲党支部",
        "社区乙党支部",
    }
    assert _names(party_organizations_visible_to(world.secretary_a)) == {"社区甲党支部"}
    assert _names(party_organizations_visible_to(world.outsider)) == {"社区乙党支部"}
    assert _names(party_organizations_visible_to(world.dept_staff)) == set()
    assert _names(party_organizations_visible_to(world.nobody)) == set()


@pytest.mark.django_db
def test_work_teams_visible_to(world, roster):
    both = {"甲清洁队", "乙清洁队"}
    assert _names(work_teams_visible_to(world.admin)) == both
    assert _names(work_teams_visible_to(world.secretary_a)) == {"甲清洁队"}
    assert _names(work_teams_visible_to(world.outsider)) == {"乙清洁队"}
    assert _names(work_teams_visible_to(world.dept_staff)) == both
    assert _names(work_teams_visible_to(world.nobody)) == set()
    assert _names(work_teams_visible_to(AnonymousUser())) == set()


@pytest.mark.django_db
def test_users_visible_to(world):
    usernames = lambda qs: set(qs.values_list("username", flat=True))  # noqa: E731
    assert usernames(users_visible_to(world.admin)) == set(
        User.objects.values_list("username", flat=True)
    )
    assert "nobody" in usernames(users_visible_to(world.admin))  # to give them a role
    assert usernames(users_visible_to(world.secretary_a)) == {"sec_a", "insp_a", "pm_a", "lead_a"}
    assert usernames(users_visible_to(world.outsider)) == {"sec_b"}
    assert usernames(users_visible_to(world.dept_staff)) == {"dept"}
    assert usernames(users_visible_to(world.nobody)) == set()
    assert usernames(users_visible_to(AnonymousUser())) == set()


@pytest.mark.django_db
def test_a_user_with_two_roles_is_listed_once(world):
    RoleAssignment.objects.create(user=world.secretary_a, role=Role.INSPECTOR, region=world.a)
    listed = list(users_visible_to(world.secretary_a).values_list("username", flat=True))
    assert listed.count("sec_a") == 1


@pytest.mark.django_db
def test_can_edit_party_member(world, roster):
    assert can_edit_party_member(world.admin, roster.b1)
    assert can_edit_party_member(world.secretary_a, roster.a1)
    assert not can_edit_party_member(world.secretary_a, roster.b1)
    assert can_edit_party_member(world.outsider, roster.b1)
    for reader in (world.inspector_a, world.party_member_a, world.team_leader_a, world.nobody):
        assert not can_edit_party_member(reader, roster.a1)
    assert not can_edit_party_member(AnonymousUser(), roster.a1)


@pytest.mark.django_db
def test_can_import_party_members(world):
    assert can_import_party_members(world.admin, world.b)
    assert can_import_party_members(world.secretary_a, world.a)
    assert not can_import_party_members(world.secretary_a, world.b)
    assert not can_import_party_members(world.inspector_a, world.a)
    assert set(communities_managed_by(world.secretary_a)) == {world.a}
    assert set(communities_managed_by(world.admin)) == {world.a, world.b}
    assert set(communities_managed_by(world.inspector_a)) == set()


@pytest.mark.django_db
def test_get_party_member_for_user_is_404_outside_scope(world, roster):
    assert get_party_member_for_user(world.secretary_a, roster.a1.pk) == roster.a1
    with pytest.raises(Http404):
        get_party_member_for_user(world.outsider, roster.a1.pk)
    with pytest.raises(Http404):
        get_party_member_for_user(world.nobody, roster.a1.pk)
    with pytest.raises(Http404):
        get_party_member_for_user(world.admin, "not-a-number")


# --- an office admin below the subdistrict runs only their own part ------------------------


@pytest.fixture
def admin_of_a(world):
    """An office admin whose role is on 社区甲, not on the subdistrict root."""
    user = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    return user


@pytest.mark.django_db
def test_a_community_admin_reads_and_manages_only_that_community(world, roster, admin_of_a):
    assert _names(party_members_visible_to(admin_of_a)) == {"张红", "李明"}
    assert _names(party_organizations_visible_to(admin_of_a)) == {"社区甲党支部"}
    assert _names(work_teams_visible_to(admin_of_a)) == {"甲清洁队"}
    assert set(communities_managed_by(admin_of_a)) == {world.a}
    assert can_edit_party_member(admin_of_a, roster.a1)
    assert not can_edit_party_member(admin_of_a, roster.b1)
    with pytest.raises(Http404):
        get_party_member_for_user(admin_of_a, roster.b1.pk)
    usernames = set(users_visible_to(admin_of_a).values_list("username", flat=True))
    # Role holders of 社区甲, and logins with no role yet (to give them one).
    assert usernames == {"office_a", "sec_a", "insp_a", "pm_a", "lead_a", "nobody"}
    with pytest.raises(Http404):
        get_role_assignment_for_user(admin_of_a, world.outsider.role_assignments.get().pk)
    with pytest.raises(Http404):
        get_role_assignment_for_user(admin_of_a, world.admin.role_assignments.get().pk)
    assert get_role_assignment_for_user(admin_of_a, world.inspector_a.role_assignments.get().pk)


@pytest.mark.django_db
def test_a_department_role_beside_a_community_admin_role_reads_no_more_people(
    world, roster, admin_of_a
):
    RoleAssignment.objects.create(
        user=admin_of_a, role=Role.DEPARTMENT_STAFF, department=world.dept
    )
    assert _names(party_members_visible_to(admin_of_a)) == {"张红", "李明"}
    assert not can_edit_party_member(admin_of_a, roster.b1)
    assert "sec_b" not in set(users_visible_to(admin_of_a).values_list("username", flat=True))


@pytest.mark.django_db
def test_a_user_who_holds_roles_in_two_communities_shows_only_the_visible_ones(world):
    RoleAssignment.objects.create(user=world.inspector_a, role=Role.INSPECTOR, region=world.b)
    visible = role_assignments_visible_to(world.party_member_a).filter(user=world.inspector_a)
    assert [a.region for a in visible] == [world.a]
    assert role_assignments_visible_to(world.admin).filter(user=world.inspector_a).count() == 2
