"""Who may see and change posts, claims, patrols and the red grid (ARCHITECTURE.md habit 3).

Posts are party records of a community, so they follow the party rosters'
rules (`people.permissions`): whoever reads a community's party members
reads its posts, patrols and red grid; office admins and the community's
secretary change them; department staff see none. A party member with a
login checks in only on the posts they hold today.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.models import PartyMember
from zhenxing.people.permissions import (
    can_manage_members_in,
    may_manage_members,
    roster_paths,
    sees_rosters,
)
from zhenxing.people.scopes import ALL
from zhenxing.posts.models import GridAssignment, Patrol, PatrolPhoto, Post, PostClaim
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q


def _in_roster_scope(user: Any, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
    paths = roster_paths(user)
    if paths is ALL:
        return queryset
    return queryset.filter(path_prefix_q(paths, field))


# --- visible querysets -------------------------------------------------------


def posts_visible_to(user: Any) -> QuerySet[Post]:
    return _in_roster_scope(user, Post.objects.all(), "region__path")


def claims_visible_to(user: Any) -> QuerySet[PostClaim]:
    return _in_roster_scope(user, PostClaim.objects.all(), "post__region__path")


def patrols_visible_to(user: Any) -> QuerySet[Patrol]:
    return _in_roster_scope(user, Patrol.objects.all(), "region_path")


def patrol_photos_visible_to(user: Any) -> QuerySet[PatrolPhoto]:
    return PatrolPhoto.objects.filter(patrol__in=patrols_visible_to(user).values("pk"))


def grid_assignments_visible_to(user: Any) -> QuerySet[GridAssignment]:
    return _in_roster_scope(user, GridAssignment.objects.all(), "area__path")


def get_post_for_user(user: Any, pk: Any) -> Post:
    return get_visible_or_404(
        lambda u: posts_visible_to(u).select_related("post_type", "region", "organization"),
        user,
        pk=pk,
    )


def get_claim_for_user(user: Any, pk: Any) -> PostClaim:
    return get_visible_or_404(
        lambda u: claims_visible_to(u).select_related("post", "post__region", "member"),
        user,
        pk=pk,
    )


def get_patrol_for_user(user: Any, pk: Any) -> Patrol:
    return get_visible_or_404(
        lambda u: patrols_visible_to(u).select_related("post", "member", "organization"),
        user,
        pk=pk,
    )


def get_grid_assignment_for_user(user: Any, pk: Any) -> GridAssignment:
    return get_visible_or_404(
        lambda u: grid_assignments_visible_to(u).select_related("area", "member"),
        user,
        pk=pk,
    )


# --- the member behind a login -------------------------------------------------


def member_of(user: Any) -> PartyMember | None:
    """The party member record linked to this login, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.party_member  # type: ignore[no-any-return]
    except PartyMember.DoesNotExist:
        return None


def posts_held_by(member: PartyMember) -> QuerySet[Post]:
    """The active posts the member holds today (an open claim)."""
    return Post.objects.filter(
        is_active=True, claims__member=member, claims__ended_on__isnull=True
    ).distinct()


# --- can_<verb> --------------------------------------------------------------


def can_manage_posts_in(user: Any, region: Region) -> bool:
    """Create, edit, retire posts and record claims and grid members there:
    office admins, and the secretary of the region's community."""
    return can_manage_members_in(user, region)


def can_manage_post(user: Any, post: Post) -> bool:
    return can_manage_posts_in(user, post.region)


def may_manage_posts(user: Any) -> bool:
    """Whether the user manages posts anywhere: gates the create and import pages."""
    return may_manage_members(user)


def can_patrol(user: Any, post: Post) -> bool:
    """Check in on a post: the member linked to this login holds it today."""
    member = member_of(user)
    return (
        member is not None
        and post.is_active
        and PostClaim.objects.filter(post=post, member=member, ended_on__isnull=True).exists()
    )


# --- navigation ----------------------------------------------------------------


def sees_posts(user: Any) -> bool:
    return sees_rosters(user)


def holds_any_post(user: Any) -> bool:
    member = member_of(user)
    return member is not None and posts_held_by(member).exists()
