"""Shared test data for the posts app: party organisations, members and posts on `world`.

社区甲 GC01: 甲党支部 — member_a (the login world.party_member_a), member_a2 (no login)
             post_a1 卫生监督 in 甲一片区 (GC01-01-A), held by member_a since 2026-01-05
             post_a2 河涌保洁 on a river section in 社区甲, not claimed
社区乙 GC02: 乙党支部 — member_b (no login)
             post_b1 卫生监督 in 乙一片区 (GC02-01-A), held by member_b since 2026-02-01
"""

from __future__ import annotations

import datetime
import importlib
from types import SimpleNamespace
from typing import Any

from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.posts import services
from zhenxing.posts.models import PlaceKind, PostType

MEMBER_A_MOBILE = "13900000011"
MEMBER_A2_MOBILE = "13900000012"
MEMBER_B_MOBILE = "13900000021"


def ensure_standard_post_types() -> None:
    """The post types migration 0002 seeds: a transactional (browser) test flushes them."""
    from django.apps import apps

    seed = importlib.import_module("zhenxing.posts.migrations.0002_standard_post_types")
    seed.add_types(apps, None)


def build_posts_world(world: Any) -> SimpleNamespace:
    ensure_standard_post_types()
    org_a = PartyOrganization.objects.create(
        code="P-GC01-1", name="甲党支部", path="P-GC01-1/", region=world.a
    )
    org_b = PartyOrganization.objects.create(
        code="P-GC02-1", name="乙党支部", path="P-GC02-1/", region=world.b
    )
    member_a = PartyMember.objects.create(
        name="陈甲党员",
        mobile=MEMBER_A_MOBILE,
        organization=org_a,
        region=world.a,
        user=world.party_member_a,
    )
    member_a2 = PartyMember.objects.create(
        name="梁甲二", mobile=MEMBER_A2_MOBILE, organization=org_a, region=world.a
    )
    member_b = PartyMember.objects.create(
        name="黄乙党员", mobile=MEMBER_B_MOBILE, organization=org_b, region=world.b
    )
    sanitation = PostType.objects.get(code="sanitation")
    river = PostType.objects.get(code="river")
    post_a1 = services.post_create(
        actor=None,
        code="GC01-WS-001",
        name="甲一片区卫生监督岗",
        post_type=sanitation,
        region=world.area_a1,
        place_kind=PlaceKind.AREA,
        place_name="甲一片区",
        lat=23.005,
        lng=113.105,
        organization=org_a,
    )
    post_a2 = services.post_create(
        actor=None,
        code="GC01-HY-001",
        name="甲涌保洁岗",
        post_type=river,
        region=world.a,
        place_kind=PlaceKind.RIVER,
        place_name="甲涌（一桥至二桥段）",
        organization=org_a,
    )
    post_b1 = services.post_create(
        actor=None,
        code="GC02-WS-001",
        name="乙一片区卫生监督岗",
        post_type=sanitation,
        region=world.area_b1,
        place_kind=PlaceKind.AREA,
        lat=23.005,
        lng=113.125,
        organization=org_b,
    )
    claim_a1 = services.claim_start(
        actor=None, post=post_a1, member=member_a, started_on=datetime.date(2026, 1, 5)
    )
    claim_b1 = services.claim_start(
        actor=None, post=post_b1, member=member_b, started_on=datetime.date(2026, 2, 1)
    )
    return SimpleNamespace(
        org_a=org_a,
        org_b=org_b,
        member_a=member_a,
        member_a2=member_a2,
        member_b=member_b,
        sanitation=sanitation,
        river=river,
        post_a1=post_a1,
        post_a2=post_a2,
        post_b1=post_b1,
        claim_a1=claim_a1,
        claim_b1=claim_b1,
    )
