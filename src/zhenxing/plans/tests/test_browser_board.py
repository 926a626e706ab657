"""In Chromium: a secretary arranges work on today's board, a team leader reports it done
on the phone form (with a photo), and the board shows it done; the plan table edits inline."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import PASSWORD
from zhenxing.cases.testing import jpeg_bytes
from zhenxing.people.models import WorkTeam
from zhenxing.plans.models import (
    Arrangement,
    ArrangementStatus,
    Campaign,
    ProgressReport,
    TaskType,
    Unit,
    WeeklyTarget,
    monday_of,
)
from zhenxing.territory.services import region_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108
PHONE = {"width": 390, "height": 844}


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def log_out(page) -> None:
    page.context.clear_cookies()


@pytest.fixture
def page_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def plan(world):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        code="SQSC", name="三清三拆三整治", start=today - datetime.timedelta(days=70)
    )
    garbage = TaskType.objects.create(
        campaign=campaign, code="LJ", name="清理垃圾", unit=Unit.TONNE, order=1
    )
    street = region_create(code="GC01-01-A-01", name="甲一街", parent=world.area_a1, actor=None)
    team = WorkTeam.objects.create(name="甲一保洁队", region=world.a, leader=world.team_leader_a)
    week = monday_of(today)
    for area, quantity in ((world.area_a1, "10"), (world.area_a2, "4")):
        WeeklyTarget.objects.create(
            area=area,
            region_path=area.path,
            task_type=garbage,
            week=week,
            quantity=Decimal(quantity),
        )
    return campaign, garbage, street, team


def test_arrange_report_and_see_it_done(world, plan, private_media, page, page_errors):
    _campaign, garbage, street, team = plan
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, "sec_a", "/plans/today/")
    assert page.locator("[data-team]").count() == 1
    page.click("#arrange")
    page.wait_for_url(re.compile(r"/plans/arrangements/new/\?community=GC01$"))
    page.select_option("#id_region", str(street.pk))
    page.select_option("#id_task_type", str(garbage.pk))
    page.select_option("#id_team", str(team.pk))
    page.select_option("#id_people", str(world.team_leader_a.pk))
    page.fill("#id_planned_quantity", "2")
    page.fill("#id_note", "清理路边垃圾")
    page.click("#arrangement-submit")
    page.wait_for_url(re.compile(r"/plans/today/\?community=GC01$"))
    arrangement = Arrangement.objects.get()
    card = page.locator(f"#arrangement-{arrangement.pk}")
    assert card.get_attribute("data-status") == "planned"
    assert "甲一街" in card.text_content()
    page.screenshot(path=str(SHOTS / "plans_board_arranged.png"), full_page=True)

    # The team leader, on a phone, reports the work from the arrangement.
    log_out(page)
    page.set_viewport_size(PHONE)
    log_in(page, "lead_a", "/plans/today/")
    page.click(f"#arrangement-{arrangement.pk} a.btn-success")
    page.wait_for_url(re.compile(rf"/plans/report/\?arrangement={arrangement.pk}$"))
    assert page.locator("#quantity-unit").text_content().strip() != ""
    submit = page.locator("#report-submit").bounding_box()
    assert submit is not None and submit["height"] >= 44
    page.fill("#id_quantity", "2.5")
    page.set_input_files(
        "#id_photos", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.screenshot(path=str(SHOTS / "plans_report_phone.png"), full_page=True)
    page.click("#report-submit")
    page.wait_for_url(re.compile(r"/plans/today/\?community=GC01$"))
    report = ProgressReport.objects.get()
    assert report.quantity == Decimal("2.5") and report.photos.count() == 1
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.DONE
    card = page.locator(f"#arrangement-{arrangement.pk}")
    assert card.get_attribute("data-status") == "done"
    assert "2.5" in card.locator("[data-reported]").text_content()
    page.screenshot(path=str(SHOTS / "plans_board_done.png"), full_page=True)
    assert page_errors == []


def test_the_table_edits_a_target_inline(world, plan, page, page_errors):
    _campaign, garbage, _street, _team = plan
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, "sec_a", "/plans/table/")
    week = monday_of(timezone.localdate()).isoformat()
    cell = page.locator(f"#cell-GC01-01-B-{week}")
    box = cell.locator("input[name=quantity]")
    assert box.input_value() == "4"
    box.fill("6")
    with page.expect_response(lambda r: "/plans/table/target/" in r.url):
        box.press("Tab")
    page.locator(f"#cell-GC01-01-B-{week} .zx-cell-actual").wait_for()
    target = WeeklyTarget.objects.get(area=world.area_a2, task_type=garbage)
    assert target.quantity == Decimal("6")
    # A negative target: the cell shows the reason, nothing is saved.
    box = page.locator(f"#cell-GC01-01-B-{week} input[name=quantity]")
    box.fill("-1")
    with page.expect_response(lambda r: "/plans/table/target/" in r.url) as answer:
        box.press("Tab")
    assert answer.value.status == 400
    page.locator(f"#cell-GC01-01-B-{week} .zx-cell-error").wait_for()
    target.refresh_from_db()
    assert target.quantity == Decimal("6")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.screenshot(path=str(SHOTS / "plans_table.png"), full_page=True)
    assert page_errors == []
