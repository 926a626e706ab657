"""Timing: percentiles and throughput, and a small threaded HTTP load generator.

The load generator is plain `http.client` in threads, one keep-alive
connection per thread, so no new dependency is needed and each request costs
the client little: on a 2-core machine the client shares the CPU with the
server, and a heavy client would make the server look slower than it is.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks.

    The same definition as numpy's default, so the figures can be checked with
    any spreadsheet; None for no values.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Summary:
    """What one measurement reports. Latencies in milliseconds."""

    count: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    wall_s: float
    # Successful requests per second: a fast error answer must not count as work done.
    throughput: float | None
    concurrency: int
    first_error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "errors": self.errors,
            "p50_ms": _round(self.p50_ms),
            "p95_ms": _round(self.p95_ms),
            "max_ms": _round(self.max_ms),
            "wall_s": round(self.wall_s, 3),
            "throughput_rps": _round(self.throughput),
            "concurrency": self.concurrency,
            "first_error": self.first_error,
        }


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def summarise(
    latencies_s: Sequence[float],
    *,
    errors: int,
    wall_s: float,
    concurrency: int,
    first_error: str = "",
) -> Summary:
    """Percentiles and throughput of the successful requests; errors are counted apart."""
    ms = [s * 1000 for s in latencies_s]
    count = len(latencies_s) + errors
    return Summary(
        count=count,
        errors=errors,
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        max_ms=max(ms) if ms else None,
        wall_s=wall_s,
        throughput=len(latencies_s) / wall_s if wall_s > 0 and latencies_s else None,
        concurrency=concurrency,
        first_error=first_error,
    )


# --- HTTP ------------------------------------------------------------------------------


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    """One keep-alive connection with its cookies: a browser tab, or an API client."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    _conn: http.client.HTTPConnection | None = None

    def copy(self) -> Client:
        """Another connection with the same cookies and headers (the same session)."""
        return Client(self.host, self.port, dict(self.cookies), dict(self.headers), self.timeout)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {**self.headers, **(headers or {})}
        body: bytes | None = None
        if files:
            body, sent["Content-Type"] = multipart(form or {}, files)
        elif form is not None:
            body = urlencode(form, doseq=True).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # A keep-alive connection the server closed meanwhile fails on first use: once more.
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                raw = conn.getresponse()
                data = raw.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            break
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    self.cookies[key] = morsel.value
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)


def multipart(
    fields: dict[str, Any], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body: `files` maps a field to (file name, bytes, content type)."""
    boundary = "zhenxing-bench-" + uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, data, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def login(client: Client, username: str, password: str) -> None:
    """Log in through the real login form (CSRF cookie, then the POST); raise if refused."""
    page = client.request("GET", "/login/")
    token = client.cookies.get("csrftoken")
    if page.status != 200 or not token:
        raise HttpError(f"GET /login/ answered {page.status} without a CSRF cookie")
    answer = client.request(
        "POST",
        "/login/",
        form={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"http://{client.host}:{client.port}/login/"},
    )
    if answer.status != 302 or "sessionid" not in client.cookies:
        raise HttpError(f"logging in as {username!r} answered {answer.status}, not a redirect")


# --- load -----------------------------------------------------------------------------

# One request: given the thread's client and the request's index, return None when the
# answer is right, or a short description of what was wrong.
Call = Callable[[Client, int], str | None]


def run_load(base: Client, call: Call, *, total: int, concurrency: int, warmup: int = 0) -> Summary:
    """`total` calls spread over `concurrency` threads, each with its own keep-alive
    connection sharing `base`'s session; `warmup` calls first, untimed, on one thread.
    """
    if total < 1 or concurrency < 1:
        raise ValueError("total and concurrency must be at least 1")
    if warmup:
        warm = base.copy()
        try:
            for i in range(warmup):
                call(warm, -1 - i)
        finally:
            warm.close()
    lock = threading.Lock()
    state = {"next": 0, "errors": 0, "first_error": ""}
    latencies: list[float] = []
    start_gate = threading.Barrier(concurrency + 1)

    def worker() -> None:
        client = base.copy()
        try:
            start_gate.wait()
            while True:
                with lock:
                    index = state["next"]
                    if index >= total:
                        return
                    state["next"] = index + 1
                began = time.perf_counter()
                try:
                    problem = call(client, index)
                except Exception as exc:  # a broken connection is an error of this request
                    problem = f"{type(exc).__name__}: {exc}"
                    client.close()
                took = time.perf_counter() - began
                with lock:
                    if problem is None:
                        latencies.append(took)
                    else:
                        state["errors"] += 1
                        state["first_error"] = state["first_error"] or problem[:300]
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return summarise(
        latencies,
        errors=int(state["errors"]),
        wall_s=wall,
        concurrency=concurrency,
        first_error=str(state["first_error"]),
    )


def time_calls(run: Callable[[int], None], *, total: int, warmup: int = 1) -> Summary:
    """`run(i)` called `total` times in this thread (the floors, the circulars)."""
    for i in range(warmup):
        run(-1 - i)
    latencies: list[float] = []
    errors = 0
    first_error = ""
    began = time.perf_counter()
    for i in range(total):
        t0 = time.perf_counter()
        try:
            run(i)
        except Exception as exc:
            errors += 1
            first_error = first_error or f"{type(exc).__name__}: {exc}"[:300]
            continue
        latencies.append(time.perf_counter() - t0)
    wall = time.perf_counter() - began
    return summarise(latencies, errors=errors, wall_s=wall, concurrency=1, first_error=first_error)


# --- memory ---------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The direct child processes of `pid` (gunicorn's workers of its master), from /proc."""
    found = []
    try:
        import os

        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    stat = handle.read()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: the fields follow the last ")".
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and int(fields[1]) == pid:
                found.append(int(entry))
    except OSError:
        return []
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (10^6 bytes), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1_000_000
    except OSError:
        return None
    return None
