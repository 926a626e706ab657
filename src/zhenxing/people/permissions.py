"""Who may see and change people, party records, teams and roles (ARCHITECTURE.md habit 3).

Scope rules, in one place:

* Office admins (and superusers) see every person, member, organisation,
  team and user: the subdistrict office runs the whole roster.
* Any other region role reads the rosters of its **community**: a role held
  on a cooperative or an area below a community widens to that community,
  because party members and teams are registered per community (member and
  team `region` is the community) and a party member on an area must still
  find the members of their own community. A role held on the subdistrict
  root (a standing inspection team, say) reads everything under it.
* Department staff read no party members, organisations or role holders of
  the territory: rosters are personal data and a department handles
  escalated cases, not party work. They do see every work team (their scope
  is the whole territory for cases, and teams are who they coordinate with)
  and the users who share their department.
* Reading is not editing: only office admins and the secretaries (cadres) of
  a member's community may change a member or import members there.
  Everyone else who can see a member gets 403 on a write.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.models import (
    DEPARTMENT_ROLES,
    PartyMember,
    PartyOrganization,
    Role,
    RoleAssignment,
    User,
    WorkTeam,
)
from zhenxing.people.scopes import ALL, _assignments, has_role, is_office_admin, role_regions
from zhenxing.territory.models import PATH_SEP, Region

# Depth of the community level in the territory tree (DOMAIN.md §1: the
# subdistrict is depth 1, communities depth 2). People rosters are kept per
# community.
COMMUNITY_DEPTH = 2


def _community_prefix(path: str) -> str:
    """GC/GC01/GC01-01/ → GC/GC01/ ; a path at or above community depth is kept."""
    codes = path.rstrip(PATH_SEP).split(PATH_SEP)
    return PATH_SEP.join(codes[:COMMUNITY_DEPTH]) + PATH_SEP


def _minimal(paths: set[str]) -> list[str]:
    """Drop paths already covered by a shorter one, so that the query stays small."""
    ordered = sorted(paths)
    return [p for p in ordered if not any(p != q and p.startswith(q) for q in ordered)]


def _under(paths: list[str], field: str) -> Q:
    q = Q(pk__in=[])  # matches nothing: an empty scope sees nothing
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def roster_paths(user: Any) -> list[str] | None:
    """Territory paths whose people `user` may read; None means all, [] means none."""
    if not getattr(user, "is_authenticated", False):
        return []
    if is_office_admin(user):
        return ALL
    return _minimal({_community_prefix(r.path) for r in role_regions(user)})


def _manage_paths(user: Any) -> list[str] | None:
    """Territory paths whose party members `user` may change; None means all."""
    if not getattr(user, "is_authenticated", False):
        return []
    if is_office_admin(user):
        return ALL
    return _minimal({_community_prefix(r.path) for r in role_regions(user, Role.SECRETARY)})


def _is_department_staff(user: Any) -> bool:
    return any(a.role in DEPARTMENT_ROLES for a in _assignments(user))


# --- visible querysets -------------------------------------------------------


def party_members_visible_to(user: Any) -> QuerySet[PartyMember]:
    paths = roster_paths(user)
    members = PartyMember.objects.all()
    if paths is ALL:
        return members
    return members.filter(_under(paths, "region__path"))


def party_organizations_visible_to(user: Any) -> QuerySet[PartyOrganization]:
    """Organisations attached to a region in the user's roster scope.

    Organisations with no region (the subdistrict's own committee) are visible
    to office admins only.
    """
    paths = roster_paths(user)
    orgs = PartyOrganization.objects.all()
    if paths is ALL:
        return orgs
    return orgs.filter(_under(paths, "region__path"))


def work_teams_visible_to(user: Any) -> QuerySet[WorkTeam]:
    teams = WorkTeam.objects.all()
    paths = roster_paths(user)
    if paths is ALL or _is_department_staff(user):
        return teams
    return teams.filter(_under(paths, "region__path"))


def users_visible_to(user: Any) -> QuerySet[User]:
    """Office admins see every login (they must find new, role-less accounts to give
    them a role); others see the holders of roles in their community and department."""
    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if is_office_admin(user):
        return User.objects.all()
    paths = roster_paths(user) or []
    departments = [a.department_id for a in _assignments(user) if a.department_id]
    holders = RoleAssignment.objects.filter(
        _under(paths, "region__path") | Q(department_id__in=departments)
    ).values("user_id")
    # A subquery rather than a join, so that a user with several roles is
    # listed once without DISTINCT (which would fight with prefetching).
    return User.objects.filter(pk__in=holders)


def communities_visible_to(user: Any) -> QuerySet[Region]:
    """Communities whose roster the user reads: the options of a community filter."""
    regions = Region.objects.filter(depth=COMMUNITY_DEPTH)
    paths = roster_paths(user)
    if paths is ALL:
        return regions
    return regions.filter(_under(paths, "path"))


def communities_managed_by(user: Any) -> QuerySet[Region]:
    """Communities where the user may register, change and import party members."""
    regions = Region.objects.filter(depth=COMMUNITY_DEPTH)
    paths = _manage_paths(user)
    if paths is ALL:
        return regions
    return regions.filter(_under(paths, "path"))


# --- fetch and authorise in one step ------------------------------------------


def get_party_member_for_user(user: Any, pk: Any) -> PartyMember:
    return get_visible_or_404(
        lambda u: party_members_visible_to(u).select_related("organization", "region", "user"),
        user,
        pk=pk,
    )


def get_party_organization_for_user(user: Any, pk: Any) -> PartyOrganization:
    return get_visible_or_404(party_organizations_visible_to, user, pk=pk)


def get_work_team_for_user(user: Any, pk: Any) -> WorkTeam:
    return get_visible_or_404(work_teams_visible_to, user, pk=pk)


def get_user_for_user(user: Any, pk: Any) -> User:
    return get_visible_or_404(users_visible_to, user, pk=pk)


def get_role_assignment_for_user(user: Any, pk: Any) -> RoleAssignment:
    """A role assignment of a user the viewer can see."""
    return get_visible_or_404(
        lambda u: RoleAssignment.objects.filter(user__in=users_visible_to(u)).select_related(
            "user", "region", "department"
        ),
        user,
        pk=pk,
    )


# --- can_<verb> --------------------------------------------------------------


def can_manage_members_in(user: Any, region: Region) -> bool:
    """Register, change or import party members of `region`'s community."""
    paths = _manage_paths(user)
    return paths is ALL or any(region.path.startswith(p) for p in paths)


def can_edit_party_member(user: Any, member: PartyMember) -> bool:
    """Office admins, and the secretary (cadre) of the member's community."""
    return can_manage_members_in(user, member.region)


def can_import_party_members(user: Any, region: Region) -> bool:
    return can_manage_members_in(user, region)


def may_manage_members(user: Any) -> bool:
    """Whether the user manages members anywhere: gates the import and create pages."""
    return is_office_admin(user) or (
        getattr(user, "is_authenticated", False) and has_role(user, Role.SECRETARY)
    )


def can_manage_roles(user: Any) -> bool:
    """Assign and revoke roles, create logins: the office. Scope is checked per region
    by the services."""
    return is_office_admin(user)


def can_manage_departments(user: Any) -> bool:
    return is_office_admin(user)


def can_see_full_mobile(user: Any, member: PartyMember) -> bool:
    """A full number needs a reason to be seen: the people who may edit the member."""
    return can_edit_party_member(user, member)


# --- navigation visibility: a menu entry only for pages that show something ----


def sees_rosters(user: Any) -> bool:
    """Whether the member and organisation pages can show this user anything."""
    paths = roster_paths(user)
    return paths is ALL or bool(paths)


def sees_teams(user: Any) -> bool:
    return sees_rosters(user) or _is_department_staff(user)


def sees_departments(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or bool(_assignments(user))
    )
