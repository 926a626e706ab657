"""Open311 API clients: issuing, looking up and revoking their keys.

A key is shown once, when it is made, and never stored: the table holds its
SHA-256 and a short prefix that tells keys apart in lists and on the command
line. Looking a key up is a hash lookup on a unique column, so no
constant-time comparison of secrets is needed.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.open311.models import Open311Client

# The key `make demo` creates, so the README's curl examples work on a demo.
DEMO_KEY = "demo-open311-key"
DEMO_NAME = "Demo client"
PREFIX_LENGTH = 8
# Longer than any key we issue (43 characters) or anyone would type; longer input is not a key.
MAX_KEY_LENGTH = 200


class Open311Error(Exception):
    """A client operation that cannot be done; the message is for the office user."""


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_key() -> str:
    # 256 bits; URL-safe, so it can stand in a query string or form field unquoted.
    return secrets.token_urlsafe(32)


def client_create(
    *, name: str, actor: Any, contact: str = "", key: str | None = None
) -> tuple[Open311Client, str]:
    """Register a client; returns it with its raw key, which is not kept anywhere.

    `key` is for fixed keys (the demo's); otherwise a random one is made whose
    prefix no other client has, so `revoke PREFIX` names one client.
    """
    name = (name or "").strip()
    contact = (contact or "").strip()
    if not name:
        raise Open311Error(_("Give the client a name."))
    if len(name) > 80 or len(contact) > 120:
        raise Open311Error(_("The name or the contact is too long."))
    with transaction.atomic():
        if key is None:
            while True:
                raw = _new_key()
                if not Open311Client.objects.filter(prefix=raw[:PREFIX_LENGTH]).exists():
                    break
        else:
            raw = key
            if not raw or len(raw) > MAX_KEY_LENGTH:
                raise Open311Error(_("This key cannot be used."))
            if Open311Client.objects.filter(key_hash=key_hash(raw)).exists():
                raise Open311Error(_("This key belongs to another client already."))
        client = Open311Client.objects.create(
            name=name,
            contact=contact,
            prefix=raw[:PREFIX_LENGTH],
            key_hash=key_hash(raw),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # Neither the key nor its hash goes into the audit log: the prefix identifies it.
        audit.record(
            actor=actor,
            action="open311.client_create",
            obj=client,
            summary=_("Open311 client %(name)s registered (key %(prefix)s…)")
            % {"name": client.name, "prefix": client.prefix},
            changes={"name": client.name, "contact": client.contact, "prefix": client.prefix},
        )
    return client, raw


def client_revoke(*, client: Open311Client, actor: Any) -> Open311Client:
    """Revoke a client's key at once. The row stays: its past requests still name it."""
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if locked.revoked_at is not None:
            raise Open311Error(_("This key is revoked already."))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="open311.client_revoke",
            obj=locked,
            summary=_("Open311 client %(name)s revoked (key %(prefix)s…)")
            % {"name": locked.name, "prefix": locked.prefix},
            changes={"revoked_at": locked.revoked_at},
        )
    return locked


def client_for_key(raw: str | None) -> Open311Client | None:
    """The active client holding this key; None for no key, an unknown one or a revoked one."""
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    return Open311Client.objects.filter(key_hash=key_hash(raw), revoked_at__isnull=True).first()


def client_touch(client: Open311Client) -> None:
    """Note that the client used its key now.

    Bookkeeping like a login's `last_login`, not a change anyone made, so it
    writes no audit row; an update, not a save, so concurrent requests of one
    client do not lock each other.
    """
    now = timezone.now()
    Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


def ensure_demo_client() -> Open311Client:
    """The demo's client with the fixed key `demo-open311-key`, made if missing.

    A demo client the office revoked stays revoked: this does not undo that.
    """
    client = Open311Client.objects.filter(key_hash=key_hash(DEMO_KEY)).first()
    if client is None:
        client, _raw = client_create(name=DEMO_NAME, actor=None, key=DEMO_KEY)
    return client
