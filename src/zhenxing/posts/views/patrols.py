"""Patrol pages: "my posts" and the check-in for members; the patrol list and detail for staff.

Reads go through `posts.permissions` (404 outside scope); the one write goes
through `posts.patrols.patrol_record`. A member who sees a post but does not
hold it gets 403 on its check-in page. Patrol photos are served like case
photos: private files, one 404 for every refusal, originals (EXIF) only for
those who manage the post.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.cases.models import Case, Source
from zhenxing.cases.permissions import cases_visible_to
from zhenxing.cases.photos import MAX_PHOTOS, max_photo_mb
from zhenxing.cases.views.photos import serve_photo
from zhenxing.core import audit
from zhenxing.core.listing import export_too_large, paginate
from zhenxing.core.permissions import page_or_404, require
from zhenxing.core.privacy import mask_mobiles_unless
from zhenxing.core.xlsx import xlsx_response
from zhenxing.people.permissions import can_see_full_mobile, full_mobile_in_export
from zhenxing.posts.figures import this_month
from zhenxing.posts.forms import filters_for_audit, invalid_filters
from zhenxing.posts.forms_patrol import PatrolFilterForm, PatrolForm
from zhenxing.posts.models import Patrol, PatrolPhoto, Post, PostCase
from zhenxing.posts.patrols import patrol_record
from zhenxing.posts.permissions import (
    can_manage_post,
    can_patrol,
    get_patrol_for_user,
    get_post_for_user,
    member_of,
    patrol_photos_visible_to,
    patrols_visible_to,
    posts_held_by,
    sees_posts,
)
from zhenxing.posts.services import PostError
from zhenxing.posts.views.posts import export_refused

# The workbook is built in memory: a year of the whole subdistrict's patrols
# is far more; a month of it fits.
PATROL_EXPORT_MAX_ROWS = 20_000
RECENT_PATROLS = 10
RECENT_CASES = 20


def _case_links(user: Any, cases: list[Case]) -> set[int]:
    """The pks of those cases the viewer may open (the others are listed without a link)."""
    if not cases:
        return set()
    return set(
        cases_visible_to(user).filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True)
    )


# --- the member's own pages ------------------------------------------------------


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The posts the member holds today, their patrols this month and the cases they found."""
    member = member_of(request.user)
    page_or_404(member is not None)
    assert member is not None
    month = this_month()
    month_start, _month_end = month.bounds()
    posts = list(
        posts_held_by(member)
        .select_related("post_type", "region")
        .annotate(last_patrol=Max("patrols__at", filter=Q(patrols__member=member)))
        .order_by("region__path", "code")
    )
    own = Patrol.objects.filter(member=member)
    recent = list(
        own.select_related("post").prefetch_related(
            Prefetch("post_cases", queryset=PostCase.objects.select_related("case"))
        )[:RECENT_PATROLS]
    )
    found = list(
        Case.objects.filter(
            Q(post_link__patrol__member=member)
            | Q(reporter=request.user, source=Source.PARTY_PATROL)
        )
        .select_related("category")
        .distinct()
        .order_by("-reported_at", "-pk")[:RECENT_CASES]
    )
    return render(
        request,
        "posts/mine.html",
        {
            "member": member,
            "posts": posts,
            "month_count": own.filter(at__gte=month_start).count(),
            "recent": recent,
            "found": found,
            "case_links": _case_links(request.user, found),
        },
    )


def _post_to_check_in(user: Any, pk: int) -> Post:
    """The post of a check-in: one the member behind this login holds today, else as read.

    "My posts" lists the posts the member holds (`posts_held_by`), whatever the
    login's roles: a member whose role moved to another community (or who has
    no role at all) still checks in on their own active posts. Only the
    holder reaches a post that way; anyone else reads posts by roster scope
    (404 outside it, 403 from `can_patrol` on a post they see but do not hold).
    """
    member = member_of(user)
    if member is not None:
        held = (
            posts_held_by(member)
            .select_related("post_type", "region", "organization")
            .filter(pk=pk)
            .first()
        )
        if held is not None:
            return held
    return get_post_for_user(user, pk)


@require_http_methods(["GET", "POST"])
@login_required
def patrol_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone check-in at one post the member holds."""
    post = _post_to_check_in(request.user, pk)
    require(can_patrol(request.user, post))
    form = PatrolForm(post, request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                patrol = patrol_record(actor=request.user, post=post, **form.service_kwargs())
            except PostError as exc:
                form.add_error(None, str(exc))
            except PermissionDenied:
                # The claim ended between the page and the submit.
                raise
            else:
                case = getattr(patrol, "case", None)
                if case is not None:
                    messages.success(
                        request,
                        _("Check-in recorded (case %(number)s opened).") % {"number": case.number},
                    )
                else:
                    messages.success(request, _("Check-in recorded."))
                return redirect("posts:mine")
        status = 400
    return render(
        request,
        "posts/patrol_form.html",
        {
            "post": post,
            "form": form,
            "photos_again": request.method == "POST" and bool(request.FILES.getlist("photos")),
            "photo_mb": max_photo_mb(),
            "max_photos": MAX_PHOTOS,
        },
        status=status,
    )


# --- the staff's pages --------------------------------------------------------------


def _filtered_patrols(request: HttpRequest) -> tuple[PatrolFilterForm, QuerySet[Patrol]]:
    form = PatrolFilterForm(request.user, request.GET or None)
    patrols = patrols_visible_to(request.user).order_by("-at", "-pk")
    return form, form.apply(patrols)


def _photo_count() -> Any:
    counted = (
        PatrolPhoto.objects.filter(patrol=OuterRef("pk"))
        .order_by()
        .values("patrol")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def _with_rows(patrols: QuerySet[Patrol]) -> QuerySet[Patrol]:
    return (
        patrols.select_related("member", "member__region", "post", "post__region", "organization")
        .annotate(photo_count=_photo_count())
        .prefetch_related(
            Prefetch("post_cases", queryset=PostCase.objects.select_related("case").order_by("pk"))
        )
    )


@require_GET
@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    form, patrols = _filtered_patrols(request)
    listing = paginate(request, _with_rows(patrols))
    return render(request, "posts/patrol_list.html", {"form": form, **listing})


@require_GET
@login_required
def patrol_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX (names, no mobiles). Over the cap: narrow the filters."""
    page_or_404(sees_posts(request.user))
    form, patrols = _filtered_patrols(request)
    problem = invalid_filters(form, request.GET)
    if problem:
        return export_refused(request, problem, "posts:patrols")
    filters = filters_for_audit(form)
    too_large = export_too_large(
        request,
        patrols.count(),
        PATROL_EXPORT_MAX_ROWS,
        _(
            "An export holds at most %(max)s patrols. "
            "Narrow the filters (a month, a community) and export again."
        ),
        "posts:patrols",
    )
    if too_large is not None:
        return too_large
    counts = {"rows": 0}
    # A note is free text: a member may type a neighbour's number into it. The file
    # leaves the system, so only the office's own members' notes keep full numbers.
    full = full_mobile_in_export(request.user)

    def rows() -> Iterator[tuple[Any, ...]]:
        # Prefetching needs chunks: the cases of each 2,000 patrols come in one query.
        for p in _with_rows(patrols).iterator(chunk_size=2000):
            counts["rows"] += 1
            yield (
                timezone.localtime(p.at).strftime("%Y-%m-%d %H:%M"),
                p.member.name,
                p.organization.name if p.organization_id else "",
                p.post.code,
                p.post.name,
                p.post.place_name or p.post.region.name,
                p.lat,
                p.lng,
                p.accuracy_m,
                p.photo_count,
                mask_mobiles_unless(p.note, full(p.member)),
                " ".join(link.case.number for link in p.post_cases.all()),
            )

    headers = [
        _("Time"),
        _("Party member"),
        _("Party organisation"),
        _("Post code"),
        _("Post"),
        _("Place"),
        _("Latitude"),
        _("Longitude"),
        _("Accuracy (m)"),
        _("Photos"),
        _("Notes"),
        _("Cases opened"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = xlsx_response(f"patrols-{stamp}.xlsx", headers, rows(), title=_("Patrols"))
    audit.record(
        actor=request.user,
        action="posts.patrol.export",
        summary=f"{counts['rows']} rows; {urlencode(filters)}"[:300],
        changes={**counts, "filters": filters},
    )
    return response


@require_GET
@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = get_patrol_for_user(request.user, pk)
    # Free text: numbers typed into the note are masked like the member's own number.
    note = mask_mobiles_unless(patrol.note, can_see_full_mobile(request.user, patrol.member))
    links = list(patrol.post_cases.select_related("case", "case__category").order_by("pk"))
    cases = [link.case for link in links]
    return render(
        request,
        "posts/patrol_detail.html",
        {
            "patrol": patrol,
            "note": note,
            "post": patrol.post,
            "photos": list(patrol.photos.all()),
            "cases": cases,
            "case_links": _case_links(request.user, cases),
            "may_see_originals": can_manage_post(request.user, patrol.post),
        },
    )


@require_GET
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    return serve_photo(
        request,
        variant=variant,
        find=lambda user: (
            patrol_photos_visible_to(user)
            .filter(token=token)
            .select_related("patrol__post__region")
            .first()
        ),
        # The original keeps its EXIF (GPS, time, phone): for those who run the post only.
        may_see_original=lambda user, found: can_manage_post(user, found.patrol.post),
    )
