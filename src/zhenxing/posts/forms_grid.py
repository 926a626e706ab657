"""Forms of the red-grid pages: the list's filters, assigning a member, ending an assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.people.forms import StyledForm
from zhenxing.people.models import PartyMember
from zhenxing.people.permissions import (
    communities_managed_by,
    communities_visible_to,
    party_members_visible_to,
)
from zhenxing.posts.models import GridAssignment, GridRole
from zhenxing.territory.models import CODE_RE, Region
from zhenxing.territory.selectors import community_path


class AreaChoiceField(forms.ModelChoiceField):
    """An area chosen by its code. A value that cannot be a code (a NUL byte, which
    PostgreSQL refuses in a query) is an invalid choice before any lookup."""

    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"

    def to_python(self, value: Any) -> Region | None:
        if value in self.empty_values or isinstance(value, Region):
            return super().to_python(value)
        if not isinstance(value, str) or not CODE_RE.fullmatch(value.strip()):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value.strip())


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyMember) -> str:
        return f"{obj.name}（{obj.organization.name}）"


class GridFilterForm(StyledForm):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    uncovered = forms.BooleanField(label=_("Only areas without a red-grid member"), required=False)
    history = forms.BooleanField(label=_("Show ended assignments too"), required=False)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_visible_to(user).order_by("path")

    def values(self) -> dict[str, Any]:
        """The valid filters; an invalid one is dropped (the bar shows its error)."""
        if not self.is_bound:
            return {"community": None, "uncovered": False, "history": False}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "community": data.get("community"),
            "uncovered": bool(data.get("uncovered")),
            "history": bool(data.get("history")),
        }

    def apply(self, areas: QuerySet[Region]) -> QuerySet[Region]:
        values = self.values()
        if values["community"] is not None:
            areas = areas.filter(path__startswith=values["community"].path)
        if values["uncovered"]:
            areas = areas.exclude(
                Exists(GridAssignment.objects.filter(area=OuterRef("pk"), ended_on__isnull=True))
            )
        return areas


class GridAssignForm(StyledForm):
    area = AreaChoiceField(label=_("Area"), queryset=Region.objects.none(), to_field_name="code")
    member = MemberChoiceField(label=_("Party member"), queryset=PartyMember.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=GridRole.choices, initial=GridRole.MEMBER)
    started_on = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the member started serving the area; not later than today."),
    )

    def __init__(
        self,
        user: Any,
        areas: QuerySet[Region],
        *args: Any,
        area: Region | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("started_on", timezone.localdate())
        if area is not None:
            kwargs["initial"].setdefault("area", area.code)
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self._members = (
            party_members_visible_to(user)
            .filter(region__in=communities_managed_by(user))
            .select_related("organization")
            .order_by("organization__path", "name", "pk")
        )
        # A POST accepts any member the user manages, so that a member of the
        # wrong community meets the service's rule and its clear message; the
        # select shows only the area's own community.
        self.fields["member"].queryset = self._members if self.is_bound else self._members_of(area)

    def _members_of(self, area: Region | None) -> QuerySet[PartyMember]:
        if area is None:
            return self._members.none()
        return self._members.filter(region__path=community_path(area.path))

    def show_members_of(self, area: Region | None) -> None:
        """Before showing the form again: list only the members who may serve `area`."""
        self.fields["member"].queryset = self._members_of(area)


class GridEndForm(StyledForm):
    ended_on = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The member's last day on the red grid of this area."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
