"""The case filters shared by the list page, the map, the XLSX export and the API.

`CaseFilterForm(user, data)` takes query parameters (`request.GET`, or None for
no filters) and `apply(queryset)` narrows a queryset of cases by them. The
queryset should already be the user's (`permissions.cases_visible_to`): the
form narrows, it never widens. Every parameter is optional:

``status``
    One or more case statuses (``reported``, ``accepted``, ``rejected``,
    ``dispatched``, ``rectifying``, ``rectified``, ``rework``, ``deferred``,
    ``closed``), repeated (``?status=dispatched&status=rework``) or separated
    by commas (``?status=dispatched,rework``); the pseudo-status ``open``
    stands for every status but rejected and closed.
``category``
    A category code; a main category (大类) includes all its sub-categories.
``area``
    The code of a region at any level (community, cooperative, area) inside
    the user's territory; cases in its subtree. A code outside the user's
    scope is a form error (the same one as for an unknown code), never a
    silent widening: `apply` then returns no rows.
``source``
    One of ``inspection``, ``party_patrol``, ``resident``, ``department``, ``office``.
``overdue``, ``escalated``, ``relapse``
    Booleans (``true``/``false``, also ``1``/``0``, ``yes``/``no``). ``overdue=true``
    keeps only overdue cases (deadline passed while the handler's clock runs),
    ``overdue=false`` only the others; ``escalated`` is escalated at least once
    (to the office or the joint meeting); ``relapse`` is linked to an earlier
    closed case at the same place (回潮). Left out: no filter.
``assignee_department``
    A department code: cases dispatched to that department.
``reported_from``, ``reported_to``
    Dates (``YYYY-MM-DD``), both inclusive, in local time (settings.TIME_ZONE),
    from 2000-01-01 to 2100-12-31 (a date outside is an error, not a date
    arithmetic overflow); ``reported_to`` before ``reported_from`` is an error.
``q``
    Text: a case-number prefix, or words that must each appear in the
    description or the address.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import CLOCK_STATES, OPEN_STATES, Case, Category, Source, Status
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import Department
from zhenxing.people.scopes import regions_visible_to
from zhenxing.territory.models import PATH_SEP, area_depth

OPEN = "open"
# More words than this in a search are ignored: each one is a LIKE over two columns.
MAX_SEARCH_WORDS = 5

# The dates a filter accepts: far beyond any case, yet far from datetime's own
# limits (9999-12-31 plus the one day `reported_to` adds would overflow).
FIRST_DATE = datetime.date(2000, 1, 1)
LAST_DATE = datetime.date(2100, 12, 31)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class YesNoField(forms.ChoiceField):
    """A filter that may be left out (None), or be true or false; rendered as a select."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))], **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        return text  # anything else fails `validate` with "not one of the choices"

    def clean(self, value: Any) -> bool | None:  # type: ignore[override]
        text = super().clean(value)
        return None if text == "" else text == "true"


class _LazyChoices(BaseChoiceIterator):
    """Choices read from the database on first use, then kept: a select iterates them twice."""

    def __init__(self, load: Callable[[], list[tuple[str, str]]]) -> None:
        self.load = load
        self.rows: list[tuple[str, str]] | None = None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        if self.rows is None:
            self.rows = self.load()
        return iter(self.rows)


def _date_in_range(value: datetime.date) -> None:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise forms.ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            code="date_range",
            params={"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        validators=[_date_in_range],
        widget=forms.DateInput(
            attrs={"type": "date", "min": FIRST_DATE.isoformat(), "max": LAST_DATE.isoformat()}
        ),
    )


class StatusField(forms.MultipleChoiceField):
    """Repeated (``?status=a&status=b``) or comma-separated (``?status=a,b``), from a
    QueryDict or a plain dict (as an API may pass)."""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        items = super().to_python(value)
        return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _category_choices() -> list[tuple[str, str]]:
    """Main categories, each followed by its sub-categories (indented), for the select."""
    rows = list(
        Category.objects.order_by("order", "code").values_list("code", "name", "parent_id", "pk")
    )
    children: dict[int, list[tuple[str, str]]] = {}
    for code, name, parent_id, _pk in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append((code, f"\u3000{name}"))
    choices: list[tuple[str, str]] = [("", str(_("All")))]
    for code, name, parent_id, pk in rows:
        if parent_id is None:
            choices.append((code, name))
            choices.extend(children.get(pk, []))
    return choices


def _department_choices() -> list[tuple[str, str]]:
    return [("", str(_("All"))), *Department.objects.order_by("code").values_list("code", "name")]


# More regions than this in the area select, and it shows only the top two levels and the
# chosen region's subtree (see `_area_choices`).
MAX_AREA_CHOICES = 300


class CaseFilterForm(StyledForm):
    status = StatusField(
        label=_("Status"),
        required=False,
        choices=[(OPEN, _("Open (any step)")), *Status.choices],
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    category = forms.CharField(
        label=_("Category"), required=False, max_length=20, widget=forms.Select
    )
    area = forms.CharField(label=_("Area"), required=False, max_length=40, widget=forms.Select)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All")), *Source.choices]
    )
    overdue = YesNoField(label=_("Overdue"))
    assignee_department = forms.CharField(
        label=_("Assigned department"), required=False, max_length=40, widget=forms.Select
    )
    reported_from = _date_field(_("Reported from"))
    reported_to = _date_field(_("Reported until"))
    escalated = YesNoField(label=_("Escalated"))
    relapse = YesNoField(label=_("Relapse"))
    q = forms.CharField(
        label=_("Number or words"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Choices are read only when the form is rendered: the API and the
        # export validate the codes with one lookup each instead.
        self.fields["category"].widget.choices = _LazyChoices(_category_choices)
        self.fields["area"].widget.choices = _LazyChoices(self._area_choices)
        self.fields["assignee_department"].widget.choices = _LazyChoices(_department_choices)

    def _area_choices(self) -> list[tuple[str, str]]:
        """Every region the user sees down to the areas, or, past a few hundred, less.

        A county or a province has thousands of areas: a select listing them all
        is unusable and costs more to render than the list itself. Then it lists
        the user's top regions and the level below, and the subtree of the region
        chosen, so choosing a community (and filtering) brings in its areas.
        Streets (below the areas) hold no cases and are left out.
        """
        regions = list(
            regions_visible_to(self.user)
            .filter(depth__lte=area_depth())
            .order_by("path")
            .values_list("code", "name", "depth", "path")
        )
        top = min((depth for _c, _n, depth, _p in regions), default=1)
        if len(regions) > MAX_AREA_CHOICES:
            chosen = str(self.data.get("area") or "").strip() if self.is_bound else ""
            prefix = next(
                (
                    PATH_SEP.join(path.split(PATH_SEP)[: top + 1]) + PATH_SEP
                    for code, _n, _d, path in regions
                    if code == chosen
                ),
                None,
            )
            regions = [
                row
                for row in regions
                if row[2] <= top + 1 or (prefix is not None and row[3].startswith(prefix))
            ]
        return [
            ("", str(_("All"))),
            *((code, f"{'　' * (depth - top)}{name}") for code, name, depth, _p in regions),
        ]

    def _by_code(self, name: str, model: type[Model], message: Any) -> Any:
        """The row whose code the field names; None when left out; `message` when none."""
        code = self.cleaned_data[name].strip()
        if not code:
            return None
        found = model.objects.filter(code=code).first()
        if found is None:
            raise forms.ValidationError(message)
        return found

    def clean_category(self) -> Category | None:
        return self._by_code("category", Category, _("There is no category with this code."))

    def clean_area(self) -> Any:
        code = self.cleaned_data["area"].strip()
        if not code:
            return None
        region = regions_visible_to(self.user).filter(code=code).first()
        if region is None:
            # The same answer whether the code exists outside the scope or not at all.
            raise forms.ValidationError(_("This region is not in your territory."))
        return region

    def clean_assignee_department(self) -> Department | None:
        return self._by_code(
            "assignee_department", Department, _("There is no department with this code.")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and end < start:
            self.add_error("reported_to", _("The end date is before the start date."))
        return data

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        """Narrow `cases` by every valid filter; an area that failed its check keeps nothing."""
        if not self.is_bound:
            return cases
        self.is_valid()
        if "area" in self.errors:
            return cases.none()
        data = self.cleaned_data
        if statuses := data.get("status"):
            wanted = set(statuses) - {OPEN}
            if OPEN in statuses:
                wanted |= set(OPEN_STATES)
            cases = cases.filter(status__in=sorted(wanted))
        if category := data.get("category"):
            cases = cases.filter(Q(category=category) | Q(category__parent=category))
        if area := data.get("area"):
            cases = cases.filter(region_path__startswith=area.path)
        if source := data.get("source"):
            cases = cases.filter(source=source)
        overdue = Q(status__in=sorted(CLOCK_STATES), deadline__lt=timezone.now())
        if data.get("overdue") is True:
            cases = cases.filter(overdue)
        elif data.get("overdue") is False:
            cases = cases.exclude(overdue)
        if department := data.get("assignee_department"):
            cases = cases.filter(assigned_department=department)
        if start := data.get("reported_from"):
            cases = cases.filter(reported_at__gte=_local_midnight(start))
        if end := data.get("reported_to"):
            cases = cases.filter(reported_at__lt=_local_midnight(end + datetime.timedelta(days=1)))
        if data.get("escalated") is True:
            cases = cases.filter(escalation_level__gt=0)
        elif data.get("escalated") is False:
            cases = cases.filter(escalation_level=0)
        if data.get("relapse") is True:
            cases = cases.filter(relapse_of__isnull=False)
        elif data.get("relapse") is False:
            cases = cases.filter(relapse_of__isnull=True)
        if text := (data.get("q") or "").strip():
            cases = cases.filter(_search(text))
        return cases


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _search(text: str) -> Q:
    words = text.split()[:MAX_SEARCH_WORDS]
    every_word = Q()
    for word in words:
        every_word &= Q(description__icontains=word) | Q(address__icontains=word)
    return Q(number__startswith=text) | every_word
