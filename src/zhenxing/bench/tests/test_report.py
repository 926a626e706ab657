"""The targets' evaluation, the table and the JSON (figures made up, nothing timed)."""

from __future__ import annotations

import json

from zhenxing.bench import report


def _m(p95: float | None, *, errors: int = 0, rps: float | None = 50.0, floor: float | None = None):
    summary = {
        "count": 100,
        "errors": errors,
        "p50_ms": None if p95 is None else p95 / 2,
        "p95_ms": p95,
        "max_ms": p95,
        "wall_s": 2.0,
        "throughput_rps": rps,
        "concurrency": 2,
        "first_error": "",
    }
    return {"summary": summary, "floor": None if floor is None else {"p95_ms": floor}}


def _scale(**overrides):
    measurements = {
        "battle_map": _m(60.0, floor=40.0),
        "cases_secretary_page": _m(30.0),
        "cases_office_api": _m(45.0),
        "ranking": _m(90.0),
        "intake": _m(20.0, rps=400.0),
        "intake_minimal": _m(10.0, rps=700.0),
        "hello": _m(1.0, rps=2000.0),
    }
    measurements.update(overrides)
    return {
        "measurements": measurements,
        "circular": {"runs": [{"total_ms": 900.0}, {"total_ms": 1200.0}]},
        "workers_rss_mb": [120.0, 150.0],
    }


def _by(checks, scale, measurement, target_start):
    found = [
        c
        for c in checks
        if c.scale == scale and c.measurement == measurement and c.target.startswith(target_start)
    ]
    assert len(found) == 1, (scale, measurement, target_start, checks)
    return found[0]


def test_every_target_passes_on_good_figures():
    checks = report.evaluate({1: _scale()})
    assert checks
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert report.verdict(checks) == "PASS"


def test_each_target_misses_on_its_own_bad_figure():
    checks = report.evaluate(
        {
            10: {
                **_scale(
                    battle_map=_m(90.0, floor=30.0),  # under 100 ms but over 2× its floor
                    cases_secretary_page=_m(51.0),
                    ranking=_m(101.0),
                    intake=_m(20.0, rps=340.0, errors=1),  # ≥ 300 req/s, < 50 % of 700
                ),
                "circular": {"runs": [{"total_ms": 3100.0}]},
                "workers_rss_mb": [120.0, 201.0],
            }
        }
    )
    assert _by(checks, "10", "battle_map", "p95 ≤ 100").passed
    assert _by(checks, "10", "battle_map", "p95 ≤ 2×").passed is False
    assert _by(checks, "10", "cases_secretary_page", "p95 ≤ 50").passed is False
    assert _by(checks, "10", "ranking", "p95 ≤ 100").passed is False
    assert _by(checks, "10", "intake", "0 errors").passed is False
    assert _by(checks, "10", "intake", "≥ 300").passed
    share = _by(checks, "10", "intake", "≥ 50%")
    assert share.passed is False
    assert share.value == "49% of 700"
    assert _by(checks, "10", "circular", "≤ 3 s").passed is False
    assert _by(checks, "10", "worker_rss", "each").passed is False
    assert report.verdict(checks) == "MISS"


def test_growth_is_checked_only_when_both_scales_ran():
    alone = report.evaluate({10: _scale()})
    assert not [c for c in alone if c.scale == "10/1"]
    checks = report.evaluate(
        {1: _scale(), 10: _scale(ranking=_m(99.0), cases_secretary_page=_m(20.0))}
    )
    growth = {c.measurement: c for c in checks if c.scale == "10/1"}
    # Every read measured at both scales, and nothing else.
    assert set(growth) == {"battle_map", "cases_secretary_page", "cases_office_api", "ranking"}
    assert growth["ranking"].passed  # 99 ≤ 2 × 90
    assert growth["cases_secretary_page"].passed
    slow = report.evaluate({1: _scale(), 10: _scale(battle_map=_m(121.0, floor=100.0))})
    assert [c.passed for c in slow if c.scale == "10/1" and c.measurement == "battle_map"] == [
        False
    ]


def test_a_missing_figure_is_not_a_pass():
    checks = report.evaluate({1: _scale(ranking=_m(None))})
    ranking = _by(checks, "1", "ranking", "p95")
    assert ranking.passed is None
    assert report.verdict([ranking]) == "n/a"


def test_table_has_a_row_per_measurement_and_scale_with_its_result():
    results = {1: _scale(), 10: _scale(ranking=_m(300.0))}
    checks = report.evaluate(results)
    text = report.table(results, checks)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["N", "measurement", "n"]
    rows = {(line.split()[0], line.split()[1]): line for line in lines[2:]}
    assert rows[("1", "ranking")].rstrip().endswith("PASS")
    assert rows[("10", "ranking")].rstrip().endswith("MISS")
    assert "p95 ≤ 100 ms" in rows[("10", "ranking")]
    assert ("10", "circular") in rows
    assert ("10", "worker_rss") in rows
    assert rows[("10/1", "ranking")].rstrip().endswith("MISS")
    # The baselines have figures but no target of their own.
    assert rows[("1", "hello")].rstrip().endswith("–")


def test_json_holds_every_figure(tmp_path):
    results = {1: _scale()}
    checks = report.evaluate(results)
    path = tmp_path / "out" / "bench.json"
    report.write_json(path, {"scales": results, "checks": report.checks_json(checks)})
    data = json.loads(path.read_text())
    assert data["scales"]["1"]["measurements"]["intake"]["summary"]["throughput_rps"] == 400.0
    assert {"scale", "measurement", "target", "value", "passed"} <= set(data["checks"][0])
