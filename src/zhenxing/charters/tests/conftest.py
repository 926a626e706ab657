import pytest

from zhenxing.charters.testing import build_charter_world


@pytest.fixture
def charters(world):
    """Draft charters of 社区甲 and 社区乙 (charters/testing.py)."""
    return build_charter_world(world)
