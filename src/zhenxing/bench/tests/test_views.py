"""The bench-only views: routed only with ZHENXING_BENCH_VIEWS on; the minimal intake's writes."""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches


def _reload_urls() -> None:
    import zhenxing.bench.urls
    import zhenxing.urls

    importlib.reload(zhenxing.bench.urls)
    importlib.reload(zhenxing.urls)
    clear_url_caches()


@pytest.fixture
def bench_views(settings):
    """The URLconf as a server started with ZHENXING_BENCH_VIEWS=1 builds it."""
    settings.ZHENXING_BENCH_VIEWS = True
    _reload_urls()
    yield
    settings.ZHENXING_BENCH_VIEWS = False
    _reload_urls()


def test_the_setting_is_off_by_default():
    from zhenxing import settings as module

    assert module.ZHENXING_BENCH_VIEWS is False


@pytest.mark.django_db
def test_bench_urls_are_absent_without_the_setting(client):
    assert client.get("/bench/hello").status_code == 404
    assert client.post("/bench/intake", {"category": 1}).status_code == 404


@pytest.mark.django_db
def test_the_views_refuse_even_if_routed_while_the_setting_is_off(bench_views, client, settings):
    settings.ZHENXING_BENCH_VIEWS = False
    assert client.get("/bench/hello").status_code == 404


@pytest.mark.django_db
def test_hello(bench_views, client):
    response = client.get("/bench/hello")
    assert response.status_code == 200
    assert response.content == b"hello"


def test_minimal_intake_writes_one_case_its_event_and_an_audit_row(bench_views, client, world):
    from zhenxing.cases.models import Case, CaseEvent, Category, EventKind, Status
    from zhenxing.core.models import AuditEntry

    main = Category.objects.create(code="HJ", name="环境卫生")
    category = Category.objects.create(parent=main, code="HJ01", name="暴露垃圾")
    before = (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count())
    response = client.post(
        "/bench/intake",
        {
            "category": category.pk,
            "description": "bench",
            "lat": 23.005,
            "lng": 113.105,
            "region": world.area_a1.pk,
            "region_path": world.area_a1.path,
        },
    )
    assert response.status_code == 201
    after = (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count())
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    case = Case.objects.get(number=response.json()["number"])
    assert case.status == Status.REPORTED
    assert case.region_id == world.area_a1.pk
    assert case.number.endswith(f"{case.pk:06d}")
    event = CaseEvent.objects.get(case=case)
    assert event.kind == EventKind.REPORTED
    audit = AuditEntry.objects.latest("pk")
    assert (audit.action, audit.object_id) == ("case.report", str(case.pk))


def test_minimal_intake_takes_posts_only(bench_views, client, db):
    assert client.get("/bench/intake").status_code == 405
