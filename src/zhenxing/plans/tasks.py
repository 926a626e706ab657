"""Background work of the plans: the derivatives of the progress photos."""

from __future__ import annotations

from django_tasks import task


@task()
def make_progress_photo_derivatives(photo_id: int) -> None:
    """The display and thumbnail versions (no EXIF) of one progress photo.

    Enqueued after the report's transaction commits; safe to run twice
    (`ensure_derivatives` locks the row and does nothing if they exist).
    """
    from zhenxing.cases.photos import ensure_derivatives
    from zhenxing.plans.models import ProgressPhoto

    photo = ProgressPhoto.objects.filter(pk=photo_id).first()
    if photo is not None:
        ensure_derivatives(photo)
