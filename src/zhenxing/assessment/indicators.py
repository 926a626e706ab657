"""The assessment engine: indicators, composite scores and rankings (DOMAIN.md §4).

Every figure is computed from the case events and inspection rows, never
from a case's *current* fields alone: a case's status, deadline and
assigned department *at a moment* are replayed from its `CaseEvent`s, so a
past period computed today reads as it did when the period ended (a case
overdue at the end of last week and closed since still counts as overdue
last week). The exact definitions are in docs/assessment.md.

`compute` runs a fixed number of queries whatever the number of units: it
fetches the period's case rows and their events with `values()` once and
sorts them to units in Python by territory path (or by department, or to
the party members who held the post the case was raised at).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.assessment.models import (
    Indicator,
    IndicatorWeight,
    ListKind,
    ListRule,
    Period,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.periods import previous_start, span
from zhenxing.cases.models import CLOCK_STATES, FINAL_STATES, Case, CaseEvent, EventKind, Status
from zhenxing.core import audit
from zhenxing.inspections.models import Inspection
from zhenxing.people.models import Department, PartyMember
from zhenxing.posts.models import PostCase, PostClaim
from zhenxing.territory.models import PATH_SEP, Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH, path_codes, path_prefix_q

# Lower is better for these: their composite score is (1 − rate) · 100.
LOWER_IS_BETTER = frozenset({Indicator.REWORK_RATE, Indicator.OVERDUE_RATE, Indicator.RELAPSE_RATE})

# The weights a fresh installation starts with (configuration: edit the scheme in the admin).
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    Indicator.CLOSURE_RATE: Decimal("15"),
    Indicator.ON_TIME_RATE: Decimal("15"),
    Indicator.REWORK_RATE: Decimal("10"),
    Indicator.OVERDUE_RATE: Decimal("15"),
    Indicator.RELAPSE_RATE: Decimal("10"),
    Indicator.INSPECTION_SCORE: Decimal("25"),
    Indicator.PARTICIPATION: Decimal("10"),
}

TWO_PLACES = Decimal("0.01")

# Why a unit is below the scheme's minimum of evidence and so not ranked (`UnitResult.shortfall`).
SHORT_OF_INSPECTION = "no_inspection"  # the scheme requires an inspection score; it has none
SHORT_OF_CASES = "few_cases"  # no inspection score and fewer cases than `min_cases_to_rank`
# The evidence entry that carries the shortfall into a snapshot (ScoreSnapshot.evidence): a
# list like every other entry, present only for a unit below the bar. Its name cannot clash
# with the indicators' "<indicator>.num" / "<indicator>.den" entries.
SHORTFALL_KEY = "rank.shortfall"

# Units the covert inspections do not score (they inspect areas): no inspection score.
NOT_INSPECTED = frozenset({UnitKind.DEPARTMENT, UnitKind.POST_HOLDER})


@dataclass(frozen=True)
class Unit:
    kind: str  # UnitKind
    key: str  # region code, department code, or a post holder's member pk (as text)
    name: str
    path: str  # region path (a post holder's: their community's); "" for a department
    pk: int


@dataclass
class IndicatorValue:
    num: float | int | None  # numerator (count, or sum of scores)
    den: float | int | None  # denominator (count)
    # The indicator (rate 0..1, inspection score 0..100, participation per 1,000);
    # None when den == 0 / no data.
    value: float | None
    # The value on a 0..100 "higher is better" scale for the composite.
    score: float | None

    def as_json(self) -> dict[str, Any]:
        return {"num": self.num, "den": self.den, "value": self.value, "score": self.score}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndicatorValue:
        return cls(
            num=data.get("num"),
            den=data.get("den"),
            value=data.get("value"),
            score=data.get("score"),
        )


@dataclass
class UnitResult:
    unit: Unit
    values: dict[str, IndicatorValue]  # keyed by Indicator value
    composite: Decimal | None  # weighted mean of the present scores (2 places)
    # 1-based competition rank ("1,2,2,4"); None if no composite or below the evidence bar.
    rank: int | None
    # {"<indicator>.num": [case numbers or inspection ids], "<indicator>.den": [...]}, plus
    # SHORTFALL_KEY for a unit below the bar.
    evidence: dict[str, list] = field(default_factory=dict)
    # Below the scheme's minimum of evidence (数据不足): it keeps its figures and composite
    # but is not ranked and never listed red or black. `shortfall` says why.
    insufficient: bool = False
    shortfall: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return self.rank is not None


# --- schemes --------------------------------------------------------------------


def active_scheme() -> Scheme:
    """The scheme in force; a first call on a fresh database creates the default one."""
    scheme = Scheme.objects.filter(is_active=True).first()
    if scheme is not None:
        return scheme
    name = _("Default scheme")
    if Scheme.objects.filter(name=name).exists():
        # An inactive scheme of that name was kept: the new one must not clash with it.
        name = f"{name} {timezone.localdate():%Y-%m-%d}"
    try:
        with transaction.atomic():
            scheme = Scheme.objects.create(
                name=name,
                is_active=True,
                note=_("Created automatically with the default weights; edit them in the admin."),
            )
            IndicatorWeight.objects.bulk_create(
                IndicatorWeight(scheme=scheme, indicator=k, weight=w)
                for k, w in DEFAULT_WEIGHTS.items()
            )
            audit.record(
                actor=None,
                action="assessment.scheme_default",
                obj=scheme,
                summary=_("Default assessment scheme created"),
                changes={k: str(w) for k, w in DEFAULT_WEIGHTS.items()},
            )
    except IntegrityError:
        # Another request created it meanwhile (one active scheme at most).
        return Scheme.objects.get(is_active=True)
    return scheme


def scheme_weights(scheme: Scheme) -> dict[str, Decimal]:
    return dict(scheme.weights.order_by().values_list("indicator", "weight"))


# --- units ----------------------------------------------------------------------


def _depth_of(kind: str) -> int:
    if kind == UnitKind.COMMUNITY:
        return COMMUNITY_DEPTH
    if kind == UnitKind.AREA:
        return area_depth()
    raise ValueError(f"{kind!r} is not a territorial unit kind")


def units_of(kind: str, paths: list[str] | None = None) -> list[Unit]:
    """The units of `kind`: communities or areas under `paths` (None: all), or every department,
    or the party members holding a post under `paths` today.

    Departments have no territory, so `paths` does not narrow them.
    """
    if kind == UnitKind.DEPARTMENT:
        return _department_units()
    if kind == UnitKind.POST_HOLDER:
        return _post_holder_units(paths)
    return _region_units(kind, _depth_of(kind), paths)


def _post_holder_units(paths: list[str] | None, today: datetime.date | None = None) -> list[Unit]:
    """Party members holding at least one active post under `paths` today, by community and name.

    A member who held posts only in the past is not assessed any more: the
    figures are about the people on duty now.
    """
    today = today or timezone.localdate()
    holding = (
        PostClaim.objects.filter(
            post__is_active=True,
            started_on__lte=today,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .filter(path_prefix_q(paths, "post__region__path"))
    )
    rows = (
        PartyMember.objects.filter(pk__in=holding.values("member_id"))
        .order_by("region__path", "name", "pk")
        .values_list("pk", "name", "region__path")
    )
    return [
        Unit(kind=UnitKind.POST_HOLDER, key=str(pk), name=name, path=path, pk=pk)
        for pk, name, path in rows
    ]


def _department_units() -> list[Unit]:
    rows = Department.objects.order_by("code").values_list("pk", "code", "name")
    return [
        Unit(kind=UnitKind.DEPARTMENT, key=code, name=name, path="", pk=pk)
        for pk, code, name in rows
    ]


def _region_units(kind: str, depth: int, paths: list[str] | None) -> list[Unit]:
    rows = (
        Region.objects.filter(depth=depth)
        .filter(path_prefix_q(paths, "path"))
        .order_by("path")
        .values_list("pk", "code", "name", "path")
    )
    return [Unit(kind=kind, key=code, name=name, path=path, pk=pk) for pk, code, name, path in rows]


def unit_for(kind: str, key: str) -> Unit | None:
    """The unit of `kind` with this code, or None."""
    if kind == UnitKind.DEPARTMENT:
        dept = Department.objects.filter(code=key).values_list("pk", "code", "name").first()
        if dept is None:
            return None
        return Unit(kind=kind, key=dept[1], name=dept[2], path="", pk=dept[0])
    if kind == UnitKind.POST_HOLDER:
        return _post_holder_for(key)
    if kind not in (UnitKind.COMMUNITY, UnitKind.AREA):
        return None
    row = (
        Region.objects.filter(code=key, depth=_depth_of(kind))
        .values_list("pk", "code", "name", "path")
        .first()
    )
    if row is None:
        return None
    return Unit(kind=kind, key=row[1], name=row[2], path=row[3], pk=row[0])


def _post_holder_for(key: str) -> Unit | None:
    """The member with this pk if they have ever held a post (else None: not a post holder).

    Looser than `units_of`, which lists today's holders only: a closed
    period's snapshot may name a member who has left their post since, and
    their figures stay open to explanation.
    """
    if not key.isascii() or not key.isdigit() or len(key) > 18:
        return None
    row = (
        PartyMember.objects.filter(pk=int(key), post_claims__isnull=False)
        .values_list("pk", "name", "region__path")
        .first()
    )
    if row is None:
        return None
    return Unit(kind=UnitKind.POST_HOLDER, key=str(row[0]), name=row[1], path=row[2], pk=row[0])


def post_holders_of_cases(case_ids: Iterable[int], members: Iterable[int]) -> dict[int, list[int]]:
    """case pk → the members (among `members`) who held the case's post when it was reported.

    A case raised at a post (`PostCase`: found on a patrol, or reported by a
    resident at the sign) is the responsibility of everyone holding that post
    on the local day it was reported; a claim that started later or had
    ended before does not make it theirs. Two queries.
    """
    links = list(
        PostCase.objects.filter(case_id__in=list(case_ids)).values_list(
            "case_id", "post_id", "case__reported_at"
        )
    )
    if not links:
        return {}
    claims: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = defaultdict(list)
    for post_id, member_id, started_on, ended_on in PostClaim.objects.filter(
        post_id__in={post_id for _case, post_id, _at in links}, member_id__in=list(members)
    ).values_list("post_id", "member_id", "started_on", "ended_on"):
        claims[post_id].append((member_id, started_on, ended_on))
    holders: dict[int, list[int]] = {}
    for case_id, post_id, reported_at in links:
        day = timezone.localtime(reported_at).date()
        held = sorted(
            {
                member_id
                for member_id, started_on, ended_on in claims.get(post_id, [])
                if started_on <= day and (ended_on is None or day <= ended_on)
            }
        )
        if held:
            holders[case_id] = held
    return holders


# --- time -----------------------------------------------------------------------


def bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    """The period's [start, end) as instants: local midnights in the site's time zone."""
    tz = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(period.end, datetime.time.min, tzinfo=tz),
    )


def _instant(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


# --- a case replayed from its events ----------------------------------------------


class CaseHistory:
    """One case and its events before the period's end, to ask what it was at a moment."""

    __slots__ = ("row", "events", "has_status_events")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.events: list[dict[str, Any]] = []
        self.has_status_events = False

    def add(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event["to_status"]:
            self.has_status_events = True

    def status_at(self, moment: datetime.datetime) -> str | None:
        """The status just before `moment`; None if the case did not exist yet.

        From the last event that set a status (`to_status` non-empty). A case
        written without events (never by the services) falls back to its
        current status.
        """
        if self.row["reported_at"] >= moment:
            return None
        status = None
        for event in self.events:
            if event["at"] >= moment:
                break
            if event["to_status"]:
                status = event["to_status"]
        if status is None and not self.has_status_events:
            return self.row["status"]
        return status

    def deadline_at(self, moment: datetime.datetime) -> datetime.datetime | None:
        """The deadline in force just before `moment`.

        Each dispatch, approved extension and resumption records the deadline
        it set in its event's data; an approved send-back clears it. Until the
        first such event the case's current deadline stands in (a deadline set
        after the period's end lies after it, so it cannot make a case due or
        overdue in the period).
        """
        deadline = self.row["deadline"]
        for event in self.events:
            if event["at"] >= moment:
                break
            data = event["data"] or {}
            if "deadline" in data:
                deadline = _instant(data["deadline"])
            elif _is_send_back(event):
                deadline = None
        return deadline

    def department_at(self, moment: datetime.datetime) -> int | None:
        """The department the case was assigned to just before `moment` (by its dispatches)."""
        department = self.row["assigned_department_id"]
        for event in self.events:
            if event["at"] >= moment:
                break
            data = event["data"] or {}
            if event["kind"] == EventKind.DISPATCHED and "to_kind" in data:
                department = data.get("to_id") if data["to_kind"] == "department" else None
            elif _is_send_back(event):
                department = None
        return department

    def any_event(
        self, kind: str, since: datetime.datetime | None, until: datetime.datetime
    ) -> bool:
        return any(
            e["kind"] == kind and e["at"] < until and (since is None or e["at"] >= since)
            for e in self.events
        )

    def closed_within(self, since: datetime.datetime, until: datetime.datetime) -> bool:
        """Closed (verified) in [since, until)."""
        if not self.has_status_events:
            closed_at = self.row["closed_at"]
            return (
                self.row["status"] == Status.CLOSED
                and closed_at is not None
                and since <= closed_at < until
            )
        return any(
            e["to_status"] == Status.CLOSED and since <= e["at"] < until for e in self.events
        )


def _is_send_back(event: dict[str, Any]) -> bool:
    data = event["data"] or {}
    return (
        event["kind"] == EventKind.REQUEST_APPROVED
        and data.get("request") == "send_back"
        and data.get("approved", True)
    )


# --- computing --------------------------------------------------------------------

CASE_FIELDS = (
    "id",
    "number",
    "region_path",
    "status",
    "deadline",
    "reported_at",
    "closed_at",
    "closed_on_time",
    "relapse_of_id",
    "assigned_department_id",
)


def case_histories(
    start: datetime.datetime,
    end: datetime.datetime,
    paths: list[str] | None,
    *,
    at_posts: bool = False,
) -> list[CaseHistory]:
    """Every case that can count in [start, end), with its events before `end` (two queries).

    A case counts only if it was reported before the end and either was
    still open at the start or has a deadline at or after the start: a
    deadline only ever moves later (extension, resumption, a fresh
    dispatch) or is cleared (send-back, which leaves the case open), so a
    finished case whose deadline now lies before the start had it there at
    the end too. Rejected cases never had a deadline and drop out.
    `at_posts`: only the cases raised at a responsibility post.
    """
    cases = (
        Case.objects.filter(reported_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start) | Q(deadline__gte=start))
        .filter(path_prefix_q(paths, "region_path"))
    )
    if at_posts:
        cases = cases.filter(post_link__isnull=False)
    histories = {row["id"]: CaseHistory(row) for row in cases.values(*CASE_FIELDS)}
    if not histories:
        return []
    events = (
        CaseEvent.objects.filter(case__in=cases.values("id"), at__lt=end)
        .order_by("case_id", "at", "pk")
        .values("case_id", "kind", "to_status", "data", "at")
    )
    for event in events:
        history = histories.get(event["case_id"])
        if history is not None:
            history.add(event)
    return list(histories.values())


class _Tally:
    """Numerators and denominators of one unit, as the case numbers behind them."""

    def __init__(self) -> None:
        self.sets: dict[str, list[Any]] = defaultdict(list)
        self.score_sum = Decimal("0")

    def add(self, key: str, item: Any) -> None:
        self.sets[key].append(item)


def _rate(num: int, den: int, indicator: str) -> IndicatorValue:
    if den == 0:
        return IndicatorValue(num=num, den=den, value=None, score=None)
    # In decimals, so that the score shown is the one rounded half up, as on paper.
    value = Decimal(num) / Decimal(den)
    score = (1 - value) * 100 if indicator in LOWER_IS_BETTER else value * 100
    score = min(Decimal("100"), max(Decimal("0"), score))
    return IndicatorValue(
        num=num,
        den=den,
        value=float(value.quantize(Decimal("0.0001"), ROUND_HALF_UP)),
        score=float(score.quantize(TWO_PLACES, ROUND_HALF_UP)),
    )


def _values(tally: _Tally, *, with_inspections: bool) -> dict[str, IndicatorValue]:
    s = tally.sets
    values: dict[str, IndicatorValue] = {}
    for indicator in (
        Indicator.CLOSURE_RATE,
        Indicator.ON_TIME_RATE,
        Indicator.REWORK_RATE,
        Indicator.OVERDUE_RATE,
        Indicator.RELAPSE_RATE,
    ):
        values[indicator] = _rate(len(s[f"{indicator}.num"]), len(s[f"{indicator}.den"]), indicator)
    count = len(s[f"{Indicator.INSPECTION_SCORE}.den"])
    if with_inspections and count:
        mean = (tally.score_sum / count).quantize(TWO_PLACES, ROUND_HALF_UP)
        values[Indicator.INSPECTION_SCORE] = IndicatorValue(
            num=float(tally.score_sum),
            den=count,
            value=float(mean),
            score=float(min(Decimal("100"), max(Decimal("0"), mean))),
        )
    elif with_inspections:
        values[Indicator.INSPECTION_SCORE] = IndicatorValue(num=0, den=0, value=None, score=None)
    else:
        # Departments and post holders are not inspected.
        values[Indicator.INSPECTION_SCORE] = IndicatorValue(
            num=None, den=None, value=None, score=None
        )
    # The volunteering module that records person-times does not exist yet: no data.
    values[Indicator.PARTICIPATION] = IndicatorValue(num=None, den=None, value=None, score=None)
    return values


def composite_of(values: dict[str, IndicatorValue], weights: dict[str, Decimal]) -> Decimal | None:
    """Σ weight · score / Σ weight over the indicators that have a score (2 places).

    An indicator without a score drops out and the weights of the others are
    re-normalised; nothing scored, or only zero weights, gives None.
    """
    total = Decimal("0")
    weight_sum = Decimal("0")
    for indicator, value in values.items():
        weight = weights.get(indicator, Decimal("0"))
        if value.score is None or weight <= 0:
            continue
        total += weight * Decimal(str(value.score))
        weight_sum += weight
    if weight_sum == 0:
        return None
    return (total / weight_sum).quantize(TWO_PLACES, ROUND_HALF_UP)


def case_evidence(evidence: dict[str, list]) -> set[str]:
    """The distinct cases in any indicator's denominator: how much a unit's rates rest on."""
    return {
        str(item)
        for name, items in evidence.items()
        if name.endswith(".den") and not name.startswith(f"{Indicator.INSPECTION_SCORE}.")
        for item in items
    }


def shortfall_of(
    *, values: dict[str, IndicatorValue], evidence: dict[str, list], scheme: Scheme, unit_kind: str
) -> list[str]:
    """Why a unit falls short of the scheme's minimum of evidence to be ranked ([] if it does not).

    A unit is ranked only if (it has an inspection score, when the scheme
    requires one — never for departments and post holders, which are not inspected) and (it
    has an inspection score, or at least `min_cases_to_rank` distinct cases
    in its indicators' denominators). Otherwise a missing figure would simply
    drop out of the weighting, and an area nobody inspected could top the
    ranking on two or three cases.
    """
    inspection = values.get(Indicator.INSPECTION_SCORE)
    inspected = inspection is not None and inspection.value is not None
    if inspected:
        return []
    shortfall = []
    if scheme.inspection_required_to_rank and unit_kind not in NOT_INSPECTED:
        shortfall.append(SHORT_OF_INSPECTION)
    if len(case_evidence(evidence)) < scheme.min_cases_to_rank:
        shortfall.append(SHORT_OF_CASES)
    return shortfall


def rank_results(results: list[UnitResult]) -> list[UnitResult]:
    """Sort best first and give competition ranks (1, 2, 2, 4).

    A unit without a composite, or below the evidence bar (`insufficient`),
    gets no rank and is listed after the ranked ones, by key; it takes no
    place from them (the ranks run 1, 2, 3 over the ranked units only).
    """
    ranked = sorted(
        (r for r in results if r.composite is not None and not r.insufficient),
        key=lambda r: (-r.composite, r.unit.key),  # type: ignore[operator]
    )
    previous: Decimal | None = None
    rank = 0
    for position, result in enumerate(ranked, start=1):
        if result.composite != previous:
            rank = position
            previous = result.composite
        result.rank = rank
    unranked = sorted(
        (r for r in results if r.composite is None or r.insufficient), key=lambda r: r.unit.key
    )
    for result in unranked:
        result.rank = None
    return ranked + unranked


def _unit_path_of(path: str, depth: int) -> str:
    codes = path_codes(path)
    if len(codes) < depth:
        return ""
    return PATH_SEP.join(codes[:depth]) + PATH_SEP


def compute(
    *,
    period: Period,
    unit_kind: str,
    scheme: Scheme | None = None,
    paths: list[str] | None = None,
    now: datetime.datetime | None = None,
) -> list[UnitResult]:
    """Every unit of `unit_kind` (under `paths`) scored for `period` from live data, ranked.

    A bounded number of queries: units, scheme weights, cases, events, and
    the inspections (or the relapses' original cases for departments, or the
    cases' posts and their claims for post holders).
    """
    scheme = scheme or active_scheme()
    weights = scheme_weights(scheme)
    start, end = bounds(period)
    # Open and overdue are taken at the period's end, or now while it runs.
    moment = min(end, now or timezone.now())
    is_department = unit_kind == UnitKind.DEPARTMENT
    is_post_holder = unit_kind == UnitKind.POST_HOLDER
    depth = 0 if is_department or is_post_holder else _depth_of(unit_kind)
    if is_department:
        units = _department_units()
    elif is_post_holder:
        units = _post_holder_units(paths, timezone.localdate(now) if now else None)
    else:
        units = _region_units(unit_kind, depth, paths)
    by_key: dict[Any, Unit] = (
        {u.pk: u for u in units} if is_department or is_post_holder else {u.path: u for u in units}
    )
    # Departments have no territory: their cases may lie anywhere. A post
    # holder's cases are the ones raised at the posts they held.
    histories = case_histories(
        start, end, None if is_department else paths, at_posts=is_post_holder
    )
    tallies: dict[Any, _Tally] = {}
    for key in by_key:
        tallies[key] = _Tally()

    holders: dict[int, list[int]] = {}
    if is_post_holder and histories and tallies:
        holders = post_holders_of_cases((h.row["id"] for h in histories), tallies)

    def tallies_for(history: CaseHistory, at: datetime.datetime) -> list[_Tally]:
        if is_post_holder:
            return [tallies[m] for m in holders.get(history.row["id"], ()) if m in tallies]
        if is_department:
            tally = tallies.get(history.department_at(at))
        else:
            tally = tallies.get(_unit_path_of(history.row["region_path"], depth))
        return [] if tally is None else [tally]

    def add(targets: list[_Tally], key: str, item: Any) -> None:
        for tally in targets:
            tally.add(key, item)

    relapse_origin_department: dict[int, int | None] = {}
    if is_department:
        origins = {h.row["relapse_of_id"] for h in histories if h.row["relapse_of_id"]}
        if origins:
            relapse_origin_department = dict(
                Case.objects.filter(pk__in=origins).values_list("pk", "assigned_department_id")
            )

    for history in histories:
        row = history.row
        number = row["number"]
        status_end = history.status_at(end)
        if status_end is None:
            continue
        at_end = tallies_for(history, end)

        if at_end:
            # Closure and on-time closure: due in the period, not rejected, not deferred.
            deadline = history.deadline_at(end)
            if (
                deadline is not None
                and start <= deadline < end
                and status_end not in (Status.REJECTED, Status.DEFERRED)
            ):
                for indicator in (Indicator.CLOSURE_RATE, Indicator.ON_TIME_RATE):
                    add(at_end, f"{indicator}.den", number)
                if status_end == Status.CLOSED:
                    add(at_end, f"{Indicator.CLOSURE_RATE}.num", number)
                    if row["closed_on_time"]:
                        add(at_end, f"{Indicator.ON_TIME_RATE}.num", number)

            # Rework: handled (rectified) in the period, failed verification at least once.
            if history.any_event(EventKind.RECTIFIED, start, end):
                add(at_end, f"{Indicator.REWORK_RATE}.den", number)
                if history.any_event(EventKind.VERIFY_FAILED, None, end):
                    add(at_end, f"{Indicator.REWORK_RATE}.num", number)

            # Relapse: the denominator is the cases closed in the period.
            if history.closed_within(start, end):
                add(at_end, f"{Indicator.RELAPSE_RATE}.den", number)

        # A relapse reported in the period (and not rejected as no case at all).
        if (
            row["relapse_of_id"]
            and start <= row["reported_at"] < end
            and status_end != Status.REJECTED
        ):
            if is_department:
                origin = tallies.get(relapse_origin_department.get(row["relapse_of_id"]))
                targets = [] if origin is None else [origin]
            else:
                # A relapse at a post is its holders' (a relapse is found at the same place).
                targets = at_end
            add(targets, f"{Indicator.RELAPSE_RATE}.num", number)

        # Overdue: open at the moment, in a clock state with its deadline passed.
        status_then = history.status_at(moment)
        if status_then is not None and status_then not in FINAL_STATES:
            then = tallies_for(history, moment)
            if then:
                add(then, f"{Indicator.OVERDUE_RATE}.den", number)
                deadline_then = history.deadline_at(moment)
                if (
                    status_then in CLOCK_STATES
                    and deadline_then is not None
                    and deadline_then < moment
                ):
                    add(then, f"{Indicator.OVERDUE_RATE}.num", number)

    inspected = unit_kind not in NOT_INSPECTED
    if inspected:
        inspections = (
            Inspection.objects.scored()
            .between(period.start, period.end)
            .filter(path_prefix_q(paths, "area_path"))
            .values_list("id", "area_path", "score")
        )
        for pk, area_path, score in inspections:
            tally = tallies.get(_unit_path_of(area_path, depth))
            if tally is None or score is None:
                continue
            tally.add(f"{Indicator.INSPECTION_SCORE}.den", pk)
            tally.add(f"{Indicator.INSPECTION_SCORE}.num", pk)
            tally.score_sum += score

    results = []
    for key, unit in by_key.items():
        tally = tallies[key]
        values = _values(tally, with_inspections=inspected)
        evidence = {name: sorted(items) for name, items in sorted(tally.sets.items())}
        shortfall = shortfall_of(
            values=values, evidence=evidence, scheme=scheme, unit_kind=unit_kind
        )
        if shortfall:
            # Kept with the evidence, so that a snapshot remembers why the unit was not ranked.
            evidence[SHORTFALL_KEY] = list(shortfall)
        results.append(
            UnitResult(
                unit=unit,
                values=values,
                composite=composite_of(values, weights),
                rank=None,
                evidence=evidence,
                insufficient=bool(shortfall),
                shortfall=shortfall,
            )
        )
    return rank_results(results)


# --- reading rankings ---------------------------------------------------------------


def _from_snapshots(rows: Iterable[ScoreSnapshot], unit_kind: str) -> list[UnitResult]:
    rows = list(rows)
    keys = [r.unit_key for r in rows]
    if unit_kind == UnitKind.DEPARTMENT:
        pks = dict(Department.objects.filter(code__in=keys).values_list("code", "pk"))
    elif unit_kind == UnitKind.POST_HOLDER:
        # A post holder's key is their member pk.
        pks = {key: int(key) for key in keys if key.isdigit()}
    else:
        pks = dict(Region.objects.filter(code__in=keys).values_list("code", "pk"))
    results = [
        UnitResult(
            unit=Unit(
                kind=r.unit_kind,
                key=r.unit_key,
                name=r.unit_name,
                path=r.unit_path,
                pk=pks.get(r.unit_key, 0),
            ),
            values={k: IndicatorValue.from_json(v) for k, v in (r.values or {}).items()},
            composite=r.composite,
            rank=r.rank,
            evidence=r.evidence or {},
            # Snapshots from before the evidence bar have no shortfall entry: they were ranked.
            insufficient=bool((r.evidence or {}).get(SHORTFALL_KEY)),
            shortfall=list((r.evidence or {}).get(SHORTFALL_KEY) or []),
        )
        for r in rows
    ]
    return sorted(
        results,
        key=lambda r: (r.rank is None, r.rank or 0, r.unit.key),
    )


def ranking(*, period: Period, unit_kind: str, scheme: Scheme | None = None) -> list[UnitResult]:
    """The period's ranking: the current snapshot rows once it is closed, else computed now.

    A closed period's figures are the snapshot, whatever happened to the
    cases since and whatever `scheme` says (the snapshot names its scheme).
    """
    if period.pk is not None and period.is_closed:
        return _from_snapshots(
            ScoreSnapshot.objects.filter(
                period=period, unit_kind=unit_kind, superseded_at__isnull=True
            ),
            unit_kind,
        )
    return compute(period=period, unit_kind=unit_kind, scheme=scheme)


def explain(*, period: Period, unit: Unit) -> UnitResult:
    """One unit's figures with their evidence, as ranked among the units of its kind.

    A unit missing from a closed period's snapshot (created later) has no figures.
    """
    for result in ranking(period=period, unit_kind=unit.kind):
        if result.unit.key == unit.key:
            return result
    return UnitResult(unit=unit, values={}, composite=None, rank=None, evidence={})


def trend(
    *, unit_kind: str, period_kind: str, last_start: datetime.date, count: int = 8
) -> tuple[list[Period], dict[str, list[Decimal | None]]]:
    """The composites of the `count` periods up to the one starting `last_start`, oldest first.

    Periods not yet in the database are computed without being created.
    """
    starts = [span(period_kind, last_start)[0]]
    for _i in range(count - 1):
        starts.append(previous_start(period_kind, starts[-1]))
    starts.reverse()
    stored = {p.start: p for p in Period.objects.filter(kind=period_kind, start__in=starts)}
    periods = [
        stored.get(s) or Period(kind=period_kind, start=s, end=span(period_kind, s)[1])
        for s in starts
    ]
    scheme = active_scheme()
    series: dict[str, list[Decimal | None]] = {}
    for index, period in enumerate(periods):
        for result in ranking(period=period, unit_kind=unit_kind, scheme=scheme):
            line = series.setdefault(result.unit.key, [None] * len(periods))
            line[index] = result.composite
    return periods, series


# --- red and black lists ---------------------------------------------------------------


def list_members(rule: ListRule, results: Sequence[UnitResult]) -> list[UnitResult]:
    """The units a rule puts on its list, best first for red and worst first for black.

    Red: rank within the top N (ties at the boundary all in: with ranks
    1, 2, 2, 4 the top 2 are three units), or composite ≥ `min_composite`.
    Black: within the bottom N counted the same way from the bottom, or
    composite < `max_composite`. A unit without a composite, or below the
    evidence bar (`insufficient`), is never listed and not counted in the
    bottom N; a criterion left empty does not apply; no criterion at all
    lists nobody.
    """
    scored = [r for r in results if r.composite is not None and not r.insufficient]
    chosen: list[UnitResult] = []
    if rule.kind == ListKind.RED:
        for r in scored:
            by_rank = rule.top_n is not None and r.rank is not None and r.rank <= rule.top_n
            by_score = rule.min_composite is not None and r.composite >= rule.min_composite
            if by_rank or by_score:
                chosen.append(r)
        return sorted(chosen, key=lambda r: (-r.composite, r.unit.key))  # type: ignore[operator]
    for r in scored:
        # Competition rank from the bottom: 1 + the units strictly worse.
        from_bottom = 1 + sum(1 for o in scored if o.composite < r.composite)  # type: ignore[operator]
        by_rank = rule.bottom_n is not None and from_bottom <= rule.bottom_n
        by_score = rule.max_composite is not None and r.composite < rule.max_composite
        if by_rank or by_score:
            chosen.append(r)
    return sorted(chosen, key=lambda r: (r.composite, r.unit.key))  # type: ignore[arg-type]
