from __future__ import annotations

from django import template

from zhenxing.core.privacy import mask_mobile as _mask_mobile

register = template.Library()


@register.filter
def mask_mobile(value: str | None) -> str:
    return _mask_mobile(value)
