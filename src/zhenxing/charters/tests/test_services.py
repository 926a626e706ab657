"""Charter services: text, topics, the guarded transitions, comments, new versions, filing."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from zhenxing.charters import services
from zhenxing.charters.models import (
    Article,
    Charter,
    CharterComment,
    CharterVersion,
    CommentSource,
    VersionStatus,
)
from zhenxing.core.models import AuditEntry

TODAY = datetime.date(2026, 11, 28)
TEXT = (
    "前言。\n第一章 总则\n第一条 为建设美丽乡村，制定本公约。\n第二章 环境卫生\n第二条 垃圾分类。\n"
)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 28, 9, tzinfo=datetime.UTC), tick=False):
        yield


def _status(version: CharterVersion, status: str, **fields) -> CharterVersion:
    CharterVersion.objects.filter(pk=version.pk).update(status=status, **fields)
    version.refresh_from_db()
    return version


def test_charter_create_makes_an_empty_first_version(world):
    charter = services.charter_create(region=world.a, title="社区甲居民公约", actor=world.admin)
    version = charter.versions.get()
    assert (version.number, version.status, version.chapters.count()) == (1, "drafting", 0)
    assert AuditEntry.objects.filter(action="charters.charter.create").count() == 1
    with translation.override("en"), pytest.raises(services.CharterError, match="already has"):
        services.charter_create(region=world.a, title="社区甲居民公约", actor=world.admin)
    with pytest.raises(services.CharterError):
        services.charter_create(region=world.coop_a, title="经济社公约", actor=world.admin)


def test_charter_create_with_text(world):
    charter = services.charter_create(region=world.b, title="公约", actor=world.admin, text=TEXT)
    version = charter.versions.get()
    assert version.preamble == "前言。"
    assert list(Article.objects.filter(chapter__version=version).values_list("number", "text")) == [
        (1, "为建设美丽乡村，制定本公约。"),
        (2, "垃圾分类。"),
    ]


def test_save_text_replaces_articles_and_keeps_tags_of_unchanged_ones(charters, world):
    version = charters.version_a
    text = (
        "新的前言。\n第一章 总则\n第一条 新增的第一条。\n"
        "第二条 为建设美丽乡村，经村民会议讨论通过，制定本村规民约。\n"
        "第二章 环境卫生\n第三条 门前三包，不占道堆放杂物。\n第四条 生活垃圾分类投放，改了。\n"
    )
    saved = services.version_save_text(
        version=version, text=text, revision=version.revision, actor=world.secretary_a
    )
    assert saved.preamble == "新的前言。"
    assert saved.revision == version.revision + 1
    articles = {a.number: a for a in Article.objects.filter(chapter__version=version)}
    assert len(articles) == 4
    # 门前三包 moved from 第三条 to … 第三条 (still), kept both tags; the changed one lost its tag.
    assert sorted(t.code for t in articles[3].topics.all()) == ["roads", "sanitation"]
    assert list(articles[4].topics.all()) == []
    assert AuditEntry.objects.filter(action="charters.version.text").count() == 1


def test_save_text_refuses_a_stale_revision_and_a_version_not_in_drafting(charters, world):
    version = charters.version_a
    with translation.override("en"), pytest.raises(services.CharterError, match="Someone changed"):
        services.version_save_text(
            version=version, text=TEXT, revision=version.revision + 5, actor=world.admin
        )
    _status(version, VersionStatus.CONSULTATION)
    with translation.override("en"), pytest.raises(services.CharterError, match="only a version"):
        services.version_save_text(version=version, text=TEXT, actor=world.admin)
    # Nothing was replaced.
    assert Article.objects.filter(chapter__version=version).count() == 3


def test_save_text_reports_every_problem(charters, world):
    with translation.override("en"), pytest.raises(services.CharterTextError) as caught:
        services.version_save_text(
            version=charters.version_a, text="第一章 总则\n第一条\n", actor=world.admin
        )
    assert caught.value.problems == ["Line 2: the article has no text."]


def test_set_topics(charters, world):
    version = charters.version_a
    first = Article.objects.get(chapter__version=version, number=1)
    third = Article.objects.get(chapter__version=version, number=3)
    services.version_set_topics(
        version=version, topics={first.pk: ["affairs"], third.pk: []}, actor=world.admin
    )
    assert [t.code for t in first.topics.all()] == ["affairs"]
    assert list(third.topics.all()) == []
    with pytest.raises(services.CharterError):
        services.version_set_topics(version=version, topics={first.pk: ["nope"]}, actor=world.admin)
    other = Article.objects.get(chapter__version=charters.version_b)
    with pytest.raises(services.CharterError):
        services.version_set_topics(version=version, topics={other.pk: []}, actor=world.admin)


def test_publish_needs_an_article_and_a_last_day_not_past(charters, world):
    version = charters.version_a
    with pytest.raises(services.CharterError):
        services.version_publish(
            version=version, ends_on=TODAY - datetime.timedelta(days=1), actor=world.admin
        )
    empty = services.charter_create(region=world.a, title="空公约", actor=world.admin)
    with translation.override("en"), pytest.raises(services.CharterError, match="no article"):
        services.version_publish(version=empty.versions.get(), ends_on=TODAY, actor=world.admin)
    published = services.version_publish(version=version, ends_on=TODAY, actor=world.admin)
    assert published.status == VersionStatus.CONSULTATION
    assert published.consultation_ends_on == TODAY
    assert published.consultation_opened_at == timezone.now()
    # A second publish is an illegal move.
    with pytest.raises(services.CharterError):
        services.version_publish(version=version, ends_on=TODAY, actor=world.admin)


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("drafting", {"publish", "save_text", "put_to_vote"}),
        ("consultation", {"withdraw", "put_to_vote"}),
        ("voting", {"adopted", "not_adopted"}),
        ("adopted", {"file"}),
        ("not_adopted", set()),
        ("filed", set()),
    ],
)
def test_each_transition_is_allowed_only_from_its_status(charters, world, status, allowed):
    moves = {
        "publish": lambda v: services.version_publish(version=v, ends_on=TODAY, actor=world.admin),
        "save_text": lambda v: services.version_save_text(version=v, text=TEXT, actor=world.admin),
        "withdraw": lambda v: services.version_withdraw_to_draft(version=v, actor=world.admin),
        "put_to_vote": lambda v: services.version_put_to_vote(version=v, actor=world.admin),
        "adopted": lambda v: services.version_adopted(version=v, on=TODAY, actor=world.admin),
        "not_adopted": lambda v: services.version_not_adopted(version=v, actor=world.admin),
        "file": lambda v: services.version_file(
            version=v, filed_on=TODAY, reference="桂备〔2026〕1号", actor=world.admin
        ),
    }
    for name, move in moves.items():
        version = _status(charters.version_a, status, adopted_on=TODAY)
        if name in allowed:
            move(version)
        else:
            with pytest.raises(services.CharterError):
                move(version)
            assert CharterVersion.objects.get(pk=version.pk).status == status


def test_withdraw_keeps_comments(charters, world):
    version = services.version_publish(version=charters.version_a, ends_on=TODAY, actor=world.admin)
    services.comment_add(version=version, text="好", source=CommentSource.PUBLIC)
    back = services.version_withdraw_to_draft(version=version, actor=world.admin)
    assert (back.status, back.consultation_ends_on) == (VersionStatus.DRAFTING, None)
    assert back.comments.count() == 1


def test_comments_only_in_consultation_and_public_ones_until_the_last_day(charters, world):
    version = charters.version_a
    with pytest.raises(services.CharterError):
        services.comment_add(version=version, text="草稿阶段", source=CommentSource.PUBLIC)
    with pytest.raises(services.CharterError):
        services.comment_add(
            version=version, text="草稿阶段", source=CommentSource.STAFF, entered_by=world.admin
        )
    services.version_publish(version=version, ends_on=TODAY, actor=world.admin)
    article = Article.objects.get(chapter__version=version, number=2)
    comment = services.comment_add(
        version=version,
        text="建议增加分类垃圾桶。",
        article=article,
        author_name="陈大文",
        author_mobile="13912345678",
        source=CommentSource.PUBLIC,
    )
    assert comment.article == article and comment.entered_by is None
    entry = AuditEntry.objects.get(action="charters.comment.add")
    assert "13912345678" not in str(entry.changes) and "陈大文" not in str(entry.changes)
    # The last day is included; the day after, the public page takes no more.
    with time_machine.travel(datetime.datetime(2026, 11, 29, 9, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(services.CharterError):
            services.comment_add(version=version, text="晚了", source=CommentSource.PUBLIC)
        # A paper comment collected in time may still be typed in while out for comment.
        late = services.comment_add(
            version=version, text="纸质意见", source=CommentSource.STAFF, entered_by=world.admin
        )
        assert late.entered_by == world.admin
    other = Article.objects.get(chapter__version=charters.version_b)
    with pytest.raises(services.CharterError):
        services.comment_add(
            version=version, text="错条", article=other, source=CommentSource.PUBLIC
        )
    with pytest.raises(services.CharterError):
        services.comment_add(
            version=version, text="号码", author_mobile="12345", source=CommentSource.PUBLIC
        )
    services.version_withdraw_to_draft(version=version, actor=world.admin)
    with pytest.raises(services.CharterError):
        services.comment_add(
            version=version, text="撤回后", source=CommentSource.STAFF, entered_by=world.admin
        )


def test_comment_reply(charters, world):
    version = services.version_publish(version=charters.version_a, ends_on=TODAY, actor=world.admin)
    comment = services.comment_add(version=version, text="意见", source=CommentSource.PUBLIC)
    with pytest.raises(services.CharterError):
        services.comment_reply(comment=comment, reply="  ", actor=world.secretary_a)
    services.comment_reply(comment=comment, reply="已采纳。", actor=world.secretary_a)
    assert CharterComment.objects.get(pk=comment.pk).reply == "已采纳。"


def test_version_new_copies_and_is_refused_while_another_is_in_the_works(charters, world):
    version = charters.version_a
    with translation.override("en"), pytest.raises(services.CharterError, match="in the works"):
        services.version_new(from_version=version, actor=world.admin)
    _status(version, VersionStatus.ADOPTED, adopted_on=TODAY)
    new = services.version_new(from_version=version, actor=world.secretary_a)
    assert (new.number, new.status, new.based_on, new.preamble) == (
        2,
        VersionStatus.DRAFTING,
        version,
        version.preamble,
    )
    assert new.public_token != version.public_token
    copied = list(
        Article.objects.filter(chapter__version=new)
        .order_by("number")
        .values_list("number", "chapter__number", "chapter__title", "text")
    )
    original = list(
        Article.objects.filter(chapter__version=version)
        .order_by("number")
        .values_list("number", "chapter__number", "chapter__title", "text")
    )
    assert copied == original
    third = Article.objects.get(chapter__version=new, number=3)
    assert sorted(t.code for t in third.topics.all()) == ["roads", "sanitation"]
    # The copy is in the works now: no third version, from either.
    for source in (version, new):
        with pytest.raises(services.CharterError):
            services.version_new(from_version=source, actor=world.admin)


def test_the_database_backs_one_version_in_the_works(charters):
    version = charters.version_a
    with pytest.raises(IntegrityError), transaction.atomic():
        CharterVersion.objects.create(
            charter=version.charter, number=2, public_token=services.new_public_token()
        )


def test_version_new_turns_an_integrity_error_into_a_charter_error(charters, world, monkeypatch):
    """Two starts at once: the constraint catches the one that passed the check too."""
    version = _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)

    real_filter = CharterVersion.objects.filter

    def racing_filter(*args, **kwargs):
        if "status__in" in kwargs:
            # The check sees nothing in the works, as a concurrent writer's check would…
            CharterVersion.objects.create(
                charter=version.charter, number=9, public_token=services.new_public_token()
            )
            monkeypatch.setattr(CharterVersion.objects, "filter", real_filter)
            return real_filter(pk__in=[])
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(CharterVersion.objects, "filter", racing_filter)
    with pytest.raises(services.CharterError):
        services.version_new(from_version=version, actor=world.admin)
    # The attempt left nothing behind (here the stand-in rival's row went with it).
    assert Charter.objects.get(pk=version.charter_id).versions.count() == 1


def test_file(charters, world):
    version = _status(charters.version_a, VersionStatus.ADOPTED, adopted_on=TODAY)
    with pytest.raises(services.CharterError):
        services.version_file(version=version, filed_on=TODAY, reference=" ", actor=world.admin)
    with pytest.raises(services.CharterError):
        services.version_file(
            version=version,
            filed_on=TODAY - datetime.timedelta(days=1),
            reference="桂备1号",
            actor=world.admin,
        )
    with pytest.raises(services.CharterError):
        services.version_file(
            version=version,
            filed_on=TODAY + datetime.timedelta(days=1),
            reference="桂备1号",
            actor=world.admin,
        )
    filed = services.version_file(
        version=version, filed_on=TODAY, reference="桂备1号", actor=world.admin
    )
    assert (filed.status, filed.filed_on, filed.filing_reference) == ("filed", TODAY, "桂备1号")
    assert AuditEntry.objects.filter(action="charters.version.file").exists()
