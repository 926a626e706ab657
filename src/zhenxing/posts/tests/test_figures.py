"""The figures against hand-built data: two communities, three organisations, two months."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhenxing.cases.models import Source
from zhenxing.cases.services import case_report
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.posts import services
from zhenxing.posts.figures import figures_for, month_period, parse_period, year_period
from zhenxing.posts.models import PlaceKind
from zhenxing.posts.patrols import ProblemFound, patrol_record

pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


@pytest.fixture
def data(world, posts, cats):  # noqa: F811
    """社区甲: org_a (member_a, member_a2) and org_a2 (member_a3); 社区乙: org_b (member_b).

    Claims: member_a holds post_a1 (from Jan 5) and post_a3 (from Feb 1); member_a2
    holds post_a3 from Feb 1 to Mar 15; member_a3 holds post_a1 from Mar 10;
    member_b holds post_b1 from Feb 1 until the post retires on Mar 20.
    post_a2 is never claimed (and was opened today).
    """
    org_a2 = PartyOrganization.objects.create(
        code="P-GC01-2", name="甲第二支部", path="P-GC01-2/", region=world.a
    )
    member_a3 = PartyMember.objects.create(name="林甲三", organization=org_a2, region=world.a)
    post_a3 = services.post_create(
        actor=None,
        code="GC01-WS-002",
        name="甲二片区卫生监督岗",
        post_type=posts.sanitation,
        region=world.area_a2,
        place_kind=PlaceKind.AREA,
        lat=23.005,
        lng=113.115,
        organization=posts.org_a,
    )
    d = datetime.date
    services.claim_start(actor=None, post=post_a3, member=posts.member_a, started_on=d(2026, 2, 1))
    claim_a2 = services.claim_start(
        actor=None, post=post_a3, member=posts.member_a2, started_on=d(2026, 2, 1)
    )
    services.claim_start(
        actor=None, post=posts.post_a1, member=member_a3, started_on=d(2026, 3, 10)
    )

    def patrol(member, post, at, problem=False):
        return patrol_record(
            actor=None,
            member=member,
            post=post,
            at=at,
            problem=ProblemFound(category=cats.garbage, description="垃圾") if problem else None,
        )

    a, a2, b = posts.member_a, posts.member_a2, posts.member_b
    # February
    patrol(a, posts.post_a1, local(2026, 2, 3, 9, 0))
    patrol(a, posts.post_a1, local(2026, 2, 10, 9, 0))
    patrol(a, post_a3, local(2026, 2, 12, 9, 0), problem=True)
    patrol(a2, post_a3, local(2026, 2, 20, 9, 0))
    patrol(b, posts.post_b1, local(2026, 2, 5, 9, 0))
    patrol(b, posts.post_b1, local(2026, 2, 6, 9, 0), problem=True)
    patrol(b, posts.post_b1, local(2026, 2, 28, 23, 50))  # still February in 桂城
    # March
    patrol(a, posts.post_a1, local(2026, 3, 1, 0, 10))  # February in UTC, March here
    patrol(a2, post_a3, local(2026, 3, 14, 9, 0), problem=True)
    patrol(member_a3, posts.post_a1, local(2026, 3, 20, 9, 0))
    # A problem filed by the member from the case form, not on a patrol: counts too.
    case_report(
        actor=world.party_member_a,
        category=cats.garbage,
        source=Source.PARTY_PATROL,
        description="直接上报",
        lat=23.005,
        lng=113.105,
        at=local(2026, 3, 5, 9, 0),
    )
    # Not a party member's problem: never counted.
    case_report(
        actor=None,
        category=cats.garbage,
        source=Source.RESIDENT,
        description="居民",
        lat=23.005,
        lng=113.105,
        at=local(2026, 3, 5, 10, 0),
    )
    services.claim_end(actor=None, claim=claim_a2, ended_on=d(2026, 3, 15), reason="调动")
    services.post_retire(actor=None, post=posts.post_b1, on=d(2026, 3, 20))
    return {"org_a2": org_a2, "member_a3": member_a3, "post_a3": post_a3}


def cells(rows):
    return {r.label: (r.posts, r.holders, r.patrols, r.patrollers, r.problems) for r in rows}


def org_cells(rows):
    return {r.label: (r.holders, r.patrols, r.patrollers, r.problems) for r in rows}


def total(f):
    t = f.total
    return (t.posts, t.holders, t.patrols, t.patrollers, t.problems)


def members(f):
    return {r.member.name: (r.patrols, r.problems) for r in f.members}


def test_february(world, posts, data):
    f = figures_for(world.admin, month_period(2026, 2))
    assert cells(f.communities) == {"社区甲": (2, 2, 4, 2, 1), "社区乙": (1, 1, 3, 1, 1)}
    assert total(f) == (3, 3, 7, 3, 2)
    assert org_cells(f.organizations) == {
        "甲党支部": (2, 4, 2, 1),
        "甲第二支部": (0, 0, 0, 0),
        "乙党支部": (1, 3, 1, 1),
    }
    assert members(f) == {"陈甲党员": (3, 1), "梁甲二": (1, 0), "黄乙党员": (3, 1)}
    assert f.member_count == 3 and not f.members_cut


def test_march(world, posts, data):
    f = figures_for(world.admin, month_period(2026, 3))
    # post_b1 retired on the 20th and member_a2 left on the 15th: not at the month's end.
    assert cells(f.communities) == {"社区甲": (2, 2, 3, 3, 2), "社区乙": (0, 0, 0, 0, 0)}
    assert total(f) == (2, 2, 3, 3, 2)
    assert org_cells(f.organizations) == {
        "甲党支部": (1, 2, 2, 2),
        "甲第二支部": (1, 1, 1, 0),
        "乙党支部": (0, 0, 0, 0),
    }
    assert members(f) == {"陈甲党员": (1, 1), "梁甲二": (1, 1), "林甲三": (1, 0)}


def test_whole_year_counts_to_today(world, posts, data):
    f = figures_for(world.admin, year_period(2026))
    # As on today: post_a2 (opened today) counts, post_b1 (retired) does not.
    assert cells(f.communities)["社区甲"] == (3, 2, 7, 3, 3)
    assert cells(f.communities)["社区乙"] == (0, 0, 3, 1, 1)
    assert total(f) == (3, 2, 10, 4, 4)


def test_scope(world, posts, data):
    f = figures_for(world.outsider, month_period(2026, 2))
    assert cells(f.communities) == {"社区乙": (1, 1, 3, 1, 1)}
    assert total(f) == (1, 1, 3, 1, 1)
    assert org_cells(f.organizations) == {"乙党支部": (1, 3, 1, 1)}
    assert members(f) == {"黄乙党员": (3, 1)}


def test_member_table_is_cut(world, posts, data, monkeypatch):
    from zhenxing.posts import figures

    monkeypatch.setattr(figures, "MEMBER_ROWS_SHOWN", 2)
    f = figures.figures_for(world.admin, month_period(2026, 2))
    assert len(f.members) == 2 and f.member_count == 3 and f.members_cut
    assert "梁甲二" not in members(f)  # the least active


def test_parse_period():
    assert parse_period("2026-02") == month_period(2026, 2)
    assert parse_period("2026") == year_period(2026)
    for bad in ("2026-13", "26-02", "abcd", "", None, "2026-2"):
        assert parse_period(bad) is None


def test_page_and_export(world, posts, data, client, client_for, django_assert_max_num_queries):
    admin = client_for(world.admin)
    with django_assert_max_num_queries(30):
        response = admin.get(reverse("posts:figures") + "?period=2026-02")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="figures-communities"' in body and "黄乙党员" in body
    assert response.context["figures"].total.patrols == 7

    response = admin.get(reverse("posts:figures_export") + "?period=2026-02")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    community, organization, member = (list(s.iter_rows(values_only=True)) for s in book)
    assert community[1:] == [
        ("GC01", "社区甲", 2, 2, 4, 2, 1),
        ("GC02", "社区乙", 1, 1, 3, 1, 1),
        (None, "Total", 3, 3, 7, 3, 2),
    ]
    assert organization[-1] == (None, "Total", 3, 7, 3, 2)
    assert sorted(row[0] for row in member[1:]) == sorted(["陈甲党员", "梁甲二", "黄乙党员"])

    # A bad period is this month, not an error.
    assert admin.get(reverse("posts:figures") + "?period=nonsense").status_code == 200
    assert client_for(world.dept_staff).get(reverse("posts:figures")).status_code == 404
    assert client_for(world.dept_staff).get(reverse("posts:figures_export")).status_code == 404
    outsider = client_for(world.outsider).get(reverse("posts:figures") + "?period=2026-02")
    assert "社区甲" not in outsider.content.decode()
    client.logout()
    assert client.get(reverse("posts:figures")).status_code == 302
