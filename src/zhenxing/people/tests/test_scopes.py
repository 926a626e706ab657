"""Reading scope and administering scope are different things, and roles never mix them up."""

from __future__ import annotations

from zhenxing.people.models import Role, RoleAssignment
from zhenxing.people.scopes import (
    ALL,
    administers,
    administers_whole_territory,
    can_manage_region,
    office_admin_paths,
    scope_paths,
)


def test_the_subdistrict_admin_administers_everything(world):
    assert office_admin_paths(world.admin) == ["GC/"]
    assert administers_whole_territory(world.admin)
    assert can_manage_region(world.admin, world.area_b1)


def test_a_community_admin_administers_only_that_community(world):
    RoleAssignment.objects.create(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.a)
    assert office_admin_paths(world.nobody) == ["GC/GC01/"]
    assert administers(world.nobody, world.area_a1)
    assert not administers(world.nobody, world.area_b1)
    assert not administers_whole_territory(world.nobody)


def test_a_department_role_beside_an_admin_role_widens_reading_not_administering(world):
    RoleAssignment.objects.create(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.a)
    RoleAssignment.objects.create(
        user=world.nobody, role=Role.DEPARTMENT_STAFF, department=world.dept
    )
    assert scope_paths(world.nobody) is ALL  # reads the whole territory
    assert office_admin_paths(world.nobody) == ["GC/GC01/"]
    assert not can_manage_region(world.nobody, world.b)
    assert not administers_whole_territory(world.nobody)


def test_other_roles_administer_nothing(world):
    for user in (world.secretary_a, world.inspector_a, world.dept_staff, world.nobody):
        assert office_admin_paths(user) == []
        assert not can_manage_region(user, world.area_a1)
        assert not administers_whole_territory(user)
