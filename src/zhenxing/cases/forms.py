"""Edge validation for the case pages: the intake form and one form per step of the loop.

Every form here turns bad input into a clear 400 with the field named; the
services then enforce the rules of the loop. Photos are checked with
`photos.validate_photos` while the form is cleaned, so a bad upload is a
field error like any other and nothing is written.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases import permissions
from zhenxing.cases.models import Case, Category, HandlerKind, RequestKind, Source
from zhenxing.cases.photos import (
    MAX_PHOTOS,
    PhotoError,
    ValidatedPhoto,
    first_gps,
    max_photo_mb,
    validate_photos,
)
from zhenxing.cases.services import MAX_DEADLINE_AHEAD
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import Department, WorkTeam, mobile_validator
from zhenxing.people.scopes import regions_visible_to
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH

# What a phone's <input type="datetime-local"> sends.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.Field):
    """The raw uploads; the form's clean_photos turns them into `ValidatedPhoto`s."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        # Phones open the camera straight away; desktops get the file chooser.
        self.widget.attrs.update({"accept": "image/*", "capture": "environment"})

    def to_python(self, value: Any) -> list[Any]:
        if not value:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]


def _datetime_local(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        **kwargs,
    )


def _text_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.CharField:
    """A step's note or reason: a short text area, as long as the services keep."""
    return forms.CharField(
        label=label,
        max_length=2000,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        **kwargs,
    )


def _limit_picker(field: forms.Field) -> None:
    """Offer dates from now up to the services' cap. Only a hint: the service decides."""
    now = timezone.localtime()
    field.widget.attrs["min"] = now.strftime(DATETIME_LOCAL)
    field.widget.attrs["max"] = (now + MAX_DEADLINE_AHEAD).strftime(DATETIME_LOCAL)


class FutureDeadlineMixin:
    """A `deadline` the user sets must lie in the future (empty: the category's time limit)."""

    cleaned_data: dict[str, Any]

    def clean_deadline(self) -> datetime.datetime | None:
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and deadline <= timezone.now():
            raise forms.ValidationError(_("The deadline must lie in the future."))
        return deadline


class PhotoFormMixin:
    """Validates the `photos` field with the platform's photo rules."""

    photos_required: bool = False
    cleaned_data: dict[str, Any]

    def clean_photos(self) -> list[ValidatedPhoto]:
        try:
            return validate_photos(
                self.cleaned_data.get("photos") or [],
                required=self.photos_required,
                max_count=MAX_PHOTOS,
            )
        except PhotoError as exc:
            raise forms.ValidationError(str(exc)) from None


# --- intake -------------------------------------------------------------------


class _AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


def category_choices() -> tuple[list[Any], dict[int, Category]]:
    """Active sub-categories grouped under their main category, for an <optgroup> select."""
    subs = (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent__code", "order", "code")
    )
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    by_pk: dict[int, Category] = {}
    for category in subs:
        by_pk[category.pk] = category
        parent = category.parent
        assert parent is not None  # filtered above
        groups.setdefault(parent.pk, (parent.name, []))[1].append((category.pk, category.name))
    choices: list[Any] = [("", "—")]
    choices += [(name, items) for name, items in groups.values()]
    return choices, by_pk


class CaseReportForm(PhotoFormMixin, StyledForm):
    """File a case: what, where (pin, photo GPS, or area and address), and photos."""

    photos_required = True

    source = forms.ChoiceField(label=_("Source"))
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is wrong, and where exactly (a landmark helps)."),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=True,
        error_messages={"required": _("Add at least one photo.")},
    )
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    area = _AreaChoiceField(
        label=_("Area"), queryset=Region.objects.none(), required=False, empty_label="—"
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    reporter_mobile = forms.CharField(
        label=_("Resident's mobile"),
        max_length=11,
        required=False,
        validators=[mobile_validator],
    )
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        sources = permissions.sources_for(user)
        self.fields["source"].choices = [(s, Source(s).label) for s in sources]
        if sources:
            self.fields["source"].initial = sources[0]
        if len(sources) == 1:
            self.fields["source"].widget = forms.HiddenInput()
        self.single_source = len(sources) <= 1
        self.fields["photos"].help_text = _(
            "1 to 9 photos: JPEG, PNG or WebP, at most %(mb)d MB each."
        ) % {"mb": max_photo_mb()}
        choices, self._categories = category_choices()
        self.fields["category"].choices = choices
        self.fields["area"].queryset = (
            regions_visible_to(user)
            .filter(depth=area_depth(), centroid_lat__isnull=False)
            .order_by("path")
        )
        self.takes_residents = Source.RESIDENT in sources
        if not self.takes_residents:
            del self.fields["reporter_name"]
            del self.fields["reporter_mobile"]
        self.fields["description"].widget.attrs["autocomplete"] = "off"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"
        if "reporter_mobile" in self.fields:
            self.fields["reporter_mobile"].widget.attrs.update(
                {"inputmode": "numeric", "autocomplete": "off"}
            )

    def clean_category(self) -> Category:
        value = self.cleaned_data.get("category")
        try:
            return self._categories[int(value)]
        except (KeyError, TypeError, ValueError):
            raise forms.ValidationError(_("Choose a category from the list.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None):
            data["lat"] = data["lng"] = None
            lat = lng = None
        photos = data.get("photos") or []
        if (
            lat is None
            and first_gps(photos) is None
            and not data.get("area")
            and "photos" not in self.errors
        ):
            self.add_error(
                None,
                _(
                    "Give the location: a pin on the map, a photo with GPS, "
                    "or the area and address."
                ),
            )
        if data.get("source") != Source.RESIDENT:
            # A resident's name and number only ever belong to a resident's report.
            data["reporter_name"] = ""
            data["reporter_mobile"] = ""
        return data

    def location(self) -> tuple[float, float] | None:
        """The point the duplicates are looked for around: the pin, else a photo's GPS."""
        data = self.cleaned_data
        if data.get("lat") is not None and data.get("lng") is not None:
            return data["lat"], data["lng"]
        return first_gps(data.get("photos") or [])

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "source": data["source"],
            "description": data["description"],
            "lat": data.get("lat"),
            "lng": data.get("lng"),
            "area": data.get("area"),
            "address": data.get("address", ""),
            "photos": data.get("photos") or [],
            "reporter_name": data.get("reporter_name", ""),
            "reporter_mobile": data.get("reporter_mobile", ""),
        }


class DuplicateQueryForm(forms.Form):
    """The query of the duplicates fragment: a sub-category and a point."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(parent__isnull=False, is_active=True)
    )
    lat = forms.FloatField(min_value=-90, max_value=90)
    lng = forms.FloatField(min_value=-180, max_value=180)


class AddReportForm(PhotoFormMixin, forms.Form):
    """A further report on an open case: what the reporter saw, and photos."""

    description = forms.CharField(label=_("Description"), max_length=2000)
    photos = PhotosField(label=_("Photos"))


# --- the steps of the loop ---------------------------------------------------


class StepForm(StyledForm):
    """Every step names the case version its form was shown with."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, case: Case, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        self.case = case
        self.user = user


def _confirm_field(label: Any) -> forms.BooleanField:
    return forms.BooleanField(
        label=label,
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class NoteForm(StepForm):
    note = _text_field(_("Note"), required=False)


class RejectForm(StepForm):
    reason = _text_field(_("Reason"), help_text=_("The reporter sees this reason."))
    confirm = _confirm_field(
        _("I confirm: the case is not accepted and ends here; this cannot be undone.")
    )


class DispatchForm(FutureDeadlineMixin, StepForm):
    target = forms.ChoiceField(label=_("Dispatch to"))
    deadline = _datetime_local(
        _("Deadline"),
        required=False,
        help_text=_("Leave empty for the category's time limit."),
    )
    note = _text_field(_("Note"), required=False)

    def __init__(self, case: Case, *args: Any, user: Any = None, **kwargs: Any) -> None:
        targets = permissions.dispatch_targets_for(user, case)
        self._targets: dict[str, Region | WorkTeam | Department] = {}
        regions: list[tuple[str, str]] = []
        teams: list[tuple[str, str]] = []
        departments: list[tuple[str, str]] = []
        community_key = ""
        for region in targets["regions"]:
            key = f"region:{region.pk}"
            self._targets[key] = region
            regions.append((key, region.name))
            if region.depth == COMMUNITY_DEPTH:
                community_key = key
        for team in targets["teams"]:
            key = f"team:{team.pk}"
            self._targets[key] = team
            teams.append((key, str(team)))
        for department in targets["departments"]:
            key = f"department:{department.pk}"
            self._targets[key] = department
            departments.append((key, department.name))
        category = case.category
        default = community_key
        department_key = f"department:{category.default_department_id}"
        if category.default_handler == HandlerKind.DEPARTMENT and department_key in self._targets:
            default = department_key
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("target", default)
        super().__init__(case, *args, user=user, **kwargs)
        choices: list[Any] = [("", "—")]
        for label, group in (
            (_("Community or area"), regions),
            (_("Work team"), teams),
            (_("Department"), departments),
        ):
            if group:
                choices.append((label, group))
        self.fields["target"].choices = choices
        _limit_picker(self.fields["deadline"])

    def clean_target(self) -> Region | WorkTeam | Department:
        return self._targets[self.cleaned_data["target"]]


class RectifyForm(PhotoFormMixin, StepForm):
    note = _text_field(_("What was done"))
    photos = PhotosField(label=_("After-photos"))

    def __init__(self, case: Case, *args: Any, **kwargs: Any) -> None:
        super().__init__(case, *args, **kwargs)
        self.photos_required = case.category.after_photo_required
        if self.photos_required:
            field = self.fields["photos"]
            field.required = True
            field.error_messages["required"] = _("This category needs at least one after-photo.")
            field.help_text = _("At least one photo of the spot as it is now.")


class VerifyPassForm(PhotoFormMixin, StepForm):
    note = _text_field(_("Note"), required=False)
    photos = PhotosField(label=_("Photos"))
    confirm = _confirm_field(
        _("I confirm: the spot is put right; the case is closed and leaves every queue.")
    )


class VerifyFailForm(PhotoFormMixin, StepForm):
    reason = _text_field(
        _("What is still wrong"),
        help_text=_("The handler gets the case back to rework with this reason."),
    )
    photos = PhotosField(label=_("Photos"))


class RequestForm(StepForm):
    """A handler's request: send back, extension (a new deadline) or deferral (optional date)."""

    reason = _text_field(_("Reason"))
    until = _datetime_local(_("New deadline"), required=False)

    def __init__(self, case: Case, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(case, *args, **kwargs)
        self.kind = kind
        if kind == RequestKind.SEND_BACK:
            del self.fields["until"]
        elif kind == RequestKind.EXTENSION:
            self.fields["until"].required = True
        else:
            self.fields["until"].label = _("Resume on")
            self.fields["until"].help_text = _("Optional: when work can go on.")
        if "until" in self.fields:
            _limit_picker(self.fields["until"])

    def clean_until(self) -> datetime.datetime | None:
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("The date asked for must lie in the future."))
        if (
            until is not None
            and self.kind == RequestKind.EXTENSION
            and self.case.deadline is not None
            and until <= self.case.deadline
        ):
            raise forms.ValidationError(_("An extension must end after the current deadline."))
        return until


class ResumeForm(FutureDeadlineMixin, StepForm):
    deadline = _datetime_local(
        _("New deadline"),
        required=False,
        help_text=_("Leave empty for the category's time limit from now."),
    )
    note = _text_field(_("Note"), required=False)

    def __init__(self, case: Case, *args: Any, **kwargs: Any) -> None:
        super().__init__(case, *args, **kwargs)
        _limit_picker(self.fields["deadline"])


class DecideForm(StepForm):
    DECISIONS = [("approve", _("Approve")), ("deny", _("Deny"))]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    note = _text_field(
        _("Note"), required=False, help_text=_("Required when you deny the request.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "deny" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is denied."))
        return data
