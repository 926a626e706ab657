"""Django admin pieces shared by the apps, and the audit log, read-only.

The admin is a back door around the services, so every save and delete made
there is written to the audit log too, with the same before/after snapshot
the services record: each app's ModelAdmin derives from `AuditedAdmin`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from zhenxing.core import audit
from zhenxing.core.models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    def _action(self, obj: Model, verb: str) -> str:
        return f"admin.{obj._meta.app_label}.{obj._meta.model_name}.{verb}"

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=self._action(obj, "change" if change else "add"),
            obj=obj,
            before=before,
            after=audit.snapshot(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit.record(
            actor=request.user,
            action=self._action(obj, "delete"),
            obj=obj,
            before=audit.snapshot(obj),
            after={},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # All or nothing, like the admin's own bulk delete, with one audit row each.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Rows are only ever inserted by `core.audit.record`; nobody adds, edits or deletes them."""

    list_display = [
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "action", "object_repr", "object_id", "summary"]
    date_hierarchy = "created_at"
    list_select_related = ["object_type"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
