"""What the edges show about other people: relapse numbers out of scope, mobiles in free text.

- A relapse may link cases in two scopes (rows written directly here, across
  社区甲 and 社区乙): a reader sees the number of the other case only where
  they may open it, in the API and on the page alike.
- A reporter may type a resident's mobile into the description, the address
  or a note. Whoever may dispatch the case sees it in full (they call back);
  everyone else sees it masked, and every export masks it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhenxing.cases import services
from zhenxing.cases.models import CaseEvent, EventKind, RequestKind, Status
from zhenxing.people.tests.helpers import read_xlsx
from zhenxing.people.tokens import token_create

from .conftest import IN_A1
from .test_filters import make_case

API = "/api/v1/cases"


def bearer(user: Any) -> Client:
    _, plain = token_create(user=user, name="edge", actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def page(client: Client, number: str) -> str:
    response = client.get(reverse("cases:detail", args=[number]))
    assert response.status_code == 200
    return response.content.decode()


# --- relapses across scopes -------------------------------------------------------------


@pytest.fixture
def relapses(world, cats):
    """origin_b (closed, 社区乙) ← relapse_a (社区甲); origin_a (closed, 社区甲) ← relapse_b
    (社区乙) and ← relapse_a2 (社区甲)."""
    closed = {"status": Status.CLOSED, "closed_at": timezone.now()}
    origin_b = make_case(cats.garbage, world.area_b1, **closed)
    relapse_a = make_case(cats.garbage, world.area_a1, relapse_of=origin_b)
    CaseEvent.objects.create(
        case=relapse_a,
        kind=EventKind.REPORTED,
        to_status=Status.REPORTED,
        data={"relapse_of": origin_b.number},
    )
    origin_a = make_case(cats.garbage, world.area_a1, **closed)
    relapse_b = make_case(cats.garbage, world.area_b1, relapse_of=origin_a)
    relapse_a2 = make_case(cats.garbage, world.area_a1, relapse_of=origin_a)
    return {
        "origin_b": origin_b,
        "relapse_a": relapse_a,
        "origin_a": origin_a,
        "relapse_b": relapse_b,
        "relapse_a2": relapse_a2,
    }


def test_the_api_names_no_relapse_out_of_scope(world, relapses):
    r = {k: c.number for k, c in relapses.items()}
    secretary = bearer(world.secretary_a)  # 社区甲 only
    detail = secretary.get(f"{API}/{r['relapse_a']}").json()
    assert detail["relapse_of"] is None
    assert all("relapse_of" not in e["data"] for e in detail["events"])
    assert r["origin_b"] not in str(detail)
    origin = secretary.get(f"{API}/{r['origin_a']}").json()
    assert origin["relapses"] == [r["relapse_a2"]]
    listed = {i["number"]: i for i in secretary.get(API, {"limit": 200}).json()["items"]}
    assert listed[r["relapse_a"]]["relapse_of"] is None
    assert listed[r["relapse_a2"]]["relapse_of"] == r["origin_a"]
    # The whole territory's admin sees every link.
    admin = bearer(world.admin)
    detail = admin.get(f"{API}/{r['relapse_a']}").json()
    assert detail["relapse_of"] == r["origin_b"]
    assert detail["events"][0]["data"] == {"relapse_of": r["origin_b"]}
    assert admin.get(f"{API}/{r['origin_a']}").json()["relapses"] == [
        r["relapse_b"],
        r["relapse_a2"],
    ]


def test_the_case_page_names_no_relapse_out_of_scope(world, relapses, client_for):
    r = {k: c.number for k, c in relapses.items()}
    client = client_for(world.secretary_a)
    html = page(client, r["relapse_a"])
    assert r["origin_b"] not in html
    html = page(client, r["origin_a"])
    assert r["relapse_a2"] in html and r["relapse_b"] not in html
    html = page(client_for(world.admin), r["relapse_a"])
    assert r["origin_b"] in html


# --- mobiles in free text ---------------------------------------------------------------

MOBILE, MASKED = "13912345678", "139****5678"
ADDRESS_MOBILE, ADDRESS_MASKED = "13800138000", "138****8000"


@pytest.fixture
def chatty(world, cats, private_media):
    """A case whose description, address, notes and pending request name mobiles."""
    case = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description=f"垃圾堆放，联系王先生 {MOBILE}",
        address=f"桂澜路（店主 {ADDRESS_MOBILE}）",
        lat=IN_A1[0],
        lng=IN_A1[1],
    )
    services.case_accept(case=case, actor=world.secretary_a, note=f"已电话 {MOBILE}")
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    services.case_request(
        case=case,
        actor=world.secretary_a,
        kind=RequestKind.SEND_BACK,
        reason=f"不属本社区，业主 {MOBILE}",
    )
    case.refresh_from_db()
    return case


def test_the_api_masks_mobiles_in_free_text_for_non_dispatchers(world, chatty):
    member = bearer(world.party_member_a)
    detail = member.get(f"{API}/{chatty.number}").json()
    assert MASKED in detail["description"] and ADDRESS_MASKED in detail["address"]
    assert any(MASKED in e["note"] for e in detail["events"])
    assert MASKED in detail["pending_request"]["reason"]
    assert MOBILE not in str(detail) and ADDRESS_MOBILE not in str(detail)
    [item] = member.get(API).json()["items"]
    assert MASKED in item["description"] and ADDRESS_MASKED in item["address"]
    assert MOBILE not in str(item) and ADDRESS_MOBILE not in str(item)
    # The dispatchers call the resident back: they see the numbers.
    for user in (world.secretary_a, world.admin):
        detail = bearer(user).get(f"{API}/{chatty.number}").json()
        assert MOBILE in detail["description"] and ADDRESS_MOBILE in detail["address"]
        assert MOBILE in detail["pending_request"]["reason"]
        [item] = bearer(user).get(API).json()["items"]
        assert MOBILE in item["description"]


def test_the_case_page_masks_mobiles_in_free_text_for_non_dispatchers(world, chatty, client_for):
    for user in (world.party_member_a, world.inspector_a, world.dept_staff):
        html = page(client_for(user), chatty.number)
        assert MOBILE not in html and ADDRESS_MOBILE not in html, user
        assert MASKED in html and ADDRESS_MASKED in html
    html = page(client_for(world.secretary_a), chatty.number)
    assert MOBILE in html and ADDRESS_MOBILE in html


def test_the_duplicates_offered_mask_mobiles_for_non_dispatchers(world, cats, chatty, client_for):
    query = {"category": cats.garbage.pk, "lat": IN_A1[0], "lng": IN_A1[1]}
    url = reverse("cases:duplicates")
    html = client_for(world.party_member_a).get(url, query).content.decode()
    assert chatty.number in html and MASKED in html and MOBILE not in html
    html = client_for(world.secretary_a).get(url, query).content.decode()
    assert MOBILE in html
    answer = bearer(world.party_member_a).get(
        f"{API}/duplicates", {"category": "HJ01", "lat": IN_A1[0], "lng": IN_A1[1]}
    )
    assert MASKED in answer.json()[0]["description"] and MOBILE not in answer.content.decode()


def test_the_export_masks_mobiles_in_free_text_for_everyone(world, chatty, client_for):
    for user in (world.secretary_a, world.admin):
        response = client_for(user).get(reverse("cases:export"))
        assert response.status_code == 200
        cells = " ".join(str(v) for row in read_xlsx(response.content) for v in row)
        assert MASKED in cells and ADDRESS_MASKED in cells
        assert MOBILE not in cells and ADDRESS_MOBILE not in cells
