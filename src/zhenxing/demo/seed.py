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

With `history` (the command's default) two more steps give every root, the
demo's GC included, three years of cases and daily inspections before its
own window (`demo.history`); `--reset` deletes those of the demo too (they
are marked), and the demo's own rows stay.
"""

from __future__ import annotations

import datetime
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
from zhenxing.demo import history as demo_history
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
    history: bool = False
    # Mixed into the history's random draws: another seed, other data.
    seed: str = "zhenxing-demo"
    now: datetime.datetime = field(default_factory=timezone.now)
    # Plans of copies 2..scale, filled by the first step.
    plans: list[CopyPlan] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def roots(self) -> list[Region]:
        """Every root: the demo's, then the copies' (in order)."""
        codes = [data.ROOT_CODE] + [p.root_code for p in self.plans]
        by_code = {r.code: r for r in Region.objects.filter(depth=1, code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]


@dataclass(frozen=True)
class Step:
    label: str
    # How many ticks the step will make (for its progress bar).
    total: Callable[[SeedContext], int]
    run: Callable[[SeedContext, Tick], int]
    # Deletes this step's rows under the given scaled root paths; the number deleted.
    reset: Callable[[list[str]], int] | None = None
    # Runs only when the seed makes the history.
    history: bool = False


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


def _history_cases(ctx: SeedContext, tick: Tick) -> int:
    counts = demo_history.write_case_history(
        ctx.roots(), seed=ctx.seed, now=ctx.now, calendar=demo_cases.load_calendar(), tick=tick
    )
    ctx.created.update({k: v for k, v in counts.items() if k != "history cases"})
    return counts["history cases"]


def _history_inspections(ctx: SeedContext, tick: Tick) -> int:
    counts = demo_history.write_inspection_history(
        ctx.roots(), seed=ctx.seed, now=ctx.now, calendar=demo_cases.load_calendar(), tick=tick
    )
    ctx.created.update({k: v for k, v in counts.items() if k != "inspections"})
    return counts["inspections"]


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
    Step(
        "history cases",
        lambda ctx: demo_history.cases_per_root() * len(ctx.roots()),
        _history_cases,
        demo_history.delete_history,
        history=True,
    ),
    Step(
        "inspections",
        lambda ctx: demo_history.inspection_days(ctx.roots(), ctx.now, demo_cases.load_calendar()),
        _history_inspections,
        history=True,
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
    # Seconds each step took (the reset and the demo's load included), in order.
    timings: dict[str, float] = field(default_factory=dict)
    # Rows in the main tables once the seed is committed (all roots together).
    totals: dict[str, int] = field(default_factory=dict)


def seed_demo(
    *,
    scale: int,
    reset: bool = False,
    password: str,
    stream: Any | None = None,
    history: bool = False,
    seed: str = "zhenxing-demo",
) -> SeedResult:
    """Make copies 2..scale of the demo (and the demo itself when it is missing).

    Refuses when scaled copies (or the demo's history) exist already, unless
    `reset`, which deletes every scaled copy (ZS...) and the demo's history
    first, whatever scale made them; the demo's own rows are kept. With
    `history`, every root gets three years of cases and inspections. All of
    it is one transaction: a failure leaves nothing half-made.
    """
    scale = parse_scale(scale)
    started = time.monotonic()
    ctx = SeedContext(scale=scale, history=history, seed=seed)
    deleted = 0
    with transaction.atomic():
        existing = scaled_roots()
        had_history = demo_history.has_history()
        if (existing or had_history) and not reset:
            codes = ", ".join(r.code for r in existing[:5]) + (" …" if len(existing) > 5 else "")
            what = f"scaled demo copies already exist ({codes})" if existing else ""
            if had_history:
                what += ("; " if what else "") + "the demo carries an earlier seed's history"
            raise SeedError(f"{what}; run again with --reset to delete them and seed afresh")
        timings: dict[str, float] = {}
        mark = time.monotonic()
        if existing or had_history:
            paths = [r.path for r in existing]
            for step in reversed(STEPS):
                if step.reset is not None:
                    deleted += step.reset(paths)
            timings["reset"] = time.monotonic() - mark
        base_loaded = not Region.objects.filter(code=data.ROOT_CODE, depth=1).exists()
        if base_loaded:
            mark = time.monotonic()
            load_guicheng(password=password, progress=stream)
            timings["demo"] = time.monotonic() - mark
        for step in STEPS:
            if step.history and not history:
                continue
            mark = time.monotonic()
            bar = ProgressBar(stream, total=step.total(ctx), label=step.label) if stream else None
            ctx.created[step.label] = step.run(ctx, bar.advance if bar else _ignore)
            if bar:
                bar.finish()
            timings[step.label] = time.monotonic() - mark
        audit.record(
            actor=None,
            action="demo.seed",
            summary=f"seed-demo --scale {scale}"
            + (f" (reset: {deleted} rows deleted)" if deleted else ""),
            changes={
                "scale": scale,
                "history": history,
                "seed": seed,
                "created": ctx.created,
                "deleted": deleted,
            },
        )
    return SeedResult(
        scale=scale,
        created=ctx.created,
        deleted=deleted,
        base_loaded=base_loaded,
        seconds=time.monotonic() - started,
        roots=[data.ROOT_CODE] + [p.root_code for p in ctx.plans],
        timings=timings,
        totals=_totals(),
    )


def _totals() -> dict[str, int]:
    from zhenxing.cases.models import Case, CaseEvent, CasePhoto
    from zhenxing.inspections.models import Finding, Inspection

    models = {
        "regions": Region,
        "cases": Case,
        "case events": CaseEvent,
        "case photos": CasePhoto,
        "inspections": Inspection,
        "findings": Finding,
    }
    return {label: model.objects.count() for label, model in models.items()}


def _ignore(_: int) -> None:
    return None
