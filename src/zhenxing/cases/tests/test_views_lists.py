"""Queue, case list, map, export, categories and escalations: scope, filters, query budgets."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhenxing.cases import services
from zhenxing.cases.models import Case, Escalation, Status
from zhenxing.cases.views import lists
from zhenxing.core.models import AuditEntry
from zhenxing.core.navigation import menu_for
from zhenxing.people.models import Department, Role, RoleAssignment, User
from zhenxing.people.tests.helpers import read_xlsx

from .conftest import IN_A1, IN_B1
from .test_filters import make_case

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGES = [
    "cases:list",
    "cases:queue",
    "cases:map",
    "cases:map_data",
    "cases:export",
    "cases:categories",
    "cases:escalations",
]


def url(name: str, **params: Any) -> str:
    from urllib.parse import urlencode

    base = reverse(name)
    return f"{base}?{urlencode(params, doseq=True)}" if params else base


# --- anonymous and methods -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_wrong_methods_are_405(world, client_for, name):
    assert client_for(world.admin).post(reverse(name)).status_code == 405


# --- the loop's cases, made by the services ------------------------------------------------


@pytest.fixture
def loop(world, cats, private_media):
    """One case waiting at each step, made the way the pages make them."""

    def report(category, where=IN_A1, actor=None, source="inspection"):
        return services.case_report(
            actor=actor or world.inspector_a,
            category=category,
            source=source,
            description="路边问题",
            lat=where[0],
            lng=where[1],
        )

    reported = report(cats.garbage)

    handle = report(cats.garbage)
    services.case_accept(case=handle, actor=world.secretary_a)
    services.case_dispatch(case=handle, actor=world.secretary_a, to=world.area_a1)

    dept = report(cats.floating)
    services.case_accept(case=dept, actor=world.admin)
    services.case_dispatch(case=dept, actor=world.admin, to=world.dept)

    verify = report(cats.floating)
    services.case_accept(case=verify, actor=world.secretary_a)
    services.case_dispatch(case=verify, actor=world.secretary_a, to=world.area_a1)
    services.case_start(case=verify, actor=world.secretary_a)
    services.case_rectify(case=verify, actor=world.secretary_a, note="已清理")

    request = report(cats.garbage)
    services.case_accept(case=request, actor=world.secretary_a)
    services.case_dispatch(case=request, actor=world.secretary_a, to=world.area_a1)
    services.case_request(
        case=request,
        actor=world.secretary_a,
        kind="extension",
        reason="需要协调",
        until=request.deadline + datetime.timedelta(days=2),
    )

    deferred = report(cats.garbage)
    services.case_accept(case=deferred, actor=world.secretary_a)
    services.case_dispatch(case=deferred, actor=world.secretary_a, to=world.area_a1)
    asked = services.case_request(
        case=deferred, actor=world.secretary_a, kind="deferral", reason="待拆迁"
    )
    services.case_decide_request(request=asked, actor=world.admin, approve=True)

    b = report(cats.garbage, where=IN_B1, actor=world.outsider, source="resident")
    return SimpleNamespace(
        reported=reported,
        handle=handle,
        dept=dept,
        verify=verify,
        request=request,
        deferred=deferred,
        b=b,
    )


def queue_of(client) -> dict[str, str]:
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    return {case.number: case.step for case in response.context["page"].object_list}


def test_each_persona_sees_what_waits_for_them(world, loop, client_for):
    assert queue_of(client_for(world.secretary_a)) == {
        loop.reported.number: "dispatch",
        loop.handle.number: "handle",
        loop.request.number: "handle",
    }
    assert queue_of(client_for(world.inspector_a)) == {loop.verify.number: "verify"}
    assert queue_of(client_for(world.dept_staff)) == {loop.dept.number: "handle"}
    assert queue_of(client_for(world.admin)) == {
        loop.reported.number: "dispatch",
        loop.b.number: "dispatch",
        loop.verify.number: "verify",
        loop.request.number: "requests",
        loop.deferred.number: "deferred",
    }
    # 社区乙's secretary sees only 社区乙's case.
    assert queue_of(client_for(world.outsider)) == {loop.b.number: "dispatch"}
    assert queue_of(client_for(world.party_member_a)) == {}


def test_the_queue_tabs_count_and_filter_by_step(world, loop, client_for):
    client = client_for(world.secretary_a)
    response = client.get(reverse("cases:queue"))
    counts = response.context["counts"]
    assert (counts["all"], counts["dispatch"], counts["handle"], counts["verify"]) == (3, 1, 2, 0)
    handle = client.get(url("cases:queue", step="handle"))
    assert {c.number for c in handle.context["page"].object_list} == {
        loop.handle.number,
        loop.request.number,
    }
    # An unknown step shows them all rather than failing.
    assert client.get(url("cases:queue", step="nope")).context["page"].paginator.count == 3


def test_the_queue_puts_overdue_first_then_the_nearest_deadline(world, cats, client_for):
    now = timezone.now()
    hour = datetime.timedelta(hours=1)

    def dispatched(deadline, **extra):
        return make_case(
            cats.garbage,
            world.area_a1,
            status=Status.DISPATCHED,
            assigned_region=world.area_a1,
            deadline=deadline,
            **extra,
        )

    later = dispatched(now + 30 * hour)
    soon = dispatched(now + 2 * hour)
    late = dispatched(now - 3 * hour)
    waiting = make_case(cats.garbage, world.area_a1)  # reported: no deadline, goes last
    response = client_for(world.secretary_a).get(reverse("cases:queue"), **EN)
    rows = response.context["page"].object_list
    assert [c.number for c in rows] == [late.number, soon.number, later.number, waiting.number]
    html = response.content.decode()
    assert "Overdue by 3 hours" in html or "Overdue by 2 hours" in html
    assert "1 hour left" in html or "2 hours left" in html
    assert response.context["counts"]["overdue"] == 1


def test_an_empty_queue_says_what_it_is_and_what_to_do(world, client_for):
    response = client_for(world.nobody).get(reverse("cases:queue"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing waits for you now." in html
    assert reverse("cases:list") in html


def test_the_workbench_card_is_a_fragment_of_the_queue(world, loop, client_for):
    client = client_for(world.secretary_a)
    response = client.get(url("cases:queue", card=1), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "My queue" in html and ">3<" in html
    home = client.get(reverse("core:home")).content.decode()
    assert url("cases:queue", card=1) in home


@pytest.mark.parametrize(
    "deadline_in, expected",
    [
        (datetime.timedelta(minutes=20), "Less than an hour left"),
        (datetime.timedelta(hours=5, minutes=10), "5 hours left"),
        (datetime.timedelta(days=3, hours=1), "3 days left"),
        (-datetime.timedelta(minutes=5), "Overdue by less than an hour"),
        (-datetime.timedelta(hours=1, minutes=5), "Overdue by 1 hour"),
        (-datetime.timedelta(days=2, hours=3), "Overdue by 2 days"),
    ],
)
def test_time_left(deadline_in, expected):
    from django.utils import translation

    now = timezone.now()
    case = Case(status=Status.DISPATCHED, deadline=now + deadline_in)
    with translation.override("en"):
        assert lists.time_left(case, now) == expected
    assert lists.time_left(Case(status=Status.RECTIFIED, deadline=now), now) == ""


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_only_the_cases_in_scope(world, loop, client_for):
    def listed(user):
        response = client_for(user).get(reverse("cases:list"))
        assert response.status_code == 200
        return {c.number for c in response.context["page"].object_list}

    everything = {c.number for c in vars(loop).values()}
    assert listed(world.admin) == everything
    assert listed(world.secretary_a) == everything - {loop.b.number}
    assert listed(world.outsider) == {loop.b.number}
    assert listed(world.nobody) == set()


def test_the_list_rows_show_what_the_table_promises(world, loop, client_for):
    response = client_for(world.admin).get(url("cases:list", category="HC"), **EN)
    html = response.content.decode()
    assert loop.dept.number in html and loop.reported.number not in html
    assert "社区甲 ›</span>甲一片区" in html
    assert "城管办" in html  # the assignee
    assert reverse("cases:detail", args=[loop.dept.number]) in html
    # Export and map keep the filters.
    assert url("cases:export", category="HC") in html
    assert url("cases:map", category="HC") in html


def test_an_out_of_scope_area_is_a_400_with_no_rows(world, loop, client_for):
    response = client_for(world.secretary_a).get(url("cases:list", area="GC02"))
    assert response.status_code == 400
    assert response.context["page"].paginator.count == 0
    assert "area" in response.context["form"].errors


def _capture(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def _bulk(world, cats, n: int) -> None:
    """n cases of every kind the rows show: assignees of each sort, reporters, relapses."""
    now = timezone.now()
    origin = make_case(cats.garbage, world.area_a1, status=Status.CLOSED, closed_at=now)
    for k in range(n):
        make_case(cats.garbage, world.area_a1, reporter=world.inspector_a)
        late = make_case(
            cats.floating,
            world.area_a2,
            status=Status.DISPATCHED,
            assigned_department=world.dept,
            deadline=now - datetime.timedelta(hours=k + 1),
            escalation_level=1,
        )
        Escalation.objects.create(case=late, level=1, reason="超期")
        make_case(
            cats.garbage,
            world.area_a1,
            status=Status.RECTIFYING,
            assigned_region=world.area_a1,
            deadline=now + datetime.timedelta(hours=k + 1),
            relapse_of=origin,
            reporter_mobile="13912345678",
        )
        make_case(cats.garbage, world.area_b1, status=Status.REPORTED)


_COUNTED = [
    url("cases:list"),
    url("cases:list", status="open", category="HJ", overdue="false"),
    url("cases:queue"),
    url("cases:map_data"),
    url("cases:map", category="HJ"),
    url("cases:export"),
]


@pytest.mark.parametrize(
    "persona, path",
    [
        *((persona, path) for persona in ("admin", "secretary_a") for path in _COUNTED),
        ("admin", url("cases:escalations", level=1)),
        ("dept_staff", url("cases:queue")),
    ],
)
def test_pages_read_a_constant_number_of_queries(world, cats, client_for, persona, path):
    client = client_for(getattr(world, persona))
    _bulk(world, cats, 2)
    _capture(client, path)  # warm the caches (content types, level names)
    small = _capture(client, path)
    _bulk(world, cats, 6)
    assert _capture(client, path) == small


def test_the_list_page_stays_within_its_query_budget(
    world, cats, client_for, django_assert_max_num_queries
):
    _bulk(world, cats, 15)
    client = client_for(world.secretary_a)
    client.get(reverse("cases:list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:list"))
    assert response.context["page"].paginator.count == 46


# --- export ----------------------------------------------------------------------------------


def test_the_export_holds_the_filtered_rows_with_personal_data_masked(world, cats, client_for):
    resident = make_case(
        cats.garbage,
        world.area_a1,
        source="resident",
        reporter_name="陈小霞",
        reporter_mobile="13912345678",
        status=Status.CLOSED,
        closed_at=timezone.now(),
        closed_on_time=True,
        rework_count=1,
    )
    relapse = make_case(cats.garbage, world.area_a1, relapse_of=resident, escalation_level=2)
    make_case(cats.floating, world.area_a1)  # filtered out
    make_case(cats.garbage, world.area_b1)  # out of the secretary's scope
    response = client_for(world.secretary_a).get(url("cases:export", category="HJ01"), **EN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = read_xlsx(response.content)
    header, rows = sheet[0], sheet[1:]
    assert len(header) == 24
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {resident.number, relapse.number}
    first = by_number[resident.number]
    assert first["Reporter's mobile"] == "139****5678"
    assert first["Reporter"] == "陈*霞"
    assert (first["Closed on time"], first["Reworks"], first["Events"]) == ("Yes", 1, 0)
    assert first["Community"] == "社区甲" and first["Area"] == "甲一片区"
    assert first["Main category"] == "环境卫生" and first["Category"] == "暴露垃圾"
    assert isinstance(first["Reported on"], datetime.datetime)
    second = by_number[relapse.number]
    assert second["Relapse of"] == resident.number and second["Escalation level"] == 2
    every_cell = " ".join(str(v) for row in sheet for v in row)
    assert "13912345678" not in every_cell and "陈小霞" not in every_cell
    entry = AuditEntry.objects.get(action="case.export")
    assert entry.actor == world.secretary_a and entry.changes["rows"] == 2
    assert entry.changes["filters"] == {"category": "HJ01"}


def test_the_export_counts_events(world, loop, client_for):
    response = client_for(world.admin).get(url("cases:export", status="rectified"), **EN)
    header, *rows = read_xlsx(response.content)
    row = dict(zip(header, rows[0], strict=True))
    assert row["Case number"] == loop.verify.number
    assert row["Events"] == loop.verify.events.count() == 5


def test_an_export_over_the_cap_is_refused_with_a_request_to_narrow(
    world, cats, client_for, monkeypatch
):
    monkeypatch.setattr(lists, "EXPORT_MAX_ROWS", 2)
    for _ in range(3):
        make_case(cats.garbage, world.area_a1)
    response = client_for(world.admin).get(url("cases:export", source="inspection"), **EN)
    assert response.status_code == 302
    assert response.url == url("cases:list", source="inspection")
    [message] = list(get_messages(response.wsgi_request))
    assert "at most 2 cases" in str(message)
    assert not AuditEntry.objects.filter(action="case.export").exists()


def test_an_export_with_a_bad_filter_is_a_400_not_a_file(world, cats, client_for):
    make_case(cats.garbage, world.area_a1)
    response = client_for(world.secretary_a).get(url("cases:export", area="GC02"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.filter(action="case.export").exists()


def test_the_outsider_exports_none_of_the_other_communitys_cases(world, loop, client_for):
    response = client_for(world.outsider).get(reverse("cases:export"))
    numbers = [row[0] for row in read_xlsx(response.content)[1:]]
    assert numbers == [loop.b.number]


# --- the map ---------------------------------------------------------------------------------


def test_map_data_is_geojson_of_the_filtered_cases_without_personal_data(world, cats, client_for):
    late = make_case(
        cats.garbage,
        world.area_a1,
        status=Status.DISPATCHED,
        assigned_region=world.area_a1,
        deadline=timezone.now() - datetime.timedelta(hours=1),
        reporter_name="陈小霞",
        reporter_mobile="13912345678",
        description="某某家门口",
    )
    make_case(cats.floating, world.area_a1)
    response = client_for(world.secretary_a).get(url("cases:map_data", category="HJ01"))
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection" and data["truncated"] is False
    [feature] = data["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [late.lng, late.lat]}
    assert feature["properties"]["number"] == late.number
    assert feature["properties"]["urgency"] == "overdue"
    assert set(feature["properties"]) == {"number", "status", "status_label", "urgency", "category"}
    body = response.content.decode()
    assert "13912345678" not in body and "陈小霞" not in body and "某某家门口" not in body


def test_the_outsider_gets_no_points_of_the_other_community(world, loop, client_for):
    data = client_for(world.outsider).get(reverse("cases:map_data")).json()
    assert [f["properties"]["number"] for f in data["features"]] == [loop.b.number]


def test_map_data_with_a_bad_filter_is_a_400(world, client_for):
    response = client_for(world.secretary_a).get(url("cases:map_data", area="GC02"))
    assert response.status_code == 400
    assert "area" in response.json()["errors"]


def test_the_map_says_when_it_shows_only_the_newest(world, cats, client_for, monkeypatch):
    monkeypatch.setattr(lists, "MAP_MAX_POINTS", 2)
    made = [
        make_case(
            cats.garbage,
            world.area_a1,
            reported_at=timezone.now() - datetime.timedelta(days=k),
        )
        for k in range(3)
    ]
    client = client_for(world.admin)
    page = client.get(url("cases:map", status="open"), **EN)
    assert page.status_code == 200
    assert page.context["cut"] and page.context["total"] == 3
    assert "2 newest of 3" in page.content.decode()
    data = client.get(reverse("cases:map_data")).json()
    assert data["truncated"] is True
    assert [f["properties"]["number"] for f in data["features"]] == [
        made[0].number,
        made[1].number,
    ]


def test_the_map_opens_on_the_open_cases(world, cats, client_for):
    response = client_for(world.secretary_a).get(reverse("cases:map"))
    assert response.status_code == 302
    assert response["Location"] == url("cases:map", status="open")


def test_the_map_page_carries_the_filters_to_its_data(world, cats, client_for):
    response = client_for(world.admin).get(url("cases:map", status="open", area="GC01"))
    config = response.context["map_config"]
    assert config["pointsUrl"] == url("cases:map_data", status="open", area="GC01")
    assert config["outlinesUrl"] == reverse("api:regions_geojson")
    assert "case-map-config" in response.content.decode()


# --- categories ------------------------------------------------------------------------------


def test_categories_are_shown_as_a_tree_to_anyone_with_a_role(world, cats, client_for):
    response = client_for(world.party_member_a).get(reverse("cases:categories"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    # Main categories by order then code (HC before HJ), each followed by its own.
    assert (
        html.index("河涌")
        < html.index("水面漂浮物")
        < html.index("环境卫生")
        < html.index("暴露垃圾")
    )
    assert "24 hours" in html and "2 working days" in html
    assert "城管办" in html  # the floating category's department
    assert "50 m" in html and "30 days" in html
    assert "Edit in admin" not in html
    assert client_for(world.nobody).get(reverse("cases:categories")).status_code == 403


def test_office_admins_who_may_use_the_admin_get_the_edit_link(world, cats, client):
    superuser = User.objects.create_superuser(username="root", password="x")
    client.force_login(superuser)
    html = client.get(reverse("cases:categories"), **EN).content.decode()
    assert reverse("admin:cases_category_changelist") in html
    # An office admin without access to the Django admin is not sent to a dead end.
    client.force_login(world.admin)
    html = client.get(reverse("cases:categories"), **EN).content.decode()
    assert reverse("admin:cases_category_changelist") not in html


# --- escalations -----------------------------------------------------------------------------


@pytest.fixture
def agenda(world, cats):
    """Escalations at both levels, for two departments and both communities."""
    other = Department.objects.create(code="D02", name="水务所")
    other_staff = User.objects.create_user(username="water", password="x")
    RoleAssignment.objects.create(user=other_staff, role=Role.DEPARTMENT_STAFF, department=other)
    a_admin = User.objects.create_user(username="a_admin", password="x")
    RoleAssignment.objects.create(user=a_admin, role=Role.OFFICE_ADMIN, region=world.a)
    late = timezone.now() - datetime.timedelta(days=5)

    def escalated(region, department, level):
        case = make_case(
            cats.floating,
            region,
            status=Status.DISPATCHED,
            assigned_department=department,
            deadline=late,
            escalation_level=level,
        )
        rows = [Escalation.objects.create(case=case, level=1, reason="超期")]
        if level == 2:
            rows.append(
                Escalation.objects.create(case=case, level=2, department=department, reason="上会")
            )
        return case

    ns = SimpleNamespace(
        other_staff=other_staff,
        a_admin=a_admin,
        a_office=escalated(world.area_a1, world.dept, 1),
        a_meeting=escalated(world.area_a2, world.dept, 2),
        a_water=escalated(world.area_a1, other, 2),
        b_meeting=escalated(world.area_b1, world.dept, 2),
    )
    resolved = escalated(world.area_a1, world.dept, 2)
    Escalation.objects.filter(case=resolved).update(resolved_at=timezone.now())
    return ns


def escalated_numbers(client, level: int | None = None) -> set[str]:
    response = client.get(url("cases:escalations", **({"level": level} if level else {})))
    assert response.status_code == 200
    return {e.case.number for e in response.context["page"].object_list}


def test_office_admins_see_both_levels_within_their_territory(world, agenda, client_for):
    client = client_for(world.admin)
    every = {agenda.a_office.number, agenda.a_meeting.number}
    every |= {agenda.a_water.number, agenda.b_meeting.number}
    assert escalated_numbers(client, 1) == every
    assert escalated_numbers(client, 2) == every - {agenda.a_office.number}
    # An office admin of 社区甲 alone sees 社区甲's rows only.
    client = client_for(agenda.a_admin)
    assert agenda.b_meeting.number not in escalated_numbers(client, 1)
    assert agenda.b_meeting.number not in escalated_numbers(client, 2)


def test_department_staff_see_their_departments_agenda_only(world, agenda, client_for):
    client = client_for(world.dept_staff)
    response = client.get(reverse("cases:escalations"), **EN)
    assert response.status_code == 200
    assert [lvl for lvl, _label, _n in response.context["levels"]] == [2]
    assert escalated_numbers(client) == {agenda.a_meeting.number, agenda.b_meeting.number}
    # Asking for the office's list falls back to the agenda.
    assert escalated_numbers(client, 1) == {agenda.a_meeting.number, agenda.b_meeting.number}
    assert escalated_numbers(client_for(agenda.other_staff)) == {agenda.a_water.number}


def test_the_agenda_is_grouped_by_department(world, agenda, client_for):
    response = client_for(world.admin).get(url("cases:escalations", level=2), **EN)
    html = response.content.decode()
    assert html.count("Responsible department") == 2
    assert html.index("城管办") < html.index("水务所")


@pytest.mark.parametrize("persona", ["secretary_a", "inspector_a", "party_member_a", "nobody"])
def test_everyone_else_is_refused_the_escalations(world, agenda, client_for, persona):
    assert client_for(getattr(world, persona)).get(reverse("cases:escalations")).status_code == 403


# --- navigation ------------------------------------------------------------------------------


def _cases_menu(user) -> list[str]:
    from django.utils import translation

    with translation.override("en"):
        for group in menu_for(user, "/"):
            if group["key"] == "cases":
                return [str(item["label"]) for item in group["items"]]
    return []


def test_the_navigation_lists_the_pages_each_persona_may_use(world):
    base = ["My queue", "Report a problem", "Cases", "Case map", "Categories"]
    assert _cases_menu(world.secretary_a) == base
    assert _cases_menu(world.inspector_a) == base
    assert _cases_menu(world.admin) == [*base[:4], "Escalations", "Categories"]
    assert "Escalations" in _cases_menu(world.dept_staff)
    assert _cases_menu(world.nobody) == ["My queue"]


# --- the map in a browser -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_draws_the_case_and_its_popup_opens_the_case(
    world, cats, page, live_server, client
):
    from pathlib import Path

    case = make_case(
        cats.garbage,
        world.area_a1,
        status=Status.DISPATCHED,
        assigned_region=world.area_a1,
        deadline=timezone.now() - datetime.timedelta(hours=2),
    )
    make_case(cats.garbage, world.area_b1)  # 社区乙's: not the secretary's to see
    client.force_login(world.secretary_a)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page.goto(url("cases:map", status="open"))
    page.wait_for_selector("#case-map[data-points]")
    assert page.locator("#case-map").get_attribute("data-points") == "1"
    # One point: the map centres on it, so a click in the middle lands on it.
    page.locator("#case-map").click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.inner_text() == case.number
    artifacts = Path(__file__).resolve().parents[4] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "cases-map.png"), full_page=True)
    link.click()
    page.wait_for_url(f"**{reverse('cases:detail', args=[case.number])}")
