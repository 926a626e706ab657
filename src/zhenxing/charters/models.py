"""Residents' charters (村规民约 / 居民公约): versioned text in chapters and articles.

A charter belongs to a community. Each version moves through drafting →
consultation (published for comment; comments collected) → voting (a motion
of a voting session, `votes.Motion.charter_version`) → adopted or not adopted
→ filed with the township. A new version starts as a copy of an earlier one,
so two versions can always be compared article by article.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Topic(models.Model):
    """What an article regulates (环境卫生, 道路交通, 房屋土地, 治安, …): data, not code."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class Charter(models.Model):
    """A community's charter; its text lives in its versions."""

    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="charters",
    )
    title = models.CharField(_("title"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["region__path", "title"]
        verbose_name = _("charter")
        verbose_name_plural = _("charters")
        constraints = [
            models.UniqueConstraint(fields=["region", "title"], name="charter_title_per_region")
        ]

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFTING = "drafting", _("Drafting")
    CONSULTATION = "consultation", _("Published for comment")
    VOTING = "voting", _("Put to the vote")
    ADOPTED = "adopted", _("Adopted")
    NOT_ADOPTED = "not_adopted", _("Not adopted")
    FILED = "filed", _("Filed with the township")


class CharterVersion(models.Model):
    charter = models.ForeignKey(
        Charter, verbose_name=_("charter"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFTING
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    preamble = models.TextField(_("preamble"), blank=True)
    # Consultation: the public page (by token) takes comments until the end day.
    consultation_opened_at = models.DateTimeField(_("published for comment"), null=True, blank=True)
    consultation_ends_on = models.DateField(_("comments until"), null=True, blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filing_reference = models.CharField(_("filing reference"), max_length=60, blank=True)
    public_token = models.CharField(max_length=16, unique=True, editable=False)
    # Guarded transitions compare this (optimistic check for the editor's forms).
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["charter", "-number"]
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")
        constraints = [
            models.UniqueConstraint(fields=["charter", "number"], name="charter_version_number"),
            # One version of a charter in the works at a time (drafting to voting).
            models.UniqueConstraint(
                fields=["charter"],
                condition=Q(status__in=["drafting", "consultation", "voting"]),
                name="charter_one_version_in_the_works",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charter} v{self.number}"


class Chapter(models.Model):
    version = models.ForeignKey(
        CharterVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="chapters"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=100)

    class Meta:
        ordering = ["version", "number"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="chapter_number_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Article(models.Model):
    """An article; numbered through the whole version (第一条 … 第N条), as charters are."""

    chapter = models.ForeignKey(
        Chapter, verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="articles"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="+")

    class Meta:
        ordering = ["chapter__number", "number"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return f"{self.number}"


class CommentSource(models.TextChoices):
    PUBLIC = "public", _("Sent on the public page")
    STAFF = "staff", _("Collected by the community")


class CharterComment(models.Model):
    """A resident's comment on a version in consultation (征求意见)."""

    version = models.ForeignKey(
        CharterVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="comments"
    )
    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    text = models.TextField(_("comment"))
    # Optional, for the community to answer; never shown publicly.
    author_name = models.CharField(_("name"), max_length=50, blank=True)
    author_mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=CommentSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.TextField(_("reply"), blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.version_id}: {self.text[:30]}"
