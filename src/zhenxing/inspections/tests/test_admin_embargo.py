"""The inspections' Django admin is for office admins of the whole territory only.

Django's model permissions know no territory and no embargo: a community
secretary given staff access and every permission of the app must not see
the rounds (the plan is secret), the inspections (before release: the score;
after it: who scored it and the round's title, which the pages never show a
community) or the checklists. Seen from that secretary's side.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from zhenxing.inspections.models import AreaTypeMembership, Inspection
from zhenxing.people.models import User

MODELS = ["areatype", "areatypemembership", "inspectiontemplate", "inspectionround", "inspection"]


def staff_with_every_permission(user: User, *app_labels: str) -> User:
    """Staff access and every permission Django has for these apps (a fresh user object)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=app_labels))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def things(insp, world, round_a, scored_a1) -> dict[str, int]:
    membership = AreaTypeMembership.objects.create(area=world.area_a1, area_type=insp.village)
    return {
        "areatype": insp.village.pk,
        "areatypemembership": membership.pk,
        "inspectiontemplate": insp.general.pk,
        "inspectionround": round_a.pk,
        "inspection": scored_a1.pk,
    }


@pytest.mark.parametrize("model", MODELS)
def test_a_staff_secretary_with_every_permission_is_refused(client_for, world, things, model):
    secretary = staff_with_every_permission(world.secretary_a, "inspections")
    assert secretary.has_perm(f"inspections.view_{model}")
    client = client_for(secretary)
    pk = things[model]
    assert client.get(reverse(f"admin:inspections_{model}_changelist")).status_code == 403
    assert client.get(reverse(f"admin:inspections_{model}_change", args=[pk])).status_code == 403
    # The history page looks its row up in the (visibility-filtered) list before asking
    # about permissions: for a row outside it, the admin's own "no such object" redirect.
    history = client.get(reverse(f"admin:inspections_{model}_history", args=[pk]))
    assert history.status_code in (302, 403)
    assert "社区甲暗检" not in history.content.decode()
    assert client.get(reverse(f"admin:inspections_{model}_delete", args=[pk])).status_code == 403


@pytest.mark.parametrize("model", ["areatype", "areatypemembership", "inspectiontemplate"])
def test_a_staff_secretary_cannot_add_reference_data(client_for, world, things, model):
    client = client_for(staff_with_every_permission(world.secretary_a, "inspections"))
    assert client.get(reverse(f"admin:inspections_{model}_add")).status_code == 403


def test_a_released_result_does_not_name_its_inspector_or_round(client_for, world, things):
    # Released, the score is the community's to see on the pages; who scored it and the
    # round's title are not, and the admin's columns would show both.
    Inspection.objects.filter(pk=things["inspection"]).update(released_at=timezone.now())
    world.inspector_a.display_name = "巡查员甲"
    world.inspector_a.save(update_fields=["display_name"])
    client = client_for(staff_with_every_permission(world.secretary_a, "inspections"))
    for response in (
        client.get(reverse("admin:inspections_inspection_changelist")),
        client.get(reverse("admin:inspections_inspection_change", args=[things["inspection"]])),
    ):
        assert response.status_code == 403
        body = response.content.decode()
        assert "巡查员甲" not in body and "insp_a" not in body and "社区甲暗检" not in body


def test_the_app_is_not_offered_to_a_staff_secretary(client_for, world, things):
    client = client_for(staff_with_every_permission(world.secretary_a, "inspections"))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("admin:app_list", args=["inspections"]) not in index.content.decode()
    assert client.get(reverse("admin:app_list", args=["inspections"])).status_code == 404


def test_an_inspector_made_staff_is_refused_too(client_for, world, things):
    # The inspector may see their own unreleased result on the pages, not the whole table.
    client = client_for(staff_with_every_permission(world.inspector_a, "inspections"))
    assert client.get(reverse("admin:inspections_inspection_changelist")).status_code == 403
    assert client.get(reverse("admin:inspections_inspectionround_changelist")).status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_the_whole_territory_admin_still_sees_them(client_for, world, things, model):
    client = client_for(staff_with_every_permission(world.admin, "inspections"))
    pk = things[model]
    assert client.get(reverse(f"admin:inspections_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:inspections_{model}_change", args=[pk])).status_code == 200


def test_the_whole_territory_admin_sees_the_unreleased_score(client_for, world, things):
    client = client_for(staff_with_every_permission(world.admin, "inspections"))
    assert reverse("admin:app_list", args=["inspections"]) in (
        client.get(reverse("admin:index")).content.decode()
    )
    listing = client.get(reverse("admin:inspections_inspection_changelist")).content.decode()
    assert "94" in listing
    page = client.get(reverse("admin:inspections_inspection_change", args=[things["inspection"]]))
    assert "暴露垃圾" in page.content.decode()  # the finding, inline


def test_rounds_and_inspections_stay_read_only_for_the_whole_territory_admin(
    client_for, world, things
):
    client = client_for(staff_with_every_permission(world.admin, "inspections"))
    for model in ("inspectionround", "inspection"):
        assert client.get(reverse(f"admin:inspections_{model}_add")).status_code == 403
        deleted = client.post(
            reverse(f"admin:inspections_{model}_delete", args=[things[model]]), {"post": "yes"}
        )
        assert deleted.status_code == 403
    forged = client.post(
        reverse("admin:inspections_inspection_change", args=[things["inspection"]]),
        {"score": "100"},
    )
    assert forged.status_code == 403
    assert Inspection.objects.get(pk=things["inspection"]).score == 94


def test_the_whole_territory_admin_still_edits_reference_data(client_for, world, things):
    client = client_for(staff_with_every_permission(world.admin, "inspections"))
    response = client.post(
        reverse("admin:inspections_areatype_change", args=[things["areatype"]]),
        {"code": "CJ", "name": "村居（改）", "order": 1},
    )
    assert response.status_code == 302
