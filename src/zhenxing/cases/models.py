"""Problem cases (案卷) and their closed loop (DOMAIN.md §3).

A case is one black spot, from any source, followed from report to closure.
Its `status` moves only through `cases.services` (guarded, locked, recorded
as a `CaseEvent`); nothing else writes it. "Overdue" is never stored: it is
derived from `deadline` and the status (`CaseQuerySet.overdue`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.territory.selectors import path_prefix_q


class TimeLimitUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    WORKING_DAYS = "working_days", _("working days")


class HandlerKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", _("Department")


class Category(models.Model):
    """A two-level tree: a main category (大类, no parent) and its sub-categories (小类).

    Cases are filed under a sub-category; a main category's settings are the
    defaults its sub-categories show in forms.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("main category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    time_limit = models.PositiveIntegerField(_("time limit"), default=3)
    time_limit_unit = models.CharField(
        _("time limit unit"),
        max_length=20,
        choices=TimeLimitUnit.choices,
        default=TimeLimitUnit.WORKING_DAYS,
    )
    default_handler = models.CharField(
        _("default handler"),
        max_length=20,
        choices=HandlerKind.choices,
        default=HandlerKind.COMMUNITY,
    )
    default_department = models.ForeignKey(
        "people.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="default_for_categories",
    )
    after_photo_required = models.BooleanField(_("after-photo required"), default=True)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate-search radius (m)"), default=50)
    # A new case here within this many days of a closure at the same place is a relapse (回潮).
    relapse_days = models.PositiveIntegerField(_("relapse window (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_per_parent"),
            models.CheckConstraint(
                condition=~Q(default_handler="department") | Q(default_department__isnull=False),
                name="category_department_handler_names_department",
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.name} / {self.name}"
        return self.name

    def time_limit_display(self) -> str:
        return f"{self.time_limit} {self.get_time_limit_unit_display()}"


class Holiday(models.Model):
    """One day of the working calendar that differs from the plain week.

    A public holiday on a weekday has `is_workday=False`; a weekend day made a
    working day (调休) has `is_workday=True`. Every other day follows the
    week: Monday to Friday work, Saturday and Sunday rest.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Source(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    PARTY_PATROL = "party_patrol", _("Party-member patrol")
    RESIDENT = "resident", _("Resident")
    DEPARTMENT = "department", _("Department")
    OFFICE = "office", _("Office")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    RECTIFYING = "rectifying", _("Rectifying")
    RECTIFIED = "rectified", _("Awaiting verification")
    REWORK = "rework", _("Rework")
    DEFERRED = "deferred", _("Deferred")
    CLOSED = "closed", _("Closed")


# The handler's clock runs in these states: a deadline passed here is overdue.
CLOCK_STATES = frozenset({Status.DISPATCHED, Status.RECTIFYING, Status.REWORK})
# A case is finished in these; everything else is open.
FINAL_STATES = frozenset({Status.REJECTED, Status.CLOSED})
OPEN_STATES = frozenset(set(Status) - FINAL_STATES)


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.exclude(status__in=FINAL_STATES)

    def overdue(self, now: datetime.datetime | None = None) -> CaseQuerySet:
        return self.filter(status__in=CLOCK_STATES, deadline__lt=now or timezone.now())

    def due_within(self, hours: int, now: datetime.datetime | None = None) -> CaseQuerySet:
        now = now or timezone.now()
        return self.filter(
            status__in=CLOCK_STATES,
            deadline__gte=now,
            deadline__lt=now + datetime.timedelta(hours=hours),
        )

    def under_any(self, paths: list[str] | None) -> CaseQuerySet:
        """Cases whose area lies under any of these territory paths (None: all, []: none)."""
        return self.filter(path_prefix_q(paths, "region_path"))


class Case(models.Model):
    """One problem (black spot) followed to its end."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REPORTED
    )
    description = models.TextField(_("description"), max_length=2000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    # The area (片区) the location falls in; `region_path` copies its path so
    # that a scope filter is one indexed prefix match with no join.
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="cases"
    )
    region_path = models.CharField(max_length=400, editable=False)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    # For a resident without a login: private, never on a public page.
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_mobile = models.CharField(_("reporter's mobile"), max_length=11, blank=True)
    # How many further reports were added to this case instead of opening duplicates.
    report_count = models.PositiveIntegerField(_("reports"), default=1)

    # Who must rectify: exactly one of these while dispatched (see the check constraint).
    assigned_region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("assigned community or area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    assigned_team = models.ForeignKey(
        "people.WorkTeam",
        verbose_name=_("assigned team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    assigned_department = models.ForeignKey(
        "people.Department",
        verbose_name=_("assigned department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)

    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # 按期结案: rectified by the deadline in force at the last rectification,
    # and never escalated on the way (an overdue spell is not undone by a later
    # send-back or a fresh deadline).
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)

    # 0 none, 1 escalated to the subdistrict office, 2 on the joint-meeting agenda.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    relapse_of = models.ForeignKey(
        "self",
        verbose_name=_("relapse of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relapses",
    )
    # Moves on every transition: a form or API call that names an older
    # version was made against a stale view of the case and is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(assigned_region__isnull=True, assigned_team__isnull=True)
                    | Q(assigned_region__isnull=True, assigned_department__isnull=True)
                    | Q(assigned_team__isnull=True, assigned_department__isnull=True)
                ),
                name="case_one_assignee",
            ),
        ]
        indexes = [
            models.Index(
                fields=["region_path"], name="case_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["status", "deadline"], name="case_status_deadline"),
            models.Index(fields=["category", "status"], name="case_category_status"),
            models.Index(fields=["lat", "lng"], name="case_lat_lng"),
            models.Index(fields=["-reported_at", "-id"], name="case_reported_desc"),
            # Open cases are a few percent of all history: the battle map's open and
            # overdue counts and the queues read them through this small index
            # instead of scanning every case ever reported.
            models.Index(
                fields=["region_path"],
                name="case_open_path",
                condition=~models.Q(status__in=["closed", "rejected"]),
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATES

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        return (
            self.status in CLOCK_STATES
            and self.deadline is not None
            and self.deadline < (now or timezone.now())
        )

    def urgency(self, now: datetime.datetime | None = None) -> str:
        """The UX.md status colour key: overdue, due_soon, progress, verify, closed, rejected."""
        now = now or timezone.now()
        if self.status == Status.REJECTED:
            return "rejected"
        if self.status == Status.CLOSED:
            return "closed"
        if self.status == Status.RECTIFIED:
            return "verify"
        if self.is_overdue(now):
            return "overdue"
        if (
            self.status in CLOCK_STATES
            and self.deadline is not None
            and self.deadline < now + datetime.timedelta(hours=24)
        ):
            return "due_soon"
        return "progress"

    @property
    def assignee(self) -> Any:
        return self.assigned_department or self.assigned_team or self.assigned_region


class EventKind(models.TextChoices):
    REPORTED = "reported", _("Reported")
    REPORT_ADDED = "report_added", _("Further report added")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    STARTED = "started", _("Rectification started")
    RECTIFIED = "rectified", _("Rectified")
    VERIFIED = "verified", _("Verified and closed")
    VERIFY_FAILED = "verify_failed", _("Verification failed")
    SEND_BACK_REQUESTED = "send_back_requested", _("Send-back requested")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    DEFERRAL_REQUESTED = "deferral_requested", _("Deferral requested")
    REQUEST_APPROVED = "request_approved", _("Request approved")
    REQUEST_DENIED = "request_denied", _("Request denied")
    RESUMED = "resumed", _("Resumed after deferral")
    ESCALATED = "escalated", _("Escalated")
    NOTE = "note", _("Note")


class CaseEvent(models.Model):
    """One step in a case's timeline: who did what, from which status to which, and why."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    # What the step set: the assignee, a deadline, a requested date (for the timeline and exports).
    data = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")
    OTHER = "other", _("Other")


class StoredPhoto(models.Model):
    """What every photo keeps, whatever it belongs to (`CasePhoto`, `inspections.InspectionPhoto`).

    `cases.photos.store_original` fills these fields and `ensure_derivatives`
    the derivatives; the subclasses add the links to what the photo shows.
    """

    token = models.CharField(max_length=32, unique=True, editable=False)
    original = models.CharField(max_length=200, editable=False)  # storage key, private
    content_type = models.CharField(max_length=20, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, editable=False)
    # Storage keys of the derivatives, filled by the background task; EXIF stripped.
    display = models.CharField(max_length=200, blank=True, editable=False)
    thumbnail = models.CharField(max_length=200, blank=True, editable=False)
    # Read from EXIF, when the camera wrote them.
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def ready(self) -> bool:
        return bool(self.display and self.thumbnail)


class CasePhoto(StoredPhoto):
    """A photo on a case. The original is private; derivatives carry no EXIF.

    Files are stored under keys made of random tokens, so a URL cannot be
    guessed from another; every photo is served through a view that checks
    the case is visible to the viewer.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="photos"
    )
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.token}"


class RequestKind(models.TextChoices):
    SEND_BACK = "send_back", _("Send back to dispatcher")
    EXTENSION = "extension", _("Extension")
    DEFERRAL = "deferral", _("Deferral")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    # The case was rectified before anyone decided.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CaseRequest(models.Model):
    """A handler's request that needs approval: send back (回退), extension (延期), deferral (缓办).

    At most one request per case is pending at a time.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="requests"
    )
    kind = models.CharField(_("request"), max_length=20, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    reason = models.TextField(_("reason"), max_length=2000)
    # For an extension: the deadline asked for. For a deferral: when work resumes (optional).
    requested_until = models.DateTimeField(_("requested until"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("case request")
        verbose_name_plural = _("case requests")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="one_pending_request_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.status}"


class Escalation(models.Model):
    """An overdue case raised to the subdistrict office (level 1) or the joint meeting (level 2).

    Level-2 rows are the joint meeting's agenda of escalated cases, by the
    department responsible. `resolved_at` is set when the case is no longer a
    handler's overdue work: it closes, or the office approves a send-back or a
    deferral. (Taking an item off the agenda by the meeting's own decision
    belongs to the meetings module, still to come.) The case's
    `escalation_level` stays as the record that it was late.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    department = models.ForeignKey(
        "people.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("escalated"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["case", "level"], name="one_escalation_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} L{self.level}"
