from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhenxing.people.models import Role
from zhenxing.people.scopes import regions_visible_to, roles_of


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


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The workbench: who I am, which part of the territory is mine, where to go next."""
    role_labels = [Role(r).label for r in sorted(roles_of(request.user))]
    top_regions = list(
        regions_visible_to(request.user).order_by("depth", "path").only("code", "name", "depth")[:1]
    )
    return render(
        request,
        "core/home.html",
        {"role_labels": role_labels, "scope_root": top_regions[0] if top_regions else None},
    )
