"""Every service writes exactly one audit row with before/after, and enforces its rules."""

from __future__ import annotations

import datetime

import pytest

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import PartyMember, Role, RoleAssignment, User
from zhenxing.people.services import (
    PeopleError,
    department_create,
    party_member_create,
    party_member_update,
    party_organization_create,
    role_assign,
    role_revoke,
    user_create,
    user_update,
    work_team_create,
)


def _only_new_entry(before_count: int) -> AuditEntry:
    assert AuditEntry.objects.count() == before_count + 1
    return AuditEntry.objects.order_by("-id").first()


@pytest.fixture
def admin_of_b(world):
    """An office admin whose scope is only 社区乙."""
    user = User.objects.create_user(username="office_b", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.b)
    return user


# --- users ---------------------------------------------------------------------


@pytest.mark.django_db
def test_user_create_hashes_the_password_and_audits_without_it(world):
    n = AuditEntry.objects.count()
    user = user_create(
        username="new_cadre",
        password="long-enough-secret-1",
        display_name="新干部",
        mobile="13700000000",
        actor=world.admin,
    )
    assert user.check_password("long-enough-secret-1")
    entry = _only_new_entry(n)
    assert entry.action == "people.user.create"
    assert entry.actor == world.admin
    assert entry.object_id == str(user.pk)
    assert entry.changes["username"] == [None, "new_cadre"]
    assert entry.changes["mobile"] == [None, "13700000000"]
    assert "password" not in entry.changes


@pytest.mark.django_db
def test_user_create_without_password_makes_an_account_that_cannot_log_in(world):
    user = user_create(username="later", password=None, actor=world.admin)
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_user_create_refuses_a_taken_username_or_mobile(world):
    n = AuditEntry.objects.count()
    with pytest.raises(PeopleError):
        user_create(username="sec_a", password="x", actor=world.admin)
    with pytest.raises(PeopleError):
        user_create(username="other", password="x", mobile="13800000002", actor=world.admin)
    assert AuditEntry.objects.count() == n


@pytest.mark.django_db
def test_user_update_records_only_what_changed_and_hides_the_password(world):
    n = AuditEntry.objects.count()
    user_update(
        user=world.inspector_a,
        display_name="巡查员甲",
        mobile="13700000001",
        password="another-secret-22",
        actor=world.admin,
    )
    entry = _only_new_entry(n)
    assert entry.action == "people.user.update"
    assert entry.changes == {
        "display_name": ["", "巡查员甲"],
        "mobile": [None, "13700000001"],
        "password": ["…", "…"],
    }
    world.inspector_a.refresh_from_db()
    assert world.inspector_a.check_password("another-secret-22")
    assert "pbkdf2" not in str(entry.changes) and "md5" not in str(entry.changes)


@pytest.mark.django_db
def test_user_update_refuses_a_mobile_of_another_login(world):
    with pytest.raises(PeopleError):
        user_update(user=world.inspector_a, mobile="13800000001", actor=world.admin)


# --- roles ---------------------------------------------------------------------


@pytest.mark.django_db
def test_role_assign_by_an_office_admin_in_scope(world):
    n = AuditEntry.objects.count()
    assignment = role_assign(
        user=world.nobody, role=Role.INSPECTOR, region=world.a, title="巡查员", actor=world.admin
    )
    assert assignment.region == world.a
    entry = _only_new_entry(n)
    assert entry.action == "people.role.assign"
    assert entry.changes["role"] == [None, "inspector"]
    assert entry.changes["region_id"] == [None, world.a.pk]
    assert entry.changes["user_id"] == [None, world.nobody.pk]


@pytest.mark.django_db
def test_role_assign_refuses_an_actor_who_is_not_an_office_admin(world):
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.a, actor=world.secretary_a)
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()


@pytest.mark.django_db
def test_role_assign_refuses_an_office_admin_out_of_scope(world, admin_of_b):
    n = AuditEntry.objects.count()
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.a, actor=admin_of_b)
    assert not RoleAssignment.objects.filter(user=world.nobody).exists()
    assert AuditEntry.objects.count() == n
    # ...but the same admin may assign inside their own community.
    role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.area_b1, actor=admin_of_b)


@pytest.mark.django_db
def test_role_assign_refuses_an_anonymous_actor(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.a, actor=AnonymousUser())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "where"),
    [
        (Role.DEPARTMENT_STAFF, "region"),  # department role given a region
        (Role.DEPARTMENT_STAFF, "nothing"),  # department role given nothing
        (Role.SECRETARY, "department"),  # region role given a department
        (Role.SECRETARY, "nothing"),  # region role given nothing
        (Role.SECRETARY, "both"),
    ],
)
def test_role_assign_checks_region_xor_department(world, role, where):
    region = world.a if where in ("region", "both") else None
    department = world.dept if where in ("department", "both") else None
    with pytest.raises(PeopleError):
        role_assign(
            user=world.nobody, role=role, region=region, department=department, actor=world.admin
        )


@pytest.mark.django_db
def test_department_roles_need_an_admin_of_the_whole_subdistrict(world, admin_of_b):
    with pytest.raises(PeopleError):
        role_assign(
            user=world.nobody, role=Role.DEPARTMENT_STAFF, department=world.dept, actor=admin_of_b
        )
    assignment = role_assign(
        user=world.nobody, role=Role.DEPARTMENT_STAFF, department=world.dept, actor=world.admin
    )
    assert assignment.department == world.dept


@pytest.mark.django_db
def test_role_assign_refuses_a_duplicate_even_on_a_department(world):
    with pytest.raises(PeopleError):
        role_assign(user=world.secretary_a, role=Role.SECRETARY, region=world.a, actor=world.admin)
    with pytest.raises(PeopleError):
        role_assign(
            user=world.dept_staff,
            role=Role.DEPARTMENT_STAFF,
            department=world.dept,
            actor=world.admin,
        )


@pytest.mark.django_db
def test_role_assign_refuses_an_unknown_role(world):
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role="emperor", region=world.a, actor=world.admin)


@pytest.mark.django_db
def test_role_revoke_deletes_and_records_the_before(world):
    assignment = world.inspector_a.role_assignments.get()
    n = AuditEntry.objects.count()
    role_revoke(assignment=assignment, actor=world.admin)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    entry = _only_new_entry(n)
    assert entry.action == "people.role.revoke"
    assert entry.changes["role"] == ["inspector", None]
    assert entry.changes["region_id"] == [world.a.pk, None]


@pytest.mark.django_db
def test_role_revoke_refuses_out_of_scope_and_self_lockout(world, admin_of_b):
    with pytest.raises(PeopleError):
        role_revoke(assignment=world.inspector_a.role_assignments.get(), actor=admin_of_b)
    with pytest.raises(PeopleError):
        role_revoke(assignment=world.admin.role_assignments.get(), actor=world.admin)
    with pytest.raises(PeopleError):
        role_revoke(assignment=world.inspector_a.role_assignments.get(), actor=world.secretary_a)
    assert RoleAssignment.objects.filter(user__in=[world.admin, world.inspector_a]).count() == 2


# --- departments, organisations, teams -----------------------------------------


@pytest.mark.django_db
def test_department_create_is_audited_and_unique(world):
    n = AuditEntry.objects.count()
    department = department_create(code="D02", name="环保所", actor=world.admin)
    entry = _only_new_entry(n)
    assert entry.action == "people.department.create"
    assert entry.changes["name"] == [None, "环保所"]
    assert department.in_joint_meeting is True
    with pytest.raises(PeopleError):
        department_create(code="D02", name="别的", actor=world.admin)
    with pytest.raises(PeopleError):
        department_create(code="D03", name="环保所", actor=world.admin)
    with pytest.raises(PeopleError):
        department_create(code="D/4", name="斜杠", actor=world.admin)


@pytest.mark.django_db
def test_party_organization_create_computes_the_path(world):
    n = AuditEntry.objects.count()
    committee = party_organization_create(
        code="GCDW", name="党工委", kind="committee", parent=None, region=world.root, actor=None
    )
    branch = party_organization_create(
        code="GC01DZB", name="支部", kind="branch", parent=committee, region=world.a, actor=None
    )
    assert committee.path == "GCDW/"
    assert branch.path == "GCDW/GC01DZB/"
    assert AuditEntry.objects.count() == n + 2
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "people.party_organization.create"
    assert entry.changes["parent_id"] == [None, committee.pk]
    with pytest.raises(PeopleError):
        party_organization_create(
            code="GCDW", name="重复", kind="branch", parent=None, region=None, actor=None
        )
    with pytest.raises(PeopleError):
        party_organization_create(
            code="X1", name="怪", kind="cell", parent=None, region=None, actor=None
        )


@pytest.mark.django_db
def test_work_team_create_is_audited_and_unique_per_community(world):
    n = AuditEntry.objects.count()
    team = work_team_create(name="清洁队", region=world.a, headcount=10, actor=world.admin)
    entry = _only_new_entry(n)
    assert entry.action == "people.work_team.create"
    assert entry.changes["headcount"] == [None, 10]
    assert team.region == world.a
    with pytest.raises(PeopleError):
        work_team_create(name="清洁队", region=world.a, actor=world.admin)
    work_team_create(name="清洁队", region=world.b, actor=world.admin)  # another community: fine


@pytest.mark.django_db
def test_a_team_is_led_only_by_someone_who_can_see_its_community(world):
    # 社区乙's secretary would be told of 社区甲's cases and then refused them.
    with pytest.raises(PeopleError):
        work_team_create(name="甲队", region=world.a, leader=world.outsider, actor=world.admin)
    with pytest.raises(PeopleError):
        work_team_create(name="甲队", region=world.a, leader=world.nobody, actor=world.admin)
    team = work_team_create(name="甲队", region=world.a, leader=world.team_leader_a, actor=None)
    assert team.leader == world.team_leader_a


# --- party members -----------------------------------------------------------------


@pytest.mark.django_db
def test_party_member_create_by_the_secretary_of_the_community(world, roster):
    n = AuditEntry.objects.count()
    member = party_member_create(
        name=" 陈新 ",
        mobile="13900000009",
        gender="M",
        joined_on=datetime.date(2001, 7, 1),
        organization=roster.branch_a,
        region=world.a,
        actor=world.secretary_a,
    )
    assert member.name == "陈新"
    entry = _only_new_entry(n)
    assert entry.action == "people.party_member.create"
    assert entry.actor == world.secretary_a
    assert entry.changes["joined_on"] == [None, "2001-07-01"]
    assert entry.changes["region_id"] == [None, world.a.pk]


@pytest.mark.django_db
def test_party_member_create_refuses_other_communities_and_taken_mobiles(world, roster):
    count = PartyMember.objects.count()
    with pytest.raises(PeopleError):
        party_member_create(
            name="越界", organization=roster.branch_b, region=world.b, actor=world.secretary_a
        )
    with pytest.raises(PeopleError):
        party_member_create(
            name="巡查员", organization=roster.branch_a, region=world.a, actor=world.inspector_a
        )
    with pytest.raises(PeopleError):
        party_member_create(
            name="重号",
            mobile=roster.a1.mobile,
            organization=roster.branch_a,
            region=world.a,
            actor=world.secretary_a,
        )
    assert PartyMember.objects.count() == count


@pytest.mark.django_db
def test_party_member_update_records_before_and_after_of_changed_fields(world, roster):
    n = AuditEntry.objects.count()
    party_member_update(
        member=roster.a2, name="李明明", holds_office=True, birth_year=None, actor=world.secretary_a
    )
    entry = _only_new_entry(n)
    assert entry.action == "people.party_member.update"
    assert entry.changes == {"name": ["李明", "李明明"], "holds_office": [False, True]}
    roster.a2.refresh_from_db()
    assert roster.a2.name == "李明明"


@pytest.mark.django_db
def test_party_member_update_refuses_out_of_scope_changes(world, roster):
    with pytest.raises(PeopleError):
        party_member_update(member=roster.b1, name="改名", actor=world.secretary_a)
    with pytest.raises(PeopleError):  # moving a member out of one's community
        party_member_update(member=roster.a2, region=world.b, actor=world.secretary_a)
    with pytest.raises(PeopleError):
        party_member_update(member=roster.a2, mobile=roster.b1.mobile, actor=world.admin)
    with pytest.raises(PeopleError):
        party_member_update(member=roster.a2, name="读者", actor=world.inspector_a)
    roster.a2.refresh_from_db()
    assert (roster.a2.name, roster.a2.region_id) == ("李明", world.a.pk)


# --- who may assign: only the office-admin role counts ------------------------------


@pytest.fixture
def admin_of_a_in_a_department(world):
    """Office admin of 社区甲 who also works in a department (so reads the whole territory)."""
    user = User.objects.create_user(username="office_a_dept", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    RoleAssignment.objects.create(user=user, role=Role.DEPARTMENT_STAFF, department=world.dept)
    return user


@pytest.mark.django_db
def test_a_department_role_never_widens_what_an_admin_may_assign(world, admin_of_a_in_a_department):
    actor = admin_of_a_in_a_department
    n = AuditEntry.objects.count()
    with pytest.raises(PeopleError):  # making oneself admin of the whole subdistrict
        role_assign(user=actor, role=Role.OFFICE_ADMIN, region=world.root, actor=actor)
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.b, actor=actor)
    with pytest.raises(PeopleError):
        role_assign(
            user=world.nobody, role=Role.DEPARTMENT_STAFF, department=world.dept, actor=actor
        )
    with pytest.raises(PeopleError):  # taking the subdistrict admin's role away
        role_revoke(assignment=world.admin.role_assignments.get(), actor=actor)
    with pytest.raises(PeopleError):  # nor a department role of someone else
        role_revoke(assignment=world.dept_staff.role_assignments.get(), actor=actor)
    assert AuditEntry.objects.count() == n
    assert RoleAssignment.objects.filter(user=actor).count() == 2
    assert RoleAssignment.objects.filter(user__in=[world.admin, world.dept_staff]).count() == 2
    # ...while inside 社区甲 the admin role still works.
    role_assign(user=world.nobody, role=Role.INSPECTOR, region=world.area_a1, actor=actor)


@pytest.mark.django_db
def test_roles_on_a_root_need_an_admin_of_every_root(world):
    from zhenxing.territory.services import region_create

    region_create(code="XQ", name="新区", parent=None, actor=None)
    # world.admin administers GC but not the new root: GC's own roles are
    # roles of the whole subdistrict level, so no longer theirs to hand out.
    with pytest.raises(PeopleError):
        role_assign(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.root, actor=world.admin)
    role_assign(user=world.nobody, role=Role.SECRETARY, region=world.a, actor=world.admin)


@pytest.mark.django_db
def test_departments_are_created_by_an_admin_of_the_whole_subdistrict(world, admin_of_b):
    with pytest.raises(PeopleError):
        department_create(code="D08", name="水务所", actor=admin_of_b)
    with pytest.raises(PeopleError):
        department_create(code="D08", name="水务所", actor=world.secretary_a)
    assert department_create(code="D08", name="水务所", actor=world.admin).code == "D08"


# --- races: the database has the last word ---------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_role_on_a_department_or_region(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=world.dept_staff, role=Role.DEPARTMENT_STAFF, department=world.dept
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=world.secretary_a, role=Role.SECRETARY, region=world.a)
    # The same role elsewhere is a different assignment.
    RoleAssignment.objects.create(user=world.secretary_a, role=Role.SECRETARY, region=world.b)


@pytest.mark.django_db
def test_a_duplicate_that_slips_past_the_checks_is_a_people_error(world, roster, monkeypatch):
    """Two requests at once both pass the look-up; the constraint catches the second."""
    from zhenxing.people import services

    n = AuditEntry.objects.count()
    monkeypatch.setattr(services, "_check_user_free", lambda *a, **k: None)
    with pytest.raises(PeopleError):
        user_create(username="sec_a", password="x", actor=world.admin)
    with pytest.raises(PeopleError):
        user_create(username="other", password="x", mobile="13800000002", actor=world.admin)
    monkeypatch.setattr(services, "_check_department_free", lambda *a, **k: None)
    with pytest.raises(PeopleError):
        department_create(code="D01", name="别的", actor=world.admin)
    monkeypatch.setattr(services, "_check_mobile_free_for_member", lambda *a, **k: None)
    with pytest.raises(PeopleError):
        party_member_create(
            name="重号",
            mobile=roster.a1.mobile,
            organization=roster.branch_a,
            region=world.a,
            actor=world.admin,
        )
    with pytest.raises(PeopleError):
        party_member_update(member=roster.a2, mobile=roster.a1.mobile, actor=world.admin)
    assert AuditEntry.objects.count() == n


@pytest.mark.django_db
def test_party_member_update_checks_scope_on_the_stored_row(world, roster):
    stale = PartyMember.objects.get(pk=roster.a2.pk)  # read while still in 社区甲
    party_member_update(
        member=roster.a2, region=world.b, organization=roster.branch_b, actor=world.admin
    )
    with pytest.raises(PeopleError):
        party_member_update(member=stale, name="改名", actor=world.secretary_a)
    roster.a2.refresh_from_db()
    assert (roster.a2.name, roster.a2.region_id) == ("李明", world.b.pk)


# --- organisation and community agree -----------------------------------------------------


@pytest.mark.django_db
def test_a_member_organisation_must_belong_to_the_community(world, roster):
    with pytest.raises(PeopleError, match="社区乙"):
        party_member_create(
            name="错配", organization=roster.branch_b, region=world.a, actor=world.admin
        )
    with pytest.raises(PeopleError):
        party_member_update(member=roster.a2, organization=roster.branch_b, actor=world.admin)
    with pytest.raises(PeopleError):
        party_member_update(member=roster.a2, region=world.b, actor=world.admin)
    # The subdistrict committee sits on the root, which holds every community.
    party_member_create(name="直属", organization=roster.committee, region=world.b, actor=None)
    roster.a2.refresh_from_db()
    assert (roster.a2.organization_id, roster.a2.region_id) == (roster.branch_a.pk, world.a.pk)


# --- usernames and mobiles never collide at login -------------------------------------------


@pytest.mark.django_db
def test_a_username_may_not_look_like_someone_elses_mobile(world):
    with pytest.raises(PeopleError):  # 13800000002 is the secretary's mobile
        user_create(username="13800000002", password="x", actor=world.admin)
    with pytest.raises(PeopleError):  # nobody's yet, but could become someone's
        user_create(username="13700000123", password="x", actor=world.admin)
    # One's own mobile as a username is the same person either way.
    user = user_create(
        username="13700000124", password="x", mobile="13700000124", actor=world.admin
    )
    assert user.username == user.mobile
    legacy = User.objects.create_user(username="13700000125", password="x")
    with pytest.raises(PeopleError):  # a mobile that is another login's username
        user_update(user=world.inspector_a, mobile=legacy.username, actor=world.admin)
    with pytest.raises(PeopleError):
        user_create(username="x2", password="x", mobile=legacy.username, actor=world.admin)


@pytest.mark.django_db
def test_organisations_and_teams_saved_twice_at_once_are_a_people_error(world, monkeypatch):
    from django.db.models import QuerySet

    party_organization_create(
        code="GCDW", name="党工委", kind="committee", parent=None, region=world.root, actor=None
    )
    work_team_create(name="清洁队", region=world.a, actor=None)
    # Both requests pass the look-up before either has written.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(PeopleError):
        party_organization_create(
            code="GCDW", name="重复", kind="branch", parent=None, region=None, actor=None
        )
    with pytest.raises(PeopleError):
        work_team_create(name="清洁队", region=world.a, actor=None)
