"""Party member pages: list, detail, edit, create, export and import, for every persona."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhenxing.core.models import AuditEntry
from zhenxing.people.models import PartyMember
from zhenxing.people.services import party_member_create
from zhenxing.people.tests.helpers import (
    make_xlsx,
    read_xlsx,
    sheetless_xlsx,
    truncated_sheet_xlsx,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_upload(rows, name="members.xlsx"):
    return SimpleUploadedFile(name, make_xlsx(rows).getvalue(), content_type=XLSX)


# --- anonymous and methods -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "people:members",
        "people:member_export",
        "people:member_create",
        "people:member_import",
        "people:member_import_template",
    ],
)
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_from_detail_and_edit(client, world, roster):
    for url in (
        reverse("people:member_detail", args=[roster.a1.pk]),
        reverse("people:member_edit", args=[roster.a1.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_wrong_methods_are_405(client_for, world, roster):
    client = client_for(world.admin)
    assert client.post(reverse("people:members")).status_code == 405
    assert client.post(reverse("people:member_export")).status_code == 405
    assert client.post(reverse("people:member_detail", args=[roster.a1.pk])).status_code == 405
    assert client.delete(reverse("people:member_edit", args=[roster.a1.pk])).status_code == 405
    assert client.put(reverse("people:member_import")).status_code == 405
    assert client.post(reverse("people:member_import_template")).status_code == 405


# --- list ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_sees_both_communities_with_mobiles_masked(client_for, world, roster):
    response = client_for(world.admin).get(reverse("people:members"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("张红", "李明", "王刚"):
        assert name in body
    assert "13900000001" not in body
    assert "139****0001" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["secretary_a", "inspector_a", "party_member_a", "team_leader_a"]
)
def test_community_a_roles_see_only_community_a(client_for, world, roster, persona):
    body = client_for(getattr(world, persona)).get(reverse("people:members")).content.decode()
    assert "张红" in body and "李明" in body
    assert "王刚" not in body


@pytest.mark.django_db
def test_the_outsider_sees_only_their_community_and_nobody_sees_nothing(client_for, world, roster):
    body = client_for(world.outsider).get(reverse("people:members")).content.decode()
    assert "王刚" in body and "张红" not in body
    response = client_for(world.nobody).get(reverse("people:members"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


@pytest.mark.django_db
def test_filters_narrow_the_list(client_for, world, roster):
    client = client_for(world.admin)

    def names(**params):
        response = client.get(reverse("people:members"), params)
        return {m.name for m in response.context["page"].object_list}

    assert names(community=world.b.pk) == {"王刚"}
    assert names(organization=roster.branch_a.pk) == {"张红", "李明"}
    assert names(organization=roster.committee.pk) == {"张红", "李明", "王刚"}  # subtree
    assert names(q="李") == {"李明"}
    assert names(q="13900000003") == {"王刚"}
    assert names(has_login="yes") == {"张红"}
    assert names(has_login="no") == {"李明", "王刚"}
    # A community outside one's scope is not a valid choice: the filter is ignored.
    response = client_for(world.secretary_a).get(
        reverse("people:members"), {"community": world.b.pk}
    )
    assert {m.name for m in response.context["page"].object_list} == {"张红", "李明"}


@pytest.mark.django_db
def test_the_list_is_paginated_with_a_bounded_number_of_queries(
    client_for, world, roster, django_assert_max_num_queries
):
    for i in range(60):
        party_member_create(
            name=f"党员{i:02d}",
            mobile=f"137{i:08d}",
            organization=roster.branch_a,
            region=world.a,
            actor=None,
        )
    client = client_for(world.admin)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("people:members"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 50
    second = client.get(reverse("people:members"), {"page": 2})
    assert len(second.context["page"].object_list) == 13


# --- detail ------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_in_scope_and_404_outside(client_for, world, roster):
    url = reverse("people:member_detail", args=[roster.a1.pk])
    body = client_for(world.secretary_a).get(url).content.decode()
    assert "张红" in body and "13900000001" in body  # an editor sees the full number
    reader = client_for(world.inspector_a).get(url)
    assert reader.status_code == 200
    assert "13900000001" not in reader.content.decode()
    assert "139****0001" in reader.content.decode()
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.nobody).get(url).status_code == 404
    assert client_for(world.dept_staff).get(url).status_code == 404
    assert (
        client_for(world.admin).get(reverse("people:member_detail", args=[99999])).status_code
        == 404
    )


# --- edit and create ---------------------------------------------------------------


def _member_form(member, **changes):
    data = {
        "name": member.name,
        "mobile": member.mobile or "",
        "gender": member.gender,
        "birth_year": member.birth_year or "",
        "organization": member.organization_id,
        "region": member.region_id,
        "joined_on": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_secretary_edits_a_member_of_their_community(client_for, world, roster):
    client = client_for(world.secretary_a)
    url = reverse("people:member_edit", args=[roster.a2.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _member_form(roster.a2, name="李明明", holds_office="on"))
    assert response.status_code == 302
    assert response.url == reverse("people:member_detail", args=[roster.a2.pk])
    roster.a2.refresh_from_db()
    assert roster.a2.name == "李明明" and roster.a2.holds_office is True
    entry = AuditEntry.objects.get(action="people.party_member.update")
    assert entry.actor == world.secretary_a
    assert entry.changes["name"] == ["李明", "李明明"]


@pytest.mark.django_db
def test_readers_get_403_on_edit_and_outsiders_404(client_for, world, roster):
    url = reverse("people:member_edit", args=[roster.a2.pk])
    for reader in (world.inspector_a, world.party_member_a, world.team_leader_a):
        client = client_for(reader)
        assert client.get(url).status_code == 403
        assert client.post(url, _member_form(roster.a2, name="篡改")).status_code == 403
    assert (
        client_for(world.outsider).post(url, _member_form(roster.a2, name="篡改")).status_code
        == 404
    )
    roster.a2.refresh_from_db()
    assert roster.a2.name == "李明"


@pytest.mark.django_db
def test_an_invalid_edit_is_400_and_changes_nothing(client_for, world, roster):
    client = client_for(world.secretary_a)
    url = reverse("people:member_edit", args=[roster.a2.pk])
    assert client.post(url, _member_form(roster.a2, mobile="12345")).status_code == 400
    assert client.post(url, _member_form(roster.a2, mobile=roster.a1.mobile)).status_code == 400
    # moving the member to a community the secretary does not run
    assert client.post(url, _member_form(roster.a2, region=world.b.pk)).status_code == 400
    assert client.post(url, _member_form(roster.a2, birth_year=3000)).status_code == 400
    roster.a2.refresh_from_db()
    assert (roster.a2.mobile, roster.a2.region_id) == ("13900000002", world.a.pk)
    assert not AuditEntry.objects.filter(action="people.party_member.update").exists()


@pytest.mark.django_db
def test_create_a_member(client_for, world, roster):
    client = client_for(world.secretary_a)
    data = {
        "name": "新党员",
        "mobile": "13900000050",
        "gender": "F",
        "birth_year": "1990",
        "organization": roster.branch_a.pk,
        "region": world.a.pk,
        "joined_on": "2015-07-01",
    }
    response = client.post(reverse("people:member_create"), data)
    assert response.status_code == 302
    member = PartyMember.objects.get(mobile="13900000050")
    assert member.region == world.a and member.birth_year == 1990
    # not in another community
    refused = client.post(
        reverse("people:member_create"), {**data, "mobile": "13900000051", "region": world.b.pk}
    )
    assert refused.status_code == 400
    assert not PartyMember.objects.filter(mobile="13900000051").exists()
    # readers may not add
    assert (
        client_for(world.inspector_a).post(reverse("people:member_create"), data).status_code == 403
    )
    assert client_for(world.nobody).get(reverse("people:member_create")).status_code == 403


# --- export -----------------------------------------------------------------------


@pytest.mark.django_db
def test_export_of_the_office_has_full_mobiles_and_is_audited(client_for, world, roster):
    response = client_for(world.admin).get(reverse("people:member_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    assert len(rows) == 1 + 3
    assert {r[1] for r in rows[1:]} == {"13900000001", "13900000002", "13900000003"}
    entry = AuditEntry.objects.get(action="people.party_member.export")
    assert entry.actor == world.admin and entry.changes["rows"] == 3


@pytest.mark.django_db
def test_export_of_a_secretary_is_scoped_filtered_and_masked(client_for, world, roster):
    client = client_for(world.secretary_a)
    rows = read_xlsx(client.get(reverse("people:member_export")).content)
    assert {r[0] for r in rows[1:]} == {"张红", "李明"}
    assert {r[1] for r in rows[1:]} == {"139****0001", "139****0002"}
    filtered = read_xlsx(client.get(reverse("people:member_export"), {"q": "张"}).content)
    assert [r[0] for r in filtered[1:]] == ["张红"]
    assert (
        read_xlsx(client_for(world.nobody).get(reverse("people:member_export")).content)[1:] == []
    )


# --- import --------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_page_good_file(client_for, world, roster):
    client = client_for(world.secretary_a)
    assert client.get(reverse("people:member_import")).status_code == 200
    upload = _xlsx_upload(
        [
            ["陈新", "13900000011", "男", 1980, "GC01DZB", "GC01", "2001-07-01", "是"],
            ["李明明", "13900000002", "", "", "GC01DZB", "GC01", "", ""],
        ]
    )
    response = client.post(reverse("people:member_import"), {"file": upload})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated) == (1, 1)
    assert PartyMember.objects.filter(mobile="13900000011").exists()
    assert AuditEntry.objects.filter(action="people.party_member.import").count() == 1


@pytest.mark.django_db
def test_import_page_bad_rows_are_listed_and_nothing_is_written(client_for, world, roster):
    upload = _xlsx_upload(
        [
            ["陈新", "13900000011", "男", 1980, "GC01DZB", "GC01", "2001-07-01", "是"],
            ["坏号", "123", "", "", "GC01DZB", "GC01", "", ""],
        ]
    )
    response = client_for(world.secretary_a).post(reverse("people:member_import"), {"file": upload})
    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "手机号/mobile")]
    assert "<td>3</td>" in response.content.decode()
    assert not PartyMember.objects.filter(mobile="13900000011").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("members.csv", b"name,mobile\n"),  # wrong type
        ("members.xlsx", b"this is not a zip file"),  # right name, unreadable
        ("members.xls", b"\xd0\xcf\x11\xe0"),  # old Excel format
        ("members.xlsx", truncated_sheet_xlsx()),  # a half-copied sheet
        ("members.xlsx", sheetless_xlsx()),  # no worksheet at all
    ],
)
def test_import_page_refuses_files_that_are_not_xlsx_with_400(
    client_for, world, roster, name, content
):
    count = PartyMember.objects.count()
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client_for(world.admin).post(reverse("people:member_import"), {"file": upload})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert PartyMember.objects.count() == count


@pytest.mark.django_db
def test_import_page_refuses_an_empty_post_and_files_over_10_mb(client_for, world, roster):
    client = client_for(world.admin)
    assert client.post(reverse("people:member_import"), {}).status_code == 400
    big = SimpleUploadedFile("big.xlsx", b"0" * (10 * 1024 * 1024 + 1), content_type=XLSX)
    response = client.post(reverse("people:member_import"), {"file": big})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


@pytest.mark.django_db
def test_readers_get_403_on_import(client_for, world, roster):
    upload = _xlsx_upload([["陈新", "13900000011", "男", 1980, "GC01DZB", "GC01", "", ""]])
    response = client_for(world.inspector_a).post(reverse("people:member_import"), {"file": upload})
    assert response.status_code == 403
    assert client_for(world.inspector_a).get(reverse("people:member_import")).status_code == 403
    assert (
        client_for(world.dept_staff).get(reverse("people:member_import_template")).status_code
        == 403
    )
    assert not PartyMember.objects.filter(mobile="13900000011").exists()


@pytest.mark.django_db
def test_the_template_downloads_with_its_header(client_for, world):
    response = client_for(world.secretary_a).get(reverse("people:member_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert read_xlsx(response.content)[0][:2] == ("姓名", "手机号")


# --- an office admin of one community ----------------------------------------------------


@pytest.fixture
def admin_of_a(world):
    from zhenxing.people.models import Role, RoleAssignment, User

    user = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    return user


@pytest.mark.django_db
def test_a_community_admin_gets_404_on_another_communitys_member(
    client_for, world, roster, admin_of_a
):
    client = client_for(admin_of_a)
    assert client.get(reverse("people:member_detail", args=[roster.b1.pk])).status_code == 404
    edit = reverse("people:member_edit", args=[roster.b1.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, _member_form(roster.b1, name="篡改")).status_code == 404
    roster.b1.refresh_from_db()
    assert roster.b1.name == "王刚"
    listed = client.get(reverse("people:members")).context["page"].object_list
    assert {m.name for m in listed} == {"张红", "李明"}


@pytest.mark.django_db
def test_a_community_admins_export_has_only_that_community_with_full_mobiles(
    client_for, world, roster, admin_of_a
):
    rows = read_xlsx(client_for(admin_of_a).get(reverse("people:member_export")).content)
    assert {(r[0], r[1]) for r in rows[1:]} == {("张红", "13900000001"), ("李明", "13900000002")}


@pytest.mark.django_db
def test_an_admin_who_is_secretary_elsewhere_exports_that_community_masked(
    client_for, world, roster, admin_of_a
):
    # The export's full numbers are for the office's own communities; a
    # secretary's role elsewhere does not turn them on there.
    from zhenxing.people.models import Role, RoleAssignment

    RoleAssignment.objects.create(user=admin_of_a, role=Role.SECRETARY, region=world.b)
    rows = read_xlsx(client_for(admin_of_a).get(reverse("people:member_export")).content)
    assert {r[1] for r in rows[1:]} == {"13900000001", "13900000002", "139****0003"}


# --- searching by mobile needs the right to see the number ---------------------------------


@pytest.mark.django_db
def test_readers_cannot_find_a_member_by_a_mobile_they_only_see_masked(client_for, world, roster):
    def names(user, q):
        client = client_for(user)
        listed = client.get(reverse("people:members"), {"q": q}).context["page"].object_list
        exported = read_xlsx(client.get(reverse("people:member_export"), {"q": q}).content)
        assert {r[0] for r in exported[1:]} == {m.name for m in listed}  # same filter
        return {m.name for m in listed}

    for reader in (world.inspector_a, world.party_member_a, world.team_leader_a):
        assert names(reader, "13900000001") == set()
        assert names(reader, "张") == {"张红"}  # by name, as before
    assert names(world.secretary_a, "13900000001") == {"张红"}  # sees it in full anyway
    assert names(world.admin, "13900000003") == {"王刚"}


# --- the export is capped and streamed ----------------------------------------------------


@pytest.mark.django_db
def test_an_export_over_the_cap_asks_to_narrow_the_filters(client_for, world, roster, monkeypatch):
    from zhenxing.people import views

    monkeypatch.setattr(views, "MEMBER_EXPORT_MAX_ROWS", 2)
    client = client_for(world.admin)
    response = client.get(reverse("people:member_export"), {"has_login": "no"})
    assert response.status_code == 200  # 李明 and 王刚: exactly the cap
    assert len(read_xlsx(response.content)) == 1 + 2
    capped = client.get(reverse("people:member_export"))
    assert capped.status_code == 302
    assert capped.url == reverse("people:members")
    (message,) = client.get(capped.url).context["messages"]
    assert message.level == messages.WARNING and "2" in str(message)
    filtered = client.get(reverse("people:member_export"), {"q": "王"})
    assert filtered.status_code == 200  # a narrower filter gets its file
    assert AuditEntry.objects.filter(action="people.party_member.export").count() == 2


@pytest.mark.django_db
def test_the_export_streams_its_rows(client_for, world, roster, monkeypatch):
    from collections.abc import Iterator

    from zhenxing.people import views

    real = views.xlsx_response
    seen = {}

    def spy(filename, headers, rows, **kwargs):
        seen["lazy"] = isinstance(rows, Iterator)
        return real(filename, headers, rows, **kwargs)

    monkeypatch.setattr(views, "xlsx_response", spy)
    response = client_for(world.admin).get(reverse("people:member_export"))
    assert response.status_code == 200 and seen == {"lazy": True}
    entry = AuditEntry.objects.get(action="people.party_member.export")
    assert entry.changes["rows"] == 3 and entry.changes["full_mobiles"] == 3


# --- organisation and community agree -------------------------------------------------------


@pytest.mark.django_db
def test_a_member_form_with_an_organisation_of_another_community_is_400(client_for, world, roster):
    client = client_for(world.admin)
    data = _member_form(roster.a2, organization=roster.branch_b.pk)
    response = client.post(reverse("people:member_edit", args=[roster.a2.pk]), data)
    assert response.status_code == 400
    (error,) = response.context["form"].non_field_errors()
    assert "社区乙党支部" in error and "社区甲" in error
    created = client.post(
        reverse("people:member_create"),
        {**data, "name": "错配", "mobile": "13900000060"},
    )
    assert created.status_code == 400
    assert not PartyMember.objects.filter(mobile="13900000060").exists()
    roster.a2.refresh_from_db()
    assert roster.a2.organization_id == roster.branch_a.pk


def test_the_search_label_promises_a_mobile_search_only_to_those_who_get_one(
    client_for, world, roster
):
    from django.urls import reverse as url

    manager = client_for(world.secretary_a).get(url("people:members")).context["form"]
    assert str(manager.fields["q"].label) == "姓名或手机号"
    reader = client_for(world.inspector_a).get(url("people:members")).context["form"]
    assert str(reader.fields["q"].label) == "姓名"
