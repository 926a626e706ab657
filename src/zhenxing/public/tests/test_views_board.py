"""The board residents see: published cases only, filters, counts, the case page, photos.

Pages are fetched without a login (the public) and, where it could differ,
logged in as the secretary of 社区甲 and the outsider of 社区乙: a login opens
nothing more here.
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image

from zhenxing.cases import services as case_services
from zhenxing.cases.models import PhotoKind
from zhenxing.public.models import Publication
from zhenxing.public.testing import (
    SECRET_MOBILE,
    SECRET_NAME,
    closed_case,
    publish_directly,
    reported_case,
)
from zhenxing.public.views import board as board_views

from .conftest import IN_B1

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def take_down(publication: Publication) -> None:
    """What unpublishing leaves: the row, no longer published (the service is tested elsewhere)."""
    Publication.objects.filter(pk=publication.pk).update(
        is_published=False, unpublished_at=timezone.now()
    )


@pytest.fixture
def spots(world, cats, private_media):
    """A closed case on the board; an open one on it (no after photo); one never published;
    one published and taken down; all in 社区甲."""
    fixed = publish_directly(closed_case(world, cats.garbage), title="路口垃圾已清理")
    open_case = reported_case(world, cats.garbage, lat=23.0051, lng=113.1051)
    fixing = publish_directly(open_case, title="河边垃圾待清理")
    hidden = reported_case(world, cats.garbage, lat=23.0052, lng=113.1052)
    gone = publish_directly(
        reported_case(world, cats.garbage, lat=23.0053, lng=113.1053), title="已撤下的黑点"
    )
    take_down(gone)
    return type("Spots", (), {"fixed": fixed, "fixing": fixing, "hidden": hidden, "gone": gone})


def photo_url(photo, variant="display"):
    return reverse("public:photo", args=[photo.token, variant])


# --- the board ---------------------------------------------------------------------------


def test_the_board_shows_published_cases_only_newest_first(spots, client):
    response = client.get(reverse("public:board"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "路口垃圾已清理" in html and "河边垃圾待清理" in html
    assert "已撤下的黑点" not in html
    assert spots.hidden.number not in html and spots.gone.case.number not in html
    # Newest publication first.
    assert html.index("河边垃圾待清理") < html.index("路口垃圾已清理")
    # Both photos of the closed case side by side; the open one waits for its after photo.
    assert photo_url(spots.fixed.before_photo, "thumb") in html
    assert photo_url(spots.fixed.after_photo, "thumb") in html
    assert photo_url(spots.fixing.before_photo, "thumb") in html
    assert html.count('<div class="zx-pb-nophoto">No after photo yet</div>') == 1
    assert response["Cache-Control"] == "private, no-cache"


def test_the_board_counts_published_fixed_and_open(spots, client):
    response = client.get(reverse("public:board"), **EN)
    assert response.context["counts"] == {"published": 2, "fixed": 1, "fixing": 1}
    html = response.content.decode()
    counts = html[html.index('id="board-counts">') + 18 : html.index('id="board-filters"')]
    assert [re.sub(r"<[^>]+>", " ", part).split() for part in counts.split("</div>")[:3]] == [
        ["2", "Exposed"],
        ["1", "Fixed"],
        ["1", "Not", "yet", "fixed"],
    ]
    # The status filter asks the same question in the same words.
    assert '<option value="open">Not yet fixed</option>' in html
    assert '<option value="fixed">Fixed</option>' in html


def test_the_card_shows_status_place_and_dates(spots, client):
    response = client.get(reverse("public:board"), **EN)
    cards = {c["number"]: c for c in response.context["cards"]}
    fixed = cards[spots.fixed.case.number]
    assert fixed["status"].key == "fixed"
    assert fixed["fixed_at"] == spots.fixed.case.closed_at
    assert cards[spots.fixing.case.number]["fixed_at"] is None
    html = response.content.decode()
    assert "社区甲 甲一片区" in html
    assert 'class="zx-ps zx-ps-fixed" data-status="fixed">Fixed</span>' in html
    assert 'class="zx-ps zx-ps-received" data-status="received">Received</span>' in html
    # "Fixed" on the card is the day the office checked and closed the case.
    closed = date_format(timezone.localtime(spots.fixed.case.closed_at), "DATE_FORMAT")
    assert f"Fixed {closed}" in html


def test_an_empty_board_says_what_to_do(world, client):
    response = client.get(reverse("public:board"), **EN)
    assert response.status_code == 200
    assert "Nothing has been published yet" in response.content.decode()
    assert reverse("public:report") in response.content.decode()


def test_the_filters_offer_only_communities_with_published_cases(world, spots, cats, client):
    # 社区乙 has a case, but not on the board: it is not offered.
    reported_case(world, cats.garbage, lat=IN_B1[0], lng=IN_B1[1])
    response = client.get(reverse("public:board"), **EN)
    choices = dict(response.context["form"].fields["community"].choices)
    assert "GC01" in choices and "GC02" not in choices


def test_filter_by_community_and_status(world, spots, cats, client):
    other = publish_directly(
        reported_case(world, cats.garbage, lat=IN_B1[0], lng=IN_B1[1]), title="乙社区黑点"
    )
    html = client.get(reverse("public:board"), {"community": "GC02"}, **EN).content.decode()
    assert "乙社区黑点" in html and "路口垃圾已清理" not in html
    assert other.case.number in html

    html = client.get(reverse("public:board"), {"status": "fixed"}, **EN).content.decode()
    assert "路口垃圾已清理" in html and "河边垃圾待清理" not in html and "乙社区黑点" not in html

    html = client.get(
        reverse("public:board"), {"community": "GC01", "status": "open"}, **EN
    ).content.decode()
    assert "河边垃圾待清理" in html and "路口垃圾已清理" not in html and "乙社区黑点" not in html


@pytest.mark.parametrize(
    "params", [{"community": "GC99"}, {"status": "closed"}, {"community": "GC01\x00"}]
)
def test_a_bad_filter_is_a_400_in_plain_words(spots, client, params):
    response = client.get(reverse("public:board"), params, **ZH)
    assert response.status_code == 400
    html = response.content.decode()
    assert "选择一个有效的选项" in html
    assert "路口垃圾已清理" not in html
    data = client.get(reverse("public:board_data"), params, **ZH)
    assert data.status_code == 400
    assert "选择一个有效的选项" in data.json()["error"]


def test_the_board_pages_through_the_cases(world, cats, private_media, client, monkeypatch):
    monkeypatch.setattr(board_views, "PAGE_SIZE", 2)
    for i in range(5):
        publish_directly(
            reported_case(world, cats.garbage, lat=23.001 + i / 1000, lng=113.105),
            title=f"黑点{i}",
        )
    first = client.get(reverse("public:board"), **EN)
    assert [c["publication"].title for c in first.context["cards"]] == ["黑点4", "黑点3"]
    third = client.get(reverse("public:board"), {"page": "3"}, **EN)
    assert [c["publication"].title for c in third.context["cards"]] == ["黑点0"]
    # A page past the end shows the last; a word is not an error.
    assert client.get(reverse("public:board"), {"page": "x"}, **EN).status_code == 200


def test_the_board_reads_a_fixed_number_of_queries(
    world, cats, private_media, client, django_assert_max_num_queries
):
    for i in range(8):
        case = closed_case(world, cats.garbage) if i % 2 else reported_case(world, cats.garbage)
        publish_directly(case, title=f"黑点{i}")
    # Session-less and anonymous: the communities, the counts, the page's count and its rows.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("public:board"), **EN)
    assert len(response.context["cards"]) == 8
    with django_assert_max_num_queries(4):
        assert len(client.get(reverse("public:board_data")).json()["cases"]) == 8


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "admin"])
def test_a_login_opens_nothing_more(spots, client_for, who, world):
    html = client_for(getattr(world, who)).get(reverse("public:board"), **EN).content.decode()
    assert "已撤下的黑点" not in html and spots.hidden.number not in html


def test_the_board_refuses_writes(spots, client):
    for name, args in [
        ("public:board", []),
        ("public:board_data", []),
        ("public:case", [spots.fixed.case.number]),
        ("public:photo", [spots.fixed.before_photo.token, "display"]),
    ]:
        assert client.post(reverse(name, args=args)).status_code == 405
    assert client.head(reverse("public:board")).status_code == 200


# --- board.json --------------------------------------------------------------------------


def test_board_data_lists_published_cases_with_their_public_fields(spots, client):
    response = client.get(reverse("public:board_data"), **EN)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    data = response.json()
    assert data["total"] == 2 and data["truncated"] is False
    by_number = {c["number"]: c for c in data["cases"]}
    assert set(by_number) == {spots.fixed.case.number, spots.fixing.case.number}
    fixed = by_number[spots.fixed.case.number]
    assert set(fixed) == {"number", "title", "place", "lat", "lng", "status", "url", "thumb"}
    assert fixed["title"] == "路口垃圾已清理" and fixed["place"] == "社区甲 甲一片区"
    assert fixed["status"] == {"key": "fixed", "label": "Fixed"}
    assert fixed["url"] == reverse("public:case", args=[spots.fixed.case.number])
    # The thumbnail of the result once there is one, else of the problem.
    assert fixed["thumb"] == photo_url(spots.fixed.after_photo, "thumb")
    opened = by_number[spots.fixing.case.number]
    assert opened["thumb"] == photo_url(spots.fixing.before_photo, "thumb")
    # About 10 m: 23.0051 stays, a finer fix would be cut.
    assert (opened["lat"], opened["lng"]) == (23.0051, 113.1051)


def test_board_data_follows_the_filters_and_its_cap(spots, client, monkeypatch):
    data = client.get(reverse("public:board_data"), {"status": "fixed"}).json()
    assert [c["number"] for c in data["cases"]] == [spots.fixed.case.number]
    monkeypatch.setattr(board_views, "MAP_MAX_POINTS", 1)
    data = client.get(reverse("public:board_data")).json()
    assert data["total"] == 2 and data["truncated"] is True and len(data["cases"]) == 1


def test_the_map_reads_the_filtered_data_and_the_tile_setting(spots, client, settings):
    settings.ZHENXING_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    response = client.get(reverse("public:board"), {"status": "open"}, **EN)
    config = response.context["map_config"]
    assert config["dataUrl"] == reverse("public:board_data") + "?status=open"
    assert config["tileUrl"] == "https://tiles.example/{z}/{x}/{y}.png"
    assert 'id="public-map"' in response.content.decode()


# --- a case's page -----------------------------------------------------------------------


def test_the_case_page_shows_the_pair_text_status_and_dates(spots, client):
    number = spots.fixed.case.number
    response = client.get(reverse("public:case", args=[number]), **EN)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    html = response.content.decode()
    assert "路口垃圾已清理" in html and "路口暴露垃圾，已清理。" in html
    assert (
        photo_url(spots.fixed.before_photo) in html and photo_url(spots.fixed.after_photo) in html
    )
    steps = {s.key: s.at for s in response.context["timeline"]}
    case = spots.fixed.case
    assert steps == {
        "received": case.reported_at,
        "assigned": case.dispatched_at,
        "rectified": case.rectified_at,
        "fixed": case.closed_at,
    }
    labels = [str(s.label) for s in response.context["timeline"]]
    assert labels == ["Received", "Assigned", "Reported fixed", "Fixed"]
    assert response.context["status"].key == "fixed"
    # No note of the timeline ("已清理" was the rectifier's note), no one's name.
    assert "sec_a" not in html


def test_the_case_page_carries_open_graph_tags_for_wechat(spots, client):
    number = spots.fixed.case.number
    html = client.get(reverse("public:case", args=[number]), **ZH).content.decode()
    share = "http://testserver" + reverse("public:share_image", args=[number])
    assert f'<meta property="og:image" content="{share}">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="路口垃圾已清理">' in html
    assert 'property="og:description" content="路口暴露垃圾，已清理。"' in html
    assert f'href="{reverse("public:share_image", args=[number])}"' in html
    english = client.get(reverse("public:case", args=[number]), **EN).content.decode()
    assert "Share image" in english


def test_an_open_case_page_waits_for_its_after_photo(spots, client):
    response = client.get(reverse("public:case", args=[spots.fixing.case.number]), **EN)
    html = response.content.decode()
    assert '<div class="zx-pb-nophoto">No after photo yet</div>' in html
    assert "Being fixed" not in html
    steps = {s.key: s.at for s in response.context["timeline"]}
    assert steps["received"] is not None and steps["fixed"] is None
    assert html.count("Not yet") == 3


def test_a_mobile_number_in_the_public_text_is_removed_on_the_page(spots, client):
    Publication.objects.filter(pk=spots.fixed.pk).update(description="联系 139 1234 5678 处理")
    html = client.get(reverse("public:case", args=[spots.fixed.case.number])).content.decode()
    assert "1234 5678" not in html and "5678" not in html and "联系 *** 处理" in html


@pytest.mark.parametrize("which", ["hidden", "gone", "unknown", "nul"])
def test_what_is_not_on_the_board_is_the_same_404(spots, client, which):
    number = {
        "hidden": spots.hidden.number,
        "gone": spots.gone.case.number,
        "unknown": "20990101000001",
        "nul": "2026\x00",
    }[which]
    for name in ("public:case", "public:share_image"):
        response = client.get(reverse(name, args=[number]))
        assert response.status_code == 404


# --- photos ------------------------------------------------------------------------------


def test_a_published_photo_is_served_fresh_and_plain(spots, client):
    for photo in (spots.fixed.before_photo, spots.fixed.after_photo):
        for variant in ("display", "thumb"):
            response = client.get(photo_url(photo, variant))
            assert response.status_code == 200
            assert response["Content-Type"] == "image/jpeg"
            assert response["Cache-Control"] == "no-cache"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Disposition"] == "inline"
            data = b"".join(response.streaming_content)
            assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_a_photo_revalidates_with_its_etag_until_unpublished(spots, client):
    url = photo_url(spots.fixed.before_photo)
    first = client.get(url)
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["Cache-Control"] == "no-cache"
    take_down(spots.fixed)
    # The browser's copy is refused as soon as the case is off the board.
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.get(url).status_code == 404


def test_photos_of_other_things_are_the_same_404(spots, client):
    fixed = spots.fixed
    token = fixed.before_photo.token
    flipped = ("b" if token[0] == "a" else "a") + token[1:]
    case_photo = fixed.case.photos.filter(kind=PhotoKind.BEFORE).first()
    for url in [
        reverse("public:photo", args=[token, "original"]),
        reverse("public:photo", args=[token, "huge"]),
        reverse("public:photo", args=[flipped, "display"]),
        reverse("public:photo", args=[case_photo.token, "display"]),
        reverse("public:photo", args=[case_photo.token, "original"]),
        photo_url(spots.gone.before_photo),
    ]:
        assert client.get(url).status_code == 404, url


def test_a_replaced_copy_is_no_longer_served(spots, client):
    """A copy that is not the publication's current before photo answers 404, row or no row."""
    fixed = spots.fixed
    old = fixed.before_photo
    Publication.objects.filter(pk=fixed.pk).update(before_photo=None)
    assert client.get(photo_url(old)).status_code == 404
    # Still the after photo of its own publication: served.
    assert client.get(photo_url(fixed.after_photo)).status_code == 200


def test_the_board_reads_the_live_status_without_publishing_again(spots, world, client):
    case = spots.fixing.case
    case_services.case_accept(case=case, actor=world.admin)
    response = client.get(reverse("public:case", args=[case.number]), **EN)
    assert response.context["status"].key == "assigned"
    assert client.get(photo_url(spots.fixing.before_photo)).status_code == 200


# --- the share image ---------------------------------------------------------------------


def test_the_share_image_is_a_named_inline_jpeg(spots, client):
    number = spots.fixed.case.number
    response = client.get(reverse("public:share_image", args=[number]), **ZH)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename*=utf-8''")
    assert "%E6%9B%9D%E5%85%89%E5%8F%B0" in disposition  # 曝光台
    assert disposition.endswith(f"-{number}.jpg")
    data = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.width > image.height


def test_the_share_image_follows_the_publication(spots, client, monkeypatch):
    number = spots.fixed.case.number
    url = reverse("public:share_image", args=[number])
    assert client.get(url).status_code == 200
    take_down(spots.fixed)
    assert client.get(url).status_code == 404
    # A publication the imaging module cannot draw (no before photo) is a 404, not a 500.
    monkeypatch.setattr(board_views, "ensure_share_image", lambda publication: None)
    assert (
        client.get(reverse("public:share_image", args=[spots.fixing.case.number])).status_code
        == 404
    )

    def broken(publication):
        raise OSError("disk")

    monkeypatch.setattr(board_views, "ensure_share_image", broken)
    assert (
        client.get(reverse("public:share_image", args=[spots.fixing.case.number])).status_code
        == 404
    )


# --- one public vocabulary ---------------------------------------------------------------


def badge(html: str, where: str) -> tuple[str, str, str]:
    """(class key, data-status, label) of the status badge inside the element `where` opens."""
    part = html[html.index(where) :]
    match = re.search(
        r'<span class="zx-ps (?:zx-ps-lg )?zx-ps-([a-z]+)"[^>]*'
        r'data-status="([a-z]+)">([^<]+)</span>',
        part,
    )
    assert match, where
    return match.group(1), match.group(2), match.group(3)


@pytest.mark.parametrize("step", ["reported", "accepted", "dispatched", "closed"])
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_one_status_word_and_colour_on_card_case_page_and_tracking_page(
    world, cats, private_media, client, step, lang
):
    from zhenxing.public.models import ReportChannel, ResidentReport
    from zhenxing.public.reporting import new_tracking_code

    if step == "closed":
        case = closed_case(world, cats.garbage)
    else:
        case = reported_case(world, cats.garbage)
        if step in ("accepted", "dispatched"):
            case = case_services.case_accept(case=case, actor=world.admin)
        if step == "dispatched":
            case = case_services.case_dispatch(case=case, actor=world.admin, to=world.a)
    publish_directly(case, title="同一个黑点")
    code = ResidentReport.objects.create(
        case=case, tracking_code=new_tracking_code(), channel=ReportChannel.WEB
    ).tracking_code
    headers = {"HTTP_ACCEPT_LANGUAGE": lang}
    board_html = client.get(reverse("public:board"), **headers).content.decode()
    case_html = client.get(reverse("public:case", args=[case.number]), **headers).content.decode()
    track_html = client.get(reverse("public:track_case", args=[code]), **headers).content.decode()
    on_card = badge(board_html, f'data-number="{case.number}"')
    on_page = badge(case_html, 'id="public-case"')
    on_track = badge(track_html, 'class="zx-report-card zx-track"')
    assert on_card == on_page == on_track
    expected = {
        "reported": ("received", "Received", "已收到"),
        "accepted": ("assigned", "Assigned", "已交办"),
        "dispatched": ("assigned", "Assigned", "已交办"),
        "closed": ("fixed", "Fixed", "已整改"),
    }[step]
    assert on_card == (expected[0], expected[0], expected[1 if lang == "en" else 2])
    # The timeline's steps are the same words on the case page and the tracking page.
    case_steps = re.findall(r'data-step="([a-z]+)"', case_html)
    track_steps = re.findall(r'data-step="([a-z]+)"', track_html)
    assert case_steps == track_steps == ["received", "assigned", "rectified", "fixed"]
    for words in (["Put right", "Checked and closed", "Taken up"], ["已办结", "已受理"]):
        for word in words:
            assert word not in case_html and word not in track_html


def test_a_fixed_cards_date_is_the_timelines_fixed_date(spots, client):
    case = spots.fixed.case
    board_html = client.get(reverse("public:board"), **EN).content.decode()
    case_html = client.get(reverse("public:case", args=[case.number]), **EN).content.decode()
    day = date_format(timezone.localtime(case.closed_at), "DATE_FORMAT")
    assert f"Fixed {day}" in board_html
    fixed_step = case_html[case_html.index('data-step="fixed"') :]
    fixed_step = fixed_step[: fixed_step.index("</li>")]
    assert "Fixed" in fixed_step and day in fixed_step


# --- the territory's outlines (areas.json) -------------------------------------------------


def test_areas_json_gives_names_and_outlines_and_may_be_cached(world, client):
    from conftest import square
    from zhenxing.territory.models import Region

    Region.objects.filter(pk=world.a.pk).update(geometry=square(113.10, 23.00, 0.02))
    Region.objects.filter(pk=world.b.pk).update(geometry=square(113.12, 23.00))
    url = reverse("public:area_outlines")
    assert url == "/public/areas.json"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=600"
    assert "Set-Cookie" not in response and not response.cookies
    data = response.json()
    assert set(data) == {"communities", "areas"}
    assert {f["properties"]["name"] for f in data["areas"]["features"]} == {
        "甲一片区",
        "甲二片区",
        "乙一片区",
    }
    assert [f["properties"]["name"] for f in data["communities"]["features"]] == [
        "社区甲",
        "社区乙",
    ]
    for feature in data["areas"]["features"] + data["communities"]["features"]:
        # A name and a shape, nothing else about a region.
        assert set(feature) == {"type", "properties", "geometry"}
        assert set(feature["properties"]) == {"name"}
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")

        def flat(coords):
            if isinstance(coords, (int, float)):
                yield coords
            else:
                for c in coords:
                    yield from flat(c)

        for value in flat(feature["geometry"]["coordinates"]):
            assert round(value, 5) == value
    # Revalidation: the same ETag, answered by a 304 without a body.
    etag = response["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=600"
    assert client.post(url).status_code == 405


def test_areas_json_carries_no_personal_data(world, spots, client):
    body = client.get(reverse("public:area_outlines")).content.decode()
    for secret in (SECRET_MOBILE, SECRET_NAME, world.secretary_a.username, "GC01"):
        assert secret not in body


def test_areas_json_rounds_to_five_decimals_and_skips_shapeless_regions(world, client):
    from zhenxing.territory.models import Region

    Region.objects.filter(pk=world.area_a1.pk).update(
        geometry={
            "type": "Polygon",
            "coordinates": [
                [
                    [113.1000004, 23.0],
                    [113.110006, 23.0],
                    [113.11, 23.0100001],
                    [113.1000004, 23.0],
                ]
            ],
        }
    )
    Region.objects.filter(pk=world.area_a2.pk).update(geometry={"type": "Point"})
    data = client.get(reverse("public:area_outlines")).json()
    areas = {f["properties"]["name"]: f for f in data["areas"]["features"]}
    assert "甲二片区" not in areas
    assert areas["甲一片区"]["geometry"]["coordinates"][0][:3] == [
        [113.1, 23.0],
        [113.11001, 23.0],
        [113.11, 23.01],
    ]


def test_the_board_map_reads_the_outlines_from_areas_json(spots, client):
    config = client.get(reverse("public:board"), **EN).context["map_config"]
    assert config["areasUrl"] == reverse("public:area_outlines")
    assert "colours" not in config  # the points take the badges' colours (public.css)
