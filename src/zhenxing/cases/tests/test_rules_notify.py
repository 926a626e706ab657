"""Who hears of a step: worked out with the step itself, the reporter told how it ended,
and never a handler asked to verify their own work."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from zhenxing.cases import services
from zhenxing.cases.models import RequestKind
from zhenxing.notify.models import Notification
from zhenxing.people.models import WorkTeam

from .test_loop import after_photos, dispatched, report


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """Run a service as a request would: its after-commit notifications really go out."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_recipients_and_text_are_those_of_the_step_not_of_commit_time(
    world, cats, private_media, django_capture_on_commit_callbacks
):
    case = report(world, cats.garbage)
    # Two steps commit before either's notification is sent (a slow worker, a
    # busy server): each still goes to the people its own step concerned.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_accept(case=case, actor=world.secretary_a)
        services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
        request = services.case_request(
            case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="改派"
        )
        services.case_decide_request(request=request, actor=world.admin, approve=True)
        services.case_dispatch(case=case, actor=world.admin, to=world.area_a2)
    for callback in callbacks:
        callback()
    assert told("accepted") == {"office", "sec_a"}  # the dispatchers, not the later handler
    assert told("send_back_requested") == {"office"}
    # The approval sent the case back to the dispatchers: its text says so (at
    # commit time the case was dispatched again, with a deadline).
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext(
            "Case %(number)s (%(category)s, %(area)s) was sent back by its handler: "
            "dispatch it again."
        ) % {"number": case.number, "category": str(cats.garbage), "area": "甲一片区"}
    assert expected != "" and "%(" not in expected
    assert set(
        Notification.objects.filter(kind="request_approved").values_list("text", flat=True)
    ) == {expected}
    assert told("request_approved") == {"office", "sec_a"}


def test_a_rejection_tells_the_reporter(world, cats, private_media, step):
    case = report(world, cats.garbage, world.inspector_a)
    step(services.case_reject, case=case, actor=world.admin, reason="误报")
    assert told("rejected") == {"insp_a"}
    assert case.number in Notification.objects.get(kind="rejected").text


def test_a_closure_tells_the_reporter(world, cats, private_media, step):
    case = report(world, cats.garbage, world.party_member_a)
    services.case_accept(case=case, actor=world.secretary_a)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    services.case_rectify(case=case, actor=world.secretary_a, note="已清", photos=after_photos())
    step(services.case_verify, case=case, actor=world.inspector_a, passed=True)
    assert told("verified") == {"pm_a"}


def test_an_inactive_reporter_or_one_who_ended_it_is_not_told(world, cats, private_media, step):
    case = report(world, cats.garbage, world.party_member_a)
    world.party_member_a.is_active = False
    world.party_member_a.save()
    step(services.case_reject, case=case, actor=world.admin, reason="误报")
    own = report(world, cats.garbage, world.secretary_a)
    step(services.case_reject, case=own, actor=world.secretary_a, reason="重复")
    assert not Notification.objects.filter(kind="rejected").exists()


def test_a_handler_is_not_asked_to_verify(world, cats, private_media, step):
    # The inspector leads the team the case went to: a handler, so no verifier.
    team = WorkTeam.objects.create(name="巡查队", region=world.a, leader=world.inspector_a)
    case = dispatched(world, cats.garbage, to=team)
    step(
        services.case_rectify,
        case=case,
        actor=world.secretary_a,
        note="已清",
        photos=after_photos(),
    )
    assert told("rectified") == {"office"}
