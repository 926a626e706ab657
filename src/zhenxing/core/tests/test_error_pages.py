"""The site's own 403 and 404 pages: plain Chinese, the workbench one tap away, nothing revealed.

Django's bare "403 Forbidden" / "Not Found" in English must never reach a
user of a Chinese platform; and a 404 says nothing of whether the thing
exists (ARCHITECTURE.md habit 3).
"""

from __future__ import annotations

import pytest
from django.urls import reverse


def _names(response) -> list[str]:
    return [t.name for t in response.templates]


@pytest.mark.parametrize("who", ["secretary_a", None])
def test_the_404_page_is_plain_chinese(world, client, client_for, who):
    if who:
        client = client_for(getattr(world, who))
    response = client.get("/no-such-page/")  # zh-hans: the default language
    assert response.status_code == 404
    assert "404.html" in _names(response) and "base.html" in _names(response)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "页面不存在" in html and "该页面不存在，或你没有查看权限。" in html
    assert f'href="{reverse("core:home")}"' in html and "返回工作台" in html
    # The page's own text names nothing (the language switch keeps the address, as everywhere).
    assert "Not Found" not in html and "/no-such-page/" not in html.split('id="error-404"')[1]


def test_a_thing_out_of_sight_looks_the_same_as_a_missing_one(world, client_for):
    client = client_for(world.outsider)
    out_of_sight = client.get(reverse("territory:region", args=[world.a.code]))
    missing = client.get(reverse("territory:region", args=["NOPE"]))
    assert out_of_sight.status_code == missing.status_code == 404
    assert "404.html" in _names(out_of_sight)
    # Nothing on the page names what was asked for.
    assert world.a.code not in out_of_sight.content.decode().split('id="error-404"')[1]


def test_the_403_page_is_plain_chinese(world, client_for):
    # A secretary may not create logins: the people app refuses with 403.
    response = client_for(world.secretary_a).get(reverse("people:user_create"))
    assert response.status_code == 403
    assert "403.html" in _names(response) and "base.html" in _names(response)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "无权操作" in html and "你无权进行此操作。如确有需要，请联系街道办。" in html
    assert f'href="{reverse("core:home")}"' in html and "返回工作台" in html
    assert "Forbidden" not in html


def test_the_error_pages_follow_the_language(world, client_for):
    client = client_for(world.secretary_a)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert "Page not found" in client.get("/no-such-page/", **en).content.decode()
    forbidden = client.get(reverse("people:user_create"), **en).content.decode()
    assert "Not allowed" in forbidden and "Back to the workbench" in forbidden
