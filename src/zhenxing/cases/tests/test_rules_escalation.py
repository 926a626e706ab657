"""The escalation run survives one bad case, and marks each case it raises as changed."""

from __future__ import annotations

import datetime
import logging

import pytest

from zhenxing.cases import services
from zhenxing.cases.models import Case

from .test_loop import MONDAY, dispatched

MEETING_AFTER = datetime.timedelta(hours=48)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


def test_one_failing_case_does_not_stop_the_run(
    world, cats, private_media, frozen, monkeypatch, caplog
):
    first = dispatched(world, cats.garbage)
    broken = dispatched(world, cats.garbage)
    last = dispatched(world, cats.garbage)
    plain = services._escalate

    def escalate(case: Case, **kwargs):
        if case.pk == broken.pk:
            raise RuntimeError("a bad row")
        return plain(case, **kwargs)

    monkeypatch.setattr(services, "_escalate", escalate)
    frozen.move_to(first.deadline + datetime.timedelta(hours=1), tick=False)
    with caplog.at_level(logging.ERROR, logger="zhenxing.cases.services"):
        raised = services.escalate_overdue(meeting_after=MEETING_AFTER)
    assert {e.case_id for e in raised} == {first.pk, last.pk}
    assert broken.number in caplog.text and "a bad row" in caplog.text
    assert Case.objects.get(pk=broken.pk).escalation_level == 0
    # The next run, the fault gone, raises it.
    monkeypatch.setattr(services, "_escalate", plain)
    assert [e.case_id for e in services.escalate_overdue(meeting_after=MEETING_AFTER)] == [
        broken.pk
    ]


def test_an_escalation_marks_the_case_changed(world, cats, private_media, frozen):
    case = dispatched(world, cats.garbage)
    version = Case.objects.get(pk=case.pk).version
    moment = case.deadline + datetime.timedelta(hours=1)
    frozen.move_to(moment, tick=False)
    services.escalate_overdue(meeting_after=MEETING_AFTER)
    row = Case.objects.get(pk=case.pk)
    assert row.updated_at == moment
    assert row.version == version  # not a step of the handler's: their open form stays valid
