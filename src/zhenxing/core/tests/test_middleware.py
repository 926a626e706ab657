"""The client IP in audit rows: the peer, a trusted proxy's header, never garbage."""

from __future__ import annotations

from django.test import RequestFactory

from zhenxing.core.middleware import client_ip


def request(remote: str, real_ip: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if real_ip is not None:
        extra["HTTP_X_REAL_IP"] = real_ip
    return RequestFactory().get("/", **extra)


def test_the_header_is_ignored_unless_the_proxy_is_trusted(settings):
    settings.TRUST_X_REAL_IP = False
    assert client_ip(request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


def test_a_trusted_local_proxy_names_the_client(settings):
    settings.TRUST_X_REAL_IP = True
    assert client_ip(request("127.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # A client talking to us directly cannot claim another address.
    assert client_ip(request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_malformed_addresses_are_never_recorded(settings):
    settings.TRUST_X_REAL_IP = True
    assert client_ip(request("127.0.0.1", "<script>")) == "127.0.0.1"
    assert client_ip(request("not-an-ip")) is None
