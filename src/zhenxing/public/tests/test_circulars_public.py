"""Circulars on the public board: published ones only, their public version only.

The scene: a black spot found by an inspector in 社区甲 last week (closed, with a
before and an after photo), an interview recorded for a named cadre, and the
week's circular drafted and published by the office through the assessment's
own services.
"""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from zhenxing.assessment.circulars import circular_create, circular_publish
from zhenxing.assessment.models import Circular, CircularStatus, IncentiveRecord, PeriodKind
from zhenxing.assessment.services import period_for
from zhenxing.cases.models import Case, PhotoKind, Source
from zhenxing.cases.photos import private_storage
from zhenxing.public.models import Publication
from zhenxing.public.testing import closed_case, publish_directly

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CADRE_NAME = "钱队长"
REASON = "约谈：整改不力"


@pytest.fixture
def circ(world, cats, private_media):
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    spot = closed_case(world, cats.garbage)
    moment = timezone.make_aware(datetime.datetime.combine(last_week, datetime.time(10)))
    Case.objects.filter(pk=spot.pk).update(source=Source.INSPECTION, reported_at=moment)
    period = period_for(kind=PeriodKind.WEEK, day=last_week)
    world.team_leader_a.display_name = CADRE_NAME
    world.team_leader_a.save()
    IncentiveRecord.objects.create(
        kind="interview",
        period=period,
        community=world.a,
        cadre=world.team_leader_a,
        date=period.start,
        reason=REASON,
        recorded_by=world.admin,
    )
    draft = circular_create(period=period, scope=world.root, actor=world.admin)
    return SimpleNamespace(
        world=world,
        spot=spot,
        period=period,
        draft=draft,
        before=spot.photos.get(kind=PhotoKind.BEFORE),
        after=spot.photos.get(kind=PhotoKind.AFTER),
    )


def publish(circ) -> Circular:
    return circular_publish(circular=circ.draft, actor=circ.world.admin)


def photo_url(circ, photo, variant="display"):
    return reverse("public:circular_photo", args=[circ.draft.pk, photo.token, variant])


def test_drafts_are_nowhere_on_the_board(circ, client):
    listing = client.get(reverse("public:circulars"), **EN)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert circ.draft.number not in html and circ.draft.title not in html
    assert "No circular has been published yet" in html
    assert client.get(reverse("public:circular", args=[circ.draft.pk])).status_code == 404
    assert client.get(photo_url(circ, circ.before)).status_code == 404


def test_published_circulars_are_listed_with_number_title_period_and_date(circ, client):
    circular = publish(circ)
    response = client.get(reverse("public:circulars"), **EN)
    html = response.content.decode()
    assert circular.number in html and circular.title in html
    assert circ.period.label in html
    assert reverse("public:circular", args=[circular.pk]) in html
    assert response["Cache-Control"] == "private, no-cache"


def test_the_public_page_renders_the_public_version_only(circ, client):
    circular = publish(circ)
    response = client.get(reverse("public:circular", args=[circular.pk]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert circular.title in html and circular.number in html
    assert circ.spot.number in html or "暴露垃圾" in html
    # The public version keeps the interview's community, drops whom and why.
    assert "社区甲" in html
    assert CADRE_NAME not in html and REASON not in html
    # Nothing of `content` beyond the public version: its cadre is there, not here.
    assert any(r.get("cadre") == CADRE_NAME for r in circular.content["incentives"])


def test_the_page_never_reads_content(circ, client):
    circular = publish(circ)
    Circular.objects.filter(pk=circular.pk).update(
        content={**circular.content, "circular": {"title": "内部版本", "narrative": "内部"}}
    )
    html = client.get(reverse("public:circular", args=[circular.pk])).content.decode()
    assert "内部版本" not in html


def test_a_spot_not_on_the_board_shows_no_photo_in_the_circular(circ, client):
    circular = publish(circ)
    html = client.get(reverse("public:circular", args=[circular.pk]), **EN).content.decode()
    for photo in (circ.before, circ.after):
        assert photo_url(circ, photo, "thumb") not in html
        for variant in ("display", "thumb"):
            assert client.get(photo_url(circ, photo, variant)).status_code == 404


def test_a_spot_on_the_board_shows_the_boards_redacted_copies(circ, client):
    circular = publish(circ)
    publication = publish_directly(circ.spot, actor=circ.world.admin)
    html = client.get(reverse("public:circular", args=[circular.pk]), **EN).content.decode()
    for photo, copy in (
        (circ.before, publication.before_photo),
        (circ.after, publication.after_photo),
    ):
        assert photo_url(circ, photo, "thumb") in html
        for variant, key in (("display", copy.image), ("thumb", copy.thumbnail)):
            response = client.get(photo_url(circ, photo, variant))
            assert response.status_code == 200
            assert response["Cache-Control"] == "no-cache"
            assert response["X-Content-Type-Options"] == "nosniff"
            data = b"".join(response.streaming_content)
            # The office's public copy, not the case's own photo.
            with private_storage.open(key, "rb") as handle:
                assert data == handle.read()
            assert Image.open(io.BytesIO(data)).format == "JPEG"
            assert b"Exif" not in data
    # Taken off the board: gone from the circular at once.
    Publication.objects.filter(pk=publication.pk).update(is_published=False)
    assert client.get(photo_url(circ, circ.before)).status_code == 404


def test_a_circular_serves_only_the_photos_its_public_version_shows(circ, world, cats, client):
    circular = publish(circ)
    publish_directly(circ.spot, actor=world.admin)
    other = closed_case(world, cats.garbage).photos.get(kind=PhotoKind.BEFORE)
    token = circ.before.token
    flipped = ("b" if token[0] == "a" else "a") + token[1:]
    for url in [
        photo_url(circ, other),
        reverse("public:circular_photo", args=[circular.pk, flipped, "display"]),
        reverse("public:circular_photo", args=[circular.pk, token, "original"]),
        reverse("public:circular_photo", args=[circular.pk + 1000, token, "display"]),
        # The case's own photo is not a board photo either.
        reverse("public:photo", args=[token, "display"]),
    ]:
        assert client.get(url).status_code == 404, url
    # A token only `content` names is not shown publicly.
    spots = circular.public_content["black_spots"]
    Circular.objects.filter(pk=circular.pk).update(
        public_content={**circular.public_content, "black_spots": [{**spots[0], "before": None}]}
    )
    assert client.get(photo_url(circ, circ.before)).status_code == 404
    assert client.get(photo_url(circ, circ.after)).status_code == 200


def test_a_spot_also_on_the_board_links_to_its_page(circ, client):
    circular = publish(circ)
    case_url = reverse("public:case", args=[circ.spot.number])
    assert (
        case_url not in client.get(reverse("public:circular", args=[circular.pk])).content.decode()
    )
    publish_directly(circ.spot)
    assert case_url in client.get(reverse("public:circular", args=[circular.pk])).content.decode()


def test_unknown_circulars_and_writes(circ, client):
    circular = publish(circ)
    assert client.get(reverse("public:circular", args=[circular.pk + 1000])).status_code == 404
    assert client.get("/public/circulars/99999999999999999999/").status_code == 404
    assert client.post(reverse("public:circular", args=[circular.pk])).status_code == 405
    assert client.post(reverse("public:circulars")).status_code == 405
    assert circular.status == CircularStatus.PUBLISHED


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "dept_staff", "nobody"])
def test_a_login_changes_nothing(circ, client_for, who):
    client = client_for(getattr(circ.world, who))
    assert client.get(reverse("public:circular", args=[circ.draft.pk])).status_code == 404
    circular = publish(circ)
    html = client.get(reverse("public:circular", args=[circular.pk])).content.decode()
    assert CADRE_NAME not in html and REASON not in html


def spot_card(html: str, number: str) -> str:
    part = html[html.index(f'data-number="{number}"') :]
    return part[: part.index("</div>\n    </div>")]


def test_a_spot_shows_its_live_public_status_not_the_frozen_one(circ, world, client):
    circular = publish(circ)
    frozen = circular.public_content["black_spots"][0]
    assert frozen["number"] == circ.spot.number and frozen["status"] == "closed"
    url = reverse("public:circular", args=[circular.pk])
    card = spot_card(client.get(url, **EN).content.decode(), circ.spot.number)
    assert 'class="zx-ps zx-ps-fixed" data-status="fixed">Fixed</span>' in card
    # The circular froze "closed"; the case was opened again since (written directly: the
    # services have no reopening). The page shows where it stands now, the board's words.
    Case.objects.filter(pk=circ.spot.pk).update(status="rework")
    card = spot_card(client.get(url, **EN).content.decode(), circ.spot.number)
    assert 'class="zx-ps zx-ps-fixing" data-status="fixing">Being fixed</span>' in card
    assert frozen["status_label"] not in card
    assert "No after photo yet" in card  # still open: its after photo is to come
    zh = spot_card(
        client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode(), circ.spot.number
    )
    assert ">整改中</span>" in zh


def test_a_spot_whose_case_is_gone_shows_no_badge(circ, client):
    circular = publish(circ)
    spots = circular.public_content["black_spots"]
    Circular.objects.filter(pk=circular.pk).update(
        public_content={
            **circular.public_content,
            "black_spots": [{**spots[0], "number": "20990101000001"}],
        }
    )
    html = client.get(reverse("public:circular", args=[circular.pk]), **EN).content.decode()
    card = spot_card(html, "20990101000001")
    assert "zx-ps" not in card and "zx-pb-badge" not in card


def test_the_live_statuses_take_one_query(circ, django_assert_num_queries):
    from zhenxing.public.selectors import live_statuses

    with django_assert_num_queries(1):
        found = live_statuses([circ.spot.number, "20990101000001", None, ""])
    assert {n: s.key for n, s in found.items()} == {circ.spot.number: "fixed"}


def test_a_spot_on_the_board_has_a_visible_link_to_it(circ, client):
    circular = publish(circ)
    publish_directly(circ.spot)
    html = client.get(reverse("public:circular", args=[circular.pk]), **EN).content.decode()
    card = spot_card(html, circ.spot.number)
    case_url = reverse("public:case", args=[circ.spot.number])
    assert f'<a href="{case_url}">See it on the exposure board ›</a>' in card
