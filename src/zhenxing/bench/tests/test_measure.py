"""The bench's arithmetic and its small HTTP helpers (no server, no timing asserted)."""

from __future__ import annotations

import os

import pytest

from zhenxing.bench.measure import (
    children_of,
    multipart,
    percentile,
    rss_mb,
    summarise,
)


def test_percentile_interpolates_between_closest_ranks():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    # (4 - 1) × 0.95 = 2.85: 85 % of the way from 30 to 40.
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_percentile_ignores_input_order():
    assert percentile([40.0, 10.0, 30.0, 20.0], 50) == 25.0


def test_percentile_refuses_a_rank_outside_0_to_100():
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_counts_errors_apart_from_the_latencies_and_the_throughput():
    summary = summarise([0.010, 0.020, 0.030], errors=1, wall_s=2.0, concurrency=4, first_error="x")
    assert summary.count == 4
    assert summary.errors == 1
    assert summary.p50_ms == pytest.approx(20.0)
    assert summary.max_ms == pytest.approx(30.0)
    # Only the successful requests count as work done: 3 in 2 s.
    assert summary.throughput == pytest.approx(1.5)
    data = summary.as_json()
    assert data["throughput_rps"] == 1.5
    assert data["first_error"] == "x"


def test_summary_of_nothing_but_errors_has_no_figures():
    summary = summarise([], errors=3, wall_s=1.0, concurrency=1)
    assert (summary.p50_ms, summary.p95_ms, summary.throughput) == (None, None, None)


def test_multipart_body_holds_fields_and_files():
    body, content_type = multipart(
        {"category": "HJ01"}, {"photos": ("a.jpg", b"\xff\xd8data", "image/jpeg")}
    )
    boundary = content_type.split("boundary=")[1]
    assert content_type.startswith("multipart/form-data; ")
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="category"\r\n\r\nHJ01\r\n' in body
    assert b'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8data\r\n' in body


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_memory_and_children_are_read_from_proc():
    assert rss_mb(os.getpid()) > 0
    assert os.getpid() in children_of(os.getppid())
    assert rss_mb(2**22 + 12345) is None
