"""Django admin for the territory's reference data: level names and regions.

Codes, parents and paths make up every descendant's materialised path, so
they are read-only here; the tree is built by the import pages or services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from zhenxing.core.admin import AuditedAdmin
from zhenxing.territory.models import Region, RegionLevel
from zhenxing.territory.services import name_problem


class RegionAdminForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["name", "population", "households"]

    def clean_name(self) -> str:
        # The same rule as the services and the import: no control characters.
        name = self.cleaned_data["name"].strip()
        if problem := name_problem(name):
            raise forms.ValidationError(problem)
        return name


@admin.register(RegionLevel)
class RegionLevelAdmin(AuditedAdmin):
    list_display = ["depth", "name", "name_en", "is_area"]
    list_editable = ["name", "name_en"]
    ordering = ["depth"]


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    form = RegionAdminForm
    list_display = ["code", "name", "depth", "parent", "population", "households", "updated_at"]
    list_filter = ["depth"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    fields = ["code", "name", "parent", "depth", "path", "population", "households", "geometry"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code", "parent", "depth", "path", "geometry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New regions come through the import page, which checks the tree.
        return False
