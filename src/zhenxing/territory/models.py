from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Separates codes in a region's materialised path. Codes may not contain it.
PATH_SEP = "/"


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


class RegionQuerySet(models.QuerySet):
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

    def at_depth(self, depth: int) -> RegionQuerySet:
        return self.filter(depth=depth)


class Region(models.Model):
    """A node of the territory tree: subdistrict, community, cooperative, area or street.

    `path` is the chain of codes from the root, each followed by PATH_SEP
    ("GC/GC01/GC01-03/"), so a subtree is `path LIKE 'GC/GC01/%'`, which the
    pattern-ops index below serves on PostgreSQL and the plain index on SQLite.
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
            # The point → area lookup asks for the latest change at the area depth
            # on every call; this index answers it without scanning the areas.
            models.Index(fields=["depth", "updated_at"], name="region_depth_updated"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_name(self) -> str:
        return level_names().get(self.depth, str(self.depth))

    def ancestor_paths(self) -> list[str]:
        codes = self.path.rstrip(PATH_SEP).split(PATH_SEP)
        return [PATH_SEP.join(codes[: i + 1]) + PATH_SEP for i in range(len(codes) - 1)]

    def ancestors(self) -> RegionQuerySet:
        return Region.objects.filter(path__in=self.ancestor_paths()).order_by("depth")

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


def level_names() -> dict[int, str]:
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    names = {
        lvl.depth: (lvl.name_en or lvl.name) if english else lvl.name
        for lvl in RegionLevel.objects.all()
    }
    # An emptied table (a flushed test database, a botched edit) still names
    # the levels rather than showing bare depth numbers.
    return names or dict(enumerate(settings.ZHENXING_DEFAULT_LEVEL_NAMES, start=1))


def area_depth() -> int:
    level = RegionLevel.objects.filter(is_area=True).first()
    return level.depth if level else 4
