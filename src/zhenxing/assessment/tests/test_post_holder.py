"""The assessment unit "post holder": party members judged on the cases raised at their posts.

The period is ISO week 2026-W47 (Mon 16 – Sun 22 Nov 2026); the posts world
(posts/testing.py) gives member_a holding post_a1 in 甲一片区 since 5 January,
member_b holding post_b1 in 乙一片区, and member_a2 holding nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenxing.assessment.indicators import compute, unit_for, units_of
from zhenxing.assessment.models import Indicator, UnitKind
from zhenxing.posts import services as post_services
from zhenxing.posts.models import CaseOrigin, PostCase
from zhenxing.posts.testing import build_posts_world

from .conftest import at

NOW = at(25, 10)


@pytest.fixture
def posts(world, frozen):
    return build_posts_world(world)


@pytest.fixture(autouse=True)
def _weights(scheme):
    scheme()


def at_post(case, post, origin=CaseOrigin.PATROL):
    PostCase.objects.create(post=post, case=case, origin=origin)
    return case


def by_key(results):
    return {r.unit.key: r for r in results}


def test_the_units_are_the_members_holding_a_post_today(world, posts):
    units = units_of(UnitKind.POST_HOLDER)
    assert [(u.key, u.name, u.path) for u in units] == [
        (str(posts.member_a.pk), "陈甲党员", world.a.path),
        (str(posts.member_b.pk), "黄乙党员", world.b.path),
    ]
    assert [u.key for u in units_of(UnitKind.POST_HOLDER, [world.a.path])] == [
        str(posts.member_a.pk)
    ]
    assert unit_for(UnitKind.POST_HOLDER, str(posts.member_a.pk)).pk == posts.member_a.pk
    # A member with no post is not a unit; nor is something that is not a member's key.
    assert str(posts.member_a2.pk) not in {u.key for u in units}
    assert unit_for(UnitKind.POST_HOLDER, str(posts.member_a2.pk)) is None
    for key in ("GC01", "-1", "١", "99999999"):
        assert unit_for(UnitKind.POST_HOLDER, key) is None


def test_a_member_whose_claim_ended_is_no_longer_assessed(world, posts):
    post_services.claim_end(
        actor=None, claim=posts.claim_b1, ended_on=datetime.date(2026, 11, 20), reason="搬家"
    )
    assert [u.key for u in units_of(UnitKind.POST_HOLDER)] == [str(posts.member_a.pk)]
    # Their past figures stay explainable.
    assert unit_for(UnitKind.POST_HOLDER, str(posts.member_b.pk)) is not None


def test_closure_rate_of_a_post_holder_reads_the_cases_raised_at_their_post(
    world, posts, make_case, week47
):
    a1 = world.area_a1
    closed = at_post(
        make_case(
            a1,
            reported=at(16, 9),
            dispatched=at(16, 10),
            deadline=at(18),
            rectified=[at(17, 9)],
            closed=at(17),
        ),
        posts.post_a1,
    )
    late = at_post(
        make_case(
            a1,
            reported=at(16, 9),
            dispatched=at(16, 10),
            deadline=at(19),
            rectified=[at(20)],
            closed=at(21),
        ),
        posts.post_a1,
        origin=CaseOrigin.RESIDENT,
    )
    still_open = at_post(
        make_case(a1, reported=at(17, 9), dispatched=at(17, 10), deadline=at(20)),
        posts.post_a1,
    )
    # Due in the week too, in the same area, but not raised at a post: the area's, not hers.
    make_case(a1, reported=at(16, 9), dispatched=at(16, 10), deadline=at(18), closed=at(17))
    # At 社区乙's post: member_b's.
    at_post(
        make_case(
            world.area_b1, reported=at(16), dispatched=at(16, 11), deadline=at(18), closed=at(17)
        ),
        posts.post_b1,
    )

    results = by_key(compute(period=week47, unit_kind=UnitKind.POST_HOLDER, now=NOW))
    mine = results[str(posts.member_a.pk)]
    closure = mine.values[Indicator.CLOSURE_RATE]
    assert (closure.num, closure.den, closure.value) == (2, 3, 0.6667)
    assert sorted(mine.evidence["closure_rate.den"]) == sorted(
        [closed.number, late.number, still_open.number]
    )
    on_time = mine.values[Indicator.ON_TIME_RATE]
    assert (on_time.num, on_time.den) == (1, 3)
    overdue = mine.values[Indicator.OVERDUE_RATE]
    assert (overdue.num, overdue.den) == (1, 1)  # still open, its deadline passed
    # Post holders are not inspected: no inspection score, not even an empty one.
    inspection = mine.values[Indicator.INSPECTION_SCORE]
    assert (inspection.den, inspection.value) == (None, None)
    assert mine.composite is not None

    theirs = results[str(posts.member_b.pk)].values[Indicator.CLOSURE_RATE]
    assert (theirs.num, theirs.den) == (1, 1)
    # The area still counts all four of its cases.
    area = by_key(compute(period=week47, unit_kind=UnitKind.AREA, now=NOW))["GC01-01-A"]
    assert area.values[Indicator.CLOSURE_RATE].den == 4


def test_a_case_counts_for_those_holding_the_post_the_day_it_was_reported(
    world, posts, make_case, week47
):
    # member_a2 joins post_a1 on Wednesday 18 November.
    post_services.claim_start(
        actor=None,
        post=posts.post_a1,
        member=posts.member_a2,
        started_on=datetime.date(2026, 11, 18),
    )
    before = at_post(
        make_case(
            world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(19), closed=at(18)
        ),
        posts.post_a1,
    )
    after = at_post(
        make_case(world.area_a1, reported=at(19), dispatched=at(19, 13), deadline=at(21)),
        posts.post_a1,
    )
    results = by_key(compute(period=week47, unit_kind=UnitKind.POST_HOLDER, now=NOW))
    a = results[str(posts.member_a.pk)]
    a2 = results[str(posts.member_a2.pk)]
    assert sorted(a.evidence["closure_rate.den"]) == sorted([before.number, after.number])
    assert a.values[Indicator.CLOSURE_RATE].value == 0.5
    assert a2.evidence["closure_rate.den"] == [after.number]
    assert a2.values[Indicator.CLOSURE_RATE].value == 0.0


def test_post_holders_are_never_held_back_for_want_of_an_inspection(
    world, posts, make_case, week47
):
    from zhenxing.assessment.models import Scheme

    Scheme.objects.filter(is_active=True).update(
        inspection_required_to_rank=True, min_cases_to_rank=1
    )
    at_post(
        make_case(
            world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(18), closed=at(17)
        ),
        posts.post_a1,
    )
    results = by_key(compute(period=week47, unit_kind=UnitKind.POST_HOLDER, now=NOW))
    mine = results[str(posts.member_a.pk)]
    assert mine.shortfall == [] and mine.rank == 1
    # member_b has no case at all: below the minimum of cases, not for want of an inspection.
    assert results[str(posts.member_b.pk)].shortfall == ["few_cases"]


def test_post_holders_compute_in_a_bounded_number_of_queries(
    world, posts, make_case, week47, django_assert_max_num_queries
):
    def one_case(area, post):
        at_post(
            make_case(area, reported=at(16), dispatched=at(16, 13), deadline=at(18), closed=at(17)),
            post,
        )

    one_case(world.area_a1, posts.post_a1)
    with CaptureQueriesContext(connection) as few, django_assert_max_num_queries(8):
        compute(period=week47, unit_kind=UnitKind.POST_HOLDER, now=NOW)
    for n in range(5):
        member = type(posts.member_a2).objects.create(
            name=f"党员{n}", organization=posts.org_a, region=world.a
        )
        post_services.claim_start(
            actor=None, post=posts.post_a1, member=member, started_on=datetime.date(2026, 11, 1)
        )
        one_case(world.area_a1, posts.post_a1)
    with CaptureQueriesContext(connection) as many:
        results = compute(period=week47, unit_kind=UnitKind.POST_HOLDER, now=NOW)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(results) == 7


def test_the_ranking_and_explain_pages_show_post_holders(
    world, posts, make_case, week47, client_for
):
    from urllib.parse import urlencode

    from django.urls import reverse

    case = at_post(
        make_case(
            world.area_a1, reported=at(16), dispatched=at(16, 13), deadline=at(18), closed=at(17)
        ),
        posts.post_a1,
    )
    query = urlencode({"unit_kind": "post_holder", "period_kind": "week", "period": "2026-11-16"})
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client_for(world.admin).get(f"{reverse('assessment:ranking')}?{query}", **en)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Post holder" in page and "陈甲党员" in page and "黄乙党员" in page
    assert "梁甲二" not in page  # holds no post
    # The community filter narrows post holders to that community's members.
    narrowed = client_for(world.admin).get(
        f"{reverse('assessment:ranking')}?{query}&{urlencode({'community': world.b.code})}", **en
    )
    assert "黄乙党员" in narrowed.content.decode()
    assert "陈甲党员" not in narrowed.content.decode()

    def explain(user, member):
        path = reverse("assessment:explain", args=["post_holder", str(member.pk)])
        return client_for(user).get(f"{path}?period={week47.pk}", **en)

    response = explain(world.admin, posts.member_a)
    assert response.status_code == 200 and case.number in response.content.decode()
    assert explain(world.secretary_a, posts.member_a).status_code == 200
    # 社区乙's secretary does not see 社区甲's members; a member without a post is no unit.
    assert explain(world.outsider, posts.member_a).status_code == 404
    assert explain(world.admin, posts.member_a2).status_code == 404


def test_post_holders_are_ranked_only_for_who_reads_their_roster(world, posts, week47, client_for):
    """Post holders are party members by name: the roster's rule, not the case scope."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from zhenxing.core.models import AuditEntry

    query = urlencode({"unit_kind": "post_holder", "period_kind": "week", "period": "2026-11-16"})
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    ranking = f"{reverse('assessment:ranking')}?{query}"
    export = f"{reverse('assessment:ranking_export')}?{query}"

    def explain(user, member):
        path = reverse("assessment:explain", args=["post_holder", str(member.pk)])
        return client_for(user).get(f"{path}?period={week47.pk}", **en)

    # 社区乙's secretary sees 社区乙's holder only, in the page and in the file.
    page = client_for(world.outsider).get(ranking, **en)
    assert page.status_code == 200
    assert "黄乙党员" in page.content.decode() and "陈甲党员" not in page.content.decode()
    exported = client_for(world.outsider).get(export, **en)
    assert exported.status_code == 200
    assert (
        AuditEntry.objects.filter(action="assessment.ranking_export").latest("pk").changes["rows"]
        == 1
    )
    assert explain(world.outsider, posts.member_b).status_code == 200
    assert explain(world.outsider, posts.member_a).status_code == 404
    # Department staff read no roster: the whole kind is 404, other kinds stay open.
    for user in (world.dept_staff, world.nobody):
        assert client_for(user).get(ranking, **en).status_code == 404
        assert client_for(user).get(export, **en).status_code == 404
        assert explain(user, posts.member_a).status_code == 404
    other = ranking.replace("post_holder", "community")
    response = client_for(world.dept_staff).get(other, **en)
    assert response.status_code == 200
    assert 'value="post_holder"' not in response.content.decode()  # not even offered
    assert 'value="post_holder"' in client_for(world.admin).get(other, **en).content.decode()
    # The office still sees everyone.
    everyone = client_for(world.admin).get(ranking, **en).content.decode()
    assert "黄乙党员" in everyone and "陈甲党员" in everyone
