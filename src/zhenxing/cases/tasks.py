"""Periodic job of the case loop: escalate overdue cases (DOMAIN.md §3).

Registered with `core.periodic` on import; `CasesConfig.ready()` imports this
module, so the worker's scheduler always sees the job.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django_tasks import task

from zhenxing.core import periodic

ESCALATION_EVERY = datetime.timedelta(minutes=15)


@task()
def escalate_overdue_cases() -> int:
    """Raise overdue cases to the office, and later onto the joint meeting's agenda.

    Safe to run at any time and more than once: each level is raised once
    per case, and the notifications go out after each escalation commits.
    Returns how many escalations were raised.
    """
    from zhenxing.cases.services import escalate_overdue

    meeting_after = datetime.timedelta(hours=settings.ZHENXING_ESCALATE_TO_MEETING_AFTER_HOURS)
    return len(escalate_overdue(meeting_after=meeting_after))


periodic.register("escalate_overdue_cases", escalate_overdue_cases, ESCALATION_EVERY)
