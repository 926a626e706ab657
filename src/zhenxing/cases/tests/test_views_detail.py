"""The case page and every step of the loop taken through it, by the right role and no other."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhenxing.cases import services
from zhenxing.cases.models import Case, CaseRequest, RequestStatus, Status
from zhenxing.cases.photos import validate_photos

from .conftest import IN_A1, upload


@pytest.fixture
def client_for(world):
    """A separate logged-in client per user, so that several people can act in one test."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.number])


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.number, action])


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def act(client, case: Case, action: str, **data):
    """Post a step as the page would: with the version of the case as it was shown."""
    case.refresh_from_db()
    data.setdefault("version", case.version)
    return client.post(act_url(case, action), data)


def new_case(world, cats, category=None, **kwargs) -> Case:
    defaults = {
        "actor": world.inspector_a,
        "category": category or cats.garbage,
        "source": "inspection",
        "description": "路边暴露垃圾",
        "lat": IN_A1[0],
        "lng": IN_A1[1],
        "photos": validate_photos([upload()]),
    }
    defaults.update(kwargs)
    return services.case_report(**defaults)


def status_of(case: Case) -> str:
    case.refresh_from_db()
    return case.status


def actions_on_page(html: str, case: Case) -> set[str]:
    prefix = re.escape(reverse("cases:act", args=[case.number, "X"]).rsplit("X", 1)[0])
    return set(re.findall(prefix + r"([a-z_]+)/", html))


# --- reading the page -------------------------------------------------------------------


def test_who_may_see_the_page(client, client_for, world, cats, private_media):
    case = new_case(world, cats)
    url = detail_url(case)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.nobody).get(url).status_code == 404
    assert client_for(world.party_member_a).post(url).status_code == 405
    for user in (world.party_member_a, world.secretary_a, world.dept_staff, world.admin):
        assert client_for(user).get(url).status_code == 200
    assert client_for(world.admin).get(reverse("cases:detail", args=["nope"])).status_code == 404


def test_the_page_shows_the_case(client_for, world, cats, private_media):
    case = new_case(world, cats, address="甲村大道18号")
    response = client_for(world.secretary_a).get(detail_url(case))
    html = response.content.decode()
    assert case.number in html and "暴露垃圾" in html and "路边暴露垃圾" in html
    assert "zx-badge-progress" in html  # reported: in progress, blue
    assert reverse("territory:region", args=[world.area_a1.code]) in html
    assert "甲村大道18号" in html
    photo = case.photos.get()
    assert reverse("cases:photo", args=[photo.token, "thumb"]) in html
    assert reverse("cases:photo", args=[photo.token, "display"]) in html
    assert 'id="photos-before"' in html and 'id="photos-after"' in html
    assert 'id="case-map"' in html
    # The timeline has the report, by the inspector.
    assert "insp_a" in html or str(world.inspector_a) in html


def test_a_residents_details_are_only_for_the_dispatchers(client_for, world, cats, private_media):
    case = new_case(
        world,
        cats,
        actor=world.secretary_a,
        source="resident",
        reporter_name="陈大文",
        reporter_mobile="13912345678",
    )
    html = client_for(world.secretary_a).get(detail_url(case)).content.decode()
    assert "陈大文" in html and "13912345678" in html
    for user in (world.party_member_a, world.inspector_a, world.dept_staff):
        html = client_for(user).get(detail_url(case)).content.decode()
        assert "13912345678" not in html and "陈大文" not in html
        assert "139****5678" in html and "陈*文" in html


def test_only_the_steps_the_viewer_owns_are_offered(client_for, world, cats, private_media):
    case = new_case(world, cats)
    html = client_for(world.secretary_a).get(detail_url(case)).content.decode()
    assert actions_on_page(html, case) == {"accept", "reject"}
    for user in (world.party_member_a, world.inspector_a, world.dept_staff, world.team_leader_a):
        html = client_for(user).get(detail_url(case)).content.decode()
        assert actions_on_page(html, case) == set(), user
    services.case_accept(case=case, actor=world.secretary_a)
    html = client_for(world.secretary_a).get(detail_url(case)).content.decode()
    assert actions_on_page(html, case) == {"dispatch"}


def test_the_page_runs_the_same_queries_however_long_the_timeline(
    client_for, world, cats, private_media
):
    case = new_case(world, cats)
    client = client_for(world.secretary_a)
    client.get(detail_url(case))  # warm the caches (territory index, role lookups)
    with CaptureQueriesContext(connection) as short:
        assert client.get(detail_url(case)).status_code == 200
    for i in range(6):
        services.case_add_report(
            case=case,
            actor=world.party_member_a,
            description=f"又一次 {i}",
            photos=validate_photos([upload(), upload()]),
        )
    with CaptureQueriesContext(connection) as long:
        assert client.get(detail_url(case)).status_code == 200
    assert len(long) == len(short)


# --- the steps ----------------------------------------------------------------------------


def test_the_community_loop_through_the_page(client_for, world, cats, private_media):
    case = new_case(world, cats)
    secretary = client_for(world.secretary_a)

    # Accept: the dispatcher's step; nobody else's.
    assert act(client_for(world.party_member_a), case, "accept").status_code == 403
    assert act(client_for(world.inspector_a), case, "accept").status_code == 403
    assert act(client_for(world.dept_staff), case, "accept").status_code == 403
    assert act(client_for(world.outsider), case, "accept").status_code == 404
    response = act(secretary, case, "accept", note="属实")
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    assert status_of(case) == Status.ACCEPTED

    # Dispatch: the form offers the community first (the category's default handler).
    html = secretary.get(detail_url(case)).content.decode()
    assert f'<option value="region:{world.a.pk}" selected>' in html
    assert f"department:{world.dept.pk}" not in html  # a secretary keeps it in the community
    assert (
        act(
            client_for(world.inspector_a), case, "dispatch", target=f"region:{world.a.pk}"
        ).status_code
        == 403
    )
    # A department is not among a secretary's targets: a 400, not a dispatch.
    response = act(secretary, case, "dispatch", target=f"department:{world.dept.pk}")
    assert response.status_code == 400 and status_of(case) == Status.ACCEPTED
    response = act(secretary, case, "dispatch", target=f"region:{world.area_a1.pk}")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.assigned_region == world.area_a1
    assert case.deadline is not None

    # Start and rectify: the handler's steps.
    assert act(client_for(world.inspector_a), case, "start").status_code == 403
    assert act(client_for(world.team_leader_a), case, "start").status_code == 403
    assert act(secretary, case, "start").status_code == 302
    assert status_of(case) == Status.RECTIFYING
    # The category needs an after-photo: without one, a 400 that keeps the note.
    response = act(secretary, case, "rectify", note="已清理完毕")
    assert response.status_code == 400
    assert "已清理完毕" in response.content.decode()
    assert status_of(case) == Status.RECTIFYING
    assert act(client_for(world.party_member_a), case, "rectify", note="x").status_code == 403
    response = act(secretary, case, "rectify", note="已清理完毕", photos=[upload("after.jpg")])
    assert response.status_code == 302
    assert status_of(case) == Status.RECTIFIED
    assert case.photos.filter(kind="after").count() == 1

    # Verify: never the handler's side; a failure needs its reason.
    assert act(secretary, case, "verify_pass", confirm="on").status_code == 403
    assert act(client_for(world.party_member_a), case, "verify_fail", reason="x").status_code == 403
    inspector = client_for(world.inspector_a)
    assert act(inspector, case, "verify_fail", reason="").status_code == 400
    assert status_of(case) == Status.RECTIFIED
    assert act(inspector, case, "verify_fail", reason="角落还有垃圾").status_code == 302
    assert status_of(case) == Status.REWORK

    # Rework, then a pass that must be confirmed.
    assert act(secretary, case, "start").status_code == 302
    assert act(secretary, case, "rectify", note="再次清理", photos=[upload()]).status_code == 302
    response = act(inspector, case, "verify_pass")
    assert response.status_code == 400 and status_of(case) == Status.RECTIFIED
    response = act(inspector, case, "verify_pass", confirm="on", note="已核查")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rework_count == 1

    html = secretary.get(detail_url(case)).content.decode()
    assert "zx-badge-closed" in html and actions_on_page(html, case) == set()
    assert html.count('class="zx-timeline-item') == case.events.count() == 9


def test_rejecting_needs_a_reason_and_a_confirmation(client_for, world, cats, private_media):
    case = new_case(world, cats)
    secretary = client_for(world.secretary_a)
    assert act(secretary, case, "reject", reason="", confirm="on").status_code == 400
    response = act(secretary, case, "reject", reason="不属于整治范围")
    assert response.status_code == 400
    assert "不属于整治范围" in response.content.decode()
    assert status_of(case) == Status.REPORTED
    assert (
        act(client_for(world.inspector_a), case, "reject", reason="x", confirm="on").status_code
        == 403
    )
    assert act(secretary, case, "reject", reason="不属于整治范围", confirm="on").status_code == 302
    assert status_of(case) == Status.REJECTED


def test_the_department_loop_with_its_requests(client_for, world, cats, private_media):
    case = new_case(world, cats, category=cats.floating)
    office = client_for(world.admin)
    dept = client_for(world.dept_staff)
    assert act(office, case, "accept").status_code == 302
    # The category's default department is preselected for the office.
    html = office.get(detail_url(case)).content.decode()
    assert f'<option value="department:{world.dept.pk}" selected>' in html
    assert act(office, case, "dispatch", target=f"department:{world.dept.pk}").status_code == 302
    case.refresh_from_db()
    assert case.assigned_department == world.dept
    deadline = case.deadline

    # The secretary is not the handler of a department's case.
    assert act(client_for(world.secretary_a), case, "start").status_code == 403
    assert act(dept, case, "start").status_code == 302

    # An extension: asked by the department, decided by the office.
    later = deadline + datetime.timedelta(days=3)
    assert act(dept, case, "request_extension", reason="需协调").status_code == 400  # no date
    assert (
        act(
            client_for(world.secretary_a), case, "request_extension", reason="x", until=local(later)
        ).status_code
        == 403
    )
    assert (
        act(dept, case, "request_extension", reason="需协调", until=local(later)).status_code == 302
    )
    extension = CaseRequest.objects.get(case=case, status=RequestStatus.PENDING)
    html = dept.get(detail_url(case)).content.decode()
    assert "request_deferral" not in actions_on_page(html, case)  # one pending at a time
    html = office.get(detail_url(case)).content.decode()
    decide = reverse("cases:decide", args=[case.number, extension.pk])
    assert decide in html
    case.refresh_from_db()
    # Only the office decides; a denial needs a reason.
    assert dept.post(decide, {"decision": "approve", "version": case.version}).status_code == 403
    assert (
        client_for(world.secretary_a)
        .post(decide, {"decision": "approve", "version": case.version})
        .status_code
        == 403
    )
    assert office.post(decide, {"decision": "deny", "version": case.version}).status_code == 400
    assert office.get(decide).status_code == 405
    response = office.post(decide, {"decision": "approve", "version": case.version})
    assert response.status_code == 302
    extension.refresh_from_db()
    case.refresh_from_db()
    assert extension.status == RequestStatus.APPROVED
    assert abs((case.deadline - later).total_seconds()) < 60
    # Deciding it again: it was decided meanwhile.
    again = office.post(decide, {"decision": "deny", "note": "x", "version": case.version})
    assert again.status_code == 409

    # A deferral, approved, then resumed by the office.
    assert act(dept, case, "request_deferral", reason="汛期暂缓").status_code == 302
    deferral = CaseRequest.objects.get(case=case, status=RequestStatus.PENDING)
    case.refresh_from_db()
    decide = reverse("cases:decide", args=[case.number, deferral.pk])
    assert office.post(decide, {"decision": "approve", "version": case.version}).status_code == 302
    assert status_of(case) == Status.DEFERRED
    assert act(dept, case, "resume").status_code == 403
    assert act(office, case, "resume", note="汛期结束").status_code == 302
    assert status_of(case) == Status.RECTIFYING

    # A send-back, denied with a reason, then asked again and approved.
    assert act(dept, case, "request_send_back", reason="不属本部门").status_code == 302
    send_back = CaseRequest.objects.get(case=case, status=RequestStatus.PENDING)
    case.refresh_from_db()
    decide = reverse("cases:decide", args=[case.number, send_back.pk])
    response = office.post(
        decide, {"decision": "deny", "note": "属本部门职责", "version": case.version}
    )
    assert response.status_code == 302
    send_back.refresh_from_db()
    assert send_back.status == RequestStatus.DENIED
    assert act(dept, case, "request_send_back", reason="确不属本部门").status_code == 302
    send_back = CaseRequest.objects.get(case=case, status=RequestStatus.PENDING)
    case.refresh_from_db()
    decide = reverse("cases:decide", args=[case.number, send_back.pk])
    assert office.post(decide, {"decision": "approve", "version": case.version}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.assignee is None

    # Rectified by the department without a photo (this category needs none), verified by office.
    assert act(office, case, "dispatch", target=f"department:{world.dept.pk}").status_code == 302
    assert act(dept, case, "rectify", note="已打捞").status_code == 302
    assert act(dept, case, "verify_pass", confirm="on").status_code == 403
    assert act(office, case, "verify_pass", confirm="on").status_code == 302
    assert status_of(case) == Status.CLOSED


def test_a_dispatch_deadline_must_lie_ahead(client_for, world, cats, private_media):
    case = new_case(world, cats)
    services.case_accept(case=case, actor=world.secretary_a)
    secretary = client_for(world.secretary_a)
    past = local(timezone.now() - datetime.timedelta(hours=2))
    response = act(secretary, case, "dispatch", target=f"region:{world.a.pk}", deadline=past)
    assert response.status_code == 400 and status_of(case) == Status.ACCEPTED
    ahead = timezone.now() + datetime.timedelta(days=5)
    response = act(
        secretary, case, "dispatch", target=f"region:{world.a.pk}", deadline=local(ahead)
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_region == world.a
    assert abs((case.deadline - ahead).total_seconds()) < 60


def test_a_stale_form_is_a_conflict(client_for, world, cats, private_media):
    case = new_case(world, cats)
    secretary = client_for(world.secretary_a)
    shown = case.version
    services.case_accept(case=case, actor=world.admin)
    # The secretary's page still showed the reported case: both of its steps now conflict.
    response = secretary.post(
        act_url(case, "reject"), {"version": shown, "reason": "x", "confirm": "on"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'class="alert alert-danger"' in html and case.number in html
    assert status_of(case) == Status.ACCEPTED
    # Same status, older version (someone else's step in between): also refused.
    services.case_dispatch(case=case, actor=world.admin, to=world.area_a1)
    case.refresh_from_db()
    stale = case.version
    services.case_request(
        case=case,
        actor=world.secretary_a,
        kind="extension",
        reason="r",
        until=case.deadline + datetime.timedelta(days=2),
    )
    response = secretary.post(act_url(case, "start"), {"version": stale})
    assert response.status_code == 409
    assert status_of(case) == Status.DISPATCHED
    # A missing version is a 400, never a blind write.
    assert secretary.post(act_url(case, "start"), {}).status_code == 400
    assert status_of(case) == Status.DISPATCHED


def test_methods_and_unknown_steps(client, client_for, world, cats, private_media):
    case = new_case(world, cats)
    secretary = client_for(world.secretary_a)
    assert secretary.get(act_url(case, "accept")).status_code == 405
    assert act(secretary, case, "explode").status_code == 404
    assert act(client_for(world.outsider), case, "explode").status_code == 404
    client.logout()
    response = client.post(act_url(case, "accept"), {"version": case.version})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert status_of(case) == Status.REPORTED


@pytest.mark.parametrize("user", ["outsider", "nobody"])
def test_outsiders_cannot_decide_requests(client_for, world, cats, private_media, user):
    case = new_case(world, cats, category=cats.floating)
    services.case_accept(case=case, actor=world.admin)
    services.case_dispatch(case=case, actor=world.admin, to=world.dept)
    request = services.case_request(case=case, actor=world.dept_staff, kind="send_back", reason="r")
    case.refresh_from_db()
    decide = reverse("cases:decide", args=[case.number, request.pk])
    response = client_for(getattr(world, user)).post(
        decide, {"decision": "approve", "version": case.version}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    # An unknown request on a visible case is a 404 as well.
    missing = reverse("cases:decide", args=[case.number, request.pk + 100])
    assert client_for(world.admin).post(missing, {"decision": "approve"}).status_code == 404


def test_anonymous_cannot_decide(client, world, cats, private_media):
    case = new_case(world, cats, category=cats.floating)
    services.case_accept(case=case, actor=world.admin)
    services.case_dispatch(case=case, actor=world.admin, to=world.dept)
    request = services.case_request(case=case, actor=world.dept_staff, kind="send_back", reason="r")
    decide = reverse("cases:decide", args=[case.number, request.pk])
    response = client.post(decide, {"decision": "approve", "version": case.version})
    assert response.status_code == 302 and "/login/" in response["Location"]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_the_handler_sees_its_request_waiting(client_for, world, cats, private_media):
    case = new_case(world, cats, category=cats.floating)
    services.case_accept(case=case, actor=world.admin)
    services.case_dispatch(case=case, actor=world.admin, to=world.dept)
    services.case_request(case=case, actor=world.dept_staff, kind="deferral", reason="汛期暂缓")
    html = client_for(world.dept_staff).get(detail_url(case)).content.decode()
    assert 'id="pending-request"' in html and "汛期暂缓" in html
    assert "cases/c/" + case.number + "/requests/" not in html  # no decision for the handler
    html = client_for(world.admin).get(detail_url(case)).content.decode()
    assert 'id="action-decide"' in html and 'id="pending-request"' not in html


def close(case: Case, world) -> None:
    services.case_accept(case=case, actor=world.secretary_a)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    services.case_start(case=case, actor=world.secretary_a)
    services.case_rectify(
        case=case, actor=world.secretary_a, note="已清理", photos=validate_photos([upload()])
    )
    services.case_verify(case=case, actor=world.inspector_a, passed=True)


def test_relapses_and_escalations_are_shown(client_for, world, cats, private_media):
    first = new_case(world, cats)
    close(first, world)
    again = new_case(world, cats, description="又堆起来了")
    assert again.relapse_of == first
    client = client_for(world.secretary_a)
    html = client.get(detail_url(again)).content.decode()
    assert detail_url(first) in html
    html = client.get(detail_url(first)).content.decode()
    assert detail_url(again) in html
    assert "zx-badge-closed" in html

    services.case_accept(case=again, actor=world.secretary_a)
    services.case_dispatch(case=again, actor=world.secretary_a, to=world.area_a1)
    again.refresh_from_db()
    later = again.deadline + datetime.timedelta(hours=100)
    services.escalate_overdue(now=later, meeting_after=datetime.timedelta(hours=72))
    again.refresh_from_db()
    assert again.escalation_level == 2
    html = client.get(detail_url(again)).content.decode()
    assert "zx-badge-overdue" in html and 'class="zx-timeline-item zx-event-escalated' in html
