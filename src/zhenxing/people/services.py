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

import contextlib
import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from django.db import IntegrityError, transaction
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
from zhenxing.people.scopes import (
    administers,
    administers_whole_territory,
    in_scope,
    is_office_admin,
)
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


@contextlib.contextmanager
def _unique_write(
    *, explain: Callable[[], None] | None = None, error: PeopleError | None = None
) -> Iterator[None]:
    """Run a write in a savepoint; losing a race on a unique constraint becomes a PeopleError.

    `explain` re-runs the precise check (it raises the exact refusal when it
    can tell which value clashed); otherwise `error`, or "saved meanwhile".
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        if explain is not None:
            explain()
        raise (error or _saved_meanwhile()) from None


def _saved_meanwhile() -> PeopleError:
    # The checks before an insert look at committed rows; a request that
    # committed the same row in between is caught by the database's unique
    # constraint, and the user is told in the same words as any refusal.
    return PeopleError(
        _("Someone else saved the same record at the same moment; check and try again.")
    )


def _forget_cached_roles(user: Any) -> None:
    # Scopes cache a user's roles (and whether they run the whole territory)
    # on the user object; after a change they would be stale.
    user.__dict__.pop("_zhenxing_roles", None)
    user.__dict__.pop("_zhenxing_whole_territory", None)


def check_code(code: str) -> str:
    """A code as stored: trimmed, 1–40 characters, no path separator (forms call this too)."""
    code = code.strip()
    if not code or PATH_SEP in code or len(code) > 40:
        raise PeopleError(
            _("A code must be 1–40 characters long and may not contain “%(sep)s”.")
            % {"sep": PATH_SEP}
        )
    return code


# Shaped like a mainland mobile number (models.mobile_validator).
_MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}")


def check_username(username: str, *, mobile: str | None) -> None:
    """Refuse a username that looks like a mobile number, unless it is the login's own.

    People log in with their username or their mobile number, and the login
    looks the username up first: a username such as 13800138000 would take
    over the login of whoever has (or is later given) that mobile. The
    mobile check below refuses the other half: a mobile that is another
    login's username.
    """
    if _MOBILE_SHAPE.fullmatch(username) and username != mobile:
        raise PeopleError(
            _(
                "A username may only look like a mobile number if it is the login's own "
                "mobile number: people also log in by mobile."
            )
        )


def _check_mobile_free_for_user(mobile: str | None, *, exclude: User | None = None) -> None:
    if not mobile:
        return
    others = User.objects.all() if exclude is None else User.objects.exclude(pk=exclude.pk)
    if others.filter(mobile=mobile).exists():
        raise PeopleError(
            _("Another login already uses the mobile number %(mobile)s.") % {"mobile": mobile}
        )
    if others.filter(username=mobile).exists():
        raise PeopleError(
            _("%(mobile)s is another login's username; it cannot be this login's mobile.")
            % {"mobile": mobile}
        )


def _check_user_free(*, username: str, mobile: str | None) -> None:
    if User.objects.filter(username=username).exists():
        raise PeopleError(_("The username %(username)s is taken.") % {"username": username})
    _check_mobile_free_for_user(mobile)


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
    check_username(username, mobile=mobile)
    with transaction.atomic():
        _check_user_free(username=username, mobile=mobile)
        user = User(username=username, display_name=display_name.strip(), mobile=mobile)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        with _unique_write(explain=lambda: _check_user_free(username=username, mobile=mobile)):
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
        with _unique_write():
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
    """Only the office-admin role counts: a department or any other role held beside it
    never lets its holder hand out roles elsewhere."""
    if _is_system(actor):
        return
    if not is_office_admin(actor):
        raise PeopleError(_("Only the subdistrict office may assign or revoke roles."))
    if role in DEPARTMENT_ROLES or region is None:
        # Departments sit at subdistrict level, outside any one part of the tree.
        if not administers_whole_territory(actor):
            raise PeopleError(
                _("Department roles are assigned by an office admin of the whole subdistrict.")
            )
    elif not administers(actor, region):
        raise PeopleError(
            _("%(region)s is outside your scope; you cannot assign roles there.")
            % {"region": region.name}
        )
    elif region.parent_id is None and not administers_whole_territory(actor):
        # A role on a root (the subdistrict's own office admin, say) is a role
        # over the whole territory when there is one root.
        raise PeopleError(
            _("Roles on %(region)s are assigned by an office admin of the whole subdistrict.")
            % {"region": region.name}
        )


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
        # The database decides whether the user already holds this role there
        # (one unique constraint for region roles, one for department roles):
        # a look-up first would let two requests at once both pass.
        with _unique_write(
            error=PeopleError(_("%(user)s already holds this role there.") % {"user": user})
        ):
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
    _forget_cached_roles(user)
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
    _forget_cached_roles(assignment.user)


# --- departments, party organisations, teams --------------------------------


def _check_department_free(*, code: str, name: str) -> None:
    if Department.objects.filter(code=code).exists():
        raise PeopleError(_("The department code %(code)s is taken.") % {"code": code})
    if Department.objects.filter(name=name).exists():
        raise PeopleError(_("A department named %(name)s already exists.") % {"name": name})


def department_create(
    *, code: str, name: str, in_joint_meeting: bool = True, actor: Any
) -> Department:
    """Add a department: departments sit at subdistrict level, so the whole territory's
    office admin adds them."""
    if not _is_system(actor) and not administers_whole_territory(actor):
        raise PeopleError(_("Departments are added by an office admin of the whole subdistrict."))
    code = check_code(code)
    name = name.strip()
    with transaction.atomic():
        _check_department_free(code=code, name=name)
        with _unique_write(explain=lambda: _check_department_free(code=code, name=name)):
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
    code = check_code(code)
    if kind not in PartyOrganization.Kind.values:
        raise PeopleError(_("Unknown kind of party organisation %(kind)s.") % {"kind": kind})
    taken = PeopleError(_("The party organisation code %(code)s is taken.") % {"code": code})
    with transaction.atomic():
        if PartyOrganization.objects.filter(code=code).exists():
            raise taken
        with _unique_write(error=taken):
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
    if leader is not None and not in_scope(leader, region):
        # Cases dispatched to the team notify its leader, who must be able to
        # open them: a leader from elsewhere would be told and then refused.
        raise PeopleError(
            _("%(user)s holds no role in %(region)s and cannot lead a team there.")
            % {"user": leader, "region": region}
        )
    taken = PeopleError(
        _("%(region)s already has a team named %(name)s.") % {"region": region, "name": name}
    )
    with transaction.atomic():
        if WorkTeam.objects.filter(region=region, name=name).exists():
            raise taken
        with _unique_write(error=taken):
            team = WorkTeam.objects.create(
                name=name, region=region, leader=leader, headcount=headcount
            )
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


def check_no_duties_left_behind(member: PartyMember, region: Region) -> None:
    """Refuse a move to another community while the member holds posts or red-grid seats
    outside it: they would stay open in a community whose secretary no longer sees the
    member, and the member would go on being counted (and checking in) there."""
    # Imported lazily: the posts app builds on people's models and services.
    from zhenxing.posts.models import GridAssignment, PostClaim
    from zhenxing.territory.selectors import community_path

    community = community_path(region.path)
    claims = (
        PostClaim.objects.filter(member=member, ended_on__isnull=True)
        .exclude(post__region__path__startswith=community)
        .select_related("post")
        .order_by("post__code")
    )
    seats = (
        GridAssignment.objects.filter(member=member, ended_on__isnull=True)
        .exclude(area__path__startswith=community)
        .select_related("area")
        .order_by("area__path")
    )
    duties = [
        _("post %(code)s %(name)s") % {"code": c.post.code, "name": c.post.name} for c in claims
    ]
    duties += [_("the red grid of %(area)s") % {"area": g.area.name} for g in seats]
    if duties:
        raise PeopleError(
            _(
                "%(member)s still serves in their present community (%(duties)s). "
                "End those post claims and red-grid assignments first, "
                "then move the member to %(community)s."
            )
            % {"member": member.name, "duties": "; ".join(duties), "community": region.name}
        )


def check_organization_in_community(organization: PartyOrganization, region: Region) -> None:
    """A member's organisation must sit in the member's community, above it, or nowhere.

    The subdistrict committee (on the root) takes members of any community; a
    branch of 社区乙 does not take a member of 社区甲. The import asks this too.
    """
    home = organization.region
    if home is None or home.path.startswith(region.path) or region.path.startswith(home.path):
        return
    raise PeopleError(
        _("%(org)s belongs to %(org_region)s, not to %(region)s.")
        % {"org": organization.name, "org_region": home.name, "region": region.name}
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
    check_organization_in_community(organization, region)
    with transaction.atomic():
        _check_mobile_free_for_member(mobile)
        with _unique_write(explain=lambda: _check_mobile_free_for_member(mobile)):
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
    if not isinstance(gender, _Unset) and gender not in ("", *PartyMember.Gender.values):
        raise PeopleError(_("Unknown gender %(gender)s.") % {"gender": gender})
    with transaction.atomic():
        # Scope is checked on the row as stored, locked: `member` may have been
        # read before someone else moved the member to another community.
        locked = (
            PartyMember.objects.select_for_update(of=("self",))
            .select_related("region", "organization__region")
            .get(pk=member.pk)
        )
        _check_may_edit_region(actor, locked.region)
        if not isinstance(region, _Unset) and region.pk != locked.region_id:
            _check_may_edit_region(actor, region)
            check_no_duties_left_behind(locked, region)
        if not isinstance(organization, _Unset) or not isinstance(region, _Unset):
            check_organization_in_community(
                locked.organization if isinstance(organization, _Unset) else organization,
                locked.region if isinstance(region, _Unset) else region,
            )
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
        with _unique_write():
            locked.save()
        audit.record(
            actor=actor,
            action="people.party_member.update",
            obj=locked,
            before=before,
            after=audit.snapshot(locked, _MEMBER_FIELDS),
        )
    return locked
