"""The demo's responsibility posts, their claims, the red grid and months of patrol logs.

`load_posts` (called by `load_guicheng` after the cases) adds, once:

- 584 posts over the rural communities (the article's figure), shared out
  by the communities' party members so that each post has two or three
  holders, every area at least one post where there are enough; types
  mostly sanitation supervision and frontage duty, river sections on the
  community's (invented) rivers, a few relics and parks. Each lies in an
  area, at a point inside it near its centroid;
- a claim for every rural party member (1,701: each holds exactly one post
  today), opened in early 2026, and a few dozen earlier claims ended when
  a member moved to another post, the vacated place taken by a later claim;
- the red grid: one leader and one to three members per area, from the
  members holding posts there (or elsewhere in the community);
- patrols from June 2026 to yesterday, two to six per member a month, at
  the member's post; and, for each demo case a party member found on
  patrol (source `party_patrol`) since then, the patrol that found it and
  its link to the post (`PostCase`, origin patrol).

Deterministic (fixed seeds) for a given day. Rows are bulk-inserted
without the services' per-row audit rows (thousands of rows); the caller
records one summary row, as the other demo loaders do. It does nothing the
second time: each part is skipped once the demo has rows of it.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.prepared import prep

from zhenxing.cases.models import Case, Category, Source
from zhenxing.demo import data
from zhenxing.demo import post_data as spec
from zhenxing.demo.cases import _next_pk, _raw_insert, _reset_sequences
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.posts.models import (
    CaseOrigin,
    GridAssignment,
    GridRole,
    Patrol,
    PlaceKind,
    Post,
    PostCase,
    PostClaim,
    PostType,
)
from zhenxing.posts.services import new_public_token
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_path

BATCH_SIZE = 1000
METRES_PER_DEGREE = 111_320
# A post's point: within this of its area's centroid; a patrol's: within this of its post.
POST_OFFSET_M = 120.0
PATROL_JITTER_M = 25.0

COUNT_KEYS = ("posts", "post_claims", "grid_assignments", "patrols", "post_cases")


def _rng(what: str) -> random.Random:
    # String seeds hash with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(f"zhenxing-demo:1:posts:{what}")


@dataclass
class _Area:
    region: Region
    community_pk: int
    prepared: Any
    geometry: Any


@dataclass
class _PostPlan:
    post: Post
    area: _Area
    holders: list[int] = field(default_factory=list)  # member pks holding it today


def _offset(lat: float, lng: float, metres: float, rng: random.Random) -> tuple[float, float]:
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, metres)
    new_lat = lat + dist * math.sin(angle) / METRES_PER_DEGREE
    new_lng = lng + dist * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(new_lat, 6), round(new_lng, 6)


def _point_in(area: _Area, metres: float, rng: random.Random) -> tuple[float, float]:
    """Near the area's centroid, inside the area; the centroid itself if no try lands inside."""
    region = area.region
    lat, lng = region.centroid_lat, region.centroid_lng
    if lat is None or lng is None:
        point = area.geometry.representative_point()
        return round(point.y, 6), round(point.x, 6)
    for _ in range(20):
        candidate = _offset(lat, lng, metres, rng)
        if area.prepared.contains(Point(candidate[1], candidate[0])):
            return candidate
    return lat, lng


def _clear_of_edge(lat: float, lng: float, area: _Area) -> bool:
    """Whether every point within the patrol jitter of (lat, lng) lies inside the area."""
    # A degree of longitude is the shorter one: measuring in it errs on the safe side.
    metres = area.geometry.boundary.distance(Point(lng, lat)) * METRES_PER_DEGREE
    return (
        area.prepared.contains(Point(lng, lat))
        and metres * math.cos(math.radians(lat)) > 2 * PATROL_JITTER_M
    )


def _near(
    lat: float, lng: float, area: _Area, rng: random.Random, *, clear: bool = False
) -> tuple[float, float]:
    """A phone's fix a few metres from the post, still inside its area."""
    if clear:
        return _offset(lat, lng, PATROL_JITTER_M, rng)
    for _ in range(10):
        candidate = _offset(lat, lng, PATROL_JITTER_M, rng)
        if area.prepared.contains(Point(candidate[1], candidate[0])):
            return candidate
    return lat, lng


def _shares(members: dict[int, int], total: int, rng: random.Random) -> dict[int, int]:
    """Posts per community: 2–3 holders a post, `total` posts in all as far as that allows."""
    low = {c: math.ceil(n / 3) for c, n in members.items()}
    high = {c: n // 2 for c, n in members.items()}
    shares = dict(low)
    target = max(sum(low.values()), min(total, sum(high.values())))
    while sum(shares.values()) < target:
        # The community whose posts are most crowded gets the next one.
        open_ = [c for c in shares if shares[c] < high[c]]
        best = max(open_, key=lambda c: (members[c] / max(shares[c], 1), -c))
        shares[best] += 1
    return shares


def _date_between(start: datetime.date, end: datetime.date, rng: random.Random) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _tree(root: Region) -> tuple[list[Region], dict[str, list[_Area]]]:
    regions = Region.objects.filter(path__startswith=root.path)
    communities = list(regions.filter(depth=2).order_by("path"))
    community_pks = {c.path: c.pk for c in communities}
    areas: dict[str, list[_Area]] = defaultdict(list)
    for region in regions.filter(depth=4).order_by("path"):
        geometry = shape(region.geometry) if region.geometry else Point(0, 0).buffer(0)
        path = community_path(region.path)
        areas[path].append(
            _Area(
                region=region,
                community_pk=community_pks[path],
                prepared=prep(geometry),
                geometry=geometry,
            )
        )
    return communities, areas


# --- posts and claims -------------------------------------------------------------


def _place(
    type_code: str,
    community: Region,
    area: _Area,
    rivers: list[str],
    used: set[tuple[str, str]],
    rng: random.Random,
) -> tuple[str, str, str]:
    """(post name, kind of place, place name), distinct within the demo."""
    short = community.name.removesuffix(data.COMMUNITY_SUFFIX)
    area_name = area.region.name
    for attempt in range(30):
        if type_code == "river":
            river = rng.choice(rivers)
            section = rng.choice(spec.RIVER_SECTIONS)
            place, kind = f"{river}（{section}）", PlaceKind.RIVER
            name = f"{river}{section}保洁岗"
        elif type_code == "relic":
            pattern = rng.choice(spec.RELIC_PATTERNS)
            place = pattern.format(surname=rng.choice(spec.RELIC_SURNAMES), short=short)
            kind = PlaceKind.RELIC
            name = f"{place}文物保护岗"
        elif type_code == "greening":
            place = rng.choice(spec.PARK_PATTERNS).format(short=short, area=area_name)
            kind = PlaceKind.OTHER
            name = f"{place}绿化卫生巡查岗"
        elif type_code == "frontage":
            road = rng.choice(spec.FRONTAGE_ROADS)
            first = rng.randrange(1, 120, 2)
            place = f"{short}{road}{first}号至{first + rng.randrange(10, 40, 2)}号"
            kind = PlaceKind.STREET
            name = f"{short}{road}门前三包岗"
        else:
            spot = rng.choice(spec.SANITATION_SPOTS)
            place, kind = f"{area_name}{spot}", PlaceKind.AREA
            name = f"{place}卫生监督岗"
        if attempt:
            name = f"{name}（{data.CHINESE_ORDINALS[min(attempt, 11)]}）"
        if (name, place) not in used:
            used.add((name, place))
            return name, kind, place
    return name, kind, place


def _write_posts(
    communities: list[Region],
    areas: dict[str, list[_Area]],
    members_by_community: dict[int, list[PartyMember]],
    types: dict[str, PostType],
    today: datetime.date,
) -> list[_PostPlan]:
    """Plan and insert the posts (each with its holders chosen); the plans, posts saved."""
    rng = _rng("posts")
    shares = _shares(
        {c.pk: len(members_by_community.get(c.pk, [])) for c in communities if areas[c.path]},
        spec.POSTS_TOTAL,
        rng,
    )
    type_codes = [code for code in spec.TYPE_WEIGHTS if code in types]
    weights = [spec.TYPE_WEIGHTS[code] for code in type_codes]
    branches: dict[int, list[int]] = defaultdict(list)
    for pk, region_id in (
        PartyOrganization.objects.filter(kind="branch", region__in=communities)
        .order_by("code")
        .values_list("pk", "region_id")
    ):
        branches[region_id].append(pk)
    plans: list[_PostPlan] = []
    used: set[tuple[str, str]] = set()
    for community in communities:
        count = shares.get(community.pk, 0)
        if not count:
            continue
        crng = _rng(f"posts:{community.code}")
        community_areas = areas[community.path]
        short = community.name.removesuffix(data.COMMUNITY_SUFFIX)
        rivers = [short + s for s in crng.sample(spec.RIVER_SUFFIXES, crng.randint(1, 2))]
        # Every area a post first, then by lot.
        picked = [community_areas[i % len(community_areas)] for i in range(count)]
        crng.shuffle(picked)
        numbers: dict[str, int] = defaultdict(int)
        for area in picked:
            type_code = crng.choices(type_codes, weights=weights)[0]
            numbers[type_code] += 1
            name, kind, place = _place(type_code, community, area, rivers, used, crng)
            lat, lng = _point_in(area, POST_OFFSET_M, crng)
            post = Post(
                code=f"{community.code}-{spec.TYPE_CODES[type_code]}-{numbers[type_code]:03d}",
                name=name,
                post_type=types[type_code],
                region=area.region,
                place_kind=kind,
                place_name=place,
                lat=lat,
                lng=lng,
                duties=types[type_code].duties,
                public_token=new_public_token(),
                created_at=timezone.make_aware(
                    datetime.datetime.combine(min(spec.CLAIMS_FROM, today), datetime.time(9))
                ),
            )
            plans.append(_PostPlan(post=post, area=area))
    _deal_holders(plans, members_by_community)
    member_org = {
        m.pk: m.organization_id for members in members_by_community.values() for m in members
    }
    for plan in plans:
        # The branch most of its holders belong to (the community's first branch if none).
        orgs = [member_org[m] for m in plan.holders if member_org.get(m)]
        community_branches = branches.get(plan.area.community_pk, [])
        plan.post.organization_id = (
            max(sorted(set(orgs)), key=orgs.count)
            if orgs
            else (community_branches[0] if community_branches else None)
        )
    Post.objects.bulk_create([p.post for p in plans], batch_size=BATCH_SIZE)
    if any(p.post.pk is None for p in plans):
        pks = dict(
            Post.objects.filter(code__in=[p.post.code for p in plans]).values_list("code", "pk")
        )
        for p in plans:
            p.post.pk = pks[p.post.code]
    return plans


def _deal_holders(
    plans: list[_PostPlan], members_by_community: dict[int, list[PartyMember]]
) -> None:
    """Every member of a community onto one of its posts: two each, then a third by turn."""
    by_community: dict[int, list[_PostPlan]] = defaultdict(list)
    for plan in plans:
        by_community[plan.area.community_pk].append(plan)
    for community_pk, posts in by_community.items():
        members = list(members_by_community.get(community_pk, []))
        _rng(f"holders:{community_pk}").shuffle(members)
        slots = [p for p in posts for _ in range(2)]
        slots += posts[: max(0, len(members) - len(slots))]
        # Anyone left over (not with the article's figures) joins posts in turn.
        while len(slots) < len(members):
            slots += posts
        for member, post in zip(members, slots, strict=False):
            post.holders.append(member.pk)


def _claims(
    plans: list[_PostPlan], today: datetime.date
) -> tuple[list[PostClaim], dict[int, tuple[_PostPlan, datetime.date]]]:
    """Today's claims and a few dozen ended ones; member → (post held today, since)."""
    rng = _rng("claims")
    opened = {
        p.post.pk: min(_date_between(spec.CLAIMS_FROM, spec.CLAIMS_UNTIL, rng), today)
        for p in plans
    }
    current: dict[int, tuple[_PostPlan, datetime.date]] = {}
    for plan in plans:
        for member in plan.holders:
            start = min(opened[plan.post.pk] + datetime.timedelta(days=rng.randint(0, 6)), today)
            current[member] = (plan, start)
    rows: list[PostClaim] = []
    # Movers: a member held another post of the community first; a later claim took the place.
    by_community: dict[int, list[_PostPlan]] = defaultdict(list)
    for plan in plans:
        by_community[plan.area.community_pk].append(plan)
    candidates = sorted(
        m for m, (plan, _s) in current.items() if len(by_community[plan.area.community_pk]) > 1
    )
    movers = (
        rng.sample(candidates, min(spec.MOVES, len(candidates))) if today > spec.MOVES_UNTIL else []
    )
    replaced: set[int] = set(movers)
    for member in movers:
        plan, _start = current[member]
        others = [p for p in by_community[plan.area.community_pk] if p is not plan]
        old = rng.choice(others)
        ended = _date_between(spec.MOVES_FROM, spec.MOVES_UNTIL, rng)
        rows.append(
            PostClaim(
                post_id=old.post.pk,
                member_id=member,
                started_on=opened[old.post.pk],
                ended_on=ended,
                end_reason=rng.choice(spec.END_REASONS),
            )
        )
        current[member] = (plan, ended + datetime.timedelta(days=1))
        # One of the old post's holders today came in after the mover left.
        successors = [m for m in old.holders if m not in replaced]
        if successors:
            successor = rng.choice(successors)
            replaced.add(successor)
            current[successor] = (old, ended + datetime.timedelta(days=rng.randint(1, 10)))
    for member, (plan, start) in current.items():
        rows.append(PostClaim(post_id=plan.post.pk, member_id=member, started_on=start))
    for row in rows:
        row.created_at = timezone.make_aware(
            datetime.datetime.combine(row.started_on, datetime.time(10))
        )
    return rows, current


# --- the red grid --------------------------------------------------------------------


def _grid(
    plans: list[_PostPlan],
    areas: dict[str, list[_Area]],
    current: dict[int, tuple[_PostPlan, datetime.date]],
    office: dict[int, bool],
    today: datetime.date,
) -> list[GridAssignment]:
    """One leader and one to three members per area, from its posts' holders first.

    A member serves one area at most. Each area of a community gets its
    leader and a first member before any area gets a second member, so a
    community with few members still covers all its areas.
    """
    rng = _rng("grid")
    by_area: dict[int, list[int]] = defaultdict(list)
    for plan in plans:
        by_area[plan.area.region.pk].extend(plan.holders)
    chosen: dict[int, list[int]] = defaultdict(list)
    taken: set[int] = set()
    for _path, community_areas in sorted(areas.items()):
        in_community = sorted(m for a in community_areas for m in by_area.get(a.region.pk, []))
        pools: dict[int, list[int]] = {}
        wanted: dict[int, int] = {}
        for area in community_areas:
            local = sorted(by_area.get(area.region.pk, []))
            rng.shuffle(local)
            others = [m for m in in_community if m not in set(local)]
            rng.shuffle(others)
            pools[area.region.pk] = local + others
            wanted[area.region.pk] = 1 + rng.randint(1, 3)
        for round_ in range(4):
            for area in community_areas:
                pk = area.region.pk
                if round_ >= wanted[pk]:
                    continue
                member = next((m for m in pools[pk] if m not in taken), None)
                if member is not None:
                    taken.add(member)
                    chosen[pk].append(member)
    rows: list[GridAssignment] = []
    for area_pk, members in chosen.items():
        # A member who holds an office in the party leads the grid where there is one.
        leader = next((m for m in members if office.get(m)), members[0])
        for member in members:
            started = (
                max(current[member][1], spec.GRID_FROM) if member in current else spec.GRID_FROM
            )
            rows.append(
                GridAssignment(
                    area_id=area_pk,
                    member_id=member,
                    role=GridRole.LEADER if member == leader else GridRole.MEMBER,
                    started_on=min(started + datetime.timedelta(days=rng.randint(0, 9)), today),
                )
            )
    return rows


# --- patrols -------------------------------------------------------------------------


_HOURS, _HOUR_WEIGHTS = zip(*spec.PATROL_HOURS, strict=True)


def _local_moment(day: datetime.date, rng: random.Random, tz: Any) -> datetime.datetime:
    hour = rng.choices(_HOURS, weights=_HOUR_WEIGHTS)[0]
    return datetime.datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz
    )


def patrol_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[first, last] day of the demo's routine patrols: June 2026 (or half a year) to yesterday."""
    last = today - datetime.timedelta(days=1)
    return max(spec.PATROLS_FROM, last - datetime.timedelta(days=spec.PATROL_DAYS_MAX)), last


def _patrols(
    current: dict[int, tuple[_PostPlan, datetime.date]],
    members: dict[int, PartyMember],
    today: datetime.date,
) -> list[dict[str, Any]]:
    """2–6 patrols a member a month (fewer in a month the window covers in part), as rows."""
    first, last = patrol_window(today)
    if first > last:
        return []
    tz = timezone.get_default_timezone()
    rows: list[dict[str, Any]] = []
    low, high = spec.PATROLS_PER_MONTH
    for member_pk in sorted(current):
        plan, since = current[member_pk]
        post = plan.post
        member = members[member_pk]
        rng = _rng(f"patrols:{member_pk}")
        clear = _clear_of_edge(post.lat, post.lng, plan.area)  # type: ignore[arg-type]
        month = first.replace(day=1)
        while month <= last:
            following = (month + datetime.timedelta(days=32)).replace(day=1)
            start = max(month, first, since)
            end = min(following - datetime.timedelta(days=1), last)
            month_days = (following - month).days
            month = following
            if start > end:
                continue
            days = (end - start).days + 1
            count = min(days, round(rng.randint(low, high) * days / month_days))
            for offset in sorted(rng.sample(range(days), count)):
                at = _local_moment(start + datetime.timedelta(days=offset), rng, tz)
                lat, lng = _near(post.lat, post.lng, plan.area, rng, clear=clear)  # type: ignore[arg-type]
                rows.append(
                    {
                        "member_id": member_pk,
                        "post_id": post.pk,
                        "region_path": plan.area.region.path,
                        "organization_id": member.organization_id,
                        "at": at,
                        "lat": lat,
                        "lng": lng,
                        "accuracy_m": float(rng.choice((5, 8, 10, 12, 15, 20, 30))),
                        "note": rng.choice(spec.PATROL_NOTES),
                        "recorded_by_id": member.user_id,
                        "created_at": at,
                    }
                )
    return rows


def _found_on_patrol(
    root: Region,
    plans: list[_PostPlan],
    current: dict[int, tuple[_PostPlan, datetime.date]],
    members: dict[int, PartyMember],
    today: datetime.date,
) -> tuple[list[dict[str, Any]], list[Case]]:
    """For each demo case a party member reported since the patrols began: its patrol."""
    first, _last = patrol_window(today)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    cases = list(
        Case.objects.filter(
            region_path__startswith=root.path,
            source=Source.PARTY_PATROL,
            reported_at__gte=since,
            post_link__isnull=True,
        )
        .select_related("category")
        .order_by("reported_at", "pk")
    )
    rng = _rng("found")
    by_user = {m.user_id: pk for pk, m in members.items() if m.user_id}
    posts_in: dict[str, list[_PostPlan]] = defaultdict(list)
    for plan in plans:
        posts_in[plan.area.region.path].append(plan)
        posts_in[community_path(plan.area.region.path)].append(plan)
    patrols: list[dict[str, Any]] = []
    linked: list[Case] = []
    for case in cases:
        day = timezone.localtime(case.reported_at).date()
        member_pk = by_user.get(case.reporter_id)
        if member_pk is not None and member_pk in current and current[member_pk][1] <= day:
            plan = current[member_pk][0]
        else:
            area_path = "/".join(case.region_path.split("/")[:4]) + "/"
            nearby = posts_in.get(area_path) or posts_in.get(community_path(case.region_path), [])
            if not nearby:
                continue
            plan = min(
                nearby,
                key=lambda p: (
                    (p.post.lat - case.lat) ** 2 + (p.post.lng - case.lng) ** 2,
                    p.post.pk,
                ),  # type: ignore[operator]
            )
            on_duty = sorted(
                m for m in plan.holders if current[m][1] <= day and current[m][0] is plan
            )
            if not on_duty:
                continue
            member_pk = rng.choice(on_duty)
        member = members[member_pk]
        at = case.reported_at - datetime.timedelta(minutes=rng.randint(2, 15))
        patrols.append(
            {
                "member_id": member_pk,
                "post_id": plan.post.pk,
                "region_path": plan.area.region.path,
                "organization_id": member.organization_id,
                "at": at,
                "lat": case.lat,
                "lng": case.lng,
                "accuracy_m": float(rng.choice((5, 8, 10, 15))),
                "note": spec.FOUND_NOTE.format(category=case.category.name),
                "recorded_by_id": member.user_id,
                "created_at": at,
            }
        )
        linked.append(case)
    return patrols, linked


# --- loading -----------------------------------------------------------------------------


def _ensure_type_categories() -> None:
    """Give each standard post type its usual problem category, where it has none yet."""
    categories = dict(
        Category.objects.filter(code__in=spec.TYPE_CATEGORIES.values()).values_list("code", "pk")
    )
    for type_code, category_code in spec.TYPE_CATEGORIES.items():
        if category_code in categories:
            PostType.objects.filter(code=type_code, category__isnull=True).update(
                category_id=categories[category_code]
            )


def _insert(model: Any, rows: Sequence[Any]) -> None:
    for i in range(0, len(rows), BATCH_SIZE):
        model.objects.bulk_create(rows[i : i + BATCH_SIZE])


def load_posts(
    *, root_code: str = data.ROOT_CODE, today: datetime.date | None = None
) -> dict[str, int]:
    """Posts, claims, the red grid, patrols and patrol cases, if the demo has no posts yet."""
    created = dict.fromkeys(COUNT_KEYS, 0)
    _ensure_type_categories()
    root = Region.objects.get(code=root_code, depth=1)
    if Post.objects.filter(region__path__startswith=root.path).exists():
        return created
    today = today or timezone.localdate()
    communities, areas = _tree(root)
    members_qs = PartyMember.objects.filter(region__in=communities).order_by("pk")
    members = {m.pk: m for m in members_qs}
    members_by_community: dict[int, list[PartyMember]] = defaultdict(list)
    for member in members.values():
        members_by_community[member.region_id].append(member)
    types = {t.code: t for t in PostType.objects.filter(code__in=spec.TYPE_CODES, is_active=True)}
    if not types or not members:
        return created
    plans = _write_posts(communities, areas, members_by_community, types, today)
    claims, current = _claims(plans, today)
    _insert(PostClaim, claims)
    grid = _grid(plans, areas, current, {pk: m.holds_office for pk, m in members.items()}, today)
    _insert(GridAssignment, grid)
    patrols = _patrols(current, members, today)
    found, cases = _found_on_patrol(root, plans, current, members, today)
    # Tens of thousands of rows: inserted as the case demo inserts its rows, with
    # explicit keys (the found ones are linked to their cases by them).
    rows = sorted(patrols + found, key=lambda r: (r["at"], r["member_id"]))
    next_pk = _next_pk(Patrol)
    for offset, row in enumerate(rows):
        row["id"] = next_pk + offset
    _raw_insert(Patrol, rows)
    _reset_sequences(Patrol)
    links = [
        PostCase(
            post_id=patrol["post_id"],
            case_id=case.pk,
            origin=CaseOrigin.PATROL,
            patrol_id=patrol["id"],
            created_at=case.reported_at,
        )
        for patrol, case in zip(found, cases, strict=True)
    ]
    _insert(PostCase, links)
    created.update(
        posts=len(plans),
        post_claims=len(claims),
        grid_assignments=len(grid),
        patrols=len(patrols) + len(found),
        post_cases=len(links),
    )
    return created


def post_counts(root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """The posts' lines of the demo's figures."""
    prefix = root_code + "/"
    today = timezone.localdate()
    open_claims = PostClaim.objects.filter(
        post__region__path__startswith=prefix, post__is_active=True, started_on__lte=today
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
    return {
        "责任岗": Post.objects.filter(region__path__startswith=prefix, is_active=True).count(),
        "认岗党员": open_claims.values("member_id").distinct().count(),
        "巡查人次": Patrol.objects.filter(region_path__startswith=prefix).count(),
        "红色网格": GridAssignment.objects.filter(
            area__path__startswith=prefix, ended_on__isnull=True
        ).count(),
    }
