"""The notification trail, read-only: rows are written only by `notify.services` and its task."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenxing.notify.models import Notification, OutboundMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "text", "read_at"]
    list_filter = ["kind"]
    search_fields = ["text", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    raw_id_fields = ["user", "case"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    """What was sent (or, with the database backend, would have been), and what failed."""

    list_display = ["created_at", "channel", "to", "template", "status", "attempts", "error"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["to", "text"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
