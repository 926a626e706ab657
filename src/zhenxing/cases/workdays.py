"""Working days and deadlines: the plain week, corrected by the holiday calendar table."""

from __future__ import annotations

import datetime

from django.utils import timezone

from zhenxing.cases.models import Category, Holiday, TimeLimitUnit

# Generous enough for the longest run of public holidays (the Spring Festival
# with its weekends) beside any time limit we set.
_LOOKAHEAD_SLACK_DAYS = 40


def _calendar(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    return dict(
        Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
    )


def is_working_day(day: datetime.date, calendar: dict[datetime.date, bool] | None = None) -> bool:
    if calendar is None:
        calendar = _calendar(day, day)
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """The same local time of day on the `days`-th working day after `start`'s date.

    A time limit of 3 working days set on a Friday afternoon ends on
    Wednesday afternoon; a holiday in between moves it on by a day.
    """
    local = timezone.localtime(start)
    calendar = _calendar(
        local.date(), local.date() + datetime.timedelta(days=days * 2 + _LOOKAHEAD_SLACK_DAYS)
    )
    return add_working_days_in(calendar, start, days)


def add_working_days_in(
    calendar: dict[datetime.date, bool], start: datetime.datetime, days: int
) -> datetime.datetime:
    """`add_working_days` over a calendar already in hand ({date: is_workday}), no query.

    For bulk work (the demo loader) that reads the holiday table once.
    """
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day, calendar):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def deadline_for(category: Category, start: datetime.datetime) -> datetime.datetime:
    """When a case of this category dispatched at `start` must be rectified."""
    if category.time_limit_unit == TimeLimitUnit.HOURS:
        return start + datetime.timedelta(hours=category.time_limit)
    return add_working_days(start, category.time_limit)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    calendar = _calendar(start, end)
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
    return count
