"""Outbound channels: how an `OutboundMessage` leaves (or does not leave) the server.

`settings.ZHENXING_OUTBOUND_BACKEND` names the class. A backend is given one
message at a time by the `send_outbound` task and raises on failure; the task
records the outcome on the message either way, so the table is the full trail
of what was (or would have been) sent.

Only backends that really work live here. A deployment with an SMS or WeChat
contract adds its own subclass of `OutboundBackend` in its own package and
points the setting at it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from zhenxing.core.privacy import mask_mobile

if TYPE_CHECKING:
    from zhenxing.notify.models import OutboundMessage

log = logging.getLogger(__name__)


class OutboundBackend:
    """The interface: deliver one message or raise (any exception means "not sent")."""

    def send(self, message: OutboundMessage) -> None:
        raise NotImplementedError

    @classmethod
    def dotted_path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"


class DatabaseBackend(OutboundBackend):
    """The default: records only. No message leaves the server.

    The message row itself is the record; the task marks it sent with this
    backend's name, so an operator can see exactly what an SMS contract would
    have delivered, and to whom.
    """

    def send(self, message: OutboundMessage) -> None:
        return None


class LogBackend(OutboundBackend):
    """Writes each message to the `zhenxing.notify.backends` log (for trials and debugging).

    The recipient's number is masked: logs are read by more people than the database.
    """

    def send(self, message: OutboundMessage) -> None:
        log.info(
            "outbound %s to %s [%s]: %s",
            message.channel,
            mask_mobile(message.to),
            message.template,
            message.text,
        )


def load_backend_class(path: str | None = None) -> type[OutboundBackend]:
    """The class the setting names; ImproperlyConfigured, saying why, if it is unusable."""
    path = path if path is not None else settings.ZHENXING_OUTBOUND_BACKEND
    try:
        cls = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            f"ZHENXING_OUTBOUND_BACKEND = {path!r} cannot be imported: {error}"
        ) from error
    if not (isinstance(cls, type) and issubclass(cls, OutboundBackend)):
        raise ImproperlyConfigured(
            f"ZHENXING_OUTBOUND_BACKEND = {path!r} is not a subclass of "
            "zhenxing.notify.backends.OutboundBackend"
        )
    return cls


def get_backend() -> OutboundBackend:
    return load_backend_class()()
