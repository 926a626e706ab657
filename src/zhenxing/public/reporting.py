"""A resident's report, from the public form or an Open311 client, and its tracking code.

Both channels end here, so a report is the same case whatever brought it:
source "resident", no user account, the mobile number kept only on the case
(never shown publicly), and a random tracking code the resident follows it by
(the GeoReport `token` too).
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Case, Category
from zhenxing.cases.photos import ValidatedPhoto
from zhenxing.cases.services import CaseError, case_report
from zhenxing.core import audit, ratelimit
from zhenxing.core.ratelimit import Limit, Verdict
from zhenxing.people.models import mobile_validator
from zhenxing.posts.models import CaseOrigin, Post
from zhenxing.posts.services import post_case_link
from zhenxing.posts.views.public import POST_TOKEN_RE
from zhenxing.public.models import Publication, ReportChannel, ResidentReport
from zhenxing.public.selectors import PublicStatus, TimelineStep, public_status, public_timeline
from zhenxing.public.services import default_place
from zhenxing.territory.selectors import community_path

# No 0/O, 1/I/L: a code read aloud over the phone or copied by hand still works.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: guessing one in a rate-limited lookup is hopeless


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str) -> str:
    """What a resident typed, as stored: upper case, spaces and dashes dropped."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def reportable_categories() -> Any:
    """The sub-categories a resident may choose (main categories only group them)."""
    return (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent__code", "order", "code")
    )


def clean_mobile(mobile: str) -> str:
    mobile = (mobile or "").strip().replace(" ", "")
    if not mobile:
        return ""
    try:
        mobile_validator(mobile)
    except ValidationError as error:
        raise CaseError(
            _("Enter an 11-digit mainland mobile number, or leave it empty.")
        ) from error
    return mobile


def resident_report_file(
    *,
    category: Category,
    description: str,
    lat: float | None,
    lng: float | None,
    photos: Sequence[ValidatedPhoto] = (),
    mobile: str = "",
    reporter_name: str = "",
    address: str = "",
    channel: str = ReportChannel.WEB,
    open311_client: Any = None,
    post: Post | None = None,
) -> ResidentReport:
    """File an anonymous resident's report as a case and give it a tracking code.

    `post`: the responsibility post whose sign the resident scanned
    (`reportable_post`); the case is linked to it in the same transaction.
    Raises `CaseError` (message for the resident) for a bad category or a
    place outside the territory; nothing is written then.
    """
    description = (description or "").strip()
    if not description:
        raise CaseError(_("Describe the problem."))
    if category.parent_id is None or not category.is_active:
        raise CaseError(_("Choose a category from the list."))
    mobile = clean_mobile(mobile)
    with transaction.atomic():
        case = case_report(
            actor=None,
            category=category,
            source="resident",
            description=description,
            lat=lat,
            lng=lng,
            address=address.strip()[:200],
            photos=photos,
            reporter_name=reporter_name.strip()[:50],
            reporter_mobile=mobile,
        )
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    report = ResidentReport.objects.create(
                        case=case,
                        tracking_code=new_tracking_code(),
                        channel=channel,
                        open311_client=open311_client,
                    )
                break
            except IntegrityError:  # pragma: no cover - a clash of random codes
                continue
        else:  # pragma: no cover
            raise CaseError(_("Could not issue a tracking code; please try again."))
        if post is not None and (at_post := _linkable_post(post, case)) is not None:
            post_case_link(actor=None, post=at_post, case=case, origin=CaseOrigin.RESIDENT)
        audit.record(
            actor=None,
            action="public.resident_report",
            obj=case,
            summary=_("Resident's report %(number)s received (%(channel)s)")
            % {"number": case.number, "channel": report.get_channel_display()},
            changes={
                "channel": channel,
                **({"open311_client": open311_client.pk} if open311_client else {}),
            },
        )
    return report


def _linkable_post(post: Post, case: Case) -> Post | None:
    """The post, re-read and locked, if the resident's case may count as raised at it.

    Only when the pin lies in the post's community (a sign scanned in one
    community and a pin dropped in another is a report about the other place,
    and must not count against this post's holders), and only while the post
    is still active: it is re-read under `select_for_update` inside the filing
    transaction, so a post retired since the form was opened gets no new case
    (`posts.services.post_retire` locks the same row).
    """
    if case.region_id is None:
        return None
    locked = (
        Post.objects.select_for_update(of=("self",))
        .filter(pk=post.pk, is_active=True)
        .order_by()
        .first()
    )
    if locked is None:
        return None
    return locked if case.region.path.startswith(community_path(locked.region.path)) else None


def clean_post_token(token: str | None) -> str:
    """The token as sent, stripped, if it could be a post's; else "" (a NUL byte, say,
    which PostgreSQL refuses in a query)."""
    token = (token or "").strip()
    return token if POST_TOKEN_RE.fullmatch(token) else ""


def reportable_post(token: str | None) -> Post | None:
    """The active post with this public token (from its sign's QR code), or None.

    A retired post's, an unknown or a malformed token is no error: the resident
    files a normal report.
    """
    token = clean_post_token(token)
    if not token:
        return None
    return Post.objects.select_related("region").filter(public_token=token, is_active=True).first()


# Wrong tracking codes one client (an IPv4 address or an IPv6 /64) may try in an hour,
# on the tracking page and the Open311 token lookup together. Codes are 31^10.
TRACK_MISS_SCOPE = "public-track-miss"
TRACK_MISSES_PER_HOUR = 30


def lookup_limited(code: str, *, client: str | None) -> tuple[ResidentReport | None, Verdict]:
    """Find a report by its code, within the client's allowance of wrong codes.

    One attempt is counted before looking and given back on a hit, so a burst
    of concurrent guesses cannot outrun the limit; once it is spent, every
    lookup is refused, a right code too, so a hit looks like a miss to a guesser.
    """
    now = timezone.now()
    limits = [Limit(TRACK_MISSES_PER_HOUR, datetime.timedelta(hours=1))]
    verdict = ratelimit.consume(scope=TRACK_MISS_SCOPE, client=client, limits=limits, now=now)
    if not verdict.allowed:
        return None, verdict
    report = find_report(code)
    if report is not None:
        ratelimit.refund(scope=TRACK_MISS_SCOPE, client=client, limits=limits, now=now)
    return report, verdict


def find_report(code: str) -> ResidentReport | None:
    code = normal_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return (
        ResidentReport.objects.select_related(
            "case", "case__category", "case__category__parent", "case__region"
        )
        .filter(tracking_code=code)
        .first()
    )


# --- what the resident sees when following a report -------------------------------


@dataclass(frozen=True)
class TrackedReport:
    code: str
    number: str
    category: Category
    place: str
    received_at: datetime.datetime
    status: PublicStatus
    steps: list[TimelineStep]
    # The case on the exposure board, when the office has published it (else None).
    publication: Publication | None


def public_steps(case: Case) -> list[TimelineStep]:
    """The case's public steps as its reporter follows them (the board's words, with history)."""
    return public_timeline(case, history=True)


def track_report(report: ResidentReport) -> TrackedReport:
    """What a tracking code shows: no description, no names, no numbers, no notes.

    The description is left out because residents write their own number into it.
    The place is "<community> <area>", as the board gives it; never the address.
    """
    case = report.case
    place = default_place(case) if case.region_id is not None else ""
    publication = Publication.objects.filter(case=case, is_published=True).first()
    return TrackedReport(
        code=report.tracking_code,
        number=case.number,
        category=case.category,
        place=place,
        received_at=case.reported_at,
        status=public_status(case),
        steps=public_steps(case),
        publication=publication,
    )
