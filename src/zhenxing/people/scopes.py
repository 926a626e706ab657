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


def with_assignments(users: Any) -> list[Any]:
    """The users with their role assignments loaded in one query and cached as above.

    For code that asks a role question of many users at once (who may verify
    a case), instead of one query per user.
    """
    from django.db.models import Prefetch

    loaded = list(
        users.prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.select_related("region", "department"),
            )
        )
    )
    for user in loaded:
        user._zhenxing_roles = list(user.role_assignments.all())
    return loaded


def assignments_of(user: Any) -> list[RoleAssignment]:
    """The user's role assignments with their regions and departments (cached per request)."""
    return _assignments(user)


def roles_of(user: Any) -> set[str]:
    return {a.role for a in _assignments(user)}


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def has_any_role(user: Any) -> bool:
    """Signed in with at least one role anywhere, or a superuser: one of the platform's users."""
    return getattr(user, "is_authenticated", False) and (user.is_superuser or bool(roles_of(user)))


def minimal_paths(paths: Any) -> list[str]:
    """Drop paths already covered by a shorter one, so that prefix queries stay small."""
    ordered = sorted(set(paths))
    return [p for p in ordered if not any(p != q and p.startswith(q) for q in ordered)]


def scope_paths(user: Any) -> list[str] | None:
    """Territory paths the user may READ; None means unrestricted; [] means nothing.

    Department staff read the whole territory (escalated problems come from
    anywhere). Reading is all this grants: what a user may change is decided
    by `office_admin_paths` and each app's `can_<verb>`, never by this.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return ALL
    assignments = _assignments(user)
    if any(a.role in DEPARTMENT_ROLES for a in assignments):
        return ALL
    return minimal_paths(a.region.path for a in assignments if a.region_id)


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
    """Holds the office-admin role somewhere (or is a superuser): may open the admin pages.

    What such a user may change is limited to `office_admin_paths`.
    """
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or has_role(user, Role.OFFICE_ADMIN)
    )


def office_admin_paths(user: Any) -> list[str] | None:
    """Territory paths the user ADMINISTERS; None means all (superuser), [] means none.

    Only the office-admin role counts: a department or secretary role held
    beside it never widens what an admin may change.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return ALL
    return minimal_paths(r.path for r in role_regions(user, Role.OFFICE_ADMIN))


def administers(user: Any, region: Region) -> bool:
    paths = office_admin_paths(user)
    return paths is ALL or any(region.path.startswith(p) for p in paths)


def administers_whole_territory(user: Any) -> bool:
    """Superuser, or office admin on every root of the territory tree.

    Things that are not tied to one place (the audit log, departments, roles
    held on departments) belong to such admins only.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    # Asked for every menu and every row of some lists; one query per user object.
    cached = getattr(user, "_zhenxing_whole_territory", None)
    if cached is None:
        paths = office_admin_paths(user)
        if paths is ALL:
            cached = True
        elif not paths:
            cached = False
        else:
            roots = Region.objects.filter(depth=1).values_list("path", flat=True)
            cached = all(root in paths for root in roots)
        user._zhenxing_whole_territory = cached
    return cached


def can_manage_region(user: Any, region: Region) -> bool:
    """Edit the territory (names, geometry, imports): office admins within what they administer."""
    return administers(user, region)
