"""Moving a party member to another community while they still hold posts or red-grid seats.

The claims and seats would stay open in the old community, whose secretary no
longer sees the member; so the move is refused until they are ended.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from zhenxing.people.services import PeopleError, party_member_update
from zhenxing.posts import services as post_services
from zhenxing.posts.models import GridRole
from zhenxing.posts.testing import build_posts_world

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def posts(world):
    return build_posts_world(world)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def move(world, posts, member, **changes):
    return party_member_update(
        member=member, actor=world.admin, region=world.b, organization=posts.org_b, **changes
    )


def test_a_member_holding_a_post_cannot_move_to_another_community(world, posts):
    with pytest.raises(PeopleError) as refused:
        move(world, posts, posts.member_a)
    message = str(refused.value)
    assert "陈甲党员" in message and "GC01-WS-001" in message and "社区乙" in message
    assert "End those post claims and red-grid assignments first" in message
    posts.member_a.refresh_from_db()
    assert posts.member_a.region == world.a
    # Ended first, the move goes through.
    post_services.claim_end(actor=None, claim=posts.claim_a1, ended_on=DAY, reason="搬家")
    assert move(world, posts, posts.member_a).region == world.b


def test_a_red_grid_seat_also_holds_the_member_back(world, posts):
    seat = post_services.grid_assign(
        actor=None, area=world.area_a1, member=posts.member_a2, role=GridRole.MEMBER, started_on=DAY
    )
    with pytest.raises(PeopleError, match="the red grid of 甲一片区"):
        move(world, posts, posts.member_a2)
    post_services.grid_end(actor=None, assignment=seat, ended_on=DAY)
    assert move(world, posts, posts.member_a2).region == world.b


def test_other_changes_to_a_post_holder_are_not_held_back(world, posts):
    member = party_member_update(member=posts.member_a, actor=world.admin, name="陈甲")
    assert member.name == "陈甲" and member.region == world.a
    # "Moving" to the community the member is in already changes nothing.
    assert party_member_update(member=member, actor=world.admin, region=world.a).region == world.a


def test_the_edit_page_shows_the_refusal_as_a_form_error(world, posts, client_for):
    response = client_for(world.admin).post(
        reverse("people:member_edit", args=[posts.member_a.pk]),
        {
            "name": posts.member_a.name,
            "organization": posts.org_b.pk,
            "region": world.b.pk,
            "mobile": posts.member_a.mobile,
            "gender": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "End those post claims and red-grid assignments first" in response.content.decode()
    posts.member_a.refresh_from_db()
    assert posts.member_a.region == world.a


def test_an_import_cannot_move_a_member_who_still_holds_a_post(world, posts):
    from zhenxing.people.imports import party_members_import
    from zhenxing.people.models import PartyMember
    from zhenxing.people.tests.helpers import make_xlsx
    from zhenxing.posts.testing import MEMBER_A_MOBILE

    # The office moves 陈甲党员 to 社区乙 in a file, while he holds 甲一片区's post.
    row = ["陈甲党员", MEMBER_A_MOBILE, None, None, posts.org_b.code, world.b.code, None, None]
    result = party_members_import(file=make_xlsx([row]), filename="move.xlsx", actor=world.admin)
    assert not result.ok
    assert [(e.row, e.column.split("/")[0]) for e in result.errors] == [(2, "社区编码")]
    assert "GC01-WS-001" in result.errors[0].message
    assert PartyMember.objects.get(pk=posts.member_a.pk).region == world.a
