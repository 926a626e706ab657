"""What every list page shares: a page of rows and the filters to carry to the next page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

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
