"""Fixtures of the people app's tests: party organisations, members and teams on `world`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhenxing.people.models import PartyOrganization
from zhenxing.people.services import (
    party_member_create,
    party_organization_create,
    work_team_create,
)


@pytest.fixture
def roster(world):
    """GCDW (the subdistrict committee) → GC01DZB (branch of 社区甲), GC02DZB (社区乙).

    Members a1, a2 in 社区甲 (a1 has a login: party_member_a), b1 in 社区乙; one
    work team per community.
    """
    committee = party_organization_create(
        code="GCDW",
        name="桂城街道党工委",
        kind=PartyOrganization.Kind.COMMITTEE,
        parent=None,
        region=world.root,
        actor=None,
    )
    branch_a = party_organization_create(
        code="GC01DZB",
        name="社区甲党支部",
        kind=PartyOrganization.Kind.BRANCH,
        parent=committee,
        region=world.a,
        actor=None,
    )
    branch_b = party_organization_create(
        code="GC02DZB",
        name="社区乙党支部",
        kind=PartyOrganization.Kind.BRANCH,
        parent=committee,
        region=world.b,
        actor=None,
    )
    a1 = party_member_create(
        name="张红",
        mobile="13900000001",
        gender="F",
        birth_year=1970,
        organization=branch_a,
        region=world.a,
        user=world.party_member_a,
        actor=None,
    )
    a2 = party_member_create(
        name="李明", mobile="13900000002", organization=branch_a, region=world.a, actor=None
    )
    b1 = party_member_create(
        name="王刚", mobile="13900000003", organization=branch_b, region=world.b, actor=None
    )
    team_a = work_team_create(
        name="甲清洁队", region=world.a, leader=world.team_leader_a, headcount=12, actor=None
    )
    team_b = work_team_create(name="乙清洁队", region=world.b, headcount=8, actor=None)
    return SimpleNamespace(
        committee=committee,
        branch_a=branch_a,
        branch_b=branch_b,
        a1=a1,
        a2=a2,
        b1=b1,
        team_a=team_a,
        team_b=team_b,
    )
