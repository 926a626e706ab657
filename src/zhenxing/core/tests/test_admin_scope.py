"""The audit log's Django admin is for office admins of the whole territory only, as /audit/ is.

Audit rows name every place and carry what changed (an unreleased inspection
score, a cadre's criticism); Django's "view" permission knows no territory.
Seen from a community secretary given staff access and every permission.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from zhenxing.core import audit
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Role, RoleAssignment, User


def staff_with_every_permission(user: User, *app_labels: str) -> User:
    """Staff access and every permission Django has for these apps (a fresh user object)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=app_labels))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def entry(world) -> AuditEntry:
    return audit.record(
        actor=world.inspector_a, action="inspection.submit", summary="甲一片区检查得分94.00"
    )


def test_a_staff_secretary_with_every_permission_is_refused(client_for, world, entry):
    secretary = staff_with_every_permission(world.secretary_a, "core")
    assert secretary.has_perm("core.view_auditentry")
    client = client_for(secretary)
    for url in (
        reverse("admin:core_auditentry_changelist"),
        reverse("admin:core_auditentry_change", args=[entry.pk]),
        reverse("admin:core_auditentry_history", args=[entry.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "94.00" not in response.content.decode()
    index = client.get(reverse("admin:index"))
    assert reverse("admin:core_auditentry_changelist") not in index.content.decode()
    # As on the pages: the audit log is a 404 for them there too.
    assert client.get(reverse("audit:list")).status_code == 404


def test_an_office_admin_of_one_community_is_refused(client_for, world, entry):
    # Administering a part of the territory is not enough: the log is not tied to one place.
    RoleAssignment.objects.create(user=world.secretary_a, role=Role.OFFICE_ADMIN, region=world.a)
    client = client_for(staff_with_every_permission(world.secretary_a, "core"))
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 403


def test_the_whole_territory_admin_still_reads_it_and_cannot_write_it(client_for, world, entry):
    client = client_for(staff_with_every_permission(world.admin, "core"))
    listing = client.get(reverse("admin:core_auditentry_changelist"))
    assert listing.status_code == 200
    page = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and "94.00" in page.content.decode()
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    forged = client.post(
        reverse("admin:core_auditentry_change", args=[entry.pk]), {"summary": "forged"}
    )
    assert forged.status_code == 403
    deleted = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert deleted.status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "甲一片区检查得分94.00"


def test_django_permissions_still_apply_to_the_whole_territory_admin(client_for, world, entry):
    # The mixin narrows Django's permissions; it grants nothing they do not.
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client = client_for(world.admin)
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 403


@pytest.mark.django_db
def test_the_mixin_refuses_every_permission_below_the_whole_territory(world):
    from zhenxing.core.admin import AuditEntryAdmin, WholeTerritoryAdmin

    model_admin = AuditEntryAdmin(AuditEntry, admin.site)
    assert isinstance(model_admin, WholeTerritoryAdmin)
    request = RequestFactory().get("/")
    request.user = staff_with_every_permission(world.secretary_a, "core")
    assert not model_admin.has_module_permission(request)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_view_or_change_permission(request)
    request.user = User.objects.create_superuser(username="root", password="x")
    assert model_admin.has_module_permission(request)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_change_permission(request)  # still read-only
