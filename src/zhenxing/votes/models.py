"""Voting bodies with their rules, sessions with a frozen roll, motions, and chained ballots.

A session (表决会议) of a body (村民会议, 村民代表会议, 村民小组会议, 股东(代表)大会)
has its own roll of electors, imported before it opens and frozen when it
opens. Each motion (a charter's adoption, or a resolution such as a subsidy)
has options. A ballot is one elector's choice on one motion, entered from
paper by a teller and confirmed by a second teller, or cast on a phone with a
one-time code; one elector has one ballot per motion across both channels.
Ballots are never changed: each carries the hash of the one before it in its
session, so a published tally can be re-verified (`zhenxing votes verify`).
The quorum and majority rules are rows with their legal reference; a session
copies them when it opens, so a published result keeps the rules it was
decided by.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BodyKind(models.TextChoices):
    VILLAGERS = "villagers", _("Villagers' meeting (村民会议)")
    REPRESENTATIVES = "representatives", _("Villagers' representatives' meeting (村民代表会议)")
    GROUP = "group", _("Villagers' group meeting (村民小组会议)")
    SHAREHOLDERS = "shareholders", _("Shareholders' (representatives') meeting (股东(代表)大会)")


class Basis(models.TextChoices):
    """What is counted."""

    HEADCOUNT = "headcount", _("Headcount")
    HOUSEHOLDS = "households", _("Households")
    SHARES = "shares", _("Shares")


class Base(models.TextChoices):
    """What a count is compared with."""

    ROLL = "roll", _("All on the roll")
    PRESENT = "present", _("Those present")


class Threshold(models.TextChoices):
    # Simple: more for than against among those who chose either; the base does not apply.
    SIMPLE = "simple", _("Simple majority (more for than against)")
    # Absolute: more than half of the base (过半数).
    ABSOLUTE = "absolute", _("More than half")
    # Two-thirds: two-thirds of the base or more (三分之二以上, which includes two-thirds).
    TWO_THIRDS = "two_thirds", _("Two-thirds or more")


class RulePurpose(models.TextChoices):
    QUORUM = "quorum", _("Quorum")
    MAJORITY = "majority", _("Majority")


class VotingBody(models.Model):
    """A body that votes: its kind, where it sits, and (in `rules`) how it decides."""

    kind = models.CharField(_("kind"), max_length=20, choices=BodyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    # A community (村民会议), or a cooperative below it (股东大会 of an 经济社).
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="voting_bodies",
    )
    # 一名村民接受委托不得超过三人 is common; configurable with the rules.
    max_proxies_per_agent = models.PositiveSmallIntegerField(
        _("proxies one elector may hold"), default=3
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["region__path", "kind", "name"]
        verbose_name = _("voting body")
        verbose_name_plural = _("voting bodies")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="voting_body_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class VoteRule(models.Model):
    """One quorum or majority rule of a body, with its legal reference.

    A quorum is met when ANY of the body's quorum rules is met (村民会议: more
    than half of the adults, or two-thirds of the households); a motion passes
    when ALL of the majority rules are met.
    """

    body = models.ForeignKey(
        VotingBody, verbose_name=_("voting body"), on_delete=models.CASCADE, related_name="rules"
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=RulePurpose.choices)
    basis = models.CharField(_("counted by"), max_length=12, choices=Basis.choices)
    base = models.CharField(_("of"), max_length=10, choices=Base.choices, default=Base.ROLL)
    threshold = models.CharField(_("threshold"), max_length=12, choices=Threshold.choices)
    legal_reference = models.CharField(_("legal reference"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["body", "purpose", "order", "pk"]
        verbose_name = _("voting rule")
        verbose_name_plural = _("voting rules")

    def __str__(self) -> str:
        return f"{self.purpose}: {self.threshold} of {self.basis} ({self.base})"


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("In preparation")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Closed, result published")


class VotingSession(models.Model):
    body = models.ForeignKey(
        VotingBody, verbose_name=_("voting body"), on_delete=models.PROTECT, related_name="sessions"
    )
    title = models.CharField(_("title"), max_length=150)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    # Users who enter and confirm paper ballots (唱票/计票); a ballot needs two of them.
    tellers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("tellers"), blank=True, related_name="+"
    )
    roll_frozen_at = models.DateTimeField(_("roll frozen"), null=True, blank=True)
    # The body's rules as they stood when voting opened (a list of dicts).
    rules_snapshot = models.JSONField(_("rules applied"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The published result and ballot chain are read at /public/votes/<public_token>/.
    public_token = models.CharField(max_length=16, unique=True, editable=False)
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
        ordering = ["-held_on", "-pk"]
        verbose_name = _("voting session")
        verbose_name_plural = _("voting sessions")

    def __str__(self) -> str:
        return self.title


class Elector(models.Model):
    """One person on a session's roll. The ID number itself is never stored: only its keyed
    hash (`votes.identity.id_hash`), which finds duplicates and the same person again."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="electors"
    )
    name = models.CharField(_("name"), max_length=50)
    id_hash = models.CharField(_("ID number (hashed)"), max_length=64)
    born_on = models.DateField(_("born on"), null=True, blank=True)
    household = models.CharField(_("household"), max_length=40)
    group_name = models.CharField(_("villagers' group"), max_length=40, blank=True)
    shares = models.DecimalField(_("shares"), max_digits=12, decimal_places=4, default=Decimal("0"))
    is_representative = models.BooleanField(_("representative"), default=False)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    row_number = models.PositiveIntegerField(_("row in the roll"), default=0)

    class Meta:
        ordering = ["session", "row_number", "pk"]
        verbose_name = _("elector")
        verbose_name_plural = _("electors")
        constraints = [
            models.UniqueConstraint(fields=["session", "id_hash"], name="elector_once_per_roll")
        ]

    def __str__(self) -> str:
        return self.name


class AttendanceVia(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PROXY = "proxy", _("By proxy")


class Attendance(models.Model):
    """An elector present at the session, in person or through a proxy (到会)."""

    session = models.ForeignKey(
        VotingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    elector = models.ForeignKey(
        Elector, verbose_name=_("elector"), on_delete=models.CASCADE, related_name="attendance"
    )
    via = models.CharField(_("present"), max_length=10, choices=AttendanceVia.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["session", "elector__row_number"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "elector"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.elector_id} {self.via}"


class Proxy(models.Model):
    """委托投票: `agent` votes for `principal` in this session (a written proxy, recorded)."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="proxies"
    )
    principal = models.ForeignKey(
        Elector, verbose_name=_("principal"), on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        Elector, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="+"
    )
    document = models.CharField(_("proxy document"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["session", "principal__row_number"]
        verbose_name = _("proxy")
        verbose_name_plural = _("proxies")
        constraints = [
            models.UniqueConstraint(fields=["session", "principal"], name="proxy_once"),
            models.CheckConstraint(
                condition=~Q(principal=models.F("agent")), name="proxy_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} for {self.principal_id}"


class MotionKind(models.TextChoices):
    CHARTER = "charter", _("Adoption of a charter")
    RESOLUTION = "resolution", _("Resolution")


class Motion(models.Model):
    session = models.ForeignKey(
        VotingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="motions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=12, choices=MotionKind.choices)
    title = models.CharField(_("title"), max_length=150)
    text = models.TextField(_("text"), blank=True)
    charter_version = models.ForeignKey(
        "charters.CharterVersion",
        verbose_name=_("charter version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="motions",
    )

    class Meta:
        ordering = ["session", "number"]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="motion_number"),
            models.CheckConstraint(
                condition=Q(kind="charter", charter_version__isnull=False)
                | Q(kind="resolution", charter_version__isnull=True),
                name="motion_charter_iff_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Meaning(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class MotionOption(models.Model):
    motion = models.ForeignKey(
        Motion, verbose_name=_("motion"), on_delete=models.CASCADE, related_name="options"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("label"), max_length=50)
    meaning = models.CharField(_("counts as"), max_length=10, choices=Meaning.choices)

    class Meta:
        ordering = ["motion", "order", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")
        constraints = [
            models.UniqueConstraint(fields=["motion", "label"], name="option_label_per_motion")
        ]

    def __str__(self) -> str:
        return self.label


class Channel(models.TextChoices):
    PAPER = "paper", _("Paper ballot")
    PHONE = "phone", _("Phone")


class PaperEntry(models.Model):
    """A paper ballot typed in by one teller, waiting for a second teller's confirmation."""

    motion = models.ForeignKey(
        Motion, verbose_name=_("motion"), on_delete=models.CASCADE, related_name="paper_entries"
    )
    elector = models.ForeignKey(
        Elector, verbose_name=_("elector"), on_delete=models.CASCADE, related_name="+"
    )
    option = models.ForeignKey(
        MotionOption, verbose_name=_("option"), on_delete=models.CASCADE, related_name="+"
    )
    # The agent who filled in the paper for the elector, when by proxy.
    cast_by = models.ForeignKey(
        Elector,
        verbose_name=_("cast by"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now, editable=False)
    # Resolved: confirmed (a Ballot exists) or discarded by the second teller.
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    discarded = models.BooleanField(_("discarded"), default=False)

    class Meta:
        ordering = ["entered_at", "pk"]
        verbose_name = _("paper ballot entry")
        verbose_name_plural = _("paper ballot entries")
        constraints = [
            models.UniqueConstraint(
                fields=["motion", "elector"],
                condition=Q(resolved_at__isnull=True),
                name="paper_entry_pending_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.motion_id}/{self.elector_id}: {self.option_id}"


class Ballot(models.Model):
    """One elector's choice on one motion: immutable, and chained by hashes in its session."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("session"), on_delete=models.PROTECT, related_name="ballots"
    )
    motion = models.ForeignKey(
        Motion, verbose_name=_("motion"), on_delete=models.PROTECT, related_name="ballots"
    )
    elector = models.ForeignKey(
        Elector, verbose_name=_("elector"), on_delete=models.PROTECT, related_name="ballots"
    )
    option = models.ForeignKey(
        MotionOption, verbose_name=_("option"), on_delete=models.PROTECT, related_name="ballots"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    cast_by = models.ForeignKey(
        Elector,
        verbose_name=_("cast by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cast_at = models.DateTimeField(_("cast"), default=timezone.now)
    # Position in the session's chain (1, 2, …) and the hashes that chain it.
    seq = models.PositiveIntegerField(_("sequence"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["session", "seq"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["motion", "elector"], name="ballot_once_per_motion"),
            models.UniqueConstraint(fields=["session", "seq"], name="ballot_seq_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq}"


class OneTimeCode(models.Model):
    """A code printed for one elector to vote on a phone; only its hash is kept, used once."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="codes"
    )
    elector = models.ForeignKey(
        Elector, verbose_name=_("elector"), on_delete=models.CASCADE, related_name="codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["session", "elector", "-issued_at"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        constraints = [
            # One live code per elector and session; a reissue revokes the old one.
            models.UniqueConstraint(
                fields=["session", "elector"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="one_live_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.elector_id} {self.issued_at:%Y-%m-%d %H:%M}"


class SessionResult(models.Model):
    """What was published when the session closed: the figures and the chain's last hash."""

    session = models.OneToOneField(
        VotingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="result"
    )
    # Per motion: quorum, turnout, tallies (headcount, households, shares), passed; see
    # votes.results. Kept as published, so later edits to rules or rolls change nothing.
    figures = models.JSONField(_("figures"))
    ballot_count = models.PositiveIntegerField(_("ballots"))
    head_hash = models.CharField(_("last ballot's hash"), max_length=64)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("session result")
        verbose_name_plural = _("session results")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.head_hash[:12]}"
