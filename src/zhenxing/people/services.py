"""All writes to people, roles, party organisations, members, teams and departments.

Every function is keyword-only, runs in one transaction and writes one audit
row per changed object (ARCHITECTURE.md habits 1 and 5). Callers validate
input at the edge (forms); these functions enforce the domain rules and raise
`PeopleError` when one is broken.

`actor=None` means trusted code with no person behind it (a data loader, a
management command). Any other actor is checked where a rule names who may
act; an anonymous user is never allowed.
"""

from __future__ import annotations

import datetime
from typing import Any, Final

from django.db import transaction
from django.utils.translation import gettext as _

from zhenxing.core import audit
from zhenxing.people.models import (
    DEPARTMENT_ROLES,
    Department,
    PartyMember,
    PartyOrganization,
    Role,
    RoleAssignment,
    User,
    WorkTeam,
)
from zhenxing.people.scopes import in_scope, is_office_admin
from zhenxing.territory.models import PATH_SEP, Region


class PeopleError(Exception):
    """A rule about people, roles or party records was broken; the message is for the user."""


class _Unset:
    """Marks an update argument that was not given (None is a real value for many fields)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()

_USER_FIELDS = ["username", "display_name", "mobile", "is_active"]
_MEMBER_FIELDS = [
    "name",
    "mobile",
    "gender",
    "birth_year",
    "organization_id",
    "region_id",
    "joined_on",
    "holds_office",
    "user_id",
]
_ROLE_FIELDS = ["user_id", "role", "region_id", "department_id", "title"]


def _is_system(actor: Any) -> bool:
    return actor is None


def _check_code(code: str) -> str:
    code = code.strip()
    if not code or PATH_SEP in code or len(code) > 40:
        raise PeopleError(
            _("A code must be 1–40 characters long and may not contain “%(sep)s”.")
            % {"sep": PATH_SEP}
        )
    return code


def _check_mobile_free_for_user(mobile: str | None, *, exclude: User | None = None) -> None:
    if not mobile:
        return
    taken = User.objects.filter(mobile=mobile)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise PeopleError(
            _("Another login already uses the mobile number %(mobile)s.") % {"mobile": mobile}
        )


def _check_mobile_free_for_member(
    mobile: str | None, *, exclude: PartyMember | None = None
) -> None:
    if not mobile:
        return
    taken = PartyMember.objects.filter(mobile=mobile)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise PeopleError(
            _("Another party member already has the mobile number %(mobile)s.") % {"mobile": mobile}
        )


# --- users -----------------------------------------------------------------


def user_create(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    mobile: str | None = None,
    actor: Any,
) -> User:
    """Create a login. `password=None` makes an account that cannot log in until one is set."""
    username = username.strip()
    mobile = (mobile or "").strip() or None
    if not username:
        raise PeopleError(_("A username is required."))
    if User.objects.filter(username=username).exists():
        raise PeopleError(_("The username %(username)s is taken.") % {"username": username})
    _check_mobile_free_for_user(mobile)
    with transaction.atomic():
        user = User(username=username, display_name=display_name.strip(), mobile=mobile)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit.record(
            actor=actor,
            action="people.user.create",
            obj=user,
            after=audit.snapshot(user, _USER_FIELDS),
        )
    return user


def user_update(
    *,
    user: User,
    actor: Any,
    display_name: str | _Unset = UNSET,
    mobile: str | None | _Unset = UNSET,
    is_active: bool | _Unset = UNSET,
    password: str | _Unset = UNSET,
) -> User:
    """Change a login's name, mobile, active flag or password; only the given fields change."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = audit.snapshot(user, _USER_FIELDS)
        if not isinstance(display_name, _Unset):
            user.display_name = display_name.strip()
        if not isinstance(mobile, _Unset):
            mobile = (mobile or "").strip() or None
            _check_mobile_free_for_user(mobile, exclude=user)
            user.mobile = mobile
        if not isinstance(is_active, _Unset):
            user.is_active = is_active
        password_changed = not isinstance(password, _Unset)
        if password_changed:
            user.set_password(password)
        user.save()
        after = audit.snapshot(user, _USER_FIELDS)
        changes = audit.diff(before, after)
        if password_changed:
            # Say that it changed, never what it changed to.
            changes["password"] = ["…", "…"]
        audit.record(
            actor=actor,
            action="people.user.update",
            obj=user,
            changes=changes,
        )
    return user


# --- roles -----------------------------------------------------------------


def _check_may_assign(actor: Any, *, role: str, region: Region | None) -> None:
    if _is_system(actor):
        return
    if not is_office_admin(actor):
        raise PeopleError(_("Only the subdistrict office may assign or revoke roles."))
    if region is not None and not in_scope(actor, region):
        raise PeopleError(
            _("%(region)s is outside your scope; you cannot assign roles there.")
            % {"region": region.name}
        )
    if role in DEPARTMENT_ROLES and not _covers_whole_territory(actor):
        raise PeopleError(
            _("Department roles are assigned by an office admin of the whole subdistrict.")
        )


def _covers_whole_territory(actor: Any) -> bool:
    # Departments sit at subdistrict level: only an admin whose scope holds
    # every root of the territory may staff them.
    return all(in_scope(actor, root) for root in Region.objects.filter(parent__isnull=True))


def role_assign(
    *,
    user: User,
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    title: str = "",
    actor: Any,
) -> RoleAssignment:
    """Give `user` a role on a region (scope: its subtree), or a department role in a department."""
    if role not in Role.values:
        raise PeopleError(_("Unknown role %(role)s.") % {"role": role})
    if role in DEPARTMENT_ROLES:
        if department is None or region is not None:
            raise PeopleError(
                _("This role is held in a department: choose a department and no region.")
            )
    else:
        if region is None or department is not None:
            raise PeopleError(
                _("This role is held on a region: choose a region and no department.")
            )
    _check_may_assign(actor, role=role, region=region)
    with transaction.atomic():
        # The unique constraint does not catch duplicates whose region is
        # NULL (NULLs are distinct in SQL), so look first.
        if RoleAssignment.objects.filter(
            user=user, role=role, region=region, department=department
        ).exists():
            raise PeopleError(_("%(user)s already holds this role there.") % {"user": user})
        assignment = RoleAssignment.objects.create(
            user=user, role=role, region=region, department=department, title=title.strip()
        )
        audit.record(
            actor=actor,
            action="people.role.assign",
            obj=assignment,
            summary=str(assignment),
            after=audit.snapshot(assignment, _ROLE_FIELDS),
        )
    # A cached role list on this very user object would now be stale.
    user.__dict__.pop("_zhenxing_roles", None)
    return assignment


def role_revoke(*, assignment: RoleAssignment, actor: Any) -> None:
    """Take a role away. An office admin cannot revoke their own office-admin role (lock-out)."""
    _check_may_assign(actor, role=assignment.role, region=assignment.region)
    if (
        not _is_system(actor)
        and assignment.user_id == actor.pk
        and assignment.role == Role.OFFICE_ADMIN
    ):
        raise PeopleError(_("You cannot revoke your own office admin role; ask another admin."))
    with transaction.atomic():
        before = audit.snapshot(assignment, _ROLE_FIELDS)
        summary = str(assignment)
        audit.record(
            actor=actor,
            action="people.role.revoke",
            obj=assignment,
            summary=summary,
            before=before,
            after={},
        )
        assignment.delete()
    assignment.user.__dict__.pop("_zhenxing_roles", None)


# --- departments, party organisations, teams --------------------------------


def department_create(
    *, code: str, name: str, in_joint_meeting: bool = True, actor: Any
) -> Department:
    code = _check_code(code)
    name = name.strip()
    if Department.objects.filter(code=code).exists():
        raise PeopleError(_("The department code %(code)s is taken.") % {"code": code})
    if Department.objects.filter(name=name).exists():
        raise PeopleError(_("A department named %(name)s already exists.") % {"name": name})
    with transaction.atomic():
        department = Department.objects.create(
            code=code, name=name, in_joint_meeting=in_joint_meeting
        )
        audit.record(
            actor=actor,
            action="people.department.create",
            obj=department,
            after=audit.snapshot(department, ["code", "name", "in_joint_meeting"]),
        )
    return department


def party_organization_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: PartyOrganization | None,
    region: Region | None,
    actor: Any,
) -> PartyOrganization:
    """Add a party organisation under `parent`; its path is the parent's path plus its code."""
    code = _check_code(code)
    if kind not in PartyOrganization.Kind.values:
        raise PeopleError(_("Unknown kind of party organisation %(kind)s.") % {"kind": kind})
    if PartyOrganization.objects.filter(code=code).exists():
        raise PeopleError(_("The party organisation code %(code)s is taken.") % {"code": code})
    with transaction.atomic():
        org = PartyOrganization.objects.create(
            code=code,
            name=name.strip(),
            kind=kind,
            parent=parent,
            path=(parent.path if parent else "") + code + PATH_SEP,
            region=region,
        )
        audit.record(
            actor=actor,
            action="people.party_organization.create",
            obj=org,
            after=audit.snapshot(org, ["code", "name", "kind", "parent_id", "region_id"]),
        )
    return org


def work_team_create(
    *,
    name: str,
    region: Region,
    leader: User | None = None,
    headcount: int = 0,
    actor: Any,
) -> WorkTeam:
    name = name.strip()
    if headcount < 0:
        raise PeopleError(_("The number of people cannot be negative."))
    if WorkTeam.objects.filter(region=region, name=name).exists():
        raise PeopleError(
            _("%(region)s already has a team named %(name)s.") % {"region": region, "name": name}
        )
    with transaction.atomic():
        team = WorkTeam.objects.create(name=name, region=region, leader=leader, headcount=headcount)
        audit.record(
            actor=actor,
            action="people.work_team.create",
            obj=team,
            after=audit.snapshot(team, ["name", "region_id", "leader_id", "headcount"]),
        )
    return team


# --- party members -----------------------------------------------------------


def _check_may_edit_region(actor: Any, region: Region) -> None:
    # Imported lazily: permissions builds on this module's models only, but
    # keeping the import here avoids a cycle if permissions ever uses services.
    from zhenxing.people.permissions import can_manage_members_in

    if not _is_system(actor) and not can_manage_members_in(actor, region):
        raise PeopleError(
            _("%(region)s is outside your scope; you cannot register party members there.")
            % {"region": region.name}
        )


def party_member_create(
    *,
    name: str,
    organization: PartyOrganization,
    region: Region,
    mobile: str | None = None,
    gender: str = "",
    birth_year: int | None = None,
    joined_on: datetime.date | None = None,
    holds_office: bool = False,
    user: User | None = None,
    actor: Any,
) -> PartyMember:
    mobile = (mobile or "").strip() or None
    if gender not in ("", *PartyMember.Gender.values):
        raise PeopleError(_("Unknown gender %(gender)s.") % {"gender": gender})
    _check_may_edit_region(actor, region)
    _check_mobile_free_for_member(mobile)
    with transaction.atomic():
        member = PartyMember.objects.create(
            name=name.strip(),
            organization=organization,
            region=region,
            mobile=mobile,
            gender=gender,
            birth_year=birth_year,
            joined_on=joined_on,
            holds_office=holds_office,
            user=user,
        )
        audit.record(
            actor=actor,
            action="people.party_member.create",
            obj=member,
            after=audit.snapshot(member, _MEMBER_FIELDS),
        )
    return member


def party_member_update(
    *,
    member: PartyMember,
    actor: Any,
    name: str | _Unset = UNSET,
    organization: PartyOrganization | _Unset = UNSET,
    region: Region | _Unset = UNSET,
    mobile: str | None | _Unset = UNSET,
    gender: str | _Unset = UNSET,
    birth_year: int | None | _Unset = UNSET,
    joined_on: datetime.date | None | _Unset = UNSET,
    holds_office: bool | _Unset = UNSET,
    user: User | None | _Unset = UNSET,
) -> PartyMember:
    """Change the given fields; moving a member to another community needs scope there too."""
    _check_may_edit_region(actor, member.region)
    if not isinstance(region, _Unset) and region.pk != member.region_id:
        _check_may_edit_region(actor, region)
    if not isinstance(gender, _Unset) and gender not in ("", *PartyMember.Gender.values):
        raise PeopleError(_("Unknown gender %(gender)s.") % {"gender": gender})
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        before = audit.snapshot(locked, _MEMBER_FIELDS)
        if not isinstance(mobile, _Unset):
            mobile = (mobile or "").strip() or None
            _check_mobile_free_for_member(mobile, exclude=locked)
            locked.mobile = mobile
        if not isinstance(name, _Unset):
            locked.name = name.strip()
        if not isinstance(organization, _Unset):
            locked.organization = organization
        if not isinstance(region, _Unset):
            locked.region = region
        if not isinstance(gender, _Unset):
            locked.gender = gender
        if not isinstance(birth_year, _Unset):
            locked.birth_year = birth_year
        if not isinstance(joined_on, _Unset):
            locked.joined_on = joined_on
        if not isinstance(holds_office, _Unset):
            locked.holds_office = holds_office
        if not isinstance(user, _Unset):
            locked.user = user
        locked.save()
        audit.record(
            actor=actor,
            action="people.party_member.update",
            obj=locked,
            before=before,
            after=audit.snapshot(locked, _MEMBER_FIELDS),
        )
    return locked
