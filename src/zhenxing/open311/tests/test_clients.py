"""API clients: keys made, shown once, stored as hashes, revoked; the command line and the admin."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from zhenxing.core.models import AuditEntry
from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import (
    DEMO_KEY,
    Open311Error,
    client_create,
    client_for_key,
    client_revoke,
    ensure_demo_client,
)
from zhenxing.people.models import User


def test_only_the_hash_of_a_key_is_stored(world):
    client, raw = client_create(name="街坊通", contact="020-1234", actor=world.admin)
    assert len(raw) >= 40
    assert client.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert client.prefix == raw[:8] and client.created_by == world.admin
    stored = " ".join(str(v) for v in Open311Client.objects.values().get().values())
    assert raw not in stored
    entry = AuditEntry.objects.get(action="open311.client_create")
    assert raw not in str(entry.changes) + entry.summary
    assert client.key_hash not in str(entry.changes)


def test_a_key_finds_its_client_until_revoked(world):
    client, raw = client_create(name="街坊通", actor=world.admin)
    assert client_for_key(raw) == client
    for wrong in ("", None, raw[:-1], raw + "x", "x" * 10_000):
        assert client_for_key(wrong) is None
    client_revoke(client=client, actor=world.admin)
    assert client_for_key(raw) is None
    assert AuditEntry.objects.filter(action="open311.client_revoke", object_id=str(client.pk))
    with pytest.raises(Open311Error):
        client_revoke(client=client, actor=world.admin)


def test_names_and_fixed_keys_are_checked(world):
    with pytest.raises(Open311Error):
        client_create(name="  ", actor=None)
    client_create(name="甲", actor=None, key="fixed-key-123")
    with pytest.raises(Open311Error):
        client_create(name="乙", actor=None, key="fixed-key-123")
    assert Open311Client.objects.count() == 1


def test_the_demo_client_is_made_once_with_the_fixed_key(db):
    client = ensure_demo_client()
    assert ensure_demo_client() == client
    assert Open311Client.objects.count() == 1
    assert client_for_key(DEMO_KEY) == client


def test_the_command_creates_lists_and_revokes(world):
    out = io.StringIO()
    call_command("open311_client", "create", "街坊通", "--contact", "李工", stdout=out)
    key = re.search(r"shown once, not stored\): (\S+)", out.getvalue()).group(1)
    client = client_for_key(key)
    assert client is not None and client.contact == "李工"
    out = io.StringIO()
    call_command("open311_client", "list", stdout=out)
    assert client.prefix in out.getvalue() and "active" in out.getvalue()
    assert key not in out.getvalue()  # the key itself is never shown again
    with pytest.raises(CommandError):
        call_command("open311_client", "revoke", "nope")
    call_command("open311_client", "revoke", client.prefix, stdout=io.StringIO())
    assert client_for_key(key) is None
    with pytest.raises(CommandError):  # nothing active has that prefix any more
        call_command("open311_client", "revoke", client.prefix)


def _staff(user: User) -> User:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="open311"))
    return User.objects.get(pk=user.pk)


def test_the_admin_shows_a_new_key_once_and_never_its_hash(client_for, world):
    client = client_for(_staff(world.admin))
    response = client.post(
        reverse("admin:open311_open311client_add"), {"name": "街坊通", "contact": ""}, follow=True
    )
    assert response.status_code == 200
    api_client = Open311Client.objects.get()
    text = response.content.decode()
    key = re.search(rf"({re.escape(api_client.prefix)}[A-Za-z0-9_-]+)", text).group(1)
    assert client_for_key(key) == api_client
    # The key travels in the page only, never in a cookie (a cookie is signed, not encrypted).
    for hop in [response, *[r for r in getattr(response, "redirect_chain", [])]]:
        cookies = getattr(hop, "cookies", {})
        assert "messages" not in cookies
    assert "messages" not in client.cookies
    assert api_client.created_by == world.admin
    assert AuditEntry.objects.filter(action="open311.client_create").count() == 1
    for page in (
        reverse("admin:open311_open311client_changelist"),
        reverse("admin:open311_open311client_change", args=[api_client.pk]),
    ):
        body = client.get(page).content.decode()
        assert api_client.prefix in body
        assert key not in body and api_client.key_hash not in body


def test_the_admin_edits_and_revokes_but_never_deletes(client_for, world):
    api_client, raw = client_create(name="街坊通", actor=world.admin)
    client = client_for(_staff(world.admin))
    change = reverse("admin:open311_open311client_change", args=[api_client.pk])
    client.post(change, {"name": "街坊通2", "contact": "李工"})
    api_client.refresh_from_db()
    assert api_client.name == "街坊通2" and client_for_key(raw) == api_client
    assert AuditEntry.objects.filter(action="admin.open311.open311client.change").exists()
    response = client.post(
        reverse("admin:open311_open311client_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert client_for_key(raw) is None
    delete = reverse("admin:open311_open311client_delete", args=[api_client.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Open311Client.objects.exists()


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "nobody"])
def test_clients_are_for_whole_territory_admins_only(client_for, world, who):
    api_client, _raw = client_create(name="街坊通", actor=world.admin)
    client = client_for(_staff(getattr(world, who)))
    for url in (
        reverse("admin:open311_open311client_changelist"),
        reverse("admin:open311_open311client_change", args=[api_client.pk]),
        reverse("admin:open311_open311client_add"),
    ):
        assert client.get(url).status_code == 403, url
    assert Open311Client.objects.get().revoked_at is None


def test_anonymous_users_get_the_login_page(client, world):
    response = client.get(reverse("admin:open311_open311client_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]
