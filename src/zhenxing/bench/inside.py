"""The bench's work inside Django, on the bench database (`zhenxing bench --internal ...`).

The bench itself talks to a live server; what needs the ORM runs here, in a
child process whose DATABASE_URL names the scale's database:

- `prepare`: migrate, seed when asked, and gather what the measurements need
  (an API token, the campaign, the weeks, the viewers' scopes, the places to
  file cases at) as a JSON plan;
- `circular`: time the generation of one weekly circular (see `time_circular`).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

ADMIN = "admin"
SECRETARY = "secretary"
# Cases are filed at the centres of this many areas in turn, so that intake does
# not hit one area's rows only.
INTAKE_PLACES = 20


def seeded(scale: int) -> bool:
    """Whether the database holds the demo and its N-1 scaled copies, with cases."""
    from zhenxing.cases.models import Case
    from zhenxing.demo.generator import SCALED_PREFIX
    from zhenxing.territory.models import Region

    roots = set(Region.objects.filter(parent__isnull=True).values_list("code", flat=True))
    wanted = {"GC"} | {f"{SCALED_PREFIX}{i:03d}" for i in range(2, scale + 1)}
    return wanted <= roots and Case.objects.exists()


def prepare(*, scale: int, seed: bool) -> dict[str, Any]:
    from zhenxing.assessment import indicators
    from zhenxing.assessment.models import Period, PeriodKind, UnitKind
    from zhenxing.assessment.periods import previous_start, span
    from zhenxing.assessment.services import period_close, period_for
    from zhenxing.cases.models import Category
    from zhenxing.people.models import User
    from zhenxing.people.scopes import scope_paths
    from zhenxing.people.tokens import token_create
    from zhenxing.plans.models import Campaign, monday_of
    from zhenxing.plans.selectors import week_options
    from zhenxing.territory.models import Region, area_depth

    call_command("migrate", verbosity=0)
    seed_seconds = None
    if seed or not seeded(scale):
        began = time.perf_counter()
        call_command("seed_demo", "--scale", str(scale))
        seed_seconds = time.perf_counter() - began
    # Statistics as autovacuum would leave them some minutes after a bulk load: a plan
    # made on an empty table's statistics would time the planner's ignorance instead.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = User.objects.get(username=ADMIN)
    secretary = User.objects.get(username=SECRETARY)
    _token, plain = token_create(
        user=admin, name=f"bench {timezone.now():%Y-%m-%d %H:%M:%S}", actor=None
    )

    today = timezone.localdate()
    campaign = Campaign.objects.filter(is_active=True).first()
    week = monday_of(today)
    task_type_ids: list[int] = []
    if campaign is not None:
        weeks = week_options(campaign, today)
        week = week if week in weeks else weeks[-1]
        task_type_ids = list(campaign.task_types.values_list("pk", flat=True))

    # The ranking of a closed past week: the latest closed one, else the last finished
    # week closed now (what the office does every Monday), so snapshots are read.
    closed = (
        Period.objects.filter(kind=PeriodKind.WEEK, closed_at__isnull=False)
        .order_by("-start")
        .first()
    )
    closed_now = False
    if closed is None:
        last = previous_start(PeriodKind.WEEK, span(PeriodKind.WEEK, today)[0])
        closed = period_close(period=period_for(kind=PeriodKind.WEEK, day=last), actor=admin)
        closed_now = True
    trend_periods, _series = indicators.trend(
        unit_kind=UnitKind.COMMUNITY, period_kind=PeriodKind.WEEK, last_start=closed.start, count=8
    )

    depth = area_depth()
    places = list(
        Region.objects.filter(depth=depth, path__startswith="GC/", centroid_lat__isnull=False)
        .order_by("path")
        .values("pk", "path", "code", "centroid_lat", "centroid_lng")[:INTAKE_PLACES]
    )
    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk").first()
    last_finished = previous_start(PeriodKind.WEEK, span(PeriodKind.WEEK, today)[0])
    counts = _counts()
    return {
        "scale": scale,
        "seed_seconds": seed_seconds,
        "token": plain,
        "campaign": campaign.code if campaign else None,
        "task_type_ids": task_type_ids,
        "week": week.isoformat(),
        "depth": depth,
        "admin_paths": scope_paths(admin),
        "secretary_paths": scope_paths(secretary),
        "ranking": {
            "period_start": closed.start.isoformat(),
            "closed_now": closed_now,
            "unit_kind": UnitKind.COMMUNITY.value,
            "starts": [p.start.isoformat() for p in trend_periods],
        },
        "circular": {"period_start": last_finished.isoformat(), "scope": "GC"},
        "places": [
            {
                "id": p["pk"],
                "path": p["path"],
                "code": p["code"],
                "lat": p["centroid_lat"],
                "lng": p["centroid_lng"],
            }
            for p in places
        ],
        "category": {"id": category.pk, "code": category.code} if category else None,
        "counts": counts,
    }


def _counts() -> dict[str, int]:
    """The size of the data, for the report (estimates would do, but these are exact)."""
    from zhenxing.cases.models import Case, CaseEvent
    from zhenxing.inspections.models import Inspection
    from zhenxing.plans.models import ProgressReport
    from zhenxing.territory.models import Region, area_depth

    return {
        "areas": Region.objects.filter(depth=area_depth()).count(),
        "cases": Case.objects.count(),
        "case_events": CaseEvent.objects.count(),
        "inspections": Inspection.objects.count(),
        "progress_reports": ProgressReport.objects.count(),
    }


def time_circular(*, period_start: str, scope: str, runs: int) -> dict[str, Any]:
    """Generate the circular of a finished week `runs` times and time each step.

    Timed: what drafting a circular computes (`circulars._compute`: the ranking,
    the areas, the black spots, the lists, the incentives) and its default text,
    then its DOCX (`documents.circular_docx`, which computes the figures again,
    as the download of a draft does). Not timed: Django's start-up. An unsaved
    draft is used, so nothing is written and a published week can be measured
    too (the real draft POST refuses a week whose circular is published).
    """
    from django.conf import settings
    from django.utils import translation

    from zhenxing.assessment import circulars, documents
    from zhenxing.assessment.models import Circular, PeriodKind
    from zhenxing.assessment.services import period_for
    from zhenxing.territory.models import Region

    period = period_for(kind=PeriodKind.WEEK, day=datetime.date.fromisoformat(period_start))
    root = Region.objects.get(code=scope)
    results = []
    for _i in range(runs):
        with transaction.atomic():
            began = time.perf_counter()
            with translation.override(settings.LANGUAGE_CODE):
                draft = Circular(
                    period=period,
                    scope=root,
                    number=circulars.default_number(period),
                    title=circulars.default_title(period, root),
                    issuing_body=circulars.default_issuing_body(root),
                    issue_date=timezone.localdate(),
                )
                draft.narrative = circulars.default_narrative(circulars._compute(draft))
            drafted = time.perf_counter()
            docx = documents.circular_docx(draft)
            done = time.perf_counter()
            transaction.set_rollback(True)
        results.append(
            {
                "draft_ms": round((drafted - began) * 1000, 1),
                "docx_ms": round((done - drafted) * 1000, 1),
                "total_ms": round((done - began) * 1000, 1),
                "docx_bytes": len(docx),
            }
        )
    return {"period_start": period.start.isoformat(), "scope": scope, "runs": results}
