"""Periods as calendar spans: ISO weeks (Monday first), months, quarters and years."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _


def span(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The [start, end) of the period of `kind` that contains `day`."""
    if kind == "week":
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=7)
    if kind == "month":
        start = day.replace(day=1)
        return start, _add_months(start, 1)
    if kind == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        return start, _add_months(start, 3)
    if kind == "year":
        start = day.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)
    raise ValueError(f"unknown period kind {kind!r}")


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def previous_start(kind: str, start: datetime.date) -> datetime.date:
    """The first day of the period before the one starting on `start`."""
    return span(kind, start - datetime.timedelta(days=1))[0]


def period_label(kind: str, start: datetime.date) -> str:
    """2026年第48周 / 2026年11月 / 2026年第4季度 / 2026年 (in English: 2026-W48, 2026-11, …)."""
    if kind == "week":
        year, week, _day = start.isocalendar()
        return _("%(year)d week %(week)d") % {"year": year, "week": week}
    if kind == "month":
        return _("%(year)d-%(month)02d") % {"year": start.year, "month": start.month}
    if kind == "quarter":
        return _("%(year)d Q%(quarter)d") % {"year": start.year, "quarter": (start.month + 2) // 3}
    return _("Year %(year)d") % {"year": start.year}
