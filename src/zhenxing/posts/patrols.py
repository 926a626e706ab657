"""Patrols (巡查打卡): a party member checks in at a post they hold, and may file a case.

`patrol_record` is the one way a patrol is written (ARCHITECTURE.md habits 1,
2, 5): it checks the rules, locks the post so a retirement cannot slip in
between the check and the write, stores the photos privately, and, when the
member found a problem, files the case (source "party-member patrol") in the
same transaction. A refused case refuses the whole check-in and leaves
neither a row nor a file behind, so the member can simply try again.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Category, Source
from zhenxing.cases.photos import (
    MAX_PHOTOS,
    ValidatedPhoto,
    derivatives_after_commit,
    files_removed_on_error,
    store_original,
)
from zhenxing.core import audit
from zhenxing.people.models import PartyMember
from zhenxing.posts.models import CaseOrigin, Patrol, PatrolPhoto, Post, PostClaim
from zhenxing.posts.permissions import member_of
from zhenxing.posts.services import PostError, post_case_link
from zhenxing.posts.tasks import make_patrol_photo_derivatives
from zhenxing.territory.lookup import find_area
from zhenxing.territory.selectors import community_path

MAX_NOTE_CHARS = 2000
# A phone's clock and the server's disagree a little; a check-in "from the
# future" within this margin is the same moment.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
# A member may record a patrol they forgot to check in, up to a week late.
# The system (imports, the demo) may record older ones.
BACKDATE_LIMIT = datetime.timedelta(days=7)
# The same member at the same post again within this time is a double tap
# (a second submit of one form), not a second patrol.
REPEAT_WINDOW = datetime.timedelta(seconds=60)
# A phone reporting its fix as worse than this has no fix worth keeping as such.
MAX_ACCURACY_M = 100_000.0


@dataclass(frozen=True)
class ProblemFound:
    """A problem the member found on the patrol: it becomes a case (source: party-member patrol)."""

    category: Category
    description: str
    photos: Sequence[ValidatedPhoto] = ()


def _check_time(at: datetime.datetime, *, now: datetime.datetime, system: bool) -> None:
    if timezone.is_naive(at):
        raise PostError(_("Give the check-in time with its time zone."))
    if at > now + FUTURE_TOLERANCE:
        raise PostError(_("A patrol cannot be recorded in the future."))
    if not system and at < now - BACKDATE_LIMIT:
        raise PostError(
            _("A patrol can be recorded at most %(days)d days late.")
            % {"days": BACKDATE_LIMIT.days}
        )


def _check_location(
    lat: float | None, lng: float | None, accuracy_m: float | None
) -> tuple[float | None, float | None, float | None]:
    if (lat is None) != (lng is None):
        raise PostError(_("Give both latitude and longitude, or neither."))
    if lat is None or lng is None:
        # An accuracy without a position describes nothing.
        return None, None, None
    if not (math.isfinite(lat) and math.isfinite(lng)) or not (
        -90 <= lat <= 90 and -180 <= lng <= 180
    ):
        raise PostError(_("The coordinates are not on Earth."))
    if accuracy_m is not None and (
        not math.isfinite(accuracy_m) or accuracy_m < 0 or accuracy_m > MAX_ACCURACY_M
    ):
        accuracy_m = None
    return lat, lng, accuracy_m


def _claim_on(post: Post, member: PartyMember, day: datetime.date) -> PostClaim | None:
    """The member's claim on `post` covering `day` (the day a claim ends still counts)."""
    return (
        PostClaim.objects.filter(post=post, member=member, started_on__lte=day)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day))
        .first()
    )


def _case_place(post: Post, lat: float | None, lng: float | None) -> dict[str, Any]:
    """Where the problem's case is filed: the patrol's fix if it lies in the post's community.

    A phone's fix may be off, or taken across the boundary; a case filed in
    the neighbouring community would go to people the member may not report
    to. Failing the fix, the post's own point; failing that, its region's
    centre (`case_report(area=...)`).
    """
    community = community_path(post.region.path)
    if lat is not None and lng is not None:
        found = find_area(lat, lng)
        if found is not None and found.path.startswith(community):
            return {"lat": lat, "lng": lng}
    if post.lat is not None and post.lng is not None:
        return {"lat": post.lat, "lng": post.lng}
    return {"area": post.region}


def _file_case(
    *,
    actor: Any,
    post: Post,
    patrol: Patrol,
    problem: ProblemFound,
    photos: Sequence[ValidatedPhoto],
) -> Any:
    from zhenxing.cases.services import CaseError, case_report

    description = (problem.description or "").strip() or patrol.note
    if not description:
        raise PostError(_("Describe the problem you found."))
    if len(description) > MAX_NOTE_CHARS:
        raise PostError(_("Keep the description to %(max)d characters.") % {"max": MAX_NOTE_CHARS})
    case_photos = list(problem.photos) or list(photos)
    try:
        case = case_report(
            actor=actor,
            category=problem.category,
            source=Source.PARTY_PATROL,
            description=description,
            photos=case_photos,
            address=post.place_name,
            at=patrol.at,
            **_case_place(post, patrol.lat, patrol.lng),
        )
    except CaseError as exc:
        raise PostError(
            _("The problem could not be filed as a case, so nothing was saved: %(reason)s")
            % {"reason": exc}
        ) from exc
    except PermissionDenied as exc:
        raise PostError(
            _(
                "You may not file a case at this place, so nothing was saved. "
                "Check in without the problem, and tell your community."
            )
        ) from exc
    post_case_link(actor=actor, post=post, case=case, origin=CaseOrigin.PATROL, patrol=patrol)
    return case


def patrol_record(
    *,
    actor: Any,
    post: Post,
    note: str = "",
    lat: float | None = None,
    lng: float | None = None,
    accuracy_m: float | None = None,
    photos: Sequence[ValidatedPhoto] = (),
    at: datetime.datetime | None = None,
    problem: ProblemFound | None = None,
    member: PartyMember | None = None,
) -> Patrol:
    """Record one patrol (one person-time) by the member behind `actor` at `post`.

    `actor` None is the system (the demo, an import): then `member` must be
    given, and the week's limit on late records does not apply. A logged-in
    user who holds no open claim on the post gets PermissionDenied; every
    other broken rule is a PostError with a message for the user. With a
    `problem`, the case is filed in the same transaction and linked to the
    post and the patrol; if it is refused, nothing is written.
    """
    system = actor is None
    if system:
        if member is None:
            raise PostError(_("Say which party member patrolled."))
    else:
        own = member_of(actor)
        if own is None or (member is not None and member.pk != own.pk):
            raise PermissionDenied(_("Only the party member holding a post checks in on it."))
        member = own
    now = timezone.now()
    at = at or now
    _check_time(at, now=now, system=system)
    lat, lng, accuracy_m = _check_location(lat, lng, accuracy_m)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise PostError(_("Keep the note to %(max)d characters.") % {"max": MAX_NOTE_CHARS})
    if len(photos) > MAX_PHOTOS:
        raise PostError(_("At most %(max)d photos at a time.") % {"max": MAX_PHOTOS})
    if problem is not None:
        if problem.category.parent_id is None:
            raise PostError(_("Choose a sub-category, not a main category."))
        if len(problem.photos) > MAX_PHOTOS:
            raise PostError(_("At most %(max)d photos at a time.") % {"max": MAX_PHOTOS})
    day = timezone.localdate(at)

    with files_removed_on_error(), transaction.atomic():
        # The post's row lock orders this check-in with a retirement or a
        # claim ending at the same moment, and with a double tap of the button.
        locked = (
            Post.objects.select_for_update(of=("self",))
            .select_related("region", "post_type")
            .get(pk=post.pk)
        )
        if not locked.is_active:
            raise PostError(_("This post is retired; patrols can no longer be recorded on it."))
        if (
            not system
            and not PostClaim.objects.filter(
                post=locked, member=member, ended_on__isnull=True
            ).exists()
        ):
            raise PermissionDenied(_("You do not hold this post."))
        if _claim_on(locked, member, day) is None:
            raise PostError(
                _("%(member)s did not hold this post on %(date)s.")
                % {"member": member.name, "date": day.isoformat()}
            )
        if not system:
            last = (
                Patrol.objects.filter(
                    post=locked, member=member, created_at__gte=now - REPEAT_WINDOW
                )
                .order_by("-created_at")
                .first()
            )
            if last is not None:
                raise PostError(
                    _("This check-in was already recorded at %(time)s.")
                    % {"time": timezone.localtime(last.created_at).strftime("%H:%M")}
                )
        patrol = Patrol.objects.create(
            member=member,
            post=locked,
            region_path=locked.region.path,
            organization_id=member.organization_id,
            at=at,
            lat=lat,
            lng=lng,
            accuracy_m=accuracy_m,
            note=note,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        photo_ids = [
            PatrolPhoto.objects.create(
                patrol=patrol, **store_original(folder="patrols", photo=p, actor=actor)
            ).pk
            for p in photos
        ]
        case = None
        if problem is not None:
            case = _file_case(
                actor=actor, post=locked, patrol=patrol, problem=problem, photos=photos
            )
        audit.record(
            actor=actor,
            action="posts.patrol.record",
            obj=patrol,
            summary=_("%(member)s patrolled post %(code)s")
            % {"member": member.name, "code": locked.code},
            changes={
                "post": locked.code,
                "member": member.pk,
                "at": at,
                "located": lat is not None,
                "photos": len(photo_ids),
                **({"case": case.number} if case is not None else {}),
            },
        )
        derivatives_after_commit(make_patrol_photo_derivatives, photo_ids)
    patrol.case = case  # type: ignore[attr-defined]  # for the caller's message
    return patrol
