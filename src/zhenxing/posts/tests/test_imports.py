"""The posts and claims import: one workbook, sheets 岗位 and 认岗, all or nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import PartyMember
from zhenxing.posts import imports
from zhenxing.posts.models import PlaceKind, Post, PostClaim

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POST_HEADER = [c.header for c in imports.POST_COLUMNS]
CLAIM_HEADER = [c.header for c in imports.CLAIM_COLUMNS]


def workbook(posts=None, claims=None, *, posts_title="岗位", claims_title="认岗") -> io.BytesIO:
    """A workbook with the sheets given (None leaves a sheet out), each with its header row."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in (
        (posts_title, POST_HEADER, posts),
        (claims_title, CLAIM_HEADER, claims),
    ):
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def post_row(code, name="新岗位", kind="卫生监督", region="GC01-01-B", **extra):
    values = {
        "place_kind": "片区",
        "place_name": "",
        "lat": None,
        "lng": None,
        "duties": "",
        "org": "",
    } | extra
    return [
        code,
        name,
        kind,
        region,
        values["place_kind"],
        values["place_name"],
        values["lat"],
        values["lng"],
        values["duties"],
        values["org"],
    ]


def run(actor, posts=None, claims=None, **kwargs):
    return imports.posts_import(
        file=workbook(posts, claims, **kwargs), filename="posts.xlsx", actor=actor
    )


def errors_of(result):
    return {(e.sheet, e.row, e.column) for e in result.errors}


# --- good files --------------------------------------------------------------------------


def test_a_good_workbook_writes_posts_claims_and_one_import_audit_row(world, posts):
    result = run(
        world.secretary_a,
        posts=[
            post_row("GC01-LH-001", "甲二片区绿化岗", "greening", lat=23.005, lng=113.115),
            post_row(
                "GC01-HY-002",
                "甲涌二段保洁岗",
                "河涌保洁",
                "GC01",
                place_kind="河涌段",
                place_name="甲涌二段",
                duties="每周巡河两次",
                org="P-GC01-1",
            ),
        ],
        claims=[
            ["GC01-LH-001", "梁甲二", "", "2026-03-01"],
            ["GC01-HY-002", "陈甲党员", "13900000011", None],
            # A post already registered.
            ["GC01-HY-001", "梁甲二", "", datetime.datetime(2026, 4, 2)],
        ],
    )
    assert result.ok, result.errors
    assert (result.posts_created, result.claims_created) == (2, 3)
    river = Post.objects.get(code="GC01-HY-002")
    assert river.place_kind == PlaceKind.RIVER and river.region == world.a
    assert river.duties == "每周巡河两次" and river.organization == posts.org_a
    green = Post.objects.get(code="GC01-LH-001")
    assert green.post_type.code == "greening" and green.duties == green.post_type.duties
    assert (green.lat, green.lng) == (23.005, 113.115)
    assert PostClaim.objects.get(post=green).started_on == datetime.date(2026, 3, 1)
    assert PostClaim.objects.get(post=river).started_on == timezone.localdate()
    assert PostClaim.objects.get(post=posts.post_a2).member == posts.member_a2
    entry = AuditEntry.objects.get(action="posts.import")
    assert entry.changes["posts_created"] == 2 and entry.changes["claims_created"] == 3


def test_only_a_claims_sheet_is_fine(world, posts):
    result = run(world.admin, claims=[["GC01-HY-001", "陈甲党员", "", "2026-05-01"]])
    assert result.ok and result.claims_created == 1 and result.posts_created == 0


def test_the_template_is_importable_in_shape(world, posts, client_for):
    response = client_for(world.secretary_a).get(reverse("posts:import_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["岗位", "认岗"]
    assert [c.value for c in book["岗位"][1]] == POST_HEADER
    assert [c.value for c in book["认岗"][1]] == CLAIM_HEADER
    for title in ("岗位", "认岗"):
        filled = [r for r in book[title].iter_rows(values_only=True) if any(r)]
        assert len(filled) == 2, title  # the header and one example row
    # Its example rows read back: the example post's code is taken in this world and
    # its example member is unknown, each reported on its own row.
    result = imports.posts_import(
        file=io.BytesIO(response.content), filename="t.xlsx", actor=world.admin
    )
    assert errors_of(result) == {("岗位", 2, "编号"), ("认岗", 2, "党员姓名")}


# --- bad rows ---------------------------------------------------------------------------


def test_bad_rows_are_each_reported_with_sheet_row_and_column_and_nothing_is_written(world, posts):
    # Two members named 梁甲二 in 社区甲: the name alone is ambiguous.
    PartyMember.objects.create(
        name="梁甲二", mobile="13900000099", organization=posts.org_a, region=world.a
    )
    before = (Post.objects.count(), PostClaim.objects.count(), AuditEntry.objects.count())
    result = run(
        world.secretary_a,
        posts=[
            post_row("GC01-A-001", kind="扫地岗"),  # row 2: unknown type
            post_row("GC01-A-002", region="NOPE"),  # row 3: unknown region
            post_row("GC01-A-003", region="GC02-01-A"),  # row 4: outside scope
            post_row("GC01-A-004", lat=95, lng=113.1),  # row 5: bad latitude
            post_row("GC01-A-005"),  # row 6: good
            post_row("GC01-A-005"),  # row 7: duplicate code in the file
            post_row("GC01-A-006", lat=23.0),  # row 8: latitude without longitude
            post_row("GC01-A-007", place_kind="广场"),  # row 9: unknown kind of place
        ],
        claims=[
            ["GC01-A-005", "不存在", "", ""],  # row 2: unknown member
            ["GC01-A-005", "梁甲二", "", ""],  # row 3: ambiguous name
            ["GC01-HY-001", "陈甲党员", "", "2026-13-40"],  # row 4: bad date
            ["GC01-A-005", "陈甲党员", "", "2026-01-01"],  # row 5: good
            ["GC01-A-005", "陈甲党员", "", "2026-01-02"],  # row 6: same member twice
            ["NO-SUCH-POST", "陈甲党员", "", ""],  # row 7: unknown post
            ["GC02-WS-001", "黄乙党员", "", ""],  # row 8: another community's post
            ["GC01-WS-001", "陈甲党员", "", ""],  # row 9: already holds it
            ["GC01-A-005", "黄乙党员", "", ""],  # row 10: member of 社区乙
            ["GC01-A-005", "梁甲二", "13900000077", ""],  # row 11: no such mobile
        ],
    )
    assert not result.ok
    assert errors_of(result) == {
        ("岗位", 2, "岗位类型"),
        ("岗位", 3, "区域编码"),
        ("岗位", 4, "区域编码"),
        ("岗位", 5, "纬度"),
        ("岗位", 7, "编号"),
        ("岗位", 8, "经度"),
        ("岗位", 9, "地点类型"),
        ("认岗", 2, "党员姓名"),
        ("认岗", 3, "党员姓名"),
        ("认岗", 4, "认岗日期"),
        ("认岗", 6, "党员姓名"),
        ("认岗", 7, "岗位编号"),
        ("认岗", 8, "岗位编号"),
        ("认岗", 9, "党员姓名"),
        ("认岗", 10, "党员姓名"),
        ("认岗", 11, "党员手机号"),
    }
    messages = {(e.sheet, e.row): e.message for e in result.errors}
    assert "扫地岗" in messages[("岗位", 2)]
    assert "rows 6 and 7" in messages[("岗位", 7)] or "6" in messages[("岗位", 7)]
    assert "13900000077" in messages[("认岗", 11)]
    # The same words for a post that does not exist and one in another community.
    assert messages[("认岗", 7)].replace("NO-SUCH-POST", "X") == messages[("认岗", 8)].replace(
        "GC02-WS-001", "X"
    )
    assert (Post.objects.count(), PostClaim.objects.count(), AuditEntry.objects.count()) == before


def test_error_text_names_sheet_and_row_in_chinese(world, posts, settings):
    from django.utils import translation

    result = run(world.secretary_a, claims=[["NO-SUCH-POST", "陈甲党员", "", ""]])
    [error] = result.errors
    with translation.override("en"):
        assert error.text.startswith("认岗 row 2 (岗位编号): ")


def test_a_missing_required_column_is_reported_on_the_header_row(world, posts):
    book = Workbook()
    sheet = book.active
    sheet.title = "认岗"
    sheet.append(["岗位编号", "认岗日期"])
    sheet.append(["GC01-HY-001", "2026-01-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    result = imports.posts_import(file=buffer, filename="x.xlsx", actor=world.admin)
    assert errors_of(result) == {("认岗", 1, "党员姓名")}


def test_a_workbook_with_neither_sheet_is_a_file_error(world, posts):
    with pytest.raises(imports.ImportFileError):
        run(world.admin, posts=[post_row("X-1")], posts_title="Sheet1", claims_title="Other")


# --- the page --------------------------------------------------------------------------


def _upload(data: bytes, name="posts.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def test_import_page_writes_and_reports_counts(client_for, world, posts):
    client = client_for(world.secretary_a)
    assert client.get(reverse("posts:import")).status_code == 200
    data = workbook([post_row("GC01-LH-009")], [["GC01-LH-009", "梁甲二", "", ""]]).getvalue()
    response = client.post(reverse("posts:import"), {"file": _upload(data)})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and (result.posts_created, result.claims_created) == (1, 1)


def test_import_page_shows_errors_with_400(client_for, world, posts):
    data = workbook([post_row("GC01-LH-009", region="GC02-01-A")]).getvalue()
    response = client_for(world.secretary_a).post(reverse("posts:import"), {"file": _upload(data)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "岗位" in body and "区域编码" in body and "乙一片区" in body
    assert not Post.objects.filter(code="GC01-LH-009").exists()


def test_a_file_that_is_not_xlsx_is_a_clear_400(client_for, world, posts):
    client = client_for(world.secretary_a)
    renamed = client.post(reverse("posts:import"), {"file": _upload(b"not a zip at all")})
    assert renamed.status_code == 400
    assert renamed.context["form"].errors["file"]
    csv = client.post(reverse("posts:import"), {"file": _upload(b"a,b\n", name="posts.csv")})
    assert csv.status_code == 400
    assert csv.context["form"].errors["file"]


def test_import_page_refuses_readers_and_hides_from_outsiders(client_for, world, posts):
    data = workbook([post_row("GC01-LH-009")]).getvalue()
    for user in (world.inspector_a, world.party_member_a):
        response = client_for(user).post(reverse("posts:import"), {"file": _upload(data)})
        assert response.status_code == 403
    assert client_for(world.dept_staff).get(reverse("posts:import")).status_code == 404
    assert not Post.objects.filter(code="GC01-LH-009").exists()
