"""Case photos, served only to those who may see the case.

The files live in private storage (never under MEDIA_ROOT), so this view is
the one way to them. An unknown token, a case out of scope and an original
asked for by someone who may not have it all answer the same 404: a token
seen once (in a forwarded link, say) tells nobody else anything.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET
from PIL import UnidentifiedImageError

from zhenxing.cases.models import CasePhoto
from zhenxing.cases.permissions import can_dispatch, cases_visible_to
from zhenxing.cases.photos import ensure_derivatives, private_storage

logger = logging.getLogger(__name__)

VARIANTS = {"thumb", "display", "original"}
# Browsers may keep a photo for an hour, but never in a shared cache.
CACHE_CONTROL = "private, max-age=3600"


@require_GET
@login_required
def photo(request: HttpRequest, token: str, variant: str) -> FileResponse:
    if variant not in VARIANTS or len(token) > 32:
        raise Http404
    found = (
        CasePhoto.objects.filter(token=token, case__in=cases_visible_to(request.user))
        .select_related("case")
        .first()
    )
    if found is None:
        raise Http404
    if variant == "original":
        # The original keeps its EXIF (GPS, time, camera): the dispatchers' evidence only.
        if not can_dispatch(request.user, found.case):
            raise Http404
        key, content_type = found.original, found.content_type
    else:
        if not found.ready:
            # The worker has not made the derivatives yet: make them now.
            try:
                ensure_derivatives(found)
            except (OSError, UnidentifiedImageError, ValueError):
                logger.exception("derivatives of case photo %s could not be made", found.pk)
                raise Http404 from None
        key = found.thumbnail if variant == "thumb" else found.display
        content_type = "image/jpeg"
    try:
        handle = private_storage.open(key, "rb")
    except OSError:
        logger.warning("case photo file %s is missing", key)
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
