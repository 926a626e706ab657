"""The demo's battle map and plan: campaigns, weekly targets, arrangements and progress.

The Guicheng demo (with a small set of cases) is loaded once for the class,
inside a transaction rolled back at the end, on a Wednesday morning in late
November 2026 (the inspections demo tests use the same moment). A test
loads the plans alone into the small `world` of the root conftest.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.db.models import Max
from django.test import TestCase, override_settings
from django.utils.functional import empty

from zhenxing.cases.photos import private_storage
from zhenxing.core.models import AuditEntry
from zhenxing.demo import cases as demo_cases
from zhenxing.demo import plan_data as spec
from zhenxing.demo.guicheng import load_guicheng
from zhenxing.demo.plans import (
    ARRANGED_DAYS,
    WEEKS_AFTER,
    WEEKS_BEFORE,
    campaign_period,
    load_plans,
)
from zhenxing.people.models import User, WorkTeam
from zhenxing.plans.models import (
    Arrangement,
    ArrangementStatus,
    Campaign,
    ProgressPhoto,
    ProgressReport,
    TaskType,
    WeeklyTarget,
)
from zhenxing.plans.permissions import arrangements_visible_to, reports_visible_to
from zhenxing.territory.models import Region

# Wednesday 25 November 2026, 10:30 in Guangdong.
NOW = datetime.datetime(2026, 11, 25, 2, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 25)
CURRENT_WEEK = datetime.date(2026, 11, 23)
START = CURRENT_WEEK - datetime.timedelta(weeks=WEEKS_BEFORE)
END = CURRENT_WEEK + datetime.timedelta(weeks=WEEKS_AFTER, days=6)

MODELS = [
    Campaign,
    TaskType,
    WeeklyTarget,
    Arrangement,
    Arrangement.people.through,
    ProgressReport,
    ProgressPhoto,
    AuditEntry,
]


def _state() -> dict[str, tuple[int, int | None]]:
    return {
        m.__name__: (m.objects.count(), m.objects.aggregate(top=Max("pk"))["top"]) for m in MODELS
    }


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Guicheng demo, a few cases, its inspections and plans, loaded once."""
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(
            ZHENXING_PRIVATE_MEDIA_ROOT=private,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        patch.setattr(demo_cases, "CASES_PER_COPY", 150)
        private_storage._wrapped = empty  # follow the overridden setting
        try:
            with (
                time_machine.travel(NOW, tick=False),
                TestCase.captureOnCommitCallbacks(execute=True),
            ):
                summary = load_guicheng(password="demo-pass-1")
            yield SimpleNamespace(summary=summary)
        finally:
            transaction.set_rollback(True)
            private_storage._wrapped = empty


@pytest.fixture
def frozen(demo):
    with time_machine.travel(NOW, tick=False):
        yield


class TestTheLoadedDemo:
    def test_campaigns_and_task_types(self, demo, db):
        assert campaign_period(TODAY) == (START, END)
        campaigns = {c.name: c for c in Campaign.objects.all()}
        assert list(campaigns) == [c.name for c in spec.CAMPAIGNS]
        for c in campaigns.values():
            assert (c.start, c.end, c.is_active) == (START, END, True)
        units = {
            (t.campaign.name, t.name): t.unit for t in TaskType.objects.select_related("campaign")
        }
        assert units == {
            ("三清三拆三整治", "清理垃圾"): "t",
            ("三清三拆三整治", "拆除违建"): "m2",
            ("三清三拆三整治", "整治乱堆放"): "spot",
            ("厕所革命", "改厕"): "household",
            ("田头棚整治", "整治田头棚"): "spot",
            ("三线整治", "整理线路"): "m",
            ("五美行动", "美化庭院"): "household",
        }
        counts = demo.summary.counts
        assert counts["专项行动"] == 5
        assert counts["周目标"] == WeeklyTarget.objects.count() > 10_000
        assert counts["每日安排"] == Arrangement.objects.count() > 0
        assert counts["进度上报"] == ProgressReport.objects.count() > 10_000

    def test_targets_for_every_area_on_mondays_inside_the_period(self, demo, db):
        areas = {r.pk: r for r in Region.objects.filter(path__startswith="GC/", depth=4)}
        assert len(areas) == 173
        weeks = {START + datetime.timedelta(weeks=i) for i in range(WEEKS_BEFORE + 1 + WEEKS_AFTER)}
        per_area = defaultdict(set)
        per_task = defaultdict(set)
        for t in WeeklyTarget.objects.select_related("task_type"):
            assert t.area_id in areas and t.region_path == areas[t.area_id].path
            assert t.week in weeks and t.week.weekday() == 0
            assert t.quantity > 0
            per_area[t.area_id].add(t.week)
            per_task[t.task_type.code].add(t.area_id)
        # Every area has targets in (nearly) every week, future weeks too.
        assert set(per_area) == set(areas)
        assert all(len(w) >= len(weeks) - 2 for w in per_area.values())
        # Not every area every task: the farm sheds where there is farmland.
        assert len(per_task["QLLJ"]) == 173
        assert 5 < len(per_task["ZZTTP"]) < 100
        assert all(5 < len(a) <= 173 for a in per_task.values())

    def test_reports_arrangements_and_photos_in_their_place(self, demo, db):
        regions = {r.pk: r for r in Region.objects.filter(path__startswith="GC/")}
        teams = {t.pk: t for t in WorkTeam.objects.select_related("region")}
        assert len(teams) == 22
        streets = 0
        for r in ProgressReport.objects.all():
            place = regions[r.region_id]
            assert r.region_path == place.path and place.depth in (4, 5)
            streets += place.depth == 5
            assert START <= r.date <= TODAY and r.quantity > 0
            assert r.team_id is not None
            assert place.path.startswith(teams[r.team_id].region.path)
        assert streets > 100
        for a in Arrangement.objects.all():
            place = regions[a.region_id]
            assert a.region_path == place.path and place.depth in (4, 5)
            assert place.path.startswith(teams[a.team_id].region.path)
            assert TODAY - datetime.timedelta(days=ARRANGED_DAYS) <= a.date <= TODAY
            assert a.planned_quantity > 0 and a.note and a.people_names
        assert ProgressPhoto.objects.count() > 1000
        assert (
            not ProgressPhoto.objects.exclude(lat__isnull=False)
            .filter(report__region__depth=4)
            .exists()
        )

    def test_done_arrangements_are_reported_late_ones_are_not(self, demo, db):
        linked = defaultdict(list)
        for r in ProgressReport.objects.filter(arrangement__isnull=False):
            linked[r.arrangement_id].append(r)
        statuses = defaultdict(int)
        for a in Arrangement.objects.all():
            statuses[(a.date < TODAY, a.status)] += 1
            if a.status == ArrangementStatus.DONE:
                (report,) = linked[a.pk]
                assert (report.date, report.region_id, report.task_type_id, report.team_id) == (
                    a.date,
                    a.region_id,
                    a.task_type_id,
                    a.team_id,
                )
                # The task had a target in that area that week.
                area_path = "/".join(a.region_path.split("/")[:4]) + "/"
                assert WeeklyTarget.objects.filter(
                    region_path=area_path,
                    task_type_id=a.task_type_id,
                    week=a.date - datetime.timedelta(days=a.date.weekday()),
                ).exists()
            else:
                assert a.pk not in linked
        past = {k[1]: v for k, v in statuses.items() if k[0]}
        assert past[ArrangementStatus.DONE] > 10 * past[ArrangementStatus.PLANNED] > 0
        assert past[ArrangementStatus.CANCELLED] > 0
        # Today: planned and one done per team.
        today = Arrangement.objects.filter(date=TODAY)
        assert set(today.values_list("team_id", flat=True)) == set(
            WorkTeam.objects.values_list("pk", flat=True)
        )
        assert today.filter(status=ArrangementStatus.DONE).count() == 22
        assert today.filter(status=ArrangementStatus.PLANNED).count() >= 2 * 22

    def test_completion_varies_and_some_areas_lag(self, demo, db):
        target = defaultdict(Decimal)
        actual = defaultdict(Decimal)
        for t in WeeklyTarget.objects.filter(week__lt=CURRENT_WEEK).values(
            "region_path", "week", "quantity"
        ):
            target[(t["region_path"], t["week"])] += t["quantity"]
        for r in ProgressReport.objects.filter(date__lt=CURRENT_WEEK).values(
            "region_path", "date", "quantity"
        ):
            area = "/".join(r["region_path"].split("/")[:4]) + "/"
            week = r["date"] - datetime.timedelta(days=r["date"].weekday())
            assert (area, week) in target  # no progress without a target
            actual[(area, week)] += r["quantity"]
        ratios = sorted(float(actual[k] / v) for k, v in target.items())
        # Over all task types of an area in a past week: 40%–130%, with a spread.
        assert 0.25 < ratios[0] < 0.55
        assert 1.1 < ratios[-1] < 1.45
        middle = ratios[len(ratios) // 2]
        assert 0.75 < middle < 1.05
        # This week (Monday and Tuesday gone of five days): some areas behind the pace.
        this_week = defaultdict(Decimal)
        for t in WeeklyTarget.objects.filter(week=CURRENT_WEEK):
            this_week[t.region_path] += t.quantity
        done = defaultdict(Decimal)
        for r in ProgressReport.objects.filter(date__gte=CURRENT_WEEK):
            done["/".join(r.region_path.split("/")[:4]) + "/"] += r.quantity
        pace = {p: float(done[p] / q) / (2 / 7) for p, q in this_week.items()}
        assert sum(v < 1 for v in pace.values()) > 20
        assert sum(v >= 1 for v in pace.values()) > 20

    def test_todays_board_of_dienan_is_populated(self, demo, frozen, db):
        community = Region.objects.get(depth=2, name="叠南社区")
        leader = User.objects.get(username="leader")
        secretary = User.objects.get(username="secretary")
        team = WorkTeam.objects.get(region=community)
        assert team.leader_id == leader.pk
        for user in (leader, secretary):
            today = arrangements_visible_to(user).filter(
                date=TODAY, region_path__startswith=community.path
            )
            assert today.filter(status=ArrangementStatus.PLANNED).count() >= 2
            assert today.filter(team=team).count() == today.count()
            late = arrangements_visible_to(user).filter(
                date__lt=TODAY, status=ArrangementStatus.PLANNED
            )
            assert late.filter(region_path__startswith=community.path).exists() or (
                # A community that kept up has no late work: then others have.
                Arrangement.objects.filter(date__lt=TODAY, status=ArrangementStatus.PLANNED)
                .exclude(region_path__startswith=community.path)
                .exists()
            )
            assert reports_visible_to(user).filter(date=TODAY).exists()
        # The leader is among the people of today's work.
        assert Arrangement.objects.filter(date=TODAY, team=team, people=leader).exists()
        # And the outsider of another community sees none of it.
        other = User.objects.get(username="secretary2")
        assert not arrangements_visible_to(other).filter(team=team).exists()

    def test_todays_board_selector(self, demo, frozen, db):
        from zhenxing.plans.selectors import today_board

        community = Region.objects.get(depth=2, name="叠南社区")
        for username in ("leader", "secretary"):
            board = today_board(
                user=User.objects.get(username=username), community=community, day=TODAY
            )
            (group,) = board["teams"]
            arranged = group["arrangements"]
            assert group["team"].leader.username == "leader"
            assert len(arranged) >= 3
            assert {a.status for a in arranged} == {
                ArrangementStatus.PLANNED,
                ArrangementStatus.DONE,
            }
            assert all(a.reported > 0 for a in arranged if a.status == ArrangementStatus.DONE)
            assert board["behind"]
            assert all(a.date < TODAY for a in board["late"])

    def test_a_second_load_adds_nothing(self, demo, frozen, db):
        before = _state()
        with TestCase.captureOnCommitCallbacks(execute=True):
            summary = load_guicheng(password="demo-pass-1")
        after = _state()
        assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
            k: v for k, v in before.items() if k != "AuditEntry"
        }
        assert after["AuditEntry"] == before["AuditEntry"]  # nothing new: no audit row either
        assert summary.counts == demo.summary.counts
        assert load_plans() == {
            "campaigns": 0,
            "task_types": 0,
            "weekly_targets": 0,
            "arrangements": 0,
            "progress_reports": 0,
            "progress_photos": 0,
        }


@pytest.mark.django_db
def test_plans_alone_in_the_small_world(world):
    """The small world: three areas, no work team, no calendar: targets and reports only."""
    with time_machine.travel(NOW, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        created = load_plans(root_code=world.root.code)
        again = load_plans(root_code=world.root.code)
    assert created["campaigns"] == 5 and created["task_types"] == 7
    assert created["weekly_targets"] > 3 * (WEEKS_BEFORE + WEEKS_AFTER)
    assert created["progress_reports"] > 0
    assert again == dict.fromkeys(created, 0)
    paths = {world.area_a1.pk: world.area_a1.path, world.area_a2.pk: world.area_a2.path}
    paths[world.area_b1.pk] = world.area_b1.path
    for t in WeeklyTarget.objects.all():
        assert paths[t.area_id] == t.region_path and t.week.weekday() == 0
    for r in ProgressReport.objects.all():
        assert r.region_path == paths[r.region_id]
        assert r.date < TODAY and r.date.weekday() < 5
    # Arrangements need a team: none in this world.
    assert not Arrangement.objects.exists()
