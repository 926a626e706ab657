"""A resident reports a problem at a post, from the QR code on its sign (?post=<token>)."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from django.urls import reverse

from zhenxing.cases.models import Case
from zhenxing.core.models import AuditEntry
from zhenxing.posts import services as post_services
from zhenxing.posts.models import CaseOrigin, PostCase
from zhenxing.posts.testing import build_posts_world
from zhenxing.public import challenge
from zhenxing.public.models import ResidentReport
from zhenxing.public.testing import jpeg_with_exif

REPORT = "/public/report/"


@pytest.fixture(autouse=True)
def _easy(settings):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 6


@pytest.fixture
def posts(world):
    return build_posts_world(world)


def solution() -> dict[str, str]:
    issued = challenge.issue()
    return {"challenge": issued.token, "counter": challenge.solve(issued.token, issued.bits)}


def form_data(cats, **overrides):
    from zhenxing.cases.testing import upload

    data = {
        "category": str(cats.garbage.pk),
        "description": "岗位附近垃圾堆积",
        "lat": "23.005",
        "lng": "113.105",
        "photos": [upload("spot.jpg", jpeg_with_exif())],
        **solution(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def map_config(html: str) -> dict:
    return json.loads(re.search(r'id="report-map-config"[^>]*>(.*?)</script>', html).group(1))


def hidden_post(html: str) -> str:
    field = re.search(r'<input[^>]*name="post"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', field)
    return value.group(1) if value else ""


def test_the_form_names_the_post_and_pins_its_place(world, posts, cats, client):
    post = posts.post_a1
    html = client.get(f"{REPORT}?post={post.public_token}", HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert f"Reporting at post: {post.name}" in html
    assert hidden_post(html) == post.public_token
    config = map_config(html)
    assert (config["lat"], config["lng"]) == (post.lat, post.lng)


def test_a_post_without_coordinates_pins_its_regions_centre(world, posts, cats, client):
    post = post_services.post_create(
        actor=None,
        code="GC01-WS-002",
        name="甲二片区卫生监督岗",
        post_type=posts.sanitation,
        region=world.area_a2,
    )
    world.area_a2.refresh_from_db()
    html = client.get(f"{REPORT}?post={post.public_token}").content.decode()
    config = map_config(html)
    assert config["lat"] == pytest.approx(world.area_a2.centroid_lat)
    assert config["lng"] == pytest.approx(world.area_a2.centroid_lng)
    # A community-wide river post has no place of its own: no pin, still named.
    html = client.get(f"{REPORT}?post={posts.post_a2.public_token}").content.decode()
    assert posts.post_a2.name in html and map_config(html)["lat"] is None


@pytest.mark.parametrize("token", ["nosuchtoken", "x" * 200, ""])
def test_an_unknown_token_shows_the_normal_form(world, posts, cats, client, token):
    response = client.get(f"{REPORT}?post={token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="reporting-post"' not in html
    assert hidden_post(html) == ""
    assert map_config(html)["lat"] is None


def test_a_retired_posts_token_shows_the_normal_form(world, posts, cats, client):
    post = posts.post_a1
    post_services.post_retire(actor=None, post=post)
    html = client.get(f"{REPORT}?post={post.public_token}").content.decode()
    assert 'id="reporting-post"' not in html and post.name not in html


def test_a_report_at_a_post_links_the_case(world, posts, cats, client, private_media):
    post = posts.post_a1
    response = client.post(REPORT, form_data(cats, post=post.public_token))
    assert response.status_code == 200, response.content.decode()[:2000]
    report = ResidentReport.objects.get()
    link = PostCase.objects.get()
    assert link.case == report.case and link.post == post
    assert link.origin == CaseOrigin.RESIDENT and link.patrol is None
    assert report.case.source == "resident"
    assert AuditEntry.objects.filter(action="posts.case.link").count() == 1


@pytest.mark.parametrize("token", ["nosuchtoken", ""])
def test_an_unknown_token_files_a_normal_report(world, posts, cats, client, private_media, token):
    response = client.post(REPORT, form_data(cats, post=token))
    assert response.status_code == 200
    assert Case.objects.count() == 1 and ResidentReport.objects.count() == 1
    assert not PostCase.objects.exists()


def test_a_post_retired_meanwhile_files_a_normal_report(world, posts, cats, client, private_media):
    post = posts.post_a1
    post_services.post_retire(actor=None, post=post)
    response = client.post(REPORT, form_data(cats, post=post.public_token))
    assert response.status_code == 200
    assert ResidentReport.objects.count() == 1 and not PostCase.objects.exists()


def test_a_refused_report_keeps_the_post(world, posts, cats, client, private_media):
    post = posts.post_a1
    response = client.post(
        REPORT, form_data(cats, post=post.public_token, description=""), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert hidden_post(html) == post.public_token
    assert f"Reporting at post: {post.name}" in html
    assert not Case.objects.exists() and not PostCase.objects.exists()
    # Sent again, right this time: the case is linked.
    response = client.post(REPORT, form_data(cats, post=hidden_post(html)))
    assert response.status_code == 200
    assert PostCase.objects.get().post == post


def test_a_case_outside_the_territory_writes_no_link(world, posts, cats, client, private_media):
    post = posts.post_a1
    response = client.post(REPORT, form_data(cats, post=post.public_token, lat="40.0", lng="116.0"))
    assert response.status_code == 400
    assert not Case.objects.exists() and not PostCase.objects.exists()


def test_the_post_page_button_reaches_this_form(world, posts, cats, client):
    html = client.get(reverse("posts_public:post", args=[posts.post_a1.public_token])).content
    href = re.search(r'id="report-here" href="([^"]+)"', html.decode())
    href = href.group(1) if href else ""
    if not href:
        href = re.search(r'href="([^"]+)"[^>]*id="report-here"', html.decode()).group(1)
    response = client.get(href.replace("&amp;", "&"))
    assert posts.post_a1.name in response.content.decode()


# --- the security review: where the pin is, a post retired meanwhile, odd tokens ---------


def test_a_pin_in_another_community_files_a_normal_report(
    world, posts, cats, client, private_media
):
    """A sign scanned in 社区甲 and a pin dropped in 社区乙: not a case at 社区甲's post."""
    post = posts.post_a1
    response = client.post(REPORT, form_data(cats, post=post.public_token, lng="113.125"))
    assert response.status_code == 200
    report = ResidentReport.objects.get()
    assert report.case.region == world.area_b1
    assert not PostCase.objects.exists()


def test_a_pin_elsewhere_in_the_same_community_still_links(
    world, posts, cats, client, private_media
):
    # post_a1 lies in 甲一片区; a pin in 甲二片区 is the same community.
    response = client.post(REPORT, form_data(cats, post=posts.post_a1.public_token, lng="113.115"))
    assert response.status_code == 200
    assert PostCase.objects.get().case.region == world.area_a2


def test_a_post_retired_after_it_was_read_gets_no_case(world, posts, cats, private_media):
    """The filing re-reads the post under a lock: a retirement in between wins."""
    from zhenxing.cases.photos import validate_photos
    from zhenxing.cases.testing import upload
    from zhenxing.public.reporting import reportable_post, resident_report_file

    post = reportable_post(posts.post_a1.public_token)
    assert post is not None and post.is_active
    post_services.post_retire(actor=None, post=posts.post_a1)
    report = resident_report_file(
        category=cats.garbage,
        description="垃圾",
        lat=23.005,
        lng=113.105,
        photos=validate_photos([upload("spot.jpg", jpeg_with_exif())]),
        post=post,
    )
    assert report.case.pk and not PostCase.objects.exists()


@contextlib.contextmanager
def no_nul_sent_to_the_database():
    """PostgreSQL refuses a NUL byte in a query (a 500); SQLite takes it: assert none is sent."""
    from django.db import connection

    sent = []

    def watch(execute, sql, params, many, context):
        for row in (params if many else [params]) or []:
            values = row.values() if isinstance(row, dict) else row or []
            sent.extend(sql for v in values if isinstance(v, str) and "\x00" in v)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield
    assert not sent, sent


@pytest.mark.parametrize("token", ["%00", "abc%00def", "%E5%B2%97"])
def test_an_odd_token_in_the_link_shows_the_normal_form(world, posts, cats, client, token):
    with no_nul_sent_to_the_database():
        response = client.get(f"{REPORT}?post={token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="reporting-post"' not in html and hidden_post(html) == ""


@pytest.mark.parametrize("token", ["\x00", "abc\x00", "x" * 200, "岗位"])
def test_an_odd_token_in_the_form_files_a_normal_report(
    world, posts, cats, client, private_media, token
):
    with no_nul_sent_to_the_database():
        response = client.post(REPORT, form_data(cats, post=token))
    assert response.status_code == 200, response.content.decode()[:2000]
    assert ResidentReport.objects.count() == 1 and not PostCase.objects.exists()


def test_an_odd_token_never_stops_a_refused_form_from_coming_back(
    world, posts, cats, client, private_media
):
    response = client.post(REPORT, form_data(cats, post="\x00", description=""))
    assert response.status_code == 400
    form = response.context["form"]
    assert "post" not in form.errors and hidden_post(response.content.decode()) == ""


def test_a_token_with_spaces_around_it_still_links(world, posts, cats, client, private_media):
    response = client.post(REPORT, form_data(cats, post=f"  {posts.post_a1.public_token} "))
    assert response.status_code == 200
    assert PostCase.objects.get().post == posts.post_a1
