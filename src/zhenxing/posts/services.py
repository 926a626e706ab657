"""Every write to posts, claims and the red grid (ARCHITECTURE.md habits 1, 2, 5).

Each function checks its rules, locks what it changes, and leaves an audit
row. `actor` None is the system (imports run by a command, the demo).
Patrols are written by `zhenxing.posts.patrols`; imports by `zhenxing.posts.imports`.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.people.services import check_code, check_organization_in_community
from zhenxing.posts.models import (
    CaseOrigin,
    GridAssignment,
    GridRole,
    Patrol,
    PlaceKind,
    Post,
    PostCase,
    PostClaim,
    PostType,
)
from zhenxing.posts.permissions import can_manage_posts_in
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

_POST_FIELDS = [
    "code",
    "name",
    "post_type_id",
    "region_id",
    "place_kind",
    "place_name",
    "lat",
    "lng",
    "duties",
    "organization_id",
    "is_active",
    "retired_on",
]


class PostError(Exception):
    """A rule about posts, claims, patrols or the red grid was broken; the message is for users."""


def _check_may_manage(actor: Any, region: Region) -> None:
    if actor is not None and not can_manage_posts_in(actor, region):
        raise PostError(
            _("%(region)s is outside your scope; you cannot change posts there.")
            % {"region": region.name}
        )


def _today() -> datetime.date:
    return timezone.localdate()


def new_public_token() -> str:
    return secrets.token_urlsafe(12)[:16]


def _check_place(*, region: Region, place_kind: str, lat: float | None, lng: float | None) -> None:
    if region.depth < COMMUNITY_DEPTH:
        raise PostError(_("A post lies in a community or in a region below one."))
    if place_kind not in PlaceKind.values:
        raise PostError(_("Unknown kind of place."))
    if (lat is None) != (lng is None):
        raise PostError(_("Give both latitude and longitude, or neither."))
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise PostError(_("The coordinates are not on Earth."))


def _check_organization(organization: PartyOrganization | None, region: Region) -> None:
    if organization is None:
        return
    community = Region.objects.filter(path=community_path(region.path)).first() or region
    try:
        check_organization_in_community(organization, community)
    except Exception as exc:  # PeopleError: same words, our error type
        raise PostError(str(exc)) from None


def post_create(
    *,
    actor: Any,
    code: str,
    name: str,
    post_type: PostType,
    region: Region,
    duties: str = "",
    place_kind: str = PlaceKind.AREA,
    place_name: str = "",
    lat: float | None = None,
    lng: float | None = None,
    organization: PartyOrganization | None = None,
) -> Post:
    """Open a post. Its duties default to its type's standard duties."""
    try:
        code = check_code(code)
    except Exception as exc:
        raise PostError(str(exc)) from None
    name = name.strip()
    if not name:
        raise PostError(_("Give the post a name."))
    duties = duties.strip() or post_type.duties.strip()
    if not duties:
        raise PostError(_("Write the post's duties."))
    _check_may_manage(actor, region)
    _check_place(region=region, place_kind=place_kind, lat=lat, lng=lng)
    _check_organization(organization, region)
    taken = PostError(_("The post code %(code)s is taken.") % {"code": code})
    with transaction.atomic():
        if Post.objects.filter(code=code).exists():
            raise taken
        try:
            with transaction.atomic():
                post = Post.objects.create(
                    code=code,
                    name=name,
                    post_type=post_type,
                    region=region,
                    place_kind=place_kind,
                    place_name=place_name.strip(),
                    lat=lat,
                    lng=lng,
                    duties=duties,
                    organization=organization,
                    public_token=new_public_token(),
                )
        except IntegrityError:
            raise taken from None
        audit.record(
            actor=actor,
            action="posts.post.create",
            obj=post,
            summary=_("Post %(code)s opened: %(name)s") % {"code": code, "name": name},
            after=audit.snapshot(post, _POST_FIELDS),
        )
    return post


def post_update(
    *,
    actor: Any,
    post: Post,
    name: str,
    post_type: PostType,
    region: Region,
    duties: str,
    place_kind: str,
    place_name: str = "",
    lat: float | None = None,
    lng: float | None = None,
    organization: PartyOrganization | None = None,
) -> Post:
    """Change a post's description. Its code and its claims stay."""
    name = name.strip()
    duties = duties.strip()
    if not name:
        raise PostError(_("Give the post a name."))
    if not duties:
        raise PostError(_("Write the post's duties."))
    _check_may_manage(actor, post.region)
    _check_may_manage(actor, region)
    _check_place(region=region, place_kind=place_kind, lat=lat, lng=lng)
    _check_organization(organization, region)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if community_path(region.path) != community_path(post.region.path) and (
            post.claims.filter(ended_on__isnull=True).exists()
        ):
            # Members claim posts in their own community; moving a held post
            # elsewhere would leave them holding a post they may not hold.
            raise PostError(_("End the current claims before moving a post to another community."))
        before = audit.snapshot(post, _POST_FIELDS)
        post.name = name
        post.post_type = post_type
        post.region = region
        post.duties = duties
        post.place_kind = place_kind
        post.place_name = place_name.strip()
        post.lat, post.lng = lat, lng
        post.organization = organization
        post.save()
        audit.record(
            actor=actor,
            action="posts.post.update",
            obj=post,
            before=before,
            after=audit.snapshot(post, _POST_FIELDS),
        )
    return post


def post_retire(
    *, actor: Any, post: Post, on: datetime.date | None = None, reason: str = ""
) -> Post:
    """Close a post: its open claims end the same day; its history stays."""
    on = on or _today()
    _check_may_manage(actor, post.region)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if not post.is_active:
            raise PostError(_("This post is already retired."))
        if post.claims.filter(ended_on__isnull=True, started_on__gt=on).exists():
            raise PostError(_("A claim on this post starts after that day."))
        before = audit.snapshot(post, _POST_FIELDS)
        ended = post.claims.filter(ended_on__isnull=True).update(
            ended_on=on, end_reason=reason.strip() or _("Post retired")
        )
        post.is_active = False
        post.retired_on = on
        post.save(update_fields=["is_active", "retired_on", "updated_at"])
        audit.record(
            actor=actor,
            action="posts.post.retire",
            obj=post,
            summary=_("Post %(code)s retired") % {"code": post.code},
            before=before,
            after=audit.snapshot(post, _POST_FIELDS),
            changes={"claims_ended": ended, "reason": reason.strip()},
        )
    return post


# --- claims --------------------------------------------------------------------


def _check_member_in_post_community(member: PartyMember, region: Region) -> None:
    # Members are registered per community (PartyMember.region is the
    # community); a post is claimed by members of the community it lies in.
    if not region.path.startswith(member.region.path):
        raise PostError(
            _("%(member)s belongs to %(community)s and cannot hold a post in %(region)s.")
            % {"member": member.name, "community": member.region.name, "region": region.name}
        )


def claim_start(
    *,
    actor: Any,
    post: Post,
    member: PartyMember,
    started_on: datetime.date | None = None,
) -> PostClaim:
    """A member claims a post (认岗). Many members may hold one post; one member holds it once."""
    started_on = started_on or _today()
    if started_on > _today():
        raise PostError(_("A claim cannot start in the future."))
    _check_may_manage(actor, post.region)
    _check_member_in_post_community(member, post.region)
    held = PostError(
        _("%(member)s already holds %(post)s.") % {"member": member.name, "post": post.name}
    )
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if not post.is_active:
            raise PostError(_("This post is retired; it cannot be claimed."))
        if post.claims.filter(member=member, ended_on__isnull=True).exists():
            raise held
        if post.claims.filter(member=member, ended_on__gte=started_on).exists():
            raise PostError(
                _("%(member)s held this post until a later day; the claims would overlap.")
                % {"member": member.name}
            )
        try:
            with transaction.atomic():
                claim = PostClaim.objects.create(
                    post=post,
                    member=member,
                    started_on=started_on,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            raise held from None
        audit.record(
            actor=actor,
            action="posts.claim.start",
            obj=claim,
            summary=_("%(member)s claimed post %(code)s")
            % {"member": member.name, "code": post.code},
            after=audit.snapshot(claim, ["post_id", "member_id", "started_on"]),
        )
    return claim


def claim_end(
    *,
    actor: Any,
    claim: PostClaim,
    ended_on: datetime.date | None = None,
    reason: str = "",
) -> PostClaim:
    """A member leaves a post. The claim row stays: it is the post's history."""
    ended_on = ended_on or _today()
    reason = reason.strip()
    if not reason:
        raise PostError(_("Say why the member leaves the post."))
    if ended_on > _today():
        raise PostError(_("A claim cannot end in the future."))
    _check_may_manage(actor, claim.post.region)
    with transaction.atomic():
        claim = PostClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.ended_on is not None:
            raise PostError(_("This claim has already ended."))
        if ended_on < claim.started_on:
            raise PostError(_("A claim cannot end before it started."))
        claim.ended_on = ended_on
        claim.end_reason = reason
        claim.save(update_fields=["ended_on", "end_reason"])
        audit.record(
            actor=actor,
            action="posts.claim.end",
            obj=claim,
            summary=_("%(member)s left post %(code)s")
            % {"member": claim.member.name, "code": claim.post.code},
            changes={"ended_on": ended_on, "reason": reason},
        )
    return claim


# --- the red grid ----------------------------------------------------------------


def grid_assign(
    *,
    actor: Any,
    area: Region,
    member: PartyMember,
    role: str = GridRole.MEMBER,
    started_on: datetime.date | None = None,
) -> GridAssignment:
    """Put a party member on an area's red grid (one leader per area at a time)."""
    started_on = started_on or _today()
    if started_on > _today():
        raise PostError(_("An assignment cannot start in the future."))
    if role not in GridRole.values:
        raise PostError(_("Unknown red-grid role."))
    if area.depth != area_depth():
        raise PostError(_("Red-grid members serve an area (片区)."))
    _check_may_manage(actor, area)
    _check_member_in_post_community(member, area)
    taken = PostError(
        _("%(member)s is already on the red grid of %(area)s.")
        % {"member": member.name, "area": area.name}
    )
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=area.pk).first()
        open_rows = GridAssignment.objects.filter(area=area, ended_on__isnull=True)
        if open_rows.filter(member=member).exists():
            raise taken
        if role == GridRole.LEADER and open_rows.filter(role=GridRole.LEADER).exists():
            raise PostError(
                _("%(area)s already has a red-grid leader; end that assignment first.")
                % {"area": area.name}
            )
        try:
            with transaction.atomic():
                assignment = GridAssignment.objects.create(
                    area=area,
                    member=member,
                    role=role,
                    started_on=started_on,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            raise taken from None
        audit.record(
            actor=actor,
            action="posts.grid.assign",
            obj=assignment,
            after=audit.snapshot(assignment, ["area_id", "member_id", "role", "started_on"]),
        )
    return assignment


def grid_end(
    *, actor: Any, assignment: GridAssignment, ended_on: datetime.date | None = None
) -> GridAssignment:
    ended_on = ended_on or _today()
    if ended_on > _today():
        raise PostError(_("An assignment cannot end in the future."))
    _check_may_manage(actor, assignment.area)
    with transaction.atomic():
        assignment = GridAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.ended_on is not None:
            raise PostError(_("This assignment has already ended."))
        if ended_on < assignment.started_on:
            raise PostError(_("An assignment cannot end before it started."))
        assignment.ended_on = ended_on
        assignment.save(update_fields=["ended_on"])
        audit.record(
            actor=actor,
            action="posts.grid.end",
            obj=assignment,
            changes={"ended_on": ended_on},
        )
    return assignment


# --- cases raised at a post ---------------------------------------------------------


def post_case_link(
    *, actor: Any, post: Post, case: Any, origin: str, patrol: Patrol | None = None
) -> PostCase:
    """Record that `case` was raised at `post` (on a patrol, or by a resident via the sign).

    Called inside the transaction that filed the case, by the patrol service
    and by the public report at a post.
    """
    if origin not in CaseOrigin.values:
        raise PostError(_("Unknown origin."))
    link = PostCase.objects.create(post=post, case=case, origin=origin, patrol=patrol)
    audit.record(
        actor=actor,
        action="posts.case.link",
        obj=link,
        changes={"post": post.code, "case": case.number, "origin": origin},
    )
    return link
