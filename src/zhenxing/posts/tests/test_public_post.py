"""The post's public page (from the sign's QR code): what it shows, what it never shows."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.privacy import mask_mobile
from zhenxing.posts import services
from zhenxing.posts.models import Patrol
from zhenxing.posts.testing import MEMBER_A2_MOBILE, MEMBER_A_MOBILE

LANGUAGES = ("zh-hans", "en")


def page_url(post) -> str:
    return reverse("posts_public:post", args=[post.public_token])


def patrol(post, member, days_ago: float) -> Patrol:
    return Patrol.objects.create(
        member=member,
        post=post,
        region_path=post.region.path,
        organization=member.organization,
        at=timezone.now() - datetime.timedelta(days=days_ago),
        note="巡查发现梁某某家门口有垃圾",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_shows_the_post_and_masked_holders(world, posts, client, language):
    post = posts.post_a1
    response = client.get(page_url(post), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert post.name in html and post.code in html
    for line in post.duties.splitlines():
        assert line.strip() in html
    assert "卫生监督" in html and "甲党支部" in html and "社区甲" in html and "甲一片区" in html
    assert "陈甲党员" in html
    assert mask_mobile(MEMBER_A_MOBILE) in html
    assert MEMBER_A_MOBILE not in html
    assert f'<meta property="og:title" content="{post.name}">' in html
    assert f'lang="{language}"' in html
    # The language switch, as on the board.
    assert reverse("set_language") in html


def test_only_todays_holders_are_shown(world, posts, client):
    post = posts.post_a1
    claim = services.claim_start(
        actor=None, post=post, member=posts.member_a2, started_on=datetime.date(2026, 1, 6)
    )
    html = client.get(page_url(post)).content.decode()
    assert "梁甲二" in html and mask_mobile(MEMBER_A2_MOBILE) in html
    services.claim_end(actor=None, claim=claim, reason="调离")
    html = client.get(page_url(post)).content.decode()
    assert "梁甲二" not in html and mask_mobile(MEMBER_A2_MOBILE) not in html
    assert "陈甲党员" in html


def test_the_page_counts_patrols_of_the_last_30_days_only(world, posts, client):
    post = posts.post_a1
    for days_ago in (1, 5, 29.5, 31, 60):
        patrol(post, posts.member_a, days_ago)
    patrol(posts.post_b1, posts.member_b, 2)  # another post's patrol
    html = client.get(page_url(post), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    counted = re.search(r'id="post-patrols">([^<]*)<', html).group(1)
    assert counted.strip() == "Patrols in the last 30 days: 3"
    # A count only: nothing the patrol recorded.
    assert "梁某某" not in html


def test_the_report_button_carries_the_post(world, posts, client):
    post = posts.post_a1
    html = client.get(page_url(post), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    button = re.search(r'<a[^>]*id="report-here"[^>]*>', html).group(0)
    assert f'href="{reverse("public:report")}?post={post.public_token}"' in button
    assert "Report a problem here" in html


def test_an_unknown_token_is_not_there(world, posts, client):
    assert client.get(reverse("posts_public:post", args=["nosuchtoken"])).status_code == 404
    token = posts.post_a1.public_token
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert client.get(reverse("posts_public:post", args=[altered])).status_code == 404


def test_a_retired_post_says_so_without_holders(world, posts, client):
    post = posts.post_a1
    services.post_retire(actor=None, post=post, on=datetime.date(2026, 3, 1))
    response = client.get(page_url(post), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="post-retired"' in html and "retired" in html
    assert post.name in html
    assert "陈甲党员" not in html and mask_mobile(MEMBER_A_MOBILE) not in html
    assert 'id="report-here"' not in html
    assert f"?post={post.public_token}" not in html


def test_no_staff_data_and_no_login_needed(world, posts, client):
    # The post was opened by an officer, the claim recorded by one: neither shows.
    world.secretary_a.display_name = "书记甲某"
    world.secretary_a.save()
    post = services.post_create(
        actor=world.secretary_a,
        code="GC01-WS-009",
        name="甲二片区卫生监督岗",
        post_type=posts.sanitation,
        region=world.area_a2,
        organization=posts.org_a,
    )
    services.claim_start(actor=world.secretary_a, post=post, member=posts.member_a2)
    html = client.get(page_url(post)).content.decode()
    assert "梁甲二" in html
    for secret in (world.secretary_a.username, "书记甲某", MEMBER_A2_MOBILE):
        assert secret not in html
    # The login linked to the member is not named either.
    assert world.party_member_a.username not in client.get(page_url(posts.post_a1)).content.decode()


def test_cache_headers_and_methods(world, posts, client):
    response = client.get(page_url(posts.post_a1))
    cache = response["Cache-Control"]
    assert "private" in cache and "max-age=60" in cache
    assert client.head(page_url(posts.post_a1)).status_code == 200
    assert client.post(page_url(posts.post_a1)).status_code == 405


def test_the_page_is_the_same_for_staff_and_outsiders(world, posts, client_for):
    # Public: whoever is logged in sees the same page (no staff extras, no 404 by scope).
    html = client_for(world.outsider).get(page_url(posts.post_a1)).content.decode()
    assert posts.post_a1.name in html and MEMBER_A_MOBILE not in html
