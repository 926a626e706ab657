"""The audit log in Django's admin is read-only; people admin saves are audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenxing.core import audit
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Department, User


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="x")


@pytest.mark.django_db
def test_audit_entries_can_be_viewed_but_not_added_changed_or_deleted(client, superuser):
    entry = audit.record(actor=superuser, action="test.thing", summary="hello")
    client.force_login(superuser)
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    detail = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    forged = client.post(
        reverse("admin:core_auditentry_change", args=[entry.pk]), {"summary": "forged"}
    )
    assert forged.status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "hello"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    ["user", "roleassignment", "department", "partyorganization", "partymember", "workteam"],
)
def test_people_models_are_in_the_admin(client, superuser, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:people_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:people_{model}_add")).status_code == 200


@pytest.mark.django_db
def test_a_change_made_in_the_admin_is_audited(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:people_department_add"),
        {"code": "D07", "name": "水务所", "in_joint_meeting": "on"},
    )
    assert response.status_code == 302
    department = Department.objects.get(code="D07")
    entry = AuditEntry.objects.get(action="admin.people.department.add")
    assert entry.actor == superuser and entry.object_id == str(department.pk)
    assert entry.changes["name"] == [None, "水务所"]
    client.post(
        reverse("admin:people_department_change", args=[department.pk]),
        {"code": "D07", "name": "水务局", "in_joint_meeting": "on"},
    )
    change = AuditEntry.objects.get(action="admin.people.department.change")
    assert change.changes == {"name": ["水务所", "水务局"]}


@pytest.mark.django_db
def test_a_party_organisation_added_in_the_admin_gets_its_path(client, superuser):
    client.force_login(superuser)
    client.post(
        reverse("admin:people_partyorganization_add"),
        {"code": "P1", "name": "党委", "kind": "committee"},
    )
    from zhenxing.people.models import PartyOrganization

    parent = PartyOrganization.objects.get(code="P1")
    client.post(
        reverse("admin:people_partyorganization_add"),
        {"code": "P2", "name": "支部", "kind": "branch", "parent": parent.pk},
    )
    assert PartyOrganization.objects.get(code="P2").path == "P1/P2/"


@pytest.mark.django_db
def test_a_login_added_in_the_admin_is_audited_without_its_password(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:people_user_add"),
        {
            "username": "via_admin",
            "mobile": "13700000088",
            "password1": "Strong-enough-pass-42",
            "password2": "Strong-enough-pass-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="via_admin")
    assert user.check_password("Strong-enough-pass-42") and user.mobile == "13700000088"
    entry = AuditEntry.objects.get(action="admin.people.user.add")
    assert entry.changes["username"] == [None, "via_admin"]
    assert "password" not in entry.changes
