"""Every write to charters (ARCHITECTURE.md habits 1, 2, 5).

Each service is keyword-only, checks its rule, locks what it changes and
writes an audit row. A broken rule raises CharterError with a message for
users; the views show it as a form error (400).

The three transitions at the bottom are called by `votes` when a charter's
adoption is put to the vote and when the session closes; their signatures
are a contract between the two apps.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.charters.models import (
    Article,
    Chapter,
    Charter,
    CharterComment,
    CharterVersion,
    CommentSource,
    Topic,
    VersionStatus,
)
from zhenxing.charters.parse import CharterTextError as _TextProblems
from zhenxing.charters.parse import ParsedCharter, parse_text
from zhenxing.core import audit
from zhenxing.people.models import mobile_validator
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH

IN_THE_WORKS = {VersionStatus.DRAFTING, VersionStatus.CONSULTATION, VersionStatus.VOTING}
# Statuses whose text anyone may read on the public page.
PUBLIC_STATUSES = {
    VersionStatus.CONSULTATION,
    VersionStatus.VOTING,
    VersionStatus.ADOPTED,
    VersionStatus.FILED,
}
COMMENT_MAX = 2000
REPLY_MAX = 2000
TITLE_MAX = 100
REFERENCE_MAX = 60
NAME_MAX = 50


class CharterError(Exception):
    """A rule about charters was broken; the message is for users."""


class CharterTextError(CharterError):
    """The text could not be read; `problems` name each line at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def new_public_token() -> str:
    return secrets.token_urlsafe(12)[:16]


def _locked(version: CharterVersion) -> CharterVersion:
    return CharterVersion.objects.select_for_update().get(pk=version.pk)


def _require_status(version: CharterVersion, allowed: set[str], message: str) -> None:
    if version.status not in allowed:
        raise CharterError(message % {"status": version.get_status_display()})


def _check_revision(version: CharterVersion, revision: int | None) -> None:
    """The editor's form carries the revision it was opened at: refuse to overwrite newer work."""
    if revision is not None and revision != version.revision:
        raise CharterError(
            _(
                "Someone changed this version after you opened it. "
                "Open it again to see their changes, then make yours."
            )
        )


def _parse(text: str) -> ParsedCharter:
    try:
        return parse_text(text)
    except _TextProblems as error:
        raise CharterTextError(error.problems) from None


def _write_text(
    version: CharterVersion, parsed: ParsedCharter, keep: Mapping[str, list[int]]
) -> dict[str, Article]:
    """Chapters and articles from `parsed`; topics of an article whose text is unchanged kept."""
    by_text: dict[str, Article] = {}
    topic_rows = []
    through = Article.topics.through
    number = 0
    for position, parsed_chapter in enumerate(parsed.chapters, start=1):
        chapter = Chapter.objects.create(
            version=version, number=position, title=parsed_chapter.title
        )
        for parsed_article in parsed_chapter.articles:
            number += 1
            article = Article.objects.create(
                chapter=chapter, number=number, text=parsed_article.text
            )
            by_text.setdefault(article.text, article)
            topic_rows += [
                through(article_id=article.pk, topic_id=t) for t in keep.get(article.text, [])
            ]
    through.objects.bulk_create(topic_rows)
    return by_text


# --- charters and their text -------------------------------------------------------


def charter_create(*, region: Region, title: str, actor: Any, text: str = "") -> Charter:
    """A community's charter and its first version, drafting (filled from `text` if given)."""
    title = (title or "").strip()
    if not title:
        raise CharterError(_("Give the charter a title."))
    if len(title) > TITLE_MAX:
        raise CharterError(_("A title has at most %(max)d characters.") % {"max": TITLE_MAX})
    if region.depth != COMMUNITY_DEPTH:
        raise CharterError(_("A charter belongs to a community: choose a community."))
    parsed = _parse(text) if text.strip() else None
    try:
        with transaction.atomic():
            charter = Charter.objects.create(region=region, title=title)
            version = CharterVersion.objects.create(
                charter=charter,
                number=1,
                public_token=new_public_token(),
                preamble=parsed.preamble if parsed else "",
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            if parsed:
                _write_text(version, parsed, {})
            audit.record(
                actor=actor,
                action="charters.charter.create",
                obj=charter,
                changes={"region": region.code, "title": title, "version": version.pk},
            )
    except IntegrityError:
        raise CharterError(
            _("%(community)s already has a charter titled “%(title)s”.")
            % {"community": region.name, "title": title}
        ) from None
    return charter


def version_save_text(
    *,
    version: CharterVersion,
    text: str,
    actor: Any,
    preamble: str | None = None,
    revision: int | None = None,
) -> CharterVersion:
    """Replace a drafting version's chapters and articles with those read from `text`.

    The text's own lead-in (before the first chapter or article) is the preamble;
    a `preamble` passed too is put before it. Topic tags, and residents' comments,
    stay with every article whose text is unchanged, wherever it moved.
    """
    parsed = _parse(text)
    new_preamble = "\n".join(p for p in ((preamble or "").strip(), parsed.preamble) if p)
    with transaction.atomic():
        locked = _locked(version)
        _require_status(
            locked,
            {VersionStatus.DRAFTING},
            _("This version is %(status)s: only a version in drafting can be edited."),
        )
        _check_revision(locked, revision)
        old_articles = list(Article.objects.filter(chapter__version=locked))
        keep: dict[str, list[int]] = {}
        for article in old_articles:
            keep.setdefault(article.text, [])
        for article_id, topic_id in Article.topics.through.objects.filter(
            article__chapter__version=locked
        ).values_list("article_id", "topic_id"):
            texts = [a.text for a in old_articles if a.pk == article_id]
            if texts and topic_id not in keep[texts[0]]:
                keep[texts[0]].append(topic_id)
        old_text_of = {a.pk: a.text for a in old_articles}
        comments = list(
            CharterComment.objects.filter(version=locked, article__isnull=False).values_list(
                "pk", "article_id"
            )
        )
        before = {"articles": len(old_articles), "preamble": locked.preamble}
        Chapter.objects.filter(version=locked).delete()
        by_text = _write_text(locked, parsed, keep)
        # Comments on an article still there follow it; on one gone, they stay unattached.
        for comment_pk, article_id in comments:
            article = by_text.get(old_text_of.get(article_id, ""))
            if article is not None:
                CharterComment.objects.filter(pk=comment_pk).update(article=article)
        locked.preamble = new_preamble
        locked.revision += 1
        locked.save(update_fields=["preamble", "revision"])
        audit.record(
            actor=actor,
            action="charters.version.text",
            obj=locked,
            changes={
                "articles": [before["articles"], parsed.article_count],
                "chapters": len(parsed.chapters),
                "preamble_changed": before["preamble"] != new_preamble,
            },
        )
    return locked


def version_set_topics(
    *,
    version: CharterVersion,
    topics: Mapping[int, Iterable[Topic | str]],
    actor: Any,
    revision: int | None = None,
) -> CharterVersion:
    """Tag articles: {article pk: [topic or topic code, …]}; articles left out keep their tags.

    Tags index the text, they are not part of it: they may be changed in any
    status, so that an adopted charter can be searched by topic too.
    """
    by_code = {t.code: t for t in Topic.objects.all()}
    wanted: dict[int, set[int]] = {}
    for article_pk, values in topics.items():
        ids: set[int] = set()
        for value in values:
            topic = value if isinstance(value, Topic) else by_code.get(str(value))
            if topic is None:
                raise CharterError(_("There is no topic “%(topic)s”.") % {"topic": value})
            ids.add(topic.pk)
        wanted[int(article_pk)] = ids
    with transaction.atomic():
        locked = _locked(version)
        _check_revision(locked, revision)
        articles = {
            a.pk: a for a in Article.objects.filter(chapter__version=locked, pk__in=list(wanted))
        }
        if set(wanted) - set(articles):
            raise CharterError(_("An article named is not in this version."))
        through = Article.topics.through
        current: dict[int, set[int]] = {pk: set() for pk in articles}
        for article_id, topic_id in through.objects.filter(
            article_id__in=list(articles)
        ).values_list("article_id", "topic_id"):
            current[article_id].add(topic_id)
        changes: dict[str, list[list[int]]] = {}
        for pk, ids in wanted.items():
            if ids == current[pk]:
                continue
            through.objects.filter(article_id=pk).exclude(topic_id__in=ids).delete()
            through.objects.bulk_create(
                [through(article_id=pk, topic_id=t) for t in ids - current[pk]]
            )
            changes[str(articles[pk].number)] = [sorted(current[pk]), sorted(ids)]
        if changes:
            locked.revision += 1
            locked.save(update_fields=["revision"])
            audit.record(actor=actor, action="charters.version.topics", obj=locked, changes=changes)
    return locked


# --- consultation ------------------------------------------------------------------


def version_publish(
    *, version: CharterVersion, ends_on: datetime.date, actor: Any
) -> CharterVersion:
    """Drafting → published for comment, until `ends_on` (inclusive)."""
    if ends_on < timezone.localdate():
        raise CharterError(_("The last day for comments cannot be in the past."))
    with transaction.atomic():
        locked = _locked(version)
        _require_status(
            locked,
            {VersionStatus.DRAFTING},
            _("This version is %(status)s: only a version in drafting can be published."),
        )
        if not Article.objects.filter(chapter__version=locked).exists():
            raise CharterError(_("The version has no article yet: write its text first."))
        return _move(
            version=locked,
            allowed={VersionStatus.DRAFTING},
            to=VersionStatus.CONSULTATION,
            actor=actor,
            action="charters.version.publish",
            consultation_opened_at=timezone.now(),
            consultation_ends_on=ends_on,
        )


def version_withdraw_to_draft(*, version: CharterVersion, actor: Any) -> CharterVersion:
    """Published for comment → drafting again (the comments received are kept)."""
    return _move(
        version=version,
        allowed={VersionStatus.CONSULTATION},
        to=VersionStatus.DRAFTING,
        actor=actor,
        action="charters.version.withdraw",
        consultation_opened_at=None,
        consultation_ends_on=None,
    )


def comments_open(version: CharterVersion, today: datetime.date | None = None) -> bool:
    """Residents may comment on the public page: in consultation, up to the last day."""
    today = today or timezone.localdate()
    return (
        version.status == VersionStatus.CONSULTATION
        and version.consultation_ends_on is not None
        and today <= version.consultation_ends_on
    )


def comment_add(
    *,
    version: CharterVersion,
    text: str,
    source: str,
    article: Article | None = None,
    author_name: str = "",
    author_mobile: str = "",
    entered_by: Any = None,
) -> CharterComment:
    """A resident's comment: sent on the public page, or collected on paper and typed in.

    Public comments are taken until the last day for comments; the community
    may still type in paper comments collected in time while the version is
    out for comment.
    """
    text = (text or "").strip()
    author_name = (author_name or "").strip()
    author_mobile = (author_mobile or "").strip().replace(" ", "")
    if source not in CommentSource.values:
        raise CharterError(_("Unknown source of a comment."))
    if not text:
        raise CharterError(_("Write the comment."))
    if len(text) > COMMENT_MAX:
        raise CharterError(_("A comment has at most %(max)d characters.") % {"max": COMMENT_MAX})
    if len(author_name) > NAME_MAX:
        raise CharterError(_("A name has at most %(max)d characters.") % {"max": NAME_MAX})
    if author_mobile:
        try:
            mobile_validator(author_mobile)
        except ValidationError:
            raise CharterError(
                _("Enter an 11-digit mainland mobile number, or leave it empty.")
            ) from None
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.CONSULTATION:
            raise CharterError(
                _(
                    "This version is %(status)s: comments are taken only "
                    "while it is out for comment."
                )
                % {"status": locked.get_status_display()}
            )
        if source == CommentSource.PUBLIC and not comments_open(locked):
            raise CharterError(_("The time for comments on this version is over."))
        if article is not None and article.chapter.version_id != locked.pk:
            raise CharterError(_("The article is not in this version."))
        comment = CharterComment.objects.create(
            version=locked,
            article=article,
            text=text,
            author_name=author_name,
            author_mobile=author_mobile,
            source=source,
            entered_by=entered_by if getattr(entered_by, "is_authenticated", False) else None,
        )
        # The audit row names no resident: their name and number stay in the comment only.
        audit.record(
            actor=entered_by,
            action="charters.comment.add",
            obj=comment,
            changes={
                "version": locked.pk,
                "article": article.number if article else None,
                "source": source,
            },
        )
    return comment


def comment_reply(*, comment: CharterComment, reply: str, actor: Any) -> CharterComment:
    reply = (reply or "").strip()
    if not reply:
        raise CharterError(_("Write the reply."))
    if len(reply) > REPLY_MAX:
        raise CharterError(_("A reply has at most %(max)d characters.") % {"max": REPLY_MAX})
    with transaction.atomic():
        locked = CharterComment.objects.select_for_update().get(pk=comment.pk)
        before = locked.reply
        locked.reply = reply
        locked.save(update_fields=["reply"])
        audit.record(
            actor=actor,
            action="charters.comment.reply",
            obj=locked,
            changes={"reply": [before, reply]},
        )
    return locked


# --- new versions and filing --------------------------------------------------------


def version_new(*, from_version: CharterVersion, actor: Any) -> CharterVersion:
    """The next version, drafting, as a copy of `from_version` (chapters, articles, topics)."""
    message = _(
        "Version %(number)d of this charter is still in the works (%(status)s): "
        "finish it before starting another."
    )
    try:
        with transaction.atomic():
            # Lock the charter: two clicks at once must not both pass the check below.
            charter = Charter.objects.select_for_update().get(pk=from_version.charter_id)
            busy = (
                CharterVersion.objects.filter(charter=charter, status__in=IN_THE_WORKS)
                .order_by("-number")
                .first()
            )
            if busy is not None:
                raise CharterError(
                    message % {"number": busy.number, "status": busy.get_status_display()}
                )
            source = CharterVersion.objects.get(pk=from_version.pk)
            number = (
                CharterVersion.objects.filter(charter=charter).aggregate(n=Max("number"))["n"] or 0
            ) + 1
            version = CharterVersion.objects.create(
                charter=charter,
                number=number,
                based_on=source,
                preamble=source.preamble,
                public_token=new_public_token(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            chapters = {c.pk: c for c in Chapter.objects.filter(version=source)}
            new_chapter = {
                pk: Chapter.objects.create(version=version, number=c.number, title=c.title)
                for pk, c in chapters.items()
            }
            topics: dict[int, list[int]] = {}
            through = Article.topics.through
            for article_id, topic_id in through.objects.filter(
                article__chapter__version=source
            ).values_list("article_id", "topic_id"):
                topics.setdefault(article_id, []).append(topic_id)
            rows = []
            for article in Article.objects.filter(chapter__version=source):
                copy = Article.objects.create(
                    chapter=new_chapter[article.chapter_id],
                    number=article.number,
                    text=article.text,
                )
                rows += [
                    through(article_id=copy.pk, topic_id=t) for t in topics.get(article.pk, [])
                ]
            through.objects.bulk_create(rows)
            audit.record(
                actor=actor,
                action="charters.version.new",
                obj=version,
                changes={"based_on": source.pk, "number": number},
            )
    except IntegrityError:
        # The database's one-in-the-works constraint: a concurrent writer got there first.
        raise CharterError(
            _("Another version of this charter is in the works: finish it before starting another.")
        ) from None
    return version


def version_file(
    *, version: CharterVersion, filed_on: datetime.date, reference: str, actor: Any
) -> CharterVersion:
    """Adopted → filed with the township (备案), on a date, under the township's reference."""
    reference = (reference or "").strip()
    if not reference:
        raise CharterError(_("Enter the filing reference the township gave."))
    if len(reference) > REFERENCE_MAX:
        raise CharterError(
            _("A filing reference has at most %(max)d characters.") % {"max": REFERENCE_MAX}
        )
    if filed_on > timezone.localdate():
        raise CharterError(_("The filing date cannot be in the future."))
    with transaction.atomic():
        locked = _locked(version)
        if locked.adopted_on and filed_on < locked.adopted_on:
            raise CharterError(_("A charter cannot be filed before the day it was adopted."))
        return _move(
            version=locked,
            allowed={VersionStatus.ADOPTED},
            to=VersionStatus.FILED,
            actor=actor,
            action="charters.version.file",
            filed_on=filed_on,
            filing_reference=reference,
        )


def _move(
    *, version: CharterVersion, allowed: set[str], to: str, actor: Any, action: str, **fields: Any
) -> CharterVersion:
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status not in allowed:
            raise CharterError(
                _("This version is %(status)s; it cannot be moved on from there.")
                % {"status": locked.get_status_display()}
            )
        before = locked.status
        locked.status = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.revision += 1
        locked.save()
        audit.record(
            actor=actor,
            action=action,
            obj=locked,
            changes={"status": [before, to], **{k: v for k, v in fields.items()}},
        )
    return locked


# --- called by votes ---------------------------------------------------------------


def version_put_to_vote(*, version: CharterVersion, actor: Any) -> CharterVersion:
    """A session with this version's adoption as a motion opens: the text is final."""
    return _move(
        version=version,
        allowed={VersionStatus.DRAFTING, VersionStatus.CONSULTATION},
        to=VersionStatus.VOTING,
        actor=actor,
        action="charters.version.voting",
    )


def version_adopted(*, version: CharterVersion, on: datetime.date, actor: Any) -> CharterVersion:
    """The motion passed: the version is the community's charter from `on`."""
    return _move(
        version=version,
        allowed={VersionStatus.VOTING},
        to=VersionStatus.ADOPTED,
        actor=actor,
        action="charters.version.adopted",
        adopted_on=on,
    )


def version_not_adopted(*, version: CharterVersion, actor: Any) -> CharterVersion:
    """The motion failed (or the session had no quorum): a new version may be drafted."""
    return _move(
        version=version,
        allowed={VersionStatus.VOTING},
        to=VersionStatus.NOT_ADOPTED,
        actor=actor,
        action="charters.version.not_adopted",
    )
