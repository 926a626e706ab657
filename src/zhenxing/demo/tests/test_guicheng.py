"""`load_guicheng` and `zhenxing demo`: the demo as stored, idempotency, password reset."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Q
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from zhenxing.cases.models import Case
from zhenxing.core.models import AuditEntry
from zhenxing.demo.guicheng import DemoSummary, load_guicheng
from zhenxing.open311.models import Open311Client
from zhenxing.people.models import (
    Department,
    PartyMember,
    PartyOrganization,
    Role,
    RoleAssignment,
    User,
    WorkTeam,
)
from zhenxing.public.models import Publication
from zhenxing.territory.models import PATH_SEP, Region

MODELS = [
    Region,
    Department,
    PartyOrganization,
    PartyMember,
    WorkTeam,
    User,
    RoleAssignment,
    AuditEntry,
    Publication,
    Open311Client,
]


def _state() -> dict[str, tuple[int, int | None]]:
    """Row count and highest pk of every table the loader writes."""
    return {
        m.__name__: (
            m.objects.count(),
            m.objects.order_by("-pk").values_list("pk", flat=True).first(),
        )
        for m in MODELS
    }


def test_load_builds_the_demo(db):
    stream = StringIO()
    summary = load_guicheng(password="demo-pass-1", progress=stream)

    assert isinstance(summary, DemoSummary)
    assert list(summary.counts) == [
        "社区",
        "经济社",
        "片区",
        "职能部门",
        "党组织",
        "党员",
        "工作队伍",
        "案件分类",
        "案件",
        "暗检",
        "通报",
        "专项行动",
        "周目标",
        "每日安排",
        "进度上报",
        "曝光",
        "责任岗",
        "认岗党员",
        "巡查人次",
        "红色网格",
        "村规民约",
        "表决会议",
        "选票",
    ]
    assert summary.counts["曝光"] > 0
    assert "demo-open311-key" in stream.getvalue()
    assert summary.counts["社区"] == 22 and summary.counts["片区"] == 173
    assert "territory" in stream.getvalue()
    assert summary.describe().startswith("社区 22、经济社 105、片区 173、职能部门 32")

    tree = Region.objects.filter(path__startswith="GC/")
    assert tree.filter(depth=1).get().name == "桂城街道"
    assert tree.filter(depth=2).count() == 22
    assert tree.filter(depth=3).count() == 105
    assert tree.filter(depth=4).count() == 173
    names = set(tree.filter(depth=2).values_list("name", flat=True))
    assert {"叠南社区", "文翰社区", "北约社区", "夏南一社区", "中区社区", "圣堂社区"} <= names

    # Paths and depths exactly as region_create computes them.
    by_pk = {r.pk: r for r in tree}
    for r in by_pk.values():
        if r.parent_id is None:
            assert (r.path, r.depth) == ("GC" + PATH_SEP, 1)
        else:
            parent = by_pk[r.parent_id]
            assert r.path == parent.path + r.code + PATH_SEP
            assert r.depth == parent.depth + 1
        if r.depth <= 4:
            assert r.geometry is not None
        if r.geometry:
            poly = shape(r.geometry)
            assert poly.is_valid
            assert poly.contains(Point(r.centroid_lng, r.centroid_lat))
    assert all(
        113.05 < r.centroid_lng < 113.25 and 22.95 < r.centroid_lat < 23.1 for r in by_pk.values()
    )

    # Stored polygons still tile: areas do not overlap and cover the root.
    areas = [shape(r.geometry) for r in tree.filter(depth=4)]
    union = unary_union(areas)
    assert abs(sum(a.area for a in areas) - union.area) < 1e-12
    assert union.symmetric_difference(shape(tree.get(depth=1).geometry)).area < 1e-12
    coop = tree.filter(depth=3).first()
    for area in tree.filter(parent=coop):
        assert shape(coop.geometry).buffer(1e-9).contains(shape(area.geometry))

    assert list(Department.objects.values_list("code", flat=True)) == [
        f"D{i:02d}" for i in range(1, 33)
    ]
    orgs = PartyOrganization.objects.all()
    assert orgs.count() >= 100
    assert orgs.get(parent=None).name == "桂城街道党工委"
    assert not orgs.filter(region=None).exists()
    for org in orgs.exclude(parent=None).select_related("parent"):
        assert org.path == org.parent.path + org.code + PATH_SEP
    assert PartyMember.objects.count() == 1701
    assert WorkTeam.objects.count() == 22
    assert sum(WorkTeam.objects.values_list("headcount", flat=True)) > 400

    # One login per role, scoped as the demo tour expects.
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    usernames = [a.username for a in summary.accounts]
    assert usernames == ["admin", "secretary", "inspector", "party", "dept", "leader", "secretary2"]
    scopes = {a.username: a.scope for a in summary.accounts}
    assert scopes["secretary"] == "叠南社区" and scopes["secretary2"] == "中区社区"
    assert scopes["admin"] == "桂城街道" and scopes["dept"] == "城市管理和综合执法办公室"
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.display_name == "桂城乡村振兴办管理员"
    assert RoleAssignment.objects.get(user=admin).region.code == "GC"
    assert RoleAssignment.objects.get(user__username="inspector").region.code == "GC"
    party = User.objects.get(username="party")
    assert party.party_member.name == "阙国钊"
    assert party.party_member.region.name == "文翰社区"
    assert WorkTeam.objects.get(leader__username="leader").region.name == "叠南社区"
    assert authenticate(username="secretary", password="demo-pass-1") is not None

    entry = AuditEntry.objects.get(action="demo.load")
    assert entry.changes["created"]["regions"] == Region.objects.count()
    assert "demo-pass-1" not in str(entry.changes)


def test_load_is_idempotent_and_resets_passwords(db):
    first = load_guicheng(password="demo-pass-1")
    before = _state()
    second = load_guicheng(password="demo-pass-1")
    usernames = [a.username for a in first.accounts]
    assert _state() == before  # no new rows, not even an audit row
    assert second.counts == first.counts
    assert second.accounts == first.accounts

    load_guicheng(password="demo-pass-2")
    after = _state()
    assert after["AuditEntry"][0] == before["AuditEntry"][0] + 1
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before.items() if k != "AuditEntry"
    }
    assert authenticate(username="secretary", password="demo-pass-2") is not None
    assert authenticate(username="secretary", password="demo-pass-1") is None
    # All seven share the one new hash (hashing is slow on purpose; one check covers them).
    hashes = set(User.objects.filter(username__in=usernames).values_list("password", flat=True))
    assert len(hashes) == 1
    reset = AuditEntry.objects.filter(action="demo.load").order_by("-pk").first()
    assert len(reset.changes["passwords_reset"]) == 7


def test_load_completes_a_partial_demo(db):
    load_guicheng(password="pw")
    # Plan rows in the streets and of the team protect them: they go first.
    from zhenxing.plans.models import Arrangement, ProgressReport

    for model in (ProgressReport, Arrangement):
        model.objects.filter(Q(region__depth=5) | Q(team__region__code="GC05")).delete()
    Region.objects.filter(depth=5).delete()
    # Cases dispatched to the team protect it: they go first.
    Case.objects.filter(assigned_team__region__code="GC05").delete()
    WorkTeam.objects.filter(region__code="GC05").delete()
    load_guicheng(password="pw")
    assert Region.objects.filter(depth=5).count() > 0
    assert WorkTeam.objects.count() == 22


def test_demo_command_prints_the_accounts(db):
    out = StringIO()
    call_command("demo", no_serve=True, password="x-demo", stdout=out)
    text = out.getvalue()
    assert "片区 173" in text
    assert "password: x-demo" in text
    for username in ("admin", "secretary", "inspector", "party", "dept", "leader", "secretary2"):
        assert f"  {username} " in text
    assert "叠南社区" in text and "中区社区" in text
    assert authenticate(username="leader", password="x-demo") is not None


def test_the_demo_never_takes_over_an_account_it_did_not_create(db):
    from django.core.management.base import CommandError

    real = User.objects.create_user(username="admin", password="the-real-one-123")
    try:
        call_command("demo", no_serve=True, password="x-demo", stdout=StringIO())
    except CommandError as exc:
        assert "admin" in str(exc)
    else:
        raise AssertionError("the demo loaded over a real account")
    real.refresh_from_db()
    assert real.check_password("the-real-one-123")
    assert not real.is_superuser
    assert not RoleAssignment.objects.filter(user=real).exists()
    assert not Region.objects.exists()  # nothing of the demo was half-loaded
