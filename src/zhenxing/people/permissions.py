"""Who may see and change people, party records, teams and roles (ARCHITECTURE.md habit 3).

Scope rules, in one place:

* An office admin of the whole territory (`scopes.administers_whole_territory`:
  the role on every root, or a superuser) sees every person, member,
  organisation, team and user: the subdistrict office runs the whole roster.
* An office admin whose role sits lower (on a community, say) reads and
  manages that community only, like its secretary does, and also sees the
  logins that hold no role yet (to give them one). A department or other
  role held beside the admin role never widens what the admin may change.
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
* A full mobile number is for those who may edit the member; everyone else
  sees it masked and cannot find a member (or a login) by it either.
"""

from __future__ import annotations

from collections.abc import Callable
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
from zhenxing.people.scopes import (
    ALL,
    administers_whole_territory,
    assignments_of,
    has_role,
    is_office_admin,
    minimal_paths,
    office_admin_paths,
    role_regions,
)
from zhenxing.territory.models import Region, RegionQuerySet
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path, path_prefix_q


def _community_paths(user: Any, *roles: str) -> list[str] | None:
    """The communities of the user's region roles (all of them when `roles` is empty).

    None (all) for an office admin of the whole territory, [] for nobody.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    if administers_whole_territory(user):
        return ALL
    return minimal_paths(community_path(r.path) for r in role_regions(user, *roles))


def roster_paths(user: Any) -> list[str] | None:
    """Territory paths whose people `user` may read; None means all, [] means none."""
    return _community_paths(user)


def manage_paths(user: Any) -> list[str] | None:
    """Territory paths whose party members `user` may change; None means all."""
    return _community_paths(user, Role.SECRETARY, Role.OFFICE_ADMIN)


def _is_department_staff(user: Any) -> bool:
    return any(a.role in DEPARTMENT_ROLES for a in assignments_of(user))


# --- visible querysets -------------------------------------------------------


def party_members_visible_to(user: Any) -> QuerySet[PartyMember]:
    paths = roster_paths(user)
    members = PartyMember.objects.all()
    if paths is ALL:
        return members
    return members.filter(path_prefix_q(paths, "region__path"))


def party_organizations_visible_to(user: Any) -> QuerySet[PartyOrganization]:
    """Organisations attached to a region in the user's roster scope.

    Organisations with no region are visible to admins of the whole territory
    only.
    """
    paths = roster_paths(user)
    orgs = PartyOrganization.objects.all()
    if paths is ALL:
        return orgs
    return orgs.filter(path_prefix_q(paths, "region__path"))


def work_teams_visible_to(user: Any) -> QuerySet[WorkTeam]:
    teams = WorkTeam.objects.all()
    paths = roster_paths(user)
    if paths is ALL or _is_department_staff(user):
        return teams
    return teams.filter(path_prefix_q(paths, "region__path"))


def role_assignments_visible_to(user: Any) -> QuerySet[RoleAssignment]:
    """Roles held in the communities the user reads, and in the user's own departments.

    A login with roles in two communities shows each viewer only the roles of
    the viewer's own part: where else someone works is not theirs to know.
    """
    if not getattr(user, "is_authenticated", False):
        return RoleAssignment.objects.none()
    paths = roster_paths(user)
    if paths is ALL:
        return RoleAssignment.objects.all()
    departments = [a.department_id for a in assignments_of(user) if a.department_id]
    return RoleAssignment.objects.filter(
        path_prefix_q(paths, "region__path") | Q(department_id__in=departments)
    )


def _roleless_logins() -> Q:
    # A subquery rather than a join, so that no user is listed twice.
    return ~Q(pk__in=RoleAssignment.objects.values("user_id"))


def users_visible_to(user: Any) -> QuerySet[User]:
    """The holders of the roles the user sees; office admins also see logins with no role
    yet (they must find a new account to give it a role)."""
    if not getattr(user, "is_authenticated", False):
        return User.objects.none()
    if roster_paths(user) is ALL:
        return User.objects.all()
    # A subquery rather than a join, so that a user with several roles is
    # listed once without DISTINCT (which would fight with prefetching).
    visible = Q(pk__in=role_assignments_visible_to(user).values("user_id"))
    if is_office_admin(user):
        visible |= _roleless_logins()
    return User.objects.filter(visible)


def communities_visible_to(user: Any) -> QuerySet[Region]:
    """Communities whose roster the user reads: the options of a community filter."""
    regions = Region.objects.filter(depth=COMMUNITY_DEPTH)
    paths = roster_paths(user)
    return regions if paths is ALL else regions.under_any(paths)


def communities_managed_by(user: Any) -> QuerySet[Region]:
    """Communities where the user may register, change and import party members."""
    regions = Region.objects.filter(depth=COMMUNITY_DEPTH)
    paths = manage_paths(user)
    return regions if paths is ALL else regions.under_any(paths)


def regions_administered_by(user: Any) -> RegionQuerySet:
    """Regions where the user may assign roles: under their office-admin roles only."""
    paths = office_admin_paths(user)
    return Region.objects.all() if paths is ALL else Region.objects.under_any(paths)


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
    """A role assignment the viewer can see (in the communities they read)."""
    return get_visible_or_404(
        lambda u: role_assignments_visible_to(u).select_related("user", "region", "department"),
        user,
        pk=pk,
    )


# --- can_<verb> --------------------------------------------------------------


def can_manage_members_in(user: Any, region: Region) -> bool:
    """Register, change or import party members of `region`'s community."""
    paths = manage_paths(user)
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
    """Open the pages that create logins and assign or revoke roles: office admins.

    Where they may act is checked per region by the services
    (`scopes.office_admin_paths`)."""
    return is_office_admin(user)


def can_manage_departments(user: Any) -> bool:
    """Departments sit at subdistrict level: only an admin of the whole territory adds them."""
    return administers_whole_territory(user)


def can_see_full_mobile(user: Any, member: PartyMember) -> bool:
    """A full number needs a reason to be seen: the people who may edit the member."""
    return can_edit_party_member(user, member)


def full_mobile_members(user: Any) -> Q:
    """The members whose full number the user may see, as a filter (for searching by it)."""
    paths = manage_paths(user)
    return Q() if paths is ALL else path_prefix_q(paths, "region__path")


def full_mobile_users(user: Any) -> Q:
    """The logins whose mobile the user may search by: those an office admin looks after.

    That is every login for an admin of the whole territory; for an admin
    lower down, the holders of roles in their communities and the logins with
    no role yet. Nobody else finds a login by its mobile.
    """
    paths = _community_paths(user, Role.OFFICE_ADMIN)
    if paths is ALL:
        return Q()
    if not paths:
        return Q(pk__in=[])
    holders = RoleAssignment.objects.filter(path_prefix_q(paths, "region__path")).values("user_id")
    return Q(pk__in=holders) | _roleless_logins()


def full_mobile_in_export(user: Any) -> Callable[[PartyMember], bool]:
    """Which rows of an export carry the full number.

    A file leaves the system and is forwarded, so only the office gets full
    numbers: members of the communities the user administers as office admin
    (a subset of `can_see_full_mobile`); a secretary's file stays masked.
    """
    paths = _community_paths(user, Role.OFFICE_ADMIN)
    if paths is ALL:
        return lambda member: True
    prefixes = tuple(paths)
    return lambda member: member.region.path.startswith(prefixes)


# --- navigation visibility: a menu entry only for pages that show something ----


def sees_rosters(user: Any) -> bool:
    """Whether the member and organisation pages can show this user anything."""
    paths = roster_paths(user)
    return paths is ALL or bool(paths)


def sees_teams(user: Any) -> bool:
    return sees_rosters(user) or _is_department_staff(user)


def sees_departments(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser or bool(assignments_of(user))
    )
