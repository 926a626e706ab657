"""The figures of party members' posts: by community, by party organisation and by member.

For a period (a month, or a whole year) and the viewer's scope:

- posts active at the period's end, and the members holding one then
  (distinct), at the end of its last day (or today, for a period not yet over);
- patrols in the period (person-times, 人次) and the members who patrolled (distinct);
- problems found by party members: cases with source "party-member patrol"
  reported in the period.

A patrol counts where and for whom it happened (`Patrol.region_path` and
`Patrol.organization`, copied when it was recorded); a case counts in the
community it lies in, and for the organisation of the patrol it came from,
else of the member who filed it. Everything is counted by the database in a
few GROUP BY queries; the totals are counted there too (a distinct count is
not the sum of distinct counts).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Case, Source
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.people.permissions import (
    communities_visible_to,
    party_organizations_visible_to,
    roster_paths,
)
from zhenxing.posts.models import Post, PostClaim
from zhenxing.posts.permissions import claims_visible_to, patrols_visible_to, posts_visible_to
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q

# The member table lists the most active members; the export holds them all.
MEMBER_ROWS_SHOWN = 200


@dataclass(frozen=True)
class Period:
    """A month or a whole year, in local dates (`end` inclusive)."""

    start: datetime.date
    end: datetime.date
    value: str  # "2026-03" or "2026": what the filter sends

    @property
    def is_year(self) -> bool:
        return len(self.value) == 4

    @property
    def reference_day(self) -> datetime.date:
        """The day "at the period's end" means: its last day, or today while it runs."""
        return min(self.end, timezone.localdate())

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes in the platform's time zone."""
        start = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))
        after = self.end + datetime.timedelta(days=1)
        return start, timezone.make_aware(datetime.datetime.combine(after, datetime.time.min))


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(
        datetime.date(year, month, 1), datetime.date(year, month, last), f"{year:04d}-{month:02d}"
    )


def year_period(year: int) -> Period:
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31), f"{year:04d}")


def parse_period(value: str | None) -> Period | None:
    """ "YYYY-MM" → that month, "YYYY" → that year; None for anything else."""
    value = (value or "").strip()
    try:
        if len(value) == 7 and value[4] == "-":
            year, month = int(value[:4]), int(value[5:])
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return month_period(year, month)
        elif len(value) == 4:
            year = int(value)
            if 2000 <= year <= 2100:
                return year_period(year)
    except ValueError:
        return None
    return None


def this_month() -> Period:
    today = timezone.localdate()
    return month_period(today.year, today.month)


@dataclass
class Row:
    """One line of a table. `posts` and `holders` are at the period's end."""

    key: Any
    label: str
    code: str = ""
    posts: int = 0
    holders: int = 0
    patrols: int = 0
    patrollers: int = 0
    problems: int = 0


@dataclass
class MemberRow:
    member: PartyMember
    patrols: int = 0
    problems: int = 0


@dataclass
class Figures:
    period: Period
    communities: list[Row]
    organizations: list[Row]
    total: Row
    members: list[MemberRow] = field(default_factory=list)
    member_count: int = 0  # every member with a patrol or a problem, shown or not

    @property
    def members_cut(self) -> bool:
        return self.member_count > len(self.members)


# --- the querysets in scope -----------------------------------------------------


def _held_on(day: datetime.date) -> Q:
    """A claim held at the end of `day`: a claim ending that day no longer is."""
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def posts_active_on(posts: QuerySet[Post], day: datetime.date) -> QuerySet[Post]:
    """Posts open at the end of `day`: not retired by then, and opened (or claimed) by then.

    A post imported later than its first claim (the demo, a roster typed in
    after the fact) counts from that claim.
    """
    end_of_day = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    claimed = PostClaim.objects.filter(post=OuterRef("pk"), started_on__lte=day)
    return posts.filter(Q(retired_on__isnull=True) | Q(retired_on__gt=day)).filter(
        Q(created_at__lt=end_of_day) | Exists(claimed)
    )


def _community_of(path_field: str, communities: Iterable[Region]) -> SqlCase:
    """The community's pk of a row, from its territory path, as one SQL CASE."""
    whens = [
        When(Q(**{f"{path_field}__startswith": c.path}), then=Value(c.pk)) for c in communities
    ]
    return SqlCase(*whens, default=None, output_field=IntegerField())


def _party_cases(user: Any, period: Period) -> QuerySet[Case]:
    start, end = period.bounds()
    paths = roster_paths(user)
    return Case.objects.filter(
        path_prefix_q(paths, "region_path"),
        source=Source.PARTY_PATROL,
        reported_at__gte=start,
        reported_at__lt=end,
    )


def _grouped(queryset: QuerySet[Any], key: Any, **counts: Any) -> dict[Any, dict[str, int]]:
    rows = queryset.annotate(k=key).values("k").annotate(**counts).order_by()
    return {row["k"]: row for row in rows}


def figures_for(user: Any, period: Period, *, with_members: bool = True) -> Figures:
    """Every cell of the three tables for `user`'s scope, counted by the database."""
    start, end = period.bounds()
    day = period.reference_day
    communities = list(communities_visible_to(user).order_by("path"))
    posts = posts_active_on(posts_visible_to(user), day)
    claims = claims_visible_to(user).filter(_held_on(day), post__in=posts.values("pk"))
    patrols = patrols_visible_to(user).filter(at__gte=start, at__lt=end)
    cases = _party_cases(user, period)

    # Totals over the whole scope, counted as such.
    total = Row(key=None, label=_("Total"))
    total.posts = posts.count()
    total.holders = claims.aggregate(n=Count("member", distinct=True))["n"]
    patrol_total = patrols.aggregate(n=Count("pk"), m=Count("member", distinct=True))
    total.patrols, total.patrollers = patrol_total["n"], patrol_total["m"]
    total.problems = cases.count()

    # By community.
    rows = {c.pk: Row(key=c.pk, label=c.name, code=c.code) for c in communities}
    if communities:
        by_posts = _grouped(posts, _community_of("region__path", communities), n=Count("pk"))
        by_claims = _grouped(
            claims,
            _community_of("post__region__path", communities),
            n=Count("member", distinct=True),
        )
        by_patrols = _grouped(
            patrols,
            _community_of("region_path", communities),
            n=Count("pk"),
            m=Count("member", distinct=True),
        )
        by_cases = _grouped(cases, _community_of("region_path", communities), n=Count("pk"))
        for pk, row in rows.items():
            row.posts = by_posts.get(pk, {}).get("n", 0)
            row.holders = by_claims.get(pk, {}).get("n", 0)
            row.patrols = by_patrols.get(pk, {}).get("n", 0)
            row.patrollers = by_patrols.get(pk, {}).get("m", 0)
            row.problems = by_cases.get(pk, {}).get("n", 0)

    # By party organisation: the member's organisation (for claims), the one
    # the patrol was recorded under, and for a case its patrol's, else its reporter's.
    org_claims = _grouped(claims, F("member__organization_id"), n=Count("member", distinct=True))
    org_patrols = _grouped(
        patrols, F("organization_id"), n=Count("pk"), m=Count("member", distinct=True)
    )
    org_cases = _grouped(
        cases,
        Coalesce("post_link__patrol__organization_id", "reporter__party_member__organization_id"),
        n=Count("pk"),
    )
    orgs = list(party_organizations_visible_to(user).order_by("path"))
    seen = {o.pk for o in orgs}
    extra = ({*org_claims, *org_patrols, *org_cases} - seen) - {None}
    if extra:
        # Counted in scope under an organisation the viewer does not list
        # (one moved elsewhere since): shown, so the rows add up to the total.
        orgs += list(PartyOrganization.objects.filter(pk__in=extra).order_by("path"))
    org_rows = [Row(key=o.pk, label=o.name, code=o.code) for o in orgs]
    if None in org_claims or None in org_patrols or None in org_cases:
        org_rows.append(Row(key=None, label=_("No party organisation")))
    for row in org_rows:
        row.holders = org_claims.get(row.key, {}).get("n", 0)
        row.patrols = org_patrols.get(row.key, {}).get("n", 0)
        row.patrollers = org_patrols.get(row.key, {}).get("m", 0)
        row.problems = org_cases.get(row.key, {}).get("n", 0)

    figures = Figures(
        period=period,
        communities=list(rows.values()),
        organizations=org_rows,
        total=total,
    )
    if with_members:
        figures.members, figures.member_count = member_rows(patrols, cases, limit=MEMBER_ROWS_SHOWN)
    return figures


def member_rows(
    patrols: QuerySet[Any], cases: QuerySet[Case], *, limit: int | None
) -> tuple[list[MemberRow], int]:
    """Members with a patrol or a problem found in the period, the most active first."""
    per_member = {
        row["member_id"]: row["n"]
        for row in patrols.values("member_id").annotate(n=Count("pk")).order_by()
    }
    problems = _grouped(
        cases, Coalesce("post_link__patrol__member_id", "reporter__party_member__id"), n=Count("pk")
    )
    problems.pop(None, None)
    keys = {*per_member, *problems}
    members = {
        m.pk: m
        for m in PartyMember.objects.filter(pk__in=keys).select_related("organization", "region")
    }
    rows = [
        MemberRow(
            member=members[pk],
            patrols=per_member.get(pk, 0),
            problems=problems.get(pk, {}).get("n", 0),
        )
        for pk in keys
        if pk in members
    ]
    rows.sort(key=lambda r: (-r.patrols, -r.problems, r.member.name, r.member.pk))
    return (rows if limit is None else rows[:limit]), len(rows)


def all_member_rows(user: Any, period: Period) -> list[MemberRow]:
    """The member table whole, for the export."""
    start, end = period.bounds()
    patrols = patrols_visible_to(user).filter(at__gte=start, at__lt=end)
    return member_rows(patrols, _party_cases(user, period), limit=None)[0]
