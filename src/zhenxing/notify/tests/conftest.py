"""Notify tests reuse the case fixtures (categories, private photo storage)."""

from zhenxing.cases.tests.conftest import cats, private_media  # noqa: F401  (fixtures)
