"""Every write of the publishing desk: the public text, the public photos, publish and unpublish.

House rules, as in `cases.services`:

- each function is keyword-only and takes the `actor`; None is trusted code
  with no person behind it (the demo loader), anyone else must pass
  `permissions.can_publish` for the case or gets `PermissionDenied`;
- each write locks the publication row (`select_for_update`) inside one
  transaction and writes an audit row (`public.prepare`, `public.photo`,
  `public.publish`, `public.unpublish`);
- files written inside a failed transaction are removed
  (`cases.photos.files_removed_on_error`), and files a change makes
  unreachable are removed only after it commits, so a rollback never leaves
  a row pointing at a deleted file.

A broken rule raises `PublicationError`, whose message names the fix (HTTP 400).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Case, CasePhoto, PhotoKind
from zhenxing.cases.photos import files_removed_on_error, new_token, private_storage
from zhenxing.core import audit
from zhenxing.core.db import write_lock_busy_raises
from zhenxing.core.privacy import strip_mobiles_in
from zhenxing.public import imaging
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.public.permissions import can_publish
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_code_of

TITLE_MAX = Publication._meta.get_field("title").max_length
PLACE_MAX = Publication._meta.get_field("place").max_length
DESCRIPTION_MAX = 1000
# More boxes than this on one photo is a photo that should not be published.
MAX_REDACTIONS = 20
# A crop narrower or lower than this share of the photo shows too little to judge the spot by.
MIN_CROP = 0.05
# Boxes are stored rounded: a hundredth of a percent is finer than any pixel of a display copy.
_PLACES = 4


class PublicationError(Exception):
    """A rule of publishing was broken; the message is for the user."""


# --- helpers -----------------------------------------------------------------------


def _may(actor: Any, case: Case) -> None:
    if actor is None:
        return
    if not can_publish(actor, case):
        raise PermissionDenied(_("Only the office may publish this case."))


def _changed_meanwhile() -> PublicationError:
    return PublicationError(
        _("This was changed by someone else meanwhile; reload the page and try again.")
    )


def _locked(publication: Publication) -> Publication:
    return (
        Publication.objects.select_for_update(of=("self",))
        .select_related("case", "case__category", "before_photo", "after_photo")
        .get(pk=publication.pk)
    )


def _delete_files_after_commit(keys: Sequence[str]) -> None:
    keys = [k for k in keys if k]
    if not keys:
        return

    def delete() -> None:
        for key in keys:
            with contextlib.suppress(OSError):
                private_storage.delete(key)

    transaction.on_commit(delete, robust=True)


def _refresh_share_image(locked: Publication) -> None:
    """Replace the share image after a change: drawn now if published, else on demand.

    The old file goes once the change commits; the new one has a new random
    name, so no cache or forwarded link keeps showing the old picture as the new.
    """
    old = locked.share_image
    locked.share_image = imaging.store_share_image(locked) if locked.is_published else ""
    Publication.objects.filter(pk=locked.pk).update(share_image=locked.share_image)
    _delete_files_after_commit([old])


def _text(value: str, *, limit: int, required_message: str | None, long_message: str) -> str:
    value = (value or "").strip()
    if not value and required_message:
        raise PublicationError(required_message)
    if len(value) > limit:
        raise PublicationError(long_message % {"max": limit})
    return value


# --- defaults the page offers ------------------------------------------------------


def default_title(case: Case) -> str:
    return case.category.name[:TITLE_MAX]


def default_place(case: Case) -> str:
    """ "<community> <area>" read off the case's territory path: never the case's address,
    which may be a house number."""
    code = community_code_of(case.region_path)
    community = Region.objects.filter(code=code).values_list("name", flat=True).first()
    parts = [community] if community and code != case.region.code else []
    parts.append(case.region.name)
    return " ".join(parts)[:PLACE_MAX]


def default_description(case: Case) -> str:
    return strip_mobiles_in(case.description)[:DESCRIPTION_MAX]


# --- crop and redaction boxes ------------------------------------------------------


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PublicationError(_("A box on the photo is not valid; draw it again."))
    try:
        number = float(value)
    except ValueError:
        raise PublicationError(_("A box on the photo is not valid; draw it again.")) from None
    if not math.isfinite(number):
        raise PublicationError(_("A box on the photo is not valid; draw it again."))
    return number


def _clean_box(box: Any) -> dict[str, float]:
    """{x, y, w, h} as fractions inside the photo; a box overhanging the edge is cut to it."""
    if not isinstance(box, Mapping) or set(box) != {"x", "y", "w", "h"}:
        raise PublicationError(_("A box on the photo is not valid; draw it again."))
    x, y, w, h = (_fraction(box[k]) for k in ("x", "y", "w", "h"))
    if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 and 0 < h <= 1):
        raise PublicationError(_("A box lies outside the photo; draw it again inside the photo."))
    w, h = min(w, 1 - x), min(h, 1 - y)
    return {k: round(v, _PLACES) for k, v in (("x", x), ("y", y), ("w", w), ("h", h))}


def clean_crop(crop: Any) -> dict[str, float] | None:
    """The crop as stored: None (or {}) for the whole photo."""
    if not crop:
        return None
    box = _clean_box(crop)
    if box["w"] < MIN_CROP or box["h"] < MIN_CROP:
        raise PublicationError(
            _("The crop is too small to show the spot; draw a larger crop or none.")
        )
    if box == {"x": 0, "y": 0, "w": 1, "h": 1}:
        return None
    return box


def clean_redactions(redactions: Any) -> list[dict[str, float]]:
    if not redactions:
        return []
    if not isinstance(redactions, (list, tuple)):
        raise PublicationError(_("A box on the photo is not valid; draw it again."))
    if len(redactions) > MAX_REDACTIONS:
        raise PublicationError(
            _(
                "At most %(max)d blacked-out boxes per photo; a photo that needs more "
                "should not be published."
            )
            % {"max": MAX_REDACTIONS}
        )
    return [_clean_box(box) for box in redactions]


# --- writes ------------------------------------------------------------------------


def _snapshot(publication: Publication) -> dict[str, Any]:
    return audit.snapshot(publication, ["title", "description", "place"])


def publication_prepare(
    *, case: Case, actor: Any, title: str, description: str, place: str
) -> Publication:
    """Create or update the public text of a case's publication (a draft until published).

    Mobile numbers in the description are removed whatever the office typed:
    a number pasted from the case's own text must not reach the board.
    """
    _may(actor, case)
    title = _text(
        strip_mobiles_in(title or ""),
        limit=TITLE_MAX,
        required_message=_("Enter a title for the board."),
        long_message=_("The title may be at most %(max)d characters long."),
    )
    place = _text(
        strip_mobiles_in(place or ""),
        limit=PLACE_MAX,
        required_message=_("Enter the place residents will recognise (community and area)."),
        long_message=_("The place may be at most %(max)d characters long."),
    )
    description = strip_mobiles_in(
        _text(
            description,
            limit=DESCRIPTION_MAX,
            required_message=None,
            long_message=_("The description may be at most %(max)d characters long."),
        )
    )
    with (
        write_lock_busy_raises(_changed_meanwhile),
        files_removed_on_error(),
        transaction.atomic(),
    ):
        publication = _draft(case)
        locked = _locked(publication)
        before = _snapshot(locked)
        locked.title, locked.description, locked.place = title, description, place
        locked.save(update_fields=["title", "description", "place", "updated_at"])
        after = _snapshot(locked)
        if before != after:
            _refresh_share_image(locked)
        audit.record(
            actor=actor,
            action="public.prepare",
            obj=locked,
            summary=_("Public text of %(number)s saved") % {"number": case.number},
            before=before,
            after=after,
        )
    return locked


def _draft(case: Case) -> Publication:
    """The case's publication, made with the default text if missing (inside a transaction)."""
    existing = Publication.objects.filter(case=case).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Publication.objects.create(
                case=case,
                title=default_title(case),
                place=default_place(case),
                description=default_description(case),
            )
    except IntegrityError:
        # Another request made it first: use theirs.
        return Publication.objects.get(case=case)


def publication_draft(*, case: Case, actor: Any) -> Publication:
    """The case's publication; a draft with the default text is made (and audited) if missing."""
    _may(actor, case)
    existing = Publication.objects.filter(case=case).first()
    if existing is not None:
        return existing
    return publication_prepare(
        case=case,
        actor=actor,
        title=default_title(case),
        description=default_description(case),
        place=default_place(case),
    )


def public_photo_set(
    *,
    publication: Publication,
    actor: Any,
    kind: str,
    source: CasePhoto,
    crop: Mapping[str, Any] | None,
    redactions: Sequence[Mapping[str, Any]],
) -> PublicPhoto:
    """Make the public copy of `source` (cropped, redacted, re-encoded) the publication's
    before or after photo.

    The copy gets a fresh random token; the copy it replaces loses its row and,
    once this commits, its files, so an old URL reaches nothing.
    """
    case = publication.case
    _may(actor, case)
    if kind not in (PhotoKind.BEFORE, PhotoKind.AFTER):
        raise PublicationError(_("Choose whether this is the before or the after photo."))
    if source.case_id != case.pk:
        raise PublicationError(_("Choose one of this case's own photos."))
    if source.kind not in (kind, PhotoKind.OTHER):
        raise PublicationError(
            _(
                "Use a before photo of the case as the board's before photo, "
                "and an after photo as its after photo."
            )
        )
    crop = clean_crop(crop)
    redactions = clean_redactions(redactions)
    try:
        # Drawn before the lock is taken: decoding a camera photo takes a while,
        # and reads nothing that the lock protects.
        display, thumbnail, width, height = imaging.render_public_photo(source, crop, redactions)
    except imaging.RenderError as error:
        raise PublicationError(str(error)) from error
    with (
        write_lock_busy_raises(_changed_meanwhile),
        files_removed_on_error(),
        transaction.atomic(),
    ):
        locked = _locked(publication)
        token = new_token()
        image_key, thumb_key = imaging.store_public_photo(token, display, thumbnail)
        photo = PublicPhoto.objects.create(
            publication=locked,
            source=source,
            kind=kind,
            token=token,
            image=image_key,
            thumbnail=thumb_key,
            width=width,
            height=height,
            crop=crop or {},
            redactions=redactions,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        field = "before_photo" if kind == PhotoKind.BEFORE else "after_photo"
        replaced: PublicPhoto | None = getattr(locked, field)
        setattr(locked, field, photo)
        locked.save(update_fields=[field, "updated_at"])
        if replaced is not None:
            _delete_files_after_commit([replaced.image, replaced.thumbnail])
            replaced.delete()
        _refresh_share_image(locked)
        audit.record(
            actor=actor,
            action="public.photo",
            obj=locked,
            summary=_("%(kind)s photo of %(number)s for the board: %(boxes)d boxes blacked out")
            % {
                "kind": PhotoKind(kind).label,
                "number": case.number,
                "boxes": len(redactions),
            },
            changes={
                "kind": kind,
                "source": source.pk,
                "crop": crop or {},
                "redactions": redactions,
                field: [replaced.pk if replaced else None, photo.pk],
            },
        )
    return photo


def publication_publish(*, publication: Publication, actor: Any) -> Publication:
    """Put the case on the board now; its share image is drawn at once."""
    _may(actor, publication.case)
    now = timezone.now()
    with (
        write_lock_busy_raises(_changed_meanwhile),
        files_removed_on_error(),
        transaction.atomic(),
    ):
        locked = _locked(publication)
        if locked.is_published:
            raise PublicationError(_("This case is already on the board."))
        if locked.before_photo_id is None:
            raise PublicationError(
                _("Choose the before photo first: the board shows every case with one.")
            )
        locked.is_published = True
        locked.published_at = now
        locked.first_published_at = locked.first_published_at or now
        locked.published_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.unpublished_at = None
        locked.save(
            update_fields=[
                "is_published",
                "published_at",
                "first_published_at",
                "published_by",
                "unpublished_at",
                "updated_at",
            ]
        )
        _refresh_share_image(locked)
        audit.record(
            actor=actor,
            action="public.publish",
            obj=locked,
            summary=_("%(number)s published on the exposure board")
            % {"number": locked.case.number},
            changes={"is_published": [False, True]},
        )
    return locked


def publication_unpublish(*, publication: Publication, actor: Any, reason: str = "") -> Publication:
    """Take the case off the board now: its page, photos and share image answer 404 at once."""
    _may(actor, publication.case)
    reason = (reason or "").strip()[:200]
    with (
        write_lock_busy_raises(_changed_meanwhile),
        files_removed_on_error(),
        transaction.atomic(),
    ):
        locked = _locked(publication)
        if not locked.is_published:
            raise PublicationError(_("This case is not on the board."))
        locked.is_published = False
        locked.unpublished_at = timezone.now()
        locked.save(update_fields=["is_published", "unpublished_at", "updated_at"])
        # The share image was made for the board: nothing keeps it while the case is off.
        _refresh_share_image(locked)
        audit.record(
            actor=actor,
            action="public.unpublish",
            obj=locked,
            summary=(
                _("%(number)s taken off the exposure board: %(reason)s")
                if reason
                else _("%(number)s taken off the exposure board")
            )
            % {"number": locked.case.number, "reason": reason},
            changes={"is_published": [True, False], "reason": reason},
        )
    return locked
