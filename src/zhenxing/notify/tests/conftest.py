"""Notify tests reuse the case fixtures (categories, private photo storage)."""

from zhenxing.cases.tests.conftest import cats  # noqa: F401  (fixtures)
