"""Django admin pieces shared by the apps, and the audit log, read-only.

The admin is a back door around the services, so every save and delete made
there is written to the audit log too, with the same before/after snapshot
the services record: each app's ModelAdmin derives from `AuditedAdmin`.

It is a back door around the scopes as well: Django's model permissions know
no territory and no embargo. Models whose rows are not tied to one place, or
whose pages have visibility rules the admin cannot express (the audit log,
inspections, the assessment), derive from `WholeTerritoryAdmin` too, which
keeps them for office admins of the whole territory.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from zhenxing.core import audit
from zhenxing.core.models import AuditEntry
from zhenxing.people.scopes import administers_whole_territory


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


class WholeTerritoryAdmin(admin.ModelAdmin):
    """For office admins of the whole territory (and superusers) only, whatever else is granted.

    A community secretary made staff with "view" on these models would otherwise read
    every community's rows, unreleased inspection scores and other cadres' criticism
    included, which the pages (404 for them) never show. Django's own permissions still
    apply on top: this only narrows them. Put it first among the bases, so that it
    wraps the read-only rules of the others.
    """

    def _whole_territory(self, request: HttpRequest) -> bool:
        return administers_whole_territory(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._whole_territory(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._whole_territory(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # ModelAdmin takes (request); some subclasses take (request, obj).
        return self._whole_territory(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._whole_territory(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._whole_territory(request) and super().has_delete_permission(request, obj)


class ReadOnlyWholeTerritoryAdmin(WholeTerritoryAdmin):
    """Rows written only by their app's services: looked up here, never changed here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(WholeTerritoryAdmin):
    """Rows are only ever inserted by `core.audit.record`; nobody adds, edits or deletes them.

    Read by office admins of the whole territory only, as `/audit/` is (`audit_views`).
    """

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
