import datetime

import pytest

from zhenxing.posts import services
from zhenxing.posts.models import PostClaim
from zhenxing.posts.permissions import can_patrol, posts_visible_to


def test_fixture_world_builds_and_scopes(world, posts):
    assert set(posts_visible_to(world.secretary_a)) == {posts.post_a1, posts.post_a2}
    assert set(posts_visible_to(world.outsider)) == {posts.post_b1}
    assert not posts_visible_to(world.dept_staff).exists()
    assert can_patrol(world.party_member_a, posts.post_a1)
    assert not can_patrol(world.party_member_a, posts.post_a2)


def test_a_member_of_another_community_cannot_claim(world, posts):
    with pytest.raises(services.PostError):
        services.claim_start(actor=world.admin, post=posts.post_a1, member=posts.member_b)
    assert not PostClaim.objects.filter(member=posts.member_b, post=posts.post_a1).exists()


def test_ending_a_claim_keeps_it_as_history(world, posts):
    services.claim_end(
        actor=world.secretary_a,
        claim=posts.claim_a1,
        ended_on=datetime.date(2026, 3, 1),
        reason="搬迁",
    )
    claim = PostClaim.objects.get(pk=posts.claim_a1.pk)
    assert claim.ended_on == datetime.date(2026, 3, 1)
    assert not can_patrol(world.party_member_a, posts.post_a1)
