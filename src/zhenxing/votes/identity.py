"""Resident identity numbers (居民身份证号码, GB 11643): checked, read for the birth date,
and kept only as a keyed hash.

The hash is HMAC-SHA256 under a key derived from SECRET_KEY: a plain SHA-256
of an 18-digit number with a known birth date and check digit could be
reversed by trying them all, a keyed one cannot without the server's secret.
The same number always gives the same hash on one installation, which is
what finds a duplicate on a roll.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re

from django.conf import settings

_SHAPE = re.compile(r"\d{17}[\dX]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class IdNumberError(ValueError):
    """Not a valid 18-digit resident identity number."""


def normal_id(text: str) -> str:
    """The number as written on the card: no spaces, a capital X."""
    return re.sub(r"\s+", "", str(text or "")).upper()


def check_id(text: str) -> str:
    """The normalised number, or IdNumberError: shape, check digit and a real birth date."""
    number = normal_id(text)
    if not _SHAPE.fullmatch(number):
        raise IdNumberError("shape")
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != number[17]:
        raise IdNumberError("check digit")
    birth_date(number)
    return number


def birth_date(number: str) -> datetime.date:
    try:
        return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth date") from None


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _key() -> bytes:
    return hashlib.sha256(b"zhenxing.votes.id:" + settings.SECRET_KEY.encode()).digest()


def id_hash(number: str) -> str:
    """The keyed hash stored in place of the number (64 hex characters)."""
    return hmac.new(_key(), normal_id(number).encode(), hashlib.sha256).hexdigest()


def with_check_digit(first17: str) -> str:
    """A valid number from its first 17 digits (tests and the demo make numbers this way)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHECK[total % 11]
