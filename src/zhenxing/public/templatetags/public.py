from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from zhenxing.public.context import board_title

register = template.Library()


@register.simple_tag
def public_title() -> str:
    return board_title()


@register.simple_tag(takes_context=True)
def can_publish_case(context: dict, case: object) -> bool:
    """Whether the viewer may put this case on the exposure board (the office, in its territory)."""
    from zhenxing.public.permissions import can_publish

    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    return bool(user is not None and can_publish(user, case))


@register.simple_tag
def on_public_board(case: object) -> bool:
    """Whether the case is on the public board now (published, not taken off)."""
    from zhenxing.public.models import Publication

    return Publication.objects.filter(case=case, is_published=True).exists()


@register.simple_tag
def board_status_badge(case: object) -> SafeString:
    """The case's status in the board's words (已收到 … 已整改), as residents read it.

    The desk shows it beside the office's own status: the two vocabularies
    differ on purpose (residents see six steps, not nine states).
    """
    from zhenxing.public.selectors import public_status

    status = public_status(case)
    return format_html(
        '<span class="zx-board-status zx-board-status-{}" data-board-status="{}">{}</span>',
        status.key,
        status.key,
        status.label,
    )
