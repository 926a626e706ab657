"""The residents' report form and the tracking pages: no login, nothing lost, nothing leaked."""

from __future__ import annotations

import datetime
import json
import re

import pytest
import time_machine
from django.urls import reverse

from zhenxing.cases.models import Case, CasePhoto, Source
from zhenxing.cases.testing import jpeg_bytes, upload
from zhenxing.core.models import AuditEntry
from zhenxing.public import challenge
from zhenxing.public.models import ReportChannel, ResidentReport
from zhenxing.public.reporting import new_tracking_code
from zhenxing.public.testing import (
    SECRET_MOBILE,
    SECRET_NAME,
    closed_case,
    jpeg_with_exif,
    publish_directly,
)

T0 = datetime.datetime(2026, 11, 28, 2, 15, tzinfo=datetime.UTC)  # 10:15 in Guicheng
REPORT = "/public/report/"


@pytest.fixture(autouse=True)
def _easy(settings):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 6


def solution() -> dict[str, str]:
    issued = challenge.issue()
    return {"challenge": issued.token, "counter": challenge.solve(issued.token, issued.bits)}


def form_data(cats, **overrides):
    data = {
        "category": str(cats.garbage.pk),
        "description": "村口垃圾堆了三天",
        "lat": "23.005",
        "lng": "113.105",
        "mobile": SECRET_MOBILE,
        "photos": [upload("spot.jpg", jpeg_with_exif())],
        **solution(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def refusal(response) -> str:
    match = re.search(r'data-refusal="([^"]+)"', response.content.decode())
    return match.group(1) if match else ""


def private_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the form -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "secretary_a", "outsider"])
def test_the_form_is_open_to_everyone(world, cats, client, who):
    if who != "anonymous":
        client.force_login(getattr(world, who))
    response = client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'accept="image/*"' in html and "multiple" in html
    assert 'capture="environment"' not in html  # the gallery too: its photos carry GPS
    # Categories grouped under their main category; main categories are not choices.
    assert '<optgroup label="环境卫生">' in html and "暴露垃圾" in html
    assert f'value="{cats.sanitation.pk}"' not in html
    assert 'name="website"' in html and 'aria-hidden="true"' in html  # the honeypot
    assert reverse("public:challenge") in html
    config = json.loads(re.search(r'id="report-map-config"[^>]*>(.*?)</script>', html).group(1))
    # The outlines are fetched from their own cacheable file, not carried in the page.
    assert config["areasUrl"] == reverse("public:area_outlines")
    assert "areas" not in config
    assert config["tileUrl"] == ""


def test_the_report_page_is_light_and_carries_no_outlines(world, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.get(REPORT, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert len(response.content) < 30_000
    html = response.content.decode()
    assert "coordinates" not in html and "Polygon" not in html and "甲一片区" not in html


def test_the_form_marks_the_photos_required_and_hints_the_mobile(world, client):
    html = client.get(REPORT, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    photos = html[html.index('for="id_photos"') : html.index('id="id_photos"')]
    assert '<span class="text-danger" aria-hidden="true">*</span>' in photos
    assert 'id="photo-previews"' in html
    mobile = re.search(r'<input[^>]*name="mobile"[^>]*>', html).group(0)
    assert 'placeholder="11-digit mobile number"' in mobile
    # A hint, not a number that looks typed in already.
    assert not re.search(r'placeholder="\d+"', mobile)
    zh = client.get(REPORT, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'placeholder="11 位手机号"' in zh or 'placeholder="11-digit mobile number"' in zh
    # The privacy note is in the page's flow, above the sticky button, not inside its bar.
    bar = html[html.index('class="zx-report-submit"') :]
    bar = bar[: bar.index("</form>")]
    assert "never shown in public" not in bar
    assert html.index('id="privacy-note"') < html.index('class="zx-report-submit"')


def test_wrong_methods(world, client):
    assert client.put(REPORT).status_code == 405
    assert client.post(reverse("public:track")).status_code == 405
    assert client.post(reverse("public:track_case", args=["ABCDEFGHJK"])).status_code == 405


def test_a_report_is_filed_and_the_code_shown(world, cats, client, private_media):
    response = client.post(REPORT, form_data(cats))
    assert response.status_code == 200
    case = Case.objects.get()
    report = ResidentReport.objects.get()
    assert report.case == case and report.channel == ReportChannel.WEB
    assert case.source == Source.RESIDENT and case.reporter is None
    assert case.reporter_mobile == SECRET_MOBILE and case.region == world.area_a1
    assert CasePhoto.objects.filter(case=case).count() == 1
    html = response.content.decode()
    assert f'id="tracking-code">{report.tracking_code}<' in html
    assert reverse("public:track_case", args=[report.tracking_code]) in html
    assert SECRET_MOBILE not in html
    assert AuditEntry.objects.filter(
        action="public.resident_report", object_id=str(case.pk)
    ).exists()


def test_without_a_pin_the_photo_gps_gives_the_place(world, cats, client, private_media):
    photo = upload("gps.jpg", jpeg_with_exif(lat=23.005, lng=113.115))  # in 甲二片区
    response = client.post(REPORT, form_data(cats, lat="", lng="", photos=[photo]))
    assert response.status_code == 200
    assert Case.objects.get().region == world.area_a2


def test_no_pin_and_no_gps_is_refused_with_the_form_kept(world, cats, client, private_media):
    photo = upload("plain.jpg", jpeg_bytes())
    response = client.post(REPORT, form_data(cats, lat="", lng="", photos=[photo]))
    assert response.status_code == 400
    assert refusal(response) == "form"
    assert "村口垃圾堆了三天" in response.content.decode()
    assert not Case.objects.exists() and private_files(private_media) == []


@pytest.mark.parametrize(
    ("photos", "field"),
    [
        ([], "photos"),
        ([upload("notes.jpg", b"not an image at all")], "photos"),
        ([upload(f"{i}.jpg", jpeg_bytes()) for i in range(10)], "photos"),
    ],
)
def test_bad_photos_are_refused_and_nothing_stored(
    world, cats, client, private_media, photos, field
):
    response = client.post(REPORT, form_data(cats, photos=photos))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    html = response.content.decode()
    assert "村口垃圾堆了三天" in html and "data-photos-again" in html
    assert not Case.objects.exists() and private_files(private_media) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"description": "   "}, "description"),
        ({"category": "999999"}, "category"),
        ({"lat": "123", "lng": "113.1"}, "lat"),
    ],
)
def test_bad_fields_are_refused(world, cats, client, private_media, overrides, field):
    response = client.post(REPORT, form_data(cats, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Case.objects.exists()


def test_a_main_category_is_not_a_choice(world, cats, client, private_media):
    response = client.post(REPORT, form_data(cats, category=str(cats.sanitation.pk)))
    assert response.status_code == 400 and response.context["form"].errors["category"]


def test_outside_the_territory_is_refused_with_the_form_kept(world, cats, client, private_media):
    response = client.post(REPORT, form_data(cats, lat="30.0", lng="120.0"))
    assert response.status_code == 400
    assert refusal(response) == "form"
    html = response.content.decode()
    assert "村口垃圾堆了三天" in html and SECRET_MOBILE in html  # the resident's own input, kept
    assert f'<option value="{cats.garbage.pk}" selected>' in html
    assert response.context["map_config"]["lat"] == 30.0  # the pin comes back too
    assert not Case.objects.exists() and private_files(private_media) == []


def test_the_honeypot_refuses(world, cats, client, private_media):
    response = client.post(REPORT, form_data(cats, website="http://spam.example"))
    assert response.status_code == 400 and refusal(response) == "honeypot"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"challenge": None, "counter": None}, "missing"),
        ({"counter": "x"}, "unsolved"),
        ({"challenge": "forged:token"}, "invalid"),
    ],
)
def test_a_bad_challenge_is_refused_with_the_form_kept(
    world, cats, client, private_media, overrides, code
):
    response = client.post(REPORT, form_data(cats, **overrides))
    assert response.status_code == 400 and refusal(response) == code
    assert "村口垃圾堆了三天" in response.content.decode()
    assert not Case.objects.exists()


def test_an_expired_challenge_is_refused(world, cats, client, private_media):
    with time_machine.travel(T0, tick=False):
        solved = solution()
    with time_machine.travel(T0 + datetime.timedelta(minutes=11), tick=False):
        response = client.post(REPORT, form_data(cats, **solved))
    assert response.status_code == 400 and refusal(response) == "expired"
    assert not Case.objects.exists()


def test_a_double_submit_files_one_case(world, cats, client, private_media):
    from django.test import Client

    solved = solution()
    first = client.post(REPORT, form_data(cats, **solved))
    # Another browser replaying the same solved challenge: refused, nothing filed.
    replay = Client().post(REPORT, form_data(cats, **solved))
    assert first.status_code == 200
    assert replay.status_code == 400 and refusal(replay) == "reused"
    assert Case.objects.count() == 1 and ResidentReport.objects.count() == 1


def test_a_retry_after_a_lost_answer_shows_the_code_it_earned(world, cats, client, private_media):
    """The answer to a report was lost on a weak signal; the resident sends it again."""
    solved = solution()
    client.post(REPORT, form_data(cats, **solved))
    code = ResidentReport.objects.get().tracking_code
    retry = client.post(REPORT, form_data(cats, **solved), follow=True)
    assert retry.redirect_chain[-1][0] == f"/public/track/{code}/"
    assert code in retry.content.decode()
    assert Case.objects.count() == 1 and ResidentReport.objects.count() == 1


# --- rate limits ----------------------------------------------------------------------------


def test_reports_are_limited_per_client_and_allowed_again_later(
    world, cats, client, private_media, settings
):
    settings.ZHENXING_REPORT_LIMIT_PER_HOUR = 2
    settings.ZHENXING_REPORT_LIMIT_PER_DAY = 3
    with time_machine.travel(T0, tick=False):
        assert [client.post(REPORT, form_data(cats)).status_code for _ in range(2)] == [200, 200]
        # Posts refused before the limit (no solution) do not count against it.
        assert client.post(REPORT, form_data(cats, counter="x")).status_code == 400
        refused = client.post(REPORT, form_data(cats))
        assert refused.status_code == 429 and refusal(refused) == "limited"
        assert int(refused["Retry-After"]) == 45 * 60 + 1
        assert "村口垃圾堆了三天" in refused.content.decode()
        # Another client is not held up.
        assert client.post(REPORT, form_data(cats), REMOTE_ADDR="198.51.100.7").status_code == 200
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        assert client.post(REPORT, form_data(cats)).status_code == 200
        # Three today: the day's limit holds until midnight UTC.
        day = client.post(REPORT, form_data(cats))
        assert day.status_code == 429
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        assert client.post(REPORT, form_data(cats)).status_code == 200
    assert Case.objects.count() == 5


# --- tracking -------------------------------------------------------------------------------


def tracked(world, cats) -> ResidentReport:
    case = closed_case(world, cats.garbage)
    return ResidentReport.objects.create(
        case=case, tracking_code=new_tracking_code(), channel=ReportChannel.WEB
    )


def test_the_track_form_redirects_to_the_code_page(world, client):
    assert client.get(reverse("public:track")).status_code == 200
    response = client.get(reverse("public:track"), {"code": "abcd-efgh jk"})
    assert response.status_code == 302
    assert response["Location"] == reverse("public:track_case", args=["ABCDEFGHJK"])
    assert client.get(reverse("public:track"), {"code": ""}).status_code == 400
    assert client.get(reverse("public:track"), {"code": "ABC"}).status_code == 400


@pytest.mark.parametrize("who", ["anonymous", "secretary_a", "outsider"])
def test_the_track_page_shows_progress_and_nothing_private(world, cats, client, private_media, who):
    report = tracked(world, cats)
    if who != "anonymous":
        client.force_login(getattr(world, who))
    # Typed in small letters: sent to the code's own address.
    lower = client.get(reverse("public:track_case", args=[report.tracking_code.lower()]))
    assert lower.status_code == 302
    response = client.get(lower["Location"])
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="fixed"' in html and "暴露垃圾" in html
    # The place as the board gives it, "<community> <area>"; the date under its own name.
    assert '<dd id="track-place">社区甲 甲一片区</dd>' in html
    assert "<dt>收到日期</dt>" in html or "<dt>Date received</dt>" in html
    steps = re.findall(r'data-step="([a-z_]+)"', html)
    assert steps == ["received", "assigned", "rectified", "fixed"]
    for secret in (SECRET_MOBILE, SECRET_NAME, "路口有垃圾", "已清理", world.secretary_a.username):
        assert secret not in html
    assert 'id="board-link"' not in html  # not on the board


def test_the_track_page_links_to_the_board_while_published(world, cats, client, private_media):
    report = tracked(world, cats)
    publication = publish_directly(report.case, actor=world.admin)
    url = reverse("public:track_case", args=[report.tracking_code])
    html = client.get(url).content.decode()
    assert reverse("public:case", args=[report.case.number]) in html
    publication.is_published = False
    publication.save()
    assert 'id="board-link"' not in client.get(url).content.decode()


def test_an_unknown_code_is_a_404_that_says_so(world, client):
    response = client.get(reverse("public:track_case", args=["ABCDEFGHJK"]))
    assert response.status_code == 404 and refusal(response) == "not-found"
    assert "ABCDEFGHJK" in response.content.decode()


def test_wrong_codes_are_limited_per_client(world, cats, client, private_media, monkeypatch):
    from zhenxing.public import reporting

    monkeypatch.setattr(reporting, "TRACK_MISSES_PER_HOUR", 3)
    report = tracked(world, cats)
    good = reverse("public:track_case", args=[report.tracking_code])
    with time_machine.travel(T0, tick=False):
        codes = [client.get(reverse("public:track_case", args=[f"ABCDEFGH{c}"])) for c in "JK"]
        # A right code does not count against the limit.
        codes += [client.get(good), client.get(good)]
        codes.append(client.get(reverse("public:track_case", args=["ABCDEFGHJM"])))
        assert [r.status_code for r in codes] == [404, 404, 200, 200, 404]
        blocked = client.get(reverse("public:track_case", args=["ABCDEFGHJN"]))
        assert blocked.status_code == 429 and refusal(blocked) == "limited"
        assert int(blocked["Retry-After"]) == 45 * 60 + 1
        # Once spent, even a right code is refused: a hit must look like a miss to a guesser.
        assert client.get(good).status_code == 429
        assert client.get(good, REMOTE_ADDR="198.51.100.7").status_code == 200
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        assert client.get(good).status_code == 200


def test_the_track_page_gives_the_office_contact_only_when_set(
    world, cats, client, private_media, settings
):
    report = tracked(world, cats)
    url = reverse("public:track_case", args=[report.tracking_code])
    settings.ZHENXING_PUBLIC_CONTACT = ""
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Contact the office and give them the tracking code." in html
    assert "Call the office" not in html and "Office contact" not in html
    settings.ZHENXING_PUBLIC_CONTACT = "0757-86230000"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Call the office and give them the tracking code." in html
    assert "Office contact: 0757-86230000" in html


def test_a_declined_report_says_not_taken_up_and_stops(world, cats, client, private_media):
    from zhenxing.cases import services as case_services
    from zhenxing.public.testing import reported_case

    case = case_services.case_reject(
        case=reported_case(world, cats.garbage), actor=world.admin, reason="不属于本辖区"
    )
    report = ResidentReport.objects.create(
        case=case, tracking_code=new_tracking_code(), channel=ReportChannel.WEB
    )
    response = client.get(
        reverse("public:track_case", args=[report.tracking_code]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert 'data-status="declined"' in html and "Not taken up" in html
    assert re.findall(r'data-step="([a-z_]+)"', html) == ["received", "declined"]
    assert "Not yet" not in html and "不属于本辖区" not in html
