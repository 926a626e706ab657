"""Demo test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _small_case_demo(monkeypatch):
    """The demo tests about territory, people and seeding load a few cases, not thousands.

    `test_cases_demo` loads the full set once for its module (a module
    fixture is set up before this one, so it sees the real size).
    """
    from zhenxing.demo import cases

    monkeypatch.setattr(cases, "CASES_PER_COPY", 150)
