"""Background: hand queued outbound messages to the configured backend."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from zhenxing.notify.backends import get_backend
from zhenxing.notify.models import OutboundMessage, OutboundStatus

log = logging.getLogger(__name__)

ERROR_MAX = OutboundMessage._meta.get_field("error").max_length


@task()
def send_outbound(message_id: int) -> None:
    """Send one queued message and record the outcome on its row.

    The row is locked while the backend sends, so two workers given the same
    message send it once. A failure is recorded (status failed, the error,
    attempts + 1) and the row kept; there is no automatic retry — an operator
    sees failed rows in the admin, and a message to a wrong or dead number
    would fail again anyway.
    """
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboundStatus.QUEUED:
            return  # deleted, or already handled by an earlier run
        message.attempts += 1
        message.backend = settings.ZHENXING_OUTBOUND_BACKEND
        try:
            # A savepoint: a backend that fails inside the database leaves this
            # transaction usable for recording the failure.
            with transaction.atomic():
                get_backend().send(message)
        except Exception as error:  # any failure of a backend is recorded, never lost
            log.warning("outbound message %s failed: %s", message.pk, error, exc_info=True)
            message.status = OutboundStatus.FAILED
            message.error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
        else:
            message.status = OutboundStatus.SENT
            message.error = ""
            message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "backend", "status", "error", "sent_at"])
