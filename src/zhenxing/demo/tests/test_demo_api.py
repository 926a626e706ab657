"""The issue's acceptance check: the API counts the demo's communities, cooperatives and areas."""

from __future__ import annotations

import pytest

from zhenxing.demo.guicheng import load_guicheng
from zhenxing.people.models import User


@pytest.mark.parametrize(("level", "expected"), [(2, 22), (3, 105), (4, 173)])
def test_regions_api_counts_the_demo_levels(db, client, level, expected):
    load_guicheng(password="demo-pass-1")
    client.force_login(User.objects.get(username="admin"))
    response = client.get("/api/v1/regions", {"level": level, "limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == expected
    assert len(body["items"]) == 1


def test_a_demo_secretary_counts_only_their_own_community(db, client):
    load_guicheng(password="demo-pass-1")
    client.force_login(User.objects.get(username="secretary"))
    communities = client.get("/api/v1/regions", {"level": 2}).json()
    assert [item["name"] for item in communities["items"]] == ["叠南社区"]
    areas = client.get("/api/v1/regions", {"level": 4, "limit": 500}).json()
    assert 0 < areas["count"] < 173
    assert all(item["path"].startswith("GC/GC01/") for item in areas["items"])
