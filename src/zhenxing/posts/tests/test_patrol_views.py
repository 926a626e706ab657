"""The patrol pages: my posts, the check-in, the list and its export, the detail and photos."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from zhenxing.cases.models import Case, Source
from zhenxing.cases.testing import gps_exif, jpeg_bytes, upload
from zhenxing.posts.models import Patrol, PatrolPhoto, PostCase
from zhenxing.posts.patrols import ProblemFound, patrol_record
from zhenxing.posts.tests.test_patrols import photos

pytestmark = pytest.mark.django_db


def _patrol(posts, member=None, post=None, days_ago=0, problem=None, **kwargs):
    return patrol_record(
        actor=None,
        member=member or posts.member_a,
        post=post or posts.post_a1,
        at=timezone.now() - datetime.timedelta(days=days_ago, minutes=1),
        problem=problem,
        **kwargs,
    )


# --- my posts ------------------------------------------------------------------------


def test_mine_shows_held_posts_patrols_and_cases(world, posts, cats, client_for):  # noqa: F811
    _patrol(posts, problem=ProblemFound(category=cats.garbage, description="垃圾"))
    case = Case.objects.get()
    response = client_for(world.party_member_a).get(reverse("posts:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert posts.post_a1.name in body
    assert posts.post_a2.name not in body  # not held
    assert reverse("posts:patrol_new", args=[posts.post_a1.pk]) in body
    assert "1 patrol this month" in body
    assert reverse("cases:detail", args=[case.number]) in body


def test_mine_is_404_without_a_member_and_needs_login(world, posts, client, client_for):
    assert client_for(world.secretary_a).get(reverse("posts:mine")).status_code == 404
    assert client_for(world.dept_staff).get(reverse("posts:mine")).status_code == 404
    client.logout()
    response = client.get(reverse("posts:mine"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- the check-in ---------------------------------------------------------------------


def test_check_in_page_guards(world, posts, client, client_for):
    url = reverse("posts:patrol_new", args=[posts.post_a1.pk])
    assert client_for(world.party_member_a).get(url).status_code == 200
    # Visible but not held: 403. Another community's post: 404.
    assert (
        client_for(world.party_member_a)
        .get(reverse("posts:patrol_new", args=[posts.post_a2.pk]))
        .status_code
        == 403
    )
    assert (
        client_for(world.party_member_a)
        .get(reverse("posts:patrol_new", args=[posts.post_b1.pk]))
        .status_code
        == 404
    )
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.dept_staff).get(url).status_code == 404
    # The secretary sees the post but holds nothing: 403, and posting changes nothing.
    assert client_for(world.secretary_a).post(url, {"note": "x"}).status_code == 403
    assert not Patrol.objects.exists()
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert client_for(world.party_member_a).delete(url).status_code == 405


def test_check_in_with_photo_and_problem(world, posts, cats, client_for, private_media):  # noqa: F811
    url = reverse("posts:patrol_new", args=[posts.post_a1.pk])
    client = client_for(world.party_member_a)
    page = client.get(url).content.decode()
    assert 'capture="environment"' in page and "multiple" in page
    assert f'value="{cats.garbage.pk}"' in page
    response = client.post(
        url,
        {
            "lat": "23.005",
            "lng": "113.105",
            "accuracy": "8",
            "note": "巡查",
            "photos": [upload("a.jpg")],
            "problem": "on",
            "category": str(cats.garbage.pk),
            "description": "路口垃圾",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("posts:mine")
    case = Case.objects.get()
    assert case.source == Source.PARTY_PATROL
    assert f"Check-in recorded (case {case.number} opened)." in response.content.decode()
    patrol = Patrol.objects.get()
    assert (patrol.lat, patrol.lng, patrol.accuracy_m) == (23.005, 113.105, 8.0)
    assert PatrolPhoto.objects.filter(patrol=patrol).count() == 1
    assert PostCase.objects.get().patrol == patrol


def test_check_in_errors_keep_the_text(world, posts, cats, client_for):  # noqa: F811
    url = reverse("posts:patrol_new", args=[posts.post_a1.pk])
    client = client_for(world.party_member_a)
    response = client.post(
        url,
        {"note": "我写的笔记", "problem": "on", "photos": [upload("a.jpg")]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "我写的笔记" in body
    assert "Describe the problem you found." in body
    assert "choose the photos again" in body
    # A bad photo is a field error, not a 500.
    response = client.post(url, {"photos": [upload("x.jpg", b"not an image")]})
    assert response.status_code == 400
    # The service's refusal shows as a form error (a double tap).
    assert client.post(url, {"note": "一"}).status_code == 302
    response = client.post(url, {"note": "二"})
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert Patrol.objects.count() == 1
    assert not Case.objects.exists()


# --- the list and export --------------------------------------------------------------


def test_list_filters_and_scope(world, posts, cats, client_for):  # noqa: F811
    p1 = _patrol(posts, note="一")
    p2 = _patrol(posts, days_ago=40, problem=ProblemFound(category=cats.garbage, description="x"))
    pb = _patrol(posts, member=posts.member_b, post=posts.post_b1)
    url = reverse("posts:patrols")
    client = client_for(world.secretary_a)

    def shown(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return set(response.context["page"].object_list.values_list("pk", flat=True))

    assert shown() == {p1.pk, p2.pk}
    assert shown("?problems=on") == {p2.pk}
    month = timezone.localtime(p2.at).strftime("%Y-%m")
    assert p2.pk in shown(f"?month={month}") and p1.pk not in shown(f"?month={month}")
    assert shown(f"?post={posts.post_a1.pk}") == {p1.pk, p2.pk}
    assert shown(f"?member={posts.member_a2.pk}") == set()
    assert shown(f"?community={world.a.pk}") == {p1.pk, p2.pk}
    assert shown(f"?organization={posts.org_a.pk}") == {p1.pk, p2.pk}
    # Another community's post or member is no filter at all here.
    assert shown(f"?post={posts.post_b1.pk}") == {p1.pk, p2.pk}
    assert client.get(url + "?month=2026-13").status_code == 200
    admin = client_for(world.admin)
    assert set(admin.get(url).context["page"].object_list.values_list("pk", flat=True)) == {
        p1.pk,
        p2.pk,
        pb.pk,
    }


def test_outsider_and_department_see_nothing(world, posts, client, client_for):
    p1 = _patrol(posts)
    outsider = client_for(world.outsider)
    listed = outsider.get(reverse("posts:patrols"))
    assert listed.status_code == 200
    assert list(listed.context["page"].object_list) == []
    assert outsider.get(reverse("posts:patrol_detail", args=[p1.pk])).status_code == 404
    dept = client_for(world.dept_staff)
    assert dept.get(reverse("posts:patrols")).status_code == 404
    assert dept.get(reverse("posts:patrol_export")).status_code == 404
    client.logout()
    assert client.get(reverse("posts:patrols")).status_code == 302


def test_list_query_budget(world, posts, cats, client_for, django_assert_max_num_queries):  # noqa: F811
    for i in range(12):
        _patrol(
            posts,
            days_ago=i,
            photos=photos(1),
            problem=ProblemFound(category=cats.garbage, description=f"问题{i}") if i % 3 else None,
        )
    client = client_for(world.secretary_a)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("posts:patrols"))
    assert len(response.context["page"].object_list) == 12


def test_export(world, posts, cats, client_for):  # noqa: F811
    _patrol(posts, problem=ProblemFound(category=cats.garbage, description="x"), note="=1+1")
    _patrol(posts, member=posts.member_b, post=posts.post_b1)
    response = client_for(world.secretary_a).get(reverse("posts:patrol_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header + 社区甲's one patrol
    row = rows[1]
    assert row[1] == posts.member_a.name
    assert row[10] == "'=1+1"  # no live formula
    assert row[11] == Case.objects.get().number
    assert posts.member_a.mobile not in str(rows)


def test_export_cap(world, posts, client_for, monkeypatch):
    from zhenxing.posts.views import patrols as views

    _patrol(posts)
    _patrol(posts, days_ago=1)
    monkeypatch.setattr(views, "PATROL_EXPORT_MAX_ROWS", 1)
    response = client_for(world.secretary_a).get(reverse("posts:patrol_export") + "?problems=")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("posts:patrols"))


# --- the detail and photos --------------------------------------------------------------


def test_detail_and_photos(world, posts, client, client_for, private_media):
    exif = gps_exif(23.005, 113.105)
    exif[0x010F] = "PhoneMaker"
    data = jpeg_bytes(size=(400, 300), exif=exif.tobytes())
    from zhenxing.cases.photos import validate_photos

    patrol = _patrol(
        posts,
        lat=23.0051,
        lng=113.1052,
        accuracy_m=15,
        photos=validate_photos([upload("g.jpg", data)]),
    )
    photo = PatrolPhoto.objects.get()
    detail = client_for(world.party_member_a).get(reverse("posts:patrol_detail", args=[patrol.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "23.0051" in body and "within 15 m" in body
    assert reverse("posts:patrol_photo", args=[photo.token, "thumb"]) in body
    assert reverse("posts:patrol_photo", args=[photo.token, "original"]) not in body

    def get(user, variant):
        return client_for(user).get(reverse("posts:patrol_photo", args=[photo.token, variant]))

    for variant in ("thumb", "display"):
        response = get(world.party_member_a, variant)
        assert response.status_code == 200
        served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert not served.getexif()  # no GPS, no camera
    assert get(world.party_member_a, "original").status_code == 404
    original = get(world.secretary_a, "original")
    assert original.status_code == 200
    assert b"".join(original.streaming_content) == data
    assert get(world.outsider, "thumb").status_code == 404
    assert get(world.dept_staff, "thumb").status_code == 404
    client.logout()
    assert client.get(reverse("posts:patrol_photo", args=[photo.token, "thumb"])).status_code == 302
