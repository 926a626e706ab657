"""Background work of the inspections: the derivatives of the photos taken while scoring."""

from __future__ import annotations

from django_tasks import task


@task()
def make_inspection_photo_derivatives(photo_id: int) -> None:
    """The display and thumbnail versions (no EXIF) of one inspection photo.

    Enqueued after the score's transaction commits; safe to run twice
    (`ensure_derivatives` locks the row and does nothing if they exist).
    """
    from zhenxing.cases.photos import ensure_derivatives
    from zhenxing.inspections.models import InspectionPhoto

    photo = InspectionPhoto.objects.filter(pk=photo_id).first()
    if photo is not None:
        ensure_derivatives(photo)
