"""Generate one copy of the Guicheng demo territory and its people, in memory.

Nothing here touches the database: `plan_copy(index)` returns plain
dataclasses that `zhenxing.demo.persist` writes. The same generator serves
`load_guicheng` (copy 1, the demo itself) and `seed-demo --scale N`
(copies 2..N), so copy 1 is always exactly the demo territory.

Geometry
--------
Every polygon is built from one jittered lattice of vertices per copy:
`LATTICE_COLS` × `LATTICE_ROWS` cells, each vertex moved by a gentle wave and
a little noise so borders look drawn rather than ruled. Regions are
rectangles *in lattice-index space*, found by a guillotine split (root →
communities → cooperatives → areas → streets): a region's polygon is the walk
along the lattice vertices of its index rectangle's boundary. Two neighbours
therefore share the very same vertex coordinates along their common border
(rounded to 6 decimals once, on the lattice, before any polygon exists), so
the areas tile their cooperative, the cooperatives their community and the
communities the root with no overlap and no gap, exactly.
Jitter stays below half a cell, which keeps every walk a simple polygon.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Polygon

from zhenxing.demo import data
from zhenxing.territory.geometry import centroid_of

# The demo copy sits over Guicheng: about 113.09–113.21 E, 22.99–23.07 N.
ORIGIN_LNG = 113.09
ORIGIN_LAT = 22.99
SPAN_LNG = 0.12
SPAN_LAT = 0.08
LATTICE_COLS = 72
LATTICE_ROWS = 48
# Scaled copies are laid out in rows of this many, this far apart (degrees),
# so a copy's position never depends on how many copies there are.
COPIES_PER_ROW = 10
COPY_GAP = 0.01
COORD_DECIMALS = 6

# Wave amplitude and wavelength (in cells) and noise (fraction of a cell).
# Amplitude × 2π / wavelength stays well below 1 and the noise well below 0.5, so
# lattice rows and columns never cross (see the module docstring).
_WAVE_AMPLITUDE = 1.2
_WAVE_LENGTH = 40.0
_NOISE = 0.12

# Scaled copies' root codes: SCALED_PREFIX + three digits (ZS002..ZS999).
SCALED_PREFIX = "ZS"
MAX_COPIES = 999

# Mobile numbers: an affine bijection on 8-digit suffixes keeps every
# generated number unique across all copies while looking random.
_MOBILE_PREFIXES = [
    "139",
    "138",
    "137",
    "136",
    "135",
    "134",
    "159",
    "158",
    "157",
    "150",
    "151",
    "152",
    "188",
    "187",
    "183",
    "182",
    "130",
    "131",
    "132",
    "155",
    "156",
    "186",
    "185",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
    "199",
]
_MOBILE_MULTIPLIER = 73_939_133  # coprime with 10**8
_MOBILE_OFFSET = 12_345_679
_MEMBERS_PER_COPY_MAX = 100_000


@dataclass(frozen=True)
class Rect:
    """Cells [c0, c1) × [r0, r1) of the lattice."""

    c0: int
    r0: int
    c1: int
    r1: int

    @property
    def width(self) -> int:
        return self.c1 - self.c0

    @property
    def height(self) -> int:
        return self.r1 - self.r0

    @property
    def cells(self) -> int:
        return self.width * self.height


@dataclass
class RegionPlan:
    code: str
    name: str
    parent_code: str | None
    depth: int
    geometry: dict[str, Any]
    centroid_lat: float
    centroid_lng: float
    population: int | None = None
    households: int | None = None


@dataclass
class OrgPlan:
    code: str
    name: str
    kind: str
    parent_code: str | None
    region_code: str


@dataclass
class MemberPlan:
    name: str
    mobile: str
    gender: str
    birth_year: int
    joined_on: datetime.date
    org_code: str
    region_code: str
    holds_office: bool = False


@dataclass
class TeamPlan:
    name: str
    region_code: str
    headcount: int


@dataclass
class CopyPlan:
    index: int
    root_code: str
    regions: list[RegionPlan] = field(default_factory=list)
    orgs: list[OrgPlan] = field(default_factory=list)
    members: list[MemberPlan] = field(default_factory=list)
    teams: list[TeamPlan] = field(default_factory=list)
    # Short community name (叠南) → its code in this copy.
    community_codes: dict[str, str] = field(default_factory=dict)

    def regions_at(self, depth: int) -> list[RegionPlan]:
        return [r for r in self.regions if r.depth == depth]


def root_code_for(index: int) -> str:
    """Copy 1 is the demo (GC); copies 2..999 are ZS002..ZS999."""
    if not 1 <= index <= MAX_COPIES:
        raise ValueError(f"copy index must be 1..{MAX_COPIES}")
    return data.ROOT_CODE if index == 1 else f"{SCALED_PREFIX}{index:03d}"


def _name_suffix(index: int) -> str:
    return "" if index == 1 else f"·{index:03d}"


def _rng(index: int, what: str) -> random.Random:
    # String seeds hash with SHA-512: stable across runs and PYTHONHASHSEED.
    return random.Random(f"zhenxing-demo:{index}:{what}")


def copy_origin(index: int) -> tuple[float, float]:
    """South-west corner (lng, lat) of a copy's lattice; copies never overlap."""
    pos = index - 1
    col, row = pos % COPIES_PER_ROW, pos // COPIES_PER_ROW
    return (
        ORIGIN_LNG + col * (SPAN_LNG + COPY_GAP),
        ORIGIN_LAT - row * (SPAN_LAT + COPY_GAP),
    )


# --- geometry ---------------------------------------------------------------


class Lattice:
    """The jittered vertices of one copy, rounded once so shared borders stay identical."""

    def __init__(self, *, origin: tuple[float, float], rng: random.Random) -> None:
        cell_w = SPAN_LNG / LATTICE_COLS
        cell_h = SPAN_LAT / LATTICE_ROWS
        phase_x, phase_y = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
        lng0, lat0 = origin
        self.points: list[list[tuple[float, float]]] = []
        for i in range(LATTICE_COLS + 1):
            column = []
            for j in range(LATTICE_ROWS + 1):
                # The x shift depends on the row only and the y shift on the
                # column only, so rows stay x-monotone and columns y-monotone.
                u = i + _WAVE_AMPLITUDE * math.sin(2 * math.pi * j / _WAVE_LENGTH + phase_x)
                v = j + _WAVE_AMPLITUDE * math.sin(2 * math.pi * i / _WAVE_LENGTH + phase_y)
                u += rng.uniform(-_NOISE, _NOISE)
                v += rng.uniform(-_NOISE, _NOISE)
                column.append(
                    (
                        round(lng0 + u * cell_w, COORD_DECIMALS),
                        round(lat0 + v * cell_h, COORD_DECIMALS),
                    )
                )
            self.points.append(column)

    def ring(self, rect: Rect) -> list[tuple[float, float]]:
        """The rectangle's boundary, counter-clockwise, closed (RFC 7946 exterior ring)."""
        p = self.points
        ring = [p[i][rect.r0] for i in range(rect.c0, rect.c1 + 1)]
        ring += [p[rect.c1][j] for j in range(rect.r0 + 1, rect.r1 + 1)]
        ring += [p[i][rect.r1] for i in range(rect.c1 - 1, rect.c0 - 1, -1)]
        ring += [p[rect.c0][j] for j in range(rect.r1 - 1, rect.r0 - 1, -1)]
        return ring

    def polygon(self, rect: Rect) -> Polygon:
        poly = Polygon(self.ring(rect))
        if not poly.is_valid:  # cannot happen with the jitter bounds above; fail loudly if it does
            raise AssertionError(f"generated polygon for {rect} is not valid")
        return poly


def _geojson(poly: Polygon) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(xy) for xy in poly.exterior.coords]]}


def split(rect: Rect, weights: list[int], rng: random.Random) -> list[Rect]:
    """Cut `rect` into len(weights) rectangles sized by weight (guillotine, longer side first).

    A weight is also the least number of cells its piece gets, so a piece
    that will be split again into k parts always has room for them.
    """
    if len(weights) == 1:
        return [rect]
    total = sum(weights)
    cumulative = 0
    best_m, best_gap = 1, math.inf
    for m in range(1, len(weights)):
        cumulative += weights[m - 1]
        gap = abs(cumulative - total / 2)
        if gap < best_gap:
            best_m, best_gap = m, gap
    first, second = weights[:best_m], weights[best_m:]
    w1, w2 = sum(first), sum(second)
    across_columns = rect.width >= rect.height
    length = rect.width if across_columns else rect.height
    breadth = rect.height if across_columns else rect.width
    lo = max(1, math.ceil(w1 / breadth))
    hi = length - max(1, math.ceil(w2 / breadth))
    if lo > hi:
        raise ValueError(f"{rect} has no room for {len(weights)} pieces")
    cut = round(length * w1 / total * rng.uniform(0.88, 1.12))
    cut = min(max(cut, lo), hi)
    if across_columns:
        a = Rect(rect.c0, rect.r0, rect.c0 + cut, rect.r1)
        b = Rect(rect.c0 + cut, rect.r0, rect.c1, rect.r1)
    else:
        a = Rect(rect.c0, rect.r0, rect.c1, rect.r0 + cut)
        b = Rect(rect.c0, rect.r0 + cut, rect.c1, rect.r1)
    return split(a, first, rng) + split(b, second, rng)


def _spread(total: int, parts: int, bounds: tuple[int, int], rng: random.Random) -> list[int]:
    """`parts` integers within `bounds` that sum to `total`, spread at random."""
    lo, hi = bounds
    if not lo * parts <= total <= hi * parts:
        raise ValueError(f"cannot split {total} into {parts} parts within {bounds}")
    counts = [lo] * parts
    for _ in range(total - lo * parts):
        choices = [i for i, c in enumerate(counts) if c < hi]
        counts[rng.choice(choices)] += 1
    return counts


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder apportionment: integers proportional to weights, summing to total."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    shares = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _region(
    *,
    code: str,
    name: str,
    parent: str | None,
    depth: int,
    poly: Polygon,
    population: int | None = None,
    households: int | None = None,
) -> RegionPlan:
    lat, lng = centroid_of(poly)
    return RegionPlan(
        code=code,
        name=name,
        parent_code=parent,
        depth=depth,
        geometry=_geojson(poly),
        centroid_lat=round(lat, COORD_DECIMALS),
        centroid_lng=round(lng, COORD_DECIMALS),
        population=population,
        households=households,
    )


def plan_territory(plan: CopyPlan) -> None:
    rng = _rng(plan.index, "territory")
    suffix = _name_suffix(plan.index)
    lattice = Lattice(origin=copy_origin(plan.index), rng=rng)
    n = len(data.COMMUNITIES)
    coop_counts = _spread(data.COOPERATIVES_TOTAL, n, data.COOPERATIVES_PER_COMMUNITY, rng)
    area_counts = _spread(
        data.AREAS_TOTAL, data.COOPERATIVES_TOTAL, data.AREAS_PER_COOPERATIVE, rng
    )
    # Areas per cooperative, grouped by community.
    grouped: list[list[int]] = []
    at = 0
    for count in coop_counts:
        grouped.append(area_counts[at : at + count])
        at += count

    whole = Rect(0, 0, LATTICE_COLS, LATTICE_ROWS)
    community_rects = split(whole, [sum(g) for g in grouped], rng)

    root_code = plan.root_code
    root = _region(
        code=root_code,
        name=data.ROOT_NAME + suffix,
        parent=None,
        depth=1,
        poly=lattice.polygon(whole),
    )
    plan.regions.append(root)
    communities: list[RegionPlan] = []
    coops: list[RegionPlan] = []
    areas: list[RegionPlan] = []
    streets: list[RegionPlan] = []
    for ci, (short, crect, coop_areas) in enumerate(
        zip(data.COMMUNITIES, community_rects, grouped, strict=True), start=1
    ):
        ccode = f"{root_code}{ci:02d}"
        plan.community_codes[short] = ccode
        population = rng.randint(*data.POPULATION_RANGE)
        households = round(population / rng.uniform(2.8, 3.4))
        communities.append(
            _region(
                code=ccode,
                name=f"{short}{data.COMMUNITY_SUFFIX}{suffix}",
                parent=root_code,
                depth=2,
                poly=lattice.polygon(crect),
                population=population,
                households=households,
            )
        )
        coop_rects = split(crect, coop_areas, rng)
        area_rects_by_coop = [
            split(r, [1] * k, rng) for r, k in zip(coop_rects, coop_areas, strict=True)
        ]
        # Residents and households follow land: share them out by cells.
        all_area_rects = [a for rects in area_rects_by_coop for a in rects]
        cells = [a.cells for a in all_area_rects]
        area_pop = iter(_apportion(population, cells))
        area_hh = iter(_apportion(households, cells))
        street_names = iter(data.STREETS if short == data.STREETS_COMMUNITY else [])
        for ki, (krect, arects) in enumerate(
            zip(coop_rects, area_rects_by_coop, strict=True), start=1
        ):
            kcode = f"{ccode}-{ki:02d}"
            ordinal = data.CHINESE_ORDINALS[ki - 1]
            kareas: list[RegionPlan] = []
            for ai, arect in enumerate(arects, start=1):
                acode = f"{kcode}-{ai}"
                kareas.append(
                    _region(
                        code=acode,
                        name=f"{short}{ordinal}社第{data.CHINESE_ORDINALS[ai - 1]}片区{suffix}",
                        parent=kcode,
                        depth=4,
                        poly=lattice.polygon(arect),
                        population=next(area_pop),
                        households=next(area_hh),
                    )
                )
                # Streets: the first areas of the street community with room for two.
                if max(arect.width, arect.height) >= 2:
                    names = [next(street_names, None), next(street_names, None)]
                    if all(names):
                        for si, (srect, sname) in enumerate(
                            zip(split(arect, [1, 1], rng), names, strict=True), start=1
                        ):
                            streets.append(
                                _region(
                                    code=f"{acode}-{si}",
                                    name=f"{sname}{suffix}",
                                    parent=acode,
                                    depth=5,
                                    poly=lattice.polygon(srect),
                                )
                            )
            coops.append(
                _region(
                    code=kcode,
                    name=f"{short}第{ordinal}经济社{suffix}",
                    parent=ccode,
                    depth=3,
                    poly=lattice.polygon(krect),
                    population=sum(a.population or 0 for a in kareas),
                    households=sum(a.households or 0 for a in kareas),
                )
            )
            areas.extend(kareas)
    root.population = sum(c.population or 0 for c in communities)
    root.households = sum(c.households or 0 for c in communities)
    plan.regions.extend(communities + coops + areas + streets)


# --- people -----------------------------------------------------------------


def mobile_for(copy_index: int, n: int) -> str:
    """The n-th generated mobile of a copy: unique over all copies and members."""
    if not 0 <= n < _MEMBERS_PER_COPY_MAX:
        raise ValueError("member number out of range")
    idx = copy_index * _MEMBERS_PER_COPY_MAX + n
    suffix = (idx * _MOBILE_MULTIPLIER + _MOBILE_OFFSET) % 10**8
    prefix = _MOBILE_PREFIXES[(idx * 7 + copy_index) % len(_MOBILE_PREFIXES)]
    return f"{prefix}{suffix:08d}"


def _person_name(rng: random.Random, gender: str) -> str:
    surnames, weights = zip(*data.SURNAMES, strict=True)
    surname = rng.choices(surnames, weights=weights)[0]
    pool = data.GIVEN_MALE if gender == "M" else data.GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 2))))
    return surname + given


def plan_party(plan: CopyPlan) -> None:
    rng = _rng(plan.index, "party")
    suffix = _name_suffix(plan.index)
    root_org = f"P-{plan.root_code}"
    plan.orgs.append(
        OrgPlan(
            code=root_org,
            name=data.PARTY_COMMITTEE + suffix,
            kind="committee",
            parent_code=None,
            region_code=plan.root_code,
        )
    )
    communities = plan.regions_at(2)
    branches_of: dict[str, list[str]] = {}
    for community in communities:
        org = f"P-{community.code}"
        plan.orgs.append(
            OrgPlan(
                code=org,
                name=f"{community.name.removesuffix(suffix)}党委{suffix}",
                kind="committee",
                parent_code=root_org,
                region_code=community.code,
            )
        )
        short = community.name.removesuffix(suffix).removesuffix(data.COMMUNITY_SUFFIX)
        count = rng.randint(*data.BRANCHES_PER_COMMUNITY)
        names = [f"{short}经联社党支部"]
        names += [f"{short}第{data.CHINESE_ORDINALS[i]}党支部" for i in range(count - 2)]
        names.append(
            f"{short}退休党员党支部"
            if count >= 4
            else f"{short}第{data.CHINESE_ORDINALS[count - 2]}党支部"
        )
        branches_of[community.code] = []
        for bi, bname in enumerate(names, start=1):
            code = f"{org}-{bi}"
            branches_of[community.code].append(code)
            plan.orgs.append(
                OrgPlan(
                    code=code,
                    name=bname + suffix,
                    kind="branch",
                    parent_code=org,
                    region_code=community.code,
                )
            )

    shares = _apportion(data.PARTY_MEMBERS_TOTAL, [c.population or 1 for c in communities])
    named_code = plan.community_codes[data.NAMED_MEMBER_COMMUNITY]
    n = 0
    for community, share in zip(communities, shares, strict=True):
        branches = branches_of[community.code]
        for i in range(share):
            if community.code == named_code and i == 0:
                # The article's retired volunteer, in his community's retired members' branch.
                plan.members.append(
                    MemberPlan(
                        name=data.NAMED_MEMBER_NAME,
                        mobile=mobile_for(plan.index, n),
                        gender="M",
                        birth_year=data.NAMED_MEMBER_BIRTH_YEAR,
                        joined_on=datetime.date(1976, 7, 1),
                        org_code=branches[-1],
                        region_code=community.code,
                    )
                )
                n += 1
                continue
            gender = "M" if rng.random() < 0.62 else "F"
            birth_year = int(min(2001, max(1938, rng.gauss(1968, 14))))
            joined_year = rng.randint(min(birth_year + 19, 2019), 2019)
            plan.members.append(
                MemberPlan(
                    name=_person_name(rng, gender),
                    mobile=mobile_for(plan.index, n),
                    gender=gender,
                    birth_year=birth_year,
                    joined_on=datetime.date(joined_year, rng.randint(1, 12), rng.randint(1, 28)),
                    org_code=rng.choice(branches),
                    region_code=community.code,
                    holds_office=rng.random() < 0.08,
                )
            )
            n += 1


def plan_teams(plan: CopyPlan) -> None:
    rng = _rng(plan.index, "teams")
    suffix = _name_suffix(plan.index)
    communities = plan.regions_at(2)
    counts = [rng.randint(*data.WORK_TEAM_HEADCOUNT) for _ in communities]
    while sum(counts) < data.WORK_TEAM_TOTAL_MIN:
        counts[
            rng.choice([i for i, c in enumerate(counts) if c < data.WORK_TEAM_HEADCOUNT[1]])
        ] += 1
    for community, headcount in zip(communities, counts, strict=True):
        base = community.name.removesuffix(suffix)
        plan.teams.append(
            TeamPlan(
                name=f"{base}{data.WORK_TEAM_SUFFIX}{suffix}",
                region_code=community.code,
                headcount=headcount,
            )
        )


def plan_copy(index: int) -> CopyPlan:
    """Everything copy `index` holds: territory, party organisations and members, teams."""
    plan = CopyPlan(index=index, root_code=root_code_for(index))
    plan_territory(plan)
    plan_party(plan)
    plan_teams(plan)
    return plan
