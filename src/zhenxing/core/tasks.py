from __future__ import annotations

import datetime

from django.core.management import call_command
from django_tasks import task

from zhenxing.core import periodic


@task()
def prune_task_results() -> None:
    """Drop finished background-task rows older than a week so the queue table stays small."""
    call_command("prune_db_task_results", min_age_days=7, verbosity=0)


periodic.register("prune_task_results", prune_task_results, datetime.timedelta(days=1))


@task()
def prune_rate_limits() -> None:
    """Drop rate-limit counters of windows that ended days ago; only live windows matter."""
    from zhenxing.core import ratelimit

    ratelimit.prune(older_than=datetime.timedelta(days=2))


periodic.register("prune_rate_limits", prune_rate_limits, datetime.timedelta(days=1))
