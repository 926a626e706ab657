"""/api/v1/cases: every endpoint by the right token, and refused to everyone else.

Clients authenticate with API tokens (`Authorization: Bearer zx_…`) as field
apps do; a few tests use the browser session to show it still works, CSRF
included.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from zhenxing.cases import services
from zhenxing.cases.models import Case, CasePhoto, RequestKind, Status
from zhenxing.cases.photos import validate_photos
from zhenxing.cases.testing import jpeg_with_gps
from zhenxing.people.models import WorkTeam
from zhenxing.people.tokens import token_create

from .conftest import IN_A1, IN_B1, jpeg_bytes, upload

URL = "/api/v1/cases"


@pytest.fixture
def api(world) -> Callable[[Any], Client]:
    """`api(user)`: a client that sends a fresh API token of that user (None: anonymous)."""

    def make(user: Any) -> Client:
        if user is None:
            return Client()
        _, plain = token_create(user=user, name="test", actor=None)
        return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")

    return make


def report(world, category, *, at=IN_A1, actor=None, **extra) -> Case:
    return services.case_report(
        actor=actor or world.inspector_a,
        category=category,
        source=extra.pop("source", "inspection"),
        description=extra.pop("description", "路边暴露垃圾"),
        lat=at[0],
        lng=at[1],
        **extra,
    )


def dispatched(world, category, **extra) -> Case:
    """A case dispatched by 社区甲's secretary to 甲一片区 (so the secretary handles it)."""
    case = report(world, category, **extra)
    services.case_accept(case=case, actor=world.secretary_a)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    return case


def private_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_json(client: Client, url: str, body: dict[str, Any]):
    return client.post(url, body, content_type="application/json")


# --- schema ---------------------------------------------------------------------------

PATHS = {
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/categories": {"get"},
    "/api/v1/cases/duplicates": {"get"},
    "/api/v1/cases/{number}": {"get"},
    "/api/v1/cases/{number}/add-report": {"post"},
    "/api/v1/cases/{number}/accept": {"post"},
    "/api/v1/cases/{number}/reject": {"post"},
    "/api/v1/cases/{number}/dispatch": {"post"},
    "/api/v1/cases/{number}/start": {"post"},
    "/api/v1/cases/{number}/rectify": {"post"},
    "/api/v1/cases/{number}/verify": {"post"},
    "/api/v1/cases/{number}/request": {"post"},
    "/api/v1/cases/{number}/requests/{request_id}/decide": {"post"},
    "/api/v1/cases/{number}/resume": {"post"},
}


def test_the_schema_lists_every_path_with_its_answers(world, api):
    schema = api(world.inspector_a).get("/api/v1/openapi.json").json()
    paths = {p: set(ops) for p, ops in schema["paths"].items() if p.startswith(URL)}
    assert paths == PATHS
    for path, methods in PATHS.items():
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["tags"] == ["cases"]
            assert operation.get("summary")
            responses = operation["responses"]
            assert {"200", "201"} & set(responses), path
            assert "401" in responses, path
            if "{number}" in path:
                assert {"400", "401", "403", "404", "409"} <= set(responses), path
    # Both ways in are documented.
    assert len(schema["components"]["securitySchemes"]) == 2
    # The list's filters are declared so that clients see them.
    params = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {
        "status",
        "category",
        "area",
        "source",
        "overdue",
        "assignee_department",
        "reported_from",
        "reported_to",
        "escalated",
        "relapse",
        "q",
        "limit",
        "offset",
    } <= params


def test_the_category_tree(world, cats, api):
    tree = api(world.party_member_a).get(f"{URL}/categories").json()
    assert [m["code"] for m in tree] == ["HC", "HJ"]
    river = tree[0]
    assert [c["code"] for c in river["children"]] == ["HC01"]
    floating = river["children"][0]
    assert floating["time_limit"] == 24 and floating["time_limit_unit"] == "hours"
    assert floating["default_handler"] == "department"
    assert floating["default_department"]["code"] == "D01"
    assert floating["after_photo_required"] is False


# --- create ------------------------------------------------------------------------------


def test_an_inspector_files_a_case_with_photos(world, cats, private_media, api):
    response = api(world.inspector_a).post(
        URL,
        {
            "category": "HJ01",
            "description": "河边垃圾堆",
            "lat": IN_A1[0],
            "lng": IN_A1[1],
            "address": "甲一路 3 号",
            "photos": [upload("a.jpg"), upload("b.png", _png(), "image/png")],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert body["status"] == "reported" and body["source"] == "inspection"
    assert body["area"] == {"code": "GC01-01-A", "name": "甲一片区"}
    assert body["community"] == "GC01"
    assert body["category"] == {
        "code": "HJ01",
        "name": "暴露垃圾",
        "parent": {"code": "HJ", "name": "环境卫生"},
    }
    assert body["photo_count"] == 2 and len(body["photos"]) == 2
    assert body["photos"][0]["kind"] == "before"
    assert body["photos"][0]["thumb_url"].startswith("/cases/photos/")
    assert body["photos"][0]["original_url"] is None  # an inspector does not dispatch
    assert body["reporter"] == "insp_a" and body["version"] == 1
    assert [e["kind"] for e in body["events"]] == ["reported"]
    assert case.reporter == world.inspector_a
    assert len(private_files(private_media)) == 2


def test_a_case_from_an_area_and_address_or_from_photo_gps(world, cats, private_media, api):
    client = api(world.secretary_a)
    by_area = client.post(
        URL,
        {
            "category": "HJ01",
            "description": "x",
            "area": "GC01-01-B",
            "address": "甲二村口",
            "photos": [upload()],
        },
    )
    assert by_area.status_code == 201, by_area.content
    assert by_area.json()["area"]["code"] == "GC01-01-B"
    assert by_area.json()["source"] == "office"  # a secretary's first source

    by_gps = client.post(
        URL,
        {
            "category": "HJ01",
            "description": "y",
            "source": "resident",
            "reporter_name": "陈大文",
            "reporter_mobile": "13912345678",
            "photos": [upload("gps.jpg", jpeg_with_gps(23.004, 113.115))],
        },
    )
    assert by_gps.status_code == 201, by_gps.content
    body = by_gps.json()
    assert body["area"]["code"] == "GC01-01-B"
    assert body["lat"] == pytest.approx(23.004, abs=1e-4)
    # The secretary dispatches here, so sees the resident's details in full...
    assert body["reporter_name"] == "陈大文" and body["reporter_mobile"] == "13912345678"
    # ...a party member of the same community does not.
    seen = api(world.party_member_a).get(f"{URL}/{body['number']}").json()
    assert seen["reporter_mobile"] == "139****5678"
    assert seen["reporter_name"] != "陈大文"
    assert "reporter_mobile" not in api(world.secretary_a).get(URL).json()["items"][0]


@pytest.mark.parametrize(
    "make_upload",
    [
        lambda: upload("fake.jpg", b"this is not an image at all"),
        lambda: upload("big.jpg", jpeg_bytes((400, 400))),
        lambda: upload("bomb.png", _png((2000, 1000)), "image/png"),
    ],
    ids=["not-an-image", "too-big", "decompression-bomb"],
)
def test_a_bad_photo_is_400_and_leaves_nothing(
    world, cats, private_media, api, settings, make_upload
):
    settings.ZHENXING_PHOTO_MAX_BYTES = 2048
    settings.ZHENXING_PHOTO_MAX_PIXELS = 1_000_000
    response = api(world.inspector_a).post(
        URL,
        {
            "category": "HJ01",
            "description": "x",
            "lat": IN_A1[0],
            "lng": IN_A1[1],
            "photos": [upload("good.jpg"), make_upload()],
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Case.objects.exists() and not CasePhoto.objects.exists()
    assert private_files(private_media) == []


def test_ten_photos_are_too_many(world, cats, private_media, api):
    response = api(world.inspector_a).post(
        URL,
        {
            "category": "HJ01",
            "description": "x",
            "lat": IN_A1[0],
            "lng": IN_A1[1],
            "photos": [upload(f"{i}.jpg") for i in range(10)],
        },
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_filing_is_refused_clearly(world, cats, api, private_media):
    def file(user, **fields):
        data = {
            "category": "HJ01",
            "description": "x",
            "lat": IN_A1[0],
            "lng": IN_A1[1],
            "photos": [upload()],
        }
        return api(user).post(URL, {**data, **fields})

    assert file(None).status_code == 401
    assert file(world.nobody).status_code == 403
    assert file(world.outsider).status_code == 403  # 社区乙's secretary, in 社区甲
    assert file(world.party_member_a, source="office").status_code == 403
    for fields in (
        {"category": "NOPE"},
        {"category": "HJ"},  # a main category
        {"lat": 30.0, "lng": 120.0},  # outside the territory
        {"lat": "", "lng": ""},  # no location at all
        {"area": "GC02-01-A", "lat": "", "lng": ""},  # an area outside the scope
    ):
        clean = {k: v for k, v in fields.items() if v != ""}
        data = {"category": "HJ01", "description": "x", "photos": [upload()], **clean}
        if "lat" not in fields:
            data.update(lat=IN_A1[0], lng=IN_A1[1])
        response = api(world.inspector_a).post(URL, data)
        assert response.status_code == 400, fields
        assert response.json()["detail"]
    assert file(world.inspector_a, reporter_mobile="12345").status_code == 422
    # A new case needs its before-photo.
    no_photo = file(world.inspector_a, photos=[])
    assert no_photo.status_code == 400
    assert no_photo.json()["detail"] == "请至少添加一张照片。"
    assert not Case.objects.exists()


# --- the whole loop ------------------------------------------------------------------------


def test_the_whole_loop_through_the_api(world, cats, private_media, api):
    inspector, secretary = api(world.inspector_a), api(world.secretary_a)
    created = inspector.post(
        URL,
        {
            "category": "HJ01",
            "description": "垃圾",
            "lat": IN_A1[0],
            "lng": IN_A1[1],
            "photos": [upload()],
        },
    ).json()
    number = created["number"]
    case_url = f"{URL}/{number}"

    def step(client: Client, action: str, version: int, **body: Any) -> dict[str, Any]:
        response = post_json(client, f"{case_url}/{action}", {"version": version, **body})
        assert response.status_code == 200, (action, response.content)
        return response.json()

    assert secretary.get(case_url).json()["actions"] == ["accept", "reject", "add-report"]
    case = step(secretary, "accept", created["version"])
    assert case["status"] == "accepted" and case["actions"] == ["dispatch", "add-report"]
    case = step(secretary, "dispatch", case["version"], to={"kind": "region", "code": "GC01-01-A"})
    assert case["status"] == "dispatched"
    assert case["assignee"] == {
        "kind": "region",
        "id": world.area_a1.pk,
        "code": "GC01-01-A",
        "name": "甲一片区",
    }
    assert case["deadline"] is not None
    assert case["actions"][:3] == ["start", "rectify", "request"]
    case = step(secretary, "start", case["version"])
    assert case["status"] == "rectifying"

    def rectify(version: int) -> dict[str, Any]:
        response = secretary.post(
            f"{case_url}/rectify",
            {"version": version, "note": "已清理", "photos": [upload("after.jpg")]},
        )
        assert response.status_code == 200, response.content
        return response.json()

    case = rectify(case["version"])
    assert case["status"] == "rectified"
    assert "verify" not in case["actions"]  # the handler never verifies
    assert "verify" in inspector.get(case_url).json()["actions"]
    failed = inspector.post(
        f"{case_url}/verify", {"version": case["version"], "passed": "false", "note": "还有残留"}
    )
    assert failed.status_code == 200, failed.content
    case = failed.json()
    assert case["status"] == "rework" and case["rework_count"] == 1
    case = step(secretary, "start", case["version"])
    case = rectify(case["version"])
    passed = inspector.post(f"{case_url}/verify", {"version": case["version"], "passed": "true"})
    assert passed.status_code == 200, passed.content
    case = passed.json()
    assert case["status"] == "closed" and case["urgency"] == "closed"
    assert case["closed_on_time"] is True and case["closed_at"]
    assert [e["kind"] for e in case["events"]] == [
        "reported",
        "accepted",
        "dispatched",
        "started",
        "rectified",
        "verify_failed",
        "started",
        "rectified",
        "verified",
    ]
    assert case["events"][5]["note"] == "还有残留"
    assert case["events"][5]["actor"] == "insp_a"
    assert sorted(p["kind"] for p in case["photos"]) == ["after", "after", "before"]
    assert case["actions"] == []


def test_reject_with_a_reason(world, cats, api):
    case = report(world, cats.garbage)
    client = api(world.admin)
    missing = post_json(client, f"{URL}/{case.number}/reject", {"version": 1, "reason": " "})
    assert missing.status_code == 400 and missing.json()["detail"]
    response = post_json(
        client, f"{URL}/{case.number}/reject", {"version": 1, "reason": "不属于整治范围"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["urgency"] == "rejected"


def test_dispatch_to_a_department_or_a_team(world, cats, api):
    team = WorkTeam.objects.create(name="甲清洁队", region=world.a, leader=world.team_leader_a)
    case = report(world, cats.floating)
    services.case_accept(case=case, actor=world.admin)
    url = f"{URL}/{case.number}/dispatch"
    # A secretary keeps work inside the community: no departments.
    secretary = api(world.secretary_a)
    to_department = {"version": case.version, "to": {"kind": "department", "code": "D01"}}
    assert post_json(secretary, url, to_department).status_code == 403
    unknown = {"version": case.version, "to": {"kind": "department", "code": "NOPE"}}
    assert post_json(secretary, url, unknown).status_code == 400
    no_region = {"version": case.version, "to": {"kind": "region", "code": "GC02-01-A"}}
    assert post_json(secretary, url, no_region).status_code == 403
    past = {
        "version": case.version,
        "to": {"kind": "team", "id": team.pk},
        "deadline": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
    }
    assert post_json(secretary, url, past).status_code == 400
    deadline = timezone.localtime() + datetime.timedelta(days=5)
    local_naive = deadline.replace(tzinfo=None, microsecond=0).isoformat()
    by_admin = post_json(
        api(world.admin),
        url,
        {
            "version": case.version,
            "to": {"kind": "department", "code": "D01"},
            "deadline": local_naive,
        },
    )
    assert by_admin.status_code == 200, by_admin.content
    body = by_admin.json()
    assert body["assignee"]["kind"] == "department" and body["assignee"]["code"] == "D01"
    # A time without a zone is local time.
    assert datetime.datetime.fromisoformat(body["deadline"]) == deadline.replace(microsecond=0)
    assert api(world.dept_staff).get(f"{URL}/{case.number}").json()["actions"][:2] == [
        "start",
        "rectify",
    ]

    other = report(world, cats.garbage)
    services.case_accept(case=other, actor=world.secretary_a)
    to_team = {"version": other.version, "to": {"kind": "team", "id": team.pk}}
    response = post_json(secretary, f"{URL}/{other.number}/dispatch", to_team)
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == {
        "kind": "team",
        "id": team.pk,
        "code": None,
        "name": "甲清洁队",
    }
    leader = api(world.team_leader_a).get(f"{URL}/{other.number}").json()
    assert "start" in leader["actions"]


def test_extension_deferral_and_resume(world, cats, api):
    case = dispatched(world, cats.garbage)
    secretary, admin = api(world.secretary_a), api(world.admin)
    case_url = f"{URL}/{case.number}"
    until = (case.deadline + datetime.timedelta(days=3)).isoformat()
    asked = post_json(
        secretary,
        f"{case_url}/request",
        {"version": case.version, "kind": "extension", "reason": "雨天", "until": until},
    )
    assert asked.status_code == 200, asked.content
    body = asked.json()
    pending = body["pending_request"]
    assert pending["kind"] == "extension" and pending["reason"] == "雨天"
    assert "request" not in body["actions"]  # one request at a time
    assert "decide" in admin.get(case_url).json()["actions"]
    decide_url = f"{case_url}/requests/{pending['id']}/decide"
    refused = post_json(secretary, decide_url, {"version": body["version"], "approve": True})
    assert refused.status_code == 403
    assert (
        post_json(
            admin,
            f"{case_url}/requests/999999/decide",
            {"version": body["version"], "approve": True},
        ).status_code
        == 404
    )
    no_reason = post_json(admin, decide_url, {"version": body["version"], "approve": False})
    assert no_reason.status_code == 400
    approved = post_json(admin, decide_url, {"version": body["version"], "approve": True})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["pending_request"] is None
    moved = datetime.datetime.fromisoformat(body["deadline"])
    assert abs(moved - datetime.datetime.fromisoformat(until)) < datetime.timedelta(seconds=1)
    again = post_json(admin, decide_url, {"version": body["version"], "approve": True})
    assert again.status_code == 409  # decided already

    deferral = post_json(
        secretary,
        f"{case_url}/request",
        {"version": body["version"], "kind": "deferral", "reason": "待拆迁"},
    )
    request_id = deferral.json()["pending_request"]["id"]
    deferred = post_json(
        admin,
        f"{case_url}/requests/{request_id}/decide",
        {"version": deferral.json()["version"], "approve": True},
    ).json()
    assert deferred["status"] == "deferred" and deferred["actions"][:1] == ["resume"]
    assert (
        post_json(secretary, f"{case_url}/resume", {"version": deferred["version"]}).status_code
        == 403
    )
    resumed = post_json(admin, f"{case_url}/resume", {"version": deferred["version"]})
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "rectifying"


def test_add_a_report_to_an_open_case(world, cats, private_media, api):
    case = report(world, cats.garbage)
    response = api(world.party_member_a).post(
        f"{URL}/{case.number}/add-report", {"description": "又多了", "photos": [upload()]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["report_count"] == 2 and body["photo_count"] == 1
    assert body["events"][-1]["kind"] == "report_added"
    bad = api(world.party_member_a).post(
        f"{URL}/{case.number}/add-report", {"description": "x", "photos": [upload("x.jpg", b"no")]}
    )
    assert bad.status_code == 400
    assert Case.objects.get(pk=case.pk).report_count == 2


def test_a_stale_version_is_409(world, cats, api):
    case = report(world, cats.garbage)
    accepted = post_json(api(world.admin), f"{URL}/{case.number}/accept", {"version": 1})
    assert accepted.status_code == 200
    stale = post_json(
        api(world.secretary_a), f"{URL}/{case.number}/reject", {"version": 1, "reason": "重复"}
    )
    assert stale.status_code == 409
    assert case.number in stale.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED
    # The right version, but a step that no longer applies: also 409.
    late = post_json(
        api(world.secretary_a),
        f"{URL}/{case.number}/accept",
        {"version": accepted.json()["version"]},
    )
    assert late.status_code == 409
    assert post_json(api(world.admin), f"{URL}/{case.number}/accept", {}).status_code == 422


# --- every step refused to the wrong people ------------------------------------------------


def _at_reported(world, cats):
    return report(world, cats.garbage), {}


def _at_accepted(world, cats):
    case = report(world, cats.garbage)
    services.case_accept(case=case, actor=world.secretary_a)
    return case, {}


def _at_dispatched(world, cats):
    return dispatched(world, cats.garbage), {}


def _at_rectifying(world, cats):
    case = dispatched(world, cats.garbage)
    services.case_start(case=case, actor=world.secretary_a)
    return case, {}


def _at_rectified(world, cats):
    case = dispatched(world, cats.floating)
    services.case_rectify(case=case, actor=world.secretary_a, note="ok")
    return case, {}


def _at_pending(world, cats):
    case = dispatched(world, cats.garbage)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.SEND_BACK, reason="不归我们"
    )
    return case, {"request_id": request.pk}


def _at_deferred(world, cats):
    case = dispatched(world, cats.garbage)
    request = services.case_request(
        case=case, actor=world.secretary_a, kind=RequestKind.DEFERRAL, reason="待拆迁"
    )
    services.case_decide_request(request=request, actor=world.admin, approve=True)
    case.refresh_from_db()
    return case, {}


# (name, state, path, body, multipart, a visible user who does not own the step)
STEPS = [
    ("accept", _at_reported, "accept", {}, False, "inspector_a"),
    ("reject", _at_reported, "reject", {"reason": "x"}, False, "party_member_a"),
    (
        "dispatch",
        _at_accepted,
        "dispatch",
        {"to": {"kind": "region", "code": "GC01-01-A"}},
        False,
        "inspector_a",
    ),
    ("start", _at_dispatched, "start", {}, False, "inspector_a"),
    ("rectify", _at_rectifying, "rectify", {"note": "done"}, True, "inspector_a"),
    ("verify", _at_rectified, "verify", {"passed": "true"}, True, "secretary_a"),
    (
        "request",
        _at_rectifying,
        "request",
        {"kind": "send_back", "reason": "x"},
        False,
        "team_leader_a",
    ),
    (
        "decide",
        _at_pending,
        "requests/{request_id}/decide",
        {"approve": True},
        False,
        "secretary_a",
    ),
    ("resume", _at_deferred, "resume", {}, False, "secretary_a"),
]


@pytest.mark.parametrize(
    "state,path,body,multipart,wrong_role",
    [s[1:] for s in STEPS],
    ids=[s[0] for s in STEPS],
)
def test_each_step_is_refused_to_everyone_but_its_owner(
    world, cats, private_media, api, state, path, body, multipart, wrong_role
):
    case, ids = state(world, cats)
    case.refresh_from_db()
    url = f"{URL}/{case.number}/{path.format(**ids)}"
    data = {"version": case.version, **body}

    def send(user):
        client = api(user)
        return client.post(url, data) if multipart else post_json(client, url, data)

    assert send(None).status_code == 401
    assert send(world.outsider).status_code == 404  # 社区乙's secretary cannot see it
    assert send(world.nobody).status_code == 404
    refused = send(getattr(world, wrong_role))
    assert refused.status_code == 403
    assert refused.json()["detail"]
    after = Case.objects.get(pk=case.pk)
    assert (after.version, after.status) == (case.version, case.status)


def test_reading_and_adding_reports_are_refused_outside_the_scope(world, cats, private_media, api):
    case = report(world, cats.garbage)
    detail = f"{URL}/{case.number}"
    assert api(None).get(detail).status_code == 401
    assert api(world.outsider).get(detail).status_code == 404
    assert api(world.nobody).get(detail).status_code == 404
    assert api(world.inspector_a).get(f"{URL}/NOPE").status_code == 404
    add = f"{detail}/add-report"
    assert api(None).post(add, {"description": "x"}).status_code == 401
    assert api(world.outsider).post(add, {"description": "x"}).status_code == 404
    assert api(world.nobody).post(add, {"description": "x"}).status_code == 404
    services.case_reject(case=case, actor=world.secretary_a, reason="不是")
    # A finished case takes no further reports: the client's view went stale, 409 as on
    # the page, not a 403 that would say "you may not".
    closed = api(world.party_member_a).post(add, {"description": "x"})
    assert closed.status_code == 409
    assert closed.json()["detail"]
    assert Case.objects.get(pk=case.pk).report_count == 1
    assert api(world.inspector_a).put(detail).status_code == 405


# --- sessions, tokens and CSRF --------------------------------------------------------------


def test_a_token_needs_no_csrf_but_a_session_does(world, cats, client_for):
    case = report(world, cats.garbage)
    url = f"{URL}/{case.number}/accept"
    _, plain = token_create(user=world.secretary_a, name="t", actor=None)
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert post_json(with_token, url, {"version": 1}).status_code == 200

    other = report(world, cats.garbage)
    url = f"{URL}/{other.number}/accept"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.secretary_a)
    assert browser.get(f"{URL}/{other.number}").status_code == 200  # reading: no CSRF needed
    forged = post_json(browser, url, {"version": 1})
    assert forged.status_code == 403
    assert Case.objects.get(pk=other.pk).status == Status.REPORTED
    browser.get("/people/tokens/")  # any page with a form sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    ok = browser.post(url, {"version": 1}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert ok.status_code == 200

    # No session at all: nothing to forge, the honest answer is 401.
    anonymous = Client(enforce_csrf_checks=True)
    assert post_json(anonymous, url, {"version": 2}).status_code == 401


# --- lists --------------------------------------------------------------------------------


def _many(world, cats, n: int, team: WorkTeam) -> None:
    """n cases of every kind of row an item shows: assignees, photos, relapses."""
    first = Case.objects.order_by("pk").first()
    for i in range(n):
        kind = i % 3
        case = Case.objects.create(
            number=f"T{Case.objects.count():08d}",
            category=cats.garbage if i % 2 else cats.floating,
            source="inspection",
            status=Status.DISPATCHED,
            description=f"case {i}",
            lat=IN_A1[0],
            lng=IN_A1[1],
            region=world.area_a1,
            region_path=world.area_a1.path,
            assigned_region=world.area_a1 if kind == 0 else None,
            assigned_team=team if kind == 1 else None,
            assigned_department=world.dept if kind == 2 else None,
            deadline=timezone.now() + datetime.timedelta(hours=i - n),
            relapse_of=first,
        )
        CasePhoto.objects.create(
            case=case, kind="before", token=f"tok{case.pk}", original="x", sha256="0"
        )


@pytest.mark.parametrize("persona", ["admin", "secretary_a"])
def test_the_list_runs_a_constant_number_of_queries(
    world, cats, api, persona, django_assert_max_num_queries
):
    team = WorkTeam.objects.create(name="甲清洁队", region=world.a, leader=world.team_leader_a)
    report(world, cats.garbage)
    client = api(getattr(world, persona))

    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"limit": 200, "status": "open", "overdue": "true"})
        assert response.status_code == 200
        return len(queries), len(response.json()["items"])

    # Time stands still: the token's last_used_at is written on its first use only.
    with time_machine.travel(timezone.now(), tick=False):
        count_queries()
        _many(world, cats, 5, team)
        small, rows_small = count_queries()
        _many(world, cats, 10, team)
        with django_assert_max_num_queries(6):
            large, rows_large = count_queries()
    assert rows_large > rows_small > 0
    assert large == small


def test_list_filters_and_pages(world, cats, api):
    garbage = report(world, cats.garbage)
    floating = dispatched(world, cats.floating)
    Case.objects.filter(pk=floating.pk).update(
        deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    in_b = report(world, cats.garbage, at=IN_B1, actor=world.outsider, source="office")
    admin = api(world.admin)

    def numbers(client, **params) -> list[str]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [i["number"] for i in response.json()["items"]]

    assert set(numbers(admin)) == {garbage.number, floating.number, in_b.number}
    assert numbers(admin, status="dispatched") == [floating.number]
    assert set(numbers(admin, status=["reported", "dispatched"])) == {
        garbage.number,
        floating.number,
        in_b.number,
    }
    assert numbers(admin, overdue="true") == [floating.number]
    overdue_item = admin.get(URL, {"overdue": "true"}).json()["items"][0]
    assert overdue_item["overdue"] is True and overdue_item["urgency"] == "overdue"
    assert numbers(admin, category="HC") == [floating.number]  # a main category
    assert numbers(admin, area="GC02") == [in_b.number]
    assert numbers(admin, source="office") == [in_b.number]
    assert set(numbers(admin, overdue="", category="")) == {
        garbage.number,
        floating.number,
        in_b.number,
    }  # blank fields, as the page's filter bar sends them, filter nothing
    # The secretary of 社区甲 sees only 社区甲, and cannot ask for 社区乙.
    secretary = api(world.secretary_a)
    assert set(numbers(secretary)) == {garbage.number, floating.number}
    out_of_scope = secretary.get(URL, {"area": "GC02"})
    assert out_of_scope.status_code == 400
    assert "area" in out_of_scope.json()["errors"]
    bad_status = admin.get(URL, {"status": "lost"})
    assert bad_status.status_code == 400 and "status" in bad_status.json()["errors"]
    assert admin.get(URL, {"limit": 201}).status_code == 422
    assert admin.get(URL, {"overdue": "perhaps"}).status_code == 422
    page = admin.get(URL, {"limit": 2, "offset": 2}).json()
    assert page["count"] == 3 and page["limit"] == 2 and len(page["items"]) == 1
    assert api(world.nobody).get(URL).json()["count"] == 0


def test_duplicates_near_a_point(world, cats, api):
    near = report(world, cats.garbage)
    report(world, cats.floating)  # same place, another category
    far = report(world, cats.garbage, at=(23.009, 113.109))
    params = {"category": "HJ01", "lat": IN_A1[0] + 0.0001, "lng": IN_A1[1]}
    found = api(world.party_member_a).get(f"{URL}/duplicates", params)
    assert found.status_code == 200
    assert [d["number"] for d in found.json()] == [near.number]
    assert 5 < found.json()[0]["distance_m"] < 20
    assert far.number not in str(found.json())
    assert api(world.outsider).get(f"{URL}/duplicates", params).json() == []
    assert (
        api(world.inspector_a).get(f"{URL}/duplicates", {**params, "category": "NO"}).status_code
        == 400
    )
    assert api(None).get(f"{URL}/duplicates", params).status_code == 401


# --- helpers ---------------------------------------------------------------------------------


def _png(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "PNG")
    return out.getvalue()


def test_photo_gps_helper_is_read_back():
    (photo,) = validate_photos([upload("g.jpg", jpeg_with_gps(23.004, 113.115))])
    assert photo.lat == pytest.approx(23.004, abs=1e-4)
    assert photo.lng == pytest.approx(113.115, abs=1e-4)
