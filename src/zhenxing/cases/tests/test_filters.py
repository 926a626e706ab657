"""CaseFilterForm: each filter narrows as documented, and none ever widens the user's scope."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.utils import timezone

from zhenxing.cases.filters import CaseFilterForm
from zhenxing.cases.models import Case, Status
from zhenxing.cases.permissions import cases_visible_to

_numbers = itertools.count(1)


def make_case(category: Any, region: Any, **fields: Any) -> Case:
    """A case row written directly (filters and lists only read; the loop has its own tests)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "number": f"T{n:09d}",
        "category": category,
        "source": "inspection",
        "status": Status.REPORTED,
        "description": f"问题{n}",
        "lat": region.centroid_lat or 23.005,
        "lng": region.centroid_lng or 113.105,
        "region": region,
        "region_path": region.path,
    }
    values.update(fields)
    return Case.objects.create(**values)


def local(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def numbers(user: Any, data: dict[str, Any] | None) -> set[str]:
    form = CaseFilterForm(user, data)
    return set(form.apply(cases_visible_to(user)).values_list("number", flat=True))


@pytest.fixture
def spread(world, cats):
    """A handful of cases across both communities, statuses, categories and dates."""
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    origin = make_case(cats.garbage, world.area_a1, status=Status.CLOSED, closed_at=now - 5 * hour)
    return {
        "reported": make_case(
            cats.garbage,
            world.area_a1,
            reported_at=local(2026, 3, 1, 23, 30),
            address="桂澜路口",
            description="路边暴露垃圾 一堆",
        ),
        "late": make_case(
            cats.floating,
            world.area_a2,
            status=Status.DISPATCHED,
            source="resident",
            deadline=now - hour,
            assigned_department=world.dept,
            escalation_level=1,
            reported_at=local(2026, 3, 2, 0, 10),
        ),
        "soon": make_case(
            cats.floating,
            world.area_a1,
            status=Status.RECTIFYING,
            deadline=now + hour,
            assigned_region=world.area_a1,
            reported_at=local(2026, 3, 5, 9, 0),
        ),
        "relapse": make_case(
            cats.garbage, world.area_a1, relapse_of=origin, reported_at=local(2026, 3, 6, 9, 0)
        ),
        "closed": origin,
        "b": make_case(cats.garbage, world.area_b1, reported_at=local(2026, 3, 1, 12, 0)),
    }


def _n(spread: dict[str, Case], *keys: str) -> set[str]:
    return {spread[k].number for k in keys}


def test_an_unbound_form_leaves_the_cases_as_they_are(world, spread):
    form = CaseFilterForm(world.admin, None)
    everything = cases_visible_to(world.admin)
    assert form.apply(everything) is everything
    assert numbers(world.secretary_a, None) == _n(
        spread, "reported", "late", "soon", "relapse", "closed"
    )


def test_status_and_the_open_pseudo_status(world, spread):
    admin = world.admin
    assert numbers(admin, {"status": ["dispatched"]}) == _n(spread, "late")
    closed_or_rectifying = {"status": ["closed", "rectifying"]}
    assert numbers(admin, closed_or_rectifying) == _n(spread, "closed", "soon")
    assert numbers(admin, {"status": ["open"]}) == _n(
        spread, "reported", "late", "soon", "relapse", "b"
    )
    assert numbers(admin, {"status": ["open", "closed"]}) == _n(
        spread, "reported", "late", "soon", "relapse", "b", "closed"
    )
    # Comma-separated, and a plain dict with a single string (as an API may pass).
    assert numbers(admin, {"status": "closed,rectifying"}) == _n(spread, "closed", "soon")
    assert numbers(admin, {"status": "dispatched"}) == _n(spread, "late")
    form = CaseFilterForm(admin, {"status": ["nonsense"]})
    assert not form.is_valid() and "status" in form.errors


def test_a_main_category_includes_its_sub_categories(world, cats, spread):
    assert numbers(world.admin, {"category": "HC"}) == _n(spread, "late", "soon")
    assert numbers(world.admin, {"category": "HJ01"}) == _n(
        spread, "reported", "relapse", "closed", "b"
    )
    form = CaseFilterForm(world.admin, {"category": "NOPE"})
    assert not form.is_valid() and "category" in form.errors


def test_area_at_any_level_of_the_scope(world, spread):
    assert numbers(world.admin, {"area": "GC02"}) == _n(spread, "b")
    assert numbers(world.admin, {"area": "GC01-01-B"}) == _n(spread, "late")
    assert numbers(world.secretary_a, {"area": "GC01-01"}) == _n(
        spread, "reported", "late", "soon", "relapse", "closed"
    )


@pytest.mark.parametrize("code", ["GC02", "GC02-01-A", "GC", "XX99"])
def test_an_area_outside_the_scope_is_an_error_and_keeps_nothing(world, spread, code):
    form = CaseFilterForm(world.secretary_a, {"area": code})
    assert not form.is_valid() and "area" in form.errors
    # Never a silent widening to the whole scope.
    assert not form.apply(cases_visible_to(world.secretary_a)).exists()


def test_source_department_escalated_relapse(world, spread):
    admin = world.admin
    assert numbers(admin, {"source": "resident"}) == _n(spread, "late")
    assert numbers(admin, {"assignee_department": "D01"}) == _n(spread, "late")
    assert numbers(admin, {"escalated": "true"}) == _n(spread, "late")
    assert numbers(admin, {"escalated": "false"}) == _n(
        spread, "reported", "soon", "relapse", "closed", "b"
    )
    assert numbers(admin, {"relapse": "1"}) == _n(spread, "relapse")
    assert "relapse" not in numbers(admin, {"relapse": "0"})
    form = CaseFilterForm(admin, {"assignee_department": "D99"})
    assert not form.is_valid() and "assignee_department" in form.errors


def test_overdue_true_false_and_left_out(world, spread):
    admin = world.admin
    assert numbers(admin, {"overdue": "true"}) == _n(spread, "late")
    assert numbers(admin, {"overdue": "false"}) == _n(
        spread, "reported", "soon", "relapse", "closed", "b"
    )
    assert len(numbers(admin, {"overdue": ""})) == 6
    form = CaseFilterForm(admin, {"overdue": "maybe"})
    assert not form.is_valid() and "overdue" in form.errors


def test_dates_are_inclusive_local_days(world, spread):
    admin = world.admin
    # 2026-03-01 23:30 and 2026-03-02 00:10 local time lie on different days.
    assert numbers(admin, {"reported_from": "2026-03-01", "reported_to": "2026-03-01"}) == _n(
        spread, "reported", "b"
    )
    assert numbers(admin, {"reported_from": "2026-03-02", "reported_to": "2026-03-05"}) == _n(
        spread, "late", "soon"
    )
    assert numbers(admin, {"reported_from": "2026-03-06"}) >= _n(spread, "relapse")
    assert numbers(admin, {"reported_to": "2026-03-01"}) == _n(spread, "reported", "b")


def test_an_end_before_the_start_is_an_error(world, spread):
    form = CaseFilterForm(world.admin, {"reported_from": "2026-03-05", "reported_to": "2026-03-01"})
    assert not form.is_valid()
    assert "reported_to" in form.errors
    form = CaseFilterForm(world.admin, {"reported_from": "2026-02-30"})
    assert not form.is_valid() and "reported_from" in form.errors


def test_q_matches_a_number_prefix_or_every_word(world, spread):
    admin = world.admin
    late = spread["late"].number
    assert numbers(admin, {"q": late[:-1]}) >= {late}
    assert numbers(admin, {"q": late}) == {late}
    assert numbers(admin, {"q": "桂澜"}) == _n(spread, "reported")  # the address
    assert numbers(admin, {"q": "暴露垃圾 一堆"}) == _n(spread, "reported")  # both words
    assert numbers(admin, {"q": "暴露垃圾 没有的词"}) == set()


def test_query_parameters_as_a_request_carries_them(world, spread):
    from django.http import QueryDict

    data = QueryDict("status=closed&status=rectifying&overdue=&area=GC01&q=")
    assert numbers(world.admin, data) == _n(spread, "closed", "soon")


def test_filters_combine(world, spread):
    data = {"status": ["open"], "category": "HJ", "area": "GC01"}
    assert numbers(world.admin, data) == _n(spread, "reported", "relapse")


def test_the_form_renders_its_choices_from_the_users_scope(world, cats):
    html = CaseFilterForm(world.secretary_a, None).as_div()
    assert "社区甲" in html and "甲一片区" in html
    assert "社区乙" not in html and "乙一片区" not in html
    assert "环境卫生" in html and "暴露垃圾" in html and "城管办" in html


def test_past_a_few_hundred_regions_the_area_select_lists_two_levels_and_the_chosen_subtree(
    world, cats, monkeypatch
):
    from zhenxing.cases import filters

    monkeypatch.setattr(filters, "MAX_AREA_CHOICES", 3)
    html = CaseFilterForm(world.admin, None).as_div()
    assert "社区甲" in html and "社区乙" in html
    assert "甲一经济社" not in html and "甲一片区" not in html
    chosen = CaseFilterForm(world.admin, {"area": "GC01-01-A"}).as_div()
    assert "甲一经济社" in chosen and "甲一片区" in chosen and "甲二片区" in chosen
    assert "乙一片区" not in chosen
