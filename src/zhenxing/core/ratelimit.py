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
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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


def client_key(value: str | None) -> str:
    """A stable, non-reversible name for a client (IP address, API key)."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, (value or "unknown").encode(), hashlib.sha256).hexdigest()


def _window_start(now: datetime.datetime, window: datetime.timedelta) -> datetime.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)


def consume(
    *, scope: str, client: str | None, limits: list[Limit], now: datetime.datetime | None = None
) -> Verdict:
    """Count one use against every limit; refused if any limit is already spent.

    A refused use is not counted, so a client that waits gets its allowance
    back when the window turns. Each limit counts in its own row, so "5 an
    hour and 20 a day" is two rows.
    """
    now = now or timezone.now()
    key = client_key(client)
    for rule in limits:
        start = _window_start(now, rule.window)
        row = RateLimitHit.objects.filter(
            scope=f"{scope}:{int(rule.window.total_seconds())}", client=key, window_start=start
        ).first()
        if row is not None and row.count >= rule.limit:
            retry = int((start + rule.window - now).total_seconds()) + 1
            return Verdict(allowed=False, count=row.count, retry_after=max(retry, 1))
    count = 0
    for rule in limits:
        start = _window_start(now, rule.window)
        count = max(count, _increment(f"{scope}:{int(rule.window.total_seconds())}", key, start))
    return Verdict(allowed=True, count=count, retry_after=0)


def _increment(scope: str, key: str, start: datetime.datetime) -> int:
    updated = RateLimitHit.objects.filter(scope=scope, client=key, window_start=start).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                RateLimitHit.objects.create(scope=scope, client=key, window_start=start, count=1)
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
