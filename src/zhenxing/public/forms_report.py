"""The residents' report form and the tracking-code form (edge validation, no login).

The form checks what a resident typed and the photos (with the platform's
photo rules, so a bad file is a field error and nothing is stored); the
proof of work and the rate limit are the view's, the case itself the
service's (`public.reporting.resident_report_file`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.forms import PhotoFormMixin, PhotosField
from zhenxing.cases.models import Category
from zhenxing.cases.photos import MAX_PHOTOS, first_gps, max_photo_mb
from zhenxing.cases.services import CaseError
from zhenxing.people.forms import StyledForm
from zhenxing.public.reporting import (
    CODE_LENGTH,
    clean_mobile,
    clean_post_token,
    normal_code,
    reportable_categories,
)

DESCRIPTION_MAX = 1000


def category_choices() -> tuple[list[Any], dict[str, Category]]:
    """Sub-categories grouped under their main category, for an <optgroup> select."""
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    by_pk: dict[str, Category] = {}
    for category in reportable_categories():
        parent = category.parent
        by_pk[str(category.pk)] = category
        groups.setdefault(parent.pk, (parent.name, []))[1].append((str(category.pk), category.name))
    choices: list[Any] = [("", _("Choose what kind of problem it is"))]
    choices += [(name, items) for name, items in groups.values()]
    return choices, by_pk


class PostTokenField(forms.Field):
    """The hidden post token: lenient, never an error the resident would see.

    Whatever came (a NUL byte, a token too long, a stray space) is stripped,
    and anything that is not a post's token is dropped to "": the report is
    then a normal one. A plain CharField would refuse a NUL byte with a 400.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> str:
        return clean_post_token(value if isinstance(value, str) else "")

    def prepare_value(self, value: Any) -> str:
        # What goes back into the page when the form is shown again.
        return self.to_python(value)


class ResidentReportForm(PhotoFormMixin, StyledForm):
    """What a resident reports. The pin is optional when a photo carries GPS."""

    photos_required = True

    photos = PhotosField(
        label=_("Photos"),
        help_text=_(
            "1 to %(max)d photos of the problem, each at most %(mb)d MB. "
            "A photo taken with location on also tells us where it is."
        ),
    )
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What is the problem, and where exactly?")}
        ),
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    mobile = forms.CharField(
        label=_("Mobile (optional)"),
        required=False,
        max_length=20,
        help_text=_("Only the office sees it; we may call you about this problem."),
        widget=forms.TextInput(
            # A hint, not an example: a number in the box would read as one already typed.
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": _("11-digit mobile number"),
            }
        ),
    )
    # The public token of the post whose sign the resident scanned (?post=…), carried
    # through the POST; an unknown or retired post's token is ignored.
    post = PostTokenField()
    # The proof of work, filled in by report.js just before the form is sent.
    challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    counter = forms.CharField(required=False, widget=forms.HiddenInput)
    # A honeypot: hidden from people (CSS, and aria-hidden); form-filling robots fill it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices, self._categories = category_choices()
        self.fields["category"].choices = choices
        photos = self.fields["photos"]
        photos.help_text = photos.help_text % {"max": MAX_PHOTOS, "mb": max_photo_mb()}
        photos.widget.attrs["data-max"] = str(MAX_PHOTOS)
        # Unlike the field forms, a resident may well send a photo taken earlier (whose GPS
        # gives the place): no `capture`, so phones offer the camera and the gallery both.
        photos.widget.attrs.pop("capture", None)
        # The honeypot must not look like a field to anyone using the page.
        self.fields["website"].widget.attrs["class"] = "zx-hp-input"

    def clean_category(self) -> Category:
        category = self._categories.get(self.cleaned_data.get("category") or "")
        if category is None:
            raise forms.ValidationError(_("Choose a category from the list."))
        return category

    def clean_description(self) -> str:
        description = (self.cleaned_data.get("description") or "").strip()
        if not description:
            raise forms.ValidationError(_("Describe the problem."))
        return description

    def clean_mobile(self) -> str:
        try:
            return clean_mobile(self.cleaned_data.get("mobile") or "")
        except CaseError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None):
            data["lat"] = data["lng"] = None
            lat = lng = None
        photos = data.get("photos")
        # Only when the photos themselves were fine: otherwise their error says enough.
        if lat is None and photos and first_gps(photos) is None:
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "Where is it? Tap the map to place the pin or use your location: "
                        "the photo has no location of its own."
                    ),
                    code="location",
                ),
            )
        return data

    @property
    def location_error(self) -> bool:
        return any(e.code == "location" for e in self.errors.as_data().get("__all__", []))

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def pin(self) -> tuple[float | None, float | None]:
        """The pin as sent, for the map when the form comes back (or as preset, unsent)."""
        if hasattr(self, "cleaned_data"):
            return self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        if not self.is_bound:
            return self.initial.get("lat"), self.initial.get("lng")
        return None, None


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg zx-code-input",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-EFGH-JK",
            }
        ),
        error_messages={"required": _("Enter the tracking code you were given.")},
    )

    def clean_code(self) -> str:
        code = normal_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH:
            raise forms.ValidationError(
                _("A tracking code has %(n)d letters and digits; check what you typed.")
                % {"n": CODE_LENGTH}
            )
        return code
