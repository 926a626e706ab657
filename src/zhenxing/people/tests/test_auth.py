"""Login by username or mobile (people.auth) and the audit rows of core.signals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenxing.core.models import AuditEntry

PASSWORD = "correct-horse-battery-9"  # the password conftest gives every persona


def _session_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_login_by_username_signs_in_and_is_audited(client, world):
    response = client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    assert _session_user_id(client) == str(world.secretary_a.pk)
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == world.secretary_a
    assert entry.actor_name == "sec_a"
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_login_by_mobile_number_signs_in_the_owner(client, world):
    response = client.post(reverse("login"), {"username": " 13800000002 ", "password": PASSWORD})
    assert response.status_code == 302
    assert _session_user_id(client) == str(world.secretary_a.pk)
    assert AuditEntry.objects.filter(action="auth.login", actor=world.secretary_a).count() == 1


@pytest.mark.django_db
def test_wrong_password_fails_and_leaves_a_failed_login_row(client, world):
    response = client.post(reverse("login"), {"username": "sec_a", "password": "wrong-password"})
    assert response.status_code == 200  # the form again, with its error
    assert _session_user_id(client) is None
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.actor is None
    assert failed.summary == "sec_a"  # the identifier tried, never the password
    assert "wrong-password" not in str(failed.changes) + failed.summary


@pytest.mark.django_db
def test_unknown_identifier_fails_and_is_audited(client, world):
    client.post(reverse("login"), {"username": "13999999999", "password": PASSWORD})
    assert _session_user_id(client) is None
    assert AuditEntry.objects.filter(action="auth.login_failed", summary="13999999999").exists()


@pytest.mark.django_db
def test_inactive_user_cannot_log_in_by_username_or_mobile(client, world):
    from zhenxing.people.services import user_update

    user_update(user=world.secretary_a, is_active=False, actor=None)
    for identifier in ("sec_a", "13800000002"):
        client.post(reverse("login"), {"username": identifier, "password": PASSWORD})
        assert _session_user_id(client) is None
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2
    assert not AuditEntry.objects.filter(action="auth.login").exists()


@pytest.mark.django_db
def test_logout_is_audited(client, world):
    client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert _session_user_id(client) is None
    entry = AuditEntry.objects.get(action="auth.logout")
    assert entry.actor == world.secretary_a


@pytest.mark.django_db
def test_client_ip_behind_a_loopback_proxy_comes_from_x_real_ip(client, world, settings):
    settings.TRUST_X_REAL_IP = True  # a deployment whose proxy overwrites the header
    client.post(
        reverse("login"),
        {"username": "sec_a", "password": PASSWORD},
        HTTP_X_REAL_IP="203.0.113.7",
    )
    assert AuditEntry.objects.get(action="auth.login").ip_address == "203.0.113.7"


@pytest.mark.django_db
def test_x_real_ip_from_a_remote_client_is_not_trusted(client, world):
    client.post(
        reverse("login"),
        {"username": "sec_a", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_REAL_IP="203.0.113.7",
    )
    assert AuditEntry.objects.get(action="auth.login").ip_address == "198.51.100.9"


@pytest.mark.django_db
def test_an_exact_username_wins_over_someone_elses_mobile(client, world):
    from zhenxing.people.models import User

    # A login made before usernames that look like mobiles were refused.
    legacy = User.objects.create_user(username="13800000002", password="legacy-pass-77")
    client.post(reverse("login"), {"username": "13800000002", "password": "legacy-pass-77"})
    assert _session_user_id(client) == str(legacy.pk)
    client.post(reverse("logout"))
    # The mobile's owner logs in with their username; the identifier is the other login's.
    client.post(reverse("login"), {"username": "13800000002", "password": PASSWORD})
    assert _session_user_id(client) is None
    client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
    assert _session_user_id(client) == str(world.secretary_a.pk)
