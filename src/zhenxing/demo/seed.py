"""`zhenxing seed-demo --scale N`: N copies of the Guicheng demo for performance work.

Copy 1 is the demo itself (root GC, loaded by `load_guicheng` when it is not
there yet, and never deleted here). Copies 2..N get roots ZS002..ZS00N and
everything below them: the same generator with its own seed and its own place
on the map (rows of ten copies, side by side, never overlapping), so N=10
gives 10 roots, 220 communities, 1,050 cooperatives and 1,730 areas.

The work is a list of `Step`s run in order inside one transaction, each with
its own progress bar; `--reset` runs the steps' `reset` functions in reverse
order. A later feature (inspections, cases) adds its generator by appending a
`Step` to `STEPS` with a `reset` that deletes its rows under the scaled roots.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from zhenxing.core import audit
from zhenxing.demo import cases as demo_cases
from zhenxing.demo import data
from zhenxing.demo.generator import MAX_COPIES, SCALED_PREFIX, CopyPlan, plan_copy
from zhenxing.demo.guicheng import load_guicheng
from zhenxing.demo.persist import Tick, write_members, write_orgs, write_regions, write_teams
from zhenxing.demo.progress import ProgressBar
from zhenxing.people.models import PartyMember, PartyOrganization, WorkTeam
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q

_SCALED_ROOT = re.compile(rf"^{SCALED_PREFIX}\d{{3}}$")


class SeedError(Exception):
    """The seed cannot run as asked; the message says why and what to do."""


@dataclass
class SeedContext:
    scale: int
    # Plans of copies 2..scale, filled by the first step.
    plans: list[CopyPlan] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    label: str
    # How many ticks the step will make (for its progress bar).
    total: Callable[[SeedContext], int]
    run: Callable[[SeedContext, Tick], int]
    # Deletes this step's rows under the given scaled root paths; the number deleted.
    reset: Callable[[list[str]], int] | None = None


def parse_scale(value: Any) -> int:
    """The scale as an int in 1..MAX_COPIES, or SeedError with a clear message."""
    try:
        scale = int(str(value).strip())
    except ValueError:
        raise SeedError(f"--scale must be a whole number, not {value!r}") from None
    if not 1 <= scale <= MAX_COPIES:
        raise SeedError(f"--scale must be between 1 and {MAX_COPIES}, not {scale}")
    return scale


def scaled_roots() -> list[Region]:
    """The roots of copies a previous seed made (ZS002...), never the demo's GC."""
    candidates = Region.objects.filter(depth=1, code__startswith=SCALED_PREFIX)
    return [r for r in candidates if _SCALED_ROOT.match(r.code)]


def _delete_leaves_first(qs: QuerySet, children: str) -> int:
    """Delete a tree whose parent links are PROTECTed, leaves first."""
    deleted = 0
    while True:
        leaves = qs.filter(**{f"{children}__isnull": True})
        n, _ = leaves.delete()
        if not n:
            return deleted
        deleted += n


# --- steps ------------------------------------------------------------------


def _plan(ctx: SeedContext, tick: Tick) -> int:
    for index in range(2, ctx.scale + 1):
        ctx.plans.append(plan_copy(index))
        tick(1)
    return len(ctx.plans)


def _territory(ctx: SeedContext, tick: Tick) -> int:
    return write_regions([r for p in ctx.plans for r in p.regions], tick=tick)


def _reset_territory(paths: list[str]) -> int:
    deleted = 0
    regions = Region.objects.filter(path_prefix_q(paths, "path"))
    for depth in sorted(set(regions.values_list("depth", flat=True)), reverse=True):
        n, _ = regions.filter(depth=depth).delete()
        deleted += n
    return deleted


def _orgs(ctx: SeedContext, tick: Tick) -> int:
    return write_orgs([o for p in ctx.plans for o in p.orgs], tick=tick)


def _reset_orgs(paths: list[str]) -> int:
    org_paths = [f"P-{path}" for path in paths]
    return _delete_leaves_first(
        PartyOrganization.objects.filter(path_prefix_q(org_paths, "path")), "children"
    )


def _members(ctx: SeedContext, tick: Tick) -> int:
    return write_members([m for p in ctx.plans for m in p.members], tick=tick)


def _reset_members(paths: list[str]) -> int:
    return PartyMember.objects.filter(path_prefix_q(paths, "region__path")).delete()[0]


def _teams(ctx: SeedContext, tick: Tick) -> int:
    return write_teams([t for p in ctx.plans for t in p.teams], tick=tick)


def _reset_teams(paths: list[str]) -> int:
    return WorkTeam.objects.filter(path_prefix_q(paths, "region__path")).delete()[0]


def _cases(ctx: SeedContext, tick: Tick) -> int:
    # The demo may predate the cases: its categories and calendar come first.
    demo_cases.ensure_categories()
    demo_cases.ensure_holidays()
    calendar = demo_cases.load_calendar()
    now = timezone.now()
    written = 0
    for plan in ctx.plans:
        root = Region.objects.get(code=plan.root_code, depth=1)
        written += demo_cases.write_copy_cases(
            root, index=plan.index, now=now, calendar=calendar, tick=tick
        )
    return written


STEPS: list[Step] = [
    Step("plans", lambda ctx: ctx.scale - 1, _plan),
    Step(
        "territory",
        lambda ctx: sum(len(p.regions) for p in ctx.plans),
        _territory,
        _reset_territory,
    ),
    Step(
        "party organisations",
        lambda ctx: sum(len(p.orgs) for p in ctx.plans),
        _orgs,
        _reset_orgs,
    ),
    Step(
        "party members",
        lambda ctx: sum(len(p.members) for p in ctx.plans),
        _members,
        _reset_members,
    ),
    Step("work teams", lambda ctx: sum(len(p.teams) for p in ctx.plans), _teams, _reset_teams),
    Step(
        "cases",
        lambda ctx: demo_cases.CASES_PER_COPY * len(ctx.plans),
        _cases,
        demo_cases.delete_cases_under,
    ),
]


# --- entry point --------------------------------------------------------------


@dataclass
class SeedResult:
    scale: int
    created: dict[str, int]
    deleted: int
    base_loaded: bool
    seconds: float
    roots: list[str]


def seed_demo(
    *, scale: int, reset: bool = False, password: str, stream: Any | None = None
) -> SeedResult:
    """Make copies 2..scale of the demo (and the demo itself when it is missing).

    Refuses when scaled copies exist already, unless `reset`, which deletes
    every scaled copy (ZS...) first, whatever scale made it; the demo (GC)
    is kept. All of it is one transaction: a failure leaves nothing half-made.
    """
    scale = parse_scale(scale)
    started = time.monotonic()
    ctx = SeedContext(scale=scale)
    deleted = 0
    with transaction.atomic():
        existing = scaled_roots()
        if existing and not reset:
            codes = ", ".join(r.code for r in existing[:5]) + (" …" if len(existing) > 5 else "")
            raise SeedError(
                f"scaled demo copies already exist ({codes}); "
                "run again with --reset to delete them and seed afresh"
            )
        if existing:
            paths = [r.path for r in existing]
            for step in reversed(STEPS):
                if step.reset is not None:
                    deleted += step.reset(paths)
        base_loaded = not Region.objects.filter(code=data.ROOT_CODE, depth=1).exists()
        if base_loaded:
            load_guicheng(password=password, progress=stream)
        for step in STEPS:
            bar = ProgressBar(stream, total=step.total(ctx), label=step.label) if stream else None
            ctx.created[step.label] = step.run(ctx, bar.advance if bar else _ignore)
            if bar:
                bar.finish()
        audit.record(
            actor=None,
            action="demo.seed",
            summary=f"seed-demo --scale {scale}"
            + (f" (reset: {deleted} rows deleted)" if deleted else ""),
            changes={"scale": scale, "created": ctx.created, "deleted": deleted},
        )
    return SeedResult(
        scale=scale,
        created=ctx.created,
        deleted=deleted,
        base_loaded=base_loaded,
        seconds=time.monotonic() - started,
        roots=[data.ROOT_CODE] + [p.root_code for p in ctx.plans],
    )


def _ignore(_: int) -> None:
    return None
