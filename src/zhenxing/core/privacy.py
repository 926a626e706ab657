"""Personal data is masked wherever it is listed (a full number needs a reason to be seen)."""

from __future__ import annotations


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
