"""Edge validation for the plan pages: every form here makes a clear 400, never a 500.

The forms check shapes (numbers, dates, choices that exist within what the
user may see or change) and name the field that is wrong. The rules of the
plan (a week inside the campaign, a team of the place's community, a date
not in the future) are `plans.services`' to enforce; their refusals come
back to the same forms as non-field errors.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.forms import PhotosField
from zhenxing.cases.photos import MAX_PHOTOS, PhotoError, ValidatedPhoto, validate_photos
from zhenxing.core.xlsx import XLSX_TYPE
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import User, WorkTeam
from zhenxing.people.scopes import ALL, scope_paths
from zhenxing.plans.models import Arrangement, Campaign, TaskType
from zhenxing.plans.services import EARLIEST_WEEK, latest_week, sane_week
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import (
    COMMUNITY_DEPTH,
    ancestor_and_self_paths,
    path_prefix_q,
)

# The largest primary key the database holds (a signed 64-bit integer).
MAX_PK = 2**63 - 1


def week_range_error() -> str:
    """The message for a week outside what the plan can name (`services.sane_week`)."""
    return str(
        _("Give a week between %(first)s and %(last)s.")
        % {"first": EARLIEST_WEEK.isoformat(), "last": latest_week().isoformat()}
    )


class PkMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by integer key that refuses keys no database column holds.

    The stock field hands any text to `pk__in`; a 30-digit number there is an
    OverflowError (a 500) on the database side rather than a form error.
    """

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(pk))
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= MAX_PK:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


# Quantities are kept with 2 decimals and at most 12 digits (the model's fields).
MAX_QUANTITY = Decimal("9999999999.99")


def _quantity_field(label: Any, *, required: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=MAX_QUANTITY,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )


def _date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def communities_under(paths: list[str] | None) -> QuerySet[Region]:
    """The communities that hold or lie under these paths (None: every community)."""
    communities = Region.objects.filter(depth=COMMUNITY_DEPTH).order_by("path")
    if paths is ALL:
        return communities
    # A role below a community (an area) still names the community it works in.
    q = path_prefix_q(paths, "path")
    for path in paths:
        q |= Q(path__in=ancestor_and_self_paths(path))
    return communities.filter(q)


def places_under(paths: list[str] | None, community: Region | None) -> QuerySet[Region]:
    """Areas and streets (the places of arrangements and reports) within paths and community."""
    depth = area_depth()
    places = Region.objects.filter(depth__in=(depth, depth + 1))
    places = places.filter(path_prefix_q(paths, "path"))
    if community is not None:
        places = places.filter(path__startswith=community.path)
    return places.order_by("path")


class PlaceChoiceField(forms.ModelChoiceField):
    """An area, or a street shown under its area (indented)."""

    def label_from_instance(self, obj: Region) -> str:
        return f"　{obj.name}" if obj.depth > area_depth() else obj.name


def active_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(is_active=True).order_by("order", "code")


def task_types_of(campaign: Campaign | None) -> QuerySet[TaskType]:
    types = TaskType.objects.select_related("campaign").filter(campaign__is_active=True)
    if campaign is not None:
        types = types.filter(campaign=campaign)
    return types.order_by("campaign__order", "campaign__code", "order", "code")


class TaskTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TaskType) -> str:
        return f"{obj.name}（{obj.get_unit_display()}）"


# --- the plan table -----------------------------------------------------------------------

ALL_COMMUNITIES = "all"


class TableFilterForm(StyledForm):
    """Which campaign, task type and community the table shows (defaults filled by the view)."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=None
    )
    task_type = TaskTypeChoiceField(
        label=_("Task type"), queryset=TaskType.objects.none(), required=False, empty_label=None
    )
    community = forms.ChoiceField(label=_("Community"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = active_campaigns()
        self.fields["task_type"].queryset = task_types_of(None)
        self.communities = list(communities_under(scope_paths(user)))
        choices = [(r.code, r.name) for r in self.communities]
        if len(self.communities) > 1:
            choices.append((ALL_COMMUNITIES, _("All communities")))
        self.fields["community"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        campaign, task_type = data.get("campaign"), data.get("task_type")
        if campaign and task_type and task_type.campaign_id != campaign.pk:
            # The campaign was switched: its first task type, not the other campaign's.
            data["task_type"] = None
        return data


class TargetCellForm(forms.Form):
    """One cell of the table: the target of an area for a task type in a week."""

    area = forms.CharField(max_length=50)
    task_type = forms.IntegerField(min_value=1)
    week = forms.DateField()
    quantity = _quantity_field(_("Target"), required=False)

    def clean_week(self) -> datetime.date:
        week = self.cleaned_data["week"]
        if not sane_week(week):
            raise forms.ValidationError(week_range_error())
        return week


class ImportForm(StyledForm):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    task_type = TaskTypeChoiceField(label=_("Task type"), queryset=TaskType.objects.none())
    file = forms.FileField(
        label=_("XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_TYPE}"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = active_campaigns()
        self.fields["task_type"].queryset = task_types_of(None)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        campaign, task_type = data.get("campaign"), data.get("task_type")
        if campaign and task_type and task_type.campaign_id != campaign.pk:
            self.add_error("task_type", _("This task type belongs to another campaign."))
        return data


# --- arrangements and reports -------------------------------------------------------------


def people_of(community: Region) -> QuerySet[User]:
    """People who may be arranged in a community: active users with a role on it or around it."""
    paths = [community.path, *ancestor_and_self_paths(community.path)]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role_assignments__region__path__startswith=community.path)
            | Q(role_assignments__region__path__in=paths)
        )
        .distinct()
        .order_by("username")
    )


class ArrangementForm(StyledForm):
    date = _date_field(_("Date"))
    region = PlaceChoiceField(label=_("Place"), queryset=Region.objects.none())
    task_type = TaskTypeChoiceField(label=_("Task type"), queryset=TaskType.objects.none())
    team = forms.ModelChoiceField(label=_("Team"), queryset=WorkTeam.objects.none(), required=False)
    people = PkMultipleChoiceField(
        label=_("People"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    people_names = forms.CharField(
        label=_("Other people"),
        max_length=200,
        required=False,
        help_text=_("Names of people without a login, separated by commas."),
    )
    planned_quantity = _quantity_field(_("Planned quantity"), required=False)
    note = forms.CharField(label=_("What to do"), max_length=500, required=False)

    def __init__(self, *args: Any, community: Region, paths: list[str] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = places_under(paths, community)
        self.fields["task_type"].queryset = task_types_of(None)
        self.fields["team"].queryset = WorkTeam.objects.filter(region=community).order_by("name")
        self.fields["people"].queryset = people_of(community)


class CancelForm(forms.Form):
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class ReportForm(StyledForm):
    region = PlaceChoiceField(label=_("Place"), queryset=Region.objects.none())
    task_type = TaskTypeChoiceField(label=_("Task type"), queryset=TaskType.objects.none())
    date = _date_field(_("Date"))
    quantity = _quantity_field(_("Quantity done"), required=True)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(label=_("Photos"))
    arrangement = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, paths: list[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = places_under(paths, None)
        self.fields["task_type"].queryset = task_types_of(None)
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["photos"].widget.attrs["multiple"] = True

    def clean_photos(self) -> list[ValidatedPhoto]:
        try:
            uploads = list(self.cleaned_data.get("photos") or [])
            return validate_photos(uploads, max_count=MAX_PHOTOS)
        except PhotoError as exc:
            raise forms.ValidationError(str(exc)) from None


def arrangement_initial(arrangement: Arrangement) -> dict[str, Any]:
    """A report form pre-filled from the arrangement it reports on."""
    return {
        "region": arrangement.region_id,
        "task_type": arrangement.task_type_id,
        "date": min(arrangement.date, timezone.localdate()),
        "quantity": arrangement.planned_quantity,
        "arrangement": arrangement.pk,
    }


def today() -> datetime.date:
    return timezone.localdate()
