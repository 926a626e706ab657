"""The region page's panel: the red grid and the responsibility posts of a region.

Registered with `territory.panels` in PostsConfig.ready(), so territory
never imports posts. Only viewers who read the region's party rosters see
it (department staff read the territory, not its party work).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest
from django.urls import reverse

from zhenxing.core.privacy import mask_mobile
from zhenxing.people.permissions import can_see_full_mobile, roster_paths
from zhenxing.people.scopes import ALL
from zhenxing.posts.models import PostClaim
from zhenxing.posts.permissions import (
    can_manage_posts_in,
    grid_assignments_visible_to,
    posts_visible_to,
)
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.panels import Panel
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

# Past this many posts the panel shows counts per type and a link to the list:
# a community holds hundreds, which belong on the list page, not here.
MAX_LISTED_POSTS = 20
PANEL_ORDER = 50


def reads_roster_of(user: Any, region: Region) -> bool:
    """Whether `region` lies inside the party rosters the user reads."""
    paths = roster_paths(user)
    return paths is ALL or any(region.path.startswith(p) for p in paths)


def shown_mobile(user: Any, member: Any) -> str:
    """A member's number as this viewer may see it: whole for those who edit the member."""
    return member.mobile if can_see_full_mobile(user, member) else mask_mobile(member.mobile)


def post_list_url(community: Region | None, region: Region | None = None) -> str:
    """The active posts on the list, narrowed to a community and, below one, to a region."""
    params: dict[str, Any] = {"status": "active"}
    if community is not None:
        params["community"] = community.pk
    if region is not None and region.depth > COMMUNITY_DEPTH:
        params["region"] = region.code
    return f"{reverse('posts:list')}?{urlencode(params)}"


def grid_url(community: Region | None) -> str:
    url = reverse("posts:grid")
    return f"{url}?{urlencode({'community': community.pk})}" if community is not None else url


def region_panel(request: HttpRequest, region: Region) -> Panel | None:
    user = request.user
    if not reads_roster_of(user, region):
        return None
    depth = area_depth()
    is_area = region.depth == depth
    if region.depth == COMMUNITY_DEPTH:
        community: Region | None = region
    elif region.depth > COMMUNITY_DEPTH:
        community = Region.objects.filter(path=community_path(region.path)).first()
    else:
        community = None
    context: dict[str, Any] = {
        "region": region,
        "is_area": is_area,
        "can_manage": can_manage_posts_in(user, region),
        "grid_url": grid_url(community),
        "posts_url": post_list_url(community, region),
    }
    context.update(_grid_context(user, region, is_area, depth))
    context.update(_posts_context(user, region))
    return Panel("posts/_region_panel.html", context, PANEL_ORDER)


def _grid_context(user: Any, region: Region, is_area: bool, depth: int) -> dict[str, Any]:
    if is_area:
        assignments = list(
            grid_assignments_visible_to(user)
            .filter(area=region, ended_on__isnull=True)
            .select_related("member", "member__organization", "member__region")
            .order_by("role", "member__name", "pk")
        )
        for assignment in assignments:
            assignment.shown_mobile = shown_mobile(user, assignment.member)
        return {"assignments": assignments}
    # Above an area: how well the grid covers the areas below, not every
    # member. The whole subtree lies in the viewer's rosters (region_panel
    # checked), so every assignment counted here is one they may see.
    today = Q(grid_assignments__ended_on__isnull=True)
    figures = Region.objects.filter(depth=depth, path__startswith=region.path).aggregate(
        areas_total=Count("pk", distinct=True),
        areas_covered=Count("grid_assignments__area", filter=today, distinct=True),
        grid_members=Count("grid_assignments__member", filter=today, distinct=True),
    )
    return figures


def _posts_context(user: Any, region: Region) -> dict[str, Any]:
    posts = posts_visible_to(user).filter(is_active=True, region__path__startswith=region.path)
    open_claims = PostClaim.objects.filter(ended_on__isnull=True).select_related("member")
    # One more than is listed tells whether to list them or count them.
    listed = list(
        posts.select_related("post_type", "region")
        .prefetch_related(Prefetch("claims", queryset=open_claims, to_attr="open_claims"))
        .order_by("region__path", "code")[: MAX_LISTED_POSTS + 1]
    )
    if len(listed) <= MAX_LISTED_POSTS:
        return {"posts_count": len(listed), "posts": listed, "posts_by_type": None}
    by_type = list(
        posts.values("post_type__name")
        .annotate(n=Count("pk"))
        .order_by("post_type__order", "post_type__name")
    )
    count = sum(row["n"] for row in by_type)
    return {"posts_count": count, "posts_by_type": by_type, "posts": None}
