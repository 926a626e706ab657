from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from zhenxing.core.management.commands.serve import gunicorn_argv


def pad_to_width(text: str, width: int) -> str:
    """Left-align in a terminal, where a Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Migrate, load the Guicheng demo (idempotent), print the demo accounts and serve."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="load the demo and exit")
        parser.add_argument(
            "--password", default="zhenxing-demo", help="password of every demo account"
        )

    def handle(self, *args, port: int, host: str, no_serve: bool, password: str, **options) -> None:
        from zhenxing.demo.guicheng import DemoRefused, load_guicheng

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the Guicheng demo…")
        try:
            summary = load_guicheng(password=password, progress=self.stdout)
        except DemoRefused as exc:
            raise CommandError(f"The demo was not loaded: {exc}") from None
        self.stdout.write(self.style.SUCCESS(summary.describe()))
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {password}):")
        for account in summary.accounts:
            self.stdout.write(
                f"  {account.username:<12} {pad_to_width(account.role, 16)} {account.scope}"
            )
        if no_serve:
            return
        self._serve(host=host, port=port)

    def _serve(self, *, host: str, port: int) -> None:
        # The demo behaves like production (gunicorn + the task worker beside it)
        # but with DEBUG on, so media files are served and cookies work over http.
        env = dict(os.environ)
        if host in {"127.0.0.1", "localhost", "::1"}:
            # DEBUG pages are for the person at this machine, never for a network.
            env.setdefault("DEBUG", "1")
        env.setdefault("SESSION_COOKIE_SECURE", "0")
        env.setdefault("CSRF_COOKIE_SECURE", "0")
        # `kill` (SIGTERM) must stop the demo as cleanly as Ctrl+C, children included.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        worker = subprocess.Popen([sys.executable, "-m", "zhenxing", "worker"], env=env)
        web = subprocess.Popen(gunicorn_argv(host=host, port=port, workers=2), env=env)
        self.stdout.write(
            self.style.SUCCESS(f"Zhenxing demo on http://{host}:{port}/  (Ctrl+C stops)")
        )
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
