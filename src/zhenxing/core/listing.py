"""What every list page shares: a page of rows and the filters to carry to the next page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

PAGE_SIZE = 50


def querystring_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for pagination and export links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def paginate(request: HttpRequest, rows: Any, per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """Context for `core/_pagination.html`: the requested page (clamped) and the filters."""
    page: Page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return {"page": page, "querystring": querystring_without_page(request)}


def export_too_large(
    request: HttpRequest, count: int, maximum: int, message: str, list_url_name: str
) -> HttpResponse | None:
    """Refuse an export of more than `maximum` rows rather than cut it short unnoticed.

    None when `count` fits. Otherwise the list page again, with its filters and
    `message` (a "%(max)s" in it becomes the cap) as a warning to narrow them.
    """
    if count <= maximum:
        return None
    messages.warning(request, message % {"max": f"{maximum:,}"})
    querystring = querystring_without_page(request)
    return redirect(reverse(list_url_name) + (f"?{querystring}" if querystring else ""))
