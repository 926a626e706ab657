from __future__ import annotations

from typing import Any

from django import template

from zhenxing.notify.services import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """The top bar's badge: one indexed COUNT, only where the tag is rendered."""
    return unread_count(user)
