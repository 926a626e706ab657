"""The worker runs queued background tasks and enqueues periodic jobs once per slot."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhenxing.core import periodic
from zhenxing.core.models import PeriodicRun

ZHENXING = str(Path(sys.executable).with_name("zhenxing"))


class CountingTask:
    def __init__(self) -> None:
        self.enqueued = 0

    def enqueue(self) -> None:
        self.enqueued += 1


@pytest.fixture
def fake_job(monkeypatch):
    task = CountingTask()
    monkeypatch.setattr(periodic, "_JOBS", {})
    periodic.register("fake", task, datetime.timedelta(hours=1))
    return task


@pytest.mark.django_db
def test_a_periodic_job_is_enqueued_once_per_slot(fake_job):
    ten = datetime.datetime(2026, 11, 28, 10, 5, tzinfo=datetime.UTC)
    assert periodic.enqueue_due(ten) == ["fake"]
    # A second worker (or a second tick) in the same hour enqueues nothing.
    assert periodic.enqueue_due(ten + datetime.timedelta(minutes=50)) == []
    assert fake_job.enqueued == 1
    # The next hour is a new slot.
    assert periodic.enqueue_due(ten + datetime.timedelta(hours=1)) == ["fake"]
    assert fake_job.enqueued == 2
    assert PeriodicRun.objects.filter(name="fake").count() == 2


def test_slot_start_floors_to_the_interval():
    every = datetime.timedelta(days=1)
    now = datetime.datetime(2026, 11, 28, 23, 59, tzinfo=datetime.UTC)
    assert periodic.slot_start(now, every) == datetime.datetime(2026, 11, 28, tzinfo=datetime.UTC)


def test_worker_process_runs_the_periodic_job_it_enqueued(tmp_path):
    """End to end on a scratch SQLite database: `zhenxing worker` enqueues and runs a job."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "TASKS_IMMEDIATE"}
    }
    env["ZHENXING_VAR_DIR"] = str(tmp_path)
    migrate = subprocess.run(
        [ZHENXING, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=180
    )
    assert migrate.returncode == 0, migrate.stderr
    worker = subprocess.run(
        [ZHENXING, "worker", "--max-tasks", "1", "--interval", "0.2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    check = subprocess.run(
        [
            ZHENXING, "shell", "-c",
            "from django_tasks_db.models import DBTaskResult; "
            "print([(r.task_path, r.status) for r in DBTaskResult.objects.all()])",
        ],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "zhenxing.core.tasks.prune_task_results" in check.stdout
    assert "SUCCESSFUL" in check.stdout or "SUCCEEDED" in check.stdout, check.stdout


@pytest.mark.django_db
def test_a_claimed_slot_is_skipped_without_trying_to_insert_again(
    fake_job, django_assert_num_queries
):
    ten = datetime.datetime(2026, 11, 28, 10, 5, tzinfo=datetime.UTC)
    periodic.enqueue_due(ten)
    # One read, no failing INSERT (which PostgreSQL would log as an error every tick).
    with django_assert_num_queries(1):
        assert periodic.enqueue_due(ten) == []
