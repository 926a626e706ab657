"""The battle map and the progress plan (一图一表).

- A campaign (专项行动: 三清三拆三整治, 厕所革命, …) has task types, each counted
  in one unit (吨, 处, 平方米, 米, 户).
- The plan table (推进计划表) holds a weekly target per area (片区) and task
  type: "every week a target".
- A daily arrangement (每天有安排) names what a team (and which people) does on
  a day in an area or a street.
- A progress report records a quantity done, with photos, in an area or a
  street on a day.

Every row carries the territory path of its place (`region_path`), so a
roll-up from street to area, cooperative, community and subdistrict is a
prefix match: one rule (`plans.selectors`) serves every page that shows one.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import StoredPhoto


class Unit(models.TextChoices):
    TONNE = "t", _("tonnes")
    SPOT = "spot", _("spots")
    SQUARE_METRE = "m2", _("square metres")
    METRE = "m", _("metres")
    HOUSEHOLD = "household", _("households")


class Campaign(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TaskType(models.Model):
    """What is counted in a campaign (清理垃圾 in 吨, 拆除违建 in 平方米 …)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="task_types"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["campaign", "order", "code"]
        verbose_name = _("task type")
        verbose_name_plural = _("task types")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="task_type_code_per_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.name} / {self.name}" if self.campaign_id else self.name


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


class WeeklyTarget(models.Model):
    """每周有目标: the quantity an area is to reach for a task type in one ISO week."""

    area = models.ForeignKey(
        "territory.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=400, editable=False)
    task_type = models.ForeignKey(
        TaskType, verbose_name=_("task type"), on_delete=models.PROTECT, related_name="targets"
    )
    # The Monday of the week.
    week = models.DateField(_("week"))
    quantity = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["week", "region_path"]
        verbose_name = _("weekly target")
        verbose_name_plural = _("weekly targets")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "task_type", "week"], name="one_target_per_area_task_week"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="target_not_negative"),
        ]
        indexes = [
            models.Index(
                fields=["region_path"], name="target_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["week", "task_type"], name="target_week_task"),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.area_id} {self.quantity}"


class ArrangementStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Arrangement(models.Model):
    """每天有安排: a team (and people) arranged to work on a task in an area or street on a day.

    Late: a planned arrangement whose day has passed without being reported done.
    """

    date = models.DateField(_("date"))
    # An area or a street (街巷) under it.
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=400, editable=False)
    task_type = models.ForeignKey(
        TaskType,
        verbose_name=_("task type"),
        on_delete=models.PROTECT,
        related_name="arrangements",
    )
    team = models.ForeignKey(
        "people.WorkTeam",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="arrangements",
    )
    # People with a login (they see it on their board) and names of those without one.
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("people"), blank=True, related_name="+"
    )
    people_names = models.CharField(_("other people"), max_length=200, blank=True)
    planned_quantity = models.DecimalField(
        _("planned quantity"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("what to do"), max_length=500, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ArrangementStatus.choices,
        default=ArrangementStatus.PLANNED,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arranged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "region_path", "pk"]
        verbose_name = _("daily arrangement")
        verbose_name_plural = _("daily arrangements")
        indexes = [
            models.Index(
                fields=["region_path"],
                name="arrangement_path_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["date", "status"], name="arrangement_date_status"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.region_id} {self.task_type_id}"


class ProgressReport(models.Model):
    """A quantity done for a task in an area or a street on a day (with photos)."""

    date = models.DateField(_("date"))
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=400, editable=False)
    task_type = models.ForeignKey(
        TaskType, verbose_name=_("task type"), on_delete=models.PROTECT, related_name="reports"
    )
    quantity = models.DecimalField(_("quantity done"), max_digits=12, decimal_places=2)
    arrangement = models.ForeignKey(
        Arrangement,
        verbose_name=_("arrangement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    team = models.ForeignKey(
        "people.WorkTeam",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="progress_reports",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="report_not_negative"),
        ]
        indexes = [
            models.Index(
                fields=["region_path"], name="report_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["date", "task_type"], name="report_date_task"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.region_id} {self.quantity}"


class ProgressPhoto(StoredPhoto):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="photos"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")

    def __str__(self) -> str:
        return self.token
