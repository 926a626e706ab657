"""Reads of the inspections app that more than one page or service needs.

- Which checklist scores an area (`template_for_area`, `templates_for_areas`).
- Which areas a round may visit (`eligible_areas`) and the random draw
  (`draw_areas`), which is a pure function of the seed and the areas, so
  anyone can re-run it and see that no area was picked by hand.
- The inspector's day (`mine`).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q, QuerySet

from zhenxing.inspections.models import (
    AreaTypeMembership,
    Inspection,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
    TemplateStatus,
)
from zhenxing.territory.models import Region, RegionQuerySet, area_depth


def templates_for_areas(areas: Iterable[Region]) -> dict[int, InspectionTemplate | None]:
    """{area pk: the checklist that scores it} for many areas in two queries.

    An area of a type with an active checklist of its own gets that one;
    every other area (no type, or a type without a checklist in use) gets
    the active general checklist; None when there is none either.
    """
    pks = [area.pk for area in areas]
    type_of = dict(
        AreaTypeMembership.objects.filter(area_id__in=pks).values_list("area_id", "area_type_id")
    )
    general: InspectionTemplate | None = None
    by_type: dict[int, InspectionTemplate] = {}
    for template in InspectionTemplate.objects.filter(status=TemplateStatus.ACTIVE):
        if template.area_type_id is None:
            general = template
        else:
            by_type[template.area_type_id] = template
    return {pk: by_type.get(type_of.get(pk, -1), general) for pk in pks}


def template_for_area(area: Region) -> InspectionTemplate | None:
    """The active checklist of the area's type, else the active general one; None if neither."""
    return templates_for_areas([area])[area.pk]


def eligible_areas(scope: Region) -> RegionQuerySet:
    """The areas (片区, the area depth of the tree) in `scope`'s subtree, in path order."""
    return Region.objects.subtree(scope).filter(depth=area_depth()).order_by("path")


def draw_from(areas: Sequence[Region], *, count: int, seed: str) -> list[Region]:
    """The draw itself: `count` of `areas` (given in path order), from `seed`; in path order.

    `random.Random(seed).sample(areas, count)`. Python seeds `random.Random`
    from a string with its SHA-512 (independent of PYTHONHASHSEED and the
    platform), so the same seed over the same areas gives the same draw on
    any machine: see docs/inspections.md for re-running one by hand. Raises
    ValueError when `count` is not between 1 and the number of areas.
    """
    if not 1 <= count <= len(areas):
        raise ValueError(f"count must be between 1 and {len(areas)}")
    drawn = random.Random(seed).sample(list(areas), count)
    return sorted(drawn, key=lambda area: area.path)


def draw_areas(*, scope: Region, count: int, seed: str) -> list[Region]:
    """`count` areas of `scope` drawn at random, reproducibly from `seed`; in path order.

    The draw runs over the eligible areas ordered by path (`draw_from`).
    """
    return draw_from(list(eligible_areas(scope)), count=count, seed=seed)


def mine(user: Any, day: datetime.date) -> QuerySet[Inspection]:
    """The inspections of planned rounds on `day` that `user` may score, or has scored.

    An inspection assigned to the user, or assigned to nobody in a round the
    user walks; pending or submitted (a voided one is no longer anyone's work).
    """
    if not getattr(user, "is_authenticated", False):
        return Inspection.objects.none()
    # The subquery keeps one row per inspection without DISTINCT (the round's
    # inspectors are a many-to-many: a join would repeat rows).
    walks = Q(inspector__isnull=True, round__in=user.inspection_rounds.values("pk"))
    return (
        Inspection.objects.filter(
            date=day,
            round__status=RoundStatus.PLANNED,
            status__in=[InspectionStatus.PENDING, InspectionStatus.SUBMITTED],
        )
        .filter(Q(inspector=user) | walks)
        .select_related("round", "area", "template", "inspector")
        .order_by("area_path")
    )
