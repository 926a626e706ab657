"""Residents' reports and tracking, no login: the form, its challenge, the tracking pages.

A report passes, in this order: the honeypot, the proof of work (signed,
unexpired, hard enough, solved, not spent before: `public.challenge`), the
form (photos checked, nothing stored yet), the per-client rate limit (only
now, so a resident's allowance is not spent by robots or by their own typos),
and the service, which files the case. Every refusal sends the form back with
what the resident typed and a message that says what to do; photos must be
chosen again, and the page says so.

Tracking codes are secrets that open a page, so wrong codes are limited per
client, and the limit is checked before the lookup: otherwise a guesser
refused for misses would still be answered for a hit.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.cases.pinmap import pin_map_config
from zhenxing.cases.services import CaseError
from zhenxing.core import ratelimit
from zhenxing.core.ratelimit import Limit
from zhenxing.public import challenge as pow_challenge
from zhenxing.public.forms_report import ResidentReportForm, TrackForm
from zhenxing.public.reporting import (
    CODE_LENGTH,
    lookup_limited,
    normal_code,
    reportable_post,
    resident_report_file,
    track_report,
)

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

REPORT_SCOPE = "public-report"
CHALLENGE_SCOPE = "public-challenge"
# A resident needs one challenge per attempt to send; 60 an hour leaves room for
# many retries and for several phones behind one carrier address.
CHALLENGES_PER_HOUR = 60


def _report_limits() -> list[Limit]:
    return [
        Limit(settings.ZHENXING_REPORT_LIMIT_PER_HOUR, HOUR),
        Limit(settings.ZHENXING_REPORT_LIMIT_PER_DAY, DAY),
    ]


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)


def _map_config(form: ResidentReportForm) -> dict[str, Any]:
    lat, lng = form.pin()
    return {
        "tileUrl": settings.ZHENXING_TILE_URL,
        "tileAttribution": settings.ZHENXING_TILE_ATTRIBUTION,
        # The areas' outlines come from one cacheable file (public:area_outlines), not in
        # the page: a phone on a weak signal gets the form at once and the map after.
        "areasUrl": reverse("public:area_outlines"),
        # The pin and its words are the office's intake form's (cases.pinmap).
        **pin_map_config(
            lat,
            lng,
            locate_error=_(
                "Your location could not be found. Tap the map instead, "
                "or send a photo taken with location on."
            ),
            load_error=_("The map could not be loaded. Send a photo taken with location on."),
        ),
    }


def _challenge_config() -> dict[str, Any]:
    return {
        "url": reverse("public:challenge"),
        "working": _("Checking that you are not a robot… {percent}"),
        "done": _("Check done, sending…"),
        "failed": _("The automatic check could not start. Reload the page and try again."),
        "limited": _("Too many attempts from your network. Try again in a few minutes."),
    }


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int,
    refusal: tuple[str, Any] | None,
    retry_after: int | None,
) -> HttpResponse:
    """A form page, with a refusal (its stable code for tests and scripts, and its message)."""
    context = {
        **context,
        "refusal_code": refusal[0] if refusal else "",
        "refusal": refusal[1] if refusal else "",
    }
    response = render(request, template, context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _render_form(
    request: HttpRequest,
    form: ResidentReportForm,
    *,
    status: int = 200,
    refusal: tuple[str, Any] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        # The post whose sign the resident scanned, named above the form.
        "reporting_post": reportable_post(form["post"].value()),
        "map_config": _map_config(form),
        "challenge_config": _challenge_config(),
        # A browser never re-fills a file input: say so rather than lose photos silently.
        "photos_again": form.is_bound,
    }
    return _page(
        request,
        "public/report.html",
        context,
        status=status,
        refusal=refusal,
        retry_after=retry_after,
    )


# The codes this browser was given, by the challenge that sent each report: if the
# answer to a report is lost on a weak signal, the resident's retry comes back with
# a challenge already spent, and is shown the code it earned instead of an error.
SENT_SESSION_KEY = "public_reports_sent"
SENT_REMEMBERED = 5


def _challenge_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _remember_sent(request: HttpRequest, token: str, code: str) -> None:
    sent = dict(request.session.get(SENT_SESSION_KEY, {}))
    sent[_challenge_key(token)] = code
    request.session[SENT_SESSION_KEY] = dict(list(sent.items())[-SENT_REMEMBERED:])


def _sent_before(request: HttpRequest, token: str) -> str | None:
    return request.session.get(SENT_SESSION_KEY, {}).get(_challenge_key(token))


def _post_initial(request: HttpRequest) -> dict[str, Any]:
    """From a post's sign (?post=<token>): the post carried along, the pin at its place."""
    post = reportable_post(request.GET.get("post"))
    if post is None:
        return {}
    lat, lng = post.lat, post.lng
    if lat is None or lng is None:
        lat, lng = post.region.centroid_lat, post.region.centroid_lng
    if lat is None or lng is None:
        return {"post": post.public_token}
    return {"post": post.public_token, "lat": lat, "lng": lng}


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request, ResidentReportForm(initial=_post_initial(request)))
    form = ResidentReportForm(request.POST, request.FILES)
    if form.honeypot_filled:
        # Filled by a robot that fills every field; a person never sees it.
        return _render_form(
            request,
            form,
            status=400,
            refusal=("honeypot", _("The form could not be sent. Reload the page and try again.")),
        )
    token = request.POST.get("challenge", "")
    try:
        pow_challenge.redeem(token=token, counter=request.POST.get("counter", ""))
    except pow_challenge.ChallengeError as error:
        if error.code == "reused" and (code := _sent_before(request, token)):
            messages.success(
                request,
                _("Your report was received already; its tracking code is %(code)s.")
                % {"code": code},
            )
            return redirect("public:track_case", code=code)
        return _render_form(request, form, status=400, refusal=(error.code, error.message))
    if not form.is_valid():
        return _render_form(request, form, status=400)
    verdict = ratelimit.consume(
        scope=REPORT_SCOPE, client=ratelimit.network_of(request), limits=_report_limits()
    )
    if not verdict.allowed:
        return _render_form(
            request,
            form,
            status=429,
            refusal=(
                "limited",
                _(
                    "Thank you! So many reports came from your network that we must pause it "
                    "for a while. Try again in %(minutes)d minutes; what you typed is kept below."
                )
                % {"minutes": _minutes(verdict.retry_after)},
            ),
            retry_after=verdict.retry_after,
        )
    data = form.cleaned_data
    try:
        filed = resident_report_file(
            category=data["category"],
            description=data["description"],
            lat=data["lat"],
            lng=data["lng"],
            photos=data["photos"],
            mobile=data["mobile"],
            post=reportable_post(data["post"]),
        )
    except CaseError as error:
        form.add_error(None, str(error))
        return _render_form(request, form, status=400)
    _remember_sent(request, token, filed.tracking_code)
    return render(
        request,
        "public/report_done.html",
        {
            "report": filed,
            "track_url": request.build_absolute_uri(
                reverse("public:track_case", args=[filed.tracking_code])
            ),
        },
    )


@never_cache
@require_GET
def challenge(request: HttpRequest) -> HttpResponse:
    verdict = ratelimit.consume(
        scope=CHALLENGE_SCOPE,
        client=ratelimit.network_of(request),
        limits=[Limit(CHALLENGES_PER_HOUR, HOUR)],
    )
    if not verdict.allowed:
        response = JsonResponse(
            {
                "error": _("Too many attempts from your network. Try again in %(minutes)d minutes.")
                % {"minutes": _minutes(verdict.retry_after)}
            },
            status=429,
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    return JsonResponse(pow_challenge.issue().as_json())


def _render_track(
    request: HttpRequest,
    form: TrackForm,
    *,
    status: int = 200,
    refusal: tuple[str, Any] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    context = {"form": form, "code_length": CODE_LENGTH}
    return _page(
        request,
        "public/track.html",
        context,
        status=status,
        refusal=refusal,
        retry_after=retry_after,
    )


def _too_many_lookups(request: HttpRequest, code: str, retry_after: int) -> HttpResponse:
    return _render_track(
        request,
        TrackForm(initial={"code": code}),
        status=429,
        refusal=(
            "limited",
            _(
                "Too many wrong codes were tried from your network. "
                "Try again in %(minutes)d minutes."
            )
            % {"minutes": _minutes(retry_after)},
        ),
        retry_after=retry_after,
    )


@never_cache
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    if "code" not in request.GET:
        return _render_track(request, TrackForm())
    form = TrackForm(request.GET)
    if not form.is_valid():
        return _render_track(request, form, status=400)
    return redirect("public:track_case", code=form.cleaned_data["code"])


@never_cache
@require_GET
def track_case(request: HttpRequest, code: str) -> HttpResponse:
    code_typed = code
    code = normal_code(code_typed)
    if code and code != code_typed and len(code) == CODE_LENGTH:
        # Lower case or with dashes, as typed from a note: the code's own address.
        return redirect("public:track_case", code=code)
    report, verdict = lookup_limited(code, client=ratelimit.network_of(request))
    if not verdict.allowed:
        return _too_many_lookups(request, code, verdict.retry_after)
    if report is None:
        return _render_track(
            request,
            TrackForm(initial={"code": code_typed[:40]}),
            status=404,
            refusal=(
                "not-found",
                _("No report has the tracking code %(code)s. Check the code and try again.")
                % {"code": code_typed[:40]},
            ),
        )
    return render(
        request,
        "public/track_case.html",
        {
            "tracked": track_report(report),
            # The office's public phone or desk, when the deployment gives one.
            "contact": str(getattr(settings, "ZHENXING_PUBLIC_CONTACT", "") or "").strip(),
        },
    )
