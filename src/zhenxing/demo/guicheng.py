"""The Guicheng demo: the article's territory, departments, party and teams, one login per role.

`load_guicheng` is idempotent: it inserts only what is missing (by code,
mobile or name), so a second run creates no rows and writes no audit row,
except that it resets the demo accounts' password when a different one is
given. It is deterministic: the generator runs from fixed seeds. The
cases (`demo.cases`: categories, holiday calendar, ~3,000 cases over the
last four months) and the covert inspections (`demo.inspections`: twelve
weeks of rounds and scores, with their published weekly circulars) and the
plan (`demo.plans`: campaigns, weekly targets, daily arrangements and
progress reports) and the party members' responsibility posts (`demo.posts`:
584 posts, their claims, the red grid and months of patrol logs) and the
charters and votes (`demo.charters`: 22 charters adopted and filed in 2019
with their voting sessions, rolls and chained ballots, 中区's revision out
for comment and its cooperative's subsidy vote, and an open vote in 叠南)
are added once, relative to the time of the first load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import OutputWrapper
from django.db import transaction

from zhenxing.assessment.models import Circular, CircularStatus
from zhenxing.cases.models import Case, Category
from zhenxing.core import audit
from zhenxing.core.models import AuditEntry
from zhenxing.demo import data
from zhenxing.demo.cases import load_cases
from zhenxing.demo.charters import charter_counts, load_charters
from zhenxing.demo.generator import CopyPlan, plan_copy
from zhenxing.demo.inspections import load_inspections
from zhenxing.demo.persist import write_members, write_orgs, write_regions, write_teams
from zhenxing.demo.plans import load_plans
from zhenxing.demo.posts import load_posts, post_counts
from zhenxing.demo.public import load_public
from zhenxing.inspections.models import Inspection
from zhenxing.open311.models import Open311Client
from zhenxing.open311.services import DEMO_KEY, ensure_demo_client, key_hash
from zhenxing.people.models import (
    Department,
    PartyMember,
    PartyOrganization,
    Role,
    RoleAssignment,
    User,
    WorkTeam,
)
from zhenxing.plans.models import Arrangement, Campaign, ProgressReport, WeeklyTarget
from zhenxing.public.models import Publication
from zhenxing.territory.models import PATH_SEP, Region


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)

    def describe(self) -> str:
        return "、".join(f"{k} {v}" for k, v in self.counts.items())


@dataclass(frozen=True)
class _AccountSpec:
    username: str
    role: Role
    # A community's short name (叠南), "" for the whole subdistrict, or None
    # for a department role.
    community: str | None
    department: str | None = None
    title: str = ""
    superuser: bool = False


ACCOUNTS: list[_AccountSpec] = [
    _AccountSpec("admin", Role.OFFICE_ADMIN, "", title="乡村振兴办", superuser=True),
    _AccountSpec("secretary", Role.SECRETARY, "叠南", title="社区党委书记"),
    # The standing covert-inspection team works across the whole subdistrict.
    _AccountSpec("inspector", Role.INSPECTOR, "", title="常规巡查队员"),
    _AccountSpec("party", Role.PARTY_MEMBER, data.NAMED_MEMBER_COMMUNITY),
    _AccountSpec("dept", Role.DEPARTMENT_STAFF, None, department=data.CITY_MANAGEMENT),
    _AccountSpec("leader", Role.TEAM_LEADER, "叠南", title="工作队队长"),
    # A second secretary, so the difference between two scopes can be shown.
    _AccountSpec("secretary2", Role.SECRETARY, "中区", title="社区党委书记"),
]


def department_code(name: str) -> str:
    return f"D{data.DEPARTMENTS.index(name) + 1:02d}"


def _say(progress: Any | None) -> Callable[[str], None]:
    def say(message: str) -> None:
        if isinstance(progress, OutputWrapper):
            # A command's stderr would paint plain progress red.
            progress.write(f"  {message}", style_func=lambda s: s)
        elif progress is not None:
            progress.write(f"  {message}\n")

    return say


def load_guicheng(*, password: str, progress: Any | None = None) -> DemoSummary:
    """Load (or complete) the Guicheng demo and return its counts and accounts.

    `progress` is any object with `write(str)` (a stream, or a management
    command's stdout); a line is written per step.
    """
    say = _say(progress)
    plan = plan_copy(1)
    with transaction.atomic():
        created: dict[str, int] = {}
        created["regions"] = write_regions(plan.regions)
        say(f"territory: {created['regions']} regions added")
        created["departments"] = _ensure_departments()
        say(f"departments: {created['departments']} added")
        created["party_organisations"] = write_orgs(plan.orgs)
        created["party_members"] = write_members(plan.members)
        say(
            f"party: {created['party_organisations']} organisations and "
            f"{created['party_members']} members added"
        )
        created["work_teams"] = write_teams(plan.teams)
        say(f"work teams: {created['work_teams']} added")
        accounts, account_changes = _ensure_accounts(plan, password)
        say(f"accounts: {len(accounts)} ready")
        case_counts = load_cases()
        created["case_categories"] = case_counts["case_categories"]
        created["holidays"] = case_counts["holidays"]
        created["cases"] = case_counts["cases"]
        say(
            f"cases: {created['cases']} added, with {case_counts.get('case_events', 0)} events "
            f"and {case_counts.get('case_photos', 0)} photos"
            if created["cases"]
            else "cases: the demo has its cases already"
        )
        say(
            f"case categories: {created['case_categories']} added; "
            f"holiday calendar: {created['holidays']} days added"
        )
        inspection_counts = load_inspections()
        for key in ("checklists", "inspectors", "inspection_rounds", "inspections", "circulars"):
            created[key] = inspection_counts[key]
        say(
            f"inspections: {created['inspection_rounds']} rounds and {created['inspections']} "
            f"inspections added, with {inspection_counts['findings']} findings; "
            f"{created['circulars']} weekly circulars published"
            if created["inspections"]
            else "inspections: the demo has its inspections already"
        )
        plan_counts = load_plans()
        for key in ("campaigns", "weekly_targets", "arrangements", "progress_reports"):
            created[key] = plan_counts[key]
        say(
            f"plans: {created['campaigns']} campaigns; {created['weekly_targets']} weekly "
            f"targets, {created['arrangements']} daily arrangements and "
            f"{created['progress_reports']} progress reports added"
            if created["weekly_targets"]
            else "plans: the demo has its plan table already"
        )
        post_loaded = load_posts()
        for key, value in post_loaded.items():
            created[key] = value
        say(
            f"posts: {created['posts']} responsibility posts, {created['post_claims']} claims, "
            f"{created['grid_assignments']} red-grid assignments, {created['patrols']} patrols "
            f"({created['post_cases']} found a problem) added"
            if created["posts"]
            else "posts: the demo has its responsibility posts already"
        )
        charters_loaded = load_charters()
        for key, value in charters_loaded.items():
            created[key] = value
        say(
            f"charters: {created['charters']} charters ({created['charter_versions']} versions, "
            f"{created['charter_comments']} comments), {created['voting_bodies']} voting bodies, "
            f"{created['voting_sessions']} voting sessions with {created['electors']} electors "
            f"and {created['ballots']} ballots added"
            if any(charters_loaded.values())
            else "charters: the demo has its charters and votes already"
        )
        public_counts = load_public(actor=User.objects.filter(username="admin").first())
        created["publications"] = public_counts["publications"]
        had_client = Open311Client.objects.filter(key_hash=key_hash(DEMO_KEY)).exists()
        ensure_demo_client()
        created["open311_clients"] = 0 if had_client else 1
        say(
            f"exposure board: {public_counts['closed']} fixed and {public_counts['open']} open "
            "black spots published"
            if created["publications"]
            else "exposure board: the demo has its publications already"
        )
        say(f"Open311 GeoReport v2: API key {DEMO_KEY}")
        if any(created.values()) or any(account_changes.values()):
            parts = [f"{k} +{v}" for k, v in created.items() if v]
            if account_changes["users_created"]:
                parts.append(f"accounts +{len(account_changes['users_created'])}")
            if account_changes["passwords_reset"]:
                parts.append(f"{len(account_changes['passwords_reset'])} passwords reset")
            audit.record(
                actor=None,
                action="demo.load",
                summary="Guicheng demo: " + (", ".join(parts) or "roles and links completed"),
                changes={"created": created, **account_changes},
            )
    return DemoSummary(counts=demo_counts(), accounts=accounts)


def demo_counts(root_code: str = data.ROOT_CODE) -> dict[str, int]:
    """The demo's figures, in the order the demo command prints them."""
    prefix = root_code + PATH_SEP
    in_tree = Region.objects.filter(path__startswith=prefix)
    return {
        "社区": in_tree.filter(depth=2).count(),
        "经济社": in_tree.filter(depth=3).count(),
        "片区": in_tree.filter(depth=4).count(),
        "职能部门": Department.objects.count(),
        "党组织": PartyOrganization.objects.filter(path__startswith=f"P-{prefix}").count(),
        "党员": PartyMember.objects.filter(region__path__startswith=prefix).count(),
        "工作队伍": WorkTeam.objects.filter(region__path__startswith=prefix).count(),
        "案件分类": Category.objects.filter(parent__isnull=False).count(),
        "案件": Case.objects.filter(region_path__startswith=prefix).count(),
        "暗检": Inspection.objects.filter(area_path__startswith=prefix).count(),
        "通报": Circular.objects.filter(
            scope__path__startswith=prefix, status=CircularStatus.PUBLISHED
        ).count(),
        "专项行动": Campaign.objects.count(),
        "周目标": WeeklyTarget.objects.filter(region_path__startswith=prefix).count(),
        "每日安排": Arrangement.objects.filter(region_path__startswith=prefix).count(),
        "进度上报": ProgressReport.objects.filter(region_path__startswith=prefix).count(),
        "曝光": Publication.objects.filter(
            case__region_path__startswith=prefix, is_published=True
        ).count(),
        **post_counts(root_code),
        **charter_counts(root_code),
    }


def _ensure_departments() -> int:
    existing = list(Department.objects.values_list("code", "name"))
    codes = {c for c, _ in existing}
    names = {n for _, n in existing}
    missing = [
        Department(code=department_code(name), name=name)
        for name in data.DEPARTMENTS
        if department_code(name) not in codes and name not in names
    ]
    Department.objects.bulk_create(missing)
    return len(missing)


class DemoRefused(Exception):
    """The database holds real accounts under the demo's usernames."""


def _demo_created_usernames() -> set[str]:
    """Usernames that an earlier demo load created (its audit rows say so)."""
    created: set[str] = set()
    for changes in AuditEntry.objects.filter(action="demo.load").values_list("changes", flat=True):
        if isinstance(changes, dict):
            created.update(changes.get("users_created") or [])
    return created


def _ensure_accounts(plan: CopyPlan, password: str) -> tuple[list[DemoAccount], dict[str, Any]]:
    """Create the demo logins and their roles; reset their password if it differs.

    Only accounts the demo itself created are ever reset or promoted: an
    existing `admin` that someone made by hand is refused, never taken over.
    """
    names = [spec.username for spec in ACCOUNTS]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    foreign = sorted(set(users) - _demo_created_usernames())
    if foreign:
        raise DemoRefused(
            "these accounts exist but were not created by the demo, so the demo will not "
            f"change their passwords or roles: {', '.join(foreign)}. Load the demo into a "
            "fresh database (set ZHENXING_VAR_DIR or DATABASE_URL)."
        )
    hashed: str | None = None

    def new_hash() -> str:
        # One hash for all demo accounts: hashing is deliberately slow, and
        # they share the one published demo password anyway.
        nonlocal hashed
        if hashed is None:
            hashed = make_password(password)
        return hashed

    # Check each distinct stored hash once (normally one for all accounts).
    matches = {h: check_password(password, h) for h in {u.password for u in users.values()}}
    reset = sorted(name for name, u in users.items() if not matches[u.password])
    for name in reset:
        users[name].password = new_hash()
    if reset:
        User.objects.bulk_update([users[n] for n in reset], ["password"])

    created_users: list[str] = []
    for spec in ACCOUNTS:
        if spec.username not in users:
            users[spec.username] = User.objects.create(
                username=spec.username,
                password=new_hash(),
                display_name=data.DISPLAY_NAMES.get(spec.username, ""),
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            created_users.append(spec.username)
    admin = users["admin"]
    if not (admin.is_staff and admin.is_superuser and admin.is_active):
        # Django admin is part of the demo tour: keep the admin account able to use it.
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.save(update_fields=["is_staff", "is_superuser", "is_active"])

    regions = {
        r.code: r
        for r in Region.objects.filter(code__in=[plan.root_code, *plan.community_codes.values()])
    }
    departments = {d.code: d for d in Department.objects.all()}
    accounts: list[DemoAccount] = []
    created_roles = 0
    for spec in ACCOUNTS:
        region = department = None
        if spec.department is not None:
            department = departments[department_code(spec.department)]
            scope = department.name
        else:
            code = plan.community_codes[spec.community] if spec.community else plan.root_code
            region = regions[code]
            scope = region.name
        _, made = RoleAssignment.objects.get_or_create(
            user=users[spec.username],
            role=spec.role,
            region=region,
            department=department,
            defaults={"title": spec.title},
        )
        created_roles += made
        accounts.append(
            DemoAccount(username=spec.username, role=data.ROLE_LABELS[spec.role], scope=scope)
        )

    linked = _link_people(plan, users)
    changes: dict[str, Any] = {
        "users_created": created_users,
        "roles_created": created_roles,
        "passwords_reset": reset,
        "linked": linked,
    }
    return accounts, changes


def _link_people(plan: CopyPlan, users: dict[str, User]) -> list[str]:
    """The party account is 阙国钊's login; the team leader leads 叠南's work team."""
    linked: list[str] = []
    party = users["party"]
    member = (
        PartyMember.objects.filter(
            region__code=plan.community_codes[data.NAMED_MEMBER_COMMUNITY],
            name=data.NAMED_MEMBER_NAME,
        )
        .order_by("pk")
        .first()
    )
    if (
        member is not None
        and member.user_id is None
        and not PartyMember.objects.filter(user=party).exists()
    ):
        member.user = party
        member.save(update_fields=["user"])
        linked.append(f"party→{member.name}")
    leader_team = next(t for t in plan.teams if t.region_code == plan.community_codes["叠南"])
    team = WorkTeam.objects.filter(
        region__code=leader_team.region_code, name=leader_team.name
    ).first()
    if team is not None and team.leader_id is None:
        team.leader = users["leader"]
        team.save(update_fields=["leader"])
        linked.append(f"leader→{team.name}")
    return linked
