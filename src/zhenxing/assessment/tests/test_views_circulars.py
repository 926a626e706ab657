"""The circular pages: list, new draft, the printable page, edit, publish and download.

On top of the ranking scene (week 2026-W47, conftest.py): a black spot in
甲一片区 opened from an inspection, with a before and an after photo, and an
interview recorded for a cadre of 社区甲.
"""

from __future__ import annotations

import datetime
import io
import urllib.parse
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from zhenxing.assessment.models import Circular, CircularStatus, IncentiveRecord
from zhenxing.assessment.tests import test_views_ranking
from zhenxing.assessment.tests.conftest import at
from zhenxing.assessment.tests.test_views_ranking import EN

CADRE_NAME = "钱队长"
REASON = "约谈：整改不力"

# The ranking tests' week 2026-W47 (see test_views_ranking.py).
scene = test_views_ranking.scene


def add_photo(case, kind: str, color: str):
    from zhenxing.cases.models import CasePhoto
    from zhenxing.cases.photos import store_original, validate_photo

    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    photo = validate_photo(SimpleUploadedFile(f"{kind}.jpg", out.getvalue(), "image/jpeg"))
    return CasePhoto.objects.create(
        case=case, kind=kind, **store_original(folder="cases", photo=photo, actor=None)
    )


@pytest.fixture
def circ(scene, make_case, private_media):
    from zhenxing.assessment.circulars import circular_create
    from zhenxing.cases.models import Case, Source

    world = scene.world
    spot = make_case(
        world.area_a1,
        reported=at(17, 9),
        dispatched=at(17, 10),
        deadline=at(19, 18),
        rectified=[at(18, 9)],
        closed=at(18, 15),
        number="20261117000009",
    )
    Case.objects.filter(pk=spot.pk).update(source=Source.INSPECTION)
    before = add_photo(spot, "before", "red")
    after = add_photo(spot, "after", "green")
    world.team_leader_a.display_name = CADRE_NAME
    world.team_leader_a.save()
    IncentiveRecord.objects.create(
        kind="interview",
        period=scene.period,
        community=world.a,
        cadre=world.team_leader_a,
        date=scene.period.start,
        reason=REASON,
        recorded_by=world.admin,
    )
    draft = circular_create(period=scene.period, scope=world.root, actor=world.admin)
    return SimpleNamespace(
        **vars(scene), scene=scene, draft=draft, spot=spot, before=before, after=after
    )


def publish(circ) -> Circular:
    from zhenxing.assessment.circulars import circular_publish

    return circular_publish(circular=circ.draft, actor=circ.world.admin)


def detail(circ) -> str:
    return reverse("circulars:detail", args=[circ.draft.pk])


def photo_url(photo, variant: str = "display") -> str:
    return reverse("cases:photo", args=[photo.token, variant])


def circular_photo_url(circ, photo, variant: str = "display") -> str:
    return reverse("circulars:photo", args=[circ.draft.pk, photo.token, variant])


# --- the list ------------------------------------------------------------------------------


def test_the_office_lists_drafts_and_everyone_published_ones(circ, client_for):
    admin = client_for(circ.world.admin).get(reverse("circulars:list"), **EN)
    assert admin.status_code == 200
    html = admin.content.decode()
    assert circ.draft.number in html and "Draft" in html
    assert reverse("circulars:new") in html

    secretary = client_for(circ.world.secretary_a).get(reverse("circulars:list"), **EN)
    assert secretary.status_code == 200
    html = secretary.content.decode()
    assert circ.draft.number not in html and reverse("circulars:new") not in html
    assert "No circular has been published yet" in html

    publish(circ)
    for who in ("secretary_a", "outsider", "dept_staff"):
        shown = client_for(getattr(circ.world, who)).get(reverse("circulars:list"), **EN)
        assert circ.draft.number in shown.content.decode()
        assert "Published" in shown.content.decode()


def test_the_list_for_strangers_and_wrong_methods(circ, client_for):
    assert client_for(circ.world.nobody).get(reverse("circulars:list")).status_code == 403
    assert client_for(circ.world.admin).post(reverse("circulars:list")).status_code == 405


def test_the_list_reads_a_bounded_number_of_queries(
    circ, client_for, django_assert_max_num_queries
):
    from zhenxing.assessment.circulars import circular_create
    from zhenxing.assessment.services import period_for

    for day in ("2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"):
        period = period_for(kind="week", day=datetime.date.fromisoformat(day))
        circular_create(period=period, scope=circ.world.root, actor=circ.world.admin)
    client = client_for(circ.world.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("circulars:list"))
    assert len(response.context["page"].object_list) == 5


# --- a new draft -----------------------------------------------------------------------------


def test_the_office_drafts_a_circular(scene, client_for, private_media):
    client = client_for(scene.world.admin)
    form = client.get(reverse("circulars:new"), **EN)
    assert form.status_code == 200
    assert form.context["form"]["period"].initial == "2026-11-16"  # last finished week
    response = client.post(
        reverse("circulars:new"), {"period": "2026-11-16", "scope": scene.world.root.pk}
    )
    circular = Circular.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "circulars:detail", args=[circular.pk]
    )
    assert circular.period == scene.period and circular.scope == scene.world.root
    assert circular.status == CircularStatus.DRAFT and circular.narrative


def publish_directly(scene, start: str, scope=None) -> Circular:
    """A published circular for the week starting `start`, as a row (the figures do not matter)."""
    from zhenxing.assessment.services import period_for

    period = period_for(kind="week", day=datetime.date.fromisoformat(start))
    return Circular.objects.create(
        period=period,
        scope=scope or scene.world.root,
        number=f"桂振兴通〔2026〕{start}",
        title=start,
        issuing_body="桂城街道乡村振兴办公室",
        issue_date=period.end,
        status=CircularStatus.PUBLISHED,
    )


def test_new_offers_only_weeks_without_a_published_circular(scene, client_for):
    publish_directly(scene, "2026-11-16")
    publish_directly(scene, "2026-11-02")
    form = client_for(scene.world.admin).get(reverse("circulars:new"), **EN).context["form"]
    offered = [value for value, _label in form.fields["period"].widget.choices]
    assert offered == [
        "2026-11-09",
        "2026-10-26",
        "2026-10-19",
        "2026-10-12",
        "2026-10-05",
        "2026-09-28",
    ]
    assert form["period"].initial == "2026-11-09"  # the most recent open week
    html = form["period"].as_widget()
    assert 'value="2026-11-16"' not in html and 'value="2026-11-09" selected' in html


def test_new_says_when_the_next_circular_can_be_drafted(scene, client_for):
    # The eight finished weeks offered, from 28 September to 16 November.
    for weeks_back in range(8):
        start = datetime.date(2026, 11, 16) - datetime.timedelta(weeks=weeks_back)
        publish_directly(scene, start.isoformat())
    client = client_for(scene.world.admin)
    response = client.get(reverse("circulars:new"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="nothing-to-draft"' in html and "<select" not in html
    assert "can be drafted from 2026-11-30" in html  # the Monday after this week
    refused = client.post(
        reverse("circulars:new"), {"period": "2026-11-16", "scope": scene.world.root.pk}, **EN
    )
    assert refused.status_code == 400 and "already published" in refused.content.decode()
    assert Circular.objects.count() == 8


@pytest.mark.parametrize("period", ["2026-11-23", "2026-13-01", "", "2025-01-06"])
def test_a_draft_needs_a_finished_recent_week(scene, client_for, period):
    client = client_for(scene.world.admin)
    response = client.post(
        reverse("circulars:new"), {"period": period, "scope": scene.world.root.pk}, **EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors["period"]
    assert not Circular.objects.exists()


def test_a_second_circular_for_a_published_week_is_refused(circ, client_for):
    publish(circ)
    response = client_for(circ.world.admin).post(
        reverse("circulars:new"), {"period": "2026-11-16", "scope": circ.world.root.pk}, **EN
    )
    assert response.status_code == 400
    assert "already published" in response.content.decode()
    assert Circular.objects.count() == 1


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "inspector_a", "nobody"])
def test_only_the_office_drafts(scene, client_for, who):
    client = client_for(getattr(scene.world, who))
    # Not a page of theirs: "not there", for a look and for a post alike.
    assert client.get(reverse("circulars:new")).status_code == 404
    response = client.post(
        reverse("circulars:new"), {"period": "2026-11-16", "scope": scene.world.root.pk}
    )
    assert response.status_code == 404
    assert not Circular.objects.exists()


def test_new_refuses_other_methods(scene, client_for):
    assert client_for(scene.world.admin).put(reverse("circulars:new")).status_code == 405


# --- the printable page ---------------------------------------------------------------------


def test_the_office_reads_the_draft_as_the_paper_one(circ, client_for):
    response = client_for(circ.world.admin).get(detail(circ), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "zx-paper-masthead" in html and circ.draft.number in html and circ.draft.title in html
    assert "社区甲" in html and "96.00" in html  # the ranking
    assert reverse("circulars:publish", args=[circ.draft.pk]) in html
    assert reverse("circulars:edit", args=[circ.draft.pk]) in html
    assert "notified" in html and "cannot be changed" in html  # the publish confirmation
    for fmt in ("docx", "xlsx", "pdf"):
        assert reverse("circulars:download", args=[circ.draft.pk, fmt]) in html
    # The black spot, before | after, and the interview with the cadre's name.
    assert circular_photo_url(circ, circ.before) in html
    assert circular_photo_url(circ, circ.after) in html
    assert CADRE_NAME in html and REASON in html


def test_drafts_are_404_for_everyone_but_the_office(circ, client_for):
    for who in ("secretary_a", "outsider", "inspector_a", "dept_staff", "nobody"):
        client = client_for(getattr(circ.world, who))
        assert client.get(detail(circ)).status_code == 404
        assert (
            client.get(reverse("circulars:download", args=[circ.draft.pk, "pdf"])).status_code
            == 404
        )


def test_every_reader_of_a_published_circular_sees_its_photos(circ, client_for):
    publish(circ)
    mine = client_for(circ.world.secretary_a).get(detail(circ), **EN)
    assert mine.status_code == 200
    html = mine.content.decode()
    assert circular_photo_url(circ, circ.before) in html
    assert circular_photo_url(circ, circ.after) in html
    assert reverse("circulars:publish", args=[circ.draft.pk]) not in html
    assert reverse("circulars:edit", args=[circ.draft.pk]) not in html

    # 社区乙's secretary may not open 社区甲's case, but reads the circular with its photos.
    other = client_for(circ.world.outsider)
    html = other.get(detail(circ), **EN).content.decode()
    assert circ.spot.number in html and "Photo not shown" not in html
    assert circular_photo_url(circ, circ.before) in html
    assert photo_url(circ.before) not in html  # not the case's own photo URL
    assert other.get(photo_url(circ.before)).status_code == 404
    for photo in (circ.before, circ.after):
        response = other.get(circular_photo_url(circ, photo))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    # The public version: no cadre named, no reasons.
    assert CADRE_NAME not in html and REASON not in html


def test_a_circular_serves_only_its_own_photos_and_never_the_original(circ, make_case, client_for):
    publish(circ)
    # Another case of 社区甲 with a photo: not in the circular.
    elsewhere = make_case(circ.world.area_a1, reported=at(17, 9), number="20261117000010")
    stranger = add_photo(elsewhere, "before", "blue")
    for who in ("outsider", "secretary_a", "admin"):
        client = client_for(getattr(circ.world, who))
        assert client.get(circular_photo_url(circ, stranger)).status_code == 404
        assert client.get(circular_photo_url(circ, circ.before, "original")).status_code == 404
        assert client.get(circular_photo_url(circ, circ.before, "thumb")).status_code == 200
    # A circular the user may not read, one that does not exist, a junk token: 404.
    assert client_for(circ.world.nobody).get(circular_photo_url(circ, circ.before)).status_code == (
        404
    )
    missing = reverse("circulars:photo", args=[999999, circ.before.token, "display"])
    assert client_for(circ.world.admin).get(missing).status_code == 404
    junk = reverse("circulars:detail", args=[circ.draft.pk]) + "photos/%00/display"
    assert client_for(circ.world.admin).get(junk).status_code == 404


def test_a_drafts_photos_are_the_offices_only(circ, client_for):
    url = circular_photo_url(circ, circ.after)
    for who in ("secretary_a", "outsider", "dept_staff"):
        assert client_for(getattr(circ.world, who)).get(url).status_code == 404
    response = client_for(circ.world.admin).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_a_drafts_photos_follow_its_page_without_recomputing(circ, client_for, monkeypatch):
    from zhenxing.assessment import circulars

    client = client_for(circ.world.admin)
    assert client.get(detail(circ)).status_code == 200

    def no_second_computation(circular):
        raise AssertionError("the draft's figures were computed again for a photo")

    monkeypatch.setattr(circulars, "circular_content", no_second_computation)
    for photo in (circ.before, circ.after):
        assert client.get(circular_photo_url(circ, photo, "thumb")).status_code == 200


def test_circular_photos_need_a_login_and_a_get(circ, client, client_for):
    publish(circ)
    url = circular_photo_url(circ, circ.before)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert client_for(circ.world.outsider).post(url).status_code == 405


def test_the_headings_come_from_the_content_with_a_fallback(circ, client_for):
    publish(circ)
    circ.draft.refresh_from_db()
    titles = ["一、甲", "二、乙", "三、丙", "四、丁", "五、戊", "六、己"]
    keys = ["summary", "ranking", "areas", "lists", "black_spots", "incentives"]
    sections = [list(pair) for pair in zip(keys, titles, strict=True)]
    content = {**circ.draft.content, "sections": sections}
    Circular.objects.filter(pk=circ.draft.pk).update(content=content)
    client = client_for(circ.world.admin)
    html = client.get(detail(circ), **EN).content.decode()
    positions = [html.index(f">{title}</h2>") for title in titles]
    assert positions == sorted(positions)
    assert "1. The period in figures" not in html
    # What the inspection scores of the ranking and of the areas are, as in the documents:
    # frozen with the content when published, in the site's language whoever reads it.
    assert "社区的暗检得分为该社区本期全部暗检的平均分" in html
    assert "片区得分为该片区本期各次暗检的平均分" in html
    # Frozen before the content carried its headings: the page's own.
    del content["sections"]
    Circular.objects.filter(pk=circ.draft.pk).update(content=content)
    html = client.get(detail(circ), **EN).content.decode()
    assert ">1. The period in figures</h2>" in html and ">6. Rewards and criticism</h2>" in html


def test_a_unit_with_too_little_data_says_so_in_the_ranking(circ, client_for):
    publish(circ)
    circ.draft.refresh_from_db()
    content = circ.draft.content
    for row in content["ranking"]:
        if row["unit_key"] == "GC02":
            row.update(rank=None, insufficient=True)
    Circular.objects.filter(pk=circ.draft.pk).update(content=content)
    html = client_for(circ.world.admin).get(detail(circ), **EN).content.decode()
    assert html.count("<td>Too little data</td>") == 1


def test_the_incentive_table_keeps_its_short_columns_on_one_line(circ, client_for):
    from pathlib import Path

    import zhenxing.assessment

    html = client_for(circ.world.admin).get(detail(circ), **EN).content.decode()
    assert '<table class="zx-paper-incentives">' in html and "zx-paper-reason" in html
    static = Path(zhenxing.assessment.__file__).parent / "static/assessment"
    css = (static / "assessment.css").read_text()
    assert ".zx-paper .zx-paper-incentives th, .zx-paper .zx-paper-incentives td " in css
    assert "white-space: nowrap" in css.split(".zx-paper-incentives th", 1)[1].split("}", 1)[0]


def test_an_unknown_circular_is_404(circ, client_for):
    assert (
        client_for(circ.world.admin).get(reverse("circulars:detail", args=[999999])).status_code
        == 404
    )


def test_detail_refuses_other_methods(circ, client_for):
    assert client_for(circ.world.admin).post(detail(circ)).status_code == 405


# --- edit ------------------------------------------------------------------------------------


def edit_data(circ, **extra):
    data = {
        "number": circ.draft.number,
        "title": circ.draft.title,
        "issuing_body": circ.draft.issuing_body,
        "issue_date": "2026-11-25",
        "narrative": "第一段。\n\n第二段。",
        "version": circ.draft.version,
    }
    data.update(extra)
    return data


def test_the_office_edits_a_draft(circ, client_for):
    client = client_for(circ.world.admin)
    response = client.post(reverse("circulars:edit", args=[circ.draft.pk]), edit_data(circ))
    assert response.status_code == 302 and response.url == detail(circ)
    circ.draft.refresh_from_db()
    assert circ.draft.narrative == "第一段。\n\n第二段。" and circ.draft.version == 2
    html = client.get(detail(circ)).content.decode()
    assert "<p>第一段。</p><p>第二段。</p>" in html


def test_a_stale_or_bad_edit_changes_nothing(circ, client_for):
    client = client_for(circ.world.admin)
    edit = reverse("circulars:edit", args=[circ.draft.pk])
    blank = client.post(edit, edit_data(circ, title=""), **EN)
    assert blank.status_code == 400 and "This field is required." in blank.content.decode()
    stale = client.post(edit, edit_data(circ, version=circ.draft.version + 5), **EN)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    no_version = client.post(edit, {k: v for k, v in edit_data(circ).items() if k != "version"})
    assert no_version.status_code == 400
    circ.draft.refresh_from_db()
    assert circ.draft.version == 1 and "第一段" not in circ.draft.narrative


def test_a_published_circular_is_not_edited(circ, client_for):
    publish(circ)
    circ.draft.refresh_from_db()
    client = client_for(circ.world.admin)
    response = client.post(
        reverse("circulars:edit", args=[circ.draft.pk]),
        edit_data(circ, narrative="改写"),
        **EN,
    )
    assert response.status_code == 409
    circ.draft.refresh_from_db()
    assert circ.draft.narrative != "改写"


def test_only_the_office_edits(circ, client_for):
    edit = reverse("circulars:edit", args=[circ.draft.pk])
    assert client_for(circ.world.secretary_a).post(edit, edit_data(circ)).status_code == 404
    publish(circ)
    # Published: the secretary sees it, and may still not change it.
    assert client_for(circ.world.secretary_a).post(edit, edit_data(circ)).status_code == 403
    assert client_for(circ.world.admin).get(edit).status_code == 405


# --- publish -------------------------------------------------------------------------------


def test_publishing_freezes_notifies_and_lifts_the_embargo(circ, client_for):
    from zhenxing.notify.models import Notification

    client = client_for(circ.world.admin)
    response = client.post(
        reverse("circulars:publish", args=[circ.draft.pk]), {"version": circ.draft.version}, **EN
    )
    assert response.status_code == 302 and response.url == detail(circ)
    circ.draft.refresh_from_db()
    assert circ.draft.is_published and circ.draft.content
    circ.period.refresh_from_db()
    assert circ.period.is_closed
    circ.inspection.refresh_from_db()
    assert circ.inspection.released_at is not None
    assert Notification.objects.filter(user=circ.world.secretary_a).exists()
    page = client.get(detail(circ), **EN).content.decode()
    assert "Published" in page and reverse("circulars:publish", args=[circ.draft.pk]) not in page
    # The ranking is now open to the secretary.
    ranking = client_for(circ.world.secretary_a).get(reverse("assessment:ranking"), **EN)
    assert "96.00" in ranking.content.decode()


def test_publishing_a_stale_page_or_twice_is_409(circ, client_for):
    client = client_for(circ.world.admin)
    publish_url = reverse("circulars:publish", args=[circ.draft.pk])
    stale = client.post(publish_url, {"version": circ.draft.version + 1}, **EN)
    assert stale.status_code == 409
    circ.draft.refresh_from_db()
    assert not circ.draft.is_published
    missing = client.post(publish_url, {}, **EN)
    assert missing.status_code == 400
    assert client.post(publish_url, {"version": circ.draft.version}).status_code == 302
    again = client.post(publish_url, {"version": circ.draft.version + 1}, **EN)
    assert again.status_code == 409 and "is published" in again.content.decode()


def test_only_the_office_publishes(circ, client_for):
    publish_url = reverse("circulars:publish", args=[circ.draft.pk])
    for who in ("secretary_a", "outsider", "inspector_a"):
        response = client_for(getattr(circ.world, who)).post(publish_url, {"version": 1})
        assert response.status_code == 404
    assert client_for(circ.world.admin).get(publish_url).status_code == 405
    circ.draft.refresh_from_db()
    assert not circ.draft.is_published


# --- download ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("pdf", "application/pdf", b"%PDF"),
    ],
)
def test_downloads_are_named_by_number_and_title(circ, client_for, fmt, content_type, magic):
    response = client_for(circ.world.admin).get(
        reverse("circulars:download", args=[circ.draft.pk, fmt])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)
    disposition = urllib.parse.unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment")
    assert f"{circ.draft.number} {circ.draft.title}.{fmt}" in disposition


def test_an_unknown_format_is_404(circ, client_for):
    client = client_for(circ.world.admin)
    assert client.get(reverse("circulars:download", args=[circ.draft.pk, "odt"])).status_code == 404


def test_a_published_circular_downloads_for_a_secretary(circ, client_for):
    publish(circ)
    response = client_for(circ.world.secretary_a).get(
        reverse("circulars:download", args=[circ.draft.pk, "xlsx"])
    )
    assert response.status_code == 200
    assert (
        client_for(circ.world.secretary_a)
        .post(reverse("circulars:download", args=[circ.draft.pk, "xlsx"]))
        .status_code
        == 405
    )
