from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhenxing.people.models import Role
from zhenxing.people.permissions import party_members_visible_to, work_teams_visible_to
from zhenxing.people.scopes import regions_visible_to, roles_of
from zhenxing.territory.models import level_names


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 once the database answers; 503 with the reason otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not healthy"
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _inspections_today(user: Any) -> dict[str, int] | None:
    """An inspector's day for the card at the top: today's inspections, how many left to score.

    One query (the count of `inspections.selectors.mine`); None for anyone who is
    not an inspector, who gets no card.
    """
    from zhenxing.inspections.models import InspectionStatus
    from zhenxing.inspections.permissions import is_inspector
    from zhenxing.inspections.selectors import mine

    if not is_inspector(user):
        return None
    counts = (
        mine(user, timezone.localdate())
        .select_related(None)
        .order_by()
        .aggregate(
            total=Count("pk"), pending=Count("pk", filter=Q(status=InspectionStatus.PENDING))
        )
    )
    total, pending = counts["total"] or 0, counts["pending"] or 0
    return {"total": total, "pending": pending, "scored": total - pending}


def _my_posts(user: Any) -> dict[str, int] | None:
    """A party member's card at the top: the posts they hold and their patrols this month.

    None for a login that is not a party member holding a post, who gets no card.
    """
    from zhenxing.posts.models import Patrol
    from zhenxing.posts.permissions import member_of, posts_held_by

    member = member_of(user)
    if member is None:
        return None
    posts = posts_held_by(member).count()
    if not posts:
        return None
    month_start = timezone.localdate().replace(day=1)
    patrols = Patrol.objects.filter(member=member, at__date__gte=month_start).count()
    return {"posts": posts, "patrols": patrols}


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The workbench: who I am, which part of the territory is mine, where to go next."""
    user = request.user
    role_labels = [Role(r).label for r in sorted(roles_of(user))]
    regions = regions_visible_to(user)
    scope_roots = list(regions.order_by("depth", "path").only("code", "name", "depth")[:1])
    names = level_names()
    # The figures of the user's own territory, one grouped query per kind.
    figures = [
        {"label": names.get(row["depth"], row["depth"]), "value": row["n"]}
        for row in regions.values("depth").annotate(n=Count("id")).order_by("depth")
        if row["depth"] > 1
    ]
    if figures:
        figures.append(
            {"label": _("Party members"), "value": party_members_visible_to(user).count()}
        )
        figures.append({"label": _("Work teams"), "value": work_teams_visible_to(user).count()})
    return render(
        request,
        "core/home.html",
        {
            "role_labels": role_labels,
            "scope_root": scope_roots[0] if scope_roots else None,
            "figures": figures,
            "inspections_today": _inspections_today(user),
            "my_posts": _my_posts(user),
        },
    )
