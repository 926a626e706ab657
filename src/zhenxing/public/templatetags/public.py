from django import template

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
