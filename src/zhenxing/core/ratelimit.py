"""Fixed-window rate limits shared by every worker, for public forms and API clients.

A limit is "at most `limit` uses per `window` for one client of one scope";
the client is an IP address or an API key, hashed with the secret key so the
table holds no address. Counting happens in the database (`RateLimitHit`),
so it holds across processes and servers and survives restarts.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhenxing.core.middleware import client_ip
from zhenxing.core.models import RateLimitHit


@dataclass(frozen=True)
class Limit:
    limit: int
    window: datetime.timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    # Seconds until the current window ends: a Retry-After for the refused.
    retry_after: int


def network_of(request: Any) -> str | None:
    """The client a per-address limit counts: its IPv4 address, or its IPv6 /64.

    One IPv6 host usually holds a whole /64 and can send from any address in
    it, so counting single IPv6 addresses would let one machine spread its
    requests over millions of "clients".
    """
    ip = client_ip(request)
    if ip is None:
        return None
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_key(value: str | None) -> str:
    """A stable, non-reversible name for a client (IP address, API key)."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, (value or "unknown").encode(), hashlib.sha256).hexdigest()


def _window_start(now: datetime.datetime, window: datetime.timedelta) -> datetime.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)


def _scope_name(scope: str, rule: Limit) -> str:
    name = f"{scope}:{int(rule.window.total_seconds())}"
    # The column holds 40 characters: a longer name would pass on SQLite and fail on
    # PostgreSQL, so refuse it everywhere, where the tests see it.
    if len(name) > RateLimitHit._meta.get_field("scope").max_length:  # type: ignore[operator]
        raise ValueError(f"rate-limit scope too long: {name!r}")
    return name


def _refusal(rule: Limit, start: datetime.datetime, now: datetime.datetime, count: int) -> Verdict:
    retry = int((start + rule.window - now).total_seconds()) + 1
    return Verdict(allowed=False, count=count, retry_after=max(retry, 1))


def refund(*, scope: str, client: str | None, limits: list[Limit], now: datetime.datetime) -> None:
    """Take back one use counted by `consume` at `now` (a lookup that turned out a hit).

    For limits on failures: the use is counted before the attempt, so that
    concurrent attempts cannot all pass at the last free place, and given back
    once the attempt turns out not to be a failure.
    """
    key = client_key(client)
    for rule in limits:
        RateLimitHit.objects.filter(
            scope=_scope_name(scope, rule),
            client=key,
            window_start=_window_start(now, rule.window),
            count__gt=0,
        ).update(count=F("count") - 1)


def consume(
    *, scope: str, client: str | None, limits: list[Limit], now: datetime.datetime | None = None
) -> Verdict:
    """Count one use against every limit; refused if any limit is already spent.

    A refused use is not counted, so a client that waits gets its allowance
    back when the window turns. Each limit counts in its own row, so "5 an
    hour and 20 a day" is two rows.

    The use is counted first and taken back if it went over: a check before
    counting would let concurrent requests all pass at the last free place.
    """
    now = now or timezone.now()
    key = client_key(client)
    counted: list[tuple[str, datetime.datetime]] = []
    count = 0
    for rule in limits:
        start = _window_start(now, rule.window)
        name = _scope_name(scope, rule)
        used = _increment(name, key, start)
        counted.append((name, start))
        if used > rule.limit:
            for done_name, done_start in counted:
                RateLimitHit.objects.filter(
                    scope=done_name, client=key, window_start=done_start
                ).update(count=F("count") - 1)
            return _refusal(rule, start, now, used - 1)
        count = max(count, used)
    return Verdict(allowed=True, count=count, retry_after=0)


def _increment(scope: str, key: str, start: datetime.datetime) -> int:
    """Add one and return the count including it, exactly, even with writers beside us.

    The update locks the row until this block commits (PostgreSQL; SQLite locks
    the whole database), so the count read back is ours, not a neighbour's.
    """
    with transaction.atomic():
        updated = RateLimitHit.objects.filter(scope=scope, client=key, window_start=start).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitHit.objects.create(
                        scope=scope, client=key, window_start=start, count=1
                    )
                return 1
            except IntegrityError:
                # Another worker made the row between our update and our insert.
                RateLimitHit.objects.filter(scope=scope, client=key, window_start=start).update(
                    count=F("count") + 1
                )
        return RateLimitHit.objects.get(scope=scope, client=key, window_start=start).count


def use_once(*, scope: str, token: str, issued_at: datetime.datetime) -> bool:
    """Mark a one-time token (a solved challenge) used; False if it was used before.

    The row is filed under the token's own issue time, which never changes,
    so the same token is refused however long after its first use it comes back.
    """
    key = client_key(token)
    try:
        with transaction.atomic():
            RateLimitHit.objects.create(scope=scope, client=key, window_start=issued_at, count=1)
    except IntegrityError:
        return False
    return True


def prune(*, older_than: datetime.timedelta = datetime.timedelta(days=2)) -> int:
    """Delete counters of windows long past (run by the periodic jobs)."""
    deleted, _ = RateLimitHit.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
