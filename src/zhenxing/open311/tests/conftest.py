"""Fixtures for the exposure board: the case categories and private photo storage."""

from zhenxing.cases.tests.conftest import IN_A1, IN_B1, cats  # noqa: F401  (fixtures re-exported)
