"""Printable responsibility signs: one post's sign, or the signs of a filtered list of posts.

Reads only (no audit): whoever sees a post may print its sign; the QR code
leads to the post's public page (`posts.signs.public_post_url`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhenxing.core.permissions import page_or_404
from zhenxing.posts.forms import PostFilterForm
from zhenxing.posts.models import Post
from zhenxing.posts.permissions import get_post_for_user, posts_visible_to, sees_posts
from zhenxing.posts.signs import (
    MAX_SIGNS,
    PDF_TYPE,
    SIZES,
    posts_for_signs,
    public_post_url,
    sign_pdf,
)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "posts/signs_refused.html", {"message": message}, status=400)


def _size(request: HttpRequest) -> str | None:
    size = (request.GET.get("size") or "a4").strip().lower()
    return size if size in SIZES else None


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=PDF_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post_for_user(request.user, pk)
    size = _size(request)
    if size is None:
        return _refused(request, _("Choose the sign's size: A4 or A5."))
    data = sign_pdf(
        posts_for_signs(Post.objects.filter(pk=post.pk)),
        size=size,
        public_url=lambda p: public_post_url(p, request),
    )
    return _pdf_response(data, f"sign-{post.code}-{size}.pdf")


def _filtered(request: HttpRequest) -> tuple[QuerySet[Post] | None, str]:
    """The active posts the post list's filters select, or None and what was wrong with them.

    The parameters are the list's own (`forms.PostFilterForm`), so "Print
    signs" under a filtered list prints exactly the posts listed there. The
    list ignores a filter it cannot read; a print run must not: a community
    that is out of reach would otherwise widen the run to every post.
    Only active posts get signs, whatever `status` says.
    """
    form = PostFilterForm(request.user, request.GET)
    if request.GET and not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        return None, " ".join(problems)
    return form.apply(posts_visible_to(request.user)).filter(is_active=True), ""


@login_required
@require_GET
def signs(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    size = _size(request)
    if size is None:
        return _refused(request, _("Choose the sign's size: A4 or A5."))
    posts, problem = _filtered(request)
    if posts is None:
        return _refused(request, problem)
    # One query more than needed to tell "too many" from "just right".
    pks = list(posts.order_by("region__path", "code").values_list("pk", flat=True)[: MAX_SIGNS + 1])
    if not pks:
        return _refused(
            request, _("No active post matches these filters: there is no sign to print.")
        )
    if len(pks) > MAX_SIGNS:
        return _refused(
            request,
            _(
                "More than %(max)d posts match these filters. Narrow the filters "
                "(a community, a post type) and print the signs in parts."
            )
            % {"max": MAX_SIGNS},
        )
    data = sign_pdf(
        posts_for_signs(Post.objects.filter(pk__in=pks).order_by("region__path", "code")),
        size=size,
        public_url=lambda p: public_post_url(p, request),
    )
    return _pdf_response(data, f"signs-{size}.pdf")
