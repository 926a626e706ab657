"""Periodic jobs for `zhenxing worker`.

django-tasks has no scheduler, so the worker runs this small one beside it:
each job has an interval; for every time slot, whichever worker first inserts
the (name, slot) row enqueues the task, so two workers never double it.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any  # a django_tasks Task taking no arguments
    every: datetime.timedelta


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, task: Any, every: datetime.timedelta) -> None:
    _JOBS[name] = PeriodicJob(name=name, task=task, every=every)


def jobs() -> list[PeriodicJob]:
    return list(_JOBS.values())


def slot_start(now: datetime.datetime, every: datetime.timedelta) -> datetime.datetime:
    epoch = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    slots = (now - epoch) // every
    return epoch + slots * every


def enqueue_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot has not been claimed yet; return their names."""
    from zhenxing.core.models import PeriodicRun

    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        slot = slot_start(now, job.every)
        if PeriodicRun.objects.filter(name=job.name, slot=slot).exists():
            continue  # the usual case: this slot was claimed on an earlier tick
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=job.name, slot=slot)
                job.task.enqueue()
        except IntegrityError:
            continue  # another worker claimed this slot a moment ago
        enqueued.append(job.name)
    return enqueued


def run_scheduler(stop: threading.Event, tick_seconds: float = 30.0) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            names = enqueue_due()
            if names:
                log.info("enqueued periodic jobs: %s", ", ".join(names))
        except Exception:  # keep the scheduler alive through a database restart
            log.exception("periodic scheduler tick failed")
        stop.wait(tick_seconds)
