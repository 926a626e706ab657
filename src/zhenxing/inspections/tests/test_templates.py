"""Checklists: which one scores an area, and versioning (only a draft changes).

The point of versioning: an inspection scored with version 1 is explained by
version 1's items and points for good, whatever later versions say.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from zhenxing.core.models import AuditEntry
from zhenxing.inspections import services
from zhenxing.inspections.models import (
    AreaTypeMembership,
    InspectionTemplate,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.inspections.selectors import template_for_area, templates_for_areas
from zhenxing.inspections.services import InspectionConflict, InspectionError

from .conftest import finding, submit


@pytest.fixture(autouse=True)
def _messages_in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


def new_version(insp, world):
    return services.template_new_version(template=insp.general, actor=world.admin)


def save_item(template, world, **kwargs):
    args = {
        "template": template,
        "actor": world.admin,
        "code": "A09",
        "text": "水面漂浮物",
        "unit": "处",
        "points_per_unit": "1.5",
        "max_deduction": "6",
    }
    args.update(kwargs)
    return services.template_item_save(**args)


# --- which checklist scores an area ------------------------------------------------


def test_an_area_without_a_type_gets_the_general_checklist(insp, world):
    assert template_for_area(world.area_a1) == insp.general


def test_an_area_of_a_type_gets_its_types_checklist(insp, world, road_template):
    assert template_for_area(world.area_b1) == road_template
    assert template_for_area(world.area_a1) == insp.general
    # A type with no checklist in use falls back on the general one.
    AreaTypeMembership.objects.create(area=world.area_a2, area_type=insp.village)
    assert template_for_area(world.area_a2) == insp.general
    got = templates_for_areas([world.area_a1, world.area_a2, world.area_b1])
    assert got == {
        world.area_a1.pk: insp.general,
        world.area_a2.pk: insp.general,
        world.area_b1.pk: road_template,
    }


def test_no_checklist_in_use_means_none(insp, world, road_template):
    InspectionTemplate.objects.update(status=TemplateStatus.RETIRED)
    assert template_for_area(world.area_a1) is None
    assert template_for_area(world.area_b1) is None


def test_a_draft_or_retired_checklist_scores_nothing(insp, world):
    draft = new_version(insp, world)
    assert template_for_area(world.area_a1) == insp.general
    services.template_activate(template=draft, actor=world.admin)
    assert template_for_area(world.area_a1) == draft


# --- new versions ----------------------------------------------------------------


def test_a_new_version_is_a_draft_copy_with_the_items(insp, world):
    draft = new_version(insp, world)
    assert (draft.code, draft.version, draft.status) == ("GEN", 2, TemplateStatus.DRAFT)
    assert draft.name == insp.general.name and draft.full_score == insp.general.full_score
    assert draft.area_type is None and draft.created_by == world.admin
    copied = list(draft.items.values_list("code", "text", "points_per_unit", "max_deduction"))
    original = list(
        insp.general.items.values_list("code", "text", "points_per_unit", "max_deduction")
    )
    assert copied == original
    assert set(draft.items.values_list("pk", flat=True)).isdisjoint(
        insp.general.items.values_list("pk", flat=True)
    )
    assert draft.items.get(code="A01").category == insp.garbage_cat
    entry = AuditEntry.objects.get(action="template.new_version")
    assert entry.changes == {"code": "GEN", "from_version": 1, "version": 2}


def test_one_draft_per_checklist_at_a_time(insp, world):
    new_version(insp, world)
    with pytest.raises(InspectionConflict, match="Version 2 of this checklist is already a draft"):
        new_version(insp, world)
    assert InspectionTemplate.objects.filter(code="GEN").count() == 2


def test_the_next_version_follows_the_highest(insp, world):
    services.template_activate(template=new_version(insp, world), actor=world.admin)
    # A new version made from the retired v1 is still numbered after v2.
    draft = services.template_new_version(template=insp.general, actor=world.admin)
    assert draft.version == 3


# --- editing drafts -----------------------------------------------------------------


def test_a_draft_gets_new_and_changed_items(insp, world):
    draft = new_version(insp, world)
    added = save_item(draft, world, category=insp.clutter_cat, order=4)
    assert added.template == draft and added.points_per_unit == Decimal("1.50")
    assert added.max_deduction == Decimal("6.00") and added.category == insp.clutter_cat
    garbage = draft.items.get(code="A01")
    changed = save_item(
        draft, world, item=garbage, code="A01", text="暴露垃圾", points_per_unit=3, max_deduction=""
    )
    assert changed.pk == garbage.pk and changed.points_per_unit == Decimal("3")
    assert changed.max_deduction is None
    entries = AuditEntry.objects.filter(action="template.item_save").order_by("pk")
    assert entries.count() == 2
    assert entries[1].changes["points_per_unit"] == ["2.00", "3.00"]


def test_a_draft_loses_an_item(insp, world):
    draft = new_version(insp, world)
    services.template_item_delete(item=draft.items.get(code="A02"), actor=world.admin)
    assert sorted(draft.items.values_list("code", flat=True)) == ["A01", "A03"]
    assert AuditEntry.objects.filter(action="template.item_delete").count() == 1


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"code": " "}, "Give the item a code"),
        ({"text": ""}, "Say what the item checks"),
        ({"unit": ""}, "Give the unit"),
        ({"code": "x" * 21}, "Keep the code to 20"),
        ({"points_per_unit": "0"}, "Points per unit must be more than 0"),
        ({"points_per_unit": "-1"}, "Points per unit must be more than 0"),
        ({"points_per_unit": "1000"}, "at most 999.99"),
        ({"points_per_unit": "two"}, "Points per unit must be a number"),
        ({"points_per_unit": "NaN"}, "Points per unit must be a number"),
        ({"max_deduction": "Infinity"}, "Most points deducted must be a number"),
        ({"max_deduction": "0"}, "Most points deducted must be more than 0"),
        ({"max_deduction": "1"}, r"Most points deducted \(1.00\) is less than"),
        ({"code": "A01"}, "already has an item with code A01"),
        ({"order": -1}, "order must be a whole number from 0 to 32767"),
    ],
)
def test_bad_items_are_refused(insp, world, changes, match):
    draft = new_version(insp, world)
    with pytest.raises(InspectionError, match=match):
        save_item(draft, world, **changes)
    assert draft.items.count() == 3
    assert not AuditEntry.objects.filter(action="template.item_save").exists()


def test_an_item_opens_cases_under_a_sub_category_in_use(insp, world):
    draft = new_version(insp, world)
    with pytest.raises(InspectionError, match="sub-category"):
        save_item(draft, world, category=insp.sanitation)
    insp.clutter_cat.is_active = False
    insp.clutter_cat.save()
    with pytest.raises(InspectionError, match="category in use"):
        save_item(draft, world, category=insp.clutter_cat)


def test_an_item_of_another_checklist_is_not_changed_through_this_one(insp, world):
    draft = new_version(insp, world)
    with pytest.raises(InspectionError, match="belongs to another checklist"):
        save_item(draft, world, item=insp.garbage)


def test_a_checklist_in_use_or_retired_is_frozen(insp, world):
    with pytest.raises(InspectionError, match="can no longer be changed; make a new version"):
        save_item(insp.general, world)
    with pytest.raises(InspectionError, match="can no longer be changed"):
        save_item(insp.general, world, item=insp.garbage, code="A01", points_per_unit=1)
    with pytest.raises(InspectionError, match="can no longer be changed"):
        services.template_item_delete(item=insp.garbage, actor=world.admin)
    services.template_activate(template=new_version(insp, world), actor=world.admin)
    insp.general.refresh_from_db()
    assert insp.general.status == TemplateStatus.RETIRED
    with pytest.raises(InspectionError, match=r"is no longer a draft \(Retired\)"):
        save_item(insp.general, world)
    insp.garbage.refresh_from_db()
    assert insp.garbage.points_per_unit == Decimal("2") and insp.general.items.count() == 3


def test_only_the_office_of_the_whole_territory_writes_checklists(insp, world):
    from zhenxing.people.models import Role, RoleAssignment, User

    local_admin = User.objects.create_user(username="admin_a", password="x")
    RoleAssignment.objects.create(user=local_admin, role=Role.OFFICE_ADMIN, region=world.a)
    draft = new_version(insp, world)
    people = [getattr(world, n) for n in ("secretary_a", "inspector_a", "outsider", "nobody")]
    for who in [*people, local_admin]:
        with pytest.raises(PermissionDenied):
            services.template_new_version(template=insp.general, actor=who)
        with pytest.raises(PermissionDenied):
            save_item(draft, world, actor=who)
        with pytest.raises(PermissionDenied):
            services.template_item_delete(item=draft.items.first(), actor=who)
        with pytest.raises(PermissionDenied):
            services.template_activate(template=draft, actor=who)
    assert draft.items.count() == 3
    assert InspectionTemplate.objects.get(pk=draft.pk).status == TemplateStatus.DRAFT


# --- activation -------------------------------------------------------------------


def test_activation_retires_the_version_it_replaces(insp, world):
    draft = new_version(insp, world)
    active = services.template_activate(template=draft, actor=world.admin)
    assert active.status == TemplateStatus.ACTIVE and active.activated_at is not None
    insp.general.refresh_from_db()
    assert insp.general.status == TemplateStatus.RETIRED and insp.general.retired_at is not None
    entry = AuditEntry.objects.get(action="template.activate")
    assert entry.changes["retired"] == ["GEN v1"]


def test_activation_retires_the_other_checklist_of_the_same_area_type(insp, world, road_template):
    other = InspectionTemplate.objects.create(
        code="ROAD2", name="道路新表", area_type=insp.road, created_by=world.admin
    )
    TemplateItem.objects.create(
        template=other, code="R01", text="路面破损", points_per_unit=Decimal("1")
    )
    services.template_activate(template=other, actor=world.admin)
    statuses = dict(InspectionTemplate.objects.values_list("code", "status"))
    # The road checklist is replaced; the general one serves other areas and stays.
    assert statuses == {
        "ROAD": TemplateStatus.RETIRED,
        "ROAD2": TemplateStatus.ACTIVE,
        "GEN": TemplateStatus.ACTIVE,
    }
    assert template_for_area(world.area_b1) == other


def test_a_new_general_checklist_replaces_the_general_one(insp, world, road_template):
    other = InspectionTemplate.objects.create(code="GEN2", name="通用新表")
    TemplateItem.objects.create(template=other, code="B01", text="x", points_per_unit=1)
    services.template_activate(template=other, actor=world.admin)
    statuses = dict(InspectionTemplate.objects.values_list("code", "status"))
    assert statuses == {
        "GEN": TemplateStatus.RETIRED,
        "GEN2": TemplateStatus.ACTIVE,
        "ROAD": TemplateStatus.ACTIVE,
    }


def test_activation_is_refused_when_it_does_not_apply(insp, world):
    with pytest.raises(InspectionConflict, match="already in use"):
        services.template_activate(template=insp.general, actor=world.admin)
    empty = InspectionTemplate.objects.create(code="NEW", name="空表")
    with pytest.raises(InspectionError, match="Add at least one item"):
        services.template_activate(template=empty, actor=world.admin)
    services.template_activate(template=new_version(insp, world), actor=world.admin)
    with pytest.raises(InspectionError, match="retired version cannot be put back"):
        services.template_activate(template=insp.general, actor=world.admin)
    assert AuditEntry.objects.filter(action="template.activate").count() == 1


def test_one_checklist_in_use_per_code_and_type_is_also_the_databases_rule(insp, world):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionTemplate.objects.create(code="GEN", version=9, name="x", status="active")
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionTemplate.objects.create(code="OTHER", name="x", status="active")


# --- an old score keeps its version -------------------------------------------------


def test_an_old_inspection_keeps_its_items_and_score_after_a_new_version(round_a, insp, world):
    old = submit(round_a.i1, world.inspector_a, finding(insp.garbage, 3), finding(insp.clutter, 4))
    assert old.score == Decimal("90")

    draft = new_version(insp, world)
    save_item(
        draft,
        world,
        item=draft.items.get(code="A01"),
        code="A01",
        text="暴露垃圾（含积存）",
        points_per_unit=5,
        max_deduction=20,
    )
    services.template_item_delete(item=draft.items.get(code="A02"), actor=world.admin)
    services.template_activate(template=draft, actor=world.admin)

    old.refresh_from_db()
    assert old.template == insp.general and old.score == Decimal("90")
    assert old.deduction == Decimal("10")
    lines = [
        (f.item.code, f.item.text, f.item.points_per_unit, f.count, f.deduction)
        for f in old.findings.select_related("item").order_by("item__order")
    ]
    assert lines == [
        ("A01", "暴露垃圾", Decimal("2.00"), 3, Decimal("6.00")),
        ("A02", "乱堆乱放", Decimal("1.00"), 4, Decimal("4.00")),
    ]
    # The retired version is still whole, for the old score's page.
    assert insp.general.items.count() == 3

    # The other area of the round was planned with v1 and is scored with it.
    pending = round_a.i2
    assert pending.template == insp.general
    later = submit(pending, world.inspector_a, finding(insp.garbage, 3))
    assert later.score == Decimal("94")
    # A new round takes the version in use now.
    round_ = services.round_plan(
        actor=world.admin,
        date=timezone.localdate(),
        scope=world.a,
        inspectors=[world.inspector_a],
        areas=[world.area_a1],
    )
    new = round_.inspections.get()
    assert new.template == draft
    with pytest.raises(InspectionError, match="not on this inspection's checklist"):
        # An item of the retired version no longer scores a new inspection.
        submit(new, world.inspector_a, finding(insp.garbage, 1))
    scored = submit(new, world.inspector_a, finding(draft.items.get(code="A01"), 3))
    assert scored.score == Decimal("85")


# --- the admin ---------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from zhenxing.people.models import User

    client.force_login(User.objects.create_superuser(username="root", password="x"))
    return client


def _checklist_form(template, items, **overrides):
    """The admin's change form for `template` with its items as `items` (dicts)."""
    data = {
        "code": template.code if template else "NEW",
        "version": template.version if template else 1,
        "name": template.name if template else "新表",
        "area_type": "",
        "full_score": "100",
        "notes": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(sum(1 for i in items if i.get("id"))),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        row = {
            "order": 0,
            "unit": "处",
            "max_deduction": "",
            "category": "",
            "template": template.pk if template else "",
            **item,
        }
        data.update({f"items-{n}-{k}": v for k, v in row.items()})
    data.update(overrides)
    return data


def test_a_draft_is_edited_in_the_admin_with_every_item_change_audited(admin_client, insp, world):
    from django.urls import reverse

    draft = new_version(insp, world)
    a01, a02, a03 = (draft.items.get(code=c) for c in ("A01", "A02", "A03"))
    items = [
        {"id": a01.pk, "code": "A01", "text": "暴露垃圾", "points_per_unit": "3"},
        {"id": a02.pk, "code": "A02", "text": "乱堆乱放", "points_per_unit": "1"},
        {"id": a03.pk, "code": "A03", "text": "宣传栏破损", "points_per_unit": "5", "DELETE": "on"},
        {"code": "A04", "text": "违规广告", "points_per_unit": "1", "max_deduction": "4"},
    ]
    for item in items[:3]:
        item.setdefault("max_deduction", "")
    items[0]["max_deduction"] = "10"
    items[0]["category"] = insp.garbage_cat.pk
    response = admin_client.post(
        reverse("admin:inspections_inspectiontemplate_change", args=[draft.pk]),
        _checklist_form(draft, items),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(draft.items.values_list("code", flat=True)) == ["A01", "A02", "A04"]
    assert draft.items.get(code="A01").points_per_unit == Decimal("3")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "admin.inspections.templateitem.add",
        "admin.inspections.templateitem.change",
        "admin.inspections.templateitem.delete",
        "admin.inspections.inspectiontemplate.change",
    } <= actions
    change = AuditEntry.objects.get(
        action="admin.inspections.templateitem.change", object_id=str(a01.pk)
    )
    assert [Decimal(v) for v in change.changes["points_per_unit"]] == [2, 3]


def test_a_checklist_in_use_is_read_only_in_the_admin(admin_client, insp, world):
    from django.urls import reverse

    url = reverse("admin:inspections_inspectiontemplate_change", args=[insp.general.pk])
    assert admin_client.get(url).status_code == 200  # shown …
    items = [{"id": insp.garbage.pk, "code": "A01", "text": "改", "points_per_unit": "9"}]
    response = admin_client.post(url, _checklist_form(insp.general, items, name="改名"))
    assert response.status_code == 403  # … never changed
    insp.general.refresh_from_db()
    insp.garbage.refresh_from_db()
    assert insp.general.name == "人居环境暗检通用表" and insp.garbage.points_per_unit == Decimal(
        "2"
    )
    delete = reverse("admin:inspections_inspectiontemplate_delete", args=[insp.general.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_a_checklist_added_in_the_admin_is_a_draft(admin_client, insp, world):
    from django.urls import reverse

    items = [{"code": "B01", "text": "积水", "points_per_unit": "2"}]
    response = admin_client.post(
        reverse("admin:inspections_inspectiontemplate_add"),
        _checklist_form(None, items, status="active"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = InspectionTemplate.objects.get(code="NEW")
    assert made.status == TemplateStatus.DRAFT and made.items.count() == 1
    assert AuditEntry.objects.filter(action="admin.inspections.inspectiontemplate.add").exists()


def test_a_bad_item_is_refused_in_the_admin(admin_client, insp, world):
    from django.urls import reverse

    draft = new_version(insp, world)
    for bad in (
        {"code": "Z1", "text": "x", "points_per_unit": "0"},
        {"code": "Z1", "text": "x", "points_per_unit": "3", "max_deduction": "1"},
        {"code": "Z1", "text": "x", "points_per_unit": "1", "category": insp.sanitation.pk},
    ):
        response = admin_client.post(
            reverse("admin:inspections_inspectiontemplate_change", args=[draft.pk]),
            _checklist_form(draft, [bad]),
        )
        assert response.status_code == 200  # the form again, with its error
    assert not draft.items.filter(code="Z1").exists()


def test_the_admin_actions_go_through_the_services(admin_client, insp, world):
    from django.urls import reverse

    url = reverse("admin:inspections_inspectiontemplate_changelist")
    admin_client.post(url, {"action": "new_version", "_selected_action": [insp.general.pk]})
    draft = InspectionTemplate.objects.get(code="GEN", version=2)
    assert draft.items.count() == 3
    admin_client.post(url, {"action": "activate", "_selected_action": [draft.pk, insp.general.pk]})
    draft.refresh_from_db()
    insp.general.refresh_from_db()
    assert draft.status == TemplateStatus.ACTIVE and insp.general.status == TemplateStatus.RETIRED
    assert AuditEntry.objects.filter(action="template.activate").count() == 1


def test_an_areas_type_is_set_in_the_admin_for_areas_only(admin_client, insp, world):
    from django.urls import reverse

    url = reverse("admin:inspections_areatypemembership_add")
    response = admin_client.post(url, {"area": world.coop_a.pk, "area_type": insp.road.pk})
    assert response.status_code == 200 and not AreaTypeMembership.objects.exists()
    response = admin_client.post(url, {"area": world.area_a1.pk, "area_type": insp.road.pk})
    assert response.status_code == 302
    assert AreaTypeMembership.objects.get().area == world.area_a1
    assert AuditEntry.objects.filter(action="admin.inspections.areatypemembership.add").exists()


def test_only_whole_territory_admins_write_reference_data_in_the_admin(client, insp, world):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from zhenxing.people.models import Role, RoleAssignment, User

    local = User.objects.create_user(username="admin_a", password="x", is_staff=True)
    RoleAssignment.objects.create(user=local, role=Role.OFFICE_ADMIN, region=world.a)
    local.user_permissions.add(*Permission.objects.filter(content_type__app_label="inspections"))
    client.force_login(local)
    response = client.post(
        reverse("admin:inspections_areatype_add"), {"code": "HY", "name": "河涌", "order": 0}
    )
    assert response.status_code == 403
    draft = new_version(insp, world)
    url = reverse("admin:inspections_inspectiontemplate_change", args=[draft.pk])
    assert client.post(url, _checklist_form(draft, [], name="改")).status_code == 403
