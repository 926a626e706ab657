"""The public page of a charter version: who reads it, and residents' comments."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from zhenxing.charters import services
from zhenxing.charters.models import Article, CharterComment, CharterVersion, VersionStatus
from zhenxing.charters.testing import ensure_topics
from zhenxing.charters.views import public

TODAY = datetime.date(2026, 11, 28)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, tzinfo=datetime.UTC), tick=False):
        yield


def _status(version: CharterVersion, status: str, **fields) -> CharterVersion:
    CharterVersion.objects.filter(pk=version.pk).update(status=status, **fields)
    version.refresh_from_db()
    return version


def _url(version: CharterVersion) -> str:
    return reverse("charters_public:version", args=[version.public_token])


@pytest.fixture
def open_version(charters):
    return _status(charters.version_a, VersionStatus.CONSULTATION, consultation_ends_on=TODAY)


def test_a_version_out_for_comment_is_read_without_login(open_version, client):
    services.comment_add(
        version=open_version,
        text="别人的意见。",
        author_name="陈大文",
        author_mobile="13912345678",
        source="public",
    )
    response = client.get(_url(open_version))
    assert response.status_code == 200
    page = response.content.decode()
    assert "社区甲村规民约" in page and "门前三包，不占道堆放杂物。" in page
    assert 'name="text"' in page and 'name="website"' in page
    # No one else's comment, name or number.
    assert "别人的意见" not in page and "陈大文" not in page and "5678" not in page
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("status", ["drafting", "not_adopted"])
def test_drafts_and_rejected_versions_are_not_there(charters, client, status):
    version = _status(charters.version_a, status)
    assert client.get(_url(version)).status_code == 404


@pytest.mark.parametrize("status", ["voting", "adopted", "filed"])
def test_decided_versions_are_readable_without_a_form(charters, client, status):
    version = _status(charters.version_a, status, adopted_on=TODAY)
    response = client.get(_url(version))
    assert response.status_code == 200 and 'name="text"' not in response.content.decode()
    assert client.post(_url(version), {"text": "意见"}).status_code == 400
    assert CharterComment.objects.count() == 0


@pytest.mark.parametrize(
    "token", ["short", "x" * 17, "abc%00def123", "abc def12345", "弄错了的令牌令牌令牌"]
)
def test_malformed_tokens_are_404(open_version, client, token):
    assert client.get(f"/public/charters/{token}/").status_code == 404


def test_a_resident_comments(open_version, client):
    article = Article.objects.get(chapter__version=open_version, number=2)
    response = client.post(
        _url(open_version),
        {"article": article.pk, "text": "建议增加分类垃圾桶。", "author_mobile": "13912345678"},
    )
    assert response.status_code == 302 and response["Location"] == _url(open_version)
    comment = CharterComment.objects.get()
    assert (comment.source, comment.article, comment.author_mobile) == (
        "public",
        article,
        "13912345678",
    )
    assert comment.entered_by is None


def test_bad_input_is_400_and_what_was_typed_is_kept(open_version, client):
    response = client.post(
        _url(open_version), {"text": "我的意见。", "author_mobile": "1234"}, **EN
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "11-digit" in page and "我的意见。" in page
    other = Article.objects.get(chapter__version__charter__title="社区乙村规民约")
    assert client.post(_url(open_version), {"text": "x", "article": other.pk}).status_code == 400
    assert client.post(_url(open_version), {"text": "x", "article": "1\x00"}).status_code == 400
    assert client.post(_url(open_version), {"text": ""}).status_code == 400
    assert CharterComment.objects.count() == 0


def test_after_the_last_day_no_more_comments(open_version, client):
    with time_machine.travel(datetime.datetime(2026, 11, 29, 9, tzinfo=datetime.UTC), tick=False):
        page = client.get(_url(open_version))
        assert page.status_code == 200 and 'name="text"' not in page.content.decode()
        assert client.post(_url(open_version), {"text": "晚了。"}).status_code == 400
    assert CharterComment.objects.count() == 0


def test_the_honeypot_refuses_robots(open_version, client):
    response = client.post(_url(open_version), {"text": "广告", "website": "http://spam"})
    assert response.status_code == 400
    assert 'data-refusal="honeypot"' in response.content.decode()
    assert CharterComment.objects.count() == 0


def test_comments_are_rate_limited_per_client(open_version, client, monkeypatch):
    monkeypatch.setattr(public, "COMMENTS_PER_HOUR", 2)
    for n in range(2):
        assert client.post(_url(open_version), {"text": f"意见{n}"}).status_code == 302
    response = client.post(_url(open_version), {"text": "第三条意见"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "第三条意见" in response.content.decode()
    assert CharterComment.objects.count() == 2


@pytest.mark.browser
def test_a_resident_reads_and_comments_on_a_phone(world, page, live_server):
    from zhenxing.charters.testing import build_charter_world

    ensure_topics()
    version = _status(
        build_charter_world(world).version_a,
        VersionStatus.CONSULTATION,
        consultation_ends_on=datetime.date(2099, 1, 1),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(_url(version))
    assert page.locator("[data-article]").count() == 3
    page.select_option("#id_article", label="第二条 生活垃圾分类投放，不乱丢乱倒。")
    page.fill("#id_text", "建议每周公布分类情况。")
    page.click("button[type=submit]")
    page.wait_for_selector(".alert-success", timeout=10000)
    comment = CharterComment.objects.get()
    assert comment.article.number == 2 and comment.text == "建议每周公布分类情况。"
