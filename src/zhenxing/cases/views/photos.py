"""Case photos, served only to those who may see the case.

The files live in private storage (never under MEDIA_ROOT), so this view is
the one way to them. An unknown token, a case out of scope and an original
asked for by someone who may not have it all answer the same 404: a token
seen once (in a forwarded link, say) tells nobody else anything.

API clients follow the photo URLs the API hands them with the same
`Authorization: Bearer zx_…` header: a request that presents one is answered
on that token alone (a bad one is a 401), as the API itself does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from PIL import UnidentifiedImageError

from zhenxing.cases.models import CasePhoto
from zhenxing.cases.permissions import can_dispatch, cases_visible_to
from zhenxing.cases.photos import ensure_derivatives, private_storage
from zhenxing.people.tokens import user_for_token

logger = logging.getLogger(__name__)

VARIANTS = {"thumb", "display", "original"}
# Browsers may keep a photo for an hour, but never in a shared cache.
CACHE_CONTROL = "private, max-age=3600"


def _bearer(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no such header."""
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _unauthorized() -> HttpResponse:
    response = HttpResponse(
        _("The API token is invalid, expired or revoked."),
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def serve_photo(
    request: HttpRequest,
    *,
    variant: str,
    find: Callable[[Any], Any],
    may_see_original: Callable[[Any, Any], bool],
) -> HttpResponse:
    """Serve one private photo of any kind (`cases.models.StoredPhoto`) to whoever may see it.

    `find(user)` returns the photo if the viewer may see what it belongs to,
    else None; `may_see_original(user, photo)` says who gets the original
    with its EXIF. Every refusal is the same 404, so a token tells nothing.
    """
    user: Any
    if (plain := _bearer(request)) is not None:
        user = user_for_token(plain)
        if user is None:
            return _unauthorized()
    elif request.user.is_authenticated:
        user = request.user
    else:
        return redirect_to_login(request.get_full_path())
    if variant not in VARIANTS:
        raise Http404
    found = find(user)
    if found is None:
        raise Http404
    if variant == "original":
        if not may_see_original(user, found):
            raise Http404
        key, content_type = found.original, found.content_type
    else:
        if not found.ready:
            # The worker has not made the derivatives yet: make them now.
            try:
                ensure_derivatives(found)
            except (OSError, UnidentifiedImageError, ValueError):
                logger.exception("derivatives of %s %s could not be made", type(found), found.pk)
                raise Http404 from None
        key = found.thumbnail if variant == "thumb" else found.display
        content_type = "image/jpeg"
    try:
        handle = private_storage.open(key, "rb")
    except OSError:
        logger.warning("photo file %s is missing", key)
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    return serve_photo(
        request,
        variant=variant,
        find=lambda user: (
            CasePhoto.objects.filter(token=token, case__in=cases_visible_to(user))
            .select_related("case")
            .first()
        ),
        # The original keeps its EXIF (GPS, time, camera): the dispatchers' evidence only.
        may_see_original=lambda user, found: can_dispatch(user, found.case),
    )
