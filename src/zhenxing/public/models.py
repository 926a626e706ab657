"""The public exposure board (曝光台): what the office chose to show, and residents' reports.

Nothing here is a copy of a case's private data: a publication holds the
text the office wrote for the public and photos re-encoded from pixels
(cropped, redacted, no metadata). Pages read the case's live status, so the
board shows progress without the office publishing again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import Case, CasePhoto, PhotoKind


class Publication(models.Model):
    """One case on the exposure board. Unpublishing keeps the row; pages check `is_published`."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="publication"
    )
    is_published = models.BooleanField(_("published"), default=False)
    title = models.CharField(_("public title"), max_length=80)
    # Written for the public by the office; mobile numbers are masked on save
    # whatever the office typed.
    description = models.TextField(_("public description"), max_length=1000, blank=True)
    # A place a resident recognises (community and area), never a house number.
    place = models.CharField(_("public place"), max_length=100)
    before_photo = models.ForeignKey(
        "PublicPhoto",
        verbose_name=_("before photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    after_photo = models.ForeignKey(
        "PublicPhoto",
        verbose_name=_("after photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The generated before | after JPEG for official accounts (storage key, private storage);
    # empty until made, remade whenever a photo or the text changes.
    share_image = models.CharField(max_length=200, blank=True, editable=False)
    first_published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unpublished_at = models.DateTimeField(_("unpublished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        indexes = [
            models.Index(fields=["is_published", "published_at"], name="publication_board"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.title}"


class PublicPhoto(models.Model):
    """A public copy of one case photo: cropped and redacted by the office, re-encoded.

    The files are made from pixels only (no EXIF, no comment, no ICC profile)
    and stored under a fresh random token, unrelated to the source photo's
    token. A public photo is served only while it is the current before or
    after photo of a published publication, so an old or altered URL reaches
    nothing.
    """

    publication = models.ForeignKey(
        Publication,
        verbose_name=_("publication"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    source = models.ForeignKey(
        CasePhoto,
        verbose_name=_("source photo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="public_copies",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)
    token = models.CharField(max_length=32, unique=True, editable=False)
    # Storage keys (private storage), served only through the public photo view.
    image = models.CharField(max_length=200, editable=False)
    thumbnail = models.CharField(max_length=200, editable=False)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # Fractions (0–1) of the source image after orientation: {"x", "y", "w", "h"}.
    crop = models.JSONField(_("crop"), default=dict, blank=True)
    # Rectangles blacked out, as fractions of the cropped image: [{"x", "y", "w", "h"}, …].
    redactions = models.JSONField(_("redactions"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("public photo")
        verbose_name_plural = _("public photos")

    def __str__(self) -> str:
        return f"{self.publication_id} {self.kind} {self.token}"


class ReportChannel(models.TextChoices):
    WEB = "web", _("Public form")
    OPEN311 = "open311", _("Open311 client")


class ResidentReport(models.Model):
    """How a resident's report came in, and the tracking code they follow it by.

    The tracking code is also the GeoReport `token` for reports filed through
    Open311. It is random, so knowing one code tells nothing of another.
    """

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="resident_report"
    )
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=ReportChannel.choices)
    open311_client = models.ForeignKey(
        "open311.Open311Client",
        verbose_name=_("Open311 client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")

    def __str__(self) -> str:
        return f"{self.tracking_code} → {self.case_id}"
