import pytest

from zhenxing.cases.tests.conftest import cats  # noqa: F401  (环境卫生/暴露垃圾 and 河涌)
from zhenxing.posts.testing import build_posts_world


@pytest.fixture
def posts(world):
    """Party organisations, members and posts in 社区甲 and 社区乙 (posts/testing.py)."""
    return build_posts_world(world)


@pytest.fixture(autouse=True)
def _english(request, client):
    """These tests read messages in English (the msgids); the Chinese catalogue is tested
    where a test asks for it with `@pytest.mark.zh`, as a user of the default language sees it."""
    from django.utils import translation

    if request.node.get_closest_marker("zh"):
        yield
        return
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
