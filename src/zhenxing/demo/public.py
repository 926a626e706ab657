"""The demo's exposure board: closed cases shown before | after, and a few still being fixed.

`load_public` goes through the publishing desk's services, as an office
user would (public copies re-encoded without metadata, share images drawn,
audit rows written), so the demo board is what a real one looks like. It
picks cases round-robin across the communities, newest closures first, so
the board is not one community's; and it does nothing once the demo has a
publication, so running the demo twice does not publish twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef

from zhenxing.cases.models import Case, CasePhoto, PhotoKind, Status
from zhenxing.demo import data
from zhenxing.demo.cases import write_shared_photos
from zhenxing.public import services
from zhenxing.public.models import Publication
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_code_of

# For every six closed cases, one still open: the board shows work in progress too.
OPEN_SHARE = 6


def _spread(cases: Iterable[Case], count: int) -> list[Case]:
    """Up to `count` cases, taken in turn from each community (in the given order within one)."""
    by_community: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_community[community_code_of(case.region_path)].append(case)
    queues = [by_community[code] for code in sorted(by_community)]
    picked: list[Case] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def _photo(case: Case, kind: str, latest: bool = False) -> CasePhoto | None:
    photos = case.photos.filter(kind=kind).order_by("uploaded_at", "pk")
    return photos.last() if latest else photos.first()


def _publish(case: Case, actor: Any, *, with_after: bool) -> None:
    publication = services.publication_draft(case=case, actor=actor)
    before = _photo(case, PhotoKind.BEFORE)
    assert before is not None  # chosen for having one
    services.public_photo_set(
        publication=publication,
        actor=actor,
        kind=PhotoKind.BEFORE,
        source=before,
        crop=None,
        redactions=[],
    )
    if with_after and (after := _photo(case, PhotoKind.AFTER, latest=True)) is not None:
        services.public_photo_set(
            publication=publication,
            actor=actor,
            kind=PhotoKind.AFTER,
            source=after,
            crop=None,
            redactions=[],
        )
    services.publication_publish(publication=publication, actor=actor)


def load_public(*, actor: Any, count: int = 24, root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """Publish `count` closed cases with before and after photos, and a few open ones.

    `actor` is the office user shown as publisher (None: the demo loader
    itself). Call it after the cases' transaction has committed or inside it:
    the demo's shared pictures are written first if missing, since the public
    copies are made from them.
    """
    root = Region.objects.get(code=root_code, depth=1)
    demo_cases = Case.objects.filter(region_path__startswith=root.path)
    if Publication.objects.filter(case__in=demo_cases).exists():
        return {"publications": 0, "closed": 0, "open": 0}
    write_shared_photos()
    befores = CasePhoto.objects.filter(case=OuterRef("pk"), kind=PhotoKind.BEFORE)
    afters = CasePhoto.objects.filter(case=OuterRef("pk"), kind=PhotoKind.AFTER)
    closed = _spread(
        demo_cases.filter(Exists(befores), Exists(afters), status=Status.CLOSED)
        .select_related("category", "region")
        .order_by("-closed_at", "-pk")
        .iterator(),
        count,
    )
    still_open = _spread(
        demo_cases.filter(Exists(befores), status__in=[Status.DISPATCHED, Status.RECTIFYING])
        .exclude(Exists(afters))
        .select_related("category", "region")
        .order_by("-reported_at", "-pk")
        .iterator(),
        max(1, count // OPEN_SHARE) if count else 0,
    )
    for case in closed:
        _publish(case, actor, with_after=True)
    for case in still_open:
        _publish(case, actor, with_after=False)
    return {
        "publications": len(closed) + len(still_open),
        "closed": len(closed),
        "open": len(still_open),
    }
