"""The audit browser (/audit/): office admins only, filters, export, bounded queries."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from zhenxing.core import audit
from zhenxing.core.audit_views import format_changes
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Department, Role, RoleAssignment, User

UTC = datetime.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(entry: AuditEntry, when: datetime.datetime) -> AuditEntry:
    # created_at is auto_now_add; tests move rows in time directly.
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=when)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def office_client(client_for, world):
    return client_for(world.admin)


@pytest.fixture
def log(world, office_client):
    """Three entries at known times, with everything written before them (the fixtures'
    own rows, the admin's login) removed."""
    AuditEntry.objects.all().delete()
    dept = Department.objects.get(code="D01")
    rename = audit.record(
        actor=world.admin,
        action="people.department.update",
        obj=dept,
        summary="renamed",
        before={"name": "城管"},
        after={"name": "城管办"},
        ip="10.0.0.1",
    )
    # 23:30 in Shanghai on 1 March is 15:30 UTC the same day.
    _at(rename, datetime.datetime(2026, 3, 1, 15, 30, tzinfo=UTC))
    login = audit.record(actor=world.secretary_a, action="auth.login", obj=world.secretary_a)
    # 00:30 in Shanghai on 2 March is still 1 March in UTC.
    _at(login, datetime.datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    failed = audit.record(actor=None, action="auth.login_failed", summary="13999999999")
    _at(failed, datetime.datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    return {"rename": rename, "login": login, "failed": failed}


def _ids(response) -> list[int]:
    return [e.pk for e in response.context["page"].object_list]


# --- who may see it ------------------------------------------------------------------


@pytest.mark.django_db
def test_only_office_admins_see_the_audit_log(client_for, world, log):
    assert client_for(world.admin).get(reverse("audit:list")).status_code == 200
    for user in (
        world.secretary_a,
        world.outsider,
        world.inspector_a,
        world.dept_staff,
        world.nobody,
    ):
        client = client_for(user)
        assert client.get(reverse("audit:list")).status_code == 404
        assert client.get(reverse("audit:export")).status_code == 404
        assert client.get(reverse("audit:detail", args=[log["rename"].pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="audit.export").exists()


@pytest.mark.django_db
def test_an_admin_of_one_community_does_not_see_the_whole_log(client_for, world, log):
    RoleAssignment.objects.create(user=world.nobody, role=Role.OFFICE_ADMIN, region=world.a)
    client = client_for(world.nobody)
    assert client.get(reverse("audit:list")).status_code == 404
    assert client.get(reverse("audit:export")).status_code == 404


@pytest.mark.django_db
def test_dates_outside_the_calendar_are_refused_not_crashed_on(office_client, log):
    for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}):
        response = office_client.get(reverse("audit:list"), params)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert office_client.get(reverse("audit:export"), params).status_code == 200


@pytest.mark.django_db
def test_mobile_numbers_are_masked_in_the_list_and_the_export(office_client, world):
    audit.record(actor=None, action="auth.login_failed", summary="13912345678")
    page = office_client.get(reverse("audit:list")).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    export = office_client.get(reverse("audit:export")).content
    rows = list(load_workbook(io.BytesIO(export)).worksheets[0].iter_rows(values_only=True))
    assert "139****5678" in [r[6] for r in rows[1:]]


@pytest.mark.django_db
def test_a_superuser_sees_the_audit_log(client_for, world, log):
    boss = User.objects.create_superuser(username="root", password="x")
    assert client_for(boss).get(reverse("audit:list")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["audit:list", "audit:export"])
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_wrong_methods_are_405(client_for, world, log):
    client = client_for(world.admin)
    assert client.post(reverse("audit:list")).status_code == 405
    assert client.post(reverse("audit:export")).status_code == 405
    assert client.delete(reverse("audit:detail", args=[log["rename"].pk])).status_code == 405


# --- the list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_newest_first_with_shanghai_times_and_compact_changes(office_client, log):
    client = office_client
    response = client.get(reverse("audit:list"))
    assert _ids(response) == [log["failed"].pk, log["login"].pk, log["rename"].pk]
    body = response.content.decode()
    assert "2026年3月1日 23:30:00" in body  # 15:30 UTC shown in Asia/Shanghai, Chinese style
    assert "2026年3月2日 00:30:00" in body
    assert "name: 城管 → 城管办" in body
    assert "10.0.0.1" in body


@pytest.mark.django_db
def test_filter_by_actor_action_object_type_and_text(office_client, log):
    client = office_client

    def ids(**params):
        return set(_ids(client.get(reverse("audit:list"), params)))

    assert ids(actor="sec_a") == {log["login"].pk}
    assert ids(actor="OFFICE") == {log["rename"].pk}  # case-insensitive
    assert ids(action="auth.login") == {log["login"].pk, log["failed"].pk}  # a prefix
    assert ids(action="auth.login_failed") == {log["failed"].pk}
    assert ids(action="people.") == {log["rename"].pk}
    department_type = ContentType.objects.get_for_model(Department)
    assert ids(object_type=department_type.pk) == {log["rename"].pk}
    assert ids(q="renamed") == {log["rename"].pk}
    assert ids(q="13999999999") == {log["failed"].pk}
    assert ids(q="城管办") == {log["rename"].pk}  # the object's name


@pytest.mark.django_db
def test_date_range_is_inclusive_days_in_shanghai(office_client, log):
    client = office_client

    def ids(**params):
        return set(_ids(client.get(reverse("audit:list"), params)))

    assert ids(date_from="2026-03-01", date_to="2026-03-01") == {log["rename"].pk}
    assert ids(date_from="2026-03-02", date_to="2026-03-02") == {log["login"].pk}
    assert ids(date_from="2026-03-02") == {log["login"].pk, log["failed"].pk}
    assert ids(date_to="2026-03-04") == {log["rename"].pk, log["login"].pk}
    # an impossible range is reported and ignored
    response = client.get(
        reverse("audit:list"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]


@pytest.mark.django_db
def test_invalid_filters_do_not_break_the_page(office_client, log):
    response = office_client.get(
        reverse("audit:list"), {"date_from": "yesterday", "object_type": "abc", "page": "x"}
    )
    assert response.status_code == 200
    assert len(_ids(response)) == 3


@pytest.mark.django_db
def test_pages_of_50_with_a_bounded_number_of_queries(
    office_client, world, log, django_assert_max_num_queries
):
    dept = Department.objects.get(code="D01")
    for i in range(120):
        audit.record(
            actor=world.admin,
            action="people.department.update",
            obj=dept,
            changes={"n": [i, i + 1]},
        )
    client = office_client
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit:list"))
    assert len(_ids(response)) == 50
    assert response.context["page"].paginator.count == 123
    last = client.get(reverse("audit:list"), {"page": 3})
    assert len(_ids(last)) == 23


@pytest.mark.django_db
def test_detail_shows_the_full_record(client_for, world, log):
    response = client_for(world.admin).get(reverse("audit:detail", args=[log["rename"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "people.department.update" in body and "城管办" in body
    assert client_for(world.admin).get(reverse("audit:detail", args=[999999])).status_code == 404


# --- export ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_rows_match_the_filter_and_the_export_is_audited(office_client, world, log):
    client = office_client
    response = client.get(reverse("audit:export"), {"action": "auth."})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(
        load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert len(rows) == 1 + 2
    assert [r[2] for r in rows[1:]] == ["auth.login_failed", "auth.login"]  # newest first
    assert rows[2][1] == "sec_a"
    # The wall-clock time in Shanghai, as Excel has no time zones.
    assert rows[2][0] == datetime.datetime(2026, 3, 2, 0, 30)
    export = AuditEntry.objects.get(action="audit.export")
    assert export.actor == world.admin
    assert export.changes["rows"] == 2
    assert export.changes["filters"] == {"action": "auth."}


@pytest.mark.django_db
def test_an_unfiltered_export_has_every_row(office_client, log):
    response = office_client.get(reverse("audit:export"))
    rows = list(
        load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert {r[2] for r in rows[1:]} == {
        "people.department.update",
        "auth.login",
        "auth.login_failed",
    }
    assert '"name": ["城管", "城管办"]' in next(r[7] for r in rows[1:] if r[2].startswith("people"))


# --- helpers --------------------------------------------------------------------------


def test_format_changes_is_compact():
    with translation.override("en"):
        _check_format_changes()


def _check_format_changes() -> None:
    assert format_changes({"name": ["甲", "乙"], "rows": 3}) == ["name: 甲 → 乙", "rows: 3"]
    # Lists mask personal data.
    assert format_changes({"mobile": [None, "13800000000"]}) == ["mobile: ∅ → 138****0000"]
    assert format_changes({"created_ids": [1, 2]}) == ["created_ids: [1, 2]"]
    assert format_changes({"ids": list(range(100))})[0].startswith("ids: [100")
    assert format_changes({"summary": "x" * 200})[0].endswith("…")
    assert format_changes({}) == []
