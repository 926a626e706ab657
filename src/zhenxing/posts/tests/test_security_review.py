"""The security review of the posts module: scope, odd input, exports and their audit rows.

Each test here failed before its fix: the post page listed every case linked to
the post, NUL bytes reached PostgreSQL, exports ignored bad filters and wrote
the raw query into the audit row, a member without roster scope could not check
in on their own post, and notes showed the numbers typed into them.
"""

from __future__ import annotations

import contextlib
import datetime
import io
from collections.abc import Iterator

import pytest
from django.db import connection
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from zhenxing.cases.models import Case, Source
from zhenxing.cases.services import case_report
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import RoleAssignment
from zhenxing.posts import services
from zhenxing.posts.models import CaseOrigin, GridAssignment, Patrol, PostCase
from zhenxing.posts.patrols import patrol_record

pytestmark = pytest.mark.django_db

NEIGHBOUR = "13712345678"


@contextlib.contextmanager
def no_nul_sent_to_the_database() -> Iterator[None]:
    """PostgreSQL refuses a NUL byte in a query (a 500); SQLite takes it. So a test on
    SQLite asserts that none was sent, which fails on either database before the fix."""
    sent: list[str] = []

    def watch(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        rows = params if many else [params]
        for row in rows or []:
            values = row.values() if isinstance(row, dict) else row or []
            sent.extend(sql for v in values if isinstance(v, str) and "\x00" in v)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield
    assert not sent, sent


def _case_at(cats, lat: float, lng: float) -> Case:
    return case_report(
        actor=None,
        category=cats.garbage,
        source=Source.RESIDENT,
        description="岗位附近垃圾",
        lat=lat,
        lng=lng,
    )


def _patrol(posts, note: str = "", member=None, post=None) -> Patrol:
    return patrol_record(
        actor=None,
        member=member or posts.member_a,
        post=post or posts.post_a1,
        at=timezone.now() - datetime.timedelta(minutes=5),
        note=note,
    )


# --- #2: the post page lists only the cases the viewer may see, the latest few ------------


def test_the_post_page_lists_visible_cases_only_and_caps_them(
    world, posts, cats, client_for, monkeypatch
):
    from zhenxing.posts.views import posts as views

    mine = [_case_at(cats, 23.005, 113.105) for _ in range(3)]
    # Linked before the fix from a pin in 社区乙: 社区甲's secretary may not see that case.
    elsewhere = _case_at(cats, 23.005, 113.125)
    for case in [*mine, elsewhere]:
        PostCase.objects.create(post=posts.post_a1, case=case, origin=CaseOrigin.RESIDENT)
    monkeypatch.setattr(views, "POST_CASES_SHOWN", 2)
    response = client_for(world.secretary_a).get(reverse("posts:detail", args=[posts.post_a1.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert elsewhere.number not in body
    assert [link.case for link in response.context["cases"]] == [mine[2], mine[1]]
    assert response.context["cases_total"] == 3
    assert "The latest 2 of 3 cases you may see are listed." in body
    # The office sees all four.
    response = client_for(world.admin).get(reverse("posts:detail", args=[posts.post_a1.pk]))
    assert response.context["cases_total"] == 4


# --- #4: odd tokens on the public pages ------------------------------------------------


@pytest.mark.parametrize("token", ["%00", "abc%00", "x" * 17, "a.b", "%E7%94%B2"])
def test_an_odd_token_on_the_public_post_page_is_404(world, posts, client, token):
    with no_nul_sent_to_the_database():
        assert client.get(f"/public/posts/{token}/").status_code == 404
    with pytest.raises(Resolver404):
        resolve(f"/public/posts/{token}/".replace("%00", "\x00"))
    # A real token still resolves.
    assert client.get(f"/public/posts/{posts.post_a1.public_token}/").status_code == 200


def test_the_public_post_view_refuses_an_odd_token_by_itself(
    world, posts, rf, django_assert_num_queries
):
    from django.http import Http404

    from zhenxing.posts.views.public import post_page

    with django_assert_num_queries(0), pytest.raises(Http404):
        post_page(rf.get("/"), "\x00")


# --- #5: exports refuse bad filters and audit the cleaned ones --------------------------


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("posts:export", "community={b}"),
        ("posts:export", "status=%00"),
        ("posts:patrol_export", "community={b}"),
        ("posts:patrol_export", "month=2026-13"),
        ("posts:patrol_export", "member=%00"),
    ],
)
def test_an_export_refuses_filters_it_cannot_read(world, posts, client_for, name, query):
    _patrol(posts)
    query = query.format(b=world.b.pk)
    response = client_for(world.secretary_a).get(f"{reverse(name)}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "The file was not made" in response.content.decode()
    assert not AuditEntry.objects.filter(action__endswith=".export").exists()


def test_exports_audit_the_cleaned_filters(world, posts, client_for):
    _patrol(posts)
    client = client_for(world.secretary_a)
    response = client.get(
        reverse("posts:export"), {"community": world.a.pk, "status": "active", "junk": "\x00"}
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="posts.post.export")
    assert entry.changes["filters"] == {"community": "GC01", "status": "active"}
    assert "\x00" not in entry.summary
    response = client.get(
        reverse("posts:patrol_export"),
        {"community": world.a.pk, "post": posts.post_a1.pk, "junk": "\x00"},
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="posts.patrol.export")
    assert entry.changes["filters"] == {"community": "GC01", "post": str(posts.post_a1.pk)}
    assert entry.changes["rows"] == 1


# --- #6: a NUL in the grid form's area ----------------------------------------------------


def test_a_nul_in_the_grid_area_is_a_400(world, posts, client_for):
    client = client_for(world.secretary_a)
    for area in ("GC01-01-A\x00", "\x00", "甲一片区"):
        with no_nul_sent_to_the_database():
            response = client.post(
                reverse("posts:grid_assign"),
                {
                    "area": area,
                    "member": posts.member_a.pk,
                    "role": "member",
                    "started_on": "2026-03-02",
                },
            )
        assert response.status_code == 400
        assert response.context["form"].errors["area"]
    assert not GridAssignment.objects.exists()


# --- #8: a member checks in on their own posts whatever their roles ---------------------


def test_a_member_without_roster_scope_still_checks_in_on_their_own_post(world, posts, client_for):
    RoleAssignment.objects.filter(user=world.party_member_a).delete()
    client = client_for(world.party_member_a)
    mine = client.get(reverse("posts:mine"))
    url = reverse("posts:patrol_new", args=[posts.post_a1.pk])
    assert url in mine.content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "巡查"})
    assert response.status_code == 302 and response.url == reverse("posts:mine")
    assert Patrol.objects.get().member == posts.member_a
    # Only the holder, only their own active posts: the rest is out of reach.
    assert client.get(reverse("posts:patrol_new", args=[posts.post_a2.pk])).status_code == 404
    assert client.get(reverse("posts:patrol_new", args=[posts.post_b1.pk])).status_code == 404
    services.post_retire(actor=None, post=posts.post_a1)
    assert client.get(url).status_code == 404
    # Someone else holding no claim on it (even with scope) still gets 403.
    assert client_for(world.secretary_a).get(url).status_code == 403


def test_a_member_whose_role_moved_sees_only_their_own_post_to_check_in(world, posts, client_for):
    RoleAssignment.objects.filter(user=world.party_member_a).update(region=world.b)
    client = client_for(world.party_member_a)
    assert client.get(reverse("posts:patrol_new", args=[posts.post_a1.pk])).status_code == 200
    # 社区乙's post is visible to the new role, but not held: 403.
    assert client.get(reverse("posts:patrol_new", args=[posts.post_b1.pk])).status_code == 403


# --- #9: the figures export is audited; notes are masked -----------------------------------


def test_the_figures_export_writes_an_audit_row(world, posts, client_for):
    _patrol(posts)
    period = timezone.localdate().strftime("%Y-%m")
    response = client_for(world.secretary_a).get(
        reverse("posts:figures_export"), {"period": period}
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="posts.figures.export")
    assert entry.actor == world.secretary_a
    assert entry.changes == {"period": period, "members": 1}


def test_numbers_in_a_patrol_note_are_masked_for_readers(world, posts, client_for):
    patrol = _patrol(posts, note=f"邻居电话 {NEIGHBOUR}")
    url = reverse("posts:patrol_detail", args=[patrol.pk])
    # The secretary may see the member's full number: the note stays as typed.
    assert NEIGHBOUR in client_for(world.secretary_a).get(url).content.decode()
    post_page = reverse("posts:detail", args=[posts.post_a1.pk])
    assert NEIGHBOUR in client_for(world.secretary_a).get(post_page).content.decode()
    # The member and the inspector read it masked, on the patrol and on the post's page.
    for reader in (world.party_member_a, world.inspector_a):
        for page in (url, post_page):
            body = client_for(reader).get(page).content.decode()
            assert NEIGHBOUR not in body and "137****5678" in body, page


def test_numbers_in_patrol_notes_are_masked_in_the_export_except_for_the_office(
    world, posts, client_for
):
    _patrol(posts, note=f"邻居电话 {NEIGHBOUR}")

    def note_cells(user):
        response = client_for(user).get(reverse("posts:patrol_export"))
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        return [row[10] for row in rows[1:]]

    assert note_cells(world.secretary_a) == ["邻居电话 137****5678"]
    assert note_cells(world.admin) == [f"邻居电话 {NEIGHBOUR}"]
