"""`zhenxing serve` starts the production server: gunicorn, whitenoise, DEBUG off."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ZHENXING = str(Path(sys.executable).with_name("zhenxing"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_serve_answers_health_and_static_files_with_debug_off(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    env.update(
        ZHENXING_VAR_DIR=str(tmp_path),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
    )
    migrate = subprocess.run([ZHENXING, "migrate", "-v0"], env=env, capture_output=True, timeout=99)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    server = subprocess.Popen(
        [ZHENXING, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body, _ = get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, "server did not come up"
        assert b'"ok"' in body

        # Pages render with the hashed (manifest) static file names of production.
        status, body, _ = get(f"{base}/login/")
        assert status == 200
        assert b"/static/bootstrap/css/bootstrap.min." in body
        assert b"/static/bootstrap/css/bootstrap.min.css" not in body

        status, body, headers = get(f"{base}/static/bootstrap/css/bootstrap.min.css")
        assert status == 200
        assert b"Bootstrap" in body[:200]

        # DEBUG is off: an unknown page is a plain 404, not the debug page.
        status, body, _ = get(f"{base}/no-such-page/")
        assert status == 404
        assert b"URLconf" not in body
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
