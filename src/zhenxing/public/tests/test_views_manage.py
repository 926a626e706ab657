"""The publishing desk's pages: who may open them, what they write, and what they refuse."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from zhenxing.cases.models import PhotoKind
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.public import services
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.public.testing import (
    SECRET_MOBILE,
    SECRET_NAME,
    closed_case,
    publish_directly,
    rectified_case,
    reported_case,
)

pytestmark = pytest.mark.django_db

OUTSIDERS = ["secretary_a", "outsider", "dept_staff", "nobody"]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name, *args):
    return reverse(f"public:{name}", args=args)


def jpeg_of(response) -> Image.Image:
    data = b"".join(response.streaming_content)
    assert b"Exif" not in data
    return Image.open(io.BytesIO(data))


def make_copy(world, case, kind=PhotoKind.BEFORE, redactions=()):
    publication = services.publication_draft(case=case, actor=world.admin)
    return services.public_photo_set(
        publication=publication,
        actor=world.admin,
        kind=kind,
        source=case.photos.filter(kind=kind).first(),
        crop=None,
        redactions=list(redactions),
    )


# --- the list -------------------------------------------------------------------------


def test_office_admin_sees_both_lists(world, cats, private_media, client_for):
    on_board = closed_case(world, cats.garbage)
    publish_directly(on_board, actor=world.admin)
    waiting = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    client = client_for(world.admin)
    page = client.get(url("manage"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="published-{on_board.number}"' in html
    assert f'id="candidate-{waiting.number}"' not in html  # the other tab
    page = client.get(url("manage"), {"tab": "candidates"})
    html = page.content.decode()
    assert f'id="candidate-{waiting.number}"' in html
    assert f'id="candidate-{on_board.number}"' not in html


def test_list_flags_an_after_photo_not_yet_on_the_board(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    publication = publish_directly(case, actor=world.admin)
    client = client_for(world.admin)
    assert "data-after-waiting" not in client.get(url("manage")).content.decode()
    publication.after_photo = None
    publication.save()
    html = client.get(url("manage")).content.decode()
    assert "data-after-waiting" in html
    assert "data-after-waiting" in client.get(url("manage_case", case.number)).content.decode()


def test_list_filters_and_rejects_a_foreign_community(world, cats, private_media, client_for):
    case = reported_case(world, cats.garbage)
    client = client_for(world.admin)
    page = client.get(url("manage"), {"tab": "candidates", "community": "GC02"})
    assert page.status_code == 200
    assert f'id="candidate-{case.number}"' not in page.content.decode()
    page = client.get(url("manage"), {"tab": "candidates", "community": "GC01"})
    assert f'id="candidate-{case.number}"' in page.content.decode()
    # A community-level admin cannot name another community.
    admin_a = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=admin_a, role=Role.OFFICE_ADMIN, region=world.a)
    page = client_for(admin_a).get(url("manage"), {"tab": "candidates", "community": "GC02"})
    assert page.status_code == 400


def test_list_reads_a_fixed_number_of_queries(
    world, cats, private_media, client_for, django_assert_max_num_queries
):
    for i in range(6):
        publish_directly(reported_case(world, cats.garbage, lat=23.001 + i / 1000), actor=None)
    client = client_for(world.admin)
    client.get(url("manage"))  # warm the session and the menu's caches
    with django_assert_max_num_queries(20):
        assert client.get(url("manage")).status_code == 200


def test_export_of_the_published_list(world, cats, private_media, client_for):
    publish_directly(closed_case(world, cats.garbage), actor=world.admin)
    response = client_for(world.admin).get(url("manage"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "路口暴露垃圾"


def test_published_list_shows_the_boards_words_beside_the_office_status(
    world, cats, private_media, client_for
):
    fixed = closed_case(world, cats.garbage)
    publish_directly(fixed, actor=world.admin)
    received = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    publish_directly(received, actor=world.admin)
    html = client_for(world.admin).get(url("manage")).content.decode()
    en = client_for(world.admin).get(url("manage"), **EN).content.decode()
    assert "Shown on the board as" in en and 'data-board-status="fixed">Fixed<' in en
    row = html.split(f'id="published-{fixed.number}"')[1].split("</tr>")[0]
    assert 'data-board-status="fixed"' in row and "已整改" in row
    assert "已结案" in row  # the office's own status stays beside it
    row = html.split(f'id="published-{received.number}"')[1].split("</tr>")[0]
    assert 'data-board-status="received"' in row and "已收到" in row


def _candidate_order(html):
    return re.findall(r'id="candidate-(\d+)"', html)


def test_candidates_with_both_photos_come_first_closed_ones_first(
    world, cats, private_media, client_for
):
    closed = closed_case(world, cats.garbage)
    rectified = rectified_case(world, cats.garbage, lat=23.004)
    newest_before_only = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    client = client_for(world.admin)
    html = client.get(url("manage"), {"tab": "candidates"}).content.decode()
    assert _candidate_order(html) == [closed.number, rectified.number, newest_before_only.number]
    assert 'id="candidates-order"' in html  # the page says why they come in this order


def test_candidates_photos_filter(world, cats, private_media, client_for):
    closed = closed_case(world, cats.garbage)
    before_only = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    client = client_for(world.admin)
    page = client.get(url("manage"), {"tab": "candidates", "photos": "both"})
    assert page.status_code == 200
    html = page.content.decode()
    assert _candidate_order(html) == [closed.number]
    assert 'name="photos"' in html
    # The tab's count follows the filter too.
    assert re.search(r"可发布 <span[^>]*>1</span>", html)
    page = client.get(url("manage"), {"tab": "candidates", "photos": ""})
    assert set(_candidate_order(page.content.decode())) == {closed.number, before_only.number}
    # A value that is no choice is a 400 with the form shown again, nothing listed by it.
    assert client.get(url("manage"), {"tab": "candidates", "photos": "x"}).status_code == 400


def test_published_tab_has_no_photos_filter(world, cats, private_media, client_for):
    case = reported_case(world, cats.garbage)
    publish_directly(case, actor=world.admin)
    client = client_for(world.admin)
    page = client.get(url("manage"), {"photos": "both"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="photos"' not in html
    # The before-only case stays listed: the candidates' filter does not narrow the board.
    assert f'id="published-{case.number}"' in html


def test_desk_dates_are_iso_in_english(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    publish_directly(case, actor=world.admin)
    waiting = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    client = client_for(world.admin)
    us_date = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
    today = timezone.localdate().isoformat()
    for page in (
        client.get(url("manage"), **EN),
        client.get(url("manage"), {"tab": "candidates"}, **EN),
        client.get(url("manage_case", case.number), **EN),
        client.get(url("manage_case", waiting.number), **EN),
    ):
        html = page.content.decode()
        assert page.status_code == 200
        assert not us_date.search(html), us_date.search(html)
        assert today in html
    # The photo picker under each photo, in particular.
    html = client.get(url("manage_case", case.number), **EN).content.decode()
    picker = html.split('class="zx-pick"')[1].split("</fieldset>")[0]
    assert f"Before · {today}" in picker and f"After · {today}" in picker


@pytest.mark.parametrize("who", OUTSIDERS)
def test_list_is_not_there_for_others(world, client_for, who):
    assert client_for(getattr(world, who)).get(url("manage")).status_code == 404


def test_list_asks_anonymous_to_log_in(world, client):
    response = client.get(url("manage"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- one case -------------------------------------------------------------------------


def test_case_page_offers_defaults_and_shows_no_personal_data(
    world, cats, private_media, client_for
):
    case = closed_case(world, cats.garbage)
    page = client_for(world.admin).get(url("manage_case", case.number))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="暴露垃圾"' in html and 'value="社区甲 甲一片区"' in html
    assert SECRET_MOBILE not in html and SECRET_NAME not in html
    assert url("source_photo", case.photos.first().token) in html
    assert 'data-state="none"' in html
    assert "publish-button" not in html  # no before photo chosen yet


@pytest.mark.parametrize("who", OUTSIDERS)
def test_case_pages_are_not_there_for_others(world, cats, private_media, client_for, who):
    case = closed_case(world, cats.garbage)
    copy = make_copy(world, case)
    client = client_for(getattr(world, who))
    assert client.get(url("manage_case", case.number)).status_code == 404
    for name in ("manage_case", "publish", "unpublish", "photo_edit"):
        response = client.post(
            url(name, case.number),
            {"title": "x", "place": "y", "kind": "before", "source": copy.source.token},
        )
        assert response.status_code == 404, name
    assert client.get(url("source_photo", copy.source.token)).status_code == 404
    assert client.get(url("preview", copy.token, "display")).status_code == 404
    publication = Publication.objects.get()
    assert not publication.is_published and publication.title == "暴露垃圾"
    assert PublicPhoto.objects.count() == 1
    assert not AuditEntry.objects.filter(action="public.publish").exists()


def test_case_out_of_a_community_admins_territory_is_not_there(
    world, cats, private_media, client_for
):
    in_b = reported_case(world, cats.garbage, lat=23.005, lng=113.125)
    admin_a = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=admin_a, role=Role.OFFICE_ADMIN, region=world.a)
    client = client_for(admin_a)
    assert client.get(url("manage_case", in_b.number)).status_code == 404
    token = in_b.photos.get().token
    response = client.post(url("photo_edit", in_b.number), {"kind": "before", "source": token})
    assert response.status_code == 404
    assert client.post(url("publish", in_b.number)).status_code == 404
    assert not Publication.objects.exists()


def test_anonymous_is_sent_to_log_in_and_nothing_is_written(world, cats, private_media, client):
    case = closed_case(world, cats.garbage)
    for name in ("manage_case", "publish", "photo_edit"):
        response = client.post(url(name, case.number), {"title": "x", "place": "y"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Publication.objects.exists()


def test_wrong_methods(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    client = client_for(world.admin)
    assert client.put(url("manage_case", case.number)).status_code == 405
    assert client.get(url("publish", case.number)).status_code == 405
    assert client.get(url("unpublish", case.number)).status_code == 405
    assert client.get(url("photo_edit", case.number)).status_code == 405
    assert client.post(url("manage")).status_code == 405


def test_save_text(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    client = client_for(world.admin)
    response = client.post(
        url("manage_case", case.number),
        {"title": "路口垃圾", "place": "社区甲", "description": f"电话 {SECRET_MOBILE}"},
    )
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert publication.title == "路口垃圾" and SECRET_MOBILE not in publication.description
    response = client.post(url("manage_case", case.number), {"title": "", "place": "社区甲"})
    assert response.status_code == 400
    assert Publication.objects.get().title == "路口垃圾"


def test_photo_edit_with_boxes(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    source = case.photos.filter(kind=PhotoKind.BEFORE).get()
    client = client_for(world.admin)
    response = client.post(
        url("photo_edit", case.number),
        {
            "kind": "before",
            "source": source.token,
            "crop": json.dumps({"x": 0, "y": 0, "w": 0.5, "h": 0.5}),
            "redactions": json.dumps([{"x": 0, "y": 0, "w": 1, "h": 0.5}]),
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#copies")
    photo = PublicPhoto.objects.get()
    assert (photo.width, photo.height) == (48, 36)
    assert photo.redactions == [{"x": 0, "y": 0, "w": 1, "h": 0.5}]
    preview = client.get(url("preview", photo.token, "display"))
    assert preview.status_code == 200 and preview["Content-Type"] == "image/jpeg"
    image = jpeg_of(preview).convert("RGB")
    assert image.size == (48, 36)
    assert max(image.getpixel((24, 6))) < 24
    assert image.getpixel((24, 30))[0] > 180


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "before", "source": "nosuchtoken"},
        {"kind": "sideways", "source": None},
        {"kind": "before", "source": None, "crop": "{not json"},
        {"kind": "before", "source": None, "redactions": json.dumps([{"x": 2}])},
        {"kind": "before", "source": None, "redactions": "[" + "1," * 5000 + "1]"},
        {"kind": "before"},
    ],
)
def test_photo_edit_refuses_bad_input(world, cats, private_media, client_for, data):
    case = closed_case(world, cats.garbage)
    source = case.photos.filter(kind=PhotoKind.BEFORE).get()
    data = {k: (source.token if k == "source" and v is None else v) for k, v in data.items()}
    response = client_for(world.admin).post(url("photo_edit", case.number), data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not PublicPhoto.objects.exists()


def test_photo_edit_service_error_is_a_400(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    after = case.photos.filter(kind=PhotoKind.AFTER).get()
    response = client_for(world.admin).post(
        url("photo_edit", case.number), {"kind": "before", "source": after.token}
    )
    assert response.status_code == 400
    assert 'id="publish-error"' in response.content.decode()
    assert not PublicPhoto.objects.exists()


def test_publish_and_unpublish_through_the_page(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    client = client_for(world.admin)
    response = client.post(url("publish", case.number))
    assert response.status_code == 400  # no before photo yet
    assert 'id="publish-error"' in response.content.decode()
    make_copy(world, case)
    assert client.post(url("publish", case.number)).status_code == 302
    publication = Publication.objects.get()
    assert publication.is_published and publication.published_by == world.admin
    html = client.get(url("manage_case", case.number)).content.decode()
    assert 'data-state="published"' in html and url("case", case.number) in html
    assert client.post(url("publish", case.number)).status_code == 400  # already on it
    response = client.post(url("unpublish", case.number), {"reason": "重复", "next": "list"})
    assert response.status_code == 302 and response["Location"] == url("manage")
    publication.refresh_from_db()
    assert not publication.is_published
    assert AuditEntry.objects.filter(action="public.unpublish").get().changes["reason"] == "重复"
    assert client.post(url("unpublish", case.number)).status_code == 400


def test_source_photo_serves_the_display_without_exif(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    source = case.photos.filter(kind=PhotoKind.BEFORE).get()
    response = client_for(world.admin).get(url("source_photo", source.token))
    assert response.status_code == 200
    image = jpeg_of(response)
    assert dict(image.getexif()) == {} and "comment" not in image.info


def test_preview_variants(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    before = make_copy(world, case)
    after = make_copy(world, case, PhotoKind.AFTER)
    client = client_for(world.admin)
    assert jpeg_of(client.get(url("preview", before.token, "thumb"))).size == (96, 72)
    share = client.get(url("preview", before.token, "share"))
    assert share.status_code == 200 and jpeg_of(share).size == (1200, 800)
    # The share image hangs on the before photo only; unknown variants name nothing.
    assert client.get(url("preview", after.token, "share")).status_code == 404
    assert client.get(url("preview", before.token, "original")).status_code == 404
    assert client.get(url("preview", "nosuchtoken", "display")).status_code == 404


def test_case_detail_links_to_publishing_for_the_office_only(
    world, cats, private_media, client_for
):
    case = closed_case(world, cats.garbage)
    link = url("manage_case", case.number)
    detail = reverse("cases:detail", args=[case.number])
    assert link in client_for(world.admin).get(detail).content.decode()
    page = client_for(world.secretary_a).get(detail)
    assert page.status_code == 200 and link not in page.content.decode()


def _publishing_button(html):
    return html.split('id="case-publishing"')[1].split("</a>")[0]


def test_case_detail_says_whether_the_case_is_on_the_board(world, cats, private_media, client_for):
    case = closed_case(world, cats.garbage)
    detail = reverse("cases:detail", args=[case.number])
    client = client_for(world.admin)
    button = _publishing_button(client.get(detail).content.decode())
    assert 'data-on-board="0"' in button and "未上曝光台" in button
    publication = publish_directly(case, actor=world.admin)
    button = _publishing_button(client.get(detail).content.decode())
    assert 'data-on-board="1"' in button and "已上曝光台" in button
    assert url("manage_case", case.number) in button
    # Taken off: it says so at once.
    services.publication_unpublish(publication=publication, actor=world.admin)
    button = _publishing_button(client.get(detail, **EN).content.decode())
    assert 'data-on-board="0"' in button and "Not on the board" in button
    # The secretary sees the case but neither the button nor whether it is on the board.
    html = client_for(world.secretary_a).get(detail).content.decode()
    assert 'id="case-publishing"' not in html and "data-on-board" not in html
