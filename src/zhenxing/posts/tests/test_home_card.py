"""The workbench's card for a party member who holds a post."""

import datetime

from django.urls import reverse
from django.utils import timezone

from zhenxing.posts.models import Patrol


def test_a_post_holder_sees_the_card_with_this_months_patrols(world, posts, client_for):
    now = timezone.now()
    for days in (0, 40):  # one this month at most, one long before
        Patrol.objects.create(
            member=posts.member_a,
            post=posts.post_a1,
            region_path=posts.post_a1.region.path,
            at=now - datetime.timedelta(days=days),
        )
    this_month = Patrol.objects.filter(
        member=posts.member_a, at__date__gte=timezone.localdate().replace(day=1)
    ).count()
    html = client_for(world.party_member_a).get(reverse("core:home")).content.decode()
    assert 'id="my-posts"' in html
    assert f'data-patrols="{this_month}"' in html
    assert reverse("posts:mine") in html


def test_no_card_for_those_who_hold_no_post(world, posts, client_for):
    for user in (world.secretary_a, world.inspector_a):
        html = client_for(user).get(reverse("core:home")).content.decode()
        assert 'id="my-posts"' not in html


def test_no_card_once_the_claim_has_ended(world, posts, client_for):
    from zhenxing.posts import services

    services.claim_end(actor=None, claim=posts.claim_a1, reason="搬迁")
    html = client_for(world.party_member_a).get(reverse("core:home")).content.decode()
    assert 'id="my-posts"' not in html
