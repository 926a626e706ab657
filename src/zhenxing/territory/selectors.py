"""Reads of the territory that more than one page or app needs.

Everything here works from the materialised path, so a subtree is one
indexed prefix match and a parent's code needs no join.
"""

from __future__ import annotations

import functools
import operator

from django.db.models import Count, Q

from zhenxing.territory.models import PATH_SEP, Region, RegionQuerySet

# The depth of the communities (社区). The territory browser colours areas by
# the community they belong to; the level *names* are configuration, but the
# tree always puts the communities right under the subdistrict root.
COMMUNITY_DEPTH = 2


def path_codes(path: str) -> list[str]:
    """["GC", "GC01", "GC01-01"] for "GC/GC01/GC01-01/"."""
    return path.rstrip(PATH_SEP).split(PATH_SEP) if path else []


def parent_code_of(path: str) -> str:
    """The parent's code read off a path; "" for a root."""
    codes = path_codes(path)
    return codes[-2] if len(codes) > 1 else ""


def ancestor_code_at(path: str, depth: int) -> str:
    """The code of the region at `depth` on this path (the region itself if it is shallower)."""
    codes = path_codes(path)
    return codes[min(len(codes), depth) - 1] if codes else ""


def community_code_of(path: str) -> str:
    """The code of the community a region lies in (itself at or above that depth)."""
    return ancestor_code_at(path, COMMUNITY_DEPTH)


def cooperative_code_of(path: str) -> str:
    """The code of the cooperative a region lies in (itself at or above that depth)."""
    return ancestor_code_at(path, COMMUNITY_DEPTH + 1)


def community_path(path: str) -> str:
    """GC/GC01/GC01-01/ → GC/GC01/: the community a path lies in; a shallower path is kept."""
    return PATH_SEP.join(path_codes(path)[:COMMUNITY_DEPTH]) + PATH_SEP


def ancestor_and_self_paths(path: str) -> list[str]:
    """["GC/", "GC/GC01/", "GC/GC01/GC01-01/"] for "GC/GC01/GC01-01/": whose roles reach here."""
    codes = path_codes(path)
    return [PATH_SEP.join(codes[: i + 1]) + PATH_SEP for i in range(len(codes))]


def path_prefix_q(paths: list[str] | None, field: str) -> Q:
    """A Q matching rows whose `field` (a territory path) lies under any of `paths`.

    None means everything (an unrestricted scope) and gives `Q(pk__isnull=False)`,
    never `Q()`: an empty Q drops out of an OR ("Q() | X" is X), which would
    silently shrink "everything" to "only X". [] means nothing.
    """
    if paths is None:
        return Q(pk__isnull=False)
    if not paths:
        return Q(pk__in=[])
    return functools.reduce(operator.or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def subtree(region: Region, *, depth: int | None = None) -> RegionQuerySet:
    """`region` and everything under it, optionally only one depth of it (one prefix query)."""
    qs = Region.objects.subtree(region)
    if depth is not None:
        qs = qs.filter(depth=depth)
    return qs


def with_children_count(qs: RegionQuerySet) -> RegionQuerySet:
    """Annotate `children_count` in the same query (no N+1 on list pages)."""
    return qs.annotate(children_count=Count("children"))
