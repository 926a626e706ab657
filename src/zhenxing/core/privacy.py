"""Personal data is masked wherever it is listed (a full number needs a reason to be seen)."""

from __future__ import annotations

import re

# An 11-digit mainland mobile number standing on its own inside a text.
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_mobile(mobile: str | None) -> str:
    """138****8000 for 13800138000; empty for nothing."""
    if not mobile:
        return ""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_name(name: str | None) -> str:
    """陈*霞 / 陈* — for pages a member of the public may see."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_mobiles_in(text: str) -> str:
    """Mask every mobile number inside a free text (an audit summary, a failed login name)."""
    return _MOBILE_IN_TEXT.sub(r"\1****\3", text) if text else text


# A mobile number as people write it for others: with a country code (+86, 0086, 86),
# in full-width digits from a Chinese input method (`\d` matches them), and with
# spaces, dashes, dots or brackets anywhere between the digits.
_SEPARATOR = r"[\s\u200b\-\uff0d.\u00b7\u30fb()\uff08\uff09\u2014]{0,3}"
_MOBILE_WRITTEN = re.compile(
    rf"(?<!\d)(?:(?:[+\uff0b]|00|\uff10\uff10)?[8\uff18][6\uff16]{_SEPARATOR})?"
    rf"[1\uff11]{_SEPARATOR}[3-9\uff13-\uff19](?:{_SEPARATOR}\d){{9}}(?!\d)"
)


def strip_mobiles_in(text: str) -> str:
    """Remove every mobile number from a text meant for the public, leaving "***".

    Masking (138****8000) is enough for staff pages; a public page shows no
    part of a number at all, since seven known digits narrow a number down
    to a few thousand.
    """
    return _MOBILE_WRITTEN.sub("***", text) if text else text


def mask_mobiles_unless(text: str, full: bool) -> str:
    """Free text as a reader sees it: mobiles typed into it are masked unless `full`."""
    return text if full else mask_mobiles_in(text)
