"""Edge validation for the publishing desk: the list's filters, the public text, the photo editor.

Bad input is a field error (HTTP 400, the page shown again with the
office's input); the services then enforce the rules of publishing. The
photo editor's boxes arrive as JSON in hidden inputs (written by
`redact.js`); without JavaScript they are empty and the photo is used as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import Case, CasePhoto, Category, PhotoKind, Status
from zhenxing.people.forms import StyledForm
from zhenxing.people.scopes import office_admin_paths
from zhenxing.public.services import (
    DESCRIPTION_MAX,
    PLACE_MAX,
    TITLE_MAX,
    PublicationError,
    clean_crop,
    clean_redactions,
)
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, path_prefix_q

PUBLISHED = "published"
CANDIDATES = "candidates"

# The candidates' "Photos" filter: a case with both a before and an after photo
# is the one worth showing residents (the spot and the spot put right).
PHOTOS_BOTH = "both"


class ManageFilterForm(StyledForm):
    community = forms.ModelChoiceField(
        label=_("Community"),
        required=False,
        queryset=Region.objects.none(),
        to_field_name="code",
        empty_label=_("All"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Status.choices]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.none(),
        to_field_name="code",
        empty_label=_("All"),
    )
    q = forms.CharField(
        label=_("Case number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    photos = forms.ChoiceField(
        label=_("Photos"),
        required=False,
        choices=[("", _("All")), (PHOTOS_BOTH, _("Before and after"))],
    )

    def __init__(self, user: Any, *args: Any, tab: str = PUBLISHED, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every published case has its before photo and the list flags a missing
        # after photo itself: the photos filter is for picking candidates only.
        if tab != CANDIDATES:
            del self.fields["photos"]
        # Only the communities the admin publishes for: another's name would list nothing.
        self.fields["community"].queryset = (
            Region.objects.filter(depth=COMMUNITY_DEPTH)
            .filter(path_prefix_q(self._community_paths(user), "path"))
            .order_by("path")
        )
        self.fields["category"].queryset = Category.objects.filter(
            parent__isnull=False
        ).select_related("parent")

    @staticmethod
    def _community_paths(user: Any) -> list[str] | None:
        paths = office_admin_paths(user)
        if paths is None:
            return None
        # An admin of one area still sees its community in the list.
        return [p for p in paths] + [
            "/".join(p.rstrip("/").split("/")[:COMMUNITY_DEPTH]) + "/" for p in paths
        ]

    def apply(self, cases: QuerySet[Case], prefix: str = "") -> QuerySet[Case]:
        """Narrow rows by the valid filters; `prefix` reaches the case from another model."""
        if not self.is_bound or not self.is_valid():
            return cases
        data = self.cleaned_data
        if community := data.get("community"):
            cases = cases.filter(**{f"{prefix}region_path__startswith": community.path})
        if status := data.get("status"):
            cases = cases.filter(**{f"{prefix}status": status})
        if category := data.get("category"):
            cases = cases.filter(**{f"{prefix}category": category})
        if q := data.get("q", "").strip():
            cases = cases.filter(**{f"{prefix}number__icontains": q})
        if data.get("photos") == PHOTOS_BOTH:
            cases = cases.filter(
                Exists(
                    CasePhoto.objects.filter(case=OuterRef(f"{prefix}pk"), kind=PhotoKind.BEFORE)
                ),
                Exists(
                    CasePhoto.objects.filter(case=OuterRef(f"{prefix}pk"), kind=PhotoKind.AFTER)
                ),
            )
        return cases


class PublicationTextForm(StyledForm):
    title = forms.CharField(label=_("Title on the board"), max_length=TITLE_MAX)
    place = forms.CharField(
        label=_("Place"),
        max_length=PLACE_MAX,
        help_text=_("Community and area as residents know them; never a house number."),
    )
    description = forms.CharField(
        label=_("Description for the public"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Mobile numbers are removed when saved. Leave out names."),
    )


def _json_field(value: str) -> Any:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise forms.ValidationError(_("A box on the photo is not valid; draw it again.")) from None


class PublicPhotoForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Use as"),
        choices=[(PhotoKind.BEFORE, _("Before photo")), (PhotoKind.AFTER, _("After photo"))],
    )
    source = forms.ChoiceField(label=_("Photo"), widget=forms.RadioSelect)
    crop = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    redactions = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, photos: list[CasePhoto], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.photos = {p.token: p for p in photos}
        self.fields["source"].choices = [(p.token, p.get_kind_display()) for p in photos]
        self.fields["source"].error_messages["invalid_choice"] = _(
            "Choose one of this case's photos."
        )
        self.fields["source"].error_messages["required"] = _("Choose one of this case's photos.")

    def clean_source(self) -> CasePhoto:
        return self.photos[self.cleaned_data["source"]]

    def clean_crop(self) -> dict[str, float] | None:
        try:
            return clean_crop(_json_field(self.cleaned_data["crop"]))
        except PublicationError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_redactions(self) -> list[dict[str, float]]:
        try:
            return clean_redactions(_json_field(self.cleaned_data["redactions"]))
        except PublicationError as error:
            raise forms.ValidationError(str(error)) from None


class UnpublishForm(StyledForm):
    reason = forms.CharField(
        label=_("Reason (for the record)"),
        required=False,
        max_length=200,
    )
