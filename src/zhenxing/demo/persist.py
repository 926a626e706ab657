"""Write generated plans to the database in bulk.

Each writer inserts only the planned rows whose natural key is not there yet
(region and organisation codes, member mobiles, team names per community),
parents before children, so running a load twice creates nothing the second
time. Paths and depths are computed exactly as the territory and people
services do (parent's path + code + PATH_SEP, depth = parent's + 1).

These writers skip the per-row audit rows of the services on purpose: a load
writes thousands of rows, and its caller records one summary row instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby, islice
from typing import Any, TypeVar

from django.db import models

from zhenxing.demo.generator import MemberPlan, OrgPlan, RegionPlan, TeamPlan
from zhenxing.people.models import PartyMember, PartyOrganization, WorkTeam
from zhenxing.territory.models import PATH_SEP, Region

BATCH_SIZE = 1000
# Values per `IN (...)` lookup: far below SQLite's 32,766 bound variables.
_LOOKUP_CHUNK = 2000

Tick = Callable[[int], None]
T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _noop(_: int) -> None:
    return None


def _lookup(
    model: type[models.Model], key: str, values: Iterable[Any], *fields: str
) -> dict[Any, tuple[Any, ...]]:
    """{key value: (fields...)} for the rows whose `key` is among `values`."""
    found: dict[Any, tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(set(values)), _LOOKUP_CHUNK):
        for row in model._default_manager.filter(**{f"{key}__in": chunk}).values_list(key, *fields):
            found[row[0]] = tuple(row[1:])
    return found


def _insert(model: type[models.Model], objs: Sequence[models.Model], tick: Tick) -> None:
    for chunk in _chunks(objs, BATCH_SIZE):
        model._default_manager.bulk_create(chunk, batch_size=BATCH_SIZE)
        tick(len(chunk))


def _pks_of(model: type[models.Model], objs: Sequence[models.Model]) -> dict[str, int]:
    """code → pk of freshly inserted rows (bulk_create sets pks on PostgreSQL and SQLite ≥ 3.35)."""
    if all(o.pk is not None for o in objs):
        return {o.code: o.pk for o in objs}  # type: ignore[attr-defined]
    codes = [o.code for o in objs]  # type: ignore[attr-defined]
    return {code: row[0] for code, row in _lookup(model, "code", codes, "pk").items()}


def region_pks(codes: Iterable[str]) -> dict[str, int]:
    return {code: row[0] for code, row in _lookup(Region, "code", codes, "pk").items()}


def write_regions(plans: Sequence[RegionPlan], *, tick: Tick = _noop) -> int:
    """Insert the planned regions that are missing, level by level; the number inserted."""
    known: dict[str, tuple[int, str]] = {
        code: (pk, path)
        for code, (pk, path) in _lookup(
            Region, "code", (p.code for p in plans), "pk", "path"
        ).items()
    }
    created = 0
    ordered = sorted(plans, key=lambda p: p.depth)
    for _depth, group in groupby(ordered, key=lambda p: p.depth):
        objs: list[Region] = []
        for p in group:
            if p.code in known:
                continue
            parent = known[p.parent_code] if p.parent_code else None
            objs.append(
                Region(
                    code=p.code,
                    name=p.name,
                    parent_id=parent[0] if parent else None,
                    depth=p.depth,
                    path=(parent[1] if parent else "") + p.code + PATH_SEP,
                    geometry=p.geometry,
                    centroid_lat=p.centroid_lat,
                    centroid_lng=p.centroid_lng,
                    population=p.population,
                    households=p.households,
                )
            )
        _insert(Region, objs, tick)
        pks = _pks_of(Region, objs)
        known.update({o.code: (pks[o.code], o.path) for o in objs})
        created += len(objs)
    return created


def write_orgs(plans: Sequence[OrgPlan], *, tick: Tick = _noop) -> int:
    """Insert the planned party organisations that are missing, parents first."""
    known: dict[str, tuple[int, str]] = {
        code: (pk, path)
        for code, (pk, path) in _lookup(
            PartyOrganization, "code", (p.code for p in plans), "pk", "path"
        ).items()
    }
    regions = region_pks(p.region_code for p in plans)
    by_code = {p.code: p for p in plans}

    def level(p: OrgPlan) -> int:
        depth, parent = 0, p.parent_code
        while parent:
            depth += 1
            parent = by_code[parent].parent_code if parent in by_code else None
        return depth

    created = 0
    for _level, group in groupby(sorted(plans, key=level), key=level):
        objs: list[PartyOrganization] = []
        for p in group:
            if p.code in known:
                continue
            parent = known[p.parent_code] if p.parent_code else None
            objs.append(
                PartyOrganization(
                    code=p.code,
                    name=p.name,
                    kind=p.kind,
                    parent_id=parent[0] if parent else None,
                    path=(parent[1] if parent else "") + p.code + PATH_SEP,
                    region_id=regions[p.region_code],
                )
            )
        _insert(PartyOrganization, objs, tick)
        pks = _pks_of(PartyOrganization, objs)
        known.update({o.code: (pks[o.code], o.path) for o in objs})
        created += len(objs)
    return created


def write_members(plans: Sequence[MemberPlan], *, tick: Tick = _noop) -> int:
    """Insert the planned party members whose mobile is not taken yet."""
    existing = _lookup(PartyMember, "mobile", (p.mobile for p in plans))
    todo = [p for p in plans if p.mobile not in existing]
    orgs = {
        code: row[0]
        for code, row in _lookup(
            PartyOrganization, "code", (p.org_code for p in todo), "pk"
        ).items()
    }
    regions = region_pks(p.region_code for p in todo)
    objs = [
        PartyMember(
            name=p.name,
            mobile=p.mobile,
            gender=p.gender,
            birth_year=p.birth_year,
            joined_on=p.joined_on,
            organization_id=orgs[p.org_code],
            region_id=regions[p.region_code],
            holds_office=p.holds_office,
        )
        for p in todo
    ]
    _insert(PartyMember, objs, tick)
    return len(objs)


def write_teams(plans: Sequence[TeamPlan], *, tick: Tick = _noop) -> int:
    """Insert the planned work teams missing from their community."""
    regions = region_pks(p.region_code for p in plans)
    existing = set(
        WorkTeam.objects.filter(region_id__in=regions.values()).values_list("region_id", "name")
    )
    objs = [
        WorkTeam(name=p.name, region_id=regions[p.region_code], headcount=p.headcount)
        for p in plans
        if (regions[p.region_code], p.name) not in existing
    ]
    _insert(WorkTeam, objs, tick)
    return len(objs)
