"""Inspection photos, served only to those who may see the inspection (the embargo holds).

As for case photos (`cases.views.photos`): the files live in private
storage, and an unknown token, an inspection out of sight (another
community's, or one's own before release) and an original asked for by
someone who may not have it all answer the same 404. The original keeps its
EXIF (GPS, time, camera): for the office admins of the area only.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from PIL import UnidentifiedImageError

from zhenxing.cases.photos import ensure_derivatives, private_storage
from zhenxing.cases.views.photos import CACHE_CONTROL, _bearer, _unauthorized
from zhenxing.inspections.models import InspectionPhoto
from zhenxing.inspections.permissions import inspections_visible_to
from zhenxing.inspections.views.scoring import may_see_originals
from zhenxing.people.tokens import user_for_token

logger = logging.getLogger(__name__)

VARIANTS = {"thumb", "display", "original"}


@require_GET
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    user: Any
    # API clients follow photo links with their bearer token, as for case photos.
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
    found = (
        InspectionPhoto.objects.filter(
            token=token, inspection__in=inspections_visible_to(user).values("pk")
        )
        .select_related("inspection")
        .first()
    )
    if found is None:
        raise Http404
    if variant == "original":
        if not may_see_originals(user, found.inspection):
            raise Http404
        key, content_type = found.original, found.content_type
    else:
        if not found.ready:
            # The worker has not made the derivatives yet: make them now.
            try:
                ensure_derivatives(found)
            except (OSError, UnidentifiedImageError, ValueError):
                logger.exception("derivatives of inspection photo %s could not be made", found.pk)
                raise Http404 from None
        key = found.thumbnail if variant == "thumb" else found.display
        content_type = "image/jpeg"
    try:
        handle = private_storage.open(key, "rb")
    except OSError:
        logger.warning("inspection photo file %s is missing", key)
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
