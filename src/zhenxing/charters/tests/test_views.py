"""Staff pages of charters: scope (404), read-only (403), anonymous (login), and what each does."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from zhenxing.charters import services
from zhenxing.charters.models import (
    Article,
    Charter,
    CharterComment,
    CharterVersion,
    CommentSource,
    VersionStatus,
)

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


@pytest.fixture
def comment(charters, world):
    version = _status(charters.version_a, VersionStatus.CONSULTATION, consultation_ends_on=TODAY)
    return services.comment_add(
        version=version,
        text="建议增加垃圾桶。",
        author_name="陈大文",
        author_mobile="13912345678",
        source=CommentSource.PUBLIC,
    )


def _pages(charters, comment):
    """(url name, args, methods) of every staff page about 社区甲's charter."""
    v = charters.version_a.pk
    return [
        ("charters:detail", [charters.charter_a.pk], ["get"]),
        ("charters:version", [v], ["get"]),
        ("charters:version_edit", [v], ["get", "post"]),
        ("charters:version_topics", [v], ["get", "post"]),
        ("charters:version_publish", [v], ["get", "post"]),
        ("charters:version_withdraw", [v], ["post"]),
        ("charters:comments", [v], ["get", "post"]),
        ("charters:comment_reply", [comment.pk], ["post"]),
        ("charters:version_new", [v], ["post"]),
        ("charters:version_diff", [v], ["get"]),
        ("charters:version_file", [v], ["get", "post"]),
        ("charters:version_docx", [v], ["get"]),
    ]


WRITES = {
    "charters:version_edit",
    "charters:version_topics",
    "charters:version_publish",
    "charters:version_withdraw",
    "charters:comments",
    "charters:comment_reply",
    "charters:version_new",
    "charters:version_file",
}


def test_outsider_gets_404_on_every_page_of_another_community(charters, comment, world, client_for):
    client = client_for(world.outsider)
    for name, args, methods in _pages(charters, comment):
        for method in methods:
            response = getattr(client, method)(reverse(name, args=args))
            assert response.status_code == 404, (name, method)


def test_read_only_users_get_403_on_every_write(charters, comment, world, client_for):
    for user in (world.inspector_a, world.dept_staff):
        client = client_for(user)
        for name, args, methods in _pages(charters, comment):
            for method in methods:
                response = getattr(client, method)(reverse(name, args=args))
                expected = 403 if name in WRITES else 200
                assert response.status_code == expected, (user, name, method)
        assert client.get(reverse("charters:create")).status_code == 403
    assert CharterComment.objects.count() == 1
    assert CharterVersion.objects.get(pk=charters.version_a.pk).status == "consultation"


def test_anonymous_users_are_sent_to_log_in(charters, comment, client):
    pages = [("charters:list", [], ["get"]), ("charters:create", [], ["get"])]
    for name, args, methods in pages + _pages(charters, comment):
        for method in methods:
            response = getattr(client, method)(reverse(name, args=args))
            assert response.status_code == 302, (name, method)
            assert response["Location"].startswith(reverse("login")), name


def test_nobody_without_a_role_gets_404(charters, world, client_for):
    client = client_for(world.nobody)
    assert client.get(reverse("charters:list")).status_code == 404
    assert client.get(reverse("charters:version", args=[charters.version_a.pk])).status_code == 404


def test_wrong_methods_and_malformed_ids(charters, comment, world, client_for):
    client = client_for(world.secretary_a)
    assert client.post(reverse("charters:list")).status_code == 405
    assert (
        client.get(reverse("charters:version_new", args=[charters.version_a.pk])).status_code == 405
    )
    assert client.get(reverse("charters:comment_reply", args=[comment.pk])).status_code == 405
    assert (
        client.post(reverse("charters:version_docx", args=[charters.version_a.pk])).status_code
        == 405
    )
    assert client.get("/charters/versions/99999999999999999999/").status_code == 404
    diff = reverse("charters:version_diff", args=[charters.version_a.pk])
    for against in ["abc", "1\x00", "99999999999999999999", str(charters.version_b.pk)]:
        assert client.get(diff, {"against": against}).status_code == 404, against


def test_list_shows_in_force_and_in_works_with_filters(charters, world, client_for):
    _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    services.version_new(from_version=charters.version_a, actor=world.admin)
    client = client_for(world.admin)
    page = client.get(reverse("charters:list"), **EN).content.decode()
    assert "社区甲村规民约" in page and "社区乙村规民约" in page
    assert 'data-status="adopted"' in page and 'data-status="drafting"' in page
    only = client.get(reverse("charters:list"), {"status": "in_force"}).content.decode()
    assert "社区甲村规民约" in only and "社区乙村规民约" not in only
    by_community = client.get(reverse("charters:list"), {"community": world.b.pk}).content.decode()
    assert "社区乙村规民约" in by_community and "社区甲村规民约" not in by_community
    secretary = client_for(world.secretary_a).get(reverse("charters:list")).content.decode()
    assert "社区乙村规民约" not in secretary
    assert client.get(reverse("charters:list"), {"community": "x\x00"}).status_code == 200


def test_list_query_budget(charters, world, client_for, django_assert_max_num_queries):
    client = client_for(world.admin)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("charters:list")).status_code == 200
    for n in range(15):
        charter = services.charter_create(region=world.a, title=f"公约{n}", actor=world.admin)
        _status(charter.versions.get(), VersionStatus.ADOPTED, adopted_on=TODAY)
        services.version_new(from_version=charter.versions.get(), actor=world.admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("charters:list")).content.decode()
    assert "公约14" in page


def test_create_a_charter(world, client_for):
    client = client_for(world.secretary_a)
    form = client.get(reverse("charters:create")).content.decode()
    assert "社区甲" in form and "社区乙" not in form
    response = client.post(reverse("charters:create"), {"region": world.b.pk, "title": "越权"})
    assert response.status_code == 400
    response = client.post(
        reverse("charters:create"), {"region": world.a.pk, "title": "社区甲公约"}
    )
    charter = Charter.objects.get(title="社区甲公约")
    assert response["Location"] == reverse(
        "charters:version_edit", args=[charter.versions.get().pk]
    )
    again = client.post(
        reverse("charters:create"), {"region": world.a.pk, "title": "社区甲公约"}, **EN
    )
    assert again.status_code == 400 and "already has a charter" in again.content.decode()


def test_edit_the_text(charters, world, client_for):
    client = client_for(world.secretary_a)
    url = reverse("charters:version_edit", args=[charters.version_a.pk])
    page = client.get(url).content.decode()
    assert "第三条 门前三包，不占道堆放杂物。" in page
    bad = "第一章 总则\n第一条 甲。\n第二章 空\n"
    response = client.post(url, {"text": bad, "revision": 0}, **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Line 3: the chapter “空” has no article." in body
    assert "第二章 空" in body  # what was typed is kept
    good = "前言。\n第一章 总则\n第一条 甲。\n第二条 乙。\n"
    response = client.post(url, {"text": good, "revision": 0})
    assert response.status_code == 302
    assert list(
        Article.objects.filter(chapter__version=charters.version_a).values_list("text", flat=True)
    ) == ["甲。", "乙。"]
    # The form opened before that save is stale now.
    stale = client.post(url, {"text": good, "revision": 0}, **EN)
    assert stale.status_code == 400 and "Someone changed" in stale.content.decode()
    assert client.post(url, {"text": "第一条 x\x00", "revision": 1}).status_code == 400
    assert client.post(url, {"text": good, "revision": "99999999999999999999"}).status_code == 400


def test_edit_refused_once_published(charters, world, client_for):
    _status(charters.version_a, VersionStatus.CONSULTATION, consultation_ends_on=TODAY)
    client = client_for(world.secretary_a)
    url = reverse("charters:version_edit", args=[charters.version_a.pk])
    assert client.get(url).status_code == 302
    response = client.post(url, {"text": "第一条 甲。", "revision": 0}, **EN)
    assert response.status_code == 400 and "only a version in drafting" in response.content.decode()


def test_tag_topics(charters, world, client_for):
    client = client_for(world.secretary_a)
    url = reverse("charters:version_topics", args=[charters.version_a.pk])
    first = Article.objects.get(chapter__version=charters.version_a, number=1)
    third = Article.objects.get(chapter__version=charters.version_a, number=3)
    assert client.get(url).status_code == 200
    assert client.post(url, {f"a{first.pk}": "nope", "revision": 0}).status_code == 400
    response = client.post(url, {f"a{first.pk}": ["affairs", "customs"], "revision": 0})
    assert response.status_code == 302
    assert sorted(t.code for t in first.topics.all()) == ["affairs", "customs"]
    assert list(third.topics.all()) == []  # every article is in the grid: unticked is untagged
    detail = client.get(
        reverse("charters:version", args=[charters.version_a.pk]), {"topic": "customs"}
    ).content.decode()
    assert 'data-article="1"' in detail and 'data-article="2"' not in detail


def test_publish_and_back_to_drafting(charters, world, client_for):
    client = client_for(world.secretary_a)
    url = reverse("charters:version_publish", args=[charters.version_a.pk])
    past = client.post(url, {"ends_on": "2026-11-27"}, **EN)
    assert past.status_code == 400 and "cannot be in the past" in past.content.decode()
    assert client.post(url, {"ends_on": "not a date"}).status_code == 400
    assert client.post(url, {"ends_on": "2026-12-12"}).status_code == 302
    version = CharterVersion.objects.get(pk=charters.version_a.pk)
    assert (version.status, version.consultation_ends_on) == (
        "consultation",
        datetime.date(2026, 12, 12),
    )
    detail = client.get(reverse("charters:version", args=[version.pk])).content.decode()
    assert reverse("charters_public:version", args=[version.public_token]) in detail
    again = client.post(url, {"ends_on": "2026-12-12"}, **EN)
    assert again.status_code == 400
    withdraw = reverse("charters:version_withdraw", args=[version.pk])
    assert client.get(withdraw).status_code == 405
    assert client.post(withdraw).status_code == 302
    assert CharterVersion.objects.get(pk=version.pk).status == "drafting"
    assert client.post(withdraw).status_code == 400


def test_comments_page_masks_mobiles_and_takes_paper_comments_and_replies(
    charters, comment, world, client_for
):
    client = client_for(world.secretary_a)
    url = reverse("charters:comments", args=[charters.version_a.pk])
    page = client.get(url).content.decode()
    assert "陈大文" in page and "139****5678" in page and "13912345678" not in page
    article = Article.objects.get(chapter__version=charters.version_a, number=2)
    response = client.post(
        url, {"article": article.pk, "text": "纸质意见。", "author_name": "", "author_mobile": ""}
    )
    assert response.status_code == 302
    paper = CharterComment.objects.get(text="纸质意见。")
    assert (paper.source, paper.entered_by, paper.article) == ("staff", world.secretary_a, article)
    assert client.post(url, {"text": "", "article": ""}).status_code == 400
    assert client.post(url, {"text": "x", "article": "abc"}).status_code == 400
    assert client.post(url, {"text": "x", "author_mobile": "123"}).status_code == 400
    reply_url = reverse("charters:comment_reply", args=[comment.pk])
    assert client.post(reply_url, {"reply": ""}).status_code == 400
    assert client.post(reply_url, {"reply": "已采纳。"}).status_code == 302
    assert CharterComment.objects.get(pk=comment.pk).reply == "已采纳。"
    # Once voted on, no more comments are typed in.
    _status(charters.version_a, VersionStatus.VOTING)
    late = client.post(url, {"text": "晚了。"}, **EN)
    assert late.status_code == 400 and "only while it is out for comment" in late.content.decode()


def test_new_version(charters, world, client_for):
    client = client_for(world.secretary_a)
    url = reverse("charters:version_new", args=[charters.version_a.pk])
    refused = client.post(url, **EN)
    assert refused.status_code == 400 and "still in the works" in refused.content.decode()
    _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    response = client.post(url)
    new = CharterVersion.objects.get(charter=charters.charter_a, number=2)
    assert response["Location"] == reverse("charters:version_edit", args=[new.pk])
    assert new.based_on_id == charters.version_a.pk


def test_diff_page(charters, world, client_for):
    _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    new = services.version_new(from_version=charters.version_a, actor=world.admin)
    services.version_save_text(
        version=new,
        text=(
            "第一章 总则\n第一条 为建设美丽乡村，经村民会议讨论通过，制定本村规民约。\n"
            "第二章 环境卫生\n第二条 生活垃圾分类投放，不乱扔乱倒。\n"
            "第三条 门前三包，不占道堆放杂物。\n第四条 饲养家禽应当圈养。\n"
        ),
        actor=world.admin,
    )
    client = client_for(world.inspector_a)
    page = client.get(reverse("charters:version_diff", args=[new.pk]), **EN).content.decode()
    assert (
        "1 article added" in page and "1 article changed" in page and "0 articles removed" in page
    )
    assert (
        '<del class="zx-diff-del">丢</del>' in page and '<ins class="zx-diff-ins">扔</ins>' in page
    )
    assert 'data-kind="same"' not in page
    everything = client.get(
        reverse("charters:version_diff", args=[new.pk]), {"all": "1"}
    ).content.decode()
    assert everything.count('data-kind="same"') == 2
    reverse_diff = client.get(
        reverse("charters:version_diff", args=[charters.version_a.pk]), {"against": new.pk}, **EN
    ).content.decode()
    assert "1 article removed" in reverse_diff
    # The first version is based on nothing: the page says so.
    first = client.get(reverse("charters:version_diff", args=[charters.version_a.pk]), **EN)
    assert first.status_code == 200 and "Choose a version" in first.content.decode()


def test_file(charters, world, client_for):
    _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    client = client_for(world.secretary_a)
    url = reverse("charters:version_file", args=[charters.version_a.pk])
    assert client.post(url, {"filed_on": "2026-11-29", "reference": "桂备1号"}).status_code == 400
    assert client.post(url, {"filed_on": "2026-11-28", "reference": ""}).status_code == 400
    assert client.post(url, {"filed_on": "2026-11-28", "reference": "桂备1号"}).status_code == 302
    version = CharterVersion.objects.get(pk=charters.version_a.pk)
    assert (version.status, version.filing_reference) == ("filed", "桂备1号")
    again = client.post(url, {"filed_on": "2026-11-28", "reference": "桂备2号"})
    assert again.status_code == 400


def test_the_session_that_decided_it_is_linked_for_those_who_see_sessions(
    charters, world, client_for
):
    from zhenxing.votes.models import Motion, MotionKind
    from zhenxing.votes.testing import build_votes_world

    votes = build_votes_world(world)
    Motion.objects.create(
        session=votes.session_a,
        number=2,
        kind=MotionKind.CHARTER,
        title="表决社区甲村规民约",
        charter_version=charters.version_a,
    )
    _status(charters.version_a, VersionStatus.VOTING)
    url = reverse("charters:version", args=[charters.version_a.pk])
    link = reverse("votes:session", args=[votes.session_a.pk])
    assert link in client_for(world.secretary_a).get(url).content.decode()
    assert link not in client_for(world.inspector_a).get(url).content.decode()


def test_docx_holds_the_charter(charters, world, client_for):
    from docx import Document

    from zhenxing.votes.models import Motion, MotionKind
    from zhenxing.votes.testing import build_votes_world

    votes = build_votes_world(world)
    Motion.objects.create(
        session=votes.session_a,
        number=2,
        kind=MotionKind.CHARTER,
        title="表决",
        charter_version=charters.version_a,
    )
    _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    response = client_for(world.inspector_a).get(
        reverse("charters:version_docx", args=[charters.version_a.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert text[0] == "社区甲村规民约"
    assert "第二章　环境卫生" in text
    assert "第三条　门前三包，不占道堆放杂物。" in text
    # "经2026年11月28日社区甲村民会议表决通过。" once translated: the body and the date in it.
    assert "社区甲村民会议" in text[-1] and "2026年11月28日" in text[-1]


def test_docx_of_a_draft_has_no_adoption_line(charters, world, client_for):
    from docx import Document

    response = client_for(world.secretary_a).get(
        reverse("charters:version_docx", args=[charters.version_a.pk])
    )
    text = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert "第一条　为建设美丽乡村，经村民会议讨论通过，制定本村规民约。" in text
    assert not any("社区甲村民会议" in line for line in text)
