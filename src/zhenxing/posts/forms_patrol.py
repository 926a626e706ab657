"""Edge validation for the patrol pages: the phone check-in, the patrol list's filters, the figures.

Every form here turns bad input into a clear 400 with the field named; the
patrol service (`posts.patrols`) then enforces the rules of a patrol.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.forms import PhotoFormMixin, PhotosField, category_choices
from zhenxing.cases.models import Category
from zhenxing.cases.photos import max_photo_mb
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import PartyOrganization
from zhenxing.people.permissions import (
    communities_visible_to,
    party_members_visible_to,
    party_organizations_visible_to,
)
from zhenxing.posts.figures import Period, parse_period, this_month
from zhenxing.posts.models import Patrol, Post, PostCase
from zhenxing.posts.patrols import MAX_NOTE_CHARS, ProblemFound
from zhenxing.posts.permissions import posts_visible_to
from zhenxing.territory.models import PATH_SEP, Region

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class _OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyOrganization) -> str:
        depth = obj.path.count(PATH_SEP) - 1
        return f"{'　' * depth}{obj.name}"


class PatrolForm(PhotoFormMixin, StyledForm):
    """One check-in: where (the phone's fix, or the post's place), photos, a note, a problem."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"))
    note = forms.CharField(
        label=_("Notes"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you did and saw on this patrol."),
    )
    problem = forms.BooleanField(label=_("I found a problem"), required=False)
    category = forms.ChoiceField(label=_("What kind of problem"), required=False)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is wrong, and where exactly (a landmark helps)."),
    )

    def __init__(self, post: Post, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.post = post
        choices, self._categories = category_choices()
        self.fields["category"].choices = choices
        if post.post_type.category_id in self._categories:
            self.fields["category"].initial = post.post_type.category_id
        self.fields["photos"].help_text = _(
            "Up to 9 photos: JPEG, PNG or WebP, at most %(mb)d MB each."
        ) % {"mb": max_photo_mb()}
        self.fields["problem"].widget.attrs["data-problem-toggle"] = ""
        self.fields["description"].widget.attrs["autocomplete"] = "off"
        self.fields["note"].widget.attrs["autocomplete"] = "off"

    def clean_category(self) -> Category | None:
        value = self.cleaned_data.get("category")
        if not value:
            return None
        try:
            return self._categories[int(value)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(_("Choose a category from the list.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            # Only a tampered form sends one without the other: drop both.
            data["lat"] = data["lng"] = None
        if data.get("problem"):
            if not data.get("category") and "category" not in self.errors:
                self.add_error("category", _("Choose what kind of problem you found."))
            if not (data.get("description") or "").strip():
                self.add_error("description", _("Describe the problem you found."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        problem = None
        if data.get("problem"):
            problem = ProblemFound(category=data["category"], description=data["description"])
        located = data.get("lat") is not None and data.get("lng") is not None
        return {
            "note": data.get("note") or "",
            "lat": data.get("lat") if located else None,
            "lng": data.get("lng") if located else None,
            "accuracy_m": data.get("accuracy") if located else None,
            "photos": data.get("photos") or [],
            "problem": problem,
        }


class _PickedChoiceField(forms.TypedChoiceField):
    """A filter by one post or member, reached by a link (?post=12): only that one is offered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, required=False, empty_value=None, **kwargs)


class PatrolFilterForm(StyledForm):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    organization = _OrganizationChoiceField(
        label=_("Party organisation"),
        queryset=PartyOrganization.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    post = _PickedChoiceField(label=_("Post"))
    member = _PickedChoiceField(label=_("Party member"))
    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    problems = forms.BooleanField(label=_("Only patrols that found a problem"), required=False)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["community"].queryset = communities_visible_to(user).order_by("path")
        self.fields["organization"].queryset = party_organizations_visible_to(user).order_by("path")
        all_choice = ("", _("All"))
        self.fields["post"].choices = [all_choice]
        self.fields["member"].choices = [all_choice]
        if self.is_bound:
            picked_post = self._picked(posts_visible_to(user), self.data.get("post"))
            if picked_post is not None:
                self.fields["post"].choices = [all_choice, (picked_post.pk, picked_post.name)]
            picked_member = self._picked(party_members_visible_to(user), self.data.get("member"))
            if picked_member is not None:
                self.fields["member"].choices = [all_choice, (picked_member.pk, picked_member.name)]

    @staticmethod
    def _picked(rows: QuerySet[Any], value: Any) -> Any:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        return rows.filter(pk=pk).first()

    def clean_month(self) -> str:
        value = (self.cleaned_data.get("month") or "").strip()
        if value and not MONTH_RE.match(value):
            raise forms.ValidationError(_("Give the month as YYYY-MM."))
        return value

    def apply(self, patrols: QuerySet[Patrol]) -> QuerySet[Patrol]:
        """Narrow `patrols` by whichever filters are valid; an invalid one is ignored."""
        if not self.is_bound:
            return patrols
        self.is_valid()
        data = self.cleaned_data
        if data.get("community"):
            patrols = patrols.filter(region_path__startswith=data["community"].path)
        if data.get("organization"):
            patrols = patrols.filter(organization__path__startswith=data["organization"].path)
        if data.get("post"):
            patrols = patrols.filter(post_id=data["post"])
        if data.get("member"):
            patrols = patrols.filter(member_id=data["member"])
        if data.get("month"):
            period = parse_period(data["month"])
            if period is not None:
                start, end = period.bounds()
                patrols = patrols.filter(at__gte=start, at__lt=end)
        if data.get("problems"):
            patrols = patrols.filter(Exists(PostCase.objects.filter(patrol=OuterRef("pk"))))
        return patrols


def period_choices() -> list[tuple[str, str]]:
    """The last 24 months, then the last three whole years."""
    today = timezone.localdate()
    year, month = today.year, today.month
    choices: list[tuple[str, str]] = []
    for _i in range(24):
        choices.append((f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    for y in range(today.year, today.year - 3, -1):
        choices.append((f"{y:04d}", str(_("%(year)d, whole year") % {"year": y})))
    return choices


class FiguresForm(StyledForm):
    period = forms.ChoiceField(label=_("Period"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices()
        self.fields["period"].initial = this_month().value

    def chosen(self) -> Period:
        """The period asked for; this month when none, or none valid, is given."""
        if self.is_bound and self.is_valid():
            period = parse_period(self.cleaned_data.get("period"))
            if period is not None:
                return period
        return this_month()
