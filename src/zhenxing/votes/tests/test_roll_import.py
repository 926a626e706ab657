"""The roll's XLSX import: hashing, the checks row by row, all or nothing, the freeze."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from zhenxing.core.models import AuditEntry
from zhenxing.votes import rolls
from zhenxing.votes.identity import id_hash, with_check_digit
from zhenxing.votes.models import BodyKind, Elector, VotingSession

HEADERS = ["姓名", "身份证号", "户号", "村民小组", "股份", "村民代表", "手机号"]


def number(born: str, seq: int) -> str:
    """A valid ID number born on `born` (YYYYMMDD)."""
    return with_check_digit(f"440605{born}{seq:03d}")


def wrong_check_digit(valid: str) -> str:
    return valid[:17] + ("1" if valid[17] != "1" else "2")


def workbook(rows, headers=HEADERS, title_rows=()) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for line in title_rows:
        sheet.append(line)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


GOOD = [
    ["陈一", number("19800102", 11), "A01", "第一组", 2, "是", "13800138001"],
    ["陈二", number("19820304", 12), "A01", "第一组", "1.5", "否", ""],
    ["李三", number("19900506", 13), 7, "", None, "", 13800138003],
]


def run(session, rows, *, replace=False, actor=None, **kwargs):
    with translation.override("en"):
        return rolls.roll_import(
            session=session,
            file=workbook(rows, **kwargs),
            filename="roll.xlsx",
            actor=actor,
            replace=replace,
        )


@pytest.fixture
def empty(votes):
    """session_a with its roll emptied, to import into."""
    Elector.objects.filter(session=votes.session_a).delete()
    return votes.session_a


def test_a_good_file_writes_hashes_and_birth_dates_and_never_the_number(world, empty):
    result = run(empty, GOOD, actor=world.secretary_a)
    assert result.ok and result.created == 3
    electors = list(Elector.objects.filter(session=empty).order_by("row_number"))
    assert [e.name for e in electors] == ["陈一", "陈二", "李三"]
    first = electors[0]
    assert first.id_hash == id_hash(GOOD[0][1]) and len(first.id_hash) == 64
    assert first.born_on == datetime.date(1980, 1, 2)
    assert first.household == "A01" and first.group_name == "第一组"
    assert first.shares == Decimal("2") and first.is_representative is True
    assert first.mobile == "13800138001"
    assert first.row_number == 2  # the spreadsheet's row
    assert electors[1].shares == Decimal("1.5") and electors[1].is_representative is False
    # A household typed as a number, a mobile as a number, blank optional cells.
    assert electors[2].household == "7" and electors[2].mobile == "13800138003"
    assert electors[2].shares == Decimal("0") and electors[2].group_name == ""

    numbers = [row[1] for row in GOOD]
    for elector in electors:
        stored = " ".join(str(getattr(elector, f.attname)) for f in Elector._meta.concrete_fields)
        for n in numbers:
            assert n not in stored
            assert n[-8:] not in stored  # nor a tail of it
    entry = AuditEntry.objects.get(action="votes.roll.import")
    assert entry.changes["created"] == 3 and entry.changes["rows"] == 3
    audit_text = f"{entry.summary} {entry.object_repr} {entry.changes}"
    for n in numbers:
        assert n not in audit_text
    for name in ("陈一", "陈二", "李三", "13800138001"):
        assert name not in audit_text


def test_headers_are_matched_loosely_below_a_title_row(empty):
    headers = ["序号", "姓 名", "身份证号码（必填）", "户号*", "Shares", "是否村民代表"]
    rows = [[1, "王五", number("19700101", 21), "B1", 3, "是"]]
    result = run(empty, rows, headers=headers, title_rows=[["社区甲选民名册"]])
    assert result.ok, result.errors
    elector = Elector.objects.get(session=empty)
    assert (elector.name, elector.household, elector.shares) == ("王五", "B1", Decimal("3"))
    assert elector.row_number == 3


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["甲", wrong_check_digit(number("19800101", 1)), "H"], "身份证号", "check digit"),
        (["甲", "44060519800101001", "H"], "身份证号", "18 characters"),
        (["甲", with_check_digit("44060519801301001"), "H"], "身份证号", "real birth date"),
        # 17 on the session's date (2026-12-05): one day short of 18.
        (["甲", number("20081206", 1), "H"], "身份证号", "under 18"),
        (["甲", number("19800101", 1), ""], "户号", "required"),
        (["", number("19800101", 1), "H"], "姓名", "required"),
        (["甲", number("19800101", 1), "H", "", "-1"], "股份", "negative"),
        (["甲", number("19800101", 1), "H", "", "1.23456"], "股份", "4 decimal places"),
        (["甲", number("19800101", 1), "H", "", "abc"], "股份", "not a number of shares"),
        (["甲", number("19800101", 1), "H", "", "NaN"], "股份", "not a number of shares"),
        (["甲", number("19800101", 1), "H", "", 1e20], "股份", "at most"),
        (["甲", number("19800101", 1), "H", "", "", "maybe"], "村民代表", "是 or 否"),
        (["甲", number("19800101", 1), "H", "", "", "", "1380013800"], "手机号", "11-digit"),
        (["甲", 440605198001010010.0, "H"], "身份证号", "stored as a number"),
    ],
)
def test_a_bad_row_is_refused_with_its_row_and_column_and_nothing_is_written(
    empty, row, column, message
):
    result = run(empty, [GOOD[0], row])
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert message in result.errors[0].message
    assert not Elector.objects.filter(session=empty).exists()
    assert not AuditEntry.objects.filter(action="votes.roll.import").exists()


def test_an_elector_who_turns_18_on_the_session_date_is_accepted(empty):
    assert empty.held_on == datetime.date(2026, 12, 5)
    result = run(empty, [["满十八", number("20081205", 1), "H1"]])
    assert result.ok, result.errors
    assert Elector.objects.get(session=empty).born_on == datetime.date(2008, 12, 5)


def test_a_number_is_never_repeated_in_an_error(empty):
    bad = number("20081206", 1)
    wrong = bad[:17] + ("1" if bad[17] != "1" else "2")
    result = run(empty, [["甲", bad, "H"], ["乙", wrong, "H"]])
    assert len(result.errors) == 2
    assert all(bad[:14] not in e.message for e in result.errors)


def test_duplicates_inside_the_file_are_refused(empty):
    twin = number("19800101", 5)
    result = run(empty, [["甲", twin, "H1"], ["乙", "", "H2"], ["丙", twin.lower(), "H3"]])
    assert [(e.row, e.column) for e in result.errors] == [(3, "身份证号"), (4, "身份证号")]
    assert "rows 2 and 4" in result.errors[1].message
    assert not Elector.objects.filter(session=empty).exists()


def test_duplicates_against_the_roll_are_refused_unless_the_roll_is_replaced(votes):
    from zhenxing.votes.testing import id_number

    session = votes.session_a
    before = set(Elector.objects.filter(session=session).values_list("pk", flat=True))
    rows = [["新人", number("19800101", 7), "H9"], ["选民03", id_number(2), "H1"]]
    result = run(session, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "身份证号")]
    assert "already on the roll (row 4)" in result.errors[0].message
    assert set(Elector.objects.filter(session=session).values_list("pk", flat=True)) == before

    result = run(session, rows, replace=True)
    assert result.ok and result.created == 2 and result.removed == 10
    assert sorted(Elector.objects.filter(session=session).values_list("name", flat=True)) == [
        "新人",
        "选民03",
    ]


def test_an_appended_file_continues_the_roll(votes):
    result = run(votes.session_a, [["新人", number("19800101", 7), "H9"]])
    assert result.ok
    assert Elector.objects.get(session=votes.session_a, name="新人").row_number == 12


def test_a_missing_column_is_named(empty):
    result = run(empty, [["甲", "H1"]], headers=["姓名", "户号"])
    assert [(e.row, e.column) for e in result.errors] == [(1, "身份证号")]
    assert "no “身份证号” column" in result.errors[0].message


def test_the_template_example_row_is_refused(empty):
    result = run(empty, [["示例", rolls.example_id_number(), "0001"]])
    assert "example row" in result.errors[0].message


def test_a_representatives_roll_takes_representatives_only(votes, world):
    session = votes.session_a
    votes.body_a.kind = BodyKind.REPRESENTATIVES
    votes.body_a.save()
    session.refresh_from_db()
    Elector.objects.filter(session=session).delete()
    rows = [
        ["代表", number("19800101", 1), "H1", "", "", "是"],
        ["村民", number("19800101", 2), "H2", "", "", "否"],
    ]
    result = run(session, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "村民代表")]
    result = run(session, [["代表", number("19800101", 1), "H1"]], headers=HEADERS[:3])
    assert result.errors[0].row == 1 and "representatives only" in result.errors[0].message
    assert run(session, rows[:1]).ok


def test_an_unreadable_file_is_refused(empty):
    with pytest.raises(rolls.ImportFileError):
        rolls.roll_import(
            session=empty, file=io.BytesIO(b"not a zip"), filename="x.xlsx", actor=None
        )
    assert not Elector.objects.filter(session=empty).exists()


def test_a_frozen_roll_refuses_an_import(votes):
    session = votes.session_a
    VotingSession.objects.filter(pk=session.pk).update(roll_frozen_at=timezone.now())
    session.refresh_from_db()
    with translation.override("en"), pytest.raises(rolls.VoteError, match="frozen"):
        rolls.roll_import(session=session, file=workbook(GOOD), filename="roll.xlsx", actor=None)
    with pytest.raises(rolls.VoteError):
        rolls.roll_import(
            session=session, file=workbook(GOOD), filename="r.xlsx", actor=None, replace=True
        )
    assert Elector.objects.filter(session=session).count() == 10


def test_a_roll_frozen_while_the_file_was_read_is_refused_under_the_lock(votes):
    """The check repeats on the locked row: an opening between the first check and the
    write wins."""
    session = votes.session_a
    stale = VotingSession.objects.get(pk=session.pk)
    VotingSession.objects.filter(pk=session.pk).update(roll_frozen_at=timezone.now())
    with pytest.raises(rolls.VoteError):
        rolls.roll_import(session=stale, file=workbook(GOOD), filename="r.xlsx", actor=None)
    assert Elector.objects.filter(session=session).count() == 10


# --- the pages ---------------------------------------------------------------------


def upload(client, session, rows=GOOD, name="roll.xlsx", replace=False, **kwargs):
    file = workbook(rows, **kwargs)
    file.name = name
    data = {"file": file}
    if replace:
        data["replace"] = "on"
    return client.post(
        reverse("votes:roll_import", args=[session.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_import_page_imports_and_redirects_to_the_roll(world, client_for, empty):
    client = client_for(world.secretary_a)
    assert client.get(reverse("votes:roll_import", args=[empty.pk])).status_code == 200
    response = upload(client, empty)
    assert response.status_code == 302
    assert response["Location"] == reverse("votes:roll", args=[empty.pk])
    assert Elector.objects.filter(session=empty).count() == 3


def test_the_import_page_lists_errors_with_status_400(world, client_for, empty):
    client = client_for(world.secretary_a)
    response = upload(client, empty, rows=[GOOD[0], ["甲", number("20081206", 1), "H"]])
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported." in html and "under 18" in html
    assert "<td>3</td><td>身份证号</td>" in html
    assert not Elector.objects.filter(session=empty).exists()


def test_a_non_xlsx_upload_is_a_400(world, client_for, empty):
    client = client_for(world.secretary_a)
    file = io.BytesIO(b"name,id\n")
    file.name = "roll.csv"
    url = reverse("votes:roll_import", args=[empty.pk])
    response = client.post(url, {"file": file}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Only .xlsx" in response.content.decode()
    file = io.BytesIO(b"PK\x03\x04 broken")
    file.name = "roll.xlsx"
    response = client.post(url, {"file": file}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "not a readable .xlsx" in response.content.decode()
    assert not Elector.objects.filter(session=empty).exists()


def test_the_import_page_refuses_a_frozen_roll(world, client_for, votes):
    session = votes.session_a
    VotingSession.objects.filter(pk=session.pk).update(roll_frozen_at=timezone.now())
    client = client_for(world.secretary_a)
    page = client.get(reverse("votes:roll_import", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "frozen when voting opened" in page.content.decode()
    assert 'type="file"' not in page.content.decode()
    response = upload(client, session, rows=[["新人", number("19800101", 7), "H9"]])
    assert response.status_code == 400 and "frozen" in response.content.decode()
    assert Elector.objects.filter(session=session).count() == 10


def test_the_import_page_is_the_managers(world, client_for, votes, client):
    url = reverse("votes:roll_import", args=[votes.session_a.pk])
    assert client.get(url).status_code == 302  # anonymous → login
    assert "login" in client.get(url)["Location"]
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.inspector_a).get(url).status_code == 404
    teller = client_for(votes.teller_a)
    assert teller.get(url).status_code == 403
    assert (
        upload(teller, votes.session_a, rows=[["新人", number("19800101", 7), "H"]]).status_code
        == 403
    )
    assert client_for(world.admin).get(url).status_code == 200


def test_the_template_has_the_headers_and_a_valid_made_up_example(world, client_for, votes):
    from zhenxing.votes.identity import check_id

    client = client_for(world.secretary_a)
    response = client.get(reverse("votes:roll_template", args=[votes.session_a.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert check_id(rows[1][1]) == rows[1][1]
    assert sheet["B2"].number_format == "@"  # text, so that Excel keeps all 18 digits
    assert (
        client_for(votes.teller_a)
        .get(reverse("votes:roll_template", args=[votes.session_a.pk]))
        .status_code
        == 403
    )
    assert (
        client_for(world.outsider)
        .get(reverse("votes:roll_template", args=[votes.session_a.pk]))
        .status_code
        == 404
    )


def test_the_template_imports_once_its_example_row_is_replaced(empty):
    book = load_workbook(io.BytesIO(rolls.template_workbook()))
    sheet = book.worksheets[0]
    sheet["A2"], sheet["B2"] = "陈一", number("19800102", 11)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    result = rolls.roll_import(session=empty, file=buffer, filename="t.xlsx", actor=None)
    assert result.ok, result.errors
    assert Elector.objects.get(session=empty).household == "0001"
