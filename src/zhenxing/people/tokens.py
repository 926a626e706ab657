"""API tokens: made and revoked here, checked on every /api/v1/ request by `ApiTokenAuth`.

A token is `zx_` followed by 40 URL-safe random characters. Only its SHA-256
is stored: the plain token is shown to its owner once, when it is made, and
cannot be recovered afterwards. `prefix` (the first 8 characters after `zx_`)
lets the owner tell their tokens apart in the list.

A token acts as its user, with exactly that user's roles and scope at the
time of each request: revoking a role takes effect for the token at once.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from zhenxing.core import audit
from zhenxing.people.models import ApiToken, User
from zhenxing.people.scopes import administers_whole_territory

TOKEN_PREFIX = "zx_"  # noqa: S105 (a marker, not a secret)
# 30 random bytes are 40 URL-safe base64 characters.
_RANDOM_BYTES = 30
PREFIX_LENGTH = 8
# last_used_at is for the owner's eyes ("used 3 minutes ago"): writing it on
# every request would turn each API read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenError(Exception):
    """A token cannot be made or revoked as asked; the message is for the user."""


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def _actor_may_manage(actor: Any, owner: User) -> bool:
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    return actor.pk == owner.pk


def token_create(
    *, user: User, name: str, actor: Any, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it and the plain token, which is never shown again.

    Only the user themselves (or trusted code, `actor=None`) may make one.
    """
    if not _actor_may_manage(actor, user):
        raise PermissionDenied(_("You may only make API tokens for yourself."))
    name = (name or "").strip()
    if not name:
        raise TokenError(_("Give the token a name, so that you can recognise it later."))
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError(_("The expiry date must lie in the future."))
    if not user.is_active:
        raise TokenError(_("This account is deactivated."))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:60],
            prefix=plain[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + PREFIX_LENGTH],
            key_hash=hash_token(plain),
            expires_at=expires_at,
        )
        audit.record(
            actor=actor,
            action="api_token.create",
            obj=token,
            summary=_("API token “%(name)s” made for %(user)s")
            % {"name": token.name, "user": user.get_username()},
            changes={
                "user": user.pk,
                "prefix": token.prefix,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return token, plain


def may_revoke(actor: Any, token: ApiToken) -> bool:
    """The owner, or an office admin of the whole territory (a lost phone, a leaver)."""
    return _actor_may_manage(actor, token.user) or administers_whole_territory(actor)


def token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Revoke a token at once: the next request that presents it is refused (401)."""
    if not may_revoke(actor, token):
        raise PermissionDenied(_("You may not revoke this token."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise TokenError(_("This token was already revoked."))
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
        token.revoked_at = now
        audit.record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            summary=_("API token “%(name)s” of %(user)s revoked")
            % {"name": token.name, "user": token.user.get_username()},
            changes={"user": token.user_id, "prefix": token.prefix},
        )
    return token


def user_for_token(plain: str, *, now: datetime.datetime | None = None) -> User | None:
    """The active user a usable token belongs to; None for anything else."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(plain), revoked_at__isnull=True)
        .first()
    )
    now = now or timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer zx_…`. A bearer token cannot be sent by another site, so no CSRF.

    A request that presents a bearer token is answered on that token alone:
    a bad one is a 401 even beside a valid session cookie, rather than
    quietly falling back to the session.
    """

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_token(token.strip())
        if user is None:
            raise AuthenticationError(message=_("The API token is invalid, expired or revoked."))
        # Views and permission functions read request.user, as for a session.
        request.user = user
        return user


class SessionAuthWithCsrf(SessionAuth):
    """Django's session, as the browser pages use it; unsafe methods must pass the CSRF check.

    ninja's `django_auth` runs the CSRF check before it knows whether there is
    a session at all, so an anonymous POST got "CSRF check failed" (403).
    Without a logged-in session there is nothing a forged request could ride
    on, so the check is skipped and the caller gets the honest 401 instead.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


session_auth = SessionAuthWithCsrf()
