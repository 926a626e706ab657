"""Party members' responsibility posts (无职党员责任岗), their claims, patrols and the red grid.

A post is a duty bound to a place (an area, a street, a river section, a
relic) that party members claim; many members may hold one post, and a
claim keeps its dates so the history of who held a post when is never lost.
A patrol is one check-in by a member at a post they hold (one person-time).
The red grid (红色网格) assigns party members to the battle-map areas.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.cases.models import StoredPhoto


class PostType(models.Model):
    """A kind of post (卫生监督, 河涌保洁, 文物保护, 绿化卫生巡查, 门前三包, …): data, not code."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    # The duties a new post of this type starts with; each post may reword them.
    duties = models.TextField(_("standard duties"), blank=True)
    # What a problem found on such a post usually is: the patrol form's first choice.
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("usual problem category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("post type")
        verbose_name_plural = _("post types")

    def __str__(self) -> str:
        return self.name


class PlaceKind(models.TextChoices):
    AREA = "area", _("Area")
    STREET = "street", _("Street or lane")
    RIVER = "river", _("River section")
    RELIC = "relic", _("Cultural relic")
    OTHER = "other", _("Other place")


class Post(models.Model):
    """A responsibility post: a duty at a place, claimed by party members."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    post_type = models.ForeignKey(
        PostType, verbose_name=_("post type"), on_delete=models.PROTECT, related_name="posts"
    )
    # The smallest region the place lies in (an area, a street, or the
    # community for a river section that crosses areas). Scope follows it.
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    place_kind = models.CharField(
        _("kind of place"), max_length=10, choices=PlaceKind.choices, default=PlaceKind.AREA
    )
    place_name = models.CharField(_("place"), max_length=100, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    duties = models.TextField(_("duties"))
    organization = models.ForeignKey(
        "people.PartyOrganization",
        verbose_name=_("party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    # The sign's QR code leads to /public/posts/<public_token>/: random, so the
    # public pages cannot be walked by counting.
    public_token = models.CharField(max_length=16, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["region__path", "code"]
        verbose_name = _("responsibility post")
        verbose_name_plural = _("responsibility posts")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Tenure(models.Model):
    """A party member's time in a place of duty: from `started_on` until `ended_on` (open
    while NULL). Ending one keeps the row, so the history of who served when stays."""

    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


def tenure_constraints(place: str, name: str) -> list[models.BaseConstraint]:
    """A member holds a place of duty once at a time, and a tenure ends after it starts."""
    return [
        models.UniqueConstraint(
            fields=[place, "member"],
            condition=Q(ended_on__isnull=True),
            name=f"{name}_open_once",
        ),
        models.CheckConstraint(
            condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
            name=f"{name}_ends_after_start",
        ),
    ]


class PostClaim(Tenure):
    """A party member holding a post (认岗) from `started_on` until `ended_on`."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="claims"
    )
    member = models.ForeignKey(
        "people.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="post_claims",
    )
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)

    class Meta:
        ordering = ["post", "-started_on", "pk"]
        verbose_name = _("post claim")
        verbose_name_plural = _("post claims")
        constraints = tenure_constraints("post", "post_claim")

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.post_id} {self.started_on}–{self.ended_on or ''}"


class GridRole(models.TextChoices):
    LEADER = "leader", _("Red-grid leader")
    MEMBER = "member", _("Red-grid member")


class GridAssignment(Tenure):
    """红色网格: a party member serving an area (片区) as a grid member, with dates."""

    area = models.ForeignKey(
        "territory.Region",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    member = models.ForeignKey(
        "people.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    role = models.CharField(_("role"), max_length=10, choices=GridRole.choices)

    class Meta:
        ordering = ["area__path", "role", "pk"]
        verbose_name = _("red-grid assignment")
        verbose_name_plural = _("red-grid assignments")
        constraints = tenure_constraints("area", "grid_assignment")

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.area_id} {self.role}"


class Patrol(models.Model):
    """One check-in by a member at a post they hold: one person-time of party work."""

    member = models.ForeignKey(
        "people.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="patrols"
    )
    # Copied from the post and the member when the patrol is recorded, so the
    # monthly figures count a patrol where and for whom it happened even after
    # a post moves or a member changes organisation.
    region_path = models.CharField(max_length=400, editable=False)
    organization = models.ForeignKey(
        "people.PartyOrganization",
        verbose_name=_("party organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrols",
    )
    at = models.DateTimeField(_("checked in"), db_index=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    note = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        indexes = [
            models.Index(
                fields=["region_path", "at"],
                name="patrol_path_at",
                opclasses=["varchar_pattern_ops", ""],
            ),
            models.Index(fields=["member", "at"], name="patrol_member_at"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.post_id} {self.at:%Y-%m-%d %H:%M}"


class PatrolPhoto(StoredPhoto):
    """A photo taken on a patrol; served only to those who may see the patrol."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="photos"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("patrol photo")
        verbose_name_plural = _("patrol photos")

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.token}"


class CaseOrigin(models.TextChoices):
    PATROL = "patrol", _("Found on a patrol")
    RESIDENT = "resident", _("Reported by a resident at the post")


class PostCase(models.Model):
    """A case raised at a post: found on a patrol, or reported by a resident via the sign."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="post_cases"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="post_link"
    )
    origin = models.CharField(_("origin"), max_length=10, choices=CaseOrigin.choices)
    patrol = models.ForeignKey(
        Patrol,
        verbose_name=_("patrol"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="post_cases",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("case at a post")
        verbose_name_plural = _("cases at posts")

    def __str__(self) -> str:
        return f"{self.post_id} → {self.case_id}"
