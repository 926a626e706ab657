"""One dispatch rule: what the page offers, the API checks and the service accepts are the same.

Inside the case's community only; each dispatcher within their own regions;
a team only if its leader can see the community; departments only for the
office. Also the one path-prefix helper every scope filter is built from.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from zhenxing.cases import permissions, services
from zhenxing.cases.models import Case
from zhenxing.people.models import Department, Role, RoleAssignment, User, WorkTeam
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q

from .test_loop import fresh_user, report, rolled_back, state


def person(username: str, role: str, region: Any = None, department: Any = None) -> User:
    user = User.objects.create_user(username=username, password="x-Long-enough-1")
    RoleAssignment.objects.create(user=user, role=role, region=region, department=department)
    return user


@pytest.fixture
def case(world, cats, private_media) -> Case:
    case = report(world, cats.garbage)
    services.case_accept(case=case, actor=world.secretary_a)
    return case


def targets(user: Any, case: Case) -> set[Any]:
    found = permissions.dispatch_targets_for(fresh_user(user), case)
    return {*found["regions"], *found["teams"], *found["departments"]}


def everything() -> list[Any]:
    return [
        *Region.objects.order_by("path"),
        *WorkTeam.objects.select_related("region"),
        *Department.objects.all(),
    ]


def assert_one_rule(user: Any, case: Case) -> None:
    """`can_dispatch_to` says yes exactly to what `dispatch_targets_for` offers."""
    offered = targets(user, case)
    for target in everything():
        assert permissions.can_dispatch_to(fresh_user(user), case, target) == (target in offered), (
            user,
            target,
        )


def test_a_secretary_of_one_area_dispatches_within_that_area_only(world, case):
    area_secretary = person("sec_a1", Role.SECRETARY, world.area_a1)
    assert targets(area_secretary, case) == {world.area_a1}
    before = state()
    for target in (world.a, world.coop_a, world.area_a2):
        with pytest.raises(PermissionDenied):
            services.case_dispatch(case=case, actor=fresh_user(area_secretary), to=target)
    assert state() == before
    with rolled_back():
        services.case_dispatch(case=case, actor=fresh_user(area_secretary), to=world.area_a1)
    assert_one_rule(area_secretary, case)


def test_an_office_admin_of_one_area_dispatches_within_it_or_to_a_department(world, case):
    area_admin = person("office_a1", Role.OFFICE_ADMIN, world.area_a1)
    assert targets(area_admin, case) == {world.area_a1, world.dept}
    with pytest.raises(PermissionDenied):
        services.case_dispatch(case=case, actor=fresh_user(area_admin), to=world.a)
    assert_one_rule(area_admin, case)


def test_a_team_whose_leader_cannot_see_the_community_is_no_target(world, case):
    area_leader = person("lead_a1", Role.TEAM_LEADER, world.area_a1)
    ok = {
        "led by the community's leader": WorkTeam.objects.create(
            name="甲一队", region=world.a, leader=world.team_leader_a
        ),
        "without a leader (its community's secretaries handle it)": WorkTeam.objects.create(
            name="甲二队", region=world.coop_a
        ),
        "led by department staff, who read everywhere": WorkTeam.objects.create(
            name="甲三队", region=world.a, leader=world.dept_staff
        ),
    }
    refused = {
        "led by another community's secretary": WorkTeam.objects.create(
            name="甲四队", region=world.a, leader=world.outsider
        ),
        "led by one who sees a single area": WorkTeam.objects.create(
            name="甲五队", region=world.a, leader=area_leader
        ),
        "led by one with no role": WorkTeam.objects.create(
            name="甲六队", region=world.a, leader=world.nobody
        ),
    }
    for dispatcher in (world.admin, world.secretary_a):
        offered = targets(dispatcher, case)
        for why, team in ok.items():
            assert team in offered, why
            with rolled_back():
                services.case_dispatch(
                    case=Case.objects.get(pk=case.pk), actor=fresh_user(dispatcher), to=team
                )
        for why, team in refused.items():
            assert team not in offered, why
            with pytest.raises(PermissionDenied):
                services.case_dispatch(
                    case=Case.objects.get(pk=case.pk), actor=fresh_user(dispatcher), to=team
                )
        assert_one_rule(dispatcher, case)


def test_the_rule_is_the_same_for_every_persona(world, case):
    WorkTeam.objects.create(name="甲清洁队", region=world.a, leader=world.team_leader_a)
    WorkTeam.objects.create(name="乙清洁队", region=world.b)
    for name in ("admin", "secretary_a", "inspector_a", "dept_staff", "outsider", "nobody"):
        assert_one_rule(getattr(world, name), case)
    assert not targets(world.inspector_a, case)
    assert not targets(world.outsider, case)


# --- path_prefix_q ---------------------------------------------------------------------------


def test_path_prefix_q(world):
    regions = Region.objects.order_by("path")
    assert list(regions.filter(path_prefix_q(None, "path"))) == list(regions)
    assert not regions.filter(path_prefix_q([], "path")).exists()
    assert set(regions.filter(path_prefix_q([world.coop_a.path, world.b.path], "path"))) == {
        world.coop_a,
        world.area_a1,
        world.area_a2,
        world.b,
        world.coop_b,
        world.area_b1,
    }
    # "Everything" survives an OR (an empty Q() would vanish from it and leave only the rest).
    either = path_prefix_q(None, "path") | path_prefix_q([world.b.path], "path")
    assert regions.filter(either).count() == regions.count()
    # "Nothing" does not swallow the rest of an OR.
    assert set(regions.filter(path_prefix_q([], "path") | path_prefix_q([world.b.path], "path")))
    assert not regions.filter(path_prefix_q([], "path") & path_prefix_q(None, "path")).exists()
