"""The issue's targets, their evaluation, and the table and JSON the bench writes.

Targets (issue 7; stated for PostgreSQL at N=10, evaluated at every scale run,
since a miss at N=1 is a miss at N=10 too):

- battle map p95 ≤ 100 ms and ≤ 2× its SQL floor's p95;
- case lists p95 ≤ 50 ms; ranking p95 ≤ 100 ms;
- intake throughput ≥ 50 % of the minimal view's, ≥ 300 req/s, zero errors;
- one circular ≤ 3 s; each gunicorn worker's RSS ≤ 200 MB;
- each read's p95 at N=10 ≤ 2× its p95 at N=1 (when both scales ran).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BATTLE_MAP_P95_MS = 100.0
BATTLE_MAP_FLOOR_FACTOR = 2.0
CASE_LIST_P95_MS = 50.0
RANKING_P95_MS = 100.0
INTAKE_SHARE_OF_MINIMAL = 0.5
INTAKE_MIN_RPS = 300.0
CIRCULAR_MAX_MS = 3000.0
WORKER_MAX_MB = 200.0
SCALING_FACTOR = 2.0
SMALL, LARGE = 1, 10

# Which target family each read belongs to (the measurement names the runner uses).
READS: dict[str, str] = {
    "battle_map": "battle_map",
    "battle_map_open": "battle_map",
    "cases_secretary_page": "case_list",
    "cases_secretary_api": "case_list",
    "cases_office_page": "case_list",
    "cases_office_api": "case_list",
    "ranking": "ranking",
}


@dataclass
class Check:
    scale: str  # "1", "10", or "10/1" for the growth check
    measurement: str
    target: str
    value: str
    passed: bool | None  # None: could not be evaluated (no figure)


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def evaluate(results: dict[int, dict[str, Any]]) -> list[Check]:
    """Every target against the figures: `results[scale]["measurements"][name]` holds
    {"summary": Summary.as_json(), "floor": ... or None}, plus "workers_rss_mb" and
    "circular" per scale."""
    checks: list[Check] = []
    for scale in sorted(results):
        label = str(scale)
        measured = results[scale].get("measurements", {})
        for name, family in READS.items():
            if name not in measured:
                continue
            p95 = measured[name]["summary"]["p95_ms"]
            errors = measured[name]["summary"]["errors"]
            checks.append(Check(label, name, "0 errors", str(errors), errors == 0))
            if family == "battle_map":
                checks.append(
                    Check(
                        label,
                        name,
                        f"p95 ≤ {BATTLE_MAP_P95_MS:.0f} ms",
                        _ms(p95),
                        _le(p95, BATTLE_MAP_P95_MS),
                    )
                )
                floor = (measured[name].get("floor") or {}).get("p95_ms")
                limit = None if floor is None else BATTLE_MAP_FLOOR_FACTOR * floor
                checks.append(
                    Check(
                        label,
                        name,
                        f"p95 ≤ {BATTLE_MAP_FLOOR_FACTOR:.0f}× floor p95 ({_ms(limit)})",
                        _ms(p95),
                        None if limit is None else _le(p95, limit),
                    )
                )
            elif family == "case_list":
                checks.append(
                    Check(
                        label,
                        name,
                        f"p95 ≤ {CASE_LIST_P95_MS:.0f} ms",
                        _ms(p95),
                        _le(p95, CASE_LIST_P95_MS),
                    )
                )
            else:
                checks.append(
                    Check(
                        label,
                        name,
                        f"p95 ≤ {RANKING_P95_MS:.0f} ms",
                        _ms(p95),
                        _le(p95, RANKING_P95_MS),
                    )
                )
        if "intake" in measured:
            real = measured["intake"]["summary"]
            rps = real["throughput_rps"]
            checks.append(
                Check(label, "intake", "0 errors", str(real["errors"]), real["errors"] == 0)
            )
            checks.append(
                Check(
                    label,
                    "intake",
                    f"≥ {INTAKE_MIN_RPS:.0f} req/s",
                    "–" if rps is None else f"{rps:.0f} req/s",
                    None if rps is None else rps >= INTAKE_MIN_RPS,
                )
            )
            minimal = measured.get("intake_minimal", {}).get("summary", {})
            base = minimal.get("throughput_rps")
            share = None if rps is None or not base else rps / base
            checks.append(
                Check(
                    label,
                    "intake",
                    f"≥ {INTAKE_SHARE_OF_MINIMAL:.0%} of minimal view's req/s",
                    "–" if share is None else f"{share:.0%} of {base:.0f}",
                    None if share is None else share >= INTAKE_SHARE_OF_MINIMAL,
                )
            )
        circular = results[scale].get("circular")
        if circular and circular.get("runs"):
            worst = max(run["total_ms"] for run in circular["runs"])
            checks.append(
                Check(
                    label,
                    "circular",
                    f"≤ {CIRCULAR_MAX_MS / 1000:.0f} s (slowest run)",
                    _ms(worst),
                    worst <= CIRCULAR_MAX_MS,
                )
            )
        rss = results[scale].get("workers_rss_mb")
        if rss:
            top = max(rss)
            checks.append(
                Check(
                    label,
                    "worker_rss",
                    f"each ≤ {WORKER_MAX_MB:.0f} MB",
                    f"max {top:.0f} MB of {len(rss)}",
                    top <= WORKER_MAX_MB,
                )
            )
    if SMALL in results and LARGE in results:
        small = results[SMALL].get("measurements", {})
        large = results[LARGE].get("measurements", {})
        for name in READS:
            if name in small and name in large:
                a = small[name]["summary"]["p95_ms"]
                b = large[name]["summary"]["p95_ms"]
                ok = None if a is None or b is None else b <= SCALING_FACTOR * a
                checks.append(
                    Check(
                        f"{LARGE}/{SMALL}",
                        name,
                        f"p95 at N={LARGE} ≤ {SCALING_FACTOR:.0f}× p95 at N={SMALL}",
                        "–" if ok is None else f"{b:.1f} / {a:.1f} ms = {b / a:.2f}×",
                        ok,
                    )
                )
    return checks


def verdict(checks: Iterable[Check]) -> str:
    values = [c.passed for c in checks]
    if any(v is False for v in values):
        return "MISS"
    if any(v is None for v in values):
        return "n/a"
    return "PASS"


def _cell(value: Any, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def table(results: dict[int, dict[str, Any]], checks: list[Check]) -> str:
    """One row per measurement per scale: its figures, its targets and PASS/MISS."""
    by_row: dict[tuple[str, str], list[Check]] = {}
    for check in checks:
        by_row.setdefault((check.scale, check.measurement), []).append(check)
    header = [
        "N",
        "measurement",
        "n",
        "err",
        "p50 ms",
        "p95 ms",
        "req/s",
        "floor p95",
        "targets",
        "result",
    ]
    rows: list[list[str]] = []
    for scale in sorted(results):
        measured = results[scale].get("measurements", {})
        for name, m in measured.items():
            s = m["summary"]
            floor = m.get("floor") or {}
            these = by_row.get((str(scale), name), [])
            rows.append(
                [
                    str(scale),
                    name,
                    str(s["count"]),
                    str(s["errors"]),
                    _cell(s["p50_ms"]),
                    _cell(s["p95_ms"]),
                    _cell(s["throughput_rps"], "{:.0f}"),
                    _cell(floor.get("p95_ms")),
                    "; ".join(c.target for c in these if c.target != "0 errors"),
                    verdict(these) if these else "",
                ]
            )
        for name in ("circular", "worker_rss"):
            these = by_row.get((str(scale), name), [])
            if these:
                rows.append(
                    [
                        str(scale),
                        name,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        f"{these[0].target}: {these[0].value}",
                        verdict(these),
                    ]
                )
    for (scale, name), these in by_row.items():
        if "/" in scale:
            rows.append(
                [
                    scale,
                    name,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"{these[0].target}: {these[0].value}",
                    verdict(these),
                ]
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def checks_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]
