"""One scale of `zhenxing bench`, end to end.

1. The database `<prefix><N>`: created, migrated and seeded (`seed-demo --scale N`)
   unless `--reuse` finds it seeded; then a plan (`inside.prepare`, in a child
   process on that database).
2. The real server: `zhenxing serve` (gunicorn, WEB_CONCURRENCY workers, DEBUG
   off, ZHENXING_BENCH_VIEWS on, secure cookies off because it speaks plain
   http) on a free port, until /healthz answers.
3. Logins as the demo accounts, warm-up, then each measurement, with its SQL
   floor timed on a psycopg connection to the same database in the same run.
4. The workers' RSS; the server is stopped whatever happens (Ctrl-C too).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from zhenxing.bench import floors
from zhenxing.bench.measure import (
    Client,
    HttpError,
    children_of,
    login,
    rss_mb,
    run_load,
    time_calls,
)

PASSWORD = "zhenxing-demo"  # noqa: S105 (the demo accounts' published password)
HEALTH_TIMEOUT_S = 120.0
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass
class Options:
    scales: list[int]
    prefix: str
    postgres: str  # postgres://user@host:port (no database)
    reuse: bool
    requests: int
    concurrency: int
    read_concurrency: int
    workers: int
    warmup: int
    circulars: int
    json_path: Path
    log_dir: Path


def database_url(options: Options, scale: int) -> str:
    return f"{options.postgres.rstrip('/')}/{options.prefix}{scale}"


def _say(out: TextIO, message: str) -> None:
    out.write(message + "\n")
    out.flush()


# --- the database -------------------------------------------------------------------------


def ensure_database(options: Options, scale: int, out: TextIO) -> bool:
    """Create `<prefix><N>` unless it is there; with `reuse` off, drop and recreate it.

    Returns whether it must be seeded (a fresh database always must).
    """
    import psycopg

    name = f"{options.prefix}{scale}"
    if not _DB_NAME.match(name):
        raise SystemExit(f"zhenxing bench: {name!r} is not a plain database name")
    with psycopg.connect(f"{options.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and options.reuse:
            return False
        if exists:
            _say(out, f"Dropping {name} (no --reuse) …")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        _say(out, f"Creating {name} …")
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def _child_env(options: Options, scale: int, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(options, scale), **extra}
    env.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    return env


def _internal(options: Options, scale: int, args: list[str], out: TextIO) -> dict[str, Any]:
    """Run `zhenxing bench --internal ...` on the scale's database; its JSON answer."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = Path(handle.name)
    try:
        subprocess.run(
            [sys.executable, "-m", "zhenxing", "bench", "--internal", *args, "--out", str(target)],
            env=_child_env(options, scale),
            check=True,
            stdout=out,
            stderr=sys.stderr,
        )
        return json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(options: Options, scale: int, out: TextIO) -> Iterator[tuple[int, int]]:
    """`zhenxing serve` on a free port; yields (port, master pid); always stopped after."""
    port = free_port()
    options.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = options.log_dir / f"server-{options.prefix}{scale}.log"
    env = _child_env(
        options,
        scale,
        DEBUG="0",
        ZHENXING_BENCH_VIEWS="1",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        WEB_CONCURRENCY=str(options.workers),
    )
    with log_path.open("w") as log:
        # Its own session: Ctrl-C reaches the bench, which stops the server itself.
        process = subprocess.Popen(
            [sys.executable, "-m", "zhenxing", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_healthy(port, process, log_path)
            _say(out, f"Server up on port {port} ({options.workers} workers, log {log_path}).")
            yield port, process.pid
        finally:
            stop(process)


def _wait_healthy(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"zhenxing bench: the server exited ({process.returncode}); see {log_path}"
            )
        client = Client("127.0.0.1", port, timeout=5)
        try:
            if client.request("GET", "/healthz").status == 200:
                return
        except OSError:
            pass
        finally:
            client.close()
        time.sleep(0.5)
    raise SystemExit(f"zhenxing bench: the server did not answer /healthz; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    """Gunicorn stops its workers on SIGTERM; anything left after 15 s is killed."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- the measurements ---------------------------------------------------------------------


def _expect(status: int, *, marker: bytes | None = None) -> Callable[[Client, int], Any]:
    """A check of an answer: the status, and optionally a byte string in the body."""

    def check(response: Any) -> str | None:
        if response.status != status:
            return f"HTTP {response.status}: {response.text()[:200]}"
        if marker is not None and marker not in response.body:
            return f"HTTP {response.status} without {marker!r}"
        return None

    return check  # type: ignore[return-value]


def _get(path: str, *, marker: bytes | None = None) -> Callable[[Client, int], str | None]:
    check = _expect(200, marker=marker)

    def call(client: Client, _index: int) -> str | None:
        return check(client.request("GET", path))  # type: ignore[arg-type]

    return call


def _floor(run: Callable[[Any], Any], dsn: str, total: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        summary = time_calls(lambda _i: run(cursor), total=total, warmup=2)
    return summary.as_json()


def measure_scale(options: Options, scale: int, out: TextIO) -> dict[str, Any]:
    """Everything about one scale, as the JSON records it."""
    must_seed = ensure_database(options, scale, out)
    began = time.perf_counter()
    _say(
        out, f"N={scale}: migrating{' and seeding' if must_seed else ''} (this may take minutes) …"
    )
    plan = _internal(
        options, scale, ["prepare", "--scale", str(scale), *(["--seed"] if must_seed else [])], out
    )
    prepare_s = time.perf_counter() - began
    dsn = database_url(options, scale)
    result: dict[str, Any] = {
        "database": f"{options.prefix}{scale}",
        "seeded_now": must_seed,
        "seed_seconds": plan.get("seed_seconds"),
        "prepare_seconds": round(prepare_s, 1),
        "counts": plan["counts"],
        "plan": {k: v for k, v in plan.items() if k not in ("token", "places", "counts")},
        "measurements": {},
    }
    _say(out, f"N={scale}: {plan['counts']}")
    with live_server(options, scale, out) as (port, master):
        measured = result["measurements"]
        admin = Client("127.0.0.1", port)
        secretary = Client("127.0.0.1", port)
        check_login(admin, "admin")
        check_login(secretary, "secretary")
        admin.close()
        secretary.close()

        def read(
            name: str,
            who: Client,
            path: str,
            floor: Callable[[Any], Any] | None,
            marker: bytes | None = None,
        ) -> None:
            _say(out, f"N={scale}: {name} ({path}) …")
            summary = run_load(
                who,
                _get(path, marker=marker),
                total=options.requests,
                concurrency=options.read_concurrency,
                warmup=options.warmup,
            )
            measured[name] = {
                "path": path,
                "summary": summary.as_json(),
                "floor": _floor(floor, dsn, options.requests) if floor else None,
            }

        week = datetime.date.fromisoformat(plan["week"])
        depth = plan["depth"]
        if plan["campaign"]:
            query = urlencode({"campaign": plan["campaign"], "week": plan["week"]})
            read(
                "battle_map",
                admin,
                f"/plans/map/data.json?{query}&measure=completion",
                lambda c: floors.battle_map_completion(
                    c,
                    depth=depth,
                    paths=plan["admin_paths"],
                    task_type_ids=plan["task_type_ids"],
                    monday=week,
                ),
            )
            read(
                "battle_map_open",
                admin,
                f"/plans/map/data.json?{query}&measure=open",
                lambda c: floors.battle_map_open(c, depth=depth, paths=plan["admin_paths"]),
            )
        for who_name, who, paths in (
            ("secretary", secretary, plan["secretary_paths"]),
            ("office", admin, plan["admin_paths"]),
        ):
            list_floor = (lambda p: lambda c: floors.case_list(c, paths=p))(paths)
            read(f"cases_{who_name}_page", who, "/cases/", list_floor, marker=b"</html>")
            read(f"cases_{who_name}_api", who, "/api/v1/cases", list_floor)
        ranking = plan["ranking"]
        starts = [datetime.date.fromisoformat(s) for s in ranking["starts"]]
        read(
            "ranking",
            admin,
            "/assessment/?"
            + urlencode(
                {
                    "unit_kind": ranking["unit_kind"],
                    "period_kind": "week",
                    "period": ranking["period_start"],
                }
            ),
            lambda c: floors.ranking(
                c, period_kind="week", starts=starts, unit_kind=ranking["unit_kind"]
            ),
            marker=b"</html>",
        )
        measure_intake(options, scale, plan, port, measured, out)
        _say(out, f"N={scale}: circular ({options.circulars} runs, in a child process) …")
        result["circular"] = _internal(
            options,
            scale,
            [
                "circular",
                "--period",
                plan["circular"]["period_start"],
                "--scope",
                plan["circular"]["scope"],
                "--runs",
                str(options.circulars),
            ],
            out,
        )
        workers = children_of(master)
        result["workers_pids"] = workers
        result["master_rss_mb"] = _round(rss_mb(master))
        result["workers_rss_mb"] = [r for r in (_round(rss_mb(pid)) for pid in workers) if r]
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def measure_intake(
    options: Options,
    scale: int,
    plan: dict[str, Any],
    port: int,
    measured: dict[str, Any],
    out: TextIO,
) -> None:
    """POST /api/v1/cases with a bearer token, beside the minimal view and "hello"."""
    places = plan["places"]
    category = plan["category"]
    if not places or not category:
        _say(out, f"N={scale}: no area centre or category to file cases at: intake skipped")
        return
    api = Client("127.0.0.1", port, headers={"Authorization": f"Bearer {plan['token']}"})
    bare = Client("127.0.0.1", port)

    def place(index: int) -> dict[str, Any]:
        return places[index % len(places)]

    fields = {"category": category["code"]}
    photo = _needs_photo(api, category["code"], places[0])
    files = {"photos": ("bench.jpg", tiny_jpeg(), "image/jpeg")} if photo else None
    if photo:
        _say(
            out,
            f"N={scale}: the API refuses a case without a photo: each POST carries one tiny JPEG",
        )

    def real(client: Client, index: int) -> str | None:
        p = place(index)
        form = {**fields, "description": f"bench case {index}", "lat": p["lat"], "lng": p["lng"]}
        response = client.request("POST", "/api/v1/cases", form=form, files=files)
        if response.status == 201:
            return None
        return f"HTTP {response.status}: {response.text()[:200]}"

    def minimal(client: Client, index: int) -> str | None:
        p = place(index)
        response = client.request(
            "POST",
            "/bench/intake",
            form={
                "category": category["id"],
                "description": f"bench case {index}",
                "lat": p["lat"],
                "lng": p["lng"],
                "region": p["id"],
                "region_path": p["path"],
            },
        )
        return (
            None if response.status == 201 else f"HTTP {response.status}: {response.text()[:200]}"
        )

    def hello(client: Client, _index: int) -> str | None:
        response = client.request("GET", "/bench/hello")
        return None if response.status == 200 else f"HTTP {response.status}"

    for name, who, call, path in (
        ("intake", api, real, "POST /api/v1/cases"),
        ("intake_minimal", bare, minimal, "POST /bench/intake"),
        ("hello", bare, hello, "GET /bench/hello"),
    ):
        _say(out, f"N={scale}: {name} ({path}, {options.concurrency} clients) …")
        summary = run_load(
            who,
            call,
            total=options.requests,
            concurrency=options.concurrency,
            warmup=options.warmup,
        )
        measured[name] = {"path": path, "summary": summary.as_json(), "floor": None}
    measured["intake"]["with_photo"] = photo


def tiny_jpeg() -> bytes:
    """An 8×8 grey JPEG without EXIF: the least photo the API accepts."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(buffer, "JPEG")
    return buffer.getvalue()


def _needs_photo(api: Client, category: str, place: dict[str, Any]) -> bool:
    """Whether POST /api/v1/cases refuses a case without a photo.

    The issue measures intake without a photo; the API asks for one (the
    before-photo is the evidence). A valid POST without one tells: a 400 (the
    photo check runs before anything is written) means each timed POST must
    carry the least photo the API accepts; a 201 files one probe case.
    """
    probe = api.copy()
    try:
        response = probe.request(
            "POST",
            "/api/v1/cases",
            form={
                "category": category,
                "description": "bench probe",
                "lat": place["lat"],
                "lng": place["lng"],
            },
        )
    finally:
        probe.close()
    return response.status == 400


def check_login(client: Client, username: str) -> None:
    try:
        login(client, username, PASSWORD)
    except HttpError as exc:
        raise SystemExit(f"zhenxing bench: {exc}") from None
