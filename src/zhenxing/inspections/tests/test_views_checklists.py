"""Checklists: readable by every user; drafts edited, activated and versioned by the office."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from zhenxing.inspections import services
from zhenxing.inspections.models import InspectionTemplate, TemplateItem, TemplateStatus

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


@pytest.fixture
def draft(insp, world) -> InspectionTemplate:
    """GEN v2, a draft copy of the general checklist in use."""
    return services.template_new_version(template=insp.general, actor=world.admin)


def item_data(prefix: str, **extra: Any) -> dict[str, Any]:
    data = {
        "code": "A09",
        "text": "违规张贴",
        "unit": "处",
        "points_per_unit": "1.5",
        "max_deduction": "6",
        "category": "",
        "order": "9",
    }
    data.update(extra)
    return {f"{prefix}-{k}": v for k, v in data.items()}


# --- methods and reading ---------------------------------------------------------------------


def test_wrong_methods_are_405(insp, world, client_for):
    client = client_for(world.admin)
    assert client.post(reverse("inspections:templates")).status_code == 405
    assert client.put(url("inspections:template", insp.general.pk)).status_code == 405
    assert client.get(url("inspections:new_version", insp.general.pk)).status_code == 405
    assert client.get(url("inspections:activate", insp.general.pk)).status_code == 405


@pytest.mark.parametrize("who", ["admin", "secretary_a", "inspector_a", "outsider", "dept_staff"])
def test_every_user_reads_the_checklists(insp, road_template, world, client_for, who):
    client = client_for(getattr(world, who))
    response = client.get(reverse("inspections:templates"))
    assert response.status_code == 200
    heads = [row["head"].code for row in response.context["rows"]]
    assert heads == ["GEN", "ROAD"]  # the general checklist first
    page = client.get(url("inspections:template", insp.general.pk), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "暴露垃圾" in html and "−2" in html and "−10" in html and "no cap" in html
    # Nothing to change on a version in use, and nobody but the office may make a new one.
    assert page.context["add_form"] is None
    assert page.context["offer_new_version"] == (who == "admin")


def test_someone_without_a_role_finds_nothing(insp, world, client_for):
    # The checklists are for the platform's users: to anyone else they are not there.
    client = client_for(world.nobody)
    assert client.get(reverse("inspections:templates")).status_code == 404
    assert client.get(url("inspections:template", insp.general.pk)).status_code == 404
    response = client.post(url("inspections:template", insp.general.pk), {"action": "add_item"})
    assert response.status_code == 404


def test_the_counting_unit_is_not_the_assessed_unit(draft, insp, world, client_for):
    # "Unit" alone is the assessed unit (考核对象) of the rankings; the checklist's 处 is
    # a counting unit, with a msgid of its own (计量单位).
    from django.utils import translation

    client = client_for(world.admin)
    html = client.get(url("inspections:template", draft.pk)).content.decode()  # zh-hans
    with translation.override("zh-hans"):
        assessed = translation.gettext("Unit")
        counting = translation.pgettext("counting unit", "Unit")
    assert assessed == "考核对象"
    assert f">{assessed}<" not in html
    assert f'<th scope="col">{counting}</th>' in html
    label = f'<label class="form-label fw-semibold" for="id_new-unit">{counting}'
    assert label in html


def test_an_unknown_template_is_404(insp, world, client_for):
    assert client_for(world.admin).get(url("inspections:template", 99999)).status_code == 404


def test_the_list_groups_versions(draft, insp, world, client_for):
    response = client_for(world.admin).get(reverse("inspections:templates"))
    (row,) = response.context["rows"]
    assert row["head"] == insp.general  # the version in use names the checklist
    assert [t.version for t in row["versions"]] == [2, 1]
    assert [t.item_count for t in row["versions"]] == [3, 3]


# --- a new version, its items, activation ----------------------------------------------------


def test_the_office_makes_a_new_version(insp, world, client_for):
    client = client_for(world.admin)
    response = client.post(url("inspections:new_version", insp.general.pk))
    draft = InspectionTemplate.objects.get(code="GEN", version=2)
    assert response.status_code == 302
    assert response.url == url("inspections:template", draft.pk)
    assert draft.status == TemplateStatus.DRAFT and draft.items.count() == 3
    page = client.get(response.url)
    assert page.context["editable"] and page.context["add_form"] is not None
    # A second draft of the same checklist is refused.
    again = client.post(url("inspections:new_version", insp.general.pk))
    assert again.status_code == 409
    assert InspectionTemplate.objects.filter(code="GEN").count() == 2


@pytest.mark.parametrize("who", ["secretary_a", "inspector_a", "dept_staff"])
def test_others_may_not_change_checklists(draft, insp, world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.post(url("inspections:new_version", insp.general.pk)).status_code == 403
    data = {"action": "add_item", **item_data("new")}
    assert client.post(url("inspections:template", draft.pk), data).status_code == 403
    assert client.post(url("inspections:activate", draft.pk), {"confirm": "on"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT and draft.items.count() == 3


def test_adding_changing_and_deleting_items_of_a_draft(draft, insp, world, client_for):
    client = client_for(world.admin)
    target = url("inspections:template", draft.pk)
    response = client.post(
        target, {"action": "add_item", **item_data("new", category=insp.garbage_cat.pk)}
    )
    assert response.status_code == 302
    added = draft.items.get(code="A09")
    assert added.points_per_unit == Decimal("1.5") and added.max_deduction == 6
    assert added.category == insp.garbage_cat

    edit = {"action": "edit_item", "item": added.pk}
    edit.update(item_data(f"item{added.pk}", text="乱张贴", max_deduction=""))
    assert client.post(target, edit).status_code == 302
    added.refresh_from_db()
    assert added.text == "乱张贴" and added.max_deduction is None

    response = client.post(target, {"action": "delete_item", "item": added.pk})
    assert response.status_code == 302
    assert not draft.items.filter(code="A09").exists()
    # The version in use never changed.
    assert insp.general.items.count() == 3


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"points_per_unit": "0"}, "points_per_unit"),
        ({"points_per_unit": "x"}, "points_per_unit"),
        ({"max_deduction": "1", "points_per_unit": "2"}, "max_deduction"),
        ({"text": ""}, "text"),
        ({"category": "99999"}, "category"),
        ({"order": "-1"}, "order"),
    ],
)
def test_bad_items_are_400_and_nothing_saved(draft, world, client_for, extra, field):
    response = client_for(world.admin).post(
        url("inspections:template", draft.pk), {"action": "add_item", **item_data("new", **extra)}
    )
    assert response.status_code == 400
    assert field in response.context["add_form"].errors
    assert response.context["add_open"]
    assert draft.items.count() == 3


def test_a_duplicate_code_is_refused_by_the_service(draft, world, client_for):
    response = client_for(world.admin).post(
        url("inspections:template", draft.pk),
        {"action": "add_item", **item_data("new", code="A01")},
    )
    assert response.status_code == 400
    assert response.context["add_form"].non_field_errors()
    assert draft.items.count() == 3


def test_unknown_actions_and_items(draft, insp, world, client_for):
    client = client_for(world.admin)
    target = url("inspections:template", draft.pk)
    assert client.post(target, {"action": "explode"}).status_code == 400
    assert client.post(target, {"action": "delete_item", "item": "x"}).status_code == 404
    # An item of another version is not this draft's.
    other = {"action": "delete_item", "item": insp.garbage.pk}
    assert client.post(target, other).status_code == 404
    assert TemplateItem.objects.filter(pk=insp.garbage.pk).exists()


def test_a_version_in_use_cannot_change(insp, world, client_for):
    response = client_for(world.admin).post(
        url("inspections:template", insp.general.pk),
        {"action": "add_item", **item_data("new")},
        **EN,
    )
    assert response.status_code == 409
    assert "make a new version" in response.content.decode()
    assert insp.general.items.count() == 3


def test_activating_retires_the_version_in_use(draft, insp, world, client_for):
    client = client_for(world.admin)
    refused = client.post(url("inspections:activate", draft.pk), {})
    assert refused.status_code == 400 and refused.context["activate_open"]
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT

    response = client.post(url("inspections:activate", draft.pk), {"confirm": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    insp.general.refresh_from_db()
    assert draft.status == TemplateStatus.ACTIVE
    assert insp.general.status == TemplateStatus.RETIRED
    assert client.post(url("inspections:activate", draft.pk), {"confirm": "on"}).status_code == 409


def test_an_empty_draft_is_not_activated(draft, world, client_for):
    for item in list(draft.items.all()):
        services.template_item_delete(item=item, actor=world.admin)
    response = client_for(world.admin).post(
        url("inspections:activate", draft.pk), {"confirm": "on"}
    )
    assert response.status_code == 400
    assert response.context["activate_form"].non_field_errors()
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT


def test_the_list_stays_within_its_query_budget(
    draft, road_template, world, client_for, django_assert_max_num_queries
):
    client = client_for(world.secretary_a)
    client.get(reverse("inspections:templates"))
    with django_assert_max_num_queries(8):
        client.get(reverse("inspections:templates"))
