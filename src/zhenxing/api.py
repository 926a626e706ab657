"""The one JSON API, under /api/v1/, with its schema at /api/v1/openapi.json.

Each app contributes a router from its own api.py.

Two ways in: an API token (`Authorization: Bearer zx_…`, made at
/people/tokens/; no CSRF, as no other site can send the header) or the
browser's session (the pages' own scripts; unsafe methods need the CSRF
token). Errors are JSON `{"detail": message}`: 401 not signed in, 403 not
allowed, 404 not there or out of scope, 409 changed meanwhile, 400 a rule
broken, 422 a malformed parameter.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from zhenxing.cases.api import router as cases_router
from zhenxing.cases.photos import PhotoError
from zhenxing.cases.services import CaseConflict, CaseError
from zhenxing.people.tokens import ApiTokenAuth, session_auth
from zhenxing.territory.api import router as territory_router

api = NinjaAPI(
    title="zhenxing API",
    version="1",
    description="振兴 — rural revitalisation platform API",
    urls_namespace="api",
    auth=[ApiTokenAuth(), session_auth],
)
api.add_router("/regions", territory_router, tags=["territory"])
api.add_router("/cases", cases_router, tags=["cases"])


def _detail(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": message}, status=status)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _detail(request, str(exc) or _("You may not do this."), 403)


@api.exception_handler(CaseConflict)
def _conflict(request: HttpRequest, exc: CaseConflict) -> HttpResponse:
    return _detail(request, str(exc), 409)


@api.exception_handler(CaseError)
def _case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
    return _detail(request, str(exc), 400)


@api.exception_handler(PhotoError)
def _photo_error(request: HttpRequest, exc: PhotoError) -> HttpResponse:
    return _detail(request, str(exc), 400)
