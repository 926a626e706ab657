"""Edge validation for the inspection pages: every form here makes a clear 400, never a 500.

The forms check shapes (numbers in range, choices that exist, photos that
are photos) and name the field, or on the scoring form the checklist item,
that is wrong. The rules of the domain (an inspector's territory, a template
in use, an inspection still pending) are the services' to enforce; their
refusals come back to the same forms as non-field errors.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.filters import FIRST_DATE, LAST_DATE
from zhenxing.cases.forms import PhotosField, category_choices
from zhenxing.cases.models import Category
from zhenxing.cases.photos import MAX_PHOTOS, PhotoError, ValidatedPhoto, first_gps
from zhenxing.cases.photos import validate_photos as _validate_photos
from zhenxing.inspections.models import RoundStatus, TemplateItem
from zhenxing.inspections.services import MAX_COUNT
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import Role, User
from zhenxing.people.scopes import ALL, office_admin_paths, scope_paths
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import (
    COMMUNITY_DEPTH,
    ancestor_and_self_paths,
    path_prefix_q,
)

# A round plans at most this many areas (a day's walk is a few dozen at most).
MAX_DRAW = 500

# A photo input on the scoring form is visually hidden behind a big "Take photos" button, so
# the page does not show the browser's own "Choose Files" wording (inspections.css).
PHOTO_INPUT_CLASS = "zx-photo-input"


def validate_photos(uploads: Sequence[Any]) -> list[ValidatedPhoto]:
    """The platform's photo rules (cases.photos), at most MAX_PHOTOS per input."""
    return _validate_photos(list(uploads), max_count=MAX_PHOTOS)


def _date_in_range(value: datetime.date) -> None:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise forms.ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )


def _date_field(label: Any, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        validators=[_date_in_range],
        widget=forms.DateInput(
            attrs={"type": "date", "min": FIRST_DATE.isoformat(), "max": LAST_DATE.isoformat()},
            format="%Y-%m-%d",
        ),
    )


def _check_date_order(form: forms.Form, start_name: str, end_name: str) -> None:
    data = form.cleaned_data
    start, end = data.get(start_name), data.get(end_name)
    if start and end and end < start:
        form.add_error(end_name, _("The end date is before the start date."))


def community_choices(user: Any) -> QuerySet[Region]:
    """The communities in the user's territory (a community role sees just its own)."""
    communities = Region.objects.filter(depth=COMMUNITY_DEPTH)
    paths = scope_paths(user)
    if paths is ALL:
        return communities.order_by("path")
    # A role below a community (an area) still names the community its results belong to.
    q = path_prefix_q(paths, "path")
    for path in paths:
        q |= Q(path__in=ancestor_and_self_paths(path))
    return communities.filter(q).order_by("path")


# --- lists --------------------------------------------------------------------------------


class RoundFilterForm(StyledForm):
    date_from = _date_field(_("From"))
    date_to = _date_field(_("Until"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *RoundStatus.choices]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_date_order(self, "date_from", "date_to")
        return data

    def apply(self, rounds: QuerySet[Any]) -> QuerySet[Any]:
        if not self.is_bound or not self.is_valid():
            return rounds if not self.is_bound else rounds.none()
        data = self.cleaned_data
        if start := data.get("date_from"):
            rounds = rounds.filter(date__gte=start)
        if end := data.get("date_to"):
            rounds = rounds.filter(date__lte=end)
        if status := data.get("status"):
            rounds = rounds.filter(status=status)
        return rounds


class _CommunityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.name


class ResultFilterForm(StyledForm):
    date_from = _date_field(_("From"))
    date_to = _date_field(_("Until"))
    community = _CommunityField(
        label=_("Community"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("All"),
        to_field_name="code",
        error_messages={"invalid_choice": _("This community is not in your territory.")},
    )
    score_below = forms.DecimalField(
        label=_("Score below"),
        required=False,
        min_value=0,
        max_value=1000,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "size": 6}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = community_choices(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_date_order(self, "date_from", "date_to")
        return data

    def apply(self, inspections: QuerySet[Any]) -> QuerySet[Any]:
        """Narrow by every filter; invalid filters keep nothing (the page shows the errors)."""
        if not self.is_bound:
            return inspections
        if not self.is_valid():
            return inspections.none()
        data = self.cleaned_data
        if start := data.get("date_from"):
            inspections = inspections.filter(date__gte=start)
        if end := data.get("date_to"):
            inspections = inspections.filter(date__lte=end)
        if community := data.get("community"):
            inspections = inspections.filter(area_path__startswith=community.path)
        if (below := data.get("score_below")) is not None:
            inspections = inspections.filter(score__lt=below)
        return inspections


# --- planning a round ---------------------------------------------------------------------


class _ScopeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{'　' * (obj.depth - 1)}{obj.name}（{obj.code}）"


class _InspectorsField(forms.ModelMultipleChoiceField):
    # {user pk: the regions where they hold the inspector role}, set by the form.
    places: dict[int, list[str]] = {}

    def label_from_instance(self, obj: User) -> str:
        places = "、".join(self.places.get(obj.pk, []))
        return f"{obj}（{places}）" if places else str(obj)


def plan_scopes(user: Any) -> QuerySet[Region]:
    """What a round may be drawn from: the subdistrict and communities the admin administers."""
    paths = office_admin_paths(user)
    regions = Region.objects.all() if paths is ALL else Region.objects.under_any(paths)
    own = Q() if paths is ALL else Q(path__in=paths)
    return regions.filter(Q(depth__lte=COMMUNITY_DEPTH) | own).order_by("path")


def plan_areas(user: Any) -> QuerySet[Region]:
    """The areas the admin may put in a round, by path (grouped by community on the page)."""
    paths = office_admin_paths(user)
    regions = Region.objects.all() if paths is ALL else Region.objects.under_any(paths)
    return regions.filter(depth=area_depth()).order_by("path")


def plan_inspectors(user: Any) -> list[User]:
    """Active users holding the inspector role on a region that meets the admin's territory.

    Each carries `inspector_places` (where the role is held) for the label: the
    service refuses an inspector whose territory misses an area, and the office
    should see that coming.
    """
    from zhenxing.people.models import RoleAssignment

    paths = office_admin_paths(user)
    assignments = RoleAssignment.objects.filter(
        role=Role.INSPECTOR, region__isnull=False, user__is_active=True
    )
    if paths is not ALL:
        # Held inside the territory, or on a region above it (which covers it).
        q = path_prefix_q(paths, "region__path")
        for path in paths:
            q |= Q(region__path__in=ancestor_and_self_paths(path))
        assignments = assignments.filter(q)
    places: dict[int, list[str]] = {}
    users: dict[int, User] = {}
    for assignment in assignments.select_related("user", "region").order_by(
        "user__username", "region__path"
    ):
        users.setdefault(assignment.user_id, assignment.user)
        places.setdefault(assignment.user_id, []).append(assignment.region.name)
    for pk, person in users.items():
        person.inspector_places = places[pk]
    return list(users.values())


class RoundPlanForm(StyledForm):
    CHOOSE, DRAW = "choose", "draw"
    MODES = [(DRAW, _("Draw areas at random")), (CHOOSE, _("Choose the areas"))]

    date = _date_field(_("Date"), required=True)
    scope = _ScopeField(
        label=_("Drawn from"),
        queryset=Region.objects.none(),
        empty_label=None,
        help_text=_("The areas are chosen or drawn from this subdistrict or community."),
    )
    mode = forms.ChoiceField(
        label=_("Areas"), choices=MODES, initial=DRAW, widget=forms.RadioSelect
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas to inspect"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    draw_count = forms.IntegerField(
        label=_("Number of areas to draw"),
        required=False,
        min_value=1,
        max_value=MAX_DRAW,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    seed = forms.CharField(
        label=_("Seed (optional)"),
        required=False,
        max_length=64,
        help_text=_(
            "Leave empty for a random seed. The seed is kept with the round, so that "
            "anyone can repeat the draw and see the same areas come out."
        ),
    )
    inspectors = _InspectorsField(
        label=_("Inspectors"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one inspector.")},
    )
    title = forms.CharField(label=_("Name of the round"), required=False, max_length=100)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the office and the round's inspectors ever see the round."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["scope"].queryset = plan_scopes(user)
        self.fields["areas"].queryset = plan_areas(user)
        self.inspector_list = plan_inspectors(user)
        inspectors = self.fields["inspectors"]
        inspectors.queryset = User.objects.filter(
            pk__in=[u.pk for u in self.inspector_list]
        ).order_by("username")
        inspectors.places = {u.pk: u.inspector_places for u in self.inspector_list}
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()
        for name in ("mode", "areas", "inspectors"):
            # Radios and checkboxes are laid out by the template, not as text inputs.
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_date(self) -> datetime.date:
        day = self.cleaned_data["date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("A round is planned for today or a later day."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mode, scope = data.get("mode"), data.get("scope")
        if mode == self.CHOOSE:
            data["draw_count"] = None
            data["seed"] = ""
            areas = list(data.get("areas") or [])
            if not areas and "areas" not in self.errors:
                self.add_error("areas", _("Tick at least one area, or draw them at random."))
            elif scope is not None:
                outside = [a.name for a in areas if not a.path.startswith(scope.path)]
                if outside:
                    self.add_error(
                        "areas",
                        _("Not in %(scope)s: %(areas)s. Untick them or draw from a wider region.")
                        % {"scope": scope.name, "areas": "、".join(outside)},
                    )
        elif mode == self.DRAW:
            data["areas"] = []
            if data.get("draw_count") is None and "draw_count" not in self.errors:
                self.add_error("draw_count", _("Say how many areas to draw."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "date": data["date"],
            "scope": data["scope"],
            "inspectors": list(data["inspectors"]),
            "title": data["title"],
            "note": data["note"],
        }
        if data["mode"] == self.CHOOSE:
            kwargs["areas"] = list(data["areas"])
        else:
            kwargs["draw_count"] = data["draw_count"]
            kwargs["seed"] = data["seed"].strip() or None
        return kwargs

    def area_groups(self) -> list[tuple[str, list[Any]]]:
        """The area checkboxes grouped by community: [(community name, [checkbox, …]), …]."""
        from zhenxing.territory.selectors import community_code_of

        areas = list(self.fields["areas"].queryset)
        codes = {community_code_of(a.path) for a in areas}
        names = dict(
            Region.objects.filter(depth=COMMUNITY_DEPTH, code__in=codes).values_list("code", "name")
        )
        community_of = {str(a.pk): community_code_of(a.path) for a in areas}
        groups: dict[str, list[Any]] = {}
        for checkbox in self["areas"]:
            code = community_of.get(str(checkbox.data["value"]), "")
            groups.setdefault(names.get(code, code), []).append(checkbox)
        return list(groups.items())


# --- changes with a reason ----------------------------------------------------------------


class _VersionedForm(StyledForm):
    """Names the version the page was shown with; the service refuses a stale one (409)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RoundCancelForm(_VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I confirm: the round is cancelled; its inspections not yet scored become void."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class VoidForm(_VersionedForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("A void score counts nowhere; the reason stays on the inspection."),
    )


class OpenCaseForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea
    )


# --- scoring ------------------------------------------------------------------------------


def points_text(value: Decimal | None) -> str:
    """2.00 → "2", 1.50 → "1.5": points as an official writes them."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ScoreForm(_VersionedForm):
    """One count per checklist item (0: nothing wrong), each with a note, photos and a case switch.

    Field names carry the item's primary key (`count_12`, `note_12`,
    `photos_12`, `case_12`); `rows()` pairs them with their item for the
    template. Errors on an item's fields say which item they are about.
    """

    note = forms.CharField(
        label=_("General note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = PhotosField(label=_("General photos"))
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def __init__(self, items: Sequence[TemplateItem], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            pk = item.pk
            self.fields[f"count_{pk}"] = forms.IntegerField(
                label=item.text,
                required=False,
                min_value=0,
                max_value=MAX_COUNT,
                initial=0,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "min": 0, "max": MAX_COUNT}
                ),
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=500
            )
            self.fields[f"photos_{pk}"] = PhotosField(label=_("Photos"))
            if item.category_id is not None:
                self.fields[f"case_{pk}"] = forms.BooleanField(
                    label=_("Open a case"), required=False, initial=True
                )
        # The photo inputs sit under their own "Take photos" button (inspections/_photo_pick.html).
        self.fields["photos"].widget.attrs["class"] = PHOTO_INPUT_CLASS
        # StyledForm styled the fields declared on the class; these came later.
        for item in self.items:
            pk = item.pk
            self.fields[f"count_{pk}"].widget.attrs["class"] = "form-control zx-count"
            self.fields[f"note_{pk}"].widget.attrs["class"] = "form-control"
            self.fields[f"photos_{pk}"].widget.attrs["class"] = PHOTO_INPUT_CLASS
            if f"case_{pk}" in self.fields:
                self.fields[f"case_{pk}"].widget.attrs.update(
                    {"class": "form-check-input", "role": "switch"}
                )

    def _photos(self, name: str) -> list[ValidatedPhoto]:
        try:
            return validate_photos(self.cleaned_data.get(name) or [])
        except PhotoError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_photos(self) -> list[ValidatedPhoto]:
        return self._photos("photos")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            data["lat"] = data["lng"] = None
        for item in self.items:
            pk = item.pk
            photos_name = f"photos_{pk}"
            if photos_name not in self.errors:
                try:
                    data[photos_name] = self._photos(photos_name)
                except forms.ValidationError as exc:
                    self.add_error(photos_name, exc)
            count = data.get(f"count_{pk}") or 0
            has_more = (data.get(f"note_{pk}") or "").strip() or data.get(photos_name)
            if count == 0 and has_more and f"count_{pk}" not in self.errors:
                self.add_error(
                    f"count_{pk}",
                    _("Give a count, or remove the note and photos of this item."),
                )
        return data

    def rows(self) -> list[dict[str, Any]]:
        """Each item with its bound fields and the texts the stepper shows."""
        rows = []
        for item in self.items:
            pk = item.pk
            per_unit = points_text(item.points_per_unit)
            cap = points_text(item.max_deduction)
            rule = gettext("−%(points)s per %(unit)s") % {"points": per_unit, "unit": item.unit}
            if cap:
                rule += gettext(", at most −%(max)s") % {"max": cap}
            errors = [
                str(error)
                for name in (f"count_{pk}", f"note_{pk}", f"photos_{pk}", f"case_{pk}")
                if name in self.fields
                for error in self.errors.get(name, [])
            ]
            rows.append(
                {
                    "item": item,
                    "rule": rule,
                    "count": self[f"count_{pk}"],
                    "note": self[f"note_{pk}"],
                    "photos": self[f"photos_{pk}"],
                    "case": self[f"case_{pk}"] if f"case_{pk}" in self.fields else None,
                    "errors": errors,
                }
            )
        return rows

    def item_errors(self) -> list[str]:
        """ "Item: what is wrong", for the summary at the top of a refused form."""
        return [
            gettext("%(item)s: %(error)s") % {"item": row["item"].text, "error": error}
            for row in self.rows()
            for error in row["errors"]
        ]

    def general_errors(self) -> list[str]:
        """Errors of the fields that are not an item's, as "Field: what is wrong"."""
        item_fields = {
            f"{kind}_{item.pk}"
            for item in self.items
            for kind in ("count", "note", "photos", "case")
        }
        return [
            gettext("%(item)s: %(error)s")
            % {"item": self.fields[name].label or name, "error": error}
            for name, errors in self.errors.items()
            if name in self.fields and name not in item_fields
            for error in errors
        ]

    def findings(self) -> list[Any]:
        """A FindingInput for every item counted at least once."""
        from zhenxing.inspections.services import FindingInput

        data = self.cleaned_data
        found = []
        for item in self.items:
            pk = item.pk
            count = data.get(f"count_{pk}") or 0
            if count < 1:
                continue
            photos = data.get(f"photos_{pk}") or []
            # A photo's own GPS places the problem better than where the form was sent from.
            point = first_gps(photos)
            found.append(
                FindingInput(
                    item=item,
                    count=count,
                    note=(data.get(f"note_{pk}") or "").strip(),
                    lat=point[0] if point else None,
                    lng=point[1] if point else None,
                    photos=photos,
                    open_case=bool(data.get(f"case_{pk}")) and item.category_id is not None,
                )
            )
        return found


# --- checklists ---------------------------------------------------------------------------


class TemplateItemForm(StyledForm):
    """Add or change one item of a draft checklist."""

    code = forms.CharField(label=_("Code"), max_length=20)
    text = forms.CharField(label=_("Item"), max_length=200)
    # "Unit" alone is the assessed unit (考核对象) elsewhere: this is the counting unit (处, 个).
    unit = forms.CharField(
        label=pgettext_lazy("counting unit", "Unit"), max_length=10, initial="处"
    )
    points_per_unit = forms.DecimalField(
        label=_("Points per unit"),
        min_value=Decimal("0.01"),
        max_value=Decimal("999.99"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    max_deduction = forms.DecimalField(
        label=_("Most points deducted"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("9999.99"),
        max_digits=6,
        decimal_places=2,
        help_text=_("Leave empty for no cap."),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    category = forms.ChoiceField(label=_("Case category"), required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices, self._categories = category_choices()
        self.fields["category"].choices = choices

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
        per_unit, cap = data.get("points_per_unit"), data.get("max_deduction")
        if per_unit is not None and cap is not None and cap < per_unit:
            self.add_error(
                "max_deduction", _("The cap is smaller than the points for a single unit.")
            )
        return data

    @classmethod
    def for_item(cls, item: TemplateItem, *args: Any, **kwargs: Any) -> TemplateItemForm:
        kwargs.setdefault(
            "initial",
            {
                "code": item.code,
                "text": item.text,
                "unit": item.unit,
                "points_per_unit": item.points_per_unit,
                "max_deduction": item.max_deduction,
                "category": item.category_id or "",
                "order": item.order,
            },
        )
        # Each row's form gets its own ids, so that labels point at the right inputs.
        kwargs.setdefault("prefix", f"item{item.pk}")
        return cls(*args, **kwargs)


class ActivateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I confirm: this version is used for every new inspection from now on; "
            "the version in use now retires."
        ),
        error_messages={"required": _("Tick the box to confirm.")},
    )
