"""Shared fixtures: a small territory and one persona per role (ARCHITECTURE.md habit 8).

    GC  桂城街道 (root)
    ├── GC01 社区甲 ── GC01-01 经济社 ── GC01-01-A, GC01-01-B (areas, unit squares)
    └── GC02 社区乙 ── GC02-01 经济社 ── GC02-01-A (area)

`world.admin` is the office admin (role on GC); `world.secretary_a`,
`world.inspector_a`, `world.party_member_a`, `world.team_leader_a` hold roles
on 社区甲; `world.outsider` is the secretary of 社区乙; `world.dept_staff`
works in a department; `world.nobody` is logged in with no role.
"""

from __future__ import annotations

import contextlib
import os
from types import SimpleNamespace

import pytest

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, as a fresh process would."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every persona gets a password; the production hasher takes ~0.5 s for each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    """A GeoJSON square with its south-west corner at (lng, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


@pytest.fixture
def world(db):
    from zhenxing.people.models import Department, Role, RoleAssignment, User
    from zhenxing.territory.services import region_create

    root = region_create(code="GC", name="桂城街道", parent=None, actor=None)
    a = region_create(code="GC01", name="社区甲", parent=root, actor=None, population=5000)
    b = region_create(code="GC02", name="社区乙", parent=root, actor=None, population=3000)
    coop_a = region_create(code="GC01-01", name="甲一经济社", parent=a, actor=None)
    coop_b = region_create(code="GC02-01", name="乙一经济社", parent=b, actor=None)
    area_a1 = region_create(
        code="GC01-01-A", name="甲一片区", parent=coop_a, geometry=square(113.10, 23.00), actor=None
    )
    area_a2 = region_create(
        code="GC01-01-B", name="甲二片区", parent=coop_a, geometry=square(113.11, 23.00), actor=None
    )
    area_b1 = region_create(
        code="GC02-01-A", name="乙一片区", parent=coop_b, geometry=square(113.12, 23.00), actor=None
    )
    dept = Department.objects.create(code="D01", name="城管办")

    def user(username: str, role: str | None, region=None, department=None, **extra):
        u = User.objects.create_user(username=username, password=PASSWORD, **extra)
        if role:
            RoleAssignment.objects.create(user=u, role=role, region=region, department=department)
        return u

    return SimpleNamespace(
        root=root,
        a=a,
        b=b,
        coop_a=coop_a,
        coop_b=coop_b,
        area_a1=area_a1,
        area_a2=area_a2,
        area_b1=area_b1,
        dept=dept,
        admin=user("office", Role.OFFICE_ADMIN, root, mobile="13800000001"),
        secretary_a=user("sec_a", Role.SECRETARY, a, mobile="13800000002"),
        inspector_a=user("insp_a", Role.INSPECTOR, a),
        party_member_a=user("pm_a", Role.PARTY_MEMBER, a),
        team_leader_a=user("lead_a", Role.TEAM_LEADER, a),
        dept_staff=user("dept", Role.DEPARTMENT_STAFF, department=dept),
        outsider=user("sec_b", Role.SECRETARY, b),
        nobody=user("nobody", None),
    )


@pytest.fixture
def private_media(settings, tmp_path):
    """Photos written to a private media folder of this test's own."""
    settings.ZHENXING_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    from django.utils.functional import empty

    from zhenxing.cases.photos import private_storage

    # The storage is built lazily from the setting: reset it to follow the override.
    private_storage._wrapped = empty
    yield settings.ZHENXING_PRIVATE_MEDIA_ROOT
    private_storage._wrapped = empty


@pytest.fixture
def client_for(client):
    """`client_for(user)` returns the test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


CHROMIUM = "/usr/bin/chromium"
# Chromium on these machines must not try to reach the network on its own.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (`make chromium` installs it)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (browser tests need it)")
    # Playwright's sync API keeps an event loop running in this thread, which
    # Django's ORM takes for async code; the tests' own database work is
    # synchronous, so the check is lifted while the browser is open, and only then.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(chromium, live_server, settings):
    # The live server speaks plain http on 127.0.0.1.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    yield page
    # Let requests still in flight (lazy thumbnails, a fetch) finish first: the live
    # server answering one while the test database is flushed deadlocks on PostgreSQL.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5000)
    context.close()
