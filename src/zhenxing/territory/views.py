from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.scopes import regions_visible_to


@require_GET
@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = get_visible_or_404(regions_visible_to, request.user, code=code)
    return render(request, "territory/region_detail.html", {"region": region})
