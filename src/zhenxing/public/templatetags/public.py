from django import template

from zhenxing.public.context import board_title

register = template.Library()


@register.simple_tag
def public_title() -> str:
    return board_title()
