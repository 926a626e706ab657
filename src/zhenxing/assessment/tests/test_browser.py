"""In Chromium: the office reads the ranking, explains a unit, edits and publishes a circular.

The data is the ranking tests' week 2026-W47 (test_views_ranking.py) with a
draft circular for it; the clock stands on Wed 25 Nov 2026 but ticks (the
live server and the browser wait on real time).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PASSWORD
from zhenxing.assessment.models import Circular
from zhenxing.assessment.tests import test_views_ranking
from zhenxing.assessment.tests.conftest import at
from zhenxing.assessment.tests.test_views_circulars import add_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the lead looks at the screenshots of this change.
SHOTS = Path("/tmp/shots")  # noqa: S108

scene = test_views_ranking.scene


@pytest.fixture
def frozen(time_machine):
    """Overrides the assessment conftest's: the same moment, but the clock runs."""
    time_machine.move_to(at(25, 10), tick=True)
    return time_machine


def log_in(page, username: str, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_the_office_ranks_explains_and_publishes(scene, make_case, private_media, page):
    from zhenxing.assessment.circulars import circular_create
    from zhenxing.assessment.models import IncentiveRecord
    from zhenxing.cases.models import Case, Source

    world = scene.world
    # A black spot opened by the inspection, put right: before | after in the circular.
    spot = make_case(
        world.area_a2,
        reported=at(17, 9),
        dispatched=at(17, 10),
        deadline=at(19, 18),
        rectified=[at(18, 9)],
        closed=at(18, 15),
        number="20261117000009",
    )
    Case.objects.filter(pk=spot.pk).update(source=Source.INSPECTION)
    add_photo(spot, "before", "saddlebrown")
    add_photo(spot, "after", "seagreen")
    IncentiveRecord.objects.create(
        kind="interview",
        period=scene.period,
        community=world.a,
        cadre=world.team_leader_a,
        date=scene.period.start,
        reason="暴露垃圾整改不力，经提醒仍未按期完成，约谈社区工作队队长并责令限期整改到位。",
        recorded_by=world.admin,
    )
    draft = circular_create(period=scene.period, scope=world.root, actor=world.admin)
    page.set_viewport_size({"width": 1280, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The ranking opens on last week, live, 社区甲 first.
    log_in(page, "office", "/assessment/")
    rows = page.locator("table.zx-ranking tbody tr")
    assert rows.count() == 2
    assert "社区甲" in rows.first.inner_text()
    assert page.locator(".zx-spark").count() == 2
    page.screenshot(path=str(SHOTS / "ranking.png"), full_page=True)

    # Months, and back to weeks: each opens on the last finished period of its kind.
    page.select_option("#id_period_kind", "month")
    page.wait_for_url(re.compile(r"period_kind=month"))
    assert page.input_value("#id_period") == "2026-10-01"
    page.select_option("#id_period_kind", "week")
    page.wait_for_url(re.compile(r"period_kind=week"))
    assert page.input_value("#id_period") == "2026-11-16"

    # A click on a unit opens its explanation, with the case behind its closure rate.
    page.click("table.zx-ranking tbody tr >> nth=0 >> th a")
    page.wait_for_url(re.compile(r"/assessment/unit/community/GC01/\?period=\d+$"))
    assert page.locator("#closure_rate").count() == 1
    page.click("#closure_rate details summary >> nth=0")
    assert scene.closed_a.number in page.locator("#closure_rate").inner_text()
    page.screenshot(path=str(SHOTS / "ranking-explain.png"), full_page=True)

    # The draft circular: edit the text, then publish it.
    page.goto(f"/circulars/{draft.pk}/")
    page.screenshot(path=str(SHOTS / "circular-draft.png"), full_page=True)
    page.click("#edit-circular summary")
    page.fill("#id_narrative", "本周各社区整改有力。\n\n请社区乙抓紧整改。")
    page.click("#edit-circular button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "请社区乙抓紧整改。" in page.locator("#circular-narrative").inner_text()
    draft.refresh_from_db()
    assert draft.version == 2

    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#publish-button")
    page.wait_for_selector(".alert-success")
    assert len(dialogs) == 1
    assert page.locator("#publish-button").count() == 0
    published = Circular.objects.get(pk=draft.pk)
    assert published.is_published
    assert "请社区乙抓紧整改。" in published.content["circular"]["narrative"]
    # The black spot's before | after photos are served to the office.
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.zx-spot img')).every(i => i.naturalWidth > 0)"
    )
    assert page.locator(".zx-spot img").count() == 2
    page.screenshot(path=str(SHOTS / "circular.png"), full_page=True)

    # On a phone the rewards table keeps kind, date, community and cadre on one line each
    # (they wrapped after one or two characters); the reason takes the rest.
    page.set_viewport_size({"width": 390, "height": 844})
    lines = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '.zx-paper-incentives tbody td:not(.zx-paper-reason)')).map(td => {
                const range = document.createRange();
                range.selectNodeContents(td);
                return range.getClientRects().length;
            })"""
    )
    assert len(lines) == 4 and lines == [1, 1, 1, 1]
    page.screenshot(path=str(SHOTS / "circular-phone.png"), full_page=True)

    # 社区乙's secretary reads the published circular with 社区甲's photos in it.
    other = page.context.browser.new_context(base_url=live_url(page), locale="zh-CN")
    try:
        reader = other.new_page()
        log_in(reader, "sec_b", f"/circulars/{draft.pk}/")
        reader.wait_for_function(
            "Array.from(document.querySelectorAll('.zx-spot img'))"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        assert reader.locator(".zx-spot img").count() == 2
    finally:
        other.close()


def live_url(page) -> str:
    """The live server's address, from the page's own."""
    scheme, _sep, rest = page.url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
