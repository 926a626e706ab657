"""The territory's reference data in Django's admin: level names editable and audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import User
from zhenxing.territory.models import RegionLevel, level_names


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="x")


def test_renaming_a_level_in_the_admin_changes_the_names_and_is_audited(client, superuser):
    level = RegionLevel.objects.get(depth=2)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:territory_regionlevel_change", args=[level.pk]),
        {"depth": 2, "name": "村", "name_en": "Village", "is_area": ""},
    )
    assert response.status_code == 302
    assert level_names()[2] == "村"
    entry = AuditEntry.objects.get(action="admin.territory.regionlevel.change")
    assert entry.changes["name"] == ["社区", "村"]


def test_regions_are_listed_but_not_added_or_restructured_in_the_admin(client, superuser, world):
    client.force_login(superuser)
    changelist = client.get(reverse("admin:territory_region_changelist"))
    assert changelist.status_code == 200
    assert "甲一片区" in changelist.content.decode()
    assert client.get(reverse("admin:territory_region_add")).status_code == 403
    client.post(
        reverse("admin:territory_region_change", args=[world.a.pk]),
        {"name": "社区甲（改）", "population": 5100, "households": "", "code": "HACK"},
    )
    world.a.refresh_from_db()
    assert (world.a.name, world.a.population, world.a.code) == ("社区甲（改）", 5100, "GC01")


def test_the_admin_refuses_control_characters_in_a_region_name(client, superuser, world):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:territory_region_change", args=[world.a.pk]),
        {"name": "坏\x07名", "population": 5000, "households": ""},
    )
    assert response.status_code == 200  # the form again, with its error
    world.a.refresh_from_db()
    assert world.a.name == "社区甲"
