"""Reads for the public pages: what residents may know of a case, and nothing more.

Every query here starts from what the office published (`Publication.is_published`,
a published `Circular`), so a page built on these cannot show anything else. Case
fields are read through the publication, and only those that say where and when:
never the reporter, the description the resident typed or who handled the case.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhenxing.assessment.circulars import circular_public_content
from zhenxing.assessment.models import Circular, CircularStatus
from zhenxing.cases.models import FINAL_STATES, Case, CasePhoto, EventKind, Status
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path


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


def live_statuses(numbers: Iterable[str]) -> dict[str, PublicStatus]:
    """The public status of each case now, by number, in one query (unknown numbers left out).

    A published circular freezes the states of its black spots; residents see
    where each one stands today, with the board's words and colours.
    """
    wanted = {n for n in numbers if isinstance(n, str) and n}
    rows = Case.objects.filter(number__in=wanted).values_list("number", "status")
    return {number: _STEPS[Status(status)] for number, status in rows}


# --- the board ---------------------------------------------------------------------------

# The board's status filter: what a resident asks ("still open?" / "done?"), not our states.
STATE_OPEN = "open"
STATE_FIXED = "fixed"
STATE_CHOICES = [(STATE_OPEN, _("Not yet fixed")), (STATE_FIXED, _("Fixed"))]

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
    # Stable, for tests and CSS: received, assigned, rectified, rework, fixed, declined.
    key: str
    label: Promise
    # None: a step still to come (listed so that a resident sees what is next).
    at: datetime.datetime | None


# The public steps, in the words of the status badges: "Fixed" is the day the office
# checked and closed the case, the same day the board's card says "Fixed …" on.
_RECEIVED = ("received", _("Received"))
_ASSIGNED = ("assigned", _("Assigned"))
_RECTIFIED = ("rectified", _("Reported fixed"))
_REWORK = ("rework", _("Checked: more work needed"))
_FIXED = ("fixed", _("Fixed"))
_DECLINED = ("declined", _("Not taken up"))
_MILESTONES = (_RECEIVED, _ASSIGNED, _RECTIFIED, _FIXED)

# The events a resident may know of, as public steps. Only kinds and dates: an event's
# note, its actor and its data (the assignee) stay inside.
_EVENT_STEPS = {
    EventKind.REPORTED: _RECEIVED,
    EventKind.ACCEPTED: _ASSIGNED,
    EventKind.DISPATCHED: _ASSIGNED,
    EventKind.RECTIFIED: _RECTIFIED,
    EventKind.VERIFY_FAILED: _REWORK,
    EventKind.VERIFIED: _FIXED,
    EventKind.REJECTED: _DECLINED,
}


def _step(step: tuple[str, Promise], at: datetime.datetime | None) -> TimelineStep:
    return TimelineStep(step[0], step[1], at)


def _assigned_at(case: Case) -> datetime.datetime | None:
    # An accepted case already reads "Assigned" on its badge; dispatching dates it once done.
    return case.dispatched_at or case.accepted_at


def public_timeline(case: Case, *, history: bool = False) -> list[TimelineStep]:
    """The case's public steps: dates only, no notes, no names, no internal steps.

    The board's case page (`history=False`) gives the four milestones from the
    case's own dates; the reporter's tracking page (`history=True`) gives what
    happened from the case's events, a check that asked for more work and a
    second "Reported fixed" included. Either way a step not reached yet is
    listed without a date, so a resident sees what comes next, and a declined
    case stops at "Not taken up".
    """
    if not history:
        if case.status == Status.REJECTED:
            return [_step(_RECEIVED, case.reported_at), _step(_DECLINED, case.closed_at)]
        return [
            _step(_RECEIVED, case.reported_at),
            _step(_ASSIGNED, _assigned_at(case)),
            _step(_RECTIFIED, case.rectified_at),
            _step(_FIXED, fixed_at(case)),
        ]
    steps: list[TimelineStep] = []
    events = case.events.filter(kind__in=list(_EVENT_STEPS)).order_by("at", "pk")
    for kind, at in events.values_list("kind", "at"):
        step = _EVENT_STEPS[EventKind(kind)]
        if steps and steps[-1].key == step[0]:
            # Accepted, then dispatched (or dispatched again after a send-back): one
            # "Assigned", dated by the latest, as the case page dates it.
            steps[-1] = _step(step, at)
            continue
        steps.append(_step(step, at))
    if not steps:
        steps.append(_step(_RECEIVED, case.reported_at))
    if case.status in FINAL_STATES:
        return steps
    # What comes next: the milestones after the last one reached (after a check that
    # asked for more work, the handler's "Reported fixed" again).
    keys = [key for key, _label in _MILESTONES]
    last = _ASSIGNED[0] if steps[-1].key == _REWORK[0] else steps[-1].key
    if last not in keys:
        return steps
    reached = keys.index(last)
    return steps + [_step(step, None) for step in _MILESTONES[reached + 1 :]]


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


def circular_stand_ins(circular: Circular) -> dict[str, PublicPhoto]:
    """{token the circular names: the public photo shown in its place}, in three queries.

    The circular names the case's own photos; the public gets, in their place,
    the office's public copies of the same kind (cropped, boxes blacked out)
    while the case is on the board, and nothing otherwise: a case never
    published, or taken off the board, shows no photo in any circular either.
    """
    tokens = circular_photo_tokens(circular)
    if not tokens:
        return {}
    sources = list(
        CasePhoto.objects.filter(token__in=tokens).values_list("token", "case_id", "kind")
    )
    publications = {
        p.case_id: p
        for p in published()
        .filter(case_id__in={case_id for _t, case_id, _k in sources})
        .select_related("before_photo", "after_photo")
    }
    stand_ins: dict[str, PublicPhoto] = {}
    for token, case_id, kind in sources:
        publication = publications.get(case_id)
        if publication is None:
            continue
        copy = {"before": publication.before_photo, "after": publication.after_photo}.get(kind)
        if copy is not None:
            stand_ins[token] = copy
    return stand_ins


# --- the territory's outlines ------------------------------------------------------------

# Five decimals are about a metre: enough for an outline, and a much smaller file.
OUTLINE_PLACES = 5


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), OUTLINE_PLACES)
    return [_rounded(c) for c in coords]


def _outlines(depth: int) -> dict[str, Any]:
    """Names and shapes of the regions at one depth, as a GeoJSON FeatureCollection.

    Names and shapes of places are public information; nothing else about a
    region (codes, people, figures) is sent.
    """
    features = []
    rows = (
        Region.objects.filter(depth=depth, geometry__isnull=False)
        .order_by("path")
        .values_list("name", "geometry")
    )
    for name, geometry in rows:
        if not isinstance(geometry, dict) or geometry.get("type") not in _POLYGONAL:
            continue
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": geometry["type"], "coordinates": _rounded(coordinates)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


_POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def territory_outlines() -> dict[str, Any]:
    """The communities' outlines (the board's map) and the areas' (the report form's map)."""
    return {"communities": _outlines(COMMUNITY_DEPTH), "areas": _outlines(area_depth())}
