"""The assessment's Django admin is for office admins of the whole territory only.

Django's model permissions know no territory: a community secretary given
staff access and every "view"/"change" permission of the app must still not
read the snapshots (unreleased inspection scores, evidence), the lists, the
rewards and criticism of other communities' cadres, or edit the scheme,
the list rules or the periods. Seen from that secretary's side.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from zhenxing.assessment.models import (
    IncentiveKind,
    IncentiveRecord,
    ListEntry,
    ListKind,
    ListRule,
    Scheme,
    ScoreSnapshot,
    UnitKind,
)
from zhenxing.assessment.services import period_close
from zhenxing.people.models import User

from .conftest import at

MODELS = ["period", "scheme", "listrule", "incentiverecord", "scoresnapshot", "listentry"]


def staff_with_every_permission(user: User, *app_labels: str) -> User:
    """Staff access and every permission Django has for these apps (a fresh user object)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=app_labels))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def closed_week(world, week47, frozen, scheme, make_inspection):
    """W47 closed with an unreleased 87.5 of 社区甲, a red list and a criticism of its cadre."""
    scheme()
    ListRule.objects.create(
        name="周红榜",
        kind=ListKind.RED,
        unit_kind=UnitKind.COMMUNITY,
        period_kind="week",
        top_n=1,
    )
    make_inspection(world.area_a1, 18, 87.5)
    period_close(period=week47, actor=world.admin)
    week47.refresh_from_db()
    IncentiveRecord.objects.create(
        kind=IncentiveKind.INTERVIEW,
        date=at(25).date(),
        period=week47,
        community=world.b,
        cadre=world.outsider,
        reason="黑榜末位约谈",
        recorded_by=world.admin,
    )
    return week47


def _objects(period) -> dict[str, int]:
    snapshot = ScoreSnapshot.objects.get(
        period=period, unit_kind=UnitKind.COMMUNITY, unit_key="GC01"
    )
    return {
        "period": period.pk,
        "scheme": Scheme.objects.get(is_active=True).pk,
        "listrule": ListRule.objects.get().pk,
        "incentiverecord": IncentiveRecord.objects.get().pk,
        "scoresnapshot": snapshot.pk,
        "listentry": ListEntry.objects.get(period=period, unit_key="GC01").pk,
    }


def test_the_snapshot_holds_the_unreleased_score(closed_week):
    # What is at stake: the row carries the embargoed score and the inspection behind it.
    snapshot = ScoreSnapshot.objects.get(period=closed_week, unit_key="GC01")
    assert snapshot.values["inspection_score"]["value"] == pytest.approx(87.5)
    assert snapshot.evidence["inspection_score.num"]


@pytest.mark.parametrize("model", MODELS)
def test_a_staff_secretary_with_every_permission_is_refused(client_for, world, closed_week, model):
    secretary = staff_with_every_permission(world.secretary_a, "assessment")
    assert secretary.has_perm(f"assessment.view_{model}")
    client = client_for(secretary)
    pk = _objects(closed_week)[model]
    assert client.get(reverse(f"admin:assessment_{model}_changelist")).status_code == 403
    page = client.get(reverse(f"admin:assessment_{model}_change", args=[pk]))
    assert page.status_code == 403
    assert "87.5" not in page.content.decode()
    assert client.get(reverse(f"admin:assessment_{model}_history", args=[pk])).status_code == 403
    assert client.get(reverse(f"admin:assessment_{model}_delete", args=[pk])).status_code == 403


@pytest.mark.parametrize("model", ["scheme", "listrule", "incentiverecord"])
def test_a_staff_secretary_cannot_add(client_for, world, closed_week, model):
    client = client_for(staff_with_every_permission(world.secretary_a, "assessment"))
    assert client.get(reverse(f"admin:assessment_{model}_add")).status_code == 403


def test_a_staff_secretary_cannot_change_a_list_rule(client_for, world, closed_week):
    client = client_for(staff_with_every_permission(world.secretary_a, "assessment"))
    rule = ListRule.objects.get()
    response = client.post(
        reverse("admin:assessment_listrule_change", args=[rule.pk]),
        {
            "name": "周红榜",
            "kind": "red",
            "unit_kind": "community",
            "period_kind": "week",
            "top_n": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.top_n == 1


def test_the_app_is_not_offered_to_a_staff_secretary(client_for, world, closed_week):
    client = client_for(staff_with_every_permission(world.secretary_a, "assessment"))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("admin:app_list", args=["assessment"]) not in index.content.decode()
    assert client.get(reverse("admin:app_list", args=["assessment"])).status_code == 404


@pytest.mark.parametrize("model", MODELS)
def test_the_whole_territory_admin_still_sees_them(client_for, world, closed_week, model):
    admin = staff_with_every_permission(world.admin, "assessment")
    client = client_for(admin)
    pk = _objects(closed_week)[model]
    assert client.get(reverse(f"admin:assessment_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:assessment_{model}_change", args=[pk])).status_code == 200


def test_the_whole_territory_admin_sees_the_snapshot_and_edits_a_rule(
    client_for, world, closed_week
):
    client = client_for(staff_with_every_permission(world.admin, "assessment"))
    assert reverse("admin:app_list", args=["assessment"]) in (
        client.get(reverse("admin:index")).content.decode()
    )
    snapshot = ScoreSnapshot.objects.get(period=closed_week, unit_key="GC01")
    page = client.get(reverse("admin:assessment_scoresnapshot_change", args=[snapshot.pk]))
    assert "87.5" in page.content.decode()
    rule = ListRule.objects.get()
    response = client.post(
        reverse("admin:assessment_listrule_change", args=[rule.pk]),
        {
            "name": "周红榜",
            "kind": "red",
            "unit_kind": "community",
            "period_kind": "week",
            "top_n": 2,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.top_n == 2


def test_results_stay_read_only_for_the_whole_territory_admin(client_for, world, closed_week):
    client = client_for(staff_with_every_permission(world.admin, "assessment"))
    ids = _objects(closed_week)
    for model in ("period", "scoresnapshot", "listentry"):
        assert client.get(reverse(f"admin:assessment_{model}_add")).status_code == 403
        deleted = client.post(
            reverse(f"admin:assessment_{model}_delete", args=[ids[model]]), {"post": "yes"}
        )
        assert deleted.status_code == 403
    snapshot = ScoreSnapshot.objects.get(pk=ids["scoresnapshot"])
    forged = client.post(
        reverse("admin:assessment_scoresnapshot_change", args=[snapshot.pk]),
        {"composite": "100"},
    )
    assert forged.status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.composite != Decimal("100")


def test_a_superuser_passes(client, world, closed_week):
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    ids = _objects(closed_week)
    for model in MODELS:
        assert client.get(reverse(f"admin:assessment_{model}_changelist")).status_code == 200
    response = client.get(
        reverse("admin:assessment_incentiverecord_change", args=[ids["incentiverecord"]])
    )
    assert "黑榜末位约谈" in response.content.decode()
