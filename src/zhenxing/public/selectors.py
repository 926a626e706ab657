"""Reads for the public pages: what residents may know of a case, and nothing more.

Every query here starts from what the office published (`Publication.is_published`,
a published `Circular`), so a page built on these cannot show anything else. Case
fields are read through the publication, and only those that say where and when:
never the reporter, the description the resident typed or who handled the case.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhenxing.assessment.circulars import circular_public_content
from zhenxing.assessment.models import Circular, CircularStatus
from zhenxing.cases.models import FINAL_STATES, Case, CasePhoto, Status
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_path


@dataclass(frozen=True)
class PublicStatus:
    # Stable, for CSS classes and JSON: received, assigned, fixing, checking, fixed, declined.
    key: str
    label: Promise
    is_open: bool


# Residents see five steps, not the nine internal states: a deferral or a
# rework is still "being fixed" to them.
_STEPS = {
    Status.REPORTED: PublicStatus("received", _("Received"), True),
    Status.ACCEPTED: PublicStatus("assigned", _("Assigned"), True),
    Status.DISPATCHED: PublicStatus("assigned", _("Assigned"), True),
    Status.RECTIFYING: PublicStatus("fixing", _("Being fixed"), True),
    Status.REWORK: PublicStatus("fixing", _("Being fixed"), True),
    Status.DEFERRED: PublicStatus("fixing", _("Being fixed"), True),
    Status.RECTIFIED: PublicStatus("checking", _("Fixed, being checked"), True),
    Status.CLOSED: PublicStatus("fixed", _("Fixed"), False),
    Status.REJECTED: PublicStatus("declined", _("Not taken up"), False),
}


# Public coordinates are rounded to 4 decimals (about 10 m): the spot is shown,
# but the pin is often where the reporter stood, and that is theirs.
PUBLIC_COORD_PLACES = 4


def public_point(case: Case) -> tuple[float, float]:
    """The case's place as every public page and API gives it (lat, lng)."""
    return round(case.lat, PUBLIC_COORD_PLACES), round(case.lng, PUBLIC_COORD_PLACES)


def public_status(case: Case) -> PublicStatus:
    return _STEPS[Status(case.status)]


# --- the board ---------------------------------------------------------------------------

# The board's status filter: what a resident asks ("still open?" / "done?"), not our states.
STATE_OPEN = "open"
STATE_FIXED = "fixed"
STATE_CHOICES = [(STATE_OPEN, _("Being fixed")), (STATE_FIXED, _("Fixed"))]

_STATE_Q = {
    STATE_OPEN: ~Q(case__status__in=FINAL_STATES),
    STATE_FIXED: Q(case__status=Status.CLOSED),
}


def published() -> QuerySet[Publication]:
    """Every publication on the board now, newest first, with what a card shows in one query.

    The photos and the case's area come in the same query (a card shows both
    thumbnails; the map and the filter read the area's path), so a page of
    cards costs one query however long it is.
    """
    return (
        Publication.objects.filter(is_published=True)
        .select_related("case", "case__region", "before_photo", "after_photo")
        .order_by("-published_at", "-pk")
    )


def board_rows(*, community: Region | None = None, state: str = "") -> QuerySet[Publication]:
    rows = published()
    if community is not None:
        rows = rows.filter(case__region_path__startswith=community.path)
    if state:
        rows = rows.filter(_STATE_Q[state])
    return rows


def board_counts() -> dict[str, int]:
    """The figures on top of the board (all published cases, whatever the filters)."""
    return Publication.objects.filter(is_published=True).aggregate(
        published=Count("pk"),
        fixed=Count("pk", filter=_STATE_Q[STATE_FIXED]),
        fixing=Count("pk", filter=_STATE_Q[STATE_OPEN]),
    )


def board_communities() -> list[Region]:
    """The communities with at least one published case: the only ones the filter offers.

    A community with nothing on the board would only lead to an empty page (and
    would list every community of the territory to anyone who looks).
    """
    paths = {
        community_path(path)
        for path in Publication.objects.filter(is_published=True)
        .values_list("case__region_path", flat=True)
        .distinct()
    }
    return list(Region.objects.filter(path__in=paths).order_by("path"))


def published_for_case(number: str) -> QuerySet[Publication]:
    return published().filter(case__number=number)


@dataclass(frozen=True)
class TimelineStep:
    key: str
    label: Promise
    at: datetime.datetime | None


def public_timeline(case: Case) -> list[TimelineStep]:
    """Dates only, from the case's own timestamps: no notes, no names, no internal steps.

    A step not reached yet is listed without a date, so a resident sees what comes next.
    A case that was declined stops after "reported".
    """
    if case.status == Status.REJECTED:
        return [TimelineStep("reported", _("Reported"), case.reported_at)]
    return [
        TimelineStep("reported", _("Reported"), case.reported_at),
        TimelineStep("assigned", _("Assigned"), case.dispatched_at),
        TimelineStep("rectified", _("Put right"), case.rectified_at),
        TimelineStep("closed", _("Checked and closed"), case.closed_at),
    ]


def fixed_at(case: Case) -> datetime.datetime | None:
    """When a resident may call the spot fixed: its closure after the office checked it."""
    return case.closed_at if case.status == Status.CLOSED else None


# --- photos ------------------------------------------------------------------------------

PHOTO_VARIANTS = frozenset({"display", "thumb"})


def current_public_photo(token: str) -> PublicPhoto | None:
    """The public photo with this token, only while a published publication shows it.

    A copy the office replaced (cropped again, another source photo) keeps its
    row and files, and the publication keeps its row when unpublished: neither
    is reachable, because the photo must be the publication's *current* before
    or after photo and the publication published, checked on every request.
    """
    return (
        PublicPhoto.objects.filter(token=token, publication__is_published=True)
        .filter(Q(publication__before_photo=F("pk")) | Q(publication__after_photo=F("pk")))
        .first()
    )


# --- circulars ---------------------------------------------------------------------------


def published_circulars() -> QuerySet[Circular]:
    return (
        Circular.objects.filter(status=CircularStatus.PUBLISHED)
        .select_related("period")
        .order_by("-published_at", "-pk")
    )


def circular_photo_tokens(circular: Circular) -> set[str]:
    """The before and after photos the public version of a published circular shows.

    Read from the public version (`public_content`, frozen at publishing), never
    from `content`; a draft shows nothing publicly.
    """
    if circular.status != CircularStatus.PUBLISHED:
        return set()
    return {
        token
        for spot in circular_public_content(circular).get("black_spots", [])
        for token in (spot.get("before"), spot.get("after"))
        if isinstance(token, str) and token
    }


def circular_public_photo(circular: Circular, token: str) -> PublicPhoto | None:
    """What the public sees for a photo a published circular names: the board's copy.

    The circular names the case's own photo; the public gets, in its place,
    the office's public copy of the same kind (cropped, boxes blacked out)
    while the case is on the board, and nothing otherwise: a case never
    published, or taken off the board, shows no photo in any circular either.
    """
    if token not in circular_photo_tokens(circular):
        return None
    source = CasePhoto.objects.filter(token=token).only("case_id", "kind").first()
    if source is None:
        return None
    publication = (
        published()
        .filter(case_id=source.case_id)
        .select_related("before_photo", "after_photo")
        .first()
    )
    if publication is None:
        return None
    if source.kind == "before":
        return publication.before_photo
    if source.kind == "after":
        return publication.after_photo
    return None


def circular_shown_tokens(circular: Circular) -> set[str]:
    """The tokens of a circular whose photos the public may see (see circular_public_photo)."""
    return {
        token for token in circular_photo_tokens(circular) if circular_public_photo(circular, token)
    }
