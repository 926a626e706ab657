"""An elector votes on a phone in Chromium: code, ballot, confirmation, thank-you page."""

from __future__ import annotations

import pytest

from zhenxing.votes.ballots import code_issue
from zhenxing.votes.models import Ballot, Channel
from zhenxing.votes.tests.test_ballots import open_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOT = "/tmp/votes_cast_done.png"  # noqa: S108  (the lead looks at it)


def test_an_elector_votes_with_a_code_on_a_phone(world, votes, page):
    session = open_session(votes, world)
    _, plain = code_issue(session=session, elector=votes.electors[0], actor=world.secretary_a)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/public/votes/cast/")
    # Typed from the slip, in small letters with the dash.
    page.fill("input[name=code]", f"{plain[:5].lower()}-{plain[5:]}")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-step=ballot]")
    page.get_by_label(votes.options[0].label).check()
    page.click("button[value=review]")
    page.wait_for_selector("[data-step=review]")
    assert page.inner_text("[data-choice='1']") == votes.options[0].label
    page.click("button[value=cast]")
    page.wait_for_selector("[data-step=done]")
    ballot = Ballot.objects.get()
    assert ballot.channel == Channel.PHONE and ballot.option == votes.options[0]
    assert ballot.hash in page.inner_text("[data-seq='1']")
    # Nothing spills sideways on a narrow phone, the 64-digit hash included.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOT, full_page=True)
