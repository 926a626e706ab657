"""All writes to the territory go through here."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.territory.geometry import centroid_of, parse_polygonal
from zhenxing.territory.models import CODE_RE, PATH_SEP, RESERVED_CODES, Region

# The fields an edit may change; their before/after values go into the audit row.
_EDITABLE = ["name", "geometry", "centroid_lat", "centroid_lng", "population", "households"]

MAX_NAME_LENGTH = Region._meta.get_field("name").max_length or 100


class TerritoryError(Exception):
    """A territory rule was broken (unknown parent, bad code, bad geometry)."""


def check_code(code: str) -> str:
    """The code, stripped, or TerritoryError.

    Codes build paths and URLs: see `models.CODE_PATTERN` for the alphabet,
    and `RESERVED_CODES` for the words the API keeps for its own routes.
    Whether another region already has the code (in any case) is the
    caller's check: this one needs no database.
    """
    code = code.strip()
    if not CODE_RE.fullmatch(code):
        raise TerritoryError(
            _(
                "The code “%(code)s” is invalid: use 1–40 letters (A–Z), digits, “-”, “_” or "
                "“.”, beginning with a letter or digit."
            )
            % {"code": shorten(code)}
        )
    if code.lower() in RESERVED_CODES:
        raise TerritoryError(_("The code “%(code)s” is reserved; choose another.") % {"code": code})
    return code


def name_problem(name: str) -> str | None:
    """Why a (stripped) region name cannot be used, or None when it can."""
    if not name:
        return _("The name is missing.")
    if len(name) > MAX_NAME_LENGTH:
        return _("The name is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH}
    # Control characters (NUL, bell, tab, line breaks…) break Excel exports
    # and PostgreSQL text, and are never part of a place name.
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return _("The name contains control characters.")
    return None


def check_name(name: str) -> str:
    """The name, stripped, or TerritoryError."""
    name = name.strip()
    if problem := name_problem(name):
        raise TerritoryError(problem)
    return name


def shorten(value: Any, limit: int = 40) -> str:
    """`value` as text for a message, cut to `limit` characters (a cell may hold 32,767)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_clash(code: str) -> Region | None:
    """The region whose code equals `code` but for letter case, if there is one."""
    return Region.objects.filter(code__iexact=code).exclude(code=code).first()


def build_region(
    *,
    code: str,
    name: str,
    parent_id: int | None,
    parent_path: str,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
) -> Region:
    """A new, unsaved region under the parent with `parent_path` ("" for a root).

    The one place that derives a region's path, depth and centroid, shared by
    `region_create` and the import's bulk insert. `geometry` must already
    have passed `parse_polygonal`; callers check code and name.
    """
    path = parent_path + code + PATH_SEP
    lat = lng = None
    if geometry is not None:
        lat, lng = centroid_of(parse_polygonal(geometry))
    return Region(
        code=code,
        name=name,
        parent_id=parent_id,
        depth=path.count(PATH_SEP),
        path=path,
        geometry=geometry,
        centroid_lat=lat,
        centroid_lng=lng,
        population=population,
        households=households,
    )


def region_create(
    *,
    code: str,
    name: str,
    parent: Region | None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
    actor: Any,
) -> Region:
    code = check_code(code)
    name = check_name(name)
    # GeometryError from here, before anything is written.
    region = build_region(
        code=code,
        name=name,
        parent_id=parent.pk if parent else None,
        parent_path=parent.path if parent else "",
        geometry=geometry,
        population=population,
        households=households,
    )
    try:
        with transaction.atomic():
            if clash := case_clash(code):
                raise TerritoryError(
                    _("The code %(code)s differs only in case from the existing %(other)s.")
                    % {"code": code, "other": clash.code}
                )
            region.save()
            audit.record(
                actor=actor,
                action="territory.region.create",
                obj=region,
                after=audit.snapshot(region, ["code", "name", "parent_id", "depth"]),
            )
    except IntegrityError:
        # The unique indexes on code and lower(code): the code exists, perhaps
        # written a moment ago by someone else.
        raise TerritoryError(_("The code %(code)s already exists.") % {"code": code}) from None
    return region


def region_update(
    *,
    region: Region,
    name: str | None = None,
    geometry: dict[str, Any] | None = None,
    population: int | None = None,
    households: int | None = None,
    actor: Any,
) -> Region:
    """Change a region's name, polygon or figures; None leaves a field as it is.

    The code, parent and depth never change here: moving a region would have
    to rewrite the paths of its whole subtree and is not offered.
    """
    if name is not None:
        name = check_name(name)
    lat = lng = None
    if geometry is not None:
        lat, lng = centroid_of(parse_polygonal(geometry))
    with transaction.atomic():
        # Lock the row so two editors cannot interleave their before/after pairs.
        locked = Region.objects.select_for_update().get(pk=region.pk)
        before = audit.snapshot(locked, _EDITABLE)
        if name is not None:
            locked.name = name
        if geometry is not None:
            locked.geometry = geometry
            locked.centroid_lat, locked.centroid_lng = lat, lng
        if population is not None:
            locked.population = population
        if households is not None:
            locked.households = households
        after = audit.snapshot(locked, _EDITABLE)
        if after != before:
            # Saving moves the territory version, so every process's point →
            # area index follows when this commits.
            locked.save(update_fields=[*_EDITABLE, "updated_at"])
            audit.record(
                actor=actor,
                action="territory.region.update",
                obj=locked,
                before=before,
                after=after,
            )
    # Hand the caller's object the new values so it is not left stale.
    for field in [*_EDITABLE, "updated_at"]:
        setattr(region, field, getattr(locked, field))
    return region
