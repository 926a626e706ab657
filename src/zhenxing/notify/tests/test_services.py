"""Who is told what at each step of the loop, and what an outbound message carries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from zhenxing.cases import services
from zhenxing.cases.models import RequestKind
from zhenxing.cases.photos import validate_photos
from zhenxing.cases.tests.conftest import IN_A1, upload
from zhenxing.notify.models import Notification, OutboundMessage, OutboundStatus
from zhenxing.notify.services import notify_case

SEND_TASK = "zhenxing.notify.tasks.send_outbound"


def told(kind: str) -> set[str]:
    """Usernames given an in-app notification of this kind."""
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """Run a service as a request would: its after-commit notifications really go out."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def reported(world, cats, private_media, step):
    return step(
        services.case_report,
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="路边暴露垃圾",
        lat=IN_A1[0],
        lng=IN_A1[1],
        photos=validate_photos([upload()]),
    )


def test_every_step_of_the_loop_tells_the_people_it_now_waits_for(world, reported, step):
    case = reported
    # Reported: the dispatchers (the office over the area, the community's secretary).
    assert told("reported") == {"office", "sec_a"}
    step(services.case_accept, case=case, actor=world.secretary_a)
    assert told("accepted") == {"office", "sec_a"}
    step(services.case_dispatch, case=case, actor=world.secretary_a, to=world.area_a1)
    assert told("dispatched") == {"sec_a"}
    before = Notification.objects.count()
    step(services.case_start, case=case, actor=world.secretary_a)
    assert Notification.objects.count() == before  # nothing new is asked of anyone
    step(
        services.case_rectify,
        case=case,
        actor=world.secretary_a,
        note="已清理",
        photos=validate_photos([upload()]),
    )
    # Verifiers: the office and the inspector, never the handler who rectified.
    assert told("rectified") == {"office", "insp_a"}
    step(services.case_verify, case=case, actor=world.inspector_a, passed=False, note="仍有残留")
    assert told("verify_failed") == {"sec_a"}
    step(
        services.case_rectify,
        case=case,
        actor=world.secretary_a,
        note="已再次清理",
        photos=validate_photos([upload()]),
    )
    before = Notification.objects.count()
    step(services.case_verify, case=case, actor=world.inspector_a, passed=True)
    assert Notification.objects.count() == before  # closed: it waits for nobody
    # Nobody outside the case's chain heard of it at any step.
    everyone = set(Notification.objects.values_list("user__username", flat=True))
    assert everyone == {"office", "sec_a", "insp_a"}


def test_a_notification_names_the_case_and_links_to_it(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
    note = Notification.objects.get(kind="dispatched")
    assert note.user == world.secretary_a and note.case == reported
    assert note.url == f"/cases/c/{reported.number}/"
    assert reported.number in note.text
    assert "暴露垃圾" in note.text and "甲一片区" in note.text
    # The deadline in the site's own format (zh-hans: 2026年11月30日 18:00).
    local = timezone.localtime(reported.deadline)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in note.text
    assert note.read_at is None


def test_texts_are_in_the_site_language_whatever_the_request_language(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    with translation.override("en"):
        step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
        assert translation.get_language() == "en"  # and the caller's language is left alone
    text = Notification.objects.get(kind="dispatched").text
    assert "年" in text and "-" not in text.split(reported.number, 1)[1]


def test_an_sms_is_queued_for_each_recipient_with_a_mobile(world, reported):
    # office (13800000001) and sec_a (13800000002) have mobiles; both were told of the report.
    sms = OutboundMessage.objects.filter(template="reported").order_by("to")
    assert [(m.channel, m.user, m.to) for m in sms] == [
        ("sms", world.admin, "13800000001"),
        ("sms", world.secretary_a, "13800000002"),
    ]
    message = sms[0]
    assert message.status == OutboundStatus.QUEUED and message.attempts == 0
    assert message.text == Notification.objects.get(user=world.admin, kind="reported").text
    assert message.params["number"] == reported.number
    assert message.params["category"] == str(reported.category)
    assert message.params["area"] == "甲一片区"
    # One send task per message, enqueued after the commit, naming the message by its pk.
    queued = DBTaskResult.objects.filter(task_path=SEND_TASK)
    assert sorted(r.args_kwargs["args"][0] for r in queued) == sorted(m.pk for m in sms)


def test_users_without_a_mobile_get_only_the_inbox_message(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
    step(services.case_start, case=reported, actor=world.secretary_a)
    step(
        services.case_rectify,
        case=reported,
        actor=world.secretary_a,
        note="已清理",
        photos=validate_photos([upload()]),
    )
    assert told("rectified") == {"office", "insp_a"}
    assert list(
        OutboundMessage.objects.filter(template="rectified").values_list("to", flat=True)
    ) == ["13800000001"]


def test_a_residents_name_and_mobile_never_reach_a_message(world, cats, step):
    case = step(
        services.case_report,
        actor=world.secretary_a,
        category=cats.garbage,
        source="resident",
        description="居民王小明（13912345678）反映路边有垃圾",
        lat=IN_A1[0],
        lng=IN_A1[1],
        reporter_name="王小明",
        reporter_mobile="13912345678",
    )
    assert Notification.objects.filter(case=case).exists()
    for text in [*Notification.objects.values_list("text", flat=True)] + [
        str(m.params) + m.text for m in OutboundMessage.objects.all()
    ]:
        assert "王小明" not in text and "13912345678" not in text


def test_a_request_tells_the_office_that_must_decide_it(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
    step(
        services.case_request,
        case=reported,
        actor=world.secretary_a,
        kind=RequestKind.EXTENSION,
        reason="雨天无法清运",
        until=reported.deadline + datetime.timedelta(days=3),
    )
    assert told("extension_requested") == {"office"}


def test_an_approved_extension_tells_the_handler_the_new_deadline(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
    request = step(
        services.case_request,
        case=reported,
        actor=world.secretary_a,
        kind=RequestKind.EXTENSION,
        reason="雨天无法清运",
        until=reported.deadline + datetime.timedelta(days=3),
    )
    step(services.case_decide_request, request=request, actor=world.admin, approve=True)
    note = Notification.objects.get(kind="request_approved")
    assert note.user == world.secretary_a
    new = timezone.localtime(request.requested_until)
    assert f"{new.year}年{new.month}月{new.day}日" in note.text


def test_an_approved_send_back_asks_the_dispatchers_to_dispatch_again(world, reported, step):
    step(services.case_accept, case=reported, actor=world.secretary_a)
    step(services.case_dispatch, case=reported, actor=world.secretary_a, to=world.area_a1)
    request = step(
        services.case_request,
        case=reported,
        actor=world.secretary_a,
        kind=RequestKind.SEND_BACK,
        reason="不属于本社区",
    )
    step(services.case_decide_request, request=request, actor=world.admin, approve=True)
    assert told("request_approved") == {"office", "sec_a"}


def test_notify_case_skips_repeats_and_inactive_users(world, reported):
    world.outsider.is_active = False
    world.outsider.save()
    Notification.objects.all().delete()
    notify_case(case=reported, kind="accepted", users=[world.admin, world.admin, world.outsider])
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["office"]
    assert notify_case(case=reported, kind="accepted", users=[]) is None
