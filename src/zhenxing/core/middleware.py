"""Make the acting user's client IP available to services without passing the request."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from zhenxing.core.request_context import bind_request


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address that talked to us, or the one a trusted reverse proxy names.

    X-Real-IP is believed only when TRUST_X_REAL_IP is set (the proxy must
    overwrite the header, never pass a client's own through) and the request
    came from that proxy on the loopback; a malformed value is ignored.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    if settings.TRUST_X_REAL_IP and remote in {"127.0.0.1", "::1"}:
        return _valid_ip(request.META.get("HTTP_X_REAL_IP")) or remote
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_request(ip=client_ip(request)):
            return self.get_response(request)
