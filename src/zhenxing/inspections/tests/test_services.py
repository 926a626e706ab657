"""The inspections' services: rounds, scoring, findings → cases, voiding, release; every refusal.

Each refusal is checked to leave nothing behind (no row, no file, no audit row).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.utils import timezone

from zhenxing.cases.models import Case, CasePhoto, Source
from zhenxing.core.models import AuditEntry
from zhenxing.inspections import services
from zhenxing.inspections.models import (
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionRound,
    InspectionStatus,
    RoundStatus,
    TemplateStatus,
)
from zhenxing.inspections.selectors import mine
from zhenxing.inspections.services import InspectionConflict, InspectionError
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.territory.models import Region

from .conftest import IN_A1, IN_A2, IN_B1, days, finding, photo, submit


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions below read the services' messages in their English source text."""
    from django.utils import translation

    with translation.override("en"):
        yield


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def plan(world, **kwargs):
    args = {
        "actor": world.admin,
        "date": timezone.localdate(),
        "scope": world.a,
        "inspectors": [world.inspector_a],
    }
    args.update(kwargs)
    if "areas" not in args and "draw_count" not in args:
        args["areas"] = [world.area_a1, world.area_a2]
    return services.round_plan(**args)


# --- round_plan ----------------------------------------------------------------------


def test_a_round_gets_one_inspection_per_area_with_its_checklist(insp, world):
    round_ = plan(world, areas=[world.area_a2, world.area_a1, world.area_a1], note=" 早上 ")
    assert round_.status == RoundStatus.PLANNED and not round_.drawn and round_.draw_seed == ""
    assert round_.planned_by == world.admin and round_.note == "早上"
    assert list(round_.inspectors.all()) == [world.inspector_a]
    rows = list(round_.inspections.order_by("area_path"))
    assert [i.area for i in rows] == [world.area_a1, world.area_a2]  # once each, path order
    for row in rows:
        assert row.template == insp.general
        assert row.inspector == world.inspector_a
        assert row.status == InspectionStatus.PENDING and row.score is None
        assert row.date == round_.date and row.area_path == row.area.path
    entry = AuditEntry.objects.get(action="round.plan")
    assert entry.actor == world.admin
    assert entry.changes["areas"] == ["GC01-01-A", "GC01-01-B"]
    assert entry.changes["inspectors"] == ["insp_a"]


def test_each_area_gets_the_checklist_of_its_type(insp, world, road_template, inspector_gc):
    round_ = plan(
        world,
        scope=world.root,
        inspectors=[inspector_gc],
        areas=[world.area_a1, world.area_b1],
    )
    templates = {i.area.code: i.template for i in round_.inspections.all()}
    assert templates == {"GC01-01-A": insp.general, "GC02-01-A": road_template}


def test_inspectors_take_the_areas_in_turn_in_path_order(insp, world, inspector_gc):
    second = User.objects.create_user(username="insp_2", password="x")
    RoleAssignment.objects.create(user=second, role=Role.INSPECTOR, region=world.root)
    round_ = plan(
        world,
        scope=world.root,
        inspectors=[second, inspector_gc, second],
        areas=[world.area_b1, world.area_a2, world.area_a1],
    )
    assigned = [(i.area.code, i.inspector) for i in round_.inspections.order_by("area_path")]
    assert assigned == [
        ("GC01-01-A", second),
        ("GC01-01-B", inspector_gc),
        ("GC02-01-A", second),
    ]
    assert set(round_.inspectors.all()) == {second, inspector_gc}


def _refused(world, exc, match, **kwargs):
    with pytest.raises(exc, match=match):
        plan(world, **kwargs)
    assert not InspectionRound.objects.exists() and not Inspection.objects.exists()
    assert "round.plan" not in audit_actions()


def test_a_round_is_planned_for_today_or_later_and_within_a_year(insp, world):
    _refused(world, InspectionError, "today or later", date=days(-1))
    _refused(world, InspectionError, "at most 366 days ahead", date=days(367))
    assert plan(world, date=days(366)).date == days(366)


def test_a_round_names_its_areas_or_a_draw_count_but_not_both(insp, world):
    _refused(world, InspectionError, "Choose the areas", areas=[])
    _refused(world, InspectionError, "not both", areas=[world.area_a1], draw_count=1)
    _refused(world, InspectionError, "only used when the areas are drawn", seed="abc")
    gone = Region(pk=999_999, code="X", path="GC/X/")
    _refused(world, InspectionConflict, "changed by someone else", areas=[world.area_a1, gone])
    assert plan(world, seed=" ").draw_seed == ""  # an empty form field is no seed


def test_the_areas_lie_under_the_scope_and_are_areas(insp, world, inspector_gc):
    _refused(
        world,
        InspectionError,
        "乙一片区 lies outside 社区甲",
        inspectors=[inspector_gc],
        areas=[world.area_a1, world.area_b1],
    )
    _refused(world, InspectionError, "甲一经济社 is not an area", areas=[world.coop_a])


def test_every_inspector_covers_every_area(insp, world):
    with pytest.raises(InspectionError, match="insp_a is not an inspector for 乙一片区"):
        plan(world, scope=world.root, areas=[world.area_a1, world.area_b1])
    # A secretary is no inspector, wherever their role.
    _refused(world, InspectionError, "sec_a is not an inspector", inspectors=[world.secretary_a])
    _refused(world, InspectionError, "at least one inspector", inspectors=[])
    world.inspector_a.is_active = False
    world.inspector_a.save()
    _refused(world, InspectionError, "insp_a is not an inspector")


def test_an_area_without_a_checklist_in_use_is_refused(insp, world):
    insp.general.status = TemplateStatus.RETIRED
    insp.general.save()
    _refused(world, InspectionError, "No checklist is in use for 甲一片区")


def test_only_an_office_admin_of_the_scope_plans(insp, world):
    for who in ("secretary_a", "inspector_a", "party_member_a", "dept_staff", "outsider", "nobody"):
        _refused(world, PermissionDenied, None, actor=getattr(world, who))
    local_admin = User.objects.create_user(username="admin_a", password="x")
    RoleAssignment.objects.create(user=local_admin, role=Role.OFFICE_ADMIN, region=world.a)
    plan(world, actor=local_admin)  # their own community: fine
    with pytest.raises(PermissionDenied):
        plan(world, actor=local_admin, scope=world.root, areas=[world.area_a1])


def test_title_and_note_are_bounded(insp, world):
    _refused(world, InspectionError, "title to 100", title="x" * 101)
    _refused(world, InspectionError, "note to 2000", note="x" * 2001)


# --- round_cancel --------------------------------------------------------------------


def test_cancelling_voids_the_pending_inspections_and_keeps_the_scored(round_a, scored_a1, world):
    round_a.refresh_from_db()
    cancelled = services.round_cancel(
        round_=round_a, actor=world.admin, reason="台风", expected_version=round_a.version
    )
    assert cancelled.status == RoundStatus.CANCELLED and cancelled.cancel_reason == "台风"
    assert cancelled.cancelled_at is not None and cancelled.version == round_a.version + 1
    i1, i2 = Inspection.objects.get(pk=round_a.i1.pk), Inspection.objects.get(pk=round_a.i2.pk)
    assert i1.status == InspectionStatus.SUBMITTED and i1.score == Decimal("94")
    assert i2.status == InspectionStatus.VOID and i2.void_reason == "台风"
    assert AuditEntry.objects.get(action="round.cancel").changes["voided"] == 1


def test_cancelling_is_refused_when_stale_done_unexplained_or_not_the_office(round_a, world):
    with pytest.raises(InspectionError, match="Say why"):
        services.round_cancel(round_=round_a, actor=world.admin, reason=" ")
    with pytest.raises(InspectionConflict, match="changed by someone else"):
        services.round_cancel(round_=round_a, actor=world.admin, reason="x", expected_version=9)
    for who in ("inspector_a", "secretary_a", "outsider"):
        with pytest.raises(PermissionDenied):
            services.round_cancel(round_=round_a, actor=getattr(world, who), reason="x")
    assert InspectionRound.objects.get(pk=round_a.pk).status == RoundStatus.PLANNED
    services.round_cancel(round_=round_a, actor=world.admin, reason="x")
    with pytest.raises(InspectionConflict, match="already cancelled"):
        services.round_cancel(round_=round_a, actor=world.admin, reason="x")
    assert audit_actions().count("round.cancel") == 1


def test_a_round_with_nothing_left_pending_cannot_be_cancelled(round_a, insp, world):
    # The page hides the button, but a second tab (or a race with the last score) may post.
    submit(round_a.i1, world.inspector_a)
    services.inspection_void(
        inspection=services.inspection_submit(
            inspection=Inspection.objects.get(pk=round_a.i2.pk),
            actor=world.inspector_a,
            findings=[],
        ),
        actor=world.admin,
        reason="重复",
    )
    with pytest.raises(InspectionConflict, match="nothing to cancel"):
        services.round_cancel(round_=round_a, actor=world.admin, reason="台风")
    round_a.refresh_from_db()
    assert round_a.status == RoundStatus.PLANNED and round_a.cancelled_at is None
    assert "round.cancel" not in audit_actions()


# --- inspection_submit: scoring --------------------------------------------------------


def test_a_score_is_full_marks_minus_the_deductions(round_a, insp, world):
    done = submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 3, note=" 路口 "),
        finding(insp.clutter, 2),
        lat=IN_A1[0],
        lng=IN_A1[1],
        note="晴",
        expected_version=1,
    )
    assert done.status == InspectionStatus.SUBMITTED and done.version == 2
    assert done.deduction == Decimal("8") and done.score == Decimal("92")
    stored = Inspection.objects.get(pk=round_a.i1.pk)
    assert isinstance(stored.score, Decimal) and stored.score == Decimal("92.00")
    assert stored.inspector == world.inspector_a and stored.inspected_at is not None
    assert (stored.lat, stored.lng, stored.note) == (IN_A1[0], IN_A1[1], "晴")
    rows = {f.item.code: f for f in stored.findings.all()}
    assert rows["A01"].count == 3 and rows["A01"].deduction == Decimal("6")
    assert rows["A01"].note == "路口" and rows["A01"].case is None
    assert rows["A02"].deduction == Decimal("1") * 2
    entry = AuditEntry.objects.get(action="inspection.submit")
    assert entry.actor == world.inspector_a
    assert entry.changes["score"] == "92.00" and entry.changes["findings"] == {"A01": 3, "A02": 2}


def test_an_item_deducts_at_most_its_cap(round_a, insp, world):
    done = submit(round_a.i1, world.inspector_a, finding(insp.garbage, 7), finding(insp.board, 3))
    # 暴露垃圾 7 × 2 = 14, capped at 10; 宣传栏 3 × 5 = 15, capped at 5.
    assert done.deduction == Decimal("15") and done.score == Decimal("85")
    assert [f.deduction for f in done.findings.order_by("item__order")] == [
        Decimal("10"),
        Decimal("5"),
    ]


def test_a_score_never_falls_below_zero(round_a, insp, world):
    done = submit(
        round_a.i1, world.inspector_a, finding(insp.clutter, 120), finding(insp.garbage, 9)
    )
    assert done.deduction == Decimal("130")  # what was seen is kept …
    assert done.score == Decimal("0")  # … the score stops at zero


def test_a_clean_area_scores_full_marks(round_a, world):
    done = submit(round_a.i1, world.inspector_a)
    assert done.deduction == Decimal("0") and done.score == Decimal("100")
    assert not Finding.objects.exists()


def test_fractional_points_are_exact(round_a, insp, world):
    insp.clutter.points_per_unit = Decimal("0.1")
    insp.clutter.save()
    done = submit(round_a.i1, world.inspector_a, finding(insp.clutter, 3))
    assert done.deduction == Decimal("0.3") and done.score == Decimal("99.7")


def test_a_second_submit_is_a_conflict(scored_a1, round_a, insp, world):
    with pytest.raises(InspectionConflict, match="already been scored"):
        submit(round_a.i1, world.inspector_a, finding(insp.clutter, 1))
    assert Inspection.objects.get(pk=round_a.i1.pk).score == Decimal("94")
    assert Finding.objects.count() == 1
    assert audit_actions().count("inspection.submit") == 1


def test_a_stale_version_is_a_conflict(round_a, world):
    with pytest.raises(InspectionConflict, match="changed by someone else"):
        submit(round_a.i1, world.inspector_a, expected_version=7)
    assert Inspection.objects.get(pk=round_a.i1.pk).status == InspectionStatus.PENDING


def test_an_inspection_of_a_cancelled_round_cannot_be_scored(round_a, world):
    services.round_cancel(round_=round_a, actor=world.admin, reason="雨")
    with pytest.raises(InspectionConflict, match="cancelled"):
        submit(round_a.i1, world.inspector_a)


def test_a_round_of_a_later_day_is_scored_on_that_day(insp, world):
    round_ = plan(world, date=days(1), areas=[world.area_a1])
    with pytest.raises(InspectionError, match="score it on that day"):
        submit(round_.inspections.get(), world.inspector_a)


def close_week_of(day: datetime.date) -> None:
    """Mark the assessment week holding `day` closed, as `period_close` would."""
    from zhenxing.assessment.models import Period, PeriodKind
    from zhenxing.assessment.services import period_for

    week = period_for(kind=PeriodKind.WEEK, day=day)
    Period.objects.filter(pk=week.pk).update(closed_at=timezone.now())


def test_an_inspection_of_a_closed_week_is_not_scored(round_a, insp, world):
    from zhenxing.assessment.models import PeriodKind
    from zhenxing.assessment.services import period_for

    # A closed month (or an open week) changes nothing: the week is what counts.
    month = period_for(kind=PeriodKind.MONTH, day=round_a.i1.date)
    type(month).objects.filter(pk=month.pk).update(closed_at=timezone.now())
    period_for(kind=PeriodKind.WEEK, day=round_a.i1.date)
    assert submit(round_a.i2, world.inspector_a).status == InspectionStatus.SUBMITTED
    close_week_of(round_a.i1.date)
    # A clear refusal, for the inspector and for trusted code alike.
    for actor in (world.inspector_a, None):
        with pytest.raises(InspectionError, match="week of .* is closed"):
            submit(round_a.i1, actor, finding(insp.garbage, 1))
    assert Inspection.objects.get(pk=round_a.i1.pk).status == InspectionStatus.PENDING
    assert Finding.objects.count() == 0
    assert audit_actions().count("inspection.submit") == 1


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda i: [finding(i.garbage, 1), finding(i.garbage, 2)], "entered twice"),
        (lambda i: [finding(i.garbage, 0)], "from 1 to 999"),
        (lambda i: [finding(i.garbage, 1000)], "from 1 to 999"),
        (lambda i: [finding(i.garbage, -2)], "from 1 to 999"),
        (lambda i: [finding(i.garbage, 1, note="x" * 501)], "500 characters"),
        (lambda i: [finding(i.clutter, 1, open_case=True)], "has no case category"),
        (lambda i: [finding(i.garbage, 1, photos=[photo()] * 10)], "At most 9 photos"),
    ],
)
def test_bad_findings_are_refused(round_a, insp, world, private_media, make, match):
    with pytest.raises(InspectionError, match=match):
        submit(round_a.i1, world.inspector_a, *make(insp))
    assert Inspection.objects.get(pk=round_a.i1.pk).status == InspectionStatus.PENDING
    assert not Finding.objects.exists() and not files_under(private_media)


def test_an_item_of_another_checklist_is_refused(round_a, road_template, world):
    with pytest.raises(InspectionError, match="not on this inspection's checklist"):
        submit(round_a.i1, world.inspector_a, finding(road_template.items.get(), 1))


def test_only_the_assigned_inspector_scores(round_a, world, inspector_gc):
    for who in ("admin", "secretary_a", "party_member_a", "outsider", "nobody"):
        with pytest.raises(PermissionDenied):
            submit(round_a.i1, getattr(world, who))
    with pytest.raises(PermissionDenied):
        submit(round_a.i1, inspector_gc)  # an inspector, but not of this round
    assert not audit_actions().count("inspection.submit")


def test_an_unassigned_inspection_goes_to_the_round_inspector_who_scores_it(
    round_all, world, inspector_gc
):
    Inspection.objects.filter(pk=round_all.i1.pk).update(inspector=None)
    with pytest.raises(PermissionDenied):
        submit(round_all.i1, world.inspector_a)  # not one of the round's inspectors
    done = submit(round_all.i1, inspector_gc)
    assert Inspection.objects.get(pk=done.pk).inspector == inspector_gc


def test_too_many_photos_of_the_area_are_refused(round_a, world, private_media):
    with pytest.raises(InspectionError, match="At most 9 photos of the whole area"):
        submit(round_a.i1, world.inspector_a, photos=[photo()] * 10)


# --- inspection_submit: photos -------------------------------------------------------


def test_photos_are_stored_privately_and_linked_to_their_finding(
    round_a, insp, world, private_media, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = submit(
            round_a.i1,
            world.inspector_a,
            finding(insp.garbage, 2, photos=[photo("red"), photo("blue")]),
            photos=[photo("green")],
        )
    rows = list(InspectionPhoto.objects.order_by("pk"))
    assert len(rows) == 3 and not any(p.ready for p in rows)  # derivatives wait for the commit
    general = [p for p in rows if p.finding is None]
    assert len(general) == 1 and general[0].inspection_id == done.pk
    garbage = done.findings.get()
    assert {p.pk for p in garbage.photos.all()} == {p.pk for p in rows if p.finding_id}
    for p in rows:
        assert p.original.startswith("inspections/") and p.uploaded_by == world.inspector_a
    assert len(files_under(private_media)) == 3
    assert AuditEntry.objects.get(action="inspection.submit").changes["photos"] == 3
    for callback in callbacks:
        callback()
    assert all(p.ready for p in InspectionPhoto.objects.all())
    assert len(files_under(private_media)) == 9


def test_the_task_makes_the_derivatives(round_a, world, private_media):
    from zhenxing.inspections.tasks import make_inspection_photo_derivatives

    submit(round_a.i1, world.inspector_a, photos=[photo()])
    stored = InspectionPhoto.objects.get()
    make_inspection_photo_derivatives.call(stored.pk)
    make_inspection_photo_derivatives.call(stored.pk)  # twice is harmless
    make_inspection_photo_derivatives.call(stored.pk + 99)  # a photo gone meanwhile: nothing
    stored.refresh_from_db()
    assert stored.ready and len(files_under(private_media)) == 3


def test_a_finding_without_a_position_takes_its_photos_gps(round_a, insp, world, private_media):
    done = submit(
        round_a.i1, world.inspector_a, finding(insp.garbage, 1, photos=[photo(gps=IN_A2)])
    )
    row = done.findings.get()
    assert row.lat == pytest.approx(IN_A2[0], abs=1e-4)
    assert row.lng == pytest.approx(IN_A2[1], abs=1e-4)


# --- findings → cases ----------------------------------------------------------------


def test_one_tap_opens_a_case_with_the_findings_photos(round_a, insp, world, private_media):
    done = submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 3, note="桥下", lat=IN_A1[0], lng=IN_A1[1], open_case=True),
        finding(insp.clutter, 1, photos=[photo("blue")]),
    )
    garbage = done.findings.get(item=insp.garbage)
    clutter = done.findings.get(item=insp.clutter)
    assert clutter.case is None
    case = garbage.case
    assert case.source == Source.INSPECTION and case.category == insp.garbage_cat
    assert case.region == world.area_a1 and (case.lat, case.lng) == IN_A1
    assert case.address == ""  # a position inside the area: no need to explain the pin
    # What was seen and the note; neither the count nor any points: with the
    # public checklist, "3 处" gives the embargoed score (−6 → 94) away.
    assert case.description == "暴露垃圾\n桥下"
    assert not any(digit in case.description for digit in "0123456789")
    assert not case.photos.exists()
    actions = audit_actions()
    assert actions.index("inspection.submit") < actions.index("inspection.open_case")
    assert "case.report" in actions


def test_a_findings_case_names_no_inspector(round_a, insp, world, private_media, client_for):
    from django.urls import reverse

    world.inspector_a.display_name = "巡查员甲"
    world.inspector_a.save()
    done = submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 2, lat=IN_A1[0], lng=IN_A1[1], open_case=True),
    )
    case = done.findings.get().case
    # Filed by nobody: the community must not learn who its covert inspector is.
    assert case.reporter is None
    assert not case.events.exclude(actor=None).exists()
    assert not case.photos.exclude(uploaded_by=None).exists()
    # The real actor is kept where communities do not look: the audit log.
    for action in ("inspection.submit", "inspection.open_case"):
        assert AuditEntry.objects.get(action=action).actor == world.inspector_a
    assert AuditEntry.objects.get(action="case.report").actor is None
    response = client_for(world.secretary_a).get(reverse("cases:detail", args=[case.number]))
    html = response.content.decode()
    assert response.status_code == 200 and case.number in html
    assert "insp_a" not in html and "巡查员甲" not in html


def test_a_case_from_a_finding_carries_copies_of_its_photos(round_a, insp, world, private_media):
    done = submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 1, photos=[photo("red"), photo("blue", gps=IN_A2)], open_case=True),
    )
    case = done.findings.get().case
    before = list(case.photos.order_by("pk"))
    originals = list(InspectionPhoto.objects.order_by("pk"))
    assert [p.kind for p in before] == ["before", "before"]
    assert [p.sha256 for p in before] == [p.sha256 for p in originals]
    assert {p.token for p in before}.isdisjoint({p.token for p in originals})
    assert all(p.original.startswith("cases/") for p in before)
    # The finding had no pin and took the GPS of its photo, which lies in the
    # neighbouring area (甲二): the case still goes to the inspected one, at its centre.
    assert done.findings.get().lng == pytest.approx(IN_A2[1], abs=1e-4)
    assert case.region == world.area_a1
    assert (case.lat, case.lng) == pytest.approx((23.005, 113.105))


def test_a_case_stays_in_the_inspected_area_whatever_the_gps_says(
    round_a, insp, world, private_media
):
    # A photo taken from across the border (in 社区乙): the finding keeps its
    # GPS as evidence, but the case goes to the inspected area, not to 社区乙.
    done = submit(
        round_a.i1,
        world.inspector_a,
        finding(insp.garbage, 1, photos=[photo(gps=IN_B1)], open_case=True),
        finding(insp.board, 1, lat=IN_A2[0], lng=IN_A2[1], open_case=True),
    )
    garbage = done.findings.get(item=insp.garbage)
    assert garbage.lat == pytest.approx(IN_B1[0], abs=1e-4)
    # Neither the finding's nor the inspection's position (none) lies in the
    # area: its centre, and the address says so.
    case = garbage.case
    assert case.region == world.area_a1 and case.region_path.startswith("GC/GC01/")
    assert (case.lat, case.lng) == pytest.approx((23.005, 113.105))
    assert case.address == "Inspected area: 甲一片区"
    # In the neighbouring area of the same community: the inspected one still wins.
    assert done.findings.get(item=insp.board).case.region == world.area_a1


def test_a_finding_outside_the_area_takes_the_inspections_position(
    scored_a1, insp, world, private_media
):
    row = scored_a1.findings.get()
    Finding.objects.filter(pk=row.pk).update(lat=IN_B1[0], lng=IN_B1[1])
    case = services.finding_open_case(finding=row, actor=world.inspector_a)
    # The inspector's phone at submit (IN_A1) lies in the area: that is the place.
    assert case.region == world.area_a1 and (case.lat, case.lng) == IN_A1
    assert case.address == ""


def test_an_area_that_cannot_be_placed_on_the_map_refuses_the_case(
    round_a, insp, world, private_media
):
    Region.objects.filter(pk=world.area_a1.pk).update(
        geometry=None, centroid_lat=None, centroid_lng=None
    )
    with pytest.raises(InspectionError, match="no usable boundary"):
        submit(
            round_a.i1,
            world.inspector_a,
            finding(insp.garbage, 1, lat=IN_A1[0], lng=IN_A1[1], open_case=True),
        )
    assert not Case.objects.exists()
    assert Inspection.objects.get(pk=round_a.i1.pk).status == InspectionStatus.PENDING


def test_a_refused_case_refuses_the_whole_score_and_leaves_no_file(
    round_a, insp, world, private_media
):
    # The item's category was retired after the checklist went live: case_report refuses it.
    insp.garbage_cat.is_active = False
    insp.garbage_cat.save()
    with pytest.raises(InspectionError, match="no longer in use"):
        submit(
            round_a.i1,
            world.inspector_a,
            finding(insp.garbage, 1, photos=[photo()], open_case=True),
            photos=[photo()],
        )
    assert Inspection.objects.get(pk=round_a.i1.pk).status == InspectionStatus.PENDING
    assert not Finding.objects.exists() and not InspectionPhoto.objects.exists()
    assert not Case.objects.exists() and not files_under(private_media)


def test_a_case_is_opened_later_by_the_inspector_or_the_office(
    scored_a1, round_a, insp, world, private_media
):
    row = scored_a1.findings.get()
    case = services.finding_open_case(finding=row, actor=world.inspector_a, description="  ")
    assert case.reporter is None and case.description == "暴露垃圾"
    assert AuditEntry.objects.get(action="inspection.open_case").actor == world.inspector_a
    # No pin on the finding: the inspection's position (the inspector's phone).
    assert (case.lat, case.lng) == IN_A1
    row.refresh_from_db()
    assert row.case == case
    with pytest.raises(InspectionConflict, match=f"already opened .*{case.number}"):
        services.finding_open_case(finding=row, actor=world.admin)
    assert Case.objects.count() == 1


def test_the_office_opens_a_case_from_an_inspectors_finding(scored_a1, world, private_media):
    Inspection.objects.filter(pk=scored_a1.pk).update(lat=None, lng=None)
    case = services.finding_open_case(
        finding=scored_a1.findings.get(), actor=world.admin, description="请清理"
    )
    # Filed by nobody, like the inspector's; the audit row of the finding names the admin.
    assert case.reporter is None and case.description == "请清理"
    assert case.source == "inspection"
    entry = AuditEntry.objects.get(action="inspection.open_case")
    assert entry.actor == world.admin and entry.changes["case"] == case.number
    # Neither the finding nor the inspection had a position: the area's centre.
    assert case.region == world.area_a1
    assert (case.lat, case.lng) == pytest.approx((23.005, 113.105))
    assert case.address == "Inspected area: 甲一片区"


def test_no_case_from_an_item_without_a_category(round_a, insp, world):
    done = submit(round_a.i1, world.inspector_a, finding(insp.clutter, 1))
    with pytest.raises(InspectionError, match="has no case category"):
        services.finding_open_case(finding=done.findings.get(), actor=world.inspector_a)
    assert not Case.objects.exists()


def test_only_the_scorer_or_the_office_opens_a_case(scored_a1, world, inspector_gc):
    row = scored_a1.findings.get()
    for who in ("secretary_a", "party_member_a", "dept_staff", "outsider", "nobody"):
        with pytest.raises(PermissionDenied):
            services.finding_open_case(finding=row, actor=getattr(world, who))
    with pytest.raises(PermissionDenied):
        services.finding_open_case(finding=row, actor=inspector_gc)  # not who scored it
    assert not Case.objects.exists()


def test_no_case_from_a_voided_inspection(scored_a1, world):
    services.inspection_void(inspection=scored_a1, actor=world.admin, reason="重复")
    with pytest.raises(InspectionConflict, match="no longer scored"):
        services.finding_open_case(finding=scored_a1.findings.get(), actor=world.admin)


def test_an_unreadable_photo_refuses_the_case(round_a, insp, world, private_media):
    from zhenxing.cases.photos import private_storage

    done = submit(round_a.i1, world.inspector_a, finding(insp.garbage, 1, photos=[photo()]))
    stored = InspectionPhoto.objects.get()
    private_storage.delete(stored.original)
    private_storage.save(stored.original, ContentFile(b"not a photo"))
    with pytest.raises(InspectionError, match="could not be read"):
        services.finding_open_case(finding=done.findings.get(), actor=world.inspector_a)
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


# --- inspection_void -----------------------------------------------------------------


def test_the_office_voids_a_score_with_a_reason(scored_a1, world):
    voided = services.inspection_void(
        inspection=scored_a1, actor=world.admin, reason=" 走错片区 ", expected_version=2
    )
    assert voided.status == InspectionStatus.VOID and voided.void_reason == "走错片区"
    stored = Inspection.objects.get(pk=scored_a1.pk)
    assert stored.status == InspectionStatus.VOID and stored.version == 3
    assert not Inspection.objects.scored().exists()
    entry = AuditEntry.objects.get(action="inspection.void")
    assert entry.actor == world.admin and entry.changes["score"] == "94.00"


def test_voiding_is_refused_when_it_does_not_apply(scored_a1, round_a, world):
    with pytest.raises(InspectionError, match="Say why"):
        services.inspection_void(inspection=scored_a1, actor=world.admin, reason="")
    with pytest.raises(InspectionConflict, match="changed by someone else"):
        services.inspection_void(
            inspection=scored_a1, actor=world.admin, reason="x", expected_version=1
        )
    with pytest.raises(InspectionError, match="Only a scored inspection"):
        services.inspection_void(inspection=round_a.i2, actor=world.admin, reason="x")
    for who in ("inspector_a", "secretary_a", "outsider"):
        with pytest.raises(PermissionDenied):
            services.inspection_void(inspection=scored_a1, actor=getattr(world, who), reason="x")
    services.inspection_void(inspection=scored_a1, actor=world.admin, reason="x")
    with pytest.raises(InspectionConflict, match="already void"):
        services.inspection_void(inspection=scored_a1, actor=world.admin, reason="x")


def test_a_released_score_cannot_be_voided(scored_a1, world):
    today = timezone.localdate()
    services.inspections_release(
        start=today, end=today + datetime.timedelta(days=1), scope_path="GC/", actor=world.admin
    )
    with pytest.raises(InspectionError, match="published in a circular"):
        services.inspection_void(inspection=scored_a1, actor=world.admin, reason="x")


def test_cases_from_a_voided_score_stay_open(round_a, insp, world, private_media):
    done = submit(round_a.i1, world.inspector_a, finding(insp.garbage, 1, open_case=True))
    services.inspection_void(inspection=done, actor=world.admin, reason="x")
    assert Case.objects.get().is_open


# --- inspections_void_unscored ------------------------------------------------------


def test_the_unscored_inspections_of_a_span_are_voided(
    round_a, round_all, scored_a1, world, inspector_gc
):
    later = plan(world, date=days(1), areas=[world.area_a1]).inspections.get()
    today = timezone.localdate()
    count = services.inspections_void_unscored(
        start=today, end=days(1), actor=world.admin, reason=" 本周已定稿 "
    )
    # round_a's second area and round_all's three; not the scored one, nor tomorrow's.
    assert count == 4
    voided = Inspection.objects.filter(status=InspectionStatus.VOID)
    assert set(voided.values_list("pk", flat=True)) == {
        round_a.i2.pk,
        round_all.i1.pk,
        round_all.i2.pk,
        round_all.ib.pk,
    }
    assert set(voided.values_list("void_reason", "version")) == {("本周已定稿", 2)}
    assert Inspection.objects.get(pk=scored_a1.pk).status == InspectionStatus.SUBMITTED
    assert Inspection.objects.get(pk=later.pk).status == InspectionStatus.PENDING
    entries = AuditEntry.objects.filter(action="inspection.void_unscored")
    assert entries.count() == 4
    assert {e.actor for e in entries} == {world.admin}
    assert {e.object_id for e in entries} == {str(pk) for pk in voided.values_list("pk", flat=True)}
    assert all(e.changes["reason"] == "本周已定稿" for e in entries)
    # Nothing left to void: nothing done, no audit row.
    again = services.inspections_void_unscored(
        start=today, end=days(1), actor=None, reason="本周已定稿"
    )
    assert again == 0 and entries.count() == 4


def test_voiding_unscored_needs_a_reason_and_the_whole_territorys_office(round_a, world, admin_a):
    today = timezone.localdate()
    with pytest.raises(InspectionError, match="Say why"):
        services.inspections_void_unscored(start=today, end=days(1), actor=world.admin, reason=" ")
    for actor in (admin_a, world.inspector_a, world.secretary_a, world.nobody):
        with pytest.raises(PermissionDenied):
            services.inspections_void_unscored(start=today, end=days(1), actor=actor, reason="x")
    assert not Inspection.objects.filter(status=InspectionStatus.VOID).exists()
    assert "inspection.void_unscored" not in audit_actions()


def test_closing_a_week_voids_its_unscored_inspections(insp, world, time_machine):
    import zoneinfo

    from django.conf import settings

    from zhenxing.assessment.models import PeriodKind
    from zhenxing.assessment.services import period_close, period_for

    monday = datetime.datetime(2026, 11, 2, 9, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    time_machine.move_to(monday, tick=False)
    round_ = plan(world)
    a1 = round_.inspections.get(area=world.area_a1)
    a2 = round_.inspections.get(area=world.area_a2)
    submit(a1, world.inspector_a)
    time_machine.move_to(monday + datetime.timedelta(days=40), tick=False)
    # A month's close leaves the inspections alone: only a week's close is final for them.
    period_close(period=period_for(kind=PeriodKind.MONTH, day=monday.date()), actor=world.admin)
    assert Inspection.objects.get(pk=a2.pk).status == InspectionStatus.PENDING
    period_close(period=period_for(kind=PeriodKind.WEEK, day=monday.date()), actor=world.admin)
    stored = Inspection.objects.get(pk=a2.pk)
    assert stored.status == InspectionStatus.VOID
    assert stored.void_reason == "The week is closed; inspections not scored are void."
    assert Inspection.objects.get(pk=a1.pk).status == InspectionStatus.SUBMITTED
    assert AuditEntry.objects.get(action="inspection.void_unscored").actor == world.admin
    assert not mine(world.inspector_a, monday.date()).filter(pk=a2.pk).exists()


# --- inspections_release -------------------------------------------------------------


def test_release_stamps_the_scored_inspections_of_the_period_and_scope(
    round_a, round_all, insp, world, inspector_gc
):
    today = timezone.localdate()
    submit(round_a.i1, world.inspector_a)
    submit(round_all.i1, inspector_gc)
    submit(round_all.ib, inspector_gc)
    voided = submit(round_all.i2, inspector_gc)
    services.inspection_void(inspection=voided, actor=world.admin, reason="x")
    at = timezone.now() - datetime.timedelta(minutes=5)
    count = services.inspections_release(
        start=today,
        end=today + datetime.timedelta(days=7),
        scope_path="GC/GC01/",
        actor=None,
        at=at,
    )
    assert count == 2  # 社区甲's two scored ones: not the pending, the void, nor 社区乙's
    released = set(Inspection.objects.released().values_list("pk", flat=True))
    assert released == {round_a.i1.pk, round_all.i1.pk}
    assert Inspection.objects.get(pk=round_a.i1.pk).released_at == at
    entry = AuditEntry.objects.get(action="inspection.release")
    assert entry.changes["released"] == 2 and entry.changes["scope"] == "GC/GC01/"
    # Released ones keep their first release time; the period's end is exclusive.
    assert (
        services.inspections_release(
            start=today, end=today + datetime.timedelta(days=7), scope_path="GC/", actor=world.admin
        )
        == 1
    )
    assert Inspection.objects.get(pk=round_a.i1.pk).released_at == at
    assert services.inspections_release(start=today, end=today, scope_path="GC/", actor=None) == 0


def test_release_is_refused_outside_what_the_actor_administers(scored_a1, world):
    today = timezone.localdate()
    for who in ("secretary_a", "inspector_a", "outsider"):
        with pytest.raises(PermissionDenied):
            services.inspections_release(
                start=today,
                end=today + datetime.timedelta(days=1),
                scope_path="GC/GC01/",
                actor=getattr(world, who),
            )
    assert not Inspection.objects.released().exists()


# --- mine ----------------------------------------------------------------------------


def test_mine_lists_the_days_work_scored_or_not(round_a, round_all, world, inspector_gc):
    today = timezone.localdate()
    assert list(mine(world.inspector_a, today)) == [round_a.i1, round_a.i2]
    submit(round_a.i1, world.inspector_a)
    assert list(mine(world.inspector_a, today)) == [round_a.i1, round_a.i2]
    services.inspection_void(inspection=round_a.i1, actor=world.admin, reason="x")
    assert list(mine(world.inspector_a, today)) == [round_a.i2]
    assert list(mine(world.inspector_a, today + datetime.timedelta(days=1))) == []
    assert [i.area.code for i in mine(inspector_gc, today)] == [
        "GC01-01-A",
        "GC01-01-B",
        "GC02-01-A",
    ]
    # An unassigned inspection is the work of every inspector of its round.
    Inspection.objects.filter(pk=round_all.ib.pk).update(inspector=None)
    assert round_all.ib in mine(inspector_gc, today)
    assert round_all.ib not in mine(world.inspector_a, today)
    services.round_cancel(round_=round_a, actor=world.admin, reason="x")
    assert list(mine(world.inspector_a, today)) == []
    for who in ("secretary_a", "nobody"):
        assert list(mine(getattr(world, who), today)) == []
    from django.contrib.auth.models import AnonymousUser

    assert list(mine(AnonymousUser(), today)) == []


# --- races ---------------------------------------------------------------------------


def race(*steps):
    """Run the steps in threads released together; each result is "ok" or the exception."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(steps))
    results: list = [None] * len(steps)

    def run(index, step):
        try:
            barrier.wait(timeout=30)
            step()
            results[index] = "ok"
        except Exception as exc:  # reported to the main thread, asserted there
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def fresh(user):
    # Each thread its own user object, its roles loaded before the race.
    from zhenxing.people.scopes import roles_of

    user = User.objects.get(pk=user.pk)
    roles_of(user)
    return user


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_score_once(round_a, insp, world):
    for n in range(3):
        inspection = round_a.i1 if n == 0 else plan(world, areas=[world.area_a1]).inspections.get()
        copies = [
            (Inspection.objects.get(pk=inspection.pk), fresh(world.inspector_a)) for _ in "ab"
        ]
        results = race(
            *(
                lambda c=c, u=u, k=k: submit(c, u, finding(insp.garbage, k + 1))
                for k, (c, u) in enumerate(copies)
            )
        )
        assert results.count("ok") == 1, results
        assert all(isinstance(r, InspectionConflict) for r in results if r != "ok"), results
        assert Finding.objects.filter(inspection=inspection).count() == 1
        assert (
            AuditEntry.objects.filter(
                action="inspection.submit", object_id=str(inspection.pk)
            ).count()
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_a_cancel_and_a_submit_at_once_leave_a_consistent_round(round_a, insp, world):
    # Each side's copies read before the race, as the pages would have.
    inspection, round_ = (
        Inspection.objects.get(pk=round_a.i1.pk),
        InspectionRound.objects.get(pk=round_a.pk),
    )
    inspector, admin = fresh(world.inspector_a), fresh(world.admin)
    results = race(
        lambda: submit(inspection, inspector),
        lambda: services.round_cancel(round_=round_, actor=admin, reason="x"),
    )
    assert "ok" in results, results
    assert all(r == "ok" or isinstance(r, InspectionConflict) for r in results), results
    submitted, cancelled = (r == "ok" for r in results)
    i1 = Inspection.objects.get(pk=round_a.i1.pk)
    i2 = Inspection.objects.get(pk=round_a.i2.pk)
    # A score that made it counts; whatever was pending when the round was cancelled is void.
    assert i1.status == (InspectionStatus.SUBMITTED if submitted else InspectionStatus.VOID)
    assert i2.status == (InspectionStatus.VOID if cancelled else InspectionStatus.PENDING)
    assert InspectionRound.objects.get(pk=round_a.pk).status == (
        RoundStatus.CANCELLED if cancelled else RoundStatus.PLANNED
    )
