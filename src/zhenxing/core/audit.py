"""The one way to write an audit row. Every service calls `record` for each change."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from zhenxing.core.models import AuditEntry
from zhenxing.core.request_context import current_client_ip

# Fields that never go into an audit row, whatever the model.
_SECRET_FIELDS = {"password"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj`, for a before/after pair."""
    names = fields or [f.attname for f in obj._meta.concrete_fields if f.name not in _SECRET_FIELDS]
    return {name: _plain(getattr(obj, name)) for name in names if name not in _SECRET_FIELDS}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Only the fields that changed, as {field: [before, after]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one audit row.

    `actor` may be None (a system job) or an anonymous user (a public form).
    Pass `before`/`after` snapshots and only their difference is stored, or
    pass `changes` directly for things that are not field edits (an import's
    row count, say).
    """
    if changes is None:
        changes = diff(before or {}, after or {}) if (before or after) else {}
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else "")[:150],
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        summary=summary[:300],
        changes=_plain(dict(changes)),
        ip_address=ip or current_client_ip(),
    )
