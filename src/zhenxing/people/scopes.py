"""Who may see which part of the territory.

A role held on a region scopes its holder to that region's subtree; the
union of a user's region roles is their scope. Superusers see everything.
Department staff hold their role on a department: their territory scope is
the whole tree (they receive escalated problems from anywhere), but what they
may change is limited to their department's matters in each app.
"""

from __future__ import annotations

from typing import Any

from zhenxing.people.models import DEPARTMENT_ROLES, Role, RoleAssignment
from zhenxing.territory.models import Region, RegionQuerySet

ALL = None  # marker: no territorial restriction


def _assignments(user: Any) -> list[RoleAssignment]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_zhenxing_roles", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user).select_related("region", "department")
        )
        user._zhenxing_roles = cached
    return cached


def roles_of(user: Any) -> set[str]:
    return {a.role for a in _assignments(user)}


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def scope_paths(user: Any) -> list[str] | None:
    """Territory paths the user's scope covers; None means unrestricted; [] means nothing."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return ALL
    assignments = _assignments(user)
    if any(a.role in DEPARTMENT_ROLES for a in assignments):
        return ALL
    paths = sorted({a.region.path for a in assignments if a.region_id})
    # Drop paths already covered by a shorter one so the query stays small.
    return [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]


def role_regions(user: Any, *roles: str) -> list[Region]:
    return [a.region for a in _assignments(user) if a.region_id and (not roles or a.role in roles)]


def in_scope(user: Any, region: Region) -> bool:
    paths = scope_paths(user)
    return paths is ALL or any(region.path.startswith(p) for p in paths)


def regions_visible_to(user: Any) -> RegionQuerySet:
    paths = scope_paths(user)
    if paths is ALL:
        return Region.objects.all()
    return Region.objects.under_any(paths)


def is_office_admin(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or has_role(user, Role.OFFICE_ADMIN)
    )


def can_manage_region(user: Any, region: Region) -> bool:
    """Edit the territory (names, geometry, imports): office admins within their scope."""
    return is_office_admin(user) and in_scope(user, region)
