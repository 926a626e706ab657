"""The outbound channel: the send task, the backends and their configuration."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from zhenxing.notify.backends import (
    DatabaseBackend,
    LogBackend,
    OutboundBackend,
    get_backend,
    load_backend_class,
)
from zhenxing.notify.checks import outbound_backend_loads
from zhenxing.notify.models import OutboundMessage, OutboundStatus
from zhenxing.notify.tasks import send_outbound

THIS = "zhenxing.notify.tests.test_outbound"


class BrokenBackend(OutboundBackend):
    """Stands for a provider that answers with an error."""

    def send(self, message: OutboundMessage) -> None:
        raise ConnectionError("gateway said 503")


class RecordingBackend(OutboundBackend):
    sent: list[int] = []

    def send(self, message: OutboundMessage) -> None:
        RecordingBackend.sent.append(message.pk)


@pytest.fixture
def message(db):
    return OutboundMessage.objects.create(
        channel="sms",
        to="13800000001",
        template="dispatched",
        params={"number": "20261123000001"},
        text="案卷 20261123000001 已派遣给你方",
    )


def test_the_default_backend_records_the_message_as_sent(message, settings):
    assert settings.ZHENXING_OUTBOUND_BACKEND == "zhenxing.notify.backends.DatabaseBackend"
    assert isinstance(get_backend(), DatabaseBackend)
    send_outbound.call(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert message.backend == "zhenxing.notify.backends.DatabaseBackend"
    assert message.attempts == 1 and message.error == "" and message.sent_at is not None


def test_a_failing_backend_marks_the_message_failed_and_keeps_it(message, settings):
    settings.ZHENXING_OUTBOUND_BACKEND = f"{THIS}.BrokenBackend"
    send_outbound.call(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED
    assert message.error == "ConnectionError: gateway said 503"
    assert message.attempts == 1 and message.sent_at is None
    assert message.backend == f"{THIS}.BrokenBackend"


def test_a_message_is_sent_once_however_often_its_task_runs(message, settings):
    settings.ZHENXING_OUTBOUND_BACKEND = f"{THIS}.RecordingBackend"
    RecordingBackend.sent = []
    send_outbound.call(message.pk)
    send_outbound.call(message.pk)
    assert RecordingBackend.sent == [message.pk]
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_vanished_message_is_skipped(db):
    send_outbound.call(987654)  # no error: the row was deleted before the worker came


def test_the_log_backend_logs_with_the_number_masked(message, settings, caplog):
    settings.ZHENXING_OUTBOUND_BACKEND = "zhenxing.notify.backends.LogBackend"
    assert isinstance(get_backend(), LogBackend)
    with caplog.at_level(logging.INFO, logger="zhenxing.notify.backends"):
        send_outbound.call(message.pk)
    assert "138****0001" in caplog.text and "13800000001" not in caplog.text
    assert "案卷 20261123000001" in caplog.text
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT


@pytest.mark.parametrize(
    "path",
    ["zhenxing.notify.backends.Nope", "no.such.module.Backend", "zhenxing.notify.tasks.log"],
)
def test_a_bad_backend_path_is_refused_clearly(path, settings):
    settings.ZHENXING_OUTBOUND_BACKEND = path
    with pytest.raises(ImproperlyConfigured, match="ZHENXING_OUTBOUND_BACKEND"):
        load_backend_class()
    errors = outbound_backend_loads(None)
    assert [e.id for e in errors] == ["notify.E001"]


def test_the_system_check_reports_a_bad_backend(settings):
    settings.ZHENXING_OUTBOUND_BACKEND = "zhenxing.notify.backends.Nope"
    with pytest.raises(SystemCheckError, match="notify.E001"):
        call_command("check")


def test_a_bad_backend_path_fails_the_message_not_the_worker(message, settings):
    settings.ZHENXING_OUTBOUND_BACKEND = "zhenxing.notify.backends.Nope"
    send_outbound.call(message.pk)
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED
    assert "ImproperlyConfigured" in message.error
