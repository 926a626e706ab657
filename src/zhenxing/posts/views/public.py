"""The post's public page (/public/posts/<token>/), reached from the QR code on its sign.

No login. It shows what the sign on the wall shows — the post, its place,
its duties, its party organisation, and the holders' names with masked
mobiles — plus how many patrols the post had in the last 30 days (a count,
nothing about who or where), and a button to report a problem at the post.
No staff names, no full mobiles, no photos. A retired post says so and
shows no holders.
"""

from __future__ import annotations

import datetime
import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from zhenxing.posts.models import Patrol, Post
from zhenxing.posts.signs import community_of, holders_today, public_post_url

# A post's public token (`posts.services.new_public_token`: URL-safe base64, 16 characters);
# the URL converter (`posts.urls_public`) and the report form (`public.reporting`) use it.
POST_TOKEN_PATTERN = "[A-Za-z0-9_-]{1,16}"  # noqa: S105  (a pattern, not a secret)
POST_TOKEN_RE = re.compile(POST_TOKEN_PATTERN)
PATROL_WINDOW = datetime.timedelta(days=30)
# A resident's phone may keep the page a minute; a change of holders shows soon after.
MAX_AGE = 60


@require_safe
def post_page(request: HttpRequest, token: str) -> HttpResponse:
    # The URL converter already refuses other tokens; this keeps the view safe on its own.
    if not POST_TOKEN_RE.fullmatch(token):
        raise Http404
    post = (
        Post.objects.select_related("post_type", "region", "organization")
        .filter(public_token=token)
        .first()
    )
    if post is None:
        raise Http404
    community = community_of(post)
    active = post.is_active
    context = {
        "post": post,
        "active": active,
        "community": community,
        "holders": holders_today(post) if active else [],
        "duties": [line.strip() for line in post.duties.splitlines() if line.strip()],
        "patrols": (
            Patrol.objects.filter(post=post, at__gte=timezone.now() - PATROL_WINDOW).count()
            if active
            else 0
        ),
        "report_url": reverse("public:report") + "?" + urlencode({"post": post.public_token}),
        "og_url": public_post_url(post, request),
    }
    response = render(request, "posts/public_post.html", context)
    # Private: the page may set the language switch's CSRF cookie, which no shared
    # cache may hand to the next visitor. Short: holders change.
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response
