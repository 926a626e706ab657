from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from zhenxing.env import env_int, env_str


def gunicorn_argv(*, host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "zhenxing.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]


class Command(BaseCommand):
    help = "Serve zhenxing in production: gunicorn, static files through whitenoise."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=env_str("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000, minimum=1))
        parser.add_argument("--workers", type=int, default=env_int("WEB_CONCURRENCY", 3, minimum=1))

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(host=host, port=port, workers=workers)
        self.stdout.write(f"Serving on http://{host}:{port}/")
        sys.stdout.flush()
        os.execv(sys.executable, argv)
