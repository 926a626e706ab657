from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def outbound_backend_loads(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A mistyped backend path would otherwise surface only as failed messages, one by one."""
    from zhenxing.notify.backends import load_backend_class

    try:
        load_backend_class()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="Set ZHENXING_OUTBOUND_BACKEND to the dotted path of an OutboundBackend "
                "subclass, e.g. zhenxing.notify.backends.DatabaseBackend.",
                id="notify.E001",
            )
        ]
    return []
