"""Make the acting user and client IP available to services without passing the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhenxing.core.request_context import bind_request


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the address that talked to us. A deployment behind a
    # reverse proxy sets the proxy to overwrite X-Real-IP; we only trust that
    # header when REMOTE_ADDR is a loopback proxy, never a client's own claim.
    remote = request.META.get("REMOTE_ADDR") or None
    real = request.META.get("HTTP_X_REAL_IP")
    if real and remote in {"127.0.0.1", "::1"}:
        return real.strip()
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_request(ip=client_ip(request)):
            return self.get_response(request)
