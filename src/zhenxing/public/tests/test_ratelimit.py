"""The shared fixed-window rate limiter (zhenxing.core.ratelimit)."""

from __future__ import annotations

import datetime

import pytest

from zhenxing.core import ratelimit
from zhenxing.core.models import RateLimitHit
from zhenxing.core.ratelimit import Limit

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# 10:15 UTC: the hour window began at 10:00, the day window at 00:00 UTC.
T0 = datetime.datetime(2026, 11, 28, 10, 15, tzinfo=datetime.UTC)


def use(n: int = 1, *, scope: str = "s", client: str = "1.2.3.4", limits=None, now=T0):
    limits = limits or [Limit(3, HOUR)]
    return [ratelimit.consume(scope=scope, client=client, limits=limits, now=now) for _ in range(n)]


def test_uses_are_counted_and_refused_at_the_limit():
    verdicts = use(4)
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.count for v in verdicts[:3]] == [1, 2, 3]
    # Refused for the 45 minutes left of the hour (and a second to spare).
    assert verdicts[3].retry_after == 45 * 60 + 1
    # The refused use is not counted.
    assert RateLimitHit.objects.get().count == 3


def test_the_allowance_comes_back_when_the_window_turns():
    assert not use(4)[-1].allowed
    assert not use(1, now=T0 + datetime.timedelta(minutes=44))[0].allowed
    later = use(4, now=T0 + datetime.timedelta(minutes=45))
    assert [v.allowed for v in later] == [True, True, True, False]


def test_scopes_and_clients_count_apart():
    assert not use(4)[-1].allowed
    assert use(1, client="5.6.7.8")[0].allowed
    assert use(1, scope="other")[0].allowed
    assert not use(1)[0].allowed


def test_every_limit_must_allow_and_a_refusal_takes_nothing():
    limits = [Limit(3, HOUR), Limit(4, DAY)]
    assert all(v.allowed for v in use(3, limits=limits))
    next_hour = T0 + HOUR
    first, second = use(2, limits=limits, now=next_hour)
    assert first.allowed
    # The day's four are spent: refused until midnight UTC, though the hour has room.
    assert not second.allowed
    assert (
        second.retry_after
        == int((datetime.datetime(2026, 11, 29, tzinfo=datetime.UTC) - next_hour).total_seconds())
        + 1
    )
    hour_row = RateLimitHit.objects.get(scope="s:3600", window_start=next_hour.replace(minute=0))
    assert hour_row.count == 1  # the refused use was taken back from the hour too


def test_refund_gives_one_use_back():
    limits = [Limit(2, HOUR)]
    use(2, client="c", limits=limits)
    ratelimit.refund(scope="s", client="c", limits=limits, now=T0)
    assert RateLimitHit.objects.get().count == 1
    assert ratelimit.consume(scope="s", client="c", limits=limits, now=T0).allowed
    # Never below nothing.
    for _ in range(3):
        ratelimit.refund(scope="s", client="c", limits=limits, now=T0)
    assert RateLimitHit.objects.get().count == 0


def test_clients_are_stored_hashed():
    use(1, client="203.0.113.9")
    row = RateLimitHit.objects.get()
    assert "203.0.113.9" not in row.client and len(row.client) == 64


def test_a_scope_too_long_for_the_column_is_refused_on_every_database():
    with pytest.raises(ValueError, match="too long"):
        use(1, scope="x" * 40)


def test_use_once():
    issued = T0 - datetime.timedelta(minutes=3)
    assert ratelimit.use_once(scope="once", token="abc", issued_at=issued)
    assert not ratelimit.use_once(scope="once", token="abc", issued_at=issued)
    # Another token, or the same token in another scope, is its own.
    assert ratelimit.use_once(scope="once", token="abd", issued_at=issued)
    assert ratelimit.use_once(scope="twice", token="abc", issued_at=issued)


def test_an_ipv6_client_is_counted_by_its_64(rf):
    from zhenxing.core.ratelimit import network_of

    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    elsewhere = rf.get("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert network_of(one) == network_of(other) == "2001:db8:1:2::/64"
    assert network_of(elsewhere) != network_of(one)
    assert network_of(rf.get("/", REMOTE_ADDR="203.0.113.9")) == "203.0.113.9"
    assert network_of(rf.get("/", REMOTE_ADDR="::ffff:203.0.113.9")) == "203.0.113.9"
