"""Django admin for the people app's reference data.

Every save and delete made here is audited (`core.admin.AuditedAdmin`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhenxing.core.admin import AuditedAdmin
from zhenxing.people.models import (
    Department,
    PartyMember,
    PartyOrganization,
    RoleAssignment,
    User,
    WorkTeam,
)
from zhenxing.territory.models import PATH_SEP


@admin.register(User)
class ZhenxingUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ["username", "display_name", "mobile", "is_active", "is_staff", "last_login"]
    search_fields = ["username", "display_name", "mobile"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Zhenxing"), {"fields": ["display_name", "mobile"]}),
    )
    add_fieldsets = (
        (None, {"classes": ["wide"], "fields": ["username", "mobile", "password1", "password2"]}),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ["user", "role", "region", "department", "title", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "region__name", "department__name"]
    autocomplete_fields = ["user", "department"]
    # The territory's admin belongs to its own app; a raw id needs nothing from it.
    raw_id_fields = ["region"]
    list_select_related = ["user", "region", "department"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "in_joint_meeting"]
    search_fields = ["code", "name"]


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "parent", "region", "path"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["region"]
    list_select_related = ["parent", "region"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Code and parent make up the materialised path of every descendant;
        # changing them here would silently break the tree.
        return ["path", "code", "parent"] if obj is not None else ["path"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.path = (obj.parent.path if obj.parent else "") + obj.code + PATH_SEP
        super().save_model(request, obj, form, change)


@admin.register(PartyMember)
class PartyMemberAdmin(AuditedAdmin):
    list_display = ["name", "organization", "region", "holds_office", "user"]
    list_filter = ["holds_office", "gender"]
    search_fields = ["name", "mobile"]
    autocomplete_fields = ["organization", "user"]
    raw_id_fields = ["region"]
    list_select_related = ["organization", "region", "user"]


@admin.register(WorkTeam)
class WorkTeamAdmin(AuditedAdmin):
    list_display = ["name", "region", "leader", "headcount"]
    search_fields = ["name"]
    autocomplete_fields = ["leader"]
    raw_id_fields = ["region"]
    list_select_related = ["region", "leader"]
