"""Responsibility signs: the PDF (its QR code, its text, its pages) and who may print them."""

from __future__ import annotations

import datetime
import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.urls import reverse
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTChar, LTTextContainer

from zhenxing.core.privacy import mask_mobile
from zhenxing.people.models import PartyMember
from zhenxing.posts import services
from zhenxing.posts.models import Post
from zhenxing.posts.signs import _layouts, posts_for_signs, public_post_url, qr_box, sign_pdf
from zhenxing.posts.testing import MEMBER_A_MOBILE, MEMBER_B_MOBILE

BASE = "https://zx.example.gov.cn"
PAGE_SIZES = {"a4": (595, 842), "a5": (420, 595)}


def qr_texts(data: bytes, page: int = 0) -> list[str]:
    image = pdfium.PdfDocument(data)[page].render(scale=2).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def page_count(data: bytes) -> int:
    return len(pdfium.PdfDocument(data))


def page_sizes(data: bytes) -> list[tuple[int, int]]:
    return [(round(p.get_width()), round(p.get_height())) for p in pdfium.PdfDocument(data)]


def text_of(data: bytes) -> str:
    return extract_text(io.BytesIO(data))


def flat(text: str) -> str:
    """The text without line breaks: wrapped duties read back as one string."""
    return "".join(text.split())


def one_sign(post: Post, size: str = "a4") -> bytes:
    return sign_pdf(
        posts_for_signs(Post.objects.filter(pk=post.pk)),
        size=size,
        public_url=lambda p: f"{BASE}/public/posts/{p.public_token}/",
    )


# --- the PDF -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_the_sign_says_what_the_post_is_and_masks_the_mobile(posts, size):
    data = one_sign(posts.post_a1, size)
    assert data.startswith(b"%PDF")
    assert page_sizes(data) == [PAGE_SIZES[size]]
    text = flat(text_of(data))
    post = posts.post_a1
    assert flat(post.name) in text
    for line in post.duties.splitlines():
        assert flat(line) in text
    assert "陈甲党员" in text
    assert mask_mobile(MEMBER_A_MOBILE) in text
    assert MEMBER_A_MOBILE not in text
    assert "甲党支部" in text and post.code in text and "卫生监督" in text
    assert "社区甲" in text and "甲一片区" in text


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_the_qr_code_decodes_to_the_public_page(posts, size):
    post = posts.post_a1
    assert qr_texts(one_sign(post, size)) == [f"{BASE}/public/posts/{post.public_token}/"]


def test_a_post_nobody_holds_says_so(posts):
    text = flat(text_of(one_sign(posts.post_a2)))
    assert flat(posts.post_a2.name) in text
    assert "陈甲党员" not in text and "139" not in text


def _crowded_post(world, posts) -> Post:
    """post_a1 with 600 characters of duties and eight holders."""
    post = posts.post_a1
    duties = "\n".join(
        f"{i + 1:02d}. " + "督促沿街商户落实门前三包责任，发现暴露垃圾及时劝导并上报平台。" * 2
        for i in range(10)
    )
    duties = duties[:597] + "完毕。"
    assert len(duties) == 600
    services.post_update(
        actor=None,
        post=post,
        name=post.name,
        post_type=post.post_type,
        region=post.region,
        duties=duties,
        place_kind=post.place_kind,
        place_name=post.place_name,
        lat=post.lat,
        lng=post.lng,
        organization=post.organization,
    )
    for i in range(7):
        member = PartyMember.objects.create(
            name=f"党员第{i + 2}号名字较长",
            mobile=f"1390000{1000 + i}",
            organization=posts.org_a,
            region=world.a,
        )
        services.claim_start(
            actor=None, post=post, member=member, started_on=datetime.date(2026, 1, 6)
        )
    post.refresh_from_db()
    return post


@pytest.mark.parametrize("size", ["a4", "a5"])
def test_long_duties_and_many_holders_stay_on_the_page(world, posts, size):
    post = _crowded_post(world, posts)
    data = one_sign(post, size)
    assert page_count(data) == 1
    text = flat(text_of(data))
    assert "完毕。" in text  # the end of the duties is there, not cut off
    assert "01." in text and "09." in text
    assert mask_mobile("13900001006") in text and "13900001006" not in text
    assert text.count("****") == 8
    assert qr_texts(data) == [f"{BASE}/public/posts/{post.public_token}/"]

    layout = _layouts()[size]
    width, height = layout.page
    qr_left, qr_bottom, qr_side = qr_box(layout)
    chars = 0
    for page in extract_pages(io.BytesIO(data)):
        for box in page:
            if not isinstance(box, LTTextContainer):
                continue
            for line in box:
                for char in getattr(line, "_objs", []):
                    if not isinstance(char, LTChar):
                        continue
                    chars += 1
                    x0, y0, x1, y1 = char.bbox
                    assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, char
                    # No text over the QR code.
                    assert not (
                        x1 > qr_left
                        and x0 < qr_left + qr_side
                        and y1 > qr_bottom
                        and y0 < qr_bottom + qr_side
                    ), (char.get_text(), char.bbox)
    assert chars > 600


def test_many_posts_make_one_page_each(posts):
    data = sign_pdf(
        posts_for_signs(Post.objects.order_by("code")),
        size="a5",
        public_url=lambda p: f"{BASE}/p/{p.public_token}",
    )
    assert page_count(data) == 3
    assert qr_texts(data, 2) == [f"{BASE}/p/{posts.post_b1.public_token}"]


def test_drawing_many_signs_does_not_query_per_post(posts, django_assert_max_num_queries):
    queryset = posts_for_signs(Post.objects.all())
    # posts, their open claims (with members), their communities
    with django_assert_max_num_queries(3):
        sign_pdf(queryset, size="a4", public_url=lambda p: f"{BASE}/{p.public_token}")


def test_the_public_url_prefers_the_configured_origin(posts, settings, rf):
    post = posts.post_a1
    settings.ALLOWED_HOSTS = ["intranet.local"]
    request = rf.get("/", HTTP_HOST="intranet.local")
    settings.ZHENXING_PUBLIC_BASE_URL = ""
    assert (
        public_post_url(post, request) == f"http://intranet.local/public/posts/{post.public_token}/"
    )
    settings.ZHENXING_PUBLIC_BASE_URL = BASE
    assert public_post_url(post, request) == f"{BASE}/public/posts/{post.public_token}/"
    assert public_post_url(post) == f"{BASE}/public/posts/{post.public_token}/"


# --- the views -----------------------------------------------------------------------------


def sign_url(post: Post, **params: str) -> str:
    url = reverse("posts:sign", args=[post.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.parametrize("base", ["", BASE])
@pytest.mark.parametrize("size", ["a4", "a5"])
def test_staff_print_a_sign_whose_qr_leads_to_the_public_page(
    world, posts, client_for, settings, base, size
):
    settings.ZHENXING_PUBLIC_BASE_URL = base
    post = posts.post_a1
    response = client_for(world.secretary_a).get(sign_url(post, size=size))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="sign-{post.code}-{size}.pdf"'
    assert page_sizes(response.content) == [PAGE_SIZES[size]]
    origin = base or "http://testserver"
    assert qr_texts(response.content) == [
        origin + reverse("posts_public:post", args=[post.public_token])
    ]


def test_a4_is_the_default_and_other_sizes_are_refused(world, posts, client_for):
    client = client_for(world.admin)
    response = client.get(sign_url(posts.post_a1))
    assert page_sizes(response.content) == [PAGE_SIZES["a4"]]
    response = client.get(sign_url(posts.post_a1, size="a3"))
    assert response.status_code == 400
    assert "A4" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "dept_staff", "nobody"])
def test_a_sign_out_of_scope_is_not_there(world, posts, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(sign_url(posts.post_a1)).status_code == 404


def test_the_outsider_prints_their_own_posts_sign(world, posts, client_for):
    response = client_for(world.outsider).get(sign_url(posts.post_b1))
    assert response.status_code == 200
    assert mask_mobile(MEMBER_B_MOBILE) in flat(text_of(response.content))


def test_signs_need_a_login_and_a_get(world, posts, client, client_for):
    for url in (sign_url(posts.post_a1), reverse("posts:signs")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    client = client_for(world.admin)
    assert client.post(sign_url(posts.post_a1)).status_code == 405
    assert client.post(reverse("posts:signs")).status_code == 405


def test_bulk_signs_cover_the_users_scope_only(world, posts, client_for):
    response = client_for(world.secretary_a).get(reverse("posts:signs"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="signs-a4.pdf"'
    assert page_count(response.content) == 2
    text = flat(text_of(response.content))
    assert flat(posts.post_a1.name) in text and flat(posts.post_a2.name) in text
    assert flat(posts.post_b1.name) not in text

    response = client_for(world.outsider).get(reverse("posts:signs") + "?size=a5")
    assert page_count(response.content) == 1
    assert page_sizes(response.content) == [PAGE_SIZES["a5"]]
    text = flat(text_of(response.content))
    assert flat(posts.post_b1.name) in text and flat(posts.post_a1.name) not in text

    response = client_for(world.admin).get(reverse("posts:signs"))
    assert page_count(response.content) == 3


def test_bulk_signs_follow_the_filters(world, posts, client_for):
    client = client_for(world.admin)
    url = reverse("posts:signs")
    # The post list's own parameters: its "Print signs" link carries them.
    assert page_count(client.get(url + f"?community={world.a.pk}").content) == 2
    assert page_count(client.get(url + f"?community={world.b.pk}").content) == 1
    both = f"?community={world.a.pk}&post_type={posts.river.pk}"
    assert page_count(client.get(url + both).content) == 1
    assert page_count(client.get(url + f"?post_type={posts.sanitation.pk}").content) == 2
    assert page_count(client.get(url + f"?region={world.area_a1.code}").content) == 1
    assert page_count(client.get(url + "?claimed=no").content) == 1
    response = client.get(url + "?q=" + "甲涌")
    assert page_count(response.content) == 1
    assert qr_texts(response.content) == [
        "http://testserver" + reverse("posts_public:post", args=[posts.post_a2.public_token])
    ]
    # The outsider's community filter cannot reach 社区甲: refused, not widened.
    response = client_for(world.outsider).get(url + f"?community={world.a.pk}")
    assert response.status_code == 400


def test_retired_posts_get_no_sign_in_bulk(world, posts, client_for):
    services.post_retire(actor=None, post=posts.post_a2)
    response = client_for(world.secretary_a).get(reverse("posts:signs"))
    assert page_count(response.content) == 1
    assert flat(posts.post_a2.name) not in flat(text_of(response.content))


def test_bulk_refusals(world, posts, client_for, monkeypatch):
    client = client_for(world.admin)
    url = reverse("posts:signs")
    for query, words in [
        ("?community=NOPE", "valid choice"),
        ("?post_type=999999", "valid choice"),
        ("?q=无此岗位", "No active post"),
        ("?size=letter", "A4"),
    ]:
        response = client.get(url + query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, query
        assert words in response.content.decode(), query
    monkeypatch.setattr("zhenxing.posts.views.signs.MAX_SIGNS", 2)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "More than 2 posts" in response.content.decode()
    assert client.get(url + f"?community={world.a.pk}").status_code == 200


@pytest.mark.parametrize("who", ["dept_staff", "nobody"])
def test_bulk_signs_are_not_there_for_who_sees_no_posts(world, posts, client_for, who):
    assert client_for(getattr(world, who)).get(reverse("posts:signs")).status_code == 404


def test_bulk_signs_query_budget(world, posts, client_for, django_assert_max_num_queries):
    client = client_for(world.admin)
    client.get(reverse("posts:signs"))  # warm the session and the user
    with django_assert_max_num_queries(10):
        response = client.get(reverse("posts:signs"))
    assert page_count(response.content) == 3
