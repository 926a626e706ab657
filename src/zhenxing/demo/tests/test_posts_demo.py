"""The demo's responsibility posts, claims, red grid and patrol logs (demo/posts.py).

To stay cheap, the class fixture loads only what the posts stand on — the
territory, the party, the accounts and a small set of cases — then the
posts, once, inside a transaction rolled back at the end, on a Wednesday
morning in late November 2026.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.prepared import prep

from zhenxing.cases.models import Case, Source
from zhenxing.demo import cases as demo_cases
from zhenxing.demo import data
from zhenxing.demo.generator import plan_copy
from zhenxing.demo.guicheng import _ensure_accounts, _ensure_departments, demo_counts
from zhenxing.demo.persist import write_members, write_orgs, write_regions, write_teams
from zhenxing.demo.posts import load_posts, patrol_window
from zhenxing.people.models import PartyMember
from zhenxing.posts.models import (
    GridAssignment,
    GridRole,
    Patrol,
    Post,
    PostCase,
    PostClaim,
    PostType,
)
from zhenxing.territory.models import Region

NOW = datetime.datetime(2026, 11, 25, 2, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 25)
CODE = re.compile(r"^GC\d\d-(WS|HY|WW|LH|MQ)-\d{3}$")


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
        time_machine.travel(NOW, tick=False),
    ):
        patch.setattr(demo_cases, "CASES_PER_COPY", 150)
        try:
            plan = plan_copy(1)
            write_regions(plan.regions)
            _ensure_departments()
            write_orgs(plan.orgs)
            write_members(plan.members)
            write_teams(plan.teams)
            _ensure_accounts(plan, "demo-pass-1")
            demo_cases.load_cases()  # its pictures are written on commit: never, here
            first = load_posts()
            rows = {
                m: m.objects.count() for m in (Post, PostClaim, GridAssignment, Patrol, PostCase)
            }
            second = load_posts()
            yield SimpleNamespace(
                first=first,
                second=second,
                rows=rows,
                counts=demo_counts(),
            )
        finally:
            transaction.set_rollback(True)


def open_on(claim: PostClaim, day: datetime.date) -> bool:
    return claim.started_on <= day and (claim.ended_on is None or day <= claim.ended_on)


class TestTheDemoPosts:
    def test_584_posts_in_the_areas_of_the_rural_communities(self, demo, db):
        posts = list(Post.objects.select_related("region", "post_type", "organization"))
        assert len(posts) == 584 == demo.first["posts"]
        assert len({p.code for p in posts}) == 584
        communities = {r.path: r for r in Region.objects.filter(path__startswith="GC/", depth=2)}
        assert len({p.region.path[: len("GC/GC01/")] for p in posts}) == 22
        for post in posts:
            assert CODE.match(post.code), post.code
            assert post.region.depth == 4 and post.code.startswith(post.region.path.split("/")[1])
            # Its point lies in its own area.
            assert shape(post.region.geometry).contains(Point(post.lng, post.lat)), post.code
            assert post.duties == post.post_type.duties and post.public_token
            # Its party organisation is a branch of its community.
            community = communities[post.region.path[: len("GC/GC01/")]]
            assert post.organization.kind == "branch"
            assert post.organization.region_id == community.pk
        kinds = Counter(p.post_type.code for p in posts)
        assert set(kinds) == {"sanitation", "river", "relic", "greening", "frontage"}
        assert kinds["sanitation"] + kinds["frontage"] > 584 / 2
        assert kinds["relic"] < kinds["river"] < kinds["sanitation"]
        areas = set(
            Region.objects.filter(path__startswith="GC/", depth=4).values_list("pk", flat=True)
        )
        assert {p.region_id for p in posts} == areas  # every area has a post
        # The types point to the demo's case categories.
        categories = dict(PostType.objects.values_list("code", "category__code"))
        assert categories["sanitation"] == "HJ01" and categories["river"] == "HC01"

    def test_1701_members_each_holding_one_post_today(self, demo, db):
        members = set(
            PartyMember.objects.filter(region__path__startswith="GC/").values_list("pk", flat=True)
        )
        assert len(members) == data.PARTY_MEMBERS_TOTAL
        open_claims = list(
            PostClaim.objects.filter(ended_on__isnull=True).select_related("post", "member__region")
        )
        holders = Counter(c.member_id for c in open_claims)
        assert set(holders) == members and set(holders.values()) == {1}
        per_post = Counter(c.post_id for c in open_claims)
        assert len(per_post) == 584 and set(per_post.values()) <= {2, 3}
        for claim in open_claims:
            assert claim.post.region.path.startswith(claim.member.region.path)
            assert datetime.date(2026, 1, 5) <= claim.started_on <= TODAY
        assert demo.counts["责任岗"] == 584 and demo.counts["认岗党员"] == 1701
        # 文翰's retired volunteer (the demo's party login) holds a post in his community.
        named = PartyMember.objects.get(name=data.NAMED_MEMBER_NAME, user__username="party")
        (his,) = [c for c in open_claims if c.member_id == named.pk]
        assert his.post.region.path.startswith(named.region.path)

    def test_a_few_dozen_ended_claims_replaced_by_later_ones(self, demo, db):
        ended = list(PostClaim.objects.filter(ended_on__isnull=False))
        assert 20 <= len(ended) <= 60
        for claim in ended:
            assert claim.end_reason and claim.started_on <= claim.ended_on < TODAY
            # The member moved to another post of the community, the day after.
            now_on = PostClaim.objects.get(member_id=claim.member_id, ended_on__isnull=True)
            assert now_on.post_id != claim.post_id
            assert now_on.started_on == claim.ended_on + datetime.timedelta(days=1)
            # Someone holding the old post today came in after the member left.
            assert PostClaim.objects.filter(
                post_id=claim.post_id, ended_on__isnull=True, started_on__gt=claim.ended_on
            ).exists()

    def test_every_area_has_a_red_grid_leader_and_members(self, demo, db):
        rows = list(GridAssignment.objects.select_related("member__region", "area"))
        by_area = defaultdict(Counter)
        for row in rows:
            by_area[row.area_id][row.role] += 1
            assert row.ended_on is None and row.area.depth == 4
            assert row.area.path.startswith(row.member.region.path)
        areas = set(
            Region.objects.filter(path__startswith="GC/", depth=4).values_list("pk", flat=True)
        )
        assert set(by_area) == areas
        for roles in by_area.values():
            assert roles[GridRole.LEADER] == 1 and 1 <= roles[GridRole.MEMBER] <= 3
        # Every grid member holds a post.
        holders = set(
            PostClaim.objects.filter(ended_on__isnull=True).values_list("member_id", flat=True)
        )
        assert {r.member_id for r in rows} <= holders
        assert demo.counts["红色网格"] == len(rows)

    def test_patrols_only_by_members_on_posts_they_held_that_day(self, demo, db):
        claims = defaultdict(list)
        for claim in PostClaim.objects.all():
            claims[(claim.member_id, claim.post_id)].append(claim)
        posts = {p.pk: p for p in Post.objects.select_related("region")}
        first, last = patrol_window(TODAY)
        assert (first, last) == (datetime.date(2026, 6, 1), datetime.date(2026, 11, 24))
        per_month = Counter()
        patrols = list(Patrol.objects.all())
        found = set(PostCase.objects.values_list("patrol_id", flat=True))
        shapes = {pk: prep(shape(p.region.geometry)) for pk, p in posts.items()}
        assert len(patrols) == demo.counts["巡查人次"] == demo.first["patrols"]
        for patrol in patrols:
            day = timezone.localtime(patrol.at).date()
            assert first <= day <= TODAY
            assert any(open_on(c, day) for c in claims[(patrol.member_id, patrol.post_id)])
            assert patrol.region_path == posts[patrol.post_id].region.path
            assert patrol.note and patrol.lat is not None
            if patrol.pk not in found:
                # Checked in at the post, a few metres off (where the problem was, if one was).
                assert shapes[patrol.post_id].contains(Point(patrol.lng, patrol.lat))
            per_month[(patrol.member_id, day.month)] += 1
        # 2–6 a month (a link to a case found on patrol may add one).
        assert max(per_month.values()) <= 7
        members = {m for m, _month in per_month}
        assert len(members) == 1701
        assert 1701 * 5 * 2 < len(patrols) < 1701 * 6 * 6

    def test_cases_found_on_patrol_are_linked_to_their_patrol_and_post(self, demo, db):
        since = timezone.make_aware(datetime.datetime(2026, 6, 1))
        expected = set(
            Case.objects.filter(source=Source.PARTY_PATROL, reported_at__gte=since).values_list(
                "pk", flat=True
            )
        )
        links = list(PostCase.objects.select_related("patrol", "case"))
        assert expected and {link.case_id for link in links} == expected
        for link in links:
            assert link.origin == "patrol" and link.patrol.post_id == link.post_id
            assert link.patrol.at <= link.case.reported_at
            assert (link.patrol.lat, link.patrol.lng) == (link.case.lat, link.case.lng)

    def test_a_second_load_adds_nothing(self, demo, db):
        assert set(demo.second.values()) == {0}
        for model, count in demo.rows.items():
            assert model.objects.count() == count, model.__name__
