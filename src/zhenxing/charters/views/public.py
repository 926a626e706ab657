"""A charter version's public page (/public/charters/<token>/), no login.

Anyone with the link reads a version that is out for comment, put to the
vote, adopted or filed; a draft or a version not adopted answers 404, as an
unknown token does. While the version is out for comment, up to and
including its last day, residents comment on it here. The page shows no
personal data and no one else's comments.

A comment passes, in this order: the honeypot, the form, the per-client rate
limit (only now, so a resident's allowance is not spent on their own typos),
and the service. Every refusal sends the form back with what was typed.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenxing.charters import services
from zhenxing.charters.forms import PublicCommentForm
from zhenxing.charters.models import Article, Chapter, CharterVersion, CommentSource
from zhenxing.charters.parse import chinese_numeral
from zhenxing.core import ratelimit
from zhenxing.core.ratelimit import Limit

# services.new_public_token: 16 characters of URL-safe base64.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,16}$")
COMMENT_SCOPE = "charter-comment"
COMMENTS_PER_HOUR = 10
COMMENTS_PER_DAY = 30
MAX_AGE = 60


def _limits() -> list[Limit]:
    return [
        Limit(COMMENTS_PER_HOUR, datetime.timedelta(hours=1)),
        Limit(COMMENTS_PER_DAY, datetime.timedelta(days=1)),
    ]


def _version(token: str) -> CharterVersion:
    if not TOKEN.match(token or ""):
        raise Http404
    version = (
        CharterVersion.objects.select_related("charter", "charter__region")
        .filter(public_token=token, status__in=services.PUBLIC_STATUSES)
        .first()
    )
    if version is None:
        raise Http404
    return version


def _chapters(version: CharterVersion) -> list[Chapter]:
    chapters = list(
        Chapter.objects.filter(version=version)
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "articles",
                queryset=Article.objects.order_by("number").prefetch_related("topics"),
                to_attr="article_list",
            )
        )
    )
    for chapter in chapters:
        chapter.numeral = chinese_numeral(chapter.number)
        for article in chapter.article_list:
            article.numeral = chinese_numeral(article.number)
            article.paragraphs = [p for p in article.text.splitlines() if p.strip()]
    return chapters


def _page(
    request: HttpRequest,
    version: CharterVersion,
    form: PublicCommentForm | None,
    *,
    status: int = 200,
    refusal: tuple[str, str] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "version": version,
        "charter": version.charter,
        "chapters": _chapters(version),
        "form": form,
        "refusal_code": refusal[0] if refusal else "",
        "refusal": refusal[1] if refusal else "",
    }
    response = render(request, "charters/public_version.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    # Private: the page carries the form's CSRF token, which no shared cache may hand on.
    patch_cache_control(response, private=True, max_age=0 if form is not None else MAX_AGE)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def version_page(request: HttpRequest, token: str) -> HttpResponse:
    version = _version(token)
    open_now = services.comments_open(version)
    if request.method != "POST":
        return _page(request, version, PublicCommentForm(version) if open_now else None)
    if not open_now:
        return _page(
            request,
            version,
            None,
            status=400,
            refusal=("closed", _("The time for comments on this version is over.")),
        )
    form = PublicCommentForm(version, request.POST)
    if form.honeypot_filled:
        return _page(
            request,
            version,
            form,
            status=400,
            refusal=("honeypot", _("The form could not be sent. Reload the page and try again.")),
        )
    if not form.is_valid():
        return _page(request, version, form, status=400)
    verdict = ratelimit.consume(
        scope=COMMENT_SCOPE, client=ratelimit.network_of(request), limits=_limits()
    )
    if not verdict.allowed:
        minutes = max(1, (verdict.retry_after + 59) // 60)
        return _page(
            request,
            version,
            form,
            status=429,
            refusal=(
                "limited",
                _(
                    "So many comments came from your network that we must pause it for a while. "
                    "Try again in %(minutes)d minutes; what you typed is kept below."
                )
                % {"minutes": minutes},
            ),
            retry_after=verdict.retry_after,
        )
    data = form.cleaned_data
    try:
        services.comment_add(
            version=version,
            text=data["text"],
            article=data["article"],
            author_name=data["author_name"],
            author_mobile=data["author_mobile"],
            source=CommentSource.PUBLIC,
        )
    except services.CharterError as error:
        form.add_error(None, str(error))
        return _page(request, version, form, status=400)
    messages.success(request, _("Thank you! Your comment was received by the community."))
    return redirect("charters_public:version", token=version.public_token)
