import pytest

from zhenxing.votes.testing import build_votes_world


@pytest.fixture
def votes(world):
    """A villagers' meeting of 社区甲 with a roll of 10 and one motion (votes/testing.py)."""
    return build_votes_world(world)


@pytest.fixture
def charters(world):
    """The charters of charters/testing.py, for charter-adoption motions."""
    from zhenxing.charters.testing import build_charter_world

    return build_charter_world(world)


@pytest.fixture(autouse=True)
def _english(request, client):
    """These tests read messages in English (the msgids); `@pytest.mark.zh` tests read
    the default language, as its users see it."""
    from django.utils import translation

    if request.node.get_closest_marker("zh"):
        yield
        return
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
