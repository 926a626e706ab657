from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change made through a service: who did what to which object, from where.

    Rows are only ever inserted (by `zhenxing.core.audit.record`); the admin
    and the audit page are read-only.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept beside the foreign key so the row still says who acted after the
    # account is deleted.
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("client IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at) if self.created_at else None
        return f"{when:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class PeriodicRun(models.Model):
    """Marks that a periodic job was enqueued for one time slot.

    The unique constraint lets several workers run the scheduler without
    enqueueing the same job twice for the same slot.
    """

    name = models.CharField(max_length=100)
    slot = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"


class RateLimitHit(models.Model):
    """How many times one client used one limited thing in one fixed time window.

    Kept in the database, not in a per-process cache, so that every worker of
    every server counts against the same limit (`zhenxing.core.ratelimit`).
    `client` is a keyed hash of the IP address or API key, never the address.
    """

    scope = models.CharField(max_length=40)
    client = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "client", "window_start"], name="rate_limit_hit_once"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="rate_limit_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.client[:8]} {self.window_start:%Y-%m-%d %H:%M} ×{self.count}"
