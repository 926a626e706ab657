"""Django admin for the assessment's configuration, and read-only views of its results.

Schemes (with their indicator weights), list rules and rewards-and-criticism
records are edited here; every save and delete is audited
(`core.admin.AuditedAdmin`, plus the weight rows, which an inline saves
after the scheme itself). Periods, score snapshots and list entries are
shown read-only: they are written only by `assessment.services`, and a
snapshot is never edited — a published ranking must not change behind the
circular that published it.

All of it is for office admins of the whole territory only
(`core.admin.WholeTerritoryAdmin`), whatever Django permissions a staff user
holds: a snapshot carries inspection scores still under embargo and the
evidence behind them, the records name cadres, and the scheme and the rules
decide every community's ranking — none of it is tied to one place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhenxing.assessment.models import (
    IncentiveRecord,
    IndicatorWeight,
    ListEntry,
    ListKind,
    ListRule,
    Period,
    Scheme,
    ScoreSnapshot,
)
from zhenxing.core import audit
from zhenxing.core.admin import AuditedAdmin, ReadOnlyWholeTerritoryAdmin, WholeTerritoryAdmin
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH

HUNDRED = Decimal("100")


# --- schemes and weights ---------------------------------------------------------------


class IndicatorWeightForm(forms.ModelForm):
    class Meta:
        model = IndicatorWeight
        fields = ["indicator", "weight"]

    def clean_weight(self) -> Decimal:
        weight = self.cleaned_data["weight"]
        if weight is not None and weight < 0:
            raise forms.ValidationError(_("A weight cannot be negative."))
        return weight


class IndicatorWeightFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("weight") is not None
        ]
        # With every weight zero no composite could ever be formed.
        if not any(weight > 0 for weight in weights):
            raise forms.ValidationError(_("Give at least one indicator a weight above zero."))


class IndicatorWeightInline(admin.TabularInline):
    model = IndicatorWeight
    form = IndicatorWeightForm
    formset = IndicatorWeightFormSet
    extra = 0
    min_num = 1


class SchemeForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = [
            "name",
            "is_active",
            "participation_target",
            "min_cases_to_rank",
            "inspection_required_to_rank",
            "note",
        ]

    def _get_validation_exclusions(self) -> set[str]:
        # Activating this scheme retires the active one (`SchemeAdmin.save_model`), so the
        # "one active scheme" constraint is kept by the save, not refused by the form.
        return super()._get_validation_exclusions() | {"is_active"}

    def clean_participation_target(self) -> Decimal:
        value = self.cleaned_data["participation_target"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("The target must be above zero."))
        return value


def _weights(scheme: Scheme) -> dict[str, str]:
    if scheme.pk is None:
        return {}
    return {k: str(w) for k, w in scheme.weights.values_list("indicator", "weight")}


@admin.register(Scheme)
class SchemeAdmin(WholeTerritoryAdmin, AuditedAdmin):
    form = SchemeForm
    list_display = ["name", "is_active", "participation_target", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = [
        "name",
        "is_active",
        "participation_target",
        "min_cases_to_rank",
        "inspection_required_to_rank",
        "note",
    ]
    inlines = [IndicatorWeightInline]

    def save_model(self, request: HttpRequest, obj: Scheme, form: Any, change: bool) -> None:
        if obj.is_active:
            # One scheme is active at a time: activating this one retires the other.
            others = Scheme.objects.filter(is_active=True)
            if obj.pk is not None:
                others = others.exclude(pk=obj.pk)
            for other in others:
                other.is_active = False
                other.save(update_fields=["is_active", "updated_at"])
                audit.record(
                    actor=request.user,
                    action=self._action(other, "change"),
                    obj=other,
                    changes={"is_active": [True, False]},
                )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The weights are rows of their own: record them as one before/after pair.
        before = _weights(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        after = _weights(form.instance)
        if before != after:
            audit.record(
                actor=request.user,
                action=self._action(form.instance, "weights"),
                obj=form.instance,
                before=before,
                after=after,
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Snapshots name the scheme they were made with (PROTECT); the active one is in use.
        if obj is not None and (obj.is_active or obj.snapshots.exists()):
            return False
        return super().has_delete_permission(request, obj)


# --- list rules ------------------------------------------------------------------------


class ListRuleForm(forms.ModelForm):
    class Meta:
        model = ListRule
        fields = [
            "name",
            "kind",
            "unit_kind",
            "period_kind",
            "top_n",
            "bottom_n",
            "min_composite",
            "max_composite",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        # A red list is drawn from the top, a black list from the bottom.
        wrong = (
            ["bottom_n", "max_composite"] if kind == ListKind.RED else ["top_n", "min_composite"]
        )
        right = (
            ["top_n", "min_composite"] if kind == ListKind.RED else ["bottom_n", "max_composite"]
        )
        for name in wrong:
            if data.get(name) is not None:
                self.add_error(name, _("This does not apply to this list; leave it empty."))
        for name in ("top_n", "bottom_n"):
            if data.get(name) == 0:
                self.add_error(name, _("Give at least 1, or leave it empty."))
        for name in ("min_composite", "max_composite"):
            value = data.get(name)
            if value is not None and not (0 <= value <= HUNDRED):
                self.add_error(name, _("A composite score lies between 0 and 100."))
        if kind and all(data.get(name) is None for name in right):
            raise forms.ValidationError(
                _("Give a number of units or a composite score threshold (or both).")
            )
        return data


@admin.register(ListRule)
class ListRuleAdmin(WholeTerritoryAdmin, AuditedAdmin):
    form = ListRuleForm
    list_display = [
        "name",
        "kind",
        "unit_kind",
        "period_kind",
        "top_n",
        "bottom_n",
        "min_composite",
        "max_composite",
        "is_active",
    ]
    list_filter = ["kind", "unit_kind", "period_kind", "is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Drawn lists name their rule (PROTECT): retire a used rule with "active" instead.
        if obj is not None and obj.entries.exists():
            return False
        return super().has_delete_permission(request, obj)


# --- rewards and criticism ------------------------------------------------------------------


class IncentiveRecordForm(forms.ModelForm):
    class Meta:
        model = IncentiveRecord
        fields = ["kind", "date", "period", "community", "cadre", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Region.objects.filter(depth=COMMUNITY_DEPTH)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("community") is None and data.get("cadre") is None:
            raise forms.ValidationError(_("Name the community, the cadre, or both."))
        return data


@admin.register(IncentiveRecord)
class IncentiveRecordAdmin(WholeTerritoryAdmin, AuditedAdmin):
    form = IncentiveRecordForm
    list_display = ["date", "kind", "community", "cadre", "period", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["reason", "community__name", "cadre__username"]
    date_hierarchy = "date"
    list_select_related = ["community", "cadre", "period", "recorded_by"]
    raw_id_fields = ["cadre"]

    def save_model(
        self, request: HttpRequest, obj: IncentiveRecord, form: Any, change: bool
    ) -> None:
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


# --- results, read-only ----------------------------------------------------------------------


@admin.register(Period)
class PeriodAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["label", "kind", "start", "end", "closed_at", "closed_by"]
    list_filter = ["kind"]
    date_hierarchy = "start"
    list_select_related = ["closed_by"]


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = [
        "period",
        "unit_kind",
        "unit_key",
        "unit_name",
        "composite",
        "rank",
        "scheme",
        "computed_at",
        "superseded_at",
    ]
    list_filter = ["unit_kind", "period__kind", ("superseded_at", admin.EmptyFieldListFilter)]
    search_fields = ["unit_key", "unit_name"]
    list_select_related = ["period", "scheme"]


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = [
        "period",
        "kind",
        "unit_kind",
        "unit_name",
        "composite",
        "rank",
        "rule",
        "superseded_at",
    ]
    list_filter = ["kind", "unit_kind", ("superseded_at", admin.EmptyFieldListFilter)]
    search_fields = ["unit_key", "unit_name"]
    list_select_related = ["period", "rule"]
