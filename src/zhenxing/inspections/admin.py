"""Django admin for the inspections' reference data, and read-only views of rounds and results.

- Area types and which type each area is are edited here; checklists too,
  but only while a draft: a version in use or retired is frozen, because
  inspections point at it (see `services`). Putting a draft in use and
  making a new version are admin actions that call the services, so the
  retiring and numbering rules hold here too. Every save and delete is
  audited (`core.admin.AuditedAdmin`, and the item rows below).
- Rounds and inspections are shown read-only: they change only through the
  pages and `services`, whose guards an admin form would bypass.
- All of it is for office admins of the whole territory only
  (`core.admin.WholeTerritoryAdmin`), whatever Django permissions a staff user
  holds. The pages show a community its released results without who scored
  them or the round they came from, and nothing at all before release; the
  admin's columns and change pages cannot hide fields per user, so nobody
  below the whole territory gets them. The lists are still filtered by
  `rounds_visible_to` / `inspections_visible_to`, should that rule widen.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhenxing.core import audit
from zhenxing.core.admin import AuditedAdmin, ReadOnlyWholeTerritoryAdmin, WholeTerritoryAdmin
from zhenxing.inspections import services
from zhenxing.inspections.models import (
    AreaType,
    AreaTypeMembership,
    Finding,
    Inspection,
    InspectionRound,
    InspectionTemplate,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.inspections.permissions import (
    can_manage_templates,
    inspections_visible_to,
    rounds_visible_to,
)
from zhenxing.territory.models import area_depth


class ChecklistAdmin(WholeTerritoryAdmin, AuditedAdmin):
    """Seen by whole-territory admins; written by those who may write checklists (the same)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_templates(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_templates(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_templates(request.user) and super().has_delete_permission(request, obj)


@admin.register(AreaType)
class AreaTypeAdmin(ChecklistAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]
    ordering = ["order", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Areas and checklists keep their type (PROTECT): empty it first.
        if obj is not None and (obj.memberships.exists() or obj.templates.exists()):
            return False
        return super().has_delete_permission(request, obj)


class AreaTypeMembershipForm(forms.ModelForm):
    class Meta:
        model = AreaTypeMembership
        fields = ["area", "area_type"]

    def clean_area(self) -> Any:
        area = self.cleaned_data["area"]
        if area is not None and area.depth != area_depth():
            raise forms.ValidationError(_("Choose an area, not another level of the tree."))
        return area


@admin.register(AreaTypeMembership)
class AreaTypeMembershipAdmin(ChecklistAdmin):
    form = AreaTypeMembershipForm
    list_display = ["area", "area_type"]
    list_filter = ["area_type"]
    search_fields = ["area__code", "area__name"]
    list_select_related = ["area", "area_type"]
    autocomplete_fields = ["area"]


class TemplateItemForm(forms.ModelForm):
    class Meta:
        model = TemplateItem
        fields = [
            "order",
            "code",
            "text",
            "unit",
            "points_per_unit",
            "max_deduction",
            "category",
        ]

    def clean_category(self) -> Any:
        category = self.cleaned_data.get("category")
        if category is not None and (category.parent_id is None or not category.is_active):
            raise forms.ValidationError(
                _("Choose a case category in use, and a sub-category rather than a main category.")
            )
        return category

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        points, cap = data.get("points_per_unit"), data.get("max_deduction")
        if points is not None and points <= 0:
            self.add_error("points_per_unit", _("Give more than 0 points per unit."))
        elif points is not None and cap is not None and cap < points:
            self.add_error(
                "max_deduction",
                _(
                    "Most points deducted is less than the points for one unit; "
                    "raise it or leave it empty."
                ),
            )
        return data


class TemplateItemInline(admin.TabularInline):
    """A checklist's items: editable only while the checklist is a draft."""

    model = TemplateItem
    form = TemplateItemForm
    extra = 0
    ordering = ["order", "code"]

    def _draft(self, request: HttpRequest, obj: Any) -> bool:
        # A checklist being added is a draft (the admin never sets the status).
        return can_manage_templates(request.user) and (obj is None or obj.is_editable)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(request, obj) and super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TemplateItem]:
        return super().get_queryset(request).select_related("category__parent")


@admin.register(InspectionTemplate)
class InspectionTemplateAdmin(ChecklistAdmin):
    list_display = ["code", "version", "name", "area_type", "status", "activated_at", "retired_at"]
    list_filter = ["status", "area_type"]
    search_fields = ["code", "name"]
    list_select_related = ["area_type"]
    ordering = ["code", "-version"]
    inlines = [TemplateItemInline]
    actions = ["activate", "new_version"]
    # The status moves only through the services (the actions below).
    readonly_fields = ["status", "created_at", "created_by", "activated_at", "retired_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("version")  # numbered by `template_new_version` from then on
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_editable:
            return False  # in use or retired: frozen, shown read-only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            obj.status = TemplateStatus.DRAFT
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Save the items and audit each one added, changed or removed."""
        # The rows as stored (the forms' instances already hold the posted values).
        stored = TemplateItem.objects.in_bulk([f.instance.pk for f in formset.initial_forms])
        before = {
            id(f.instance): (f.instance.pk, audit.snapshot(stored[f.instance.pk]))
            for f in formset.initial_forms
            if f.instance.pk in stored
        }
        super().save_formset(request, form, formset, change)
        label = f"admin.{TemplateItem._meta.app_label}.{TemplateItem._meta.model_name}"
        for obj in formset.new_objects:
            audit.record(
                actor=request.user,
                action=f"{label}.add",
                obj=obj,
                after=audit.snapshot(obj),
            )
        for obj, _fields in formset.changed_objects:
            audit.record(
                actor=request.user,
                action=f"{label}.change",
                obj=obj,
                before=before[id(obj)][1],
                after=audit.snapshot(obj),
            )
        for obj in formset.deleted_objects:
            pk, snapshot = before[id(obj)]
            audit.record(
                actor=request.user,
                action=f"{label}.delete",
                summary=f"{obj.code} (#{pk})",
                before=snapshot,
                after={},
            )

    def _run(self, request: HttpRequest, queryset: QuerySet[InspectionTemplate], step: Any) -> None:
        if not can_manage_templates(request.user):
            raise PermissionDenied
        for template in queryset:
            try:
                done = step(template=template, actor=request.user)
            except services.InspectionError as exc:
                self.message_user(request, f"{template}: {exc}", messages.ERROR)
            else:
                self.message_user(request, str(done), messages.SUCCESS)

    @admin.action(description=_("Put the selected drafts in use"))
    def activate(self, request: HttpRequest, queryset: QuerySet[InspectionTemplate]) -> None:
        self._run(request, queryset, services.template_activate)

    @admin.action(description=_("Make a new draft version of the selected checklists"))
    def new_version(self, request: HttpRequest, queryset: QuerySet[InspectionTemplate]) -> None:
        self._run(request, queryset, services.template_new_version)


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ["item", "count", "deduction", "note", "case"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Finding]:
        return super().get_queryset(request).select_related("item", "case")


@admin.register(InspectionRound)
class InspectionRoundAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["date", "title", "scope", "status", "drawn", "draw_seed", "planned_by"]
    list_filter = ["status", "drawn"]
    search_fields = ["title", "draw_seed"]
    date_hierarchy = "date"
    list_select_related = ["scope", "planned_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InspectionRound]:
        # The plan is secret from the communities (see `permissions`).
        visible = rounds_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = [
        "date",
        "area",
        "template",
        "inspector",
        "status",
        "score",
        "deduction",
        "released_at",
    ]
    list_filter = ["status"]
    search_fields = ["area__code", "area__name", "area_path"]
    date_hierarchy = "date"
    list_select_related = ["area", "template", "inspector"]
    inlines = [FindingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Inspection]:
        # The embargo: unreleased results only for the office and the inspectors.
        visible = inspections_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)
