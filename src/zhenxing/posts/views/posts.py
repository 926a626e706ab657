"""Pages for responsibility posts and their claims: list, export, detail, create, edit,
retire, add and end a claim, and the XLSX import.

Reads go through `posts.permissions` (404 outside scope); writes go through
`posts.services` / `posts.imports` (views never save a model); a user who can
see a post but not change it gets 403.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.cases.permissions import cases_visible_to
from zhenxing.core import audit
from zhenxing.core.listing import export_too_large, paginate, querystring_without_page
from zhenxing.core.permissions import page_or_404, require
from zhenxing.core.privacy import mask_mobile, mask_mobiles_unless
from zhenxing.core.xlsx import xlsx_download, xlsx_response
from zhenxing.people.permissions import (
    can_see_full_mobile,
    communities_visible_to,
    full_mobile_in_export,
)
from zhenxing.posts import imports, services
from zhenxing.posts.forms import (
    ClaimAddForm,
    ClaimEndForm,
    PostFilterForm,
    PostForm,
    PostImportForm,
    PostRetireForm,
    filters_for_audit,
    invalid_filters,
)
from zhenxing.posts.models import Patrol, Post, PostCase, PostClaim
from zhenxing.posts.permissions import (
    can_manage_post,
    get_claim_for_user,
    get_post_for_user,
    may_manage_posts,
    patrols_visible_to,
    posts_visible_to,
    sees_posts,
)
from zhenxing.territory.selectors import community_path

# The workbook is built in memory; the whole subdistrict (584 posts) fits many times over.
POST_EXPORT_MAX_ROWS = 5_000
# The post page lists the latest cases raised at the post, and counts them all.
POST_CASES_SHOWN = 20
# "Patrols in the last 30 days" on the list: how busy a post is now.
RECENT_PATROL_DAYS = 30


def _open_claims() -> QuerySet[PostClaim]:
    return (
        PostClaim.objects.filter(ended_on__isnull=True)
        .select_related("member", "member__organization", "member__region")
        .order_by("started_on", "pk")
    )


def _filtered_posts(request: HttpRequest) -> tuple[PostFilterForm, QuerySet[Post]]:
    form = PostFilterForm(request.user, request.GET or None)
    posts = posts_visible_to(request.user).order_by("region__path", "code", "pk")
    return form, form.apply(posts)


def _community_names(user: Any) -> dict[str, str]:
    """Community path → name, to show each post's community without a join per row."""
    return dict(communities_visible_to(user).values_list("path", "name"))


@require_GET
@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    form, posts = _filtered_posts(request)
    since = timezone.now() - datetime.timedelta(days=RECENT_PATROL_DAYS)
    recent = (
        Patrol.objects.filter(post=OuterRef("pk"), at__gte=since)
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        posts.select_related("post_type", "region")
        .prefetch_related(Prefetch("claims", queryset=_open_claims(), to_attr="open_claims"))
        .annotate(recent_patrols=Coalesce(Subquery(recent, output_field=IntegerField()), 0))
    )
    listing = paginate(request, rows)
    communities = _community_names(request.user)
    for post in listing["page"].object_list:
        post.community_name = communities.get(community_path(post.region.path), "")
    holders = (
        PostClaim.objects.filter(ended_on__isnull=True, post__in=posts.values("pk"))
        .values("member_id")
        .distinct()
        .count()
    )
    return render(
        request,
        "posts/post_list.html",
        {
            "form": form,
            **listing,
            "holder_count": holders,
            "may_manage": may_manage_posts(request.user),
        },
    )


def export_refused(request: HttpRequest, problem: str, list_url_name: str) -> HttpResponse:
    """400 for an export whose filters cannot be read, with the way back to the list."""
    querystring = querystring_without_page(request)
    back = reverse(list_url_name) + (f"?{querystring}" if querystring else "")
    return render(
        request,
        "posts/export_refused.html",
        {"message": problem, "back_url": back},
        status=400,
    )


@require_GET
@login_required
def post_export(request: HttpRequest) -> HttpResponse:
    """The filtered posts as XLSX, one row per current holder (one row for a post with none).

    Mobiles are full only where `people.permissions.full_mobile_in_export` allows
    (the office's own communities); a secretary's file is masked.
    """
    page_or_404(sees_posts(request.user))
    form, posts = _filtered_posts(request)
    problem = invalid_filters(form, request.GET)
    if problem:
        return export_refused(request, problem, "posts:list")
    filters = filters_for_audit(form)
    too_large = export_too_large(
        request,
        posts.count(),
        POST_EXPORT_MAX_ROWS,
        _(
            "An export holds at most %(max)s posts. "
            "Narrow the filters (a community or a post type) and export again."
        ),
        "posts:list",
    )
    if too_large is not None:
        return too_large
    posts = posts.select_related("post_type", "region", "organization").prefetch_related(
        Prefetch("claims", queryset=_open_claims(), to_attr="open_claims")
    )
    communities = _community_names(request.user)
    full = full_mobile_in_export(request.user)
    counts = {"rows": 0, "posts": 0, "full_mobiles": 0}
    active, retired = _("Active"), _("Retired")

    def rows() -> Iterator[tuple[Any, ...]]:
        for post in posts:
            counts["posts"] += 1
            head = (
                post.code,
                post.name,
                post.post_type.name,
                communities.get(community_path(post.region.path), ""),
                post.region.code,
                post.region.name,
                post.get_place_kind_display(),
                post.place_name,
                post.lat,
                post.lng,
                post.organization.name if post.organization else "",
                active if post.is_active else retired,
            )
            for claim in post.open_claims or [None]:
                counts["rows"] += 1
                if claim is None:
                    yield (*head, "", "", "", None)
                    continue
                member = claim.member
                show = full(member)
                counts["full_mobiles"] += bool(show and member.mobile)
                yield (
                    *head,
                    member.name,
                    member.organization.name,
                    member.mobile if show else mask_mobile(member.mobile),
                    claim.started_on,
                )

    headers = [
        _("Code"),
        _("Name"),
        _("Post type"),
        _("Community"),
        _("Region code"),
        _("Region"),
        _("Kind of place"),
        _("Place"),
        _("Latitude"),
        _("Longitude"),
        _("Party organisation"),
        _("Status"),
        _("Holder"),
        _("Holder's organisation"),
        _("Mobile"),
        _("Claimed on"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = xlsx_response(f"posts-{stamp}.xlsx", headers, rows())
    # Holders' numbers leaving the system are worth a row in the audit log.
    audit.record(
        actor=request.user,
        action="posts.post.export",
        summary=f"{counts['posts']} posts; {urlencode(filters)}"[:300],
        changes={**counts, "filters": filters},
    )
    return response


@require_GET
@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk)
    claims = list(
        post.claims.select_related("member", "member__organization", "member__region").order_by(
            "-started_on", "-pk"
        )
    )
    current = [c for c in claims if c.is_open]
    for claim in current:
        claim.full_mobile = can_see_full_mobile(request.user, claim.member)
    patrols = list(
        patrols_visible_to(request.user)
        .filter(post=post)
        .select_related("member", "member__region")[:10]
    )
    for patrol in patrols:
        # Free text: numbers typed into a note are masked like the member's own number.
        patrol.shown_note = mask_mobiles_unless(
            patrol.note, can_see_full_mobile(request.user, patrol.member)
        )
    # Only the cases the viewer may open (the post's readers follow the rosters, the
    # cases their own scope), and the latest few: a busy post gathers hundreds.
    links = PostCase.objects.filter(
        post=post, case__in=cases_visible_to(request.user).values("pk")
    ).order_by("-created_at", "-pk")
    cases = list(links.select_related("case", "patrol")[:POST_CASES_SHOWN])
    cases_total = len(cases) if len(cases) < POST_CASES_SHOWN else links.count()
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "ancestors": list(post.region.ancestors()),
            "current": current,
            "claims": claims,
            "patrols": patrols,
            "cases": cases,
            "cases_total": cases_total,
            "can_manage": can_manage_post(request.user, post),
        },
    )


def _post_form_values(form: PostForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    # Left empty, the duties are the type's standard ones (the service does so on create).
    data["duties"] = data["duties"].strip() or data["post_type"].duties
    return data


@require_http_methods(["GET", "POST"])
@login_required
def post_create_view(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    require(may_manage_posts(request.user))
    form = PostForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_create(actor=request.user, **_post_form_values(form))
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The post was opened."))
                return redirect("posts:detail", pk=post.pk)
        status = 400
    return render(request, "posts/post_form.html", {"form": form, "post": None}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk)
    require(can_manage_post(request.user, post))
    form = PostForm(request.user, request.POST or None, instance=post)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.post_update(actor=request.user, post=post, **_post_form_values(form))
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The post was saved."))
                return redirect("posts:detail", pk=post.pk)
        status = 400
    return render(request, "posts/post_form.html", {"form": form, "post": post}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def post_retire_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET says what retiring does and asks for the date; POST retires."""
    post = get_post_for_user(request.user, pk)
    require(can_manage_post(request.user, post))
    form = PostRetireForm(request.POST or None, initial={"retired_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.post_retire(
                    actor=request.user,
                    post=post,
                    on=form.cleaned_data["retired_on"],
                    reason=form.cleaned_data["reason"],
                )
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The post was retired."))
                return redirect("posts:detail", pk=post.pk)
        status = 400
    open_claims = post.claims.filter(ended_on__isnull=True).count()
    return render(
        request,
        "posts/post_retire.html",
        {"form": form, "post": post, "open_claims": open_claims},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk)
    require(can_manage_post(request.user, post))
    form = ClaimAddForm(
        request.user, post, request.POST or None, initial={"started_on": timezone.localdate()}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            member = form.cleaned_data["member"]
            try:
                services.claim_start(
                    actor=request.user,
                    post=post,
                    member=member,
                    started_on=form.cleaned_data["started_on"],
                )
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(member)s now holds this post.") % {"member": member.name}
                )
                return redirect("posts:detail", pk=post.pk)
        status = 400
    return render(request, "posts/claim_form.html", {"form": form, "post": post}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def claim_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    post = claim.post
    require(can_manage_post(request.user, post))
    form = ClaimEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.claim_end(
                    actor=request.user,
                    claim=claim,
                    ended_on=form.cleaned_data["ended_on"],
                    reason=form.cleaned_data["reason"],
                )
            except services.PostError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("%(member)s no longer holds this post.") % {"member": claim.member.name},
                )
                return redirect("posts:detail", pk=post.pk)
        status = 400
    return render(
        request,
        "posts/claim_end.html",
        {"form": form, "post": post, "claim": claim},
        status=status,
    )


# --- import ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def post_import(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    require(may_manage_posts(request.user))
    form = PostImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "form": form,
        "sheets": [
            (imports.POSTS_SHEET, imports.POST_COLUMNS),
            (imports.CLAIMS_SHEET, imports.CLAIM_COLUMNS),
        ],
        "result": None,
    }
    if request.method == "GET":
        return render(request, "posts/post_import.html", context)
    if not form.is_valid():
        return render(request, "posts/post_import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = imports.posts_import(file=upload, filename=upload.name, actor=request.user)
    except imports.ImportFileError as exc:
        form.add_error("file", str(exc))
        return render(request, "posts/post_import.html", context, status=400)
    context["result"] = result
    # Rows with errors mean nothing was written: a 400, like any rejected form.
    return render(request, "posts/post_import.html", context, status=200 if result.ok else 400)


@require_GET
@login_required
def post_import_template(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    require(may_manage_posts(request.user))
    return xlsx_download(imports.template_workbook(), "posts-template.xlsx")
