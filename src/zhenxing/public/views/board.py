"""The exposure board as residents see it (/public/): no login, published things only.

Every page and file here is built from what the office published — a
`Publication` that `is_published`, a published `Circular`'s `public_content` —
and is checked on every request, so unpublishing takes effect at once.
Whatever is not (or no longer) published answers the same 404 as what never
existed: a number or a token seen once tells nobody anything.

Nothing here is cached by the browser or any proxy without asking us first
(`Cache-Control: no-cache`): a WeChat user who opened a spot yesterday must
not keep seeing it from a cache after the office took it down.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from PIL import UnidentifiedImageError

from zhenxing.assessment import circulars as circular_content
from zhenxing.assessment.circulars import summary_figures
from zhenxing.assessment.models import Circular
from zhenxing.cases.photos import private_storage
from zhenxing.core.listing import paginate, querystring_without_page
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.core.privacy import strip_mobiles_in
from zhenxing.public import selectors
from zhenxing.public.imaging import ensure_share_image
from zhenxing.public.models import Publication
from zhenxing.territory.models import Region

logger = logging.getLogger(__name__)

# Cards per page: a phone scrolls through ten comfortably, and each brings two thumbnails.
PAGE_SIZE = 10
CIRCULARS_PAGE_SIZE = 20
# The map draws at most this many points (the newest); the list pages through all of them.
MAP_MAX_POINTS = 1000
# The territory's outlines change when the office imports a new map, seldom: browsers
# and proxies may keep them this long, and the server keeps the JSON as long.
OUTLINES_MAX_AGE = 600
OUTLINES_CACHE_KEY = "public:outlines"


def _no_cache(response: HttpResponse) -> HttpResponse:
    # "no-cache" (not "no-store"): a browser may keep a copy but must ask us before
    # each use, so an unpublished spot or photo disappears for every viewer at once,
    # while an unchanged photo costs only a 304.
    # Pages are "private" too: one may set a cookie (the language switch's CSRF
    # token, added after this runs), and a shared cache must never hand one
    # visitor's cookie to the next. Photos set none and may be kept by proxies.
    is_file = response.status_code == 304 or response.get("Content-Type", "").startswith("image/")
    response["Cache-Control"] = "no-cache" if is_file else "private, no-cache"
    return response


def _public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only (405 otherwise), and never answered from a cache unasked."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _no_cache(view(request, *args, **kwargs))

    return require_safe(wrapped)


# --- serving files -----------------------------------------------------------------------


def _etag(key: str) -> str | None:
    try:
        stamp = f"{key}:{private_storage.size(key)}:{private_storage.get_modified_time(key)}"
    except (OSError, NotImplementedError):
        return None
    return '"' + hashlib.sha256(stamp.encode()).hexdigest()[:32] + '"'


def _serve_jpeg(request: HttpRequest, key: str, *, filename: str = "") -> HttpResponse:
    """One JPEG from private storage, after the caller decided it is public right now.

    It carries an ETag, so a browser revalidating (no-cache) gets a 304 for a
    photo it already has, but only ever after the publication check ran.
    """
    etag = _etag(key)
    if etag is None:
        logger.warning("public file %s is missing", key)
        raise Http404
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        try:
            handle = private_storage.open(key, "rb")
        except OSError:
            logger.warning("public file %s is missing", key)
            raise Http404 from None
        response = FileResponse(handle, content_type="image/jpeg")
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    return response


# --- the board ---------------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    community = forms.ChoiceField(label=gettext_lazy("Community"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All"))] + selectors.STATE_CHOICES,
    )

    def __init__(self, data: Any, *, communities: list[Region]) -> None:
        super().__init__(data)
        self.communities = {c.code: c for c in communities}
        self.fields["community"].choices = [("", _("All communities"))] + [
            (c.code, c.name) for c in communities
        ]


def _filtered(request: HttpRequest) -> tuple[BoardFilterForm, QuerySet[Publication] | None]:
    """The filter form and the publications it selects (None when the filters are invalid)."""
    form = BoardFilterForm(request.GET or None, communities=selectors.board_communities())
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    community = form.communities.get(data.get("community") or "")
    return form, selectors.board_rows(community=community, state=data.get("status") or "")


def _card(publication: Publication) -> dict[str, Any]:
    case = publication.case
    return {
        "publication": publication,
        "number": case.number,
        "status": selectors.public_status(case),
        "reported_at": case.reported_at,
        "fixed_at": selectors.fixed_at(case),
        "before": publication.before_photo,
        "after": publication.after_photo,
    }


@_public_page
def board(request: HttpRequest) -> HttpResponse:
    """Published black spots on a map and as cards, newest first; filters; counts on top."""
    form, rows = _filtered(request)
    querystring = querystring_without_page(request)
    context: dict[str, Any] = {
        "form": form,
        "counts": selectors.board_counts(),
        "valid": rows is not None,
        "querystring": querystring,
    }
    if rows is not None:
        listing = paginate(request, rows, PAGE_SIZE)
        context.update(listing)
        context["cards"] = [_card(p) for p in listing["page"].object_list]
        context["map_config"] = {
            "dataUrl": reverse("public:board_data") + (f"?{querystring}" if querystring else ""),
            "areasUrl": reverse("public:area_outlines"),
            "tileUrl": settings.ZHENXING_TILE_URL,
            "tileAttribution": settings.ZHENXING_TILE_ATTRIBUTION,
            "emptyLabel": _("Nothing published here yet."),
            "loadError": _("The map could not be loaded. Reload the page to try again."),
        }
    return render(request, "public/board.html", context, status=200 if rows is not None else 400)


def _point(publication: Publication) -> dict[str, Any]:
    case = publication.case
    status = selectors.public_status(case)
    thumb = publication.after_photo or publication.before_photo
    lat, lng = selectors.public_point(case)
    return {
        "number": case.number,
        "title": strip_mobiles_in(publication.title),
        "place": strip_mobiles_in(publication.place),
        "lat": lat,
        "lng": lng,
        "status": {"key": status.key, "label": str(status.label)},
        "url": reverse("public:case", args=[case.number]),
        "thumb": reverse("public:photo", args=[thumb.token, "thumb"]) if thumb else None,
    }


@_public_page
def board_data(request: HttpRequest) -> HttpResponse:
    """The board's points for the map (the same filters as the page): published cases only."""
    form, rows = _filtered(request)
    if rows is None:
        errors = [str(e) for field in form.errors.values() for e in field]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    total = rows.count()
    points = [_point(p) for p in rows[:MAP_MAX_POINTS]]
    return JsonResponse(
        {"total": total, "truncated": total > len(points), "cases": points},
        json_dumps_params={"ensure_ascii": False},
    )


def _published_or_404(number: str) -> Publication:
    return get_visible_or_404(lambda _user: selectors.published(), None, case__number=number)


@_public_page
def case(request: HttpRequest, number: str) -> HttpResponse:
    """One spot: before | after, the office's text, the public status and its dates."""
    publication = _published_or_404(number)
    spot = publication.case
    status = selectors.public_status(spot)
    share_url = reverse("public:share_image", args=[spot.number])
    # The office's text is masked on saving; masked again here in case a row was
    # written some other way: a mobile number never reaches a public page.
    description = strip_mobiles_in(publication.description)
    og_description = description or f"{publication.place} · {status.label}"
    return render(
        request,
        "public/case.html",
        {
            "publication": publication,
            "title": strip_mobiles_in(publication.title),
            "number": spot.number,
            "description": description,
            "paragraphs": [line.strip() for line in description.splitlines() if line.strip()],
            "status": status,
            "timeline": selectors.public_timeline(spot),
            "before": publication.before_photo,
            "after": publication.after_photo,
            "share_url": share_url,
            "og_image": request.build_absolute_uri(share_url),
            "og_url": request.build_absolute_uri(reverse("public:case", args=[spot.number])),
            "og_description": og_description[:200],
        },
    )


@_public_page
def share_image(request: HttpRequest, number: str) -> HttpResponse:
    """The before | after JPEG for official accounts, made on first request."""
    publication = _published_or_404(number)
    try:
        key = ensure_share_image(publication)
    except (OSError, UnidentifiedImageError, ValueError):
        logger.exception("share image of %s could not be made", number)
        raise Http404 from None
    if not key:
        raise Http404
    filename = f"{_('Exposure board')}-{publication.case.number}.jpg"
    return _serve_jpeg(request, key, filename=filename)


@_public_page
def photo(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    """A public copy (cropped, redacted, no metadata) while a published case shows it."""
    if variant not in selectors.PHOTO_VARIANTS:
        raise Http404
    found = selectors.current_public_photo(token)
    if found is None:
        raise Http404
    key = found.image if variant == "display" else found.thumbnail
    if not key:
        raise Http404
    return _serve_jpeg(request, key)


# --- the territory's outlines -------------------------------------------------------------


def _outlines_body() -> tuple[bytes, str]:
    def build() -> tuple[bytes, str]:
        body = json.dumps(
            selectors.territory_outlines(), ensure_ascii=False, separators=(",", ":")
        ).encode()
        return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    return cache.get_or_set(OUTLINES_CACHE_KEY, build, OUTLINES_MAX_AGE)


@require_safe
def area_outlines(request: HttpRequest) -> HttpResponse:
    """The communities' and areas' names and outlines, for the board's and the report's maps.

    Unlike every other public answer this one may be kept by browsers and
    proxies: it is the same for everyone, holds no personal data and nothing
    the office publishes or takes down (the territory's geometry is public).
    """
    body, etag = _outlines_body()
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={OUTLINES_MAX_AGE}"
    return response


# --- circulars ---------------------------------------------------------------------------


@_public_page
def circulars(request: HttpRequest) -> HttpResponse:
    """The published circulars, newest first; drafts never appear."""
    listing = paginate(request, selectors.published_circulars(), CIRCULARS_PAGE_SIZE)
    return render(request, "public/circulars.html", listing)


def _published_circular_or_404(pk: int) -> Circular:
    return get_visible_or_404(lambda _user: selectors.published_circulars(), None, pk=pk)


@_public_page
def circular(request: HttpRequest, pk: int) -> HttpResponse:
    """A published circular's public version (`public_content`), never the full `content`."""
    found = _published_circular_or_404(pk)
    content = circular_content.circular_public_content(found)
    text = content.get("circular") or {}
    narrative = (text.get("narrative") or "").replace("\r\n", "\n")
    spots = content.get("black_spots") or []
    numbers = [s.get("number") for s in spots if isinstance(s, dict)]
    # A spot also on the exposure board links to its page there.
    on_board = set(
        selectors.published()
        .filter(case__number__in=numbers)
        .values_list("case__number", flat=True)
    )
    # The circular froze each spot's state when it was published; residents see where it
    # stands today, in the board's words (a case no longer there: no badge).
    live = selectors.live_statuses(numbers)
    return render(
        request,
        "public/circular.html",
        {
            "circular": found,
            "text": text,
            "period": content.get("period") or {},
            "paragraphs": [line.strip() for line in narrative.split("\n") if line.strip()],
            "figures": summary_figures(content),
            "ranking": content.get("ranking") or [],
            "areas_bottom": content.get("areas_bottom") or [],
            "red": content.get("red") or [],
            "black": content.get("black") or [],
            "spots": [
                {**s, "live": live.get(s.get("number"))} for s in spots if isinstance(s, dict)
            ],
            "on_board": on_board,
            "shown": set(selectors.circular_stand_ins(found)),
            "incentives": content.get("incentives") or [],
            "sections": dict(circular_content.content_sections(content)),
        },
    )


@_public_page
def circular_photo(request: HttpRequest, pk: int, token: str, variant: str) -> HttpResponse:
    """A black spot's photo as the public version of a published circular shows it.

    The same rule as the officials' `circulars:photo` (a token the circular
    shows, the EXIF-free derivatives only), but read from `public_content`
    and for published circulars only.
    """
    if variant not in selectors.PHOTO_VARIANTS:
        raise Http404
    found = _published_circular_or_404(pk)
    stand_in = selectors.circular_stand_ins(found).get(token)
    if stand_in is None:
        raise Http404
    return _serve_jpeg(request, stand_in.thumbnail if variant == "thumb" else stand_in.image)
