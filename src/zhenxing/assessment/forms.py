"""The assessment and circular pages' forms: they make the 400s; the services make the changes.

The period pickers name a period by its first day (`?period_kind=week&period=2026-11-16`),
not by a primary key: a period that nobody has looked at yet has no row, and
a link to "the week of 16 November" should work before anybody opened it.
A day inside a period is read as that period, so switching from weeks to
months keeps the user in the same stretch of the calendar.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenxing.assessment.models import (
    Circular,
    CircularStatus,
    IncentiveKind,
    Period,
    PeriodKind,
    UnitKind,
)
from zhenxing.assessment.periods import period_label, previous_start, span
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import RoleAssignment, User
from zhenxing.people.scopes import ALL, office_admin_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, path_prefix_q

# How many periods back each picker offers (the current one comes on top).
RECENT = {"week": 12, "month": 12, "quarter": 8, "year": 5}
# Further back than this a typed-in date is refused: nothing was assessed then.
MAX_YEARS_BACK = 10
# The earliest date a reward or criticism may carry.
EARLIEST_RECORD = datetime.date(2000, 1, 1)


def recent_starts(kind: str, today: datetime.date, count: int | None = None) -> list[datetime.date]:
    """The first days of the current period of `kind` and the `count` before it, newest first."""
    start = span(kind, today)[0]
    starts = [start]
    for _i in range(RECENT[kind] if count is None else count):
        start = previous_start(kind, start)
        starts.append(start)
    return starts


def last_finished(kind: str, today: datetime.date) -> datetime.date:
    """The first day of the last period of `kind` that has ended: the pages' default."""
    return previous_start(kind, span(kind, today)[0])


def period_choices(kind: str, starts: list[datetime.date], today: datetime.date) -> list[Any]:
    current = span(kind, today)[0]
    choices = []
    for start in starts:
        label = period_label(kind, start)
        if start == current:
            label = _("%(period)s (in progress)") % {"period": label}
        choices.append((start.isoformat(), label))
    return choices


@dataclass(frozen=True)
class Selection:
    period_kind: str
    start: datetime.date


class PeriodForm(StyledForm):
    """Which period: a kind and one of its recent periods (default: the last finished one).

    Always bound: missing values take their defaults, so that the page with
    no query string and the page with a full one go through the same checks.
    """

    period_kind = forms.ChoiceField(label=gettext_lazy("Period kind"), choices=PeriodKind.choices)
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        error_messages={"invalid_choice": gettext_lazy("Choose a period from the list.")},
    )

    def __init__(self, data: Any = None, *, today: datetime.date, **kwargs: Any) -> None:
        self.today = today
        values = self.defaults()
        if data is not None:
            values.update({k: data.get(k) for k in data if data.get(k)})
        kind = values["period_kind"]
        if kind not in RECENT:
            kind = PeriodKind.WEEK
        starts = recent_starts(kind, today)
        day = _parse_day(values.get("period"))
        if values.get("period") in (None, ""):
            day = last_finished(kind, today)
        earliest = datetime.date(today.year - MAX_YEARS_BACK, 1, 1)
        # The day's range is checked before `span` is asked about it: a day after the
        # current period lies in one that has not started (and near 9999-12-31 a period's
        # end is no date at all: OverflowError), a day before `earliest` in none assessed.
        # Such a day stays as typed, which is no choice: "Choose a period from the list".
        if day is not None and earliest <= day < span(kind, today)[1]:
            start = span(kind, day)[0]
            if start >= earliest:
                # A day inside a period stands for the period (see the module's docstring).
                values["period"] = start.isoformat()
                if start not in starts:
                    starts = sorted({*starts, start}, reverse=True)
        super().__init__(values, **kwargs)
        self.fields["period"].choices = period_choices(kind, starts, today)

    def defaults(self) -> dict[str, Any]:
        return {"period_kind": PeriodKind.WEEK, "period": ""}

    def selection(self) -> Selection:
        data = self.cleaned_data
        return Selection(
            period_kind=data["period_kind"], start=datetime.date.fromisoformat(data["period"])
        )


def _parse_day(value: Any) -> datetime.date | None:
    if not value:
        return None
    try:
        return parse_date(str(value))
    except ValueError:
        return None


def communities() -> QuerySet[Region]:
    return Region.objects.filter(depth=COMMUNITY_DEPTH).order_by("path")


class RankingForm(PeriodForm):
    """The ranking's filters: what is ranked, over which period, and (areas) in which community."""

    unit_kind = forms.ChoiceField(label=gettext_lazy("Assessed units"), choices=UnitKind.choices)
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=gettext_lazy("All communities"),
        to_field_name="code",
        error_messages={"invalid_choice": gettext_lazy("Choose a community from the list.")},
    )
    field_order = ["unit_kind", "period_kind", "period", "community"]

    def __init__(self, data: Any = None, *, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(data, today=today, **kwargs)
        # A ranking is read by every community, so every community is offered.
        self.fields["community"].queryset = communities()

    def defaults(self) -> dict[str, Any]:
        return {**super().defaults(), "unit_kind": UnitKind.COMMUNITY, "community": ""}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("unit_kind") not in (UnitKind.AREA, UnitKind.POST_HOLDER):
            # The community filter applies to the units inside a community (areas,
            # and post holders, who are ranked with their community's path); for
            # the others it is ignored, not refused.
            data["community"] = None
        return data


class RecomputeForm(StyledForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for recomputing"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why the period is recomputed.")},
    )


def cadres_for(user: Any) -> QuerySet[User]:
    """People an office admin may record a commendation or an interview for: those holding a
    role on a region the admin administers (everyone with a role, for a superuser)."""
    paths = office_admin_paths(user)
    assignments = RoleAssignment.objects.all()
    if paths is not ALL:
        assignments = assignments.filter(path_prefix_q(paths, "region__path"))
    return (
        User.objects.filter(is_active=True, pk__in=assignments.values("user"))
        .order_by("display_name", "username")
        .distinct()
    )


class IncentiveForm(StyledForm):
    """A commendation, a criticism or an interview (约谈) of a community and/or a cadre."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IncentiveKind.choices)
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    cadre = forms.ModelChoiceField(
        label=gettext_lazy("Cadre"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period = forms.ModelChoiceField(
        label=gettext_lazy("Period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        paths = office_admin_paths(user)
        self.fields["community"].queryset = communities().filter(path_prefix_q(paths, "path"))
        self.fields["cadre"].queryset = cadres_for(user)
        self.fields["period"].queryset = Period.objects.filter(
            start__gte=datetime.date(today.year - 2, 1, 1), start__lte=today
        ).order_by("-start", "kind")
        self.fields["period"].label_from_instance = lambda p: f"{p.get_kind_display()} · {p.label}"
        self.fields["cadre"].label_from_instance = _cadre_label
        self.fields["date"].widget.attrs.update(
            min=EARLIEST_RECORD.isoformat(), max=today.isoformat()
        )
        self.today = today

    def clean_date(self) -> datetime.date:
        day = self.cleaned_data["date"]
        if day > self.today:
            raise forms.ValidationError(_("The date cannot be in the future."))
        if day < EARLIEST_RECORD:
            # Nothing was assessed then: such a date is a typing slip (0026 for 2026).
            raise forms.ValidationError(
                _("The date cannot be before %(day)s.")
                % {"day": date_format(EARLIEST_RECORD, "DATE_FORMAT")}
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("community") and not data.get("cadre") and not self.has_error("community"):
            raise forms.ValidationError(_("Name the community, the cadre, or both."))
        return data


def _cadre_label(user: User) -> str:
    name = str(user)
    return f"{name} ({user.username})" if name != user.username else name


class CircularNewForm(StyledForm):
    """A new draft: which week it reports, and which territory.

    Offered: the recent weeks that have ended (publishing closes the week, which
    must be over) and still lack a published circular for some scope, newest first
    (the default). The list may be empty: every recent week is published, and the
    next one can be drafted on `next_day`, the Monday after the current week.
    """

    period = forms.ChoiceField(
        label=gettext_lazy("Week"),
        error_messages={"invalid_choice": gettext_lazy("Choose a week from the list.")},
    )
    scope = forms.ModelChoiceField(label=gettext_lazy("Covers"), queryset=Region.objects.none())

    def __init__(self, *args: Any, today: datetime.date, scopes: QuerySet[Region], **kwargs: Any):
        super().__init__(*args, **kwargs)
        finished = recent_starts(PeriodKind.WEEK, today)[1:9]
        scope_ids = list(scopes.values_list("pk", flat=True))
        self.published: set[tuple[datetime.date, int]] = set(
            Circular.objects.filter(
                status=CircularStatus.PUBLISHED,
                period__kind=PeriodKind.WEEK,
                period__start__in=finished,
                scope_id__in=scope_ids,
            ).values_list("period__start", "scope_id")
        )
        self.open_weeks = [
            s for s in finished if any((s, pk) not in self.published for pk in scope_ids)
        ]
        self.next_day = span(PeriodKind.WEEK, today)[1]
        # Every finished week is valid input (a published one gets the reason, in clean()),
        # but only the open ones are offered.
        self.fields["period"].choices = period_choices(PeriodKind.WEEK, finished, today)
        self.fields["period"].widget.choices = period_choices(
            PeriodKind.WEEK, self.open_weeks, today
        )
        if self.open_weeks:
            self.fields["period"].initial = self.open_weeks[0].isoformat()
        self.fields["scope"].queryset = scopes
        if len(scope_ids) == 1:
            self.fields["scope"].initial = scope_ids[0]
            self.fields["scope"].widget = forms.HiddenInput()

    def clean_period(self) -> datetime.date:
        return datetime.date.fromisoformat(self.cleaned_data["period"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, scope = data.get("period"), data.get("scope")
        if start is not None and scope is not None and (start, scope.pk) in self.published:
            self.add_error(
                "period",
                _("The circular for %(period)s is already published.")
                % {"period": period_label(PeriodKind.WEEK, start)},
            )
        return data


class CircularForm(StyledForm):
    """A draft's wording. The figures are not edited here: they come from the period."""

    number = forms.CharField(label=gettext_lazy("Document number"), max_length=60)
    title = forms.CharField(label=gettext_lazy("Document title"), max_length=200)
    issuing_body = forms.CharField(label=gettext_lazy("Issuing body"), max_length=100)
    issue_date = forms.DateField(
        label=gettext_lazy("Date of issue"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    narrative = forms.CharField(
        label=gettext_lazy("Body text"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput(), min_value=1)


class VersionForm(StyledForm):
    """The version a page was shown with, for buttons that change state (publish)."""

    version = forms.IntegerField(widget=forms.HiddenInput(), min_value=1)
