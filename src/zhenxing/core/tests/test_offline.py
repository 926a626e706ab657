"""Offline: no page loads anything from another host (no CDN at run time)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

# An absolute or protocol-relative URL in src/href, or a CSS url() to another host.
EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//|url\(["']?(?:https?:)?//""")


@pytest.mark.parametrize("url", ["/api/v1/docs", "/login/"])
def test_public_pages_load_nothing_from_other_hosts(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert not EXTERNAL.search(response.content.decode())


@pytest.mark.parametrize("name", ["core:home", "territory:browser", "people:members", "audit:list"])
def test_staff_pages_load_nothing_from_other_hosts(client_for, world, name):
    response = client_for(world.admin).get(reverse(name))
    assert response.status_code == 200
    assert not EXTERNAL.search(response.content.decode())
