"""The demo's covert inspections: twelve weeks of rounds and scores, and their circulars.

The full demo is loaded once for this module (inside a transaction rolled
back at the end) on a Wednesday morning in late November 2026, so that the
window of twelve weeks holds the Mid-Autumn and National Day holidays and
the make-up working Saturday after them. A few tests load the inspections
alone into the small `world` of the root conftest (a Saturday, no cases).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from decimal import Decimal
from statistics import mean
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.db.models import Max
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import empty

from zhenxing.assessment.models import (
    Circular,
    CircularStatus,
    IncentiveKind,
    IncentiveRecord,
    ListEntry,
    ListKind,
    ListRule,
    Period,
    PeriodKind,
    Scheme,
    ScoreSnapshot,
)
from zhenxing.assessment.periods import span
from zhenxing.assessment.permissions import period_released
from zhenxing.cases.models import Case, Holiday, Source
from zhenxing.cases.photos import private_storage
from zhenxing.cases.workdays import is_working_day
from zhenxing.core.models import AuditEntry
from zhenxing.demo import inspection_data as spec
from zhenxing.demo.cases import SHARED_PHOTO_PREFIX
from zhenxing.demo.guicheng import load_guicheng
from zhenxing.demo.inspections import WEEKS, area_type_for, load_inspections
from zhenxing.inspections import permissions
from zhenxing.inspections.models import (
    AreaType,
    AreaTypeMembership,
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
    TemplateItem,
    TemplateStatus,
)
from zhenxing.inspections.selectors import draw_areas, mine, templates_for_areas
from zhenxing.notify.models import Notification
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.territory.models import Region

# Wednesday 25 November 2026, 10:30 in Guangdong.
NOW = datetime.datetime(2026, 11, 25, 2, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 25)
CURRENT_WEEK = datetime.date(2026, 11, 23)
WINDOW_START = CURRENT_WEEK - datetime.timedelta(weeks=WEEKS)
TWO_PLACES = Decimal("0.01")

MODELS = [
    AreaType,
    AreaTypeMembership,
    InspectionTemplate,
    TemplateItem,
    InspectionRound,
    Inspection,
    Finding,
    InspectionPhoto,
    Period,
    ScoreSnapshot,
    ListEntry,
    IncentiveRecord,
    Circular,
    Scheme,
    ListRule,
    User,
    RoleAssignment,
    AuditEntry,
]


def _state() -> dict[str, tuple[int, int | None]]:
    return {
        m.__name__: (m.objects.count(), m.objects.aggregate(top=Max("pk"))["top"]) for m in MODELS
    }


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Guicheng demo, cases and inspections, photo files included, loaded once."""
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(
            ZHENXING_PRIVATE_MEDIA_ROOT=private,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        private_storage._wrapped = empty  # follow the overridden setting
        try:
            with (
                time_machine.travel(NOW, tick=False),
                TestCase.captureOnCommitCallbacks(execute=True),
            ):
                summary = load_guicheng(password="demo-pass-1")
            yield SimpleNamespace(summary=summary, private=private)
        finally:
            transaction.set_rollback(True)
            private_storage._wrapped = empty


@pytest.fixture
def frozen(demo):
    with time_machine.travel(NOW, tick=False):
        yield


def _working_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    calendar = dict(Holiday.objects.values_list("date", "is_workday"))
    days, day = [], start
    while day < end:
        if is_working_day(day, calendar):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


class TestTheLoadedDemo:
    """The full demo, loaded once for the class (see `demo`)."""

    def test_a_round_on_every_working_day_of_twelve_weeks_and_today(self, demo, db):
        rounds = list(InspectionRound.objects.prefetch_related("inspectors").order_by("date"))
        expected = _working_days(WINDOW_START, TODAY) + [TODAY]
        assert [r.date for r in rounds] == expected
        assert len(expected) > WEEKS * 5 - 10  # holidays aside, five rounds a week
        dates = {r.date for r in rounds}
        # The holiday calendar the cases demo loads: National Day off, its make-up Saturday worked.
        assert datetime.date(2026, 10, 1) not in dates and datetime.date(2026, 9, 25) not in dates
        make_up = {datetime.date(2026, 9, 20), datetime.date(2026, 10, 10)}
        assert make_up <= dates
        assert {d for d in dates if d.weekday() >= 5} == make_up
        root = Region.objects.get(code="GC", depth=1)
        admin = User.objects.get(username="admin")
        by_round = defaultdict(list)
        for i in Inspection.objects.order_by("area_path").values(
            "round_id", "area_id", "inspector_id"
        ):
            by_round[i["round_id"]].append(i)
        for r in rounds:
            assert r.status == RoundStatus.PLANNED and r.scope_id == root.pk
            assert r.drawn and r.draw_seed and r.planned_by_id == admin.pk
            people = list(r.inspectors.all())
            assert len(people) == 2
            rows = by_round[r.pk]
            assert 12 <= len(rows) <= 20
            # The draw can be re-run from its seed.
            drawn = draw_areas(scope=root, count=len(rows), seed=r.draw_seed)
            assert [a.pk for a in drawn] == [row["area_id"] for row in rows]
            # Both inspectors of the round share its areas (in turns, in path order).
            assert {row["inspector_id"] for row in rows} == {u.pk for u in people}

    def test_the_demo_inspector_has_pending_inspections_today(self, demo, db, frozen):
        inspector = User.objects.get(username="inspector")
        today = list(mine(inspector, TODAY))
        assert today
        assert all(i.status == InspectionStatus.PENDING for i in today)
        assert all(permissions.can_score(inspector, i) for i in today)
        # Today's round was planned through the service: its audit row says so.
        round_ = InspectionRound.objects.get(date=TODAY)
        assert AuditEntry.objects.filter(action="round.plan", object_id=str(round_.pk)).exists()
        assert (
            not Inspection.objects.filter(date=TODAY)
            .exclude(status=InspectionStatus.PENDING)
            .exists()
        )
        # The other days are scored (a few voided), none pending.
        past = Inspection.objects.filter(date__lt=TODAY)
        assert not past.filter(status=InspectionStatus.PENDING).exists()
        assert 0 < past.filter(status=InspectionStatus.VOID).count() < past.count() * 0.05
        # Closing the past weeks (which voids what a closed week left unscored) voided none
        # of them: the voids are the history's own, and today's round is in the open week.
        reasons = set(
            past.filter(status=InspectionStatus.VOID).values_list("void_reason", flat=True)
        )
        assert reasons <= set(spec.VOID_REASONS)
        assert not Period.objects.filter(
            kind=PeriodKind.WEEK, start__lte=TODAY, end__gt=TODAY, closed_at__isnull=False
        ).exists()

    def test_every_score_is_the_full_score_less_its_capped_deductions(self, demo, db):
        items = {i.pk: i for i in TemplateItem.objects.all()}
        templates = {t.pk: t for t in InspectionTemplate.objects.all()}
        findings = defaultdict(list)
        for f in Finding.objects.all():
            findings[f.inspection_id].append(f)
        inspections = list(Inspection.objects.select_related("round", "area"))
        expected_template = templates_for_areas([i.area for i in inspections])
        for i in inspections:
            assert i.area_path == i.area.path and i.date == i.round.date
            # The checklist of the area's type (all demo templates were in use before the window).
            assert i.template_id == expected_template[i.area_id].pk
            assert templates[i.template_id].status == TemplateStatus.ACTIVE
            if i.status == InspectionStatus.PENDING:
                assert (i.score, i.deduction, i.inspected_at, i.version) == (None, 0, None, 1)
                assert not findings[i.pk]
                continue
            total = Decimal("0")
            for f in findings[i.pk]:
                item = items[f.item_id]
                assert item.template_id == i.template_id
                assert f.count >= 1
                assert f.deduction == item.deduction_for(f.count).quantize(TWO_PLACES)
                if item.max_deduction is not None:
                    assert f.deduction <= item.max_deduction
                total += f.deduction
            assert i.deduction == total
            assert i.score == max(Decimal("0"), templates[i.template_id].full_score - total)
            assert i.inspected_at is not None
            assert timezone.localtime(i.inspected_at).date() == i.date
            # pending 1 → submitted 2 → released or voided 3
            assert i.version == (3 if i.released_at or i.status == InspectionStatus.VOID else 2)

    def test_scores_are_mostly_good_with_a_few_poor_and_communities_differ(self, demo, db):
        scored = list(Inspection.objects.scored().values_list("area_path", "score"))
        scores = [s for _, s in scored]
        assert sum(1 for s in scores if s >= 85) > 0.8 * len(scores)
        assert sum(1 for s in scores if s == 100) > 0.1 * len(scores)
        assert 0 < sum(1 for s in scores if s < 80) < 0.1 * len(scores)
        by_community = defaultdict(list)
        for path, score in scored:
            by_community[path.split("/")[1]].append(float(score))
        means = [mean(v) for v in by_community.values()]
        assert len(means) == 22
        assert max(means) - min(means) > 5

    def test_findings_link_the_inspection_cases_of_their_area_and_day(self, demo, db):
        linked = list(
            Finding.objects.exclude(case=None).select_related(
                "case__category", "item__category", "inspection"
            )
        )
        assert len(linked) >= 10
        assert len({f.case_id for f in linked}) == len(linked)
        for f in linked:
            case, inspection = f.case, f.inspection
            assert case.source == Source.INSPECTION
            assert case.region_id == inspection.area_id
            assert timezone.localtime(case.reported_at).date() == inspection.date
            assert case.category_id == f.item.category_id or (
                case.category.parent_id == f.item.category.parent_id
            )
            assert (f.lat, f.lng) == (case.lat, case.lng)
        # Where a case of the day could be linked, it was: no case is left out of a scored
        # inspection of its area and day whose checklist has an item of its category.
        items = defaultdict(set)
        for template, category in TemplateItem.objects.values_list("template_id", "category_id"):
            items[template].add(category)
        scored = {
            (i.area_id, i.date): i
            for i in Inspection.objects.scored().filter(date__gte=WINDOW_START)
        }
        linked_cases = {f.case_id for f in linked}
        since = NOW - datetime.timedelta(weeks=WEEKS)
        for case in Case.objects.filter(source=Source.INSPECTION, reported_at__gte=since):
            inspection = scored.get((case.region_id, timezone.localtime(case.reported_at).date()))
            if inspection is not None and case.category_id in items[inspection.template_id]:
                taken = Finding.objects.filter(
                    inspection=inspection, item__category_id=case.category_id
                ).exclude(case=None)
                assert case.pk in linked_cases or taken.exists()

    def test_some_findings_have_photos_that_share_the_demo_pictures(self, demo, db):
        photos = list(InspectionPhoto.objects.select_related("finding", "inspection"))
        assert len(photos) > 100
        assert len({p.token for p in photos}) == len(photos)
        for p in photos[:200]:
            assert p.finding.inspection_id == p.inspection_id
            assert p.original.startswith(SHARED_PHOTO_PREFIX) and p.ready
            assert p.uploaded_by_id == p.inspection.inspector_id
        for key in {k for p in photos for k in (p.original, p.display, p.thumbnail)}:
            assert (demo.private / key).is_file()

    def test_the_reference_data(self, demo, db):
        assert list(AreaType.objects.values_list("name", flat=True)) == [
            "村居生活区",
            "道路街巷",
            "河涌水系",
            "农田田头",
        ]
        areas = Region.objects.filter(path__startswith="GC/", depth=4)
        memberships = dict(AreaTypeMembership.objects.values_list("area_id", "area_type__code"))
        assert len(memberships) == areas.count() == 173
        for area in areas:
            assert memberships[area.pk] == area_type_for(area.code)
        assert set(Counter(memberships.values())) == {t.code for t in spec.AREA_TYPES}

        general = InspectionTemplate.objects.filter(code=spec.GENERAL_CODE).order_by("version")
        assert [(t.version, t.status, t.area_type) for t in general] == [
            (1, TemplateStatus.RETIRED, None),
            (2, TemplateStatus.ACTIVE, None),
        ]
        assert general[1].name == "村居环境卫生暗检表" and general[0].retired_at is not None
        active = InspectionTemplate.objects.filter(status=TemplateStatus.ACTIVE)
        assert sorted(t.area_type.code for t in active if t.area_type) == sorted(
            t.code for t in spec.AREA_TYPES
        )
        items = TemplateItem.objects.filter(template__status=TemplateStatus.ACTIVE)
        assert not items.filter(category=None).exists()
        costs = {(i.text, i.points_per_unit, i.max_deduction) for i in items}
        for text, points, most in (
            ("暴露垃圾", 2, 10),
            ("乱堆乱放", 2, 10),
            ("乱拉乱挂（三线）", 1, 5),
            ("水面漂浮物", 2, 10),
            ("田头棚违建", 5, 15),
        ):
            assert (text, Decimal(points), Decimal(most)) in costs
        garbage = items.get(template=general[1], text="暴露垃圾")
        assert (garbage.category.code, garbage.category.name) == ("HJ01", "暴露垃圾")

        scheme = Scheme.objects.get(is_active=True)
        assert scheme.name == spec.SCHEME_NAME
        weights = dict(scheme.weights.values_list("indicator", "weight"))
        assert weights["inspection_score"] == 40 and weights["participation"] == 0
        assert sum(weights.values()) == 100
        rules = ListRule.objects.filter(is_active=True, period_kind=PeriodKind.WEEK)
        assert {(r.kind, r.top_n, r.bottom_n, r.max_composite) for r in rules} == {
            (ListKind.RED, 3, None, None),
            (ListKind.BLACK, None, 3, None),
            (ListKind.BLACK, None, None, Decimal(60)),
        }

    def test_the_twelve_past_weeks_are_closed_and_published(self, demo, db, frozen):
        weeks = list(Period.objects.filter(kind=PeriodKind.WEEK, closed_at__isnull=False))
        assert sorted(p.start for p in weeks) == [
            WINDOW_START + datetime.timedelta(weeks=i) for i in range(WEEKS)
        ]
        root = Region.objects.get(code="GC", depth=1)
        for period in weeks:
            circular = Circular.objects.get(period=period, scope=root)
            assert circular.status == CircularStatus.PUBLISHED
            assert circular.content and circular.public_content
            assert spec.narrative_addendum(period.start.isocalendar().week) in circular.narrative
            assert period.end <= circular.issue_date <= TODAY
            assert circular.version == 3  # created, edited, published
            assert ScoreSnapshot.objects.filter(period=period, superseded_at=None).exists()
            assert ListEntry.objects.filter(period=period, kind=ListKind.RED).count() >= 3
            assert period_released(period)
            # The embargo is lifted for the whole week.
            assert (
                not Inspection.objects.scored()
                .between(period.start, period.end)
                .filter(released_at=None)
                .exists()
            )
        # The months wholly inside the window are closed; the current one is not.
        months = Period.objects.filter(kind=PeriodKind.MONTH)
        assert sorted((p.start, p.is_closed) for p in months) == [
            (datetime.date(2026, 9, 1), True),
            (datetime.date(2026, 10, 1), True),
        ]
        assert AuditEntry.objects.filter(action="circular.publish").count() == WEEKS

    def test_the_current_week_stays_open_and_embargoed(self, demo, db, frozen):
        start, end = span(PeriodKind.WEEK, TODAY)
        assert start == CURRENT_WEEK
        assert not Period.objects.filter(kind=PeriodKind.WEEK, start=start, closed_at__isnull=False)
        assert not Circular.objects.filter(period__start=start).exists()
        scored = Inspection.objects.scored().between(start, end)
        assert scored.exists() and not scored.filter(released_at__isnull=False).exists()
        # The secretary of 叠南 sees her community's published weeks, not this one.
        secretary = User.objects.get(username="secretary")
        visible = permissions.inspections_visible_to(secretary)
        assert visible.exists()
        assert not visible.filter(date__gte=start).exists()
        assert not visible.exclude(
            area_path__startswith=RoleAssignment.objects.get(user=secretary).region.path
        ).exists()

    def test_commendations_criticism_and_an_interview_follow_the_lists(self, demo, db):
        records = list(IncentiveRecord.objects.select_related("period", "community", "cadre"))
        by_kind = defaultdict(list)
        for r in records:
            by_kind[r.kind].append(r)
        commendations = by_kind[IncentiveKind.COMMENDATION]
        criticisms = by_kind[IncentiveKind.CRITICISM]
        interviews = by_kind[IncentiveKind.INTERVIEW]
        assert 1 <= len(commendations) <= 6 and len(interviews) == 1
        # 通报批评: at least the last community of each of the last weeks.
        assert 1 <= len(criticisms) <= 6
        for r in commendations:
            assert ListEntry.objects.filter(
                period=r.period, kind=ListKind.RED, unit_key=r.community.code
            ).exists()
        for r in criticisms:
            assert ListEntry.objects.filter(
                period=r.period, kind=ListKind.BLACK, unit_key=r.community.code
            ).exists()
            assert "通报批评" in r.reason and r.community.name in r.reason
        last_weeks = sorted({r.period.start for r in commendations if "全街道第一" in r.reason})
        assert set(last_weeks) >= {CURRENT_WEEK - datetime.timedelta(weeks=k) for k in (1, 2, 3, 4)}
        for start in last_weeks:
            bottom = (
                ListEntry.objects.filter(period__start=start, kind=ListKind.BLACK)
                .order_by("-rank", "-unit_key")
                .first()
            )
            assert any(
                r.period.start == start and r.community.code == bottom.unit_key for r in criticisms
            )
        interview = interviews[0]
        black = ListEntry.objects.filter(kind=ListKind.BLACK, unit_key=interview.community.code)
        assert len({e.period_id for e in black if e.period.start <= interview.period.start}) == 2
        # The circular of each week names its records.
        for r in records:
            circular = Circular.objects.get(period=r.period)
            assert r.reason in [row["reason"] for row in circular.content["incentives"]]

    def test_records_name_the_secretaries_with_a_demo_login(self, demo, db):
        named = [r for r in IncentiveRecord.objects.select_related("cadre") if r.cadre]
        assert named
        for r in named:
            assert RoleAssignment.objects.filter(
                user=r.cadre, role=Role.SECRETARY, region=r.community
            ).exists()
        # Both demo secretaries (叠南 and 中区 have logins) find a record that names them.
        for username in ("secretary", "secretary2"):
            secretary = User.objects.get(username=username)
            assert secretary.has_usable_password()
            assert any(r.cadre == secretary for r in named)
        # A criticism names one of them (the secretary's demo shows 通报批评 about her).
        assert any(r.kind == IncentiveKind.CRITICISM for r in named)
        # The public version of a circular names no cadre.
        for r in named:
            circular = Circular.objects.get(period=r.period)
            assert str(r.cadre) in str(circular.content["incentives"])
            assert str(r.cadre) not in str(circular.public_content)

    def test_the_office_paragraph_repeats_nothing_of_the_generated_narrative(self, demo, db):
        for circular in Circular.objects.select_related("period"):
            paragraphs = [p.strip() for p in circular.narrative.split("\n\n") if p.strip()]
            assert len(paragraphs) >= 3
            assert len(set(paragraphs)) == len(paragraphs)
            # No clause of one paragraph comes back in another (the generated text already
            # asks for rectification reports; the office's paragraph looks ahead instead).
            seen: dict[str, int] = {}
            for i, paragraph in enumerate(paragraphs):
                for clause in re.split("[，。；：]", paragraph):
                    clause = clause.strip()
                    if len(clause) >= 6:
                        assert seen.setdefault(clause, i) == i, clause
            # The office's paragraph is about next week; the generated text (whatever its
            # wording) is what asks for rectification and its report.
            office = spec.narrative_addendum(circular.period.start.isocalendar().week)
            assert paragraphs[-1] == office
            assert "下周暗检将重点检查" in office and "整改" not in office

    def test_each_period_reads_as_closed_and_published_on_its_issue_morning(self, demo, db):
        calendar = dict(Holiday.objects.values_list("date", "is_workday"))

        def issue_day(period):
            day = period.end
            while not is_working_day(day, calendar):
                day += datetime.timedelta(days=1)
            return day

        def morning(moment, day):
            local = timezone.localtime(moment)
            assert local.date() == day
            assert datetime.time(9, 0) <= local.time() <= datetime.time(10, 30)

        periods = list(Period.objects.filter(closed_at__isnull=False))
        assert len(periods) == WEEKS + 2
        for period in periods:
            morning(period.closed_at, issue_day(period))
            snapshots = ScoreSnapshot.objects.filter(period=period)
            assert snapshots.exists()
            assert set(snapshots.values_list("computed_at", flat=True)) == {period.closed_at}
            entries = set(
                ListEntry.objects.filter(period=period).values_list("created_at", flat=True)
            )
            assert entries == ({period.closed_at} if period.kind == PeriodKind.WEEK else set())
        # Not all in the same minute, as a load would have them.
        assert len({p.closed_at for p in periods}) == len(periods)
        for circular in Circular.objects.select_related("period"):
            period = circular.period
            assert circular.issue_date == issue_day(period)
            morning(circular.published_at, circular.issue_date)
            assert period.closed_at < circular.created_at < circular.published_at
            assert circular.content["computed_at"] == timezone.localtime(
                circular.published_at
            ).isoformat(timespec="minutes")
            assert circular.public_content["computed_at"] == circular.content["computed_at"]
            # The embargo was lifted, and the secretaries told, when it was published.
            released = set(
                Inspection.objects.scored()
                .between(period.start, period.end)
                .values_list("released_at", flat=True)
            )
            assert released == {circular.published_at}
            told = Notification.objects.filter(url=reverse("circulars:detail", args=[circular.pk]))
            assert told.exists()
            assert set(told.values_list("created_at", flat=True)) == {circular.published_at}
        for record in IncentiveRecord.objects.select_related("period"):
            circular = Circular.objects.get(period=record.period)
            assert circular.created_at < record.created_at < circular.published_at
            assert record.date == circular.issue_date
        # The audit trail keeps the real time of the load.
        for action in ("assessment.period_close", "circular.publish", "assessment.incentive"):
            moments = set(
                AuditEntry.objects.filter(action=action).values_list("created_at", flat=True)
            )
            assert moments == {NOW}

    def test_one_audit_row_for_the_load_and_loading_again_adds_nothing(self, demo, db, frozen):
        entry = AuditEntry.objects.get(action="demo.load")
        created = entry.changes["created"]
        assert created["inspections"] == Inspection.objects.count()
        assert created["circulars"] == WEEKS
        assert demo.summary.counts["通报"] == WEEKS
        assert demo.summary.counts["暗检"] == Inspection.objects.count()

        before = _state()
        assert set(load_inspections().values()) == {0}
        with TestCase.captureOnCommitCallbacks(execute=True):
            again = load_guicheng(password="demo-pass-1")
        assert _state() == before
        assert again.counts == demo.summary.counts


# --- the small world (root conftest): no cases, no calendar ------------------------------

SATURDAY = datetime.datetime(2026, 11, 28, 2, 0, tzinfo=datetime.UTC)


def test_a_fresh_small_territory_on_a_saturday(world, settings, tmp_path):
    settings.ZHENXING_PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    try:
        with time_machine.travel(SATURDAY, tick=False):
            counts = load_inspections()
            today = timezone.localdate()
            assert today.weekday() == 5
            rounds = InspectionRound.objects.order_by("date")
            # Every weekday of the window and the current week, and today's round all the same.
            days = [*_working_days(WINDOW_START, today), today]
            assert [r.date for r in rounds] == days
            assert counts["inspection_rounds"] == len(days)
            assert counts["circulars"] == WEEKS
            # Three team members without a login joined the inspector role on the root.
            team = User.objects.filter(username__startswith="demo-inspector-")
            assert team.count() == 3 and not any(u.has_usable_password() for u in team)
            assert all(
                RoleAssignment.objects.filter(
                    user=u, role=Role.INSPECTOR, region=world.root
                ).exists()
                for u in team
            )
            # Three areas in the world: every round visits all of them.
            per_round = Counter(Inspection.objects.values_list("round_id", flat=True))
            assert set(per_round.values()) == {3}
            # Today's round waits for its two inspectors.
            pending = list(Inspection.objects.filter(date=today).select_related("inspector"))
            assert {i.status for i in pending} == {InspectionStatus.PENDING}
            assert all(mine(i.inspector, today).filter(pk=i.pk).exists() for i in pending)

            before = _state()
            again = load_inspections()
            assert set(again.values()) == {0}
            assert _state() == before
    finally:
        private_storage._wrapped = empty


MONDAY_EARLY = datetime.datetime(2026, 11, 23, 0, 0, tzinfo=datetime.UTC)  # 08:00 in Guangdong


def test_loaded_before_ten_on_an_issue_day_nothing_is_dated_after_now(world, settings, tmp_path):
    """Last week's circular is due this very morning: done now, not at ten (in the future)."""
    settings.ZHENXING_PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = empty
    try:
        with time_machine.travel(MONDAY_EARLY, tick=False):
            load_inspections()
            now = timezone.now()
            last_week = Period.objects.get(kind=PeriodKind.WEEK, end=timezone.localdate())
            circular = Circular.objects.get(period=last_week)
            assert circular.issue_date == timezone.localdate()
            assert last_week.closed_at == circular.created_at == circular.published_at == now
            # The weeks before were published on their own Monday mornings (no calendar here).
            older = Circular.objects.exclude(pk=circular.pk).select_related("period")
            assert older.count() == WEEKS - 1
            for c in older:
                local = timezone.localtime(c.published_at)
                assert local.date() == c.period.end and local.date().weekday() == 0
                assert datetime.time(9, 40) <= local.time() <= datetime.time(10, 20)
                assert c.period.closed_at < c.created_at < c.published_at
            moments = [
                *Period.objects.exclude(closed_at=None).values_list("closed_at", flat=True),
                *ScoreSnapshot.objects.values_list("computed_at", flat=True),
                *ListEntry.objects.values_list("created_at", flat=True),
                *IncentiveRecord.objects.values_list("created_at", flat=True),
                *Circular.objects.values_list("published_at", flat=True),
                *Inspection.objects.exclude(released_at=None).values_list("released_at", flat=True),
            ]
            assert max(moments) == now
    finally:
        private_storage._wrapped = empty
