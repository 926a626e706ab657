"""The report form's proof of work: a small puzzle a browser solves, no outside service.

Like hashcash or ALTCHA: the server hands out a signed challenge (a random
nonce, the time it was issued and the difficulty); the browser looks for a
counter such that SHA-256(challenge + ":" + counter) starts with that many
zero bits and sends both with the form. Checking costs the server one hash;
finding costs the browser about 2^bits of them, which a resident never
notices and a script filing thousands of reports cannot afford.

The challenge is signed (`django.core.signing`, its own salt), so nobody can
make an easy one up; it expires, so solutions cannot be stockpiled; and a
solution is spent once (`core.ratelimit.use_once`), so one solved puzzle
files one report, however often the form is posted again.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhenxing.core import ratelimit

SALT = "zhenxing.public.report-challenge"
MAX_AGE = datetime.timedelta(minutes=10)
SPENT_SCOPE = "report-challenge"
# A counter is a decimal number; 2^53 attempts is far beyond any difficulty we set.
COUNTER_MAX_DIGITS = 16
# Our tokens are about 100 characters; a longer one is not ours and is not worth unsigning.
TOKEN_MAX_LENGTH = 300


class ChallengeError(Exception):
    """A missing or bad solution; `code` is stable (pages and tests), the message is for people."""

    def __init__(self, code: str, message: Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Challenge:
    token: str
    bits: int
    issued_at: datetime.datetime
    expires_at: datetime.datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "challenge": self.token,
            "bits": self.bits,
            "algorithm": "SHA-256",
            "expires_in": int((self.expires_at - self.issued_at).total_seconds()),
        }


def required_bits() -> int:
    return int(settings.ZHENXING_REPORT_CHALLENGE_BITS)


def issue(*, bits: int | None = None, now: datetime.datetime | None = None) -> Challenge:
    """A fresh challenge at the configured difficulty (`bits` only for tests)."""
    now = now or timezone.now()
    bits = required_bits() if bits is None else bits
    issued = int(now.timestamp())
    token = signing.dumps(
        {"n": secrets.token_hex(12), "t": issued, "b": bits}, salt=SALT, compress=False
    )
    issued_at = datetime.datetime.fromtimestamp(issued, tz=datetime.UTC)
    return Challenge(token=token, bits=bits, issued_at=issued_at, expires_at=issued_at + MAX_AGE)


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def solution_bits(token: str, counter: str) -> int:
    return leading_zero_bits(hashlib.sha256(f"{token}:{counter}".encode()).digest())


def solve(token: str, bits: int) -> str:
    """Find a counter, as a browser does (tests and scripted clients of our own)."""
    counter = 0
    while solution_bits(token, str(counter)) < bits:
        counter += 1
    return str(counter)


def _payload(token: str) -> dict[str, Any]:
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ChallengeError(
            "expired",
            _("The check of this form expired. Send the form again; a new check runs by itself."),
        ) from None
    except signing.BadSignature:
        raise ChallengeError(
            "invalid", _("The check of this form is not valid. Reload the page and try again.")
        ) from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("n"), str)
        and isinstance(payload.get("t"), int)
        and isinstance(payload.get("b"), int)
    ):
        raise ChallengeError(
            "invalid", _("The check of this form is not valid. Reload the page and try again.")
        )
    return payload


def redeem(*, token: str, counter: str) -> None:
    """Accept one solved challenge, once; raise `ChallengeError` for anything else.

    Checked in order of cost: shape, signature and age, difficulty, the hash,
    and last the database, so forged and unsolved posts never reach it.
    """
    token = (token or "").strip()
    counter = (counter or "").strip()
    if not token or not counter:
        raise ChallengeError(
            "missing",
            _(
                "The form was sent without its automatic check. "
                "Make sure JavaScript is on, wait for the check to finish, and send it again."
            ),
        )
    if len(token) > TOKEN_MAX_LENGTH:
        raise ChallengeError(
            "invalid", _("The check of this form is not valid. Reload the page and try again.")
        )
    payload = _payload(token)
    if payload["b"] < required_bits():
        # Signed by us, but easier than we now ask (the setting was raised): not enough work.
        raise ChallengeError(
            "difficulty", _("The check of this form is out of date. Send the form again.")
        )
    if (
        not counter.isascii()
        or not counter.isdigit()
        or len(counter) > COUNTER_MAX_DIGITS
        or solution_bits(token, counter) < payload["b"]
    ):
        raise ChallengeError(
            "unsolved",
            _("The automatic check of this form did not succeed. Send the form again."),
        )
    issued_at = datetime.datetime.fromtimestamp(payload["t"], tz=datetime.UTC)
    if not ratelimit.use_once(scope=SPENT_SCOPE, token=token, issued_at=issued_at):
        raise ChallengeError(
            "reused",
            _(
                "This form was already sent once. If you did not get a tracking code, "
                "send it again; a new check runs by itself."
            ),
        )
