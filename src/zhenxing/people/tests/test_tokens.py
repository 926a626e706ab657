"""API tokens: the services, the bearer authentication of /api/v1/ and the token pages."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import ApiToken
from zhenxing.people.tokens import TokenError, token_create, token_revoke

API = "/api/v1/regions"
TOKEN_RE = re.compile(r"^zx_[A-Za-z0-9_-]{40}$")


def bearer(plain: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


# --- services -----------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_kept(world):
    token, plain = token_create(user=world.secretary_a, name="巡查App", actor=world.secretary_a)
    assert TOKEN_RE.fullmatch(plain)
    assert token.prefix == plain[3:11]
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    stored = ApiToken.objects.get(pk=token.pk)
    assert plain not in {stored.name, stored.prefix, stored.key_hash}
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.actor == world.secretary_a
    assert plain not in str(entry.changes) and token.key_hash not in str(entry.changes)
    # Two tokens never share a secret.
    _, other = token_create(user=world.secretary_a, name="second", actor=world.secretary_a)
    assert other != plain


def test_tokens_are_made_only_for_oneself_with_a_name_and_a_future_expiry(world):
    with pytest.raises(PermissionDenied):
        token_create(user=world.secretary_a, name="x", actor=world.admin)
    with pytest.raises(TokenError):
        token_create(user=world.secretary_a, name="   ", actor=world.secretary_a)
    with pytest.raises(TokenError):
        token_create(
            user=world.secretary_a,
            name="old",
            actor=world.secretary_a,
            expires_at=timezone.now() - datetime.timedelta(minutes=1),
        )
    assert not ApiToken.objects.exists()


def test_revoking_is_for_the_owner_or_an_admin_of_the_whole_territory(world):
    token, _ = token_create(user=world.secretary_a, name="x", actor=world.secretary_a)
    for stranger in (world.outsider, world.inspector_a):
        with pytest.raises(PermissionDenied):
            token_revoke(token=token, actor=stranger)
    token_revoke(token=token, actor=world.admin)  # office admin on the root: a lost phone
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    with pytest.raises(TokenError):
        token_revoke(token=token, actor=world.secretary_a)
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


# --- authentication ------------------------------------------------------------------


def test_a_token_authenticates_as_its_user_with_their_scope(world):
    _, plain = token_create(user=world.secretary_a, name="x", actor=None)
    response = bearer(plain).get(API, {"level": 2})
    assert response.status_code == 200
    assert [i["code"] for i in response.json()["items"]] == ["GC01"]  # 社区甲 only


@pytest.mark.parametrize(
    "header",
    [
        "Bearer zx_" + "A" * 40,  # well-formed, unknown
        "Bearer not-a-token",
        "Bearer ",
        "Bearer zx_" + "\x00" * 10,
    ],
)
def test_an_unknown_token_is_401(world, header):
    response = Client(HTTP_AUTHORIZATION=header).get(API)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_revoked_expired_and_deactivated_tokens_are_401(world):
    revoked, revoked_plain = token_create(user=world.inspector_a, name="r", actor=None)
    token_revoke(token=revoked, actor=world.inspector_a)
    assert bearer(revoked_plain).get(API).status_code == 401

    _, expiring = token_create(
        user=world.inspector_a,
        name="e",
        actor=None,
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    assert bearer(expiring).get(API).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        assert bearer(expiring).get(API).status_code == 401

    _, plain = token_create(user=world.party_member_a, name="p", actor=None)
    assert bearer(plain).get(API).status_code == 200
    world.party_member_a.is_active = False
    world.party_member_a.save()
    assert bearer(plain).get(API).status_code == 401


def test_a_bad_token_is_not_rescued_by_a_session(world, client_for):
    client = client_for(world.admin)
    assert client.get(API).status_code == 200
    response = client.get(API, HTTP_AUTHORIZATION="Bearer zx_" + "B" * 40)
    assert response.status_code == 401


def test_last_used_is_written_at_most_once_a_minute(world):
    token, plain = token_create(user=world.inspector_a, name="x", actor=None)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        bearer(plain).get(API)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        bearer(plain).get(API)
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + datetime.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        bearer(plain).get(API)
    token.refresh_from_db()
    assert token.last_used_at == later


def test_anonymous_api_requests_are_401(db):
    assert Client().get(API).status_code == 401


# --- pages ------------------------------------------------------------------------------

PAGE = "/people/tokens/"


def test_the_token_page_lists_only_my_tokens(world, client_for):
    mine, _ = token_create(user=world.secretary_a, name="我的令牌", actor=None)
    token_create(user=world.outsider, name="别人的令牌", actor=None)
    response = client_for(world.secretary_a).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "我的令牌" in body and f"zx_{mine.prefix}" in body
    assert "别人的令牌" not in body


def test_making_a_token_shows_it_once(world, client_for):
    client = client_for(world.inspector_a)
    response = client.post(PAGE, {"name": "巡查App", "expires": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = re.search(r"zx_[A-Za-z0-9_-]{40}", response.content.decode()).group(0)
    token = ApiToken.objects.get(user=world.inspector_a)
    assert token.name == "巡查App"
    assert token.expires_at is not None
    assert datetime.timedelta(days=29) < token.expires_at - timezone.now() < datetime.timedelta(31)
    # It works, and the list never shows it again.
    assert bearer(plain).get(API).status_code == 200
    assert plain not in client.get(PAGE).content.decode()


def test_a_token_without_expiry_and_a_bad_form(world, client_for):
    client = client_for(world.inspector_a)
    client.post(PAGE, {"name": "forever", "expires": "never"})
    assert ApiToken.objects.get(name="forever").expires_at is None
    response = client.post(PAGE, {"name": "", "expires": "2"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 1


def test_revoking_asks_first_then_revokes(world, client_for):
    token, plain = token_create(user=world.inspector_a, name="旧手机", actor=None)
    client = client_for(world.inspector_a)
    url = f"/people/tokens/{token.pk}/revoke/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "旧手机" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(plain).get(API).status_code == 401
    # Twice is a clear refusal, not an error page.
    assert client.post(url).status_code == 400


def test_token_pages_refuse_the_wrong_people(world, client_for, client):
    token, _ = token_create(user=world.inspector_a, name="x", actor=None)
    url = f"/people/tokens/{token.pk}/revoke/"
    assert client.get(PAGE).status_code == 302  # anonymous: to the login page
    assert client.get(url).status_code == 302
    # Someone else's token is not there for them, not even for the office admin.
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.admin).post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    # A login without a role has no use for the API.
    assert client_for(world.nobody).get(PAGE).status_code == 403
    assert client_for(world.nobody).post(PAGE, {"name": "x", "expires": "30"}).status_code == 403
    # Wrong method.
    assert client_for(world.inspector_a).put(PAGE).status_code == 405
    assert client_for(world.inspector_a).delete(url).status_code == 405


def test_the_menu_offers_tokens_to_users_with_a_role(world, client_for):
    from zhenxing.core.navigation import menu_for

    def urls(user):
        return [item["url"] for group in menu_for(user, "/") for item in group["items"]]

    assert PAGE in urls(world.party_member_a)
    assert PAGE not in urls(world.nobody)


def test_user_for_token_is_the_one_lookup_of_a_plain_token(world):
    from django.contrib.auth.models import AnonymousUser

    from zhenxing.people.scopes import has_any_role
    from zhenxing.people.tokens import user_for_token

    token, plain = token_create(user=world.inspector_a, name="u", actor=None)
    assert user_for_token(plain) == world.inspector_a
    for junk in ("", "zx_", plain[:-1], plain + "x", "zx_\x00", "Bearer " + plain, "x" * 500):
        assert user_for_token(junk) is None, junk
    token_revoke(token=token, actor=world.inspector_a)
    assert user_for_token(plain) is None
    # Who may hold tokens at all: anyone with a role, as for the case pages.
    assert has_any_role(world.party_member_a) and has_any_role(world.dept_staff)
    assert not has_any_role(world.nobody) and not has_any_role(AnonymousUser())
