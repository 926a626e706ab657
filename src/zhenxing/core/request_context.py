from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("zhenxing_client_ip", default=None)


@contextlib.contextmanager
def bind_request(*, ip: str | None) -> Iterator[None]:
    token = _client_ip.set(ip)
    try:
        yield
    finally:
        _client_ip.reset(token)


def current_client_ip() -> str | None:
    return _client_ip.get()
