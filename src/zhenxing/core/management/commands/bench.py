from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhenxing.env import env_int, env_str


def _scales(value: str) -> list[int]:
    try:
        scales = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "give whole numbers separated by commas, e.g. 1,10"
        ) from None
    if not scales or any(n < 1 for n in scales):
        raise argparse.ArgumentTypeError("give one or more scales of at least 1, e.g. 1,10")
    return sorted(set(scales))


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Measure zhenxing against a live server on PostgreSQL loaded at N× Guicheng: latency, "
        "throughput, SQL floors, worker memory; prints a table with the issue's targets and "
        "writes every figure as JSON (docs/scaling.md)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scales", type=_scales, default=[1], help="e.g. 1,10 (default 1)")
        parser.add_argument(
            "--database-prefix",
            default="zx_bench",
            help="scale N uses the PostgreSQL database <prefix><N> (default zx_bench)",
        )
        parser.add_argument(
            "--postgres",
            default=env_str("ZHENXING_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
            help="the PostgreSQL server, without a database name",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="use a database that is already seeded; without it the database is "
            "dropped, created and seeded afresh",
        )
        parser.add_argument("--requests", type=_positive, default=200, help="per measurement")
        parser.add_argument(
            "--concurrency", type=_positive, default=8, help="clients for the intake (default 8)"
        )
        parser.add_argument(
            "--read-concurrency",
            type=_positive,
            default=2,
            help="clients for the reads (default 2: latency with every request served at once)",
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=env_int("WEB_CONCURRENCY", 3, minimum=1),
            help="gunicorn workers (default WEB_CONCURRENCY or 3)",
        )
        parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
        parser.add_argument("--circulars", type=_positive, default=3, help="circulars to time")
        parser.add_argument("--json", default="var/bench.json", help="where the figures go")
        # The bench's work inside Django on a scale's database (a child process).
        parser.add_argument("--internal", choices=["prepare", "circular"], help=argparse.SUPPRESS)
        parser.add_argument("--out", help=argparse.SUPPRESS)
        parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--period", help=argparse.SUPPRESS)
        parser.add_argument("--scope", help=argparse.SUPPRESS)
        parser.add_argument("--runs", type=int, default=3, help=argparse.SUPPRESS)

    def handle(self, *args, **o) -> None:
        if o["internal"]:
            self._internal(o)
            return
        from zhenxing.bench import report
        from zhenxing.bench.runner import Options, measure_scale

        json_path = Path(o["json"])
        if not json_path.is_absolute():
            json_path = settings.PROJECT_DIR / json_path
        options = Options(
            scales=o["scales"],
            prefix=o["database_prefix"],
            postgres=o["postgres"],
            reuse=o["reuse"],
            requests=o["requests"],
            concurrency=o["concurrency"],
            read_concurrency=o["read_concurrency"],
            workers=o["workers"],
            warmup=o["warmup"],
            circulars=o["circulars"],
            json_path=json_path,
            log_dir=settings.VAR_DIR / "bench",
        )
        started = datetime.datetime.now(datetime.UTC)
        results: dict[int, dict] = {}
        try:
            for scale in options.scales:
                results[scale] = measure_scale(options, scale, self.stdout)
        except KeyboardInterrupt:
            # The server is stopped by measure_scale's `finally`; keep what was measured.
            self.stderr.write("Interrupted: reporting what was measured.")
        checks = report.evaluate(results)
        self.stdout.write("")
        self.stdout.write(report.table(results, checks))
        misses = [c for c in checks if c.passed is False]
        document = {
            "started": started.isoformat(),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "options": {
                "scales": options.scales,
                "database_prefix": options.prefix,
                "reuse": options.reuse,
                "requests": options.requests,
                "concurrency": options.concurrency,
                "read_concurrency": options.read_concurrency,
                "workers": options.workers,
                "warmup": options.warmup,
            },
            "scales": {str(k): v for k, v in results.items()},
            "checks": report.checks_json(checks),
            "verdict": report.verdict(checks) if checks else "n/a",
        }
        report.write_json(json_path, document)
        self.stdout.write("")
        self.stdout.write(f"Figures written to {json_path}")
        if misses:
            self.stdout.write(f"{len(misses)} target(s) missed.")

    def _internal(self, o: dict) -> None:
        from zhenxing.bench import inside

        if not o["out"]:
            raise CommandError("--internal needs --out")
        if o["internal"] == "prepare":
            answer = inside.prepare(scale=o["scale"] or 1, seed=o["seed"])
        else:
            answer = inside.time_circular(
                period_start=o["period"], scope=o["scope"], runs=o["runs"]
            )
        Path(o["out"]).write_text(json.dumps(answer, default=str))
        sys.stdout.flush()
