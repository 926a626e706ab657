"""Working days follow the holiday table; hour limits follow the clock."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from zhenxing.cases.models import Category, Holiday, TimeLimitUnit
from zhenxing.cases.workdays import (
    add_working_days,
    deadline_for,
    is_working_day,
    working_days_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def national_day_2026(db):
    """国庆节 2026: 1–7 October off; Sunday 20 September and Saturday 10 October worked."""
    for day in range(1, 8):
        Holiday.objects.create(date=datetime.date(2026, 10, day), name="国庆节")
    Holiday.objects.create(date=datetime.date(2026, 9, 20), is_workday=True, name="国庆节调休")
    Holiday.objects.create(date=datetime.date(2026, 10, 10), is_workday=True, name="国庆节调休")


def test_plain_week(db):
    assert is_working_day(datetime.date(2026, 3, 6))  # Friday
    assert not is_working_day(datetime.date(2026, 3, 7))  # Saturday
    assert not is_working_day(datetime.date(2026, 3, 8))  # Sunday


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (at(2026, 3, 2), 2, at(2026, 3, 4)),  # Monday → Wednesday
        (at(2026, 3, 6, 15, 30), 1, at(2026, 3, 9, 15, 30)),  # Friday → Monday
        (at(2026, 3, 6, 15, 30), 3, at(2026, 3, 11, 15, 30)),  # Friday → Wednesday
        (at(2026, 3, 7), 1, at(2026, 3, 9)),  # set on a Saturday → Monday
        (at(2026, 3, 2), 5, at(2026, 3, 9)),  # a working week
        (at(2026, 3, 2), 0, at(2026, 3, 2)),
    ],
)
def test_add_working_days_over_weekends(db, start, days, expected):
    assert add_working_days(start, days) == expected


def test_the_local_date_counts_not_the_utc_one(db):
    # 20:00 UTC on Friday is 04:00 on Saturday in Shanghai: one working day is Monday 04:00.
    start = datetime.datetime(2026, 3, 6, 20, 0, tzinfo=datetime.UTC)
    assert add_working_days(start, 1) == at(2026, 3, 9, 4, 0)


def test_holiday_table_drives_the_calendar(national_day_2026):
    assert not is_working_day(datetime.date(2026, 10, 1))  # Thursday, a holiday
    assert is_working_day(datetime.date(2026, 10, 10))  # Saturday, made a working day
    assert is_working_day(datetime.date(2026, 9, 20))  # Sunday, made a working day
    assert not is_working_day(datetime.date(2026, 10, 11))  # an ordinary Sunday


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # Wednesday 30 September: the holiday week does not count.
        (at(2026, 9, 30), 1, at(2026, 10, 8)),
        (at(2026, 9, 30), 2, at(2026, 10, 9)),
        # The make-up Saturday is a working day...
        (at(2026, 9, 30), 3, at(2026, 10, 10)),
        # ...and the Sunday after it is not.
        (at(2026, 9, 30), 4, at(2026, 10, 12)),
        # Set during the holiday: the first working day after it.
        (at(2026, 10, 3), 1, at(2026, 10, 8)),
        # Friday 18 September: the make-up Sunday 20 September counts.
        (at(2026, 9, 18), 1, at(2026, 9, 20)),
        (at(2026, 9, 18), 2, at(2026, 9, 21)),
    ],
)
def test_add_working_days_over_national_day_2026(national_day_2026, start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_days_between(national_day_2026):
    assert working_days_between(datetime.date(2026, 9, 30), datetime.date(2026, 10, 12)) == 4
    assert working_days_between(datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)) == 5
    assert working_days_between(datetime.date(2026, 3, 9), datetime.date(2026, 3, 2)) == 0


def test_deadline_for_working_days_and_hours(national_day_2026):
    days = Category(time_limit=2, time_limit_unit=TimeLimitUnit.WORKING_DAYS)
    hours = Category(time_limit=24, time_limit_unit=TimeLimitUnit.HOURS)
    # Working days skip the holiday; hours run through it.
    assert deadline_for(days, at(2026, 9, 30, 16)) == at(2026, 10, 9, 16)
    assert deadline_for(hours, at(2026, 9, 30, 16)) == at(2026, 10, 1, 16)
    assert deadline_for(hours, at(2026, 10, 3, 8, 30)) == at(2026, 10, 4, 8, 30)
    short = Category(time_limit=4, time_limit_unit=TimeLimitUnit.HOURS)
    assert deadline_for(short, at(2026, 3, 6, 22)) == at(2026, 3, 7, 2)
