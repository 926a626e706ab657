"""Daily covert inspections (每日暗检): templates, rounds, scores and findings.

- A template is a checklist of items with point deductions, for one type of
  area. Templates are versioned: an active or retired version never changes
  (`services` refuse it); a change is a new version, and every inspection
  keeps the exact version it was scored with, so an old score is always
  explained by the items that made it.
- The office plans a round for a day: which areas (chosen or drawn at
  random), which inspectors. Each area of a round is one `Inspection`, scored
  once by an inspector on a phone; each deduction is a `Finding`, which can
  open a case (source: inspection) in one tap.
- Results are embargoed (暗检): the inspected community sees a score only
  after the circular covering its date is published, which stamps
  `released_at` (`inspections.permissions` enforces it).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import StoredPhoto


class AreaType(models.Model):
    """A kind of area that is inspected against its own checklist (村居, 道路, 河涌, 农田 …)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("area type")
        verbose_name_plural = _("area types")

    def __str__(self) -> str:
        return self.name


class AreaTypeMembership(models.Model):
    """Which type an area (片区) is. An area without one is scored with the general template."""

    area = models.OneToOneField(
        "territory.Region",
        verbose_name=_("area"),
        on_delete=models.CASCADE,
        related_name="inspection_area_type",
    )
    area_type = models.ForeignKey(
        AreaType, verbose_name=_("area type"), on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        verbose_name = _("area's type")
        verbose_name_plural = _("areas' types")

    def __str__(self) -> str:
        return f"{self.area} · {self.area_type}"


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In use")
    RETIRED = "retired", _("Retired")


class InspectionTemplate(models.Model):
    """One version of a checklist. `code` is shared by all versions of the same checklist."""

    code = models.CharField(_("code"), max_length=20)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    # None: the general template, for areas of a type that has no template of its own.
    area_type = models.ForeignKey(
        AreaType,
        verbose_name=_("area type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="templates",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    full_score = models.DecimalField(
        _("full score"), max_digits=6, decimal_places=2, default=Decimal("100")
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("in use since"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("inspection template")
        verbose_name_plural = _("inspection templates")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="template_code_version"),
            # One version of a checklist in use at a time …
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="active"), name="template_one_active_version"
            ),
            # … and one checklist in use per area type (the general one included:
            # NULLs are distinct in a plain unique constraint, hence the second).
            models.UniqueConstraint(
                fields=["area_type"],
                condition=Q(status="active", area_type__isnull=False),
                name="template_one_active_per_area_type",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active", area_type__isnull=True),
                name="template_one_active_general",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == TemplateStatus.DRAFT


class TemplateItem(models.Model):
    """One line of a checklist: what is counted and its cost (暴露垃圾 −2 per spot, at most −10)."""

    template = models.ForeignKey(
        InspectionTemplate,
        verbose_name=_("template"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=20)
    text = models.CharField(_("item"), max_length=200)
    unit = models.CharField(_("unit"), max_length=10, default="处")
    points_per_unit = models.DecimalField(_("points per unit"), max_digits=5, decimal_places=2)
    # None: no cap on this item (the score still never falls below zero).
    max_deduction = models.DecimalField(
        _("most points deducted"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    # The case category a finding on this item opens a case under.
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("case category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_items",
    )

    class Meta:
        ordering = ["template", "order", "code"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="template_item_code"),
            models.CheckConstraint(
                condition=Q(points_per_unit__gt=0), name="template_item_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def deduction_for(self, count: int) -> Decimal:
        """Points deducted for `count` units of this item, capped at `max_deduction`."""
        points = self.points_per_unit * count
        if self.max_deduction is not None:
            points = min(points, self.max_deduction)
        return points


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CANCELLED = "cancelled", _("Cancelled")


class InspectionRound(models.Model):
    """A day's covert inspection: the areas to visit and the inspectors who visit them.

    Only the office and the round's inspectors ever see a round: a community
    that could see the plan could prepare for it.
    """

    date = models.DateField(_("date"), db_index=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # The region the areas were chosen or drawn from (the subdistrict, a community).
    scope = models.ForeignKey(
        "territory.Region", verbose_name=_("drawn from"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.PLANNED
    )
    # A random draw is recorded with its seed, so that anyone can re-run it
    # and see the areas were not picked by hand.
    drawn = models.BooleanField(_("areas drawn at random"), default=False)
    draw_seed = models.CharField(_("draw seed"), max_length=64, blank=True)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), related_name="inspection_rounds"
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")

    def __str__(self) -> str:
        return self.title or f"{self.date}"


class InspectionStatus(models.TextChoices):
    PENDING = "pending", _("To inspect")
    SUBMITTED = "submitted", _("Scored")
    # Not counted: the round was cancelled, or the office voided the score (with a reason).
    VOID = "void", _("Void")


class InspectionQuerySet(models.QuerySet):
    def scored(self) -> InspectionQuerySet:
        """The inspections that count: submitted and not voided."""
        return self.filter(status=InspectionStatus.SUBMITTED)

    def released(self) -> InspectionQuerySet:
        return self.filter(released_at__isnull=False)

    def between(self, start: object, end: object) -> InspectionQuerySet:
        """Inspected on a day in [start, end)."""
        return self.filter(date__gte=start, date__lt=end)

    def under_any(self, paths: list[str] | None) -> InspectionQuerySet:
        from zhenxing.territory.selectors import path_prefix_q

        return self.filter(path_prefix_q(paths, "area_path"))


class Inspection(models.Model):
    """One area of a round, scored once: full score minus the deductions, never below 0."""

    round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    area = models.ForeignKey(
        "territory.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    # Copies of the area's path and the round's date: scope and period filters
    # are then one indexed match each, with no join.
    area_path = models.CharField(max_length=400, editable=False)
    date = models.DateField(_("date"), editable=False)
    template = models.ForeignKey(
        InspectionTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspections",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InspectionStatus.choices,
        default=InspectionStatus.PENDING,
    )
    deduction = models.DecimalField(
        _("points deducted"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    # The device's position when the score was submitted (evidence the inspector was there).
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)
    # Set when a published circular covers this inspection: the embargo is lifted.
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "area_path"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "area"], name="inspection_area_once_per_round"
            ),
        ]
        indexes = [
            models.Index(
                fields=["area_path"],
                name="inspection_path_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["date", "status"], name="inspection_date_status"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.area_id}"


class Finding(models.Model):
    """A deduction on one item of the checklist, with the count seen and the points it cost."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="findings"
    )
    item = models.ForeignKey(
        TemplateItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="findings"
    )
    count = models.PositiveIntegerField(_("count"), default=1)
    deduction = models.DecimalField(_("points deducted"), max_digits=6, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_findings",
    )

    class Meta:
        ordering = ["inspection", "item__order", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="finding_item_once"),
            models.CheckConstraint(condition=Q(count__gt=0), name="finding_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} ×{self.count}"


class InspectionPhoto(StoredPhoto):
    """A photo taken while scoring; stored and served like a case photo (private, no EXIF)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="photos"
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self) -> str:
        return self.token
