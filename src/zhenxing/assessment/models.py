"""Assessment (综合评价, 绩效考核): periods, schemes, score snapshots, red and black lists,
rewards and criticism, and the weekly circular (每周通报).

The indicators themselves (DOMAIN.md §4) are computed by
`assessment.indicators` from live cases and inspections. When a period is
closed its scores are written here as `ScoreSnapshot` rows, which nothing
ever edits: a later change to a case does not rewrite a published ranking.
A recompute is an explicit, audited service that supersedes the old rows
and keeps them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Period(models.Model):
    """A span of days [start, end) that is assessed: an ISO week, a month, a quarter or a year."""

    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("day after the last"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-start", "kind"]
        verbose_name = _("assessment period")
        verbose_name_plural = _("assessment periods")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start"], name="period_kind_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="period_not_empty"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        from zhenxing.assessment.periods import period_label

        return period_label(self.kind, self.start)


class UnitKind(models.TextChoices):
    """What is assessed (DOMAIN.md §4).

    A post holder is a party member holding a responsibility post
    (`zhenxing.posts`): assessed on the cases raised at the posts they held.
    """

    COMMUNITY = "community", _("Community")
    AREA = "area", _("Area")
    DEPARTMENT = "department", _("Department")
    POST_HOLDER = "post_holder", _("Post holder")


class Indicator(models.TextChoices):
    """DOMAIN.md §4. Rates are fractions 0..1; the inspection score is 0..100."""

    CLOSURE_RATE = "closure_rate", _("Closure rate")
    ON_TIME_RATE = "on_time_rate", _("On-time closure rate")
    REWORK_RATE = "rework_rate", _("Rework rate")
    OVERDUE_RATE = "overdue_rate", _("Overdue rate")
    RELAPSE_RATE = "relapse_rate", _("Relapse rate")
    INSPECTION_SCORE = "inspection_score", _("Inspection score")
    PARTICIPATION = "participation", _("Participation")


class Scheme(models.Model):
    """How the indicators combine into one composite score (weights are configuration).

    Exactly one scheme is active; snapshots name the scheme they were made with.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    # Person-times per 1,000 residents that earn full marks for participation.
    participation_target = models.DecimalField(
        _("participation for full marks (person-times per 1,000 residents)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("100"),
    )
    # The minimum of evidence before a unit is ranked (docs/assessment.md, "Ranking"): without
    # it, indicators without data drop out of the weighting and a unit with a handful of
    # cases, or none inspected, can top the ranking on one or two figures alone.
    min_cases_to_rank = models.PositiveSmallIntegerField(
        _("cases needed to be ranked without an inspection score"),
        default=3,
        help_text=_(
            "A unit without an inspection score in the period is ranked only if at least this "
            "many distinct cases count in its indicators."
        ),
    )
    inspection_required_to_rank = models.BooleanField(
        _("an inspection score is needed to be ranked"),
        default=True,
        help_text=_(
            "Communities and areas without an inspection score in the period are not ranked "
            "(departments are never inspected: this does not apply to them)."
        ),
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_scheme"
            )
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorWeight(models.Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="weights"
    )
    indicator = models.CharField(_("indicator"), max_length=30, choices=Indicator.choices)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["scheme", "indicator"]
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator"], name="weight_once_per_scheme"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} {self.weight}"


class ScoreSnapshot(models.Model):
    """A unit's indicators and composite for a closed period, as computed then. Never edited.

    `values` holds, per indicator, {"num", "den", "value", "score"}; `evidence`
    the case numbers and inspection ids behind them, so that a published score
    can still be explained after the cases moved on.
    """

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="snapshots"
    )
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="snapshots"
    )
    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    # The region code or the department code.
    unit_key = models.CharField(_("unit"), max_length=40)
    unit_name = models.CharField(_("unit name"), max_length=100)
    # The unit's territory path (for scope filters); blank for a department.
    unit_path = models.CharField(max_length=400, blank=True)
    values = models.JSONField(_("indicators"), default=dict)
    composite = models.DecimalField(
        _("composite score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("computed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set when an audited recompute replaced this row; the row itself is kept.
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        ordering = ["period", "unit_kind", "rank", "unit_key"]
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit_kind", "unit_key"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_snapshot_per_unit",
            )
        ]
        indexes = [
            models.Index(fields=["period", "unit_kind", "superseded_at"], name="snapshot_lookup")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.unit_name} {self.composite}"


class ListKind(models.TextChoices):
    RED = "red", _("Red list")
    BLACK = "black", _("Black list")


class ListRule(models.Model):
    """How a red list (红榜) or black list (黑榜) is drawn from a period's ranking.

    A unit is listed if it is within the top N (red) or bottom N (black), or
    its composite is at or above `min_composite` (red) or below
    `max_composite` (black); any rule field left empty does not apply.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices)
    top_n = models.PositiveSmallIntegerField(_("top N"), null=True, blank=True)
    bottom_n = models.PositiveSmallIntegerField(_("bottom N"), null=True, blank=True)
    min_composite = models.DecimalField(
        _("composite at least"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    max_composite = models.DecimalField(
        _("composite below"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["period_kind", "unit_kind", "kind", "name"]
        verbose_name = _("list rule")
        verbose_name_plural = _("list rules")

    def __str__(self) -> str:
        return self.name


class ListEntry(models.Model):
    """A unit on a period's red or black list, drawn by a rule when the period closed."""

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="list_entries"
    )
    rule = models.ForeignKey(
        ListRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    unit_key = models.CharField(_("unit"), max_length=40)
    unit_name = models.CharField(_("unit name"), max_length=100)
    unit_path = models.CharField(max_length=400, blank=True)
    composite = models.DecimalField(
        _("composite score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        ordering = ["period", "kind", "rank"]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")

    def __str__(self) -> str:
        return f"{self.period} {self.get_kind_display()} {self.unit_name}"


class IncentiveKind(models.TextChoices):
    COMMENDATION = "commendation", _("Commendation")
    CRITICISM = "criticism", _("Criticism in a circular")
    INTERVIEW = "interview", _("Interview (约谈)")


class IncentiveRecord(models.Model):
    """A commendation, a criticism or an interview (约谈) of a community and/or a cadre."""

    kind = models.CharField(_("kind"), max_length=20, choices=IncentiveKind.choices)
    period = models.ForeignKey(
        Period,
        verbose_name=_("period"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incentives",
    )
    community = models.ForeignKey(
        "territory.Region",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cadre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incentive_records",
    )
    date = models.DateField(_("date"))
    reason = models.TextField(_("reason"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("reward or criticism")
        verbose_name_plural = _("rewards and criticism")
        constraints = [
            models.CheckConstraint(
                condition=Q(community__isnull=False) | Q(cadre__isnull=False),
                name="incentive_names_someone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.community or self.cadre}"


class CircularStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Circular(models.Model):
    """A circular (通报) for a period: drafted from the figures, edited by the office, published.

    A draft's figures are computed when shown; publishing freezes them in
    `content` (and a copy without personal data in `public_content`), so the
    document reads the same for ever after.
    """

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="circulars"
    )
    # The territory it covers (the subdistrict); its inspections are released on publishing.
    scope = models.ForeignKey(
        "territory.Region", verbose_name=_("covers"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("document number"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    issuing_body = models.CharField(_("issuing body"), max_length=100)
    issue_date = models.DateField(_("date of issue"))
    narrative = models.TextField(_("text"), max_length=20000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CircularStatus.choices, default=CircularStatus.DRAFT
    )
    content = models.JSONField(_("figures"), default=dict, blank=True)
    public_content = models.JSONField(_("public version"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-period__start", "-pk"]
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "scope"],
                condition=Q(status="published"),
                name="one_published_circular_per_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_published(self) -> bool:
        return self.status == CircularStatus.PUBLISHED
