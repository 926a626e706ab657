"""The cases' reference data in Django's admin: audited edits, two levels only, cases read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenxing.cases.models import Category, Holiday
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import User

from .test_filters import make_case


@pytest.fixture
def admin_client(client, db):
    superuser = User.objects.create_superuser(username="root", password="x")
    client.force_login(superuser)
    return client


def _category_form(**overrides):
    data = {
        "parent": "",
        "code": "LD",
        "name": "乱堆乱放",
        "time_limit": 3,
        "time_limit_unit": "working_days",
        "default_handler": "community",
        "default_department": "",
        "after_photo_required": "on",
        "duplicate_radius_m": 50,
        "relapse_days": 30,
        "is_active": "on",
        "order": 0,
    }
    data.update(overrides)
    return data


def test_adding_a_sub_category_in_the_admin_is_audited(admin_client, cats):
    response = admin_client.post(
        reverse("admin:cases_category_add"),
        _category_form(parent=cats.sanitation.pk, code="HJ02", name="乱堆乱放"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = Category.objects.get(code="HJ02")
    assert made.parent == cats.sanitation and made.time_limit == 3
    entry = AuditEntry.objects.get(action="admin.cases.category.add")
    assert entry.object_id == str(made.pk)


def test_changing_a_time_limit_records_before_and_after(admin_client, cats):
    response = admin_client.post(
        reverse("admin:cases_category_change", args=[cats.garbage.pk]),
        _category_form(parent=cats.sanitation.pk, code="HJ01", name="暴露垃圾", time_limit=1),
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.cases.category.change")
    assert entry.changes["time_limit"] == [2, 1]


def test_a_third_level_is_refused(admin_client, cats):
    response = admin_client.post(
        reverse("admin:cases_category_add"),
        _category_form(parent=cats.garbage.pk, code="HJ0101", name="三级"),
    )
    assert response.status_code == 200  # the form again, with its error
    assert not Category.objects.filter(code="HJ0101").exists()


def test_a_main_category_with_children_keeps_no_parent(admin_client, cats):
    response = admin_client.post(
        reverse("admin:cases_category_change", args=[cats.sanitation.pk]),
        _category_form(parent=cats.river.pk, code="HJ", name="环境卫生"),
    )
    assert response.status_code == 200
    cats.sanitation.refresh_from_db()
    assert cats.sanitation.parent is None


def test_a_department_handler_needs_its_department(admin_client, cats):
    response = admin_client.post(
        reverse("admin:cases_category_add"),
        _category_form(parent=cats.river.pk, code="HC02", default_handler="department"),
    )
    assert response.status_code == 200
    assert not Category.objects.filter(code="HC02").exists()


def test_a_category_in_use_cannot_be_deleted(admin_client, world, cats):
    make_case(cats.garbage, world.area_a1)
    response = admin_client.get(reverse("admin:cases_category_delete", args=[cats.garbage.pk]))
    assert response.status_code == 403
    unused = Category.objects.create(parent=cats.river, code="HC09", name="未用")
    response = admin_client.post(
        reverse("admin:cases_category_delete", args=[unused.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin.cases.category.delete").exists()


def test_holidays_are_edited_and_audited(admin_client, db):
    response = admin_client.post(
        reverse("admin:cases_holiday_add"), {"date": "2026-10-01", "name": "国庆节"}
    )
    assert response.status_code == 302
    assert Holiday.objects.get(date="2026-10-01").is_workday is False
    assert AuditEntry.objects.filter(action="admin.cases.holiday.add").exists()


def test_cases_are_shown_but_never_written_in_the_admin(admin_client, world, cats):
    case = make_case(cats.garbage, world.area_a1, reporter_mobile="13912345678")
    changelist = admin_client.get(reverse("admin:cases_case_changelist"))
    assert changelist.status_code == 200 and case.number in changelist.content.decode()
    page = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert "13912345678" not in page.content.decode()
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    admin_client.post(reverse("admin:cases_case_change", args=[case.pk]), {"status": "closed"})
    case.refresh_from_db()
    assert case.status == "reported"
    for name in ("escalation", "caserequest"):
        assert admin_client.get(reverse(f"admin:cases_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:cases_{name}_add")).status_code == 403


# --- cases in the admin: the user's own scope, no resident's name or mobile -------------------


@pytest.fixture
def staff_of_a(world):
    """社区甲's office admin, let into the Django admin to look cases up (view only)."""
    from django.contrib.auth.models import Permission

    from zhenxing.people.models import Role, RoleAssignment

    user = User.objects.create_user(username="office_a", password="x", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="cases",
            codename__in=["view_case", "view_caserequest", "view_escalation"],
        )
    )
    return user


def test_the_admin_shows_only_the_cases_in_the_users_scope(client, world, cats, staff_of_a):
    from zhenxing.cases.models import CaseRequest, Escalation

    mine = make_case(cats.garbage, world.area_a1, status="dispatched")
    theirs = make_case(cats.garbage, world.area_b1, status="dispatched")
    for case in (mine, theirs):
        CaseRequest.objects.create(case=case, kind="send_back", reason=f"请求{case.number}")
        Escalation.objects.create(case=case, level=1, reason=f"超期{case.number}")
    client.force_login(staff_of_a)
    for name in ("case", "caserequest", "escalation"):
        response = client.get(reverse(f"admin:cases_{name}_changelist"))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert mine.number in html and theirs.number not in html, name
    assert client.get(reverse("admin:cases_case_change", args=[mine.pk])).status_code == 200
    # Out of scope is "no such case": the admin sends the user back to its index.
    assert client.get(reverse("admin:cases_case_change", args=[theirs.pk])).status_code == 302
    for model in (CaseRequest, Escalation):
        name = model._meta.model_name
        row = model.objects.get(case=theirs)
        assert client.get(reverse(f"admin:cases_{name}_change", args=[row.pk])).status_code == 302
        row = model.objects.get(case=mine)
        assert client.get(reverse(f"admin:cases_{name}_change", args=[row.pk])).status_code == 200


def test_the_admin_shows_no_residents_name_or_mobile(admin_client, world, cats):
    case = make_case(
        cats.garbage,
        world.area_a1,
        source="resident",
        reporter_name="陈小霞",
        reporter_mobile="13912345678",
    )
    html = admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert case.number in html
    assert "陈小霞" not in html and "13912345678" not in html
