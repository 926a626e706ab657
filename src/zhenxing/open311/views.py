"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

Every endpoint answers in the format its suffix names (`.json` or `.xml`),
errors included, in the specification's error list with the HTTP status
equal to the error's code. Unknown parameters are ignored; a bad value of a
known one is a 400 saying which. Only POST needs an `api_key`; a GET that
passes one also sees the requests that client filed itself (docs/open311.md).
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from zhenxing.cases.models import Case
from zhenxing.cases.services import CaseError
from zhenxing.core import ratelimit
from zhenxing.core.ratelimit import Limit, consume
from zhenxing.open311 import render, selectors
from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import client_for_key, client_touch
from zhenxing.public.context import board_title
from zhenxing.public.models import ReportChannel
from zhenxing.public.reporting import lookup_limited, resident_report_file

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-28T00:00:00+08:00"
# GET requests returns at most this many, newest first (the specification lets us choose).
MAX_REQUESTS = 1000
# The specification's cap on a start_date..end_date span, and the default span.
MAX_SPAN = datetime.timedelta(days=90)
MAX_DESCRIPTION = 2000  # Case.description's own limit
MAX_ADDRESS = 200  # Case.address's own limit
# Case numbers and category codes are short; a longer value cannot match one.
MAX_ID_LENGTH = 20
# Dates the database can hold in any time zone; a filter beyond them is clamped to them.
_EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_LATEST = datetime.datetime(9000, 1, 1, tzinfo=datetime.UTC)
# Control characters (other than tab and newlines) are never meant; PostgreSQL refuses NUL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ApiError(Exception):
    def __init__(self, code: int, description: Any, headers: dict[str, str] | None = None):
        super().__init__(str(description))
        self.code = code
        self.description = str(description)
        self.headers = headers or {}


View = Callable[..., HttpResponse]


def _params(request: HttpRequest) -> Any:
    if request.method == "POST":
        try:
            # The body is read here, so a malformed or oversized one is our 400, in our format.
            return request.POST
        except (MultiPartParserError, SuspiciousOperation, UnicodeDecodeError) as exc:
            raise ApiError(400, _("The request body could not be read.")) from exc
    return request.GET


def _param(request: HttpRequest, name: str) -> str:
    value = _params(request).get(name)
    if value is None and request.method == "POST":
        # Some clients put api_key or jurisdiction_id in the URL of a POST.
        value = request.GET.get(name)
    return _CONTROL.sub("", value or "").strip()


def _csv(request: HttpRequest, name: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in _param(request, name).split(","):
        if part.strip():
            seen[part.strip()] = None
    return list(seen)


def api(*methods: str) -> Callable[[View], View]:
    """One GeoReport endpoint: allowed methods, the jurisdiction check, errors in the format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view: View) -> View:
        @csrf_exempt  # an API for other programs, keyed per request; no cookie is ever trusted
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return render.error(
                    fmt,
                    405,
                    _("Method %(method)s is not allowed here.") % {"method": request.method},
                    headers={"Allow": ", ".join(sorted(allowed))},
                )
            try:
                jurisdiction = _param(request, "jurisdiction_id")
                if jurisdiction and jurisdiction != settings.ZHENXING_OPEN311_JURISDICTION:
                    raise ApiError(
                        404,
                        _("Unknown jurisdiction_id; this endpoint serves %(id)s.")
                        % {"id": settings.ZHENXING_OPEN311_JURISDICTION},
                    )
                # A control character in a path cannot be part of any code or number;
                # made harmless here, the lookup finds nothing (PostgreSQL refuses NUL).
                kwargs = {name: _CONTROL.sub("\ufffd", value) for name, value in kwargs.items()}
                return view(request, fmt, **kwargs)
            except ApiError as exc:
                return render.error(fmt, exc.code, exc.description, headers=exc.headers)

        return wrapper

    return decorate


def _client(request: HttpRequest, *, required: bool) -> Open311Client | None:
    raw = _param(request, "api_key")
    if not raw and not required:
        return None
    if not raw:
        raise ApiError(403, _("An api_key is required."))
    client = client_for_key(raw)
    if client is None:
        raise ApiError(403, _("This api_key is not valid or has been revoked."))
    client_touch(client)
    return client


def _root_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311:services", args=["json"])).rsplit("/", 1)[0]


# --- discovery and services --------------------------------------------------------------


def _contact() -> str:
    """The office's public contact if configured, else who runs the board.

    The board's name comes first and whole, with nothing wrapped around it:
    a name set into the middle of a translated sentence gained a stray
    space in Chinese.
    """
    configured = settings.ZHENXING_PUBLIC_CONTACT.strip()
    if configured:
        return configured
    return _("%(board)s, run by the rural revitalisation office") % {"board": board_title()}


@api("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    data = {
        "changeset": CHANGESET,
        "contact": _contact(),
        "key_service": _(
            "API keys are issued by the office on request; each key is shown once, when it is made."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _root_url(request),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(fmt, data, root="discovery")


@api("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render.respond(fmt, selectors.services(), root="services", item="service")


@api("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = selectors.service(code) if len(code) <= MAX_ID_LENGTH else None
    if category is None:
        raise ApiError(404, _("Unknown service_code."))
    # metadata is false for every service: no attributes to ask for.
    data = {"service_code": category.code, "attributes": []}
    return render.respond(fmt, data, root="service_definition")


# --- service requests ---------------------------------------------------------------------


def _moment(request: HttpRequest, name: str) -> datetime.datetime | None:
    text = _param(request, name)
    if not text:
        return None
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is None:
                raise ValueError(text)
            value = datetime.datetime.combine(day, datetime.time.min)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            400,
            _("%(name)s is not a W3C datetime such as 2026-11-01T00:00:00+08:00.") % {"name": name},
        ) from exc


def _date_range(request: HttpRequest) -> tuple[datetime.datetime, datetime.datetime]:
    start, end = _moment(request, "start_date"), _moment(request, "end_date")
    try:
        if start is None and end is None:
            end = timezone.now()
            start = end - MAX_SPAN
        elif end is None:
            assert start is not None
            end = start + MAX_SPAN
        elif start is None:
            start = end - MAX_SPAN
    except OverflowError as exc:
        raise ApiError(400, _("start_date or end_date is out of range.")) from exc
    if end < start:
        raise ApiError(400, _("end_date lies before start_date."))
    if end - start > MAX_SPAN:
        raise ApiError(400, _("start_date and end_date may not span more than 90 days."))
    # Both ends clamped both ways: a range wholly before 1970 or after 9000 becomes an
    # empty one the database can hold, never a date its adapter cannot convert.
    return (
        min(max(start, _EARLIEST), _LATEST),
        max(min(end, _LATEST), _EARLIEST),
    )


def _filtered(request: HttpRequest, client: Open311Client | None) -> Any:
    cases = selectors.visible_requests(client)
    ids = [i for i in _csv(request, "service_request_id") if len(i) <= MAX_ID_LENGTH]
    if _param(request, "service_request_id"):
        # The specification: service_request_id overrides every other filter.
        return cases.filter(number__in=ids[:MAX_REQUESTS])
    codes = [c for c in _csv(request, "service_code") if len(c) <= MAX_ID_LENGTH]
    if codes:
        cases = cases.filter(category__code__in=codes[:MAX_REQUESTS])
    statuses = {s.lower() for s in _csv(request, "status")}
    if statuses - {"open", "closed"}:
        raise ApiError(400, _("status takes open, closed or both, comma-separated."))
    if statuses == {"open"}:
        cases = cases.exclude(status__in=selectors.CLOSED_STATES)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=selectors.CLOSED_STATES)
    start, end = _date_range(request)
    return cases.filter(reported_at__gte=start, reported_at__lte=end)


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client(request, required=False)
    cases = _filtered(request, client).order_by("-reported_at", "-pk")[:MAX_REQUESTS]
    rows = selectors.request_rows(cases, request)
    return render.respond(fmt, rows, root="service_requests", item="request")


def _point(request: HttpRequest) -> tuple[float, float]:
    lat_text, lng_text = _param(request, "lat"), _param(request, "long")
    if not lat_text or not lng_text:
        raise ApiError(
            400, _("lat and long are required: this endpoint does not look addresses up.")
        )
    try:
        lat, lng = float(lat_text), float(lng_text)
    except ValueError as exc:
        raise ApiError(400, _("lat and long must be decimal degrees (WGS84).")) from exc
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ApiError(400, _("lat and long must be decimal degrees (WGS84)."))
    return lat, lng


def _mobile(request: HttpRequest) -> str:
    phone = re.sub(r"[\s\-()]", "", _param(request, "phone"))
    # The country code is optional for a mainland number: +86 13800138000.
    return re.sub(r"^(\+86|0086)(?=1\d{10}$)", "", phone)


def _reporter_name(request: HttpRequest) -> str:
    first, last = _param(request, "first_name"), _param(request, "last_name")
    # A Chinese name is family name first, written without a space.
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client(request, required=True)
    assert client is not None
    verdict = consume(
        scope="open311-post",
        client=client.key_hash,
        limits=[Limit(settings.ZHENXING_OPEN311_POSTS_PER_MINUTE, datetime.timedelta(minutes=1))],
    )
    if not verdict.allowed:
        raise ApiError(
            429,
            _("Too many requests from this api_key; try again in %(seconds)d seconds.")
            % {"seconds": verdict.retry_after},
            headers={"Retry-After": str(verdict.retry_after)},
        )
    code = _param(request, "service_code")
    if not code:
        raise ApiError(400, _("service_code is required."))
    category = selectors.service(code) if len(code) <= MAX_ID_LENGTH else None
    if category is None:
        raise ApiError(400, _("Unknown service_code."))
    lat, lng = _point(request)
    description = _param(request, "description")
    if not description:
        raise ApiError(400, _("description is required: say what the problem is."))
    if len(description) > MAX_DESCRIPTION:
        raise ApiError(
            400,
            _("description is too long (at most %(max)d characters).") % {"max": MAX_DESCRIPTION},
        )
    address = _param(request, "address_string")
    if len(address) > MAX_ADDRESS:
        raise ApiError(
            400,
            _("address_string is too long (at most %(max)d characters).") % {"max": MAX_ADDRESS},
        )
    # email, device_id, account_id and media_url are accepted and not kept: we hold no
    # accounts, and we never fetch a URL a client names (offline; no server-side fetches).
    try:
        report = resident_report_file(
            category=category,
            description=description,
            lat=lat,
            lng=lng,
            mobile=_mobile(request),
            reporter_name=_reporter_name(request),
            address=address,
            channel=ReportChannel.OPEN311,
            open311_client=client,
        )
    except CaseError as exc:
        raise ApiError(400, str(exc)) from exc
    track = request.build_absolute_uri(reverse("public:track_case", args=[report.tracking_code]))
    data = [
        {
            "service_request_id": report.case.number,
            "token": report.tracking_code,
            "service_notice": _("Follow this report at %(url)s") % {"url": track},
            "account_id": None,
        }
    ]
    return render.respond(fmt, data, root="service_requests", item="request")


@api("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


@api("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    client = _client(request, required=False)
    case: Case | None = None
    if len(request_id) <= MAX_ID_LENGTH:
        case = selectors.visible_requests(client).filter(number=request_id).first()
    if case is None:
        raise ApiError(404, _("Unknown service_request_id."))
    rows = selectors.request_rows([case], request)
    return render.respond(fmt, rows, root="service_requests", item="request")


@api("GET")
def token_lookup(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    # The same allowance of wrong codes as the tracking page: a token is a tracking code.
    report, verdict = lookup_limited(token[:40], client=ratelimit.network_of(request))
    if not verdict.allowed:
        raise ApiError(
            429,
            _("Too many lookups; try again in %(seconds)d seconds.")
            % {"seconds": verdict.retry_after},
            headers={"Retry-After": str(verdict.retry_after)},
        )
    if report is None:
        raise ApiError(404, _("Unknown token."))
    data = [{"service_request_id": report.case.number, "token": report.tracking_code}]
    return render.respond(fmt, data, root="service_requests", item="request")


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /open311/v2/: the specification's 404, in the format the path asks for.

    A client that mistypes an endpoint gets an error it can parse, not the site's HTML page.
    """
    fmt = "xml" if rest.lower().endswith(".xml") else "json"
    return render.error(fmt, 404, _("There is no such GeoReport v2 endpoint."))
