"""The plan's writes (plans.services): every rule and every refusal, from both sides."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from zhenxing.core.models import AuditEntry
from zhenxing.plans.models import (
    Arrangement,
    ArrangementStatus,
    ProgressPhoto,
    ProgressReport,
    WeeklyTarget,
)
from zhenxing.plans.services import (
    PlanConflict,
    PlanError,
    arrangement_cancel,
    arrangement_create,
    progress_report,
    target_set,
    targets_set_many,
)
from zhenxing.plans.tests.conftest import TODAY, WEEK, make_arrangement, photo


@pytest.fixture(autouse=True)
def _english_messages():
    """The refusals are matched by their English msgids (the site's language is zh-hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield


NEXT = WEEK + datetime.timedelta(days=7)


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- weekly targets -------------------------------------------------------------------


def test_a_target_is_set_for_the_monday_of_its_week_and_audited(plan, world):
    # Wednesday of next week: stored as its Monday.
    target = target_set(
        actor=world.secretary_a,
        area=world.area_a2,
        task_type=plan.demolish,
        week=NEXT + datetime.timedelta(days=2),
        quantity=Decimal("12.5"),
    )
    assert target.week == NEXT and target.quantity == Decimal("12.50")
    assert target.region_path == world.area_a2.path and target.updated_by == world.secretary_a
    entry = AuditEntry.objects.get(action="plan.target")
    assert entry.changes["quantity"] == [None, "12.50"]
    assert entry.changes["area"] == "GC01-01-B" and entry.changes["week"] == NEXT.isoformat()


def test_a_target_is_changed_left_alone_and_removed(plan, world):
    changed = target_set(
        actor=world.admin, area=world.area_a1, task_type=plan.clean, week=WEEK, quantity=15
    )
    assert changed.quantity == Decimal("15.00")
    assert WeeklyTarget.objects.filter(area=world.area_a1, task_type=plan.clean).count() == 2
    # The same value again writes nothing.
    target_set(actor=world.admin, area=world.area_a1, task_type=plan.clean, week=WEEK, quantity=15)
    assert AuditEntry.objects.filter(action="plan.target").count() == 1
    # Empty or None removes it; removing what is not there is a no-op.
    assert (
        target_set(
            actor=world.admin, area=world.area_a1, task_type=plan.clean, week=WEEK, quantity=""
        )
        is None
    )
    assert not WeeklyTarget.objects.filter(area=world.area_a1, task_type=plan.clean, week=WEEK)
    target_set(
        actor=world.admin, area=world.area_a1, task_type=plan.clean, week=WEEK, quantity=None
    )
    changes = [
        e.changes["quantity"]
        for e in AuditEntry.objects.filter(action="plan.target").order_by("pk")
    ]
    assert changes == [["10.00", "15.00"], ["15.00", None]]


@pytest.mark.parametrize(
    "quantity, message",
    [
        (Decimal("-1"), "cannot be negative"),
        ("abc", "must be a number"),
        ("NaN", "must be a number"),
        ("1.234", "at most two decimals"),
        ("10000000000", "too large"),
    ],
)
def test_a_bad_quantity_is_refused(plan, world, quantity, message):
    with pytest.raises(PlanError, match=message):
        target_set(
            actor=world.admin,
            area=world.area_a1,
            task_type=plan.clean,
            week=WEEK,
            quantity=quantity,
        )
    assert (
        WeeklyTarget.objects.get(area=world.area_a1, task_type=plan.clean, week=WEEK).quantity == 10
    )


def test_targets_are_for_areas_only(plan, world):
    for region in (plan.street, world.coop_a, world.a, world.root):
        with pytest.raises(PlanError, match="areas only"):
            target_set(actor=world.admin, area=region, task_type=plan.clean, week=WEEK, quantity=1)


def test_a_closed_campaign_and_a_week_outside_the_campaign_are_refused(plan, world):
    with pytest.raises(PlanError, match="closed"):
        target_set(
            actor=world.admin, area=world.area_a1, task_type=plan.toilets, week=WEEK, quantity=1
        )
    # The campaign runs 2026-11-02 .. 2027-01-31.
    for week in (datetime.date(2026, 10, 26), datetime.date(2027, 2, 1)):
        with pytest.raises(PlanError, match="outside the campaign"):
            target_set(
                actor=world.admin, area=world.area_a1, task_type=plan.clean, week=week, quantity=1
            )
    # The week holding the last day (Monday 2027-01-25) is still inside.
    assert target_set(
        actor=world.admin,
        area=world.area_a1,
        task_type=plan.clean,
        week=datetime.date(2027, 1, 31),
        quantity=1,
    ).week == datetime.date(2027, 1, 25)


def test_only_planners_of_the_place_set_targets(plan, world):
    for actor in (
        world.outsider,  # the secretary of 社区乙
        world.team_leader_a,  # reports, does not plan
        world.inspector_a,
        world.party_member_a,
        world.dept_staff,
        world.nobody,
    ):
        with pytest.raises(PermissionDenied):
            target_set(actor=actor, area=world.area_a1, task_type=plan.clean, week=WEEK, quantity=1)
    # The outsider plans their own community; the secretary of 社区甲 does not.
    target_set(
        actor=world.outsider, area=world.area_b1, task_type=plan.clean, week=WEEK, quantity=6
    )
    with pytest.raises(PermissionDenied):
        target_set(
            actor=world.secretary_a, area=world.area_b1, task_type=plan.clean, week=WEEK, quantity=7
        )
    assert WeeklyTarget.objects.get(area=world.area_b1, task_type=plan.clean).quantity == 6
    assert (
        WeeklyTarget.objects.get(area=world.area_a1, task_type=plan.clean, week=WEEK).quantity == 10
    )


def test_many_targets_are_set_at_once_with_one_audit_row(plan, world):
    counts = targets_set_many(
        actor=world.secretary_a,
        rows=[
            (world.area_a1, plan.clean, WEEK, Decimal("11")),  # changed
            (world.area_a2, plan.clean, WEEK, Decimal("20")),  # unchanged
            (world.area_a1, plan.demolish, WEEK, None),  # removed
            (world.area_a2, plan.demolish, WEEK, ""),  # nothing to remove: unchanged
            (world.area_a1, plan.clean, NEXT, Decimal("9")),  # new
            (world.area_a2, plan.clean, NEXT + datetime.timedelta(days=3), Decimal("4")),  # new
        ],
    )
    assert counts == {"created": 2, "updated": 1, "deleted": 1, "unchanged": 2}
    got = {
        (t.area.code, t.task_type.code, t.week): t.quantity
        for t in WeeklyTarget.objects.filter(area__in=[world.area_a1, world.area_a2])
    }
    assert got == {
        ("GC01-01-A", "QL", WEEK): Decimal("11"),
        ("GC01-01-B", "QL", WEEK): Decimal("20"),
        ("GC01-01-A", "QL", NEXT): Decimal("9"),
        ("GC01-01-B", "QL", NEXT): Decimal("4"),
        ("GC01-01-A", "QL", plan.prev): Decimal("8"),
    }
    entry = AuditEntry.objects.get(action="plan.import")
    assert entry.changes["created"] == 2 and entry.changes["deleted"] == 1
    assert not AuditEntry.objects.filter(action="plan.target").exists()


@pytest.mark.parametrize(
    "bad_row, error",
    [
        ("outsider_area", PermissionDenied),
        ("negative", PlanError),
        ("street", PlanError),
        ("duplicate", PlanError),
    ],
)
def test_many_targets_are_all_or_nothing(plan, world, bad_row, error):
    bad = {
        "outsider_area": (world.area_b1, plan.clean, WEEK, Decimal("1")),
        "negative": (world.area_a2, plan.clean, NEXT, Decimal("-1")),
        "street": (plan.street, plan.clean, NEXT, Decimal("1")),
        "duplicate": (world.area_a1, plan.clean, WEEK + datetime.timedelta(days=1), Decimal("3")),
    }[bad_row]
    before = set(WeeklyTarget.objects.values_list("pk", "quantity"))
    with pytest.raises(error):
        targets_set_many(
            actor=world.secretary_a,
            rows=[(world.area_a1, plan.clean, WEEK, Decimal("99")), bad],
        )
    assert set(WeeklyTarget.objects.values_list("pk", "quantity")) == before
    assert not AuditEntry.objects.filter(action="plan.import").exists()


def test_no_rows_change_nothing(plan, world):
    assert targets_set_many(actor=world.admin, rows=[]) == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    assert not AuditEntry.objects.filter(action="plan.import").exists()


# --- arrangements ------------------------------------------------------------------------


def test_a_secretary_arranges_a_team_and_people_on_a_street(plan, world, freeze):
    arrangement = arrangement_create(
        actor=world.secretary_a,
        date=TODAY,
        region=plan.street,
        task_type=plan.clean,
        team=plan.team_a,
        people=[world.team_leader_a, world.party_member_a, world.team_leader_a],
        people_names=" 张三、李四 ",
        planned_quantity="2.5",
        note="清理巷口堆放",
    )
    assert arrangement.status == ArrangementStatus.PLANNED and arrangement.version == 1
    assert arrangement.region_path == plan.street.path
    assert set(arrangement.people.all()) == {world.team_leader_a, world.party_member_a}
    assert arrangement.people_names == "张三、李四"
    assert arrangement.planned_quantity == Decimal("2.50")
    assert arrangement.created_by == world.secretary_a
    entry = AuditEntry.objects.get(action="plan.arrange")
    assert entry.changes["team"] == "甲队" and entry.changes["place"] == "GC01-01-A-01"


def test_an_arrangement_is_for_an_area_or_a_street(plan, world, freeze):
    for region in (world.coop_a, world.a):
        with pytest.raises(PlanError, match="area or a street"):
            arrangement_create(actor=world.admin, date=TODAY, region=region, task_type=plan.clean)
    assert (
        arrangement_create(
            actor=world.admin, date=TODAY, region=world.area_a1, task_type=plan.clean
        ).team
        is None
    )


def test_an_arrangement_refuses_a_team_or_a_person_from_elsewhere(plan, world, freeze):
    with pytest.raises(PlanError, match="does not work in this community"):
        arrangement_create(
            actor=world.admin,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            team=plan.team_b,
        )
    for person in (world.outsider, world.nobody):
        with pytest.raises(PlanError, match="cannot see"):
            arrangement_create(
                actor=world.admin,
                date=TODAY,
                region=world.area_a1,
                task_type=plan.clean,
                people=[person],
            )
    assert not Arrangement.objects.exists()


def test_an_arrangement_refuses_dates_and_campaigns_outside_the_plan(plan, world, freeze):
    for day in (datetime.date(2026, 11, 1), datetime.date(2027, 2, 1)):
        with pytest.raises(PlanError, match="outside the campaign"):
            arrangement_create(
                actor=world.admin, date=day, region=world.area_a1, task_type=plan.clean
            )
    with pytest.raises(PlanError, match="closed"):
        arrangement_create(
            actor=world.admin, date=TODAY, region=world.area_a1, task_type=plan.toilets
        )
    with pytest.raises(PlanError, match="negative"):
        arrangement_create(
            actor=world.admin,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            planned_quantity=-1,
        )
    with pytest.raises(PlanError, match="500"):
        arrangement_create(
            actor=world.admin,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            note="x" * 501,
        )


def test_only_planners_of_the_place_arrange(plan, world, freeze):
    for actor in (world.outsider, world.team_leader_a, world.party_member_a, world.nobody):
        with pytest.raises(PermissionDenied):
            arrangement_create(actor=actor, date=TODAY, region=world.area_a1, task_type=plan.clean)
    arrangement_create(actor=world.outsider, date=TODAY, region=world.area_b1, task_type=plan.clean)
    assert Arrangement.objects.get().region == world.area_b1


def test_an_arrangement_is_cancelled_once(plan, world, freeze):
    arrangement = make_arrangement(world.area_a1, plan.clean, TODAY)
    with pytest.raises(PermissionDenied):
        arrangement_cancel(actor=world.outsider, arrangement=arrangement)
    with pytest.raises(PermissionDenied):
        arrangement_cancel(actor=world.team_leader_a, arrangement=arrangement)
    with pytest.raises(PlanConflict, match="changed meanwhile"):
        arrangement_cancel(actor=world.secretary_a, arrangement=arrangement, expected_version=7)
    done = arrangement_cancel(actor=world.secretary_a, arrangement=arrangement, expected_version=1)
    assert done.status == ArrangementStatus.CANCELLED and done.version == 2
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.CANCELLED and arrangement.version == 2
    assert AuditEntry.objects.filter(action="plan.arrangement_cancel").count() == 1
    with pytest.raises(PlanConflict, match="already cancelled"):
        arrangement_cancel(actor=world.secretary_a, arrangement=arrangement)
    finished = make_arrangement(world.area_a1, plan.clean, TODAY, status=ArrangementStatus.DONE)
    with pytest.raises(PlanConflict, match="already done"):
        arrangement_cancel(actor=world.secretary_a, arrangement=finished)


# --- progress reports -------------------------------------------------------------------


def test_a_team_leader_reports_an_arrangement_done_with_photos(
    plan, world, freeze, private_media, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    arrangement = make_arrangement(plan.street, plan.clean, TODAY, team=plan.team_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = progress_report(
            actor=world.team_leader_a,
            date=TODAY,
            region=plan.street,
            task_type=plan.clean,
            quantity=Decimal("1.75"),
            note="巷口清完",
            arrangement=arrangement,
            photos=[photo("green"), photo("blue")],
        )
    assert report.team == plan.team_a  # taken from the arrangement
    assert report.region_path == plan.street.path and report.reported_by == world.team_leader_a
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.DONE and arrangement.version == 2
    photos = list(ProgressPhoto.objects.filter(report=report))
    assert len(photos) == 2 and not any(p.ready for p in photos)
    assert all(p.original.startswith("plans/") for p in photos)
    assert len(files_under(private_media)) == 2
    assert AuditEntry.objects.get(action="plan.report").changes["photos"] == 2
    for callback in callbacks:
        callback()
    assert all(p.ready for p in ProgressPhoto.objects.all())
    assert len(files_under(private_media)) == 6
    # A second report on a done arrangement is another batch of the same work.
    progress_report(
        actor=world.team_leader_a,
        date=TODAY,
        region=plan.street,
        task_type=plan.clean,
        quantity=1,
        arrangement=arrangement,
    )
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.DONE and arrangement.reports.count() == 2


def test_the_photo_task_makes_the_derivatives(plan, world, freeze, private_media):
    from zhenxing.plans.tasks import make_progress_photo_derivatives

    report = progress_report(
        actor=world.secretary_a,
        date=TODAY,
        region=world.area_a1,
        task_type=plan.clean,
        quantity=1,
        photos=[photo()],
    )
    stored = report.photos.get()
    make_progress_photo_derivatives.call(stored.pk)
    make_progress_photo_derivatives.call(stored.pk)  # twice is harmless
    make_progress_photo_derivatives.call(stored.pk + 99)  # gone meanwhile: nothing
    stored.refresh_from_db()
    assert stored.ready and len(files_under(private_media)) == 3


def test_a_failed_report_leaves_no_files(plan, world, freeze, private_media):
    other = make_arrangement(world.area_a2, plan.clean, TODAY)
    with pytest.raises(PlanError, match="does not match"):
        progress_report(
            actor=world.secretary_a,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            quantity=1,
            arrangement=other,
            photos=[photo()],
        )
    assert files_under(private_media) == [] and not ProgressPhoto.objects.exists()
    other.refresh_from_db()
    assert other.status == ArrangementStatus.PLANNED


def test_a_report_must_match_a_live_arrangement(plan, world, freeze):
    wrong_task = make_arrangement(world.area_a1, plan.demolish, TODAY)
    cancelled = make_arrangement(world.area_a1, plan.clean, TODAY, status="cancelled")
    with pytest.raises(PlanError, match="does not match"):
        progress_report(
            actor=world.secretary_a,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            quantity=1,
            arrangement=wrong_task,
        )
    with pytest.raises(PlanConflict, match="cancelled"):
        progress_report(
            actor=world.secretary_a,
            date=TODAY,
            region=world.area_a1,
            task_type=plan.clean,
            quantity=1,
            arrangement=cancelled,
        )
    assert ProgressReport.objects.filter(date=TODAY).count() == 0


def test_a_report_refuses_the_future_the_time_before_the_campaign_and_bad_amounts(
    plan, world, freeze
):
    def report(**kw):
        args = {
            "actor": world.secretary_a,
            "date": TODAY,
            "region": world.area_a1,
            "task_type": plan.clean,
            "quantity": 1,
        }
        return progress_report(**{**args, **kw})

    with pytest.raises(PlanError, match="still to come"):
        report(date=TODAY + datetime.timedelta(days=1))
    with pytest.raises(PlanError, match="outside the campaign"):
        report(date=datetime.date(2026, 11, 1))
    with pytest.raises(PlanError, match="negative"):
        report(quantity=-2)
    with pytest.raises(PlanError, match="closed"):
        report(task_type=plan.toilets)
    with pytest.raises(PlanError, match="area or a street"):
        report(region=world.coop_a)
    with pytest.raises(PlanError, match="does not work in this community"):
        report(team=plan.team_b)
    # Today and the campaign's first day are fine; zero is a report too (nothing left to do).
    assert report().quantity == 1
    assert report(date=datetime.date(2026, 11, 2), quantity=0).quantity == 0


def test_only_planners_and_team_leaders_of_the_place_report(plan, world, freeze):
    for actor in (world.outsider, world.party_member_a, world.inspector_a, world.nobody):
        with pytest.raises(PermissionDenied):
            progress_report(
                actor=actor, date=TODAY, region=world.area_a1, task_type=plan.clean, quantity=1
            )
    # The team leader of 社区甲 reports there but not in 社区乙.
    with pytest.raises(PermissionDenied):
        progress_report(
            actor=world.team_leader_a,
            date=TODAY,
            region=world.area_b1,
            task_type=plan.clean,
            quantity=1,
        )
    for actor in (world.team_leader_a, world.secretary_a, world.admin):
        progress_report(
            actor=actor, date=TODAY, region=world.area_a1, task_type=plan.clean, quantity=1
        )
    assert ProgressReport.objects.filter(date=TODAY).count() == 3
    assert AuditEntry.objects.filter(action="plan.report").count() == 3


# --- the Django admin ----------------------------------------------------------------------


def _staff(user):
    from django.contrib.auth.models import Permission

    from zhenxing.people.models import User

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="plans"))
    return User.objects.get(pk=user.pk)


PLAN_MODELS = ["campaign", "weeklytarget", "arrangement", "progressreport"]


@pytest.mark.parametrize("model", PLAN_MODELS)
def test_the_admin_is_for_whole_territory_admins_only(plan, world, client_for, model):
    from django.urls import reverse

    url = reverse(f"admin:plans_{model}_changelist")
    assert client_for(_staff(world.secretary_a)).get(url).status_code == 403
    assert client_for(_staff(world.admin)).get(url).status_code == 200


def test_the_admin_edits_a_campaign_and_its_task_types_with_an_audit(plan, world, client_for):
    from django.urls import reverse

    client = client_for(_staff(world.admin))
    tasks = list(plan.campaign.task_types.order_by("pk"))
    form = {
        "code": "SQSC",
        "name": "三清三拆三整治",
        "description": "",
        "start": "2026-11-02",
        "end": "2027-01-31",
        "is_active": "on",
        "order": "1",
        "task_types-TOTAL_FORMS": "3",
        "task_types-INITIAL_FORMS": "2",
        "task_types-MIN_NUM_FORMS": "1",
        "task_types-MAX_NUM_FORMS": "1000",
    }
    for i, t in enumerate(tasks):
        form |= {
            f"task_types-{i}-id": str(t.pk),
            f"task_types-{i}-campaign": str(plan.campaign.pk),
            f"task_types-{i}-order": str(t.order),
            f"task_types-{i}-code": t.code,
            f"task_types-{i}-name": t.name,
            f"task_types-{i}-unit": t.unit,
        }
    form |= {
        "task_types-2-order": "3",
        "task_types-2-code": "ZZ",
        "task_types-2-name": "整治田头棚",
        "task_types-2-unit": "spot",
    }
    response = client.post(reverse("admin:plans_campaign_change", args=[plan.campaign.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert plan.campaign.task_types.filter(code="ZZ", unit="spot").exists()
    entry = AuditEntry.objects.get(action="admin.plans.campaign.task_types")
    assert entry.changes["ZZ"] == [None, "整治田头棚 (spot)"]
    # An end before the start is refused.
    response = client.post(
        reverse("admin:plans_campaign_change", args=[plan.campaign.pk]),
        form | {"end": "2026-10-01", "task_types-2-code": "ZY"},
    )
    assert response.status_code == 200 and not plan.campaign.task_types.filter(code="ZY")


def test_the_plan_rows_are_read_only_in_the_admin(plan, world, client_for):
    from django.urls import reverse

    client = client_for(_staff(world.admin))
    target = WeeklyTarget.objects.first()
    assert client.get(reverse("admin:plans_weeklytarget_add")).status_code == 403
    assert (
        client.get(reverse("admin:plans_weeklytarget_change", args=[target.pk])).status_code == 200
    )
    response = client.post(
        reverse("admin:plans_weeklytarget_delete", args=[target.pk]), {"post": "yes"}
    )
    assert response.status_code == 403 and WeeklyTarget.objects.filter(pk=target.pk).exists()
    report = ProgressReport.objects.first()
    page = client.get(reverse("admin:plans_progressreport_change", args=[report.pk]))
    assert page.status_code == 200
