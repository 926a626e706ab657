"""`zhenxing demo` serves the demo with the worker beside it and stops both on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from zhenxing.core.tests.test_serve import ZHENXING, free_port, get


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not reaped it yet.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def test_demo_serves_then_stops_with_its_worker(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    env["ZHENXING_VAR_DIR"] = str(tmp_path)
    port = free_port()
    demo = subprocess.Popen(
        [ZHENXING, "demo", "--port", str(port), "--password", "demo-pass-2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                status, _, _ = get(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, "the demo did not come up"
        children = children_of(demo.pid)
        # gunicorn's master and the task worker.
        assert len(children) == 2
    finally:
        demo.send_signal(signal.SIGTERM)
        output, _ = demo.communicate(timeout=30)
    assert "admin" in output and "secretary" in output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in children):
        time.sleep(0.2)
    assert not any(alive(pid) for pid in children)
