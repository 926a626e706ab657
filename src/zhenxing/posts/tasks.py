"""Background work of the posts app (Django's Tasks API, database backend)."""

from __future__ import annotations

from django_tasks import task


@task()
def make_patrol_photo_derivatives(photo_id: int) -> None:
    """Background: the display and thumbnail versions (no EXIF) of one patrol photo.

    Enqueued after the patrol's transaction commits; safe to run twice
    (`ensure_derivatives` locks the row and does nothing if they exist).
    """
    from zhenxing.cases.photos import ensure_derivatives
    from zhenxing.posts.models import PatrolPhoto

    photo = PatrolPhoto.objects.filter(pk=photo_id).first()
    if photo is not None:
        ensure_derivatives(photo)
