from __future__ import annotations

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from zhenxing.core import periodic


class Command(BaseCommand):
    help = "Run background tasks (django-tasks database backend) and the periodic jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="do not enqueue periodic jobs"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=0, help="exit after this many tasks (0: run forever)"
        )

    def handle(self, *args, interval: float, no_scheduler: bool, max_tasks: int, **options) -> None:
        import zhenxing.core.tasks  # noqa: F401  (registers the periodic jobs)

        stop = threading.Event()
        if not no_scheduler:
            threading.Thread(
                target=periodic.run_scheduler, args=(stop,), name="zhenxing-scheduler", daemon=True
            ).start()
        try:
            call_command(
                "db_worker",
                interval=interval,
                no_startup_delay=True,
                max_tasks=max_tasks or None,
                # The autoreloader forks a child that outlives a stopped parent,
                # and the scheduler thread would run in both.
                reload=False,
            )
        finally:
            stop.set()
