"""The red grid (红色网格): which party members serve which area, assigning and ending.

Reading follows the party rosters (`grid_assignments_visible_to`); the office
admins and the community's secretary assign and end (`can_manage_posts_in`);
every write goes through `services.grid_assign` / `services.grid_end`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core.listing import paginate
from zhenxing.core.permissions import page_or_404, require
from zhenxing.people.permissions import communities_managed_by, roster_paths
from zhenxing.people.scopes import ALL
from zhenxing.posts import services
from zhenxing.posts.forms_grid import GridAssignForm, GridEndForm, GridFilterForm
from zhenxing.posts.models import GridAssignment
from zhenxing.posts.panels import post_list_url, shown_mobile
from zhenxing.posts.permissions import (
    can_manage_posts_in,
    get_grid_assignment_for_user,
    grid_assignments_visible_to,
    may_manage_posts,
    posts_visible_to,
    sees_posts,
)
from zhenxing.territory.models import CODE_RE, Region, area_depth
from zhenxing.territory.selectors import community_path, path_prefix_q


def _areas_read_by(user: Any, depth: int | None = None) -> Any:
    """The areas (片区) whose party rosters the user reads."""
    areas = Region.objects.filter(depth=depth or area_depth())
    paths = roster_paths(user)
    return areas if paths is ALL else areas.filter(path_prefix_q(paths, "path"))


def _areas_managed_by(user: Any) -> Any:
    """The areas where the user may assign red-grid members."""
    paths = list(communities_managed_by(user).values_list("path", flat=True))
    return Region.objects.filter(depth=area_depth()).under_any(paths).order_by("path")


def _list_url(community: Region | None) -> str:
    url = reverse("posts:grid")
    return f"{url}?{urlencode({'community': community.pk})}" if community is not None else url


@require_GET
@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    """Every area the user reads with its red-grid members today and its posts."""
    user = request.user
    page_or_404(sees_posts(user))
    form = GridFilterForm(user, request.GET or None)
    filters = form.values()
    communities = {c.path: c for c in form.fields["community"].queryset}
    depth = area_depth()
    scoped = _areas_read_by(user, depth)
    if filters["community"] is not None:
        scoped = scoped.filter(path__startswith=filters["community"].path)
    areas = (
        form.apply(_areas_read_by(user, depth))
        .order_by("path")
        .only("code", "name", "path", "depth")
    )
    listing = paginate(request, areas)
    rows = list(listing["page"].object_list)

    assignments = grid_assignments_visible_to(user).filter(area__in=[a.pk for a in rows])
    if not filters["history"]:
        assignments = assignments.filter(ended_on__isnull=True)
    by_area: dict[int, list[GridAssignment]] = defaultdict(list)
    for assignment in assignments.select_related(
        "member", "member__organization", "member__region"
    ).order_by("role", "member__name", "pk"):
        assignment.shown_mobile = shown_mobile(user, assignment.member)
        by_area[assignment.area_id].append(assignment)

    # Posts lie in an area or in a street below it: count per region path, then
    # add each region's count to the page's area that holds it.
    post_counts: dict[str, int] = defaultdict(int)
    if rows:
        counted = (
            posts_visible_to(user)
            .filter(is_active=True)
            .filter(path_prefix_q([a.path for a in rows], "region__path"))
            .values("region__path")
            .annotate(n=Count("pk"))
        )
        for row in counted:
            for area in rows:
                if row["region__path"].startswith(area.path):
                    post_counts[area.path] += row["n"]

    entries = []
    for area in rows:
        community = communities.get(community_path(area.path))
        # Today's grid first, then the history; NULLs sort differently per
        # database, so the order is made here.
        grid = sorted(by_area[area.pk], key=lambda a: a.ended_on is not None)
        entries.append(
            {
                "area": area,
                "community": community,
                "assignments": grid,
                "open_count": sum(a.ended_on is None for a in grid),
                "posts": post_counts[area.path],
                "posts_url": post_list_url(community, area),
                "can_manage": can_manage_posts_in(user, area),
            }
        )

    today = grid_assignments_visible_to(user).filter(
        ended_on__isnull=True, area__in=scoped.values("pk")
    )
    return render(
        request,
        "posts/grid_list.html",
        {
            "form": form,
            **listing,
            "entries": entries,
            "history": filters["history"],
            "areas_total": scoped.count(),
            "areas_covered": today.values("area").distinct().count(),
            "members_on_grid": today.values("member").distinct().count(),
            "may_manage": may_manage_posts(user),
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


def _area_from_query(request: HttpRequest) -> Region | None:
    """The area named by ?area=<code>: 404 when the user cannot read it, 403 when not theirs."""
    code = request.GET.get("area", "").strip()
    if not code:
        return None
    if not CODE_RE.fullmatch(code):
        raise Http404
    area = _areas_read_by(request.user).filter(code=code).first()
    if area is None:
        raise Http404
    require(can_manage_posts_in(request.user, area))
    return area


@require_http_methods(["GET", "POST"])
@login_required
def grid_assign_view(request: HttpRequest) -> HttpResponse:
    """GET: choose the area, then the member, role and start; POST: services.grid_assign."""
    user = request.user
    page_or_404(sees_posts(user))
    require(may_manage_posts(user))
    areas = _areas_managed_by(user)
    area = _area_from_query(request)
    if request.method == "GET":
        form = GridAssignForm(user, areas, area=area)
        return render(request, "posts/grid_form.html", {"form": form, "area": area})
    form = GridAssignForm(user, areas, request.POST, area=area)
    if form.is_valid():
        data = form.cleaned_data
        area = data["area"]
        try:
            assignment = services.grid_assign(
                actor=user,
                area=area,
                member=data["member"],
                role=data["role"],
                started_on=data["started_on"],
            )
        except services.PostError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(member)s now serves on the red grid of %(area)s as %(role)s.")
                % {
                    "member": assignment.member.name,
                    "area": area.name,
                    "role": assignment.get_role_display(),
                },
            )
            community = Region.objects.filter(path=community_path(area.path)).first()
            return redirect(_list_url(community))
    else:
        # The area typed may be invalid; fall back on the one the page was opened for.
        typed = request.POST.get("area", "").strip()
        if CODE_RE.fullmatch(typed):
            area = areas.filter(code=typed).first() or area
    form.show_members_of(area)
    return render(request, "posts/grid_form.html", {"form": form, "area": area}, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def grid_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what ending means; POST with the last day: services.grid_end."""
    assignment = get_grid_assignment_for_user(request.user, pk)
    require(can_manage_posts_in(request.user, assignment.area))
    form = GridEndForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.grid_end(
                    actor=request.user,
                    assignment=assignment,
                    ended_on=form.cleaned_data["ended_on"],
                )
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("%(member)s no longer serves on the red grid of %(area)s.")
                    % {"member": assignment.member.name, "area": assignment.area.name},
                )
                community = Region.objects.filter(path=community_path(assignment.area.path)).first()
                return redirect(_list_url(community))
        status = 400
    return render(
        request,
        "posts/grid_end.html",
        {"form": form, "assignment": assignment},
        status=status,
    )
