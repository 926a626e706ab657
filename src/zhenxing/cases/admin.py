"""Django admin for the cases' reference data, and read-only views of the cases themselves.

Categories and the holiday calendar are edited here (every save and delete
is audited by `core.admin.AuditedAdmin`). Cases, their events, requests and
escalations are shown read-only: they change only through `cases.services`,
whose guards and events an admin form would bypass. Each admin user sees
only the cases of their own scope (`permissions.cases_visible_to`), as on the
case pages, and never a resident's name or mobile.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import Case, CaseEvent, CaseRequest, Category, Escalation, Holiday
from zhenxing.cases.permissions import cases_visible_to
from zhenxing.core.admin import AuditedAdmin


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "parent",
            "code",
            "name",
            "time_limit",
            "time_limit_unit",
            "default_handler",
            "default_department",
            "after_photo_required",
            "duplicate_radius_m",
            "relapse_days",
            "is_active",
            "order",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Two levels only: a sub-category hangs under a main category.
        mains = Category.objects.filter(parent__isnull=True).order_by("order", "code")
        if self.instance.pk:
            mains = mains.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = mains

    def clean_time_limit(self) -> int:
        value = self.cleaned_data["time_limit"]
        if value < 1:
            raise forms.ValidationError(_("The time limit must be at least 1."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parent = data.get("parent")
        if parent is not None and self.instance.pk and self.instance.children.exists():
            self.add_error(
                "parent",
                _("This category has sub-categories, so it must stay a main category."),
            )
        if data.get("default_handler") == "department" and not data.get("default_department"):
            self.add_error(
                "default_department", _("Name the department that handles this category.")
            )
        return data


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    form = CategoryAdminForm
    list_display = [
        "code",
        "__str__",
        "time_limit_display",
        "default_handler",
        "default_department",
        "after_photo_required",
        "duplicate_radius_m",
        "relapse_days",
        "is_active",
        "order",
    ]
    list_filter = ["is_active", "default_handler", "parent"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "default_department"]
    ordering = ["order", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cases keep their category for good (PROTECT); retire one with "active" instead.
        if obj is not None and (obj.cases.exists() or obj.children.exists()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Holiday)
class HolidayAdmin(AuditedAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for looking things up; written only by `cases.services`.

    `case_field` names the way from a row to its case ("" for a case itself):
    rows of cases outside the user's scope are not there at all (404).
    """

    case_field = "case"

    def get_queryset(self, request: HttpRequest) -> Any:
        visible = cases_visible_to(request.user)
        rows = super().get_queryset(request)
        if not self.case_field:
            return rows & visible
        return rows.filter(**{f"{self.case_field}__in": visible})

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "kind", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("actor")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "category",
        "status",
        "region",
        "source",
        "reported_at",
        "deadline",
        "escalation_level",
    ]
    list_filter = ["status", "source", "escalation_level"]
    search_fields = ["number", "description", "address"]
    date_hierarchy = "reported_at"
    list_select_related = ["category__parent", "region"]
    # A resident's name and mobile stay on the case page, behind its permission checks.
    exclude = ["reporter_name", "reporter_mobile"]
    inlines = [CaseEventInline]
    case_field = ""


@admin.register(CaseRequest)
class CaseRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "status", "requested_by", "requested_at", "decided_at"]
    list_filter = ["kind", "status"]
    search_fields = ["case__number"]
    list_select_related = ["case", "requested_by"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["case", "level", "department", "reason", "created_at", "resolved_at"]
    list_filter = ["level", "department"]
    search_fields = ["case__number"]
    list_select_related = ["case", "department"]
