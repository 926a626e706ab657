from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers: 11 digits starting with 1[3-9].
mobile_validator = RegexValidator(
    r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, such as 13800138000.")
)


class User(AbstractUser):
    """A login. Staff log in with their username or their mobile number."""

    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[mobile_validator],
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("Subdistrict office admin")
    SECRETARY = "secretary", _("Community secretary / cadre")
    INSPECTOR = "inspector", _("Inspector")
    PARTY_MEMBER = "party_member", _("Party member")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    TEAM_LEADER = "team_leader", _("Team leader")


# Roles held on a department rather than on a region of the territory.
DEPARTMENT_ROLES = {Role.DEPARTMENT_STAFF}


class Department(models.Model):
    """A functional department (职能部门) that sits in the joint meeting."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    in_joint_meeting = models.BooleanField(_("member of the joint meeting"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A user holds a role on a region (scope: its subtree) or on a department."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    title = models.CharField(_("title"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(region__isnull=False, department__isnull=True)
                    | Q(region__isnull=True, department__isnull=False)
                ),
                name="role_on_region_xor_department",
            ),
            # One constraint per kind of role: a single one over region and
            # department never fires, as one of the two is always NULL and
            # NULLs are distinct in SQL.
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="role_unique_per_region",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(department__isnull=False),
                name="role_unique_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region or self.department}"


class PartyOrganization(models.Model):
    """A party organisation (党委 / 党总支 / 党支部): its own tree, beside the territory."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General branch")
        BRANCH = "branch", _("Branch")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=400, unique=True)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organizations",
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        indexes = [
            models.Index(
                fields=["path"], name="partyorg_path_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    """A party member. Many have no login; `user` links the ones who do."""

    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[mobile_validator],
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("party organisation"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="party_members",
    )
    joined_on = models.DateField(_("joined the party"), null=True, blank=True)
    holds_office = models.BooleanField(_("holds an office"), default=False)
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )

    class Meta:
        ordering = ["region__path", "name"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self) -> str:
        return self.name


class WorkTeam(models.Model):
    """A work team (工作队伍) that receives daily arrangements in a community."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="work_teams",
    )
    leader = models.ForeignKey(
        User,
        verbose_name=_("leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    headcount = models.PositiveIntegerField(_("people"), default=0)

    class Meta:
        ordering = ["region__path", "name"]
        verbose_name = _("work team")
        verbose_name_plural = _("work teams")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="team_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token for /api/v1/ (field apps, integrations). Only its hash is stored.

    The full token is shown once, when it is made; `prefix` lets its owner
    tell tokens apart afterwards.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
