from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# Separates codes in a region's materialised path. Codes may not contain it.
PATH_SEP = "/"

# What a region code may look like: ASCII letters, digits, "-", "_" and ".",
# starting with a letter or digit, at most 40 characters. Codes build the
# materialised path, URLs (/territory/r/<code>/, /api/v1/regions/<code>) and
# Excel cells, so no separator, space, URL metacharacter or control character
# gets in, and "." / ".." cannot be a code (browsers collapse them in URLs).
CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
CODE_RE = re.compile(CODE_PATTERN)

# Codes the API needs for its own routes beside /api/v1/regions/{code}
# (compared without regard to case). territory/tests/test_codes.py checks
# that every fixed route under /regions is listed here.
RESERVED_CODES = frozenset({"lookup", "geojson"})


class RegionLevel(models.Model):
    """The name of one depth of the territory tree (街道 / 社区 / 经济社 / 片区 / 街巷 by default).

    Names are data, not code: a county deploys 县 / 镇 / 村 / 组 by editing these rows.
    """

    depth = models.PositiveSmallIntegerField(_("depth"), unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40, blank=True)
    # Which depth holds the battle-map areas (片区) that every problem belongs to.
    is_area = models.BooleanField(_("is the area level"), default=False)

    class Meta:
        ordering = ["depth"]
        verbose_name = _("region level")
        verbose_name_plural = _("region levels")

    def __str__(self) -> str:
        return f"{self.depth} {self.name}"


class TerritoryVersion(models.Model):
    """One row that every write to the regions moves: the point → area index's cache key.

    `version` counts the writes and is bumped with `F("version") + 1` in the
    writer's own transaction, so it changes exactly when the write commits
    (timestamps stamped before a commit do not follow commit order). `nonce`
    is new on every bump: a transaction that is rolled back gives its
    counter value back, and the next write must not look like it.
    """

    version = models.BigIntegerField(default=0)
    nonce = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("territory version")
        verbose_name_plural = _("territory versions")

    def __str__(self) -> str:
        return f"{self.version}"


_VERSION_PK = 1


def bump_territory_version(using: str | None = None) -> None:
    """Move the territory version. Region's save/delete and its queryset's
    update/bulk_create/bulk_update/delete call this; a raw SQL write must too."""
    rows = TerritoryVersion.objects.using(using)
    changes = {"version": F("version") + 1, "nonce": secrets.token_hex(8)}
    if rows.filter(pk=_VERSION_PK).update(**changes):
        return
    # The row is missing (a fresh or flushed database): create it, and bump it
    # again if another writer created it first, so that this write still counts.
    _row, created = rows.get_or_create(
        pk=_VERSION_PK, defaults={"version": 1, "nonce": changes["nonce"]}
    )
    if not created:
        rows.filter(pk=_VERSION_PK).update(**changes)


def territory_version(using: str | None = None) -> tuple[int, str] | None:
    """(version, nonce) as last committed (or written by this transaction); None before any."""
    row = (
        TerritoryVersion.objects.using(using)
        .filter(pk=_VERSION_PK)
        .values_list("version", "nonce")
        .first()
    )
    return (row[0], row[1]) if row else None


class RegionQuerySet(models.QuerySet):
    """Region queries; every bulk write here moves the territory version."""

    # Writes: each moves the version in the same transaction as the rows it
    # changes (an outer atomic block, or autocommit right after them). Writing
    # the rows first is what keeps it safe either way: a reader may at worst
    # rebuild its index once too often, never keep a stale one.

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if count:
            bump_territory_version(self.db)
        return count

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Iterable[Region], *args: Any, **kwargs: Any) -> list[Region]:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            bump_territory_version(self.db)
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(self, objs: Iterable[Region], fields: Any, *args: Any, **kwargs: Any) -> int:
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count:
            bump_territory_version(self.db)
        return count

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        if result[0]:
            bump_territory_version(self.db)
        return result

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    # Reads.

    def subtree(self, region: Region) -> RegionQuerySet:
        """The region and everything under it: one indexed prefix match."""
        return self.filter(path__startswith=region.path)

    def under_any(self, paths: list[str]) -> RegionQuerySet:
        if not paths:
            return self.none()
        q = Q()
        for path in paths:
            q |= Q(path__startswith=path)
        return self.filter(q)


class Region(models.Model):
    """A node of the territory tree: subdistrict, community, cooperative, area or street.

    `path` is the chain of codes from the root, each followed by PATH_SEP
    ("GC/GC01/GC01-03/"), so a subtree is `path LIKE 'GC/GC01/%'`, which the
    pattern-ops index below serves on PostgreSQL and the plain index on SQLite.

    Codes are unique whatever their case: SQLite's LIKE ignores the case of
    ASCII letters, so with both "gc01" and "GC01" a prefix match on one
    subtree would also take in the other's.

    Every write moves `TerritoryVersion` (see `save`, `delete` and the
    queryset), which tells the point → area index in every process to rebuild.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("level"), db_index=True)
    path = models.CharField(_("path"), max_length=400, unique=True)
    # GeoJSON geometry (Polygon or MultiPolygon, WGS84 lng/lat) or null.
    geometry = models.JSONField(_("geometry"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    centroid_lng = models.FloatField(_("centroid longitude"), null=True, blank=True)
    population = models.PositiveIntegerField(_("residents"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["depth", "parent"], name="region_depth_parent"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="region_code_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        bump_territory_version(self._state.db)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        using = kwargs.get("using") or self._state.db
        result = super().delete(*args, **kwargs)
        bump_territory_version(using)
        return result

    def ancestor_paths(self) -> list[str]:
        codes = self.path.rstrip(PATH_SEP).split(PATH_SEP)
        return [PATH_SEP.join(codes[: i + 1]) + PATH_SEP for i in range(len(codes) - 1)]

    def ancestors(self) -> RegionQuerySet:
        return Region.objects.filter(path__in=self.ancestor_paths()).order_by("depth")


def level_names(levels: Iterable[RegionLevel] | None = None) -> dict[int, str]:
    """{depth: name} in the current language; `levels`, rows already loaded, saves the query."""
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    rows = RegionLevel.objects.all() if levels is None else levels
    names = {lvl.depth: (lvl.name_en or lvl.name) if english else lvl.name for lvl in rows}
    # An emptied table (a flushed test database, a botched edit) still names
    # the levels rather than showing bare depth numbers.
    return names or dict(enumerate(settings.ZHENXING_DEFAULT_LEVEL_NAMES, start=1))


DEFAULT_AREA_DEPTH = 4


def area_depth(levels: Iterable[RegionLevel] | None = None) -> int:
    """The depth of the areas (片区); `levels`, rows already loaded, saves the query."""
    if levels is None:
        level = RegionLevel.objects.filter(is_area=True).first()
        return level.depth if level else DEFAULT_AREA_DEPTH
    return next((lvl.depth for lvl in levels if lvl.is_area), DEFAULT_AREA_DEPTH)
