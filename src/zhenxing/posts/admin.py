"""Django admin for posts, claims, the red grid and patrols.

Every save and delete made here is audited (`core.admin.AuditedAdmin`). Posts,
claims, grid assignments and patrols are party records of one community each,
which the admin's model permissions cannot scope, so they are kept for office
admins of the whole territory (`WholeTerritoryAdmin`); the post types are
reference data. Patrols are written by the check-in service only: read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenxing.core.admin import AuditedAdmin, ReadOnlyWholeTerritoryAdmin, WholeTerritoryAdmin
from zhenxing.posts.models import GridAssignment, Patrol, Post, PostClaim, PostType
from zhenxing.posts.services import new_public_token


@admin.register(PostType)
class PostTypeAdmin(AuditedAdmin):
    list_display = ["code", "name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["category"]


@admin.register(Post)
class PostAdmin(WholeTerritoryAdmin, AuditedAdmin):
    list_display = ["code", "name", "post_type", "region", "place_kind", "is_active"]
    list_filter = ["is_active", "post_type", "place_kind"]
    search_fields = ["code", "name", "place_name"]
    raw_id_fields = ["region", "organization"]
    list_select_related = ["post_type", "region"]
    readonly_fields = ["public_token", "is_active", "retired_on", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not obj.public_token:
            # The sign's QR code leads to this token; it is never typed in.
            obj.public_token = new_public_token()
        super().save_model(request, obj, form, change)


@admin.register(PostClaim)
class PostClaimAdmin(WholeTerritoryAdmin, AuditedAdmin):
    list_display = ["post", "member", "started_on", "ended_on", "end_reason"]
    list_filter = ["ended_on"]
    search_fields = ["post__code", "post__name", "member__name"]
    raw_id_fields = ["post", "member", "created_by"]
    list_select_related = ["post", "member"]
    date_hierarchy = "started_on"


@admin.register(GridAssignment)
class GridAssignmentAdmin(WholeTerritoryAdmin, AuditedAdmin):
    list_display = ["area", "member", "role", "started_on", "ended_on"]
    list_filter = ["role"]
    search_fields = ["area__name", "area__code", "member__name"]
    raw_id_fields = ["area", "member", "created_by"]
    list_select_related = ["area", "member"]


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["at", "member", "post", "organization"]
    search_fields = ["post__code", "post__name", "member__name"]
    list_select_related = ["member", "post", "organization"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in Patrol._meta.fields]
