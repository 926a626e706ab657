"""Django admin for the campaigns (with their task types), and read-only views of the plan.

Campaigns and task types are reference data edited here; every save and
delete is audited (`core.admin.AuditedAdmin`, plus the task-type rows,
which an inline saves after the campaign itself). Weekly targets,
arrangements and progress reports are shown read-only: they are written
only by `plans.services`, which check the planner's territory and audit
each change — the admin knows neither.

All of it is for office admins of the whole territory only
(`core.admin.WholeTerritoryAdmin`): a campaign runs over every community,
and the plan rows of every community would otherwise be open to any staff
user with a "view" permission.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhenxing.core import audit
from zhenxing.core.admin import AuditedAdmin, ReadOnlyWholeTerritoryAdmin, WholeTerritoryAdmin
from zhenxing.plans.models import (
    Arrangement,
    Campaign,
    ProgressPhoto,
    ProgressReport,
    TaskType,
    WeeklyTarget,
)

# --- campaigns and task types ------------------------------------------------------------


class TaskTypeInline(admin.TabularInline):
    model = TaskType
    fields = ["order", "code", "name", "unit"]
    extra = 0
    min_num = 1


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["code", "name", "description", "start", "end", "is_active", "order"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The campaign cannot end before it starts."))
        return data


def _task_types(campaign: Campaign) -> dict[str, str]:
    if campaign.pk is None:
        return {}
    return {
        code: f"{name} ({unit})"
        for code, name, unit in campaign.task_types.values_list("code", "name", "unit")
    }


@admin.register(Campaign)
class CampaignAdmin(WholeTerritoryAdmin, AuditedAdmin):
    form = CampaignForm
    list_display = ["name", "code", "start", "end", "is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    inlines = [TaskTypeInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The task types are rows of their own: record them as one before/after pair.
        before = _task_types(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        after = _task_types(form.instance)
        if before != after:
            audit.record(
                actor=request.user,
                action=self._action(form.instance, "task_types"),
                obj=form.instance,
                before=before,
                after=after,
            )


# --- the plan, read-only ----------------------------------------------------------------


@admin.register(WeeklyTarget)
class WeeklyTargetAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["week", "area", "task_type", "quantity", "updated_at", "updated_by"]
    list_filter = ["task_type__campaign", "task_type"]
    search_fields = ["area__code", "area__name", "region_path"]
    date_hierarchy = "week"
    list_select_related = ["area", "task_type__campaign", "updated_by"]


@admin.register(Arrangement)
class ArrangementAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["date", "region", "task_type", "team", "planned_quantity", "status"]
    list_filter = ["status", "task_type__campaign", "task_type"]
    search_fields = ["region__code", "region__name", "region_path", "team__name", "note"]
    date_hierarchy = "date"
    list_select_related = ["region", "task_type__campaign", "team"]


class ProgressPhotoInline(admin.TabularInline):
    model = ProgressPhoto
    fields = ["token", "content_type", "size", "taken_at", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["date", "region", "task_type", "quantity", "team", "reported_by"]
    list_filter = ["task_type__campaign", "task_type"]
    search_fields = ["region__code", "region__name", "region_path", "note"]
    date_hierarchy = "date"
    list_select_related = ["region", "task_type__campaign", "team", "reported_by"]
    inlines = [ProgressPhotoInline]
