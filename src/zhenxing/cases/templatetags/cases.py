"""Template helpers shared by the case pages: the status badge in the UX.md colours."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

# urgency() key -> CSS modifier (colours in zhenxing.css: --zx-overdue etc.)
_LABELS = {
    "overdue": lambda: _("Overdue"),
    "due_soon": lambda: _("Due within 24 h"),
}


@register.simple_tag
def status_badge(case: Any, now: Any = None) -> str:
    """The status in its colour; an overdue or nearly due case says so beside it."""
    urgency = case.urgency(now)
    extra = ""
    if urgency in _LABELS:
        extra = format_html(
            ' <span class="zx-badge zx-badge-{}">{}</span>', urgency, _LABELS[urgency]()
        )
    tone = "progress" if urgency in _LABELS else urgency
    return format_html(
        '<span class="zx-badge zx-badge-{}">{}</span>{}', tone, case.get_status_display(), extra
    )


@register.filter
def urgency_class(case: Any) -> str:
    return f"zx-row-{case.urgency()}"
