"""The demo's covert inspections: twelve weeks of rounds and scores, and their circulars.

`load_inspections` (called by `load_guicheng` after the cases) makes sure the
reference data exists — area types (every demo area gets one, by a hash of
its code), the checklists with their items (`demo.inspection_data`), the
assessment scheme and the red/black list rules — inserting only what is
missing. When the demo has no rounds yet it then writes the history:

- a round on every working day (the holiday calendar the cases demo loads)
  of the `WEEKS` full weeks before the current week and of the current week
  so far, each of 12–20 areas drawn at random (`selectors.draw_areas` with a
  seed stored on the round, as `round_plan` draws) and walked by two of the
  standing team, every inspection scored (a few voided) with findings whose
  deductions follow the checklist's caps exactly as `inspection_submit`
  computes them. A finding is linked to the demo case of source inspection
  reported in the same area on the same day, where there is one. These rows
  are bulk-inserted, with no per-row audit (the services' side effects,
  a thousand times); the caller records one summary audit row.
- today's round, planned through `round_plan` and left pending, so that the
  demo inspector's "my inspections" has work today (on a weekend too: the
  covert team works when it likes).
- then, through the real services, each past week is closed, its circular
  drafted, edited (the office adds a paragraph on next week's focus) and
  published (which lifts the embargo on that week), the past months inside
  the window are closed, and commendations (通报表扬), criticism (通报批评)
  and an interview (约谈) are recorded from the lists, naming the community's
  secretary where it has one (the demo's secretary logins among them). The
  current week stays open and under embargo.
- last, what those services did is dated to the morning it would have
  happened: each period closed, its circular drafted and published around ten
  on its issue date (the first working day after it), not at the load time;
  the audit rows keep the load time.

Everything is deterministic for a given day and database (seeded random),
except the photo tokens, which are random as the services make them. The
photo rows share the cases demo's pictures (`cases.shared_photos`), so they
cost no files of their own.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from shapely.geometry import Point, shape
from shapely.prepared import prep

from zhenxing.assessment.models import (
    Circular,
    CircularStatus,
    IncentiveKind,
    IncentiveRecord,
    IndicatorWeight,
    ListEntry,
    ListKind,
    ListRule,
    Period,
    PeriodKind,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.periods import span
from zhenxing.cases.models import Case, CasePhoto, Category, PhotoKind, Source
from zhenxing.cases.photos import new_token
from zhenxing.cases.workdays import is_working_day
from zhenxing.demo import data
from zhenxing.demo import inspection_data as spec
from zhenxing.demo.case_data import PLACES
from zhenxing.demo.cases import (
    PHOTO_SIZE,
    load_calendar,
    shared_photos,
    write_shared_photos,
)
from zhenxing.inspections.models import (
    AreaType,
    AreaTypeMembership,
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.inspections.selectors import templates_for_areas
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.territory.models import Region, area_depth
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

# Full weeks before the current one that are inspected, closed and published.
WEEKS = 12
AREAS_PER_ROUND = (12, 20)
# Expected findings per inspection of an ordinary area on an ordinary day.
BASE_FINDINGS = 1.1
# Now and then an area is found in a bad state (more findings than it usually has).
BAD_DAY_SHARE = 0.05
BAD_DAY_FACTOR = 3.5
VOID_SHARE = 0.012
# A finding comes with a photo this often (a finding that opened a case always has one).
PHOTO_SHARE = 0.3
# How often the demo's own inspector login walks a round (today's always).
LOGIN_SHARE = 0.6
TWO_PLACES = Decimal("0.01")
# Commend the top community of this many most recent weeks.
COMMENDED_WEEKS = 4

HISTORY_KEYS = (
    "inspectors",
    "inspection_rounds",
    "inspections",
    "findings",
    "inspection_photos",
    "periods_closed",
    "circulars",
    "incentives",
)


def _local(t: datetime.datetime) -> datetime.datetime:
    return t.astimezone(timezone.get_default_timezone())


def _at(day: datetime.date, minutes: float) -> datetime.datetime:
    """`minutes` after local midnight of `day`, to the second, as an aware datetime."""
    midnight = datetime.datetime.combine(
        day, datetime.time(), tzinfo=timezone.get_default_timezone()
    )
    return midnight + datetime.timedelta(seconds=round(minutes * 60))


def _digest(text: str) -> int:
    # Not Python's hash(): that changes from one process to the next.
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


# --- reference data -----------------------------------------------------------------


def area_type_for(code: str) -> str:
    """The demo area type of an area: a stable hash of its code over the types' shares."""
    point = _digest(f"zhenxing-demo:area-type:{code}") % 100
    for area_type in spec.AREA_TYPES:
        if point < area_type.share:
            return area_type.code
        point -= area_type.share
    return spec.AREA_TYPES[0].code


def ensure_area_types(root: Region) -> dict[str, int]:
    """The demo's area types and a type for every demo area that has none (by code)."""
    existing = set(AreaType.objects.values_list("code", flat=True))
    names = set(AreaType.objects.values_list("name", flat=True))
    missing = [
        AreaType(code=t.code, name=t.name, order=t.order)
        for t in spec.AREA_TYPES
        if t.code not in existing and t.name not in names
    ]
    AreaType.objects.bulk_create(missing)
    types = dict(AreaType.objects.values_list("code", "pk"))
    areas = Region.objects.subtree(root).filter(depth=area_depth())
    untyped = areas.filter(inspection_area_type__isnull=True).values_list("pk", "code")
    memberships = [
        AreaTypeMembership(area_id=pk, area_type_id=types[area_type_for(code)])
        for pk, code in untyped
        if area_type_for(code) in types
    ]
    AreaTypeMembership.objects.bulk_create(memberships)
    return {"area_types": len(missing), "area_type_memberships": len(memberships)}


def ensure_templates(*, office: User | None, window_start: datetime.date) -> dict[str, int]:
    """The checklists (by code and version) with their items; existing ones stay as they are.

    A version is put in use only where nothing else serves its area type:
    the database allows one checklist in use per type (and one general).
    """
    existing = {(t.code, t.version) for t in InspectionTemplate.objects.all()}
    types = dict(AreaType.objects.values_list("code", "pk"))
    categories = dict(Category.objects.values_list("code", "pk"))
    busy = {
        t.area_type_id
        for t in InspectionTemplate.objects.filter(status=TemplateStatus.ACTIVE).only("area_type")
    }
    # The first general version served until a few weeks before the demo's window.
    first_in_use = _at(window_start - datetime.timedelta(days=200), 9 * 60)
    replaced = _at(window_start - datetime.timedelta(days=21), 9 * 60)
    templates = items = 0
    for t in spec.TEMPLATES:
        if (t.code, t.version) in existing:
            continue
        area_type = types.get(t.area_type) if t.area_type else None
        if t.area_type and area_type is None:
            continue  # its type was renamed away: nothing to attach it to
        status = t.status
        if status == TemplateStatus.ACTIVE and area_type in busy:
            status = TemplateStatus.DRAFT
        retired = status == TemplateStatus.RETIRED
        template = InspectionTemplate.objects.create(
            code=t.code,
            version=t.version,
            name=t.name,
            area_type_id=area_type,
            status=status,
            full_score=t.full_score,
            notes=t.notes,
            created_at=first_in_use if retired else replaced - datetime.timedelta(days=3),
            created_by=office,
            activated_at=(first_in_use if retired else replaced)
            if status != TemplateStatus.DRAFT
            else None,
            retired_at=replaced if retired else None,
        )
        if status == TemplateStatus.ACTIVE:
            busy.add(area_type)
        rows = [
            TemplateItem(
                template=template,
                order=order,
                code=i.code,
                text=i.text,
                unit=i.unit,
                points_per_unit=i.points,
                max_deduction=i.max_deduction,
                category_id=categories.get(i.category),
            )
            for order, i in enumerate(t.items, start=1)
        ]
        TemplateItem.objects.bulk_create(rows)
        templates += 1
        items += len(rows)
    return {"checklists": templates, "checklist_items": items}


def ensure_scheme() -> int:
    """The demo's assessment scheme, in use unless another one already is."""
    if Scheme.objects.filter(name=spec.SCHEME_NAME).exists():
        return 0
    scheme = Scheme.objects.create(
        name=spec.SCHEME_NAME,
        is_active=not Scheme.objects.filter(is_active=True).exists(),
        note=spec.SCHEME_NOTE,
    )
    IndicatorWeight.objects.bulk_create(
        IndicatorWeight(scheme=scheme, indicator=k, weight=w)
        for k, w in spec.SCHEME_WEIGHTS.items()
    )
    return 1


def ensure_list_rules() -> int:
    existing = set(ListRule.objects.values_list("name", flat=True))
    rules = [
        ListRule(
            name=r.name,
            kind=r.kind,
            unit_kind=UnitKind.COMMUNITY,
            period_kind=PeriodKind.WEEK,
            top_n=r.top_n,
            bottom_n=r.bottom_n,
            max_composite=r.max_composite,
        )
        for r in spec.LIST_RULES
        if r.name not in existing
    ]
    ListRule.objects.bulk_create(rules)
    return len(rules)


def ensure_team(root: Region) -> tuple[list[User], int]:
    """The standing inspection team: inspectors of the whole root, the demo's login first.

    Team members without a login are added when missing. A user of that
    name who is not an inspector of the root is someone else: left alone.
    """
    created = 0
    for username, display_name in spec.TEAM_MEMBERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                # No password: a member of the team who signs scores but has no demo login.
                password=make_password(None),
                display_name=display_name,
            )
            RoleAssignment.objects.create(
                user=user, role=Role.INSPECTOR, region=root, title=spec.TEAM_TITLE
            )
            created += 1
    team = list(
        User.objects.filter(
            is_active=True, role_assignments__role=Role.INSPECTOR, role_assignments__region=root
        )
        .distinct()
        .order_by("pk")
    )
    # Those with a login (the demo's `inspector`) lead: they walk most rounds and today's.
    team.sort(key=lambda u: (not u.has_usable_password(), u.pk))
    return team, created


def _office(root: Region) -> User | None:
    """The office admin of the root who acts in the services (the demo's `admin`)."""
    assignment = (
        RoleAssignment.objects.filter(role=Role.OFFICE_ADMIN, region=root, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if assignment is not None:
        return assignment.user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


# --- the history -----------------------------------------------------------------------


@dataclass
class _Area:
    pk: int
    code: str
    path: str
    name: str
    community: str  # the community's path
    # None when no checklist serves it (not in the demo: every area has a type).
    template: InspectionTemplate | None
    prepared: Any
    geometry: Any
    bounds: tuple[float, float, float, float]
    # How untidy the area is compared with others of its community (1 = typical).
    factor: float = 1.0


@dataclass
class _CaseRef:
    pk: int
    category: int
    parent: int | None
    reported_at: datetime.datetime
    lat: float | None
    lng: float | None
    description: str
    photo: dict[str, Any] | None = None


@dataclass
class _Plan:
    """The rows of one day's round, before insertion."""

    day: datetime.date
    seed: str
    inspectors: list[User]
    inspections: list[dict[str, Any]] = field(default_factory=list)
    # Per inspection (same order): its findings, each with its photos.
    findings: list[list[dict[str, Any]]] = field(default_factory=list)


def _point_in(area: _Area, rng: random.Random) -> tuple[float | None, float | None]:
    """A random point inside the area (lat, lng), rounded like a phone's GPS."""
    if area.geometry is None:
        return None, None
    minx, miny, maxx, maxy = area.bounds
    for _ in range(100):
        lng = round(rng.uniform(minx, maxx), 6)
        lat = round(rng.uniform(miny, maxy), 6)
        if area.prepared.contains(Point(lng, lat)):
            return lat, lng
    point = area.geometry.representative_point()
    return round(point.y, 6), round(point.x, 6)


def _areas(root: Region) -> list[_Area]:
    """The areas a round may visit, in path order (`selectors.eligible_areas`)."""
    regions = list(Region.objects.subtree(root).filter(depth=area_depth()).order_by("path"))
    templates = templates_for_areas(regions)
    areas = []
    for region in regions:
        template = templates[region.pk]
        geometry = shape(region.geometry) if region.geometry else None
        areas.append(
            _Area(
                pk=region.pk,
                code=region.code,
                path=region.path,
                name=region.name,
                community=community_path(region.path),
                template=template,
                prepared=prep(geometry) if geometry is not None else None,
                geometry=geometry,
                bounds=geometry.bounds if geometry is not None else (0, 0, 0, 0),
                factor=random.Random(f"zhenxing-demo:inspections:area:{region.code}").uniform(
                    0.6, 1.5
                ),
            )
        )
    return areas


def _community_care(communities: list[str]) -> dict[str, tuple[float, float]]:
    """(untidiness, trend) of each community: how many findings its areas get, and whether
    that grows (trend > 0) or shrinks over the weeks. A few communities struggle."""
    rng = random.Random("zhenxing-demo:inspections:communities")
    care: dict[str, tuple[float, float]] = {}
    struggling = set(rng.sample(communities, k=min(3, len(communities))))
    for path in communities:
        level = rng.uniform(2.2, 3.0) if path in struggling else rng.uniform(0.45, 1.8)
        care[path] = (level, rng.uniform(-0.6, 0.6))
    return care


def _inspection_cases(root: Region, since: datetime.date) -> dict[tuple[int, datetime.date], list]:
    """Cases of source inspection by (area pk, local report day), with their first before photo."""
    start = _at(since, 0)
    by_key: dict[tuple[int, datetime.date], list[_CaseRef]] = defaultdict(list)
    refs: dict[int, _CaseRef] = {}
    rows = (
        Case.objects.filter(
            region_path__startswith=root.path,
            source=Source.INSPECTION,
            reported_at__gte=start,
            region__isnull=False,
        )
        .order_by("reported_at", "pk")
        .values_list(
            "pk",
            "region_id",
            "category_id",
            "category__parent_id",
            "reported_at",
            "lat",
            "lng",
            "description",
        )
    )
    for pk, region, category, parent, reported_at, lat, lng, description in rows:
        ref = _CaseRef(pk, category, parent, reported_at, lat, lng, description)
        by_key[(region, _local(reported_at).date())].append(ref)
        refs[pk] = ref
    photos = (
        CasePhoto.objects.filter(case_id__in=list(refs), kind=PhotoKind.BEFORE)
        .order_by("case_id", "pk")
        .values(
            "case_id",
            "original",
            "content_type",
            "size",
            "width",
            "height",
            "sha256",
            "display",
            "thumbnail",
        )
    )
    for photo in photos:
        ref = refs[photo.pop("case_id")]
        if ref.photo is None:
            ref.photo = photo
    return by_key


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, each draw weighted (without replacement)."""
    pool, w = list(items), list(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        i = rng.choices(range(len(pool)), weights=w)[0]
        chosen.append(pool.pop(i))
        w.pop(i)
    return chosen


class _History:
    """Plans and writes the rounds of the past days."""

    def __init__(self, root: Region, office: User | None, team: list[User], today: datetime.date):
        self.root = root
        self.office = office
        self.team = team
        self.today = today
        self.areas = _areas(root)
        self.care = _community_care(sorted({a.community for a in self.areas}))
        self.window_start = span(PeriodKind.WEEK, today)[0] - datetime.timedelta(weeks=WEEKS)
        self.cases = _inspection_cases(root, self.window_start)
        self.items: dict[int, list[TemplateItem]] = defaultdict(list)
        for item in TemplateItem.objects.filter(
            template__in={a.template.pk for a in self.areas if a.template}
        ).select_related("category"):
            self.items[item.template_id].append(item)
        # How often each item is found: the spec's weight (an item added by hand: 10).
        weights = {(t.code, t.version, i.code): i.weight for t in spec.TEMPLATES for i in t.items}
        templates = {a.template.pk: a.template for a in self.areas if a.template}
        self.weights: dict[int, int] = {}
        for template_pk, items in self.items.items():
            t = templates[template_pk]
            for item in items:
                self.weights[item.pk] = weights.get((t.code, t.version, item.code), 10)
        self.pictures = [
            picture
            for (kind, _variant), picture in sorted(shared_photos().items())
            if kind == PhotoKind.BEFORE
        ]

    # --- planning ---------------------------------------------------------------------

    def days(self) -> list[datetime.date]:
        calendar = load_calendar()
        days = []
        day = self.window_start
        while day < self.today:
            if is_working_day(day, calendar):
                days.append(day)
            day += datetime.timedelta(days=1)
        return days

    def draw(self, day: datetime.date) -> tuple[random.Random, str, list[_Area]]:
        """The day's random areas, as `selectors.draw_areas` draws them from the seed.

        The same sample over the same path-ordered areas, without reading the
        areas again for each day (the tests check it against the selector).
        """
        rng = random.Random(f"zhenxing-demo:inspections:{day.isoformat()}")
        seed = hashlib.sha256(f"zhenxing-demo:round:{day.isoformat()}".encode()).hexdigest()[:32]
        count = min(rng.randint(*AREAS_PER_ROUND), len(self.areas))
        drawn = random.Random(seed).sample(self.areas, count)
        return rng, seed, sorted(drawn, key=lambda area: area.path)

    def pair(
        self, rng: random.Random, drawn: Sequence[_Area], linked: set[int], login_always: bool
    ) -> list[User]:
        """Two of the team; the demo login in most rounds, placed to score the linked areas."""
        login, others = self.team[0], self.team[1:]
        if not others:
            return [login]
        if login_always or linked or rng.random() < LOGIN_SHARE:
            partner = rng.choice(others)
            # Areas go to the inspectors in turn, in path order: put the login where it
            # scores most of the areas whose cases it reported.
            even = sum(1 for i, a in enumerate(drawn) if a.pk in linked and i % 2 == 0)
            odd = sum(1 for i, a in enumerate(drawn) if a.pk in linked and i % 2 == 1)
            if linked:
                return [login, partner] if even >= odd else [partner, login]
            return [login, partner] if rng.random() < 0.5 else [partner, login]
        return rng.sample(others, 2) if len(others) >= 2 else others

    def plan_day(self, day: datetime.date) -> _Plan:
        rng, seed, drawn = self.draw(day)
        linked = {a.pk for a in drawn if (a.pk, day) in self.cases}
        people = self.pair(rng, drawn, linked, login_always=False)
        plan = _Plan(day=day, seed=seed, inspectors=people)
        progress = (day - self.window_start).days / (WEEKS * 7)
        # Each inspector's clock, in minutes after midnight: out between 8:30 and 9:30.
        clock = {u.pk: rng.uniform(8.5 * 60, 9.5 * 60) for u in people}
        for i, area in enumerate(drawn):
            if area.template is None:
                continue  # round_plan would refuse it; the history leaves it out
            inspector = people[i % len(people)]
            clock[inspector.pk] += rng.uniform(20, 45)
            inspected_at = _at(day, clock[inspector.pk])
            inspection, findings = self.score(
                rng,
                area,
                day,
                progress,
                inspected_at,
                inspector,
                self.cases.get((area.pk, day), []),
            )
            plan.inspections.append(inspection)
            plan.findings.append(findings)
        return plan

    def score(
        self,
        rng: random.Random,
        area: _Area,
        day: datetime.date,
        progress: float,
        inspected_at: datetime.datetime,
        inspector: User,
        cases: list[_CaseRef],
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        template = area.template
        assert template is not None  # plan_day leaves such areas out
        items = self.items[template.pk]
        level, trend = self.care[area.community]
        lam = BASE_FINDINGS * level * area.factor * max(0.2, 1 + trend * (progress - 0.5) * 2)
        if rng.random() < BAD_DAY_SHARE:
            lam *= BAD_DAY_FACTOR
        chosen = _weighted_sample(
            rng, items, [self.weights[i.pk] for i in items], _poisson(rng, lam)
        )
        counts: dict[int, int] = {}
        for item in chosen:
            count = 1
            # Heavy items (a shed built without permission) are rarely found more than once.
            stop = 0.45 if item.points_per_unit < 5 else 0.15
            while rng.random() < stop and count < 6:
                count += 1
            counts[item.pk] = count
        by_pk = {i.pk: i for i in items}
        by_category = {i.category_id: i for i in items if i.category_id}
        by_parent = {
            i.category.parent_id: i for i in reversed(items) if i.category_id and i.category
        }
        links: dict[int, _CaseRef] = {}
        for case in cases:
            item = by_category.get(case.category) or by_parent.get(case.parent)
            if item is None or item.pk in links:
                continue
            links[item.pk] = case
            counts.setdefault(item.pk, 1)
        lat, lng = _point_in(area, rng)
        if links:
            # The cases were opened on submit, in the same transaction: the same moment.
            first = min(links.values(), key=lambda c: c.reported_at)
            # (never before the day began: a case reported just after midnight).
            inspected_at = max(
                _at(day, 0), first.reported_at - datetime.timedelta(seconds=rng.randint(5, 40))
            )
            if first.lat is not None:
                lat, lng = first.lat, first.lng
        findings = []
        total = Decimal("0")
        for item in sorted((by_pk[pk] for pk in counts), key=lambda i: (i.order, i.code)):
            count = counts[item.pk]
            points = item.deduction_for(count).quantize(TWO_PLACES)
            total += points
            case = links.get(item.pk)
            if case is not None:
                f_lat, f_lng, note = case.lat, case.lng, case.description[:500]
            else:
                f_lat, f_lng = _point_in(area, rng) if rng.random() < 0.7 else (None, None)
                note = (
                    f"{rng.choice(PLACES)}{item.text}{count}{item.unit}"
                    if rng.random() < 0.6
                    else ""
                )
            photos = []
            if case is not None and case.photo is not None:
                photos.append({**case.photo, "lat": f_lat, "lng": f_lng})
            elif rng.random() < PHOTO_SHARE:
                picture = self.pictures[rng.randrange(len(self.pictures))]
                photos.append(
                    {
                        "original": picture.original_key,
                        "content_type": "image/jpeg",
                        "size": len(picture.original),
                        "width": PHOTO_SIZE[0],
                        "height": PHOTO_SIZE[1],
                        "sha256": picture.sha256,
                        "display": picture.display_key,
                        "thumbnail": picture.thumbnail_key,
                        "lat": f_lat,
                        "lng": f_lng,
                    }
                )
            findings.append(
                {
                    "item_id": item.pk,
                    "count": count,
                    "deduction": points,
                    "note": note,
                    "lat": f_lat,
                    "lng": f_lng,
                    "case_id": case.pk if case is not None else None,
                    "photos": photos,
                }
            )
        score = max(Decimal("0"), template.full_score - total).quantize(TWO_PLACES)
        status, reason, version = InspectionStatus.SUBMITTED, "", 2
        if not links and rng.random() < VOID_SHARE:
            status, reason, version = InspectionStatus.VOID, rng.choice(spec.VOID_REASONS), 3
        notes = spec.POOR_NOTES if score < 80 else spec.GOOD_NOTES
        inspection = {
            "area_id": area.pk,
            "area_path": area.path,
            "date": day,
            "template_id": template.pk,
            "inspector_id": inspector.pk,
            "status": status,
            "deduction": total,
            "score": score,
            "inspected_at": inspected_at,
            "lat": lat,
            "lng": lng,
            "note": rng.choice(notes),
            "void_reason": reason,
            "version": version,
        }
        return inspection, findings

    # --- writing --------------------------------------------------------------------------

    def write(self, plans: list[_Plan]) -> dict[str, int]:
        rounds = [
            InspectionRound(
                date=p.day,
                title=spec.round_title(p.day.month, p.day.day),
                scope=self.root,
                status=RoundStatus.PLANNED,
                drawn=True,
                draw_seed=p.seed,
                note=spec.ROUND_NOTE,
                planned_by=self.office,
                # Planned the afternoon before.
                created_at=_at(p.day - datetime.timedelta(days=1), 17 * 60),
            )
            for p in plans
        ]
        InspectionRound.objects.bulk_create(rounds)
        through = InspectionRound.inspectors.through
        through.objects.bulk_create(
            through(inspectionround_id=r.pk, user_id=u.pk)
            for r, p in zip(rounds, plans, strict=True)
            for u in p.inspectors
        )
        inspections = [
            Inspection(round=r, **row)
            for r, p in zip(rounds, plans, strict=True)
            for row in p.inspections
        ]
        Inspection.objects.bulk_create(inspections)
        finding_rows = [f for p in plans for fs in p.findings for f in fs]
        owners = [
            inspection
            for inspection, fs in zip(
                inspections, (fs for p in plans for fs in p.findings), strict=True
            )
            for _ in fs
        ]
        findings = [
            Finding(inspection=owner, **{k: v for k, v in row.items() if k != "photos"})
            for owner, row in zip(owners, finding_rows, strict=True)
        ]
        Finding.objects.bulk_create(findings)
        photos = []
        for owner, finding, row in zip(owners, findings, finding_rows, strict=True):
            for k, photo in enumerate(row["photos"]):
                photos.append(
                    InspectionPhoto(
                        inspection=owner,
                        finding=finding,
                        token=new_token(),
                        taken_at=owner.inspected_at - datetime.timedelta(minutes=2 + k),
                        uploaded_by_id=owner.inspector_id,
                        uploaded_at=owner.inspected_at,
                        **photo,
                    )
                )
        InspectionPhoto.objects.bulk_create(photos)
        if photos:
            # The pictures are the cases demo's; written after commit, as there.
            transaction.on_commit(write_shared_photos)
        return {
            "inspection_rounds": len(rounds),
            "inspections": len(inspections),
            "findings": len(findings),
            "inspection_photos": len(photos),
        }

    def plan_today(self) -> InspectionRound:
        """Today's round, planned through the service and left for the inspectors to walk."""
        from zhenxing.inspections.services import round_plan

        rng, seed, drawn = self.draw(self.today)
        people = self.pair(rng, drawn, set(), login_always=True)
        return round_plan(
            actor=self.office,
            date=self.today,
            scope=self.root,
            inspectors=people,
            draw_count=len(drawn),
            seed=seed,
            title=spec.round_title(self.today.month, self.today.day),
            note=spec.ROUND_NOTE,
        )


# --- periods, lists, incentives and circulars (through the services) ---------------------


def _issue_date(period: Period, calendar: dict[datetime.date, bool]) -> datetime.date:
    """The circular goes out on the first working day after its period, today at the latest."""
    day = period.end
    while not is_working_day(day, calendar):
        day += datetime.timedelta(days=1)
    return min(day, timezone.localdate())


# The office publishes a week's circular around ten in the morning of its issue date
# (a month, with no circular, is closed then). Earlier the same morning, in this order:
# the period is closed (its figures frozen, its lists drawn), the circular drafted and
# the incentives recorded (the circular reports them).
ISSUE_MINUTES = 10 * 60
ISSUE_JITTER_MINUTES = 20
CLOSED_BEFORE = datetime.timedelta(minutes=30)
DRAFTED_BEFORE = datetime.timedelta(minutes=25)
RECORDED_BEFORE = datetime.timedelta(minutes=20)


def _issue_moment(
    period: Period,
    calendar: dict[datetime.date, bool],
    now: datetime.datetime,
    before: datetime.timedelta = datetime.timedelta(0),
) -> datetime.datetime:
    """`before` the moment the period's circular was published, but never after `now`.

    (A week that ended this morning, loaded before ten: everything happened just now.)
    """
    jitter = random.Random(f"zhenxing-demo:issued:{period.kind}:{period.start.isoformat()}")
    minutes = ISSUE_MINUTES + jitter.uniform(-ISSUE_JITTER_MINUTES, ISSUE_JITTER_MINUTES)
    return min(_at(_issue_date(period, calendar), minutes) - before, now)


def _cadre(community: Region) -> User | None:
    """The community's secretary, the one with a demo login first (the cadre a record names)."""
    secretaries = list(
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.SECRETARY,
            role_assignments__region=community,
        )
        .distinct()
        .order_by("pk")
    )
    secretaries.sort(key=lambda u: not u.has_usable_password())
    return secretaries[0] if secretaries else None


def _login_secretary_communities(codes: set[str]) -> list[str]:
    """The codes (among `codes`) of the communities whose secretary has a demo login."""
    assignments = RoleAssignment.objects.filter(
        role=Role.SECRETARY,
        region__depth=COMMUNITY_DEPTH,
        region__code__in=codes,
        user__is_active=True,
    ).select_related("user", "region")
    return sorted({a.region.code for a in assignments if a.user.has_usable_password()})


def _record_incentives(
    periods: list[Period], office: User | None, calendar: dict[datetime.date, bool]
) -> list[IncentiveRecord]:
    """The commendations, criticism and interview the circulars report, through the service.

    - The top community of each of the last `COMMENDED_WEEKS` weeks is commended
      (通报表扬) and the last one criticised (通报批评) — unless it is the same
      community (a tie in a territory of two).
    - The community on the black list most often (at least twice) is interviewed
      (约谈) after its second time.
    - A community whose secretary has a demo login and that the rules above left
      out gets the record of its latest listing in the window (red list:
      commended, black list: criticised), so that the secretary's demo shows a
      record that names her.

    Each record names the community's secretary as its cadre where it has one.
    """
    from zhenxing.assessment.services import incentive_record

    entries = list(
        ListEntry.objects.filter(
            period__in=periods, superseded_at__isnull=True, unit_kind=UnitKind.COMMUNITY
        ).order_by("period__start", "rank", "unit_key")
    )
    codes = {e.unit_key for e in entries}
    communities = {r.code: r for r in Region.objects.filter(code__in=codes, depth=COMMUNITY_DEPTH)}
    done = set(
        IncentiveRecord.objects.filter(period__in=periods).values_list(
            "kind", "period_id", "community_id"
        )
    )
    records: list[IncentiveRecord] = []

    def record(kind: str, period: Period, community: Region, reason: str) -> None:
        if (kind, period.pk, community.pk) in done:
            return
        done.add((kind, period.pk, community.pk))
        records.append(
            incentive_record(
                actor=office,
                kind=kind,
                date=_issue_date(period, calendar),
                reason=reason,
                community=community,
                cadre=_cadre(community),
                period=period,
            )
        )

    by_period: dict[int, list[ListEntry]] = defaultdict(list)
    for e in entries:
        if e.unit_key in communities:
            by_period[e.period_id].append(e)

    def listed(period: Period, kind: str) -> list[ListEntry]:
        return [e for e in by_period[period.pk] if e.kind == kind]

    def first(e: ListEntry) -> tuple[int, str]:
        return (e.rank or 999, e.unit_key)

    def last(e: ListEntry) -> tuple[int, str]:
        return (e.rank or 0, e.unit_key)

    for period in periods[-COMMENDED_WEEKS:]:
        red, black = listed(period, ListKind.RED), listed(period, ListKind.BLACK)
        top = min(red, key=first) if red else None
        if top is not None:
            community = communities[top.unit_key]
            record(
                IncentiveKind.COMMENDATION,
                period,
                community,
                spec.commendation_reason(period.label, community.name),
            )
        bottom = max(black, key=last) if black else None
        if bottom is not None and (top is None or bottom.unit_key != top.unit_key):
            community = communities[bottom.unit_key]
            record(
                IncentiveKind.CRITICISM,
                period,
                community,
                spec.criticism_reason(period.label, community.name),
            )

    black: dict[str, list[Period]] = defaultdict(list)
    for period in periods:
        for key in sorted({e.unit_key for e in listed(period, ListKind.BLACK)}):
            black[key].append(period)
    worst = sorted(
        (key for key, listed_in in black.items() if len(listed_in) >= 2),
        key=lambda key: (-len(black[key]), black[key][1].start, key),
    )
    if worst:
        key = worst[0]
        first_time, second_time = black[key][:2]
        community = communities[key]
        record(
            IncentiveKind.INTERVIEW,
            second_time,
            community,
            spec.interview_reason([first_time.label, second_time.label], community.name),
        )

    named = {community for _kind, _period, community in done}
    for key in _login_secretary_communities(set(communities)):
        community = communities[key]
        if community.pk in named:
            continue
        for period in reversed(periods):
            red, black_ = listed(period, ListKind.RED), listed(period, ListKind.BLACK)
            on_red = [e for e in red if e.unit_key == key]
            on_black = [e for e in black_ if e.unit_key == key]
            if on_red and not on_black:
                is_first = first(on_red[0])[0] == first(min(red, key=first))[0]
                record(
                    IncentiveKind.COMMENDATION,
                    period,
                    community,
                    spec.commendation_reason(period.label, community.name, first=is_first),
                )
                break
            if on_black and not on_red:
                is_last = last(on_black[0])[0] == last(max(black_, key=last))[0]
                record(
                    IncentiveKind.CRITICISM,
                    period,
                    community,
                    spec.criticism_reason(period.label, community.name, last=is_last),
                )
                break
    return records


def _backdate(
    *,
    closed: list[Period],
    drafted: list[Circular],
    published: list[Circular],
    incentives: list[IncentiveRecord],
    calendar: dict[datetime.date, bool],
    now: datetime.datetime,
) -> None:
    """Move what `publish_weeks` just did to the morning each period's circular was issued.

    The services stamp their rows with the moment they run (they take no time
    of their own), so every past week of the demo would read as closed and
    published at the load time, all in the same minute. The office closes a
    week and publishes its circular on the first working morning after it: for
    demo data only, the rows the services just wrote are moved to that morning
    by plain updates. The audit rows keep the real time: the audit trail says
    when the demo was loaded, and nothing else may rewrite it.
    """
    from django.urls import reverse

    from zhenxing.assessment.circulars import NOTIFY_KIND
    from zhenxing.notify.models import Notification

    for period in closed:
        moment = _issue_moment(period, calendar, now, CLOSED_BEFORE)
        Period.objects.filter(pk=period.pk).update(closed_at=moment)
        ScoreSnapshot.objects.filter(period=period, superseded_at=None).update(computed_at=moment)
        ListEntry.objects.filter(period=period, superseded_at=None).update(created_at=moment)
    for incentive in incentives:
        if incentive.period is not None:
            IncentiveRecord.objects.filter(pk=incentive.pk).update(
                created_at=_issue_moment(incentive.period, calendar, now, RECORDED_BEFORE)
            )
    for circular in drafted:
        Circular.objects.filter(pk=circular.pk).update(
            created_at=_issue_moment(circular.period, calendar, now, DRAFTED_BEFORE)
        )
    for circular in published:
        period = circular.period
        moment = _issue_moment(period, calendar, now)
        ran = circular.published_at  # when the service ran: it released and notified then
        computed = {"computed_at": _local(moment).isoformat(timespec="minutes")}
        Circular.objects.filter(pk=circular.pk).update(
            published_at=moment,
            content={**circular.content, **computed} if circular.content else {},
            public_content=(
                {**circular.public_content, **computed} if circular.public_content else {}
            ),
        )
        Inspection.objects.filter(released_at=ran).between(period.start, period.end).under_any(
            [circular.scope.path]
        ).update(released_at=moment)
        Notification.objects.filter(
            kind=NOTIFY_KIND, url=reverse("circulars:detail", args=[circular.pk])
        ).update(created_at=moment)


def publish_weeks(*, root: Region, office: User | None, today: datetime.date) -> dict[str, int]:
    """Close the past weeks and months of the window, record incentives, publish circulars.

    Then date what was done to each period's issue morning (`_backdate`).
    """
    from zhenxing.assessment.circulars import circular_create, circular_publish, circular_update
    from zhenxing.assessment.services import period_close, period_for

    now = timezone.now()
    current = span(PeriodKind.WEEK, today)[0]
    window_start = current - datetime.timedelta(weeks=WEEKS)
    calendar = load_calendar()
    weeks = [
        period_for(kind=PeriodKind.WEEK, day=window_start + datetime.timedelta(weeks=i))
        for i in range(WEEKS)
    ]
    closed: list[Period] = []
    for period in weeks:
        if not period.is_closed:
            period_close(period=period, actor=office)
            closed.append(period)
    # The months that lie wholly inside the window and have ended.
    month_start = span(PeriodKind.MONTH, window_start)[0]
    if month_start < window_start:
        month_start = span(PeriodKind.MONTH, window_start)[1]
    while span(PeriodKind.MONTH, month_start)[1] <= today:
        month = period_for(kind=PeriodKind.MONTH, day=month_start)
        if not month.is_closed:
            period_close(period=month, actor=office)
            closed.append(month)
        month_start = month.end
    weeks = list(Period.objects.filter(pk__in=[p.pk for p in weeks]).order_by("start"))
    # The reasons name the weeks by their labels: stored in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        incentives = _record_incentives(weeks, office, calendar)

    drafted: list[Circular] = []
    published: list[Circular] = []
    for period in weeks:
        if Circular.objects.filter(
            period=period, scope=root, status=CircularStatus.PUBLISHED
        ).exists():
            continue
        draft = (
            Circular.objects.filter(period=period, scope=root, status=CircularStatus.DRAFT)
            .order_by("pk")
            .first()
        )
        if draft is None:
            draft = circular_create(period=period, scope=root, actor=office)
            drafted.append(draft)
        circular_update(
            circular=draft,
            actor=office,
            number=draft.number,
            title=draft.title,
            issuing_body=draft.issuing_body,
            issue_date=_issue_date(period, calendar),
            narrative=(
                f"{draft.narrative.rstrip()}\n\n"
                f"{spec.narrative_addendum(period.start.isocalendar().week)}"
            ),
            expected_version=draft.version,
        )
        circular_publish(circular=draft, actor=office, expected_version=draft.version)
        published.append(draft)
    _backdate(
        closed=closed,
        drafted=drafted,
        published=published,
        incentives=incentives,
        calendar=calendar,
        now=now,
    )
    return {
        "periods_closed": len(closed),
        "circulars": len(published),
        "incentives": len(incentives),
    }


# --- entry point ---------------------------------------------------------------------------


def load_inspections(*, root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """Reference data, and (when the demo has no rounds yet) the history; counts of rows added."""
    root = Region.objects.get(code=root_code, depth=1)
    office = _office(root)
    today = timezone.localdate()
    window_start = span(PeriodKind.WEEK, today)[0] - datetime.timedelta(weeks=WEEKS)
    created: dict[str, int] = {}
    created.update(ensure_area_types(root))
    created.update(ensure_templates(office=office, window_start=window_start))
    created["schemes"] = ensure_scheme()
    created["list_rules"] = ensure_list_rules()
    if InspectionRound.objects.filter(scope__path__startswith=root.path).exists():
        return {**created, **dict.fromkeys(HISTORY_KEYS, 0)}
    team, created["inspectors"] = ensure_team(root)
    if not team:
        # No inspector in the demo (its accounts were changed by hand): nothing to walk rounds.
        return {**created, **dict.fromkeys(HISTORY_KEYS, 0)}
    history = _History(root, office, team, today)
    created.update(history.write([history.plan_day(day) for day in history.days()]))
    today_round = history.plan_today()
    created["inspection_rounds"] += 1
    created["inspections"] += today_round.inspections.count()
    created.update(publish_weeks(root=root, office=office, today=today))
    return created
