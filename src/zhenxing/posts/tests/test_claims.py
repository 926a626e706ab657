"""Claims and their history: the services' rules and the claim pages (add, end, retire)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.posts import services
from zhenxing.posts.models import Post, PostClaim

D = datetime.date


# --- the services ------------------------------------------------------------------


def test_claim_end_and_claim_again_keeps_both_rows_newest_first(world, posts):
    services.claim_end(
        actor=world.secretary_a, claim=posts.claim_a1, ended_on=D(2026, 3, 1), reason="外出务工"
    )
    again = services.claim_start(
        actor=world.secretary_a, post=posts.post_a1, member=posts.member_a, started_on=D(2026, 6, 1)
    )
    rows = list(PostClaim.objects.filter(post=posts.post_a1, member=posts.member_a))
    assert [c.pk for c in rows] == [again.pk, posts.claim_a1.pk]
    assert rows[1].ended_on == D(2026, 3, 1) and rows[1].end_reason == "外出务工"
    assert rows[0].is_open


def test_an_overlapping_reclaim_is_refused(world, posts):
    services.claim_end(
        actor=world.secretary_a, claim=posts.claim_a1, ended_on=D(2026, 3, 1), reason="调整"
    )
    with pytest.raises(services.PostError, match="overlap"):
        services.claim_start(
            actor=world.secretary_a,
            post=posts.post_a1,
            member=posts.member_a,
            started_on=D(2026, 2, 1),
        )
    assert PostClaim.objects.filter(post=posts.post_a1).count() == 1


def test_holding_a_post_twice_is_refused(world, posts):
    with pytest.raises(services.PostError):
        services.claim_start(actor=world.secretary_a, post=posts.post_a1, member=posts.member_a)


def test_retiring_ends_open_claims_with_date_and_reason(world, posts):
    services.claim_start(
        actor=world.secretary_a,
        post=posts.post_a1,
        member=posts.member_a2,
        started_on=D(2026, 2, 1),
    )
    services.post_retire(
        actor=world.secretary_a, post=posts.post_a1, on=D(2026, 10, 1), reason="片区合并"
    )
    claims = PostClaim.objects.filter(post=posts.post_a1)
    assert claims.count() == 2
    assert {(c.ended_on, c.end_reason) for c in claims} == {(D(2026, 10, 1), "片区合并")}
    post = Post.objects.get(pk=posts.post_a1.pk)
    assert not post.is_active and post.retired_on == D(2026, 10, 1)


def test_a_retired_post_cannot_be_claimed(world, posts):
    services.post_retire(actor=world.secretary_a, post=posts.post_a2, reason="整治完成")
    with pytest.raises(services.PostError, match="retired"):
        services.claim_start(actor=world.secretary_a, post=posts.post_a2, member=posts.member_a2)
    assert not PostClaim.objects.filter(post=posts.post_a2).exists()


# --- the claim pages ------------------------------------------------------------------


def test_secretary_adds_a_holder_and_the_history_shows_it(client_for, world, posts):
    client = client_for(world.secretary_a)
    url = reverse("posts:claim_add", args=[posts.post_a1.pk])
    page = client.get(url)
    assert page.status_code == 200
    choices = [m.pk for m in page.context["form"].fields["member"].queryset]
    # member_a holds it already; member_b belongs to 社区乙.
    assert choices == [posts.member_a2.pk]
    response = client.post(url, {"member": posts.member_a2.pk, "started_on": "2026-11-01"})
    assert response.status_code == 302
    claim = PostClaim.objects.get(post=posts.post_a1, member=posts.member_a2)
    assert claim.started_on == D(2026, 11, 1) and claim.created_by == world.secretary_a
    assert AuditEntry.objects.filter(action="posts.claim.start", object_id=str(claim.pk)).exists()
    detail = client.get(reverse("posts:detail", args=[posts.post_a1.pk]))
    assert [c.pk for c in detail.context["claims"]] == [claim.pk, posts.claim_a1.pk]


def test_a_member_of_another_community_is_refused_on_the_page(client_for, world, posts):
    client = client_for(world.admin)
    response = client.post(
        reverse("posts:claim_add", args=[posts.post_a1.pk]),
        {"member": posts.member_b.pk, "started_on": "2026-11-01"},
    )
    assert response.status_code == 400
    assert "member" in response.context["form"].errors
    assert not PostClaim.objects.filter(member=posts.member_b, post=posts.post_a1).exists()


def test_a_future_claim_date_is_a_400(client_for, world, posts):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(world.secretary_a).post(
        reverse("posts:claim_add", args=[posts.post_a1.pk]),
        {"member": posts.member_a2.pk, "started_on": tomorrow.isoformat()},
    )
    assert response.status_code == 400
    assert not PostClaim.objects.filter(member=posts.member_a2).exists()


def test_ending_a_claim_needs_a_reason_and_keeps_the_row(client_for, world, posts):
    client = client_for(world.secretary_a)
    url = reverse("posts:claim_end", args=[posts.claim_a1.pk])
    assert client.get(url).status_code == 200
    missing = client.post(url, {"ended_on": "2026-11-20", "reason": ""})
    assert missing.status_code == 400
    assert PostClaim.objects.get(pk=posts.claim_a1.pk).is_open
    before_start = client.post(url, {"ended_on": "2025-12-01", "reason": "调整"})
    assert before_start.status_code == 400
    assert before_start.context["form"].non_field_errors()
    done = client.post(url, {"ended_on": "2026-11-20", "reason": "搬离社区"})
    assert done.status_code == 302
    claim = PostClaim.objects.get(pk=posts.claim_a1.pk)
    assert claim.ended_on == D(2026, 11, 20) and claim.end_reason == "搬离社区"
    detail = client.get(reverse("posts:detail", args=[posts.post_a1.pk]))
    assert detail.context["current"] == []
    assert "搬离社区" in detail.content.decode()


def test_retire_page_says_what_happens_and_retires(client_for, world, posts):
    client = client_for(world.secretary_a)
    url = reverse("posts:retire", args=[posts.post_a1.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["open_claims"] == 1
    response = client.post(url, {"retired_on": "2026-11-27", "reason": "片区调整"})
    assert response.status_code == 302
    claim = PostClaim.objects.get(pk=posts.claim_a1.pk)
    assert claim.ended_on == D(2026, 11, 27) and claim.end_reason == "片区调整"
    again = client.post(url, {"retired_on": "2026-11-27", "reason": ""})
    assert again.status_code == 400


def test_retiring_before_a_claim_started_is_refused(client_for, world, posts):
    response = client_for(world.secretary_a).post(
        reverse("posts:retire", args=[posts.post_a1.pk]),
        {"retired_on": "2025-12-01", "reason": ""},
    )
    assert response.status_code == 400
    assert Post.objects.get(pk=posts.post_a1.pk).is_active


@pytest.mark.parametrize("user", ["party_member_a", "inspector_a"])
def test_read_only_viewers_get_403_on_claim_writes(client_for, world, posts, user):
    client = client_for(getattr(world, user))
    add = reverse("posts:claim_add", args=[posts.post_a1.pk])
    end = reverse("posts:claim_end", args=[posts.claim_a1.pk])
    assert client.get(add).status_code == 403
    assert (
        client.post(add, {"member": posts.member_a2.pk, "started_on": "2026-11-01"}).status_code
        == 403
    )
    assert client.post(end, {"ended_on": "2026-11-01", "reason": "x"}).status_code == 403
    assert PostClaim.objects.get(pk=posts.claim_a1.pk).is_open
    assert not PostClaim.objects.filter(member=posts.member_a2).exists()


def test_outsider_gets_404_on_claims_of_another_community(client_for, world, posts):
    client = client_for(world.outsider)
    assert client.get(reverse("posts:claim_add", args=[posts.post_a1.pk])).status_code == 404
    assert client.get(reverse("posts:claim_end", args=[posts.claim_a1.pk])).status_code == 404
    response = client.post(
        reverse("posts:claim_end", args=[posts.claim_a1.pk]),
        {"ended_on": "2026-11-01", "reason": "x"},
    )
    assert response.status_code == 404
    assert PostClaim.objects.get(pk=posts.claim_a1.pk).is_open


def test_anonymous_and_wrong_methods_on_claim_pages(client, client_for, world, posts):
    for url in (
        reverse("posts:claim_add", args=[posts.post_a1.pk]),
        reverse("posts:claim_end", args=[posts.claim_a1.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    admin = client_for(world.admin)
    assert admin.put(reverse("posts:claim_add", args=[posts.post_a1.pk])).status_code == 405
    assert admin.delete(reverse("posts:claim_end", args=[posts.claim_a1.pk])).status_code == 405
