"""Open311 API clients in the admin: list, register (the key is shown once), revoke.

Adding goes through `services.client_create`, which makes the key; the admin
shows it in a message once and never again (only its hash is stored, and the
hash is not shown either). Clients are revoked, never deleted, so their past
requests keep saying where they came from. A client is not tied to one place,
so only office admins of the whole territory see them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenxing.core import audit
from zhenxing.core.admin import WholeTerritoryAdmin
from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import Open311Error, client_create, client_revoke

_EDITABLE = ["name", "contact"]


@admin.register(Open311Client)
class Open311ClientAdmin(WholeTerritoryAdmin):
    list_display = ["name", "prefix", "contact", "created_at", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "contact"]
    fields = ["name", "contact", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_select_related = ["created_by"]
    actions = ["revoke"]

    @admin.display(boolean=True, description=gettext_lazy("active"))
    def is_active(self, obj: Open311Client) -> bool:
        return obj.is_active

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Open311Client, form: Any, change: bool) -> None:
        if change:
            before = audit.snapshot(Open311Client.objects.get(pk=obj.pk), _EDITABLE)
            obj.save(update_fields=_EDITABLE)
            audit.record(
                actor=request.user,
                action="admin.open311.open311client.change",
                obj=obj,
                before=before,
                after=audit.snapshot(obj, _EDITABLE),
            )
            return
        try:
            client, raw = client_create(name=obj.name, contact=obj.contact, actor=request.user)
        except Open311Error as exc:  # pragma: no cover - the form's own limits come first
            messages.error(request, str(exc))
            raise
        # The admin goes on with `obj` (its change-log entry, the redirect): make it the new row.
        for field in Open311Client._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            _("The API key of %(name)s is %(key)s. Copy it now: it is not shown again.")
            % {"name": client.name, "key": raw},
        )

    @admin.action(
        description=gettext_lazy("Revoke the selected clients' keys"), permissions=["change"]
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Client]) -> None:
        done = 0
        for client in queryset.filter(revoked_at__isnull=True):
            client_revoke(client=client, actor=request.user)
            done += 1
        messages.success(request, _("%(count)d keys revoked.") % {"count": done})
