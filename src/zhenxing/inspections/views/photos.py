"""Inspection photos, served only to those who may see the inspection (the embargo holds).

As for case photos (`cases.views.photos`): the files live in private
storage, and an unknown token, an inspection out of sight (another
community's, or one's own before release) and an original asked for by
someone who may not have it all answer the same 404. The original keeps its
EXIF (GPS, time, camera): for the office admins of the area only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from zhenxing.cases.views.photos import serve_photo
from zhenxing.inspections.models import InspectionPhoto
from zhenxing.inspections.permissions import inspections_visible_to
from zhenxing.inspections.views.scoring import may_see_originals


@require_GET
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    return serve_photo(
        request,
        variant=variant,
        find=lambda user: (
            InspectionPhoto.objects.filter(
                token=token, inspection__in=inspections_visible_to(user).values("pk")
            )
            .select_related("inspection")
            .first()
        ),
        may_see_original=lambda user, found: may_see_originals(user, found.inspection),
    )
