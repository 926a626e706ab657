"""Edge validation for bodies, rules, sessions and motions: clear 400s, never a 500."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from zhenxing.charters.models import CharterVersion
from zhenxing.charters.permissions import versions_visible_to
from zhenxing.people.forms import StyledForm
from zhenxing.people.permissions import manage_paths
from zhenxing.people.scopes import ALL
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path
from zhenxing.votes.models import (
    Base,
    Basis,
    BodyKind,
    Meaning,
    MotionKind,
    RulePurpose,
    SessionStatus,
    Threshold,
    VoteRule,
    VotingBody,
    VotingSession,
)
from zhenxing.votes.permissions import bodies_visible_to
from zhenxing.votes.sessions import CHARTER_VERSION_READY, MAX_OPTIONS, STANDARD_OPTIONS

# Usernames in the tellers box are separated by spaces, commas or Chinese commas.
_TELLER_SEPARATORS = re.compile(r"[\s,，、;；]+")
_USERNAME = re.compile(r"[\w.@+-]{1,150}")
MAX_TELLERS = 20


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{'　' * (obj.depth - COMMUNITY_DEPTH)}{obj.name}（{obj.code}）"


class _VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CharterVersion) -> str:
        return f"{obj.charter.title} v{obj.number}（{obj.get_status_display()}）"


def regions_for_bodies(user: Any) -> QuerySet[Region]:
    """Communities and what lies below them (a cooperative's 股东大会) that the user manages."""
    regions = Region.objects.filter(depth__gte=COMMUNITY_DEPTH).order_by("path")
    paths = manage_paths(user)
    return regions if paths is ALL else regions.under_any(paths or [])


class SessionFilterForm(StyledForm):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *SessionStatus.choices], required=False
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from zhenxing.votes.permissions import sessions_visible_to

        # The communities the user's sessions lie in (a teller with no role has some too).
        paths = {
            community_path(p)
            for p in sessions_visible_to(user).values_list("body__region__path", flat=True)
        }
        self.fields["community"].queryset = Region.objects.filter(
            depth=COMMUNITY_DEPTH, path__in=paths
        ).order_by("path")

    def apply(self, sessions: QuerySet[VotingSession]) -> QuerySet[VotingSession]:
        if not self.is_bound:
            return sessions
        self.is_valid()
        data = self.cleaned_data
        if data.get("community"):
            sessions = sessions.filter(body__region__path__startswith=data["community"].path)
        if data.get("status"):
            sessions = sessions.filter(status=data["status"])
        return sessions


class BodyForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=BodyKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    region = _RegionChoiceField(label=_("Community or cooperative"), queryset=Region.objects.none())
    max_proxies_per_agent = forms.IntegerField(
        label=_("Proxies one elector may hold"),
        min_value=0,
        max_value=20,
        initial=3,
        help_text=_("Commonly three (一人受委托不得超过三人)."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for_bodies(user)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class RuleForm(StyledForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=RulePurpose.choices)
    basis = forms.ChoiceField(label=_("Counted by"), choices=Basis.choices)
    base = forms.ChoiceField(label=_("Of"), choices=Base.choices)
    threshold = forms.ChoiceField(label=_("Threshold"), choices=Threshold.choices)
    legal_reference = forms.CharField(
        label=_("Legal reference"),
        max_length=200,
        help_text=_("The law and article, or the cooperative's articles, the rule follows."),
    )

    @classmethod
    def for_rule(cls, rule: VoteRule, data: Any = None) -> RuleForm:
        return cls(
            data,
            initial={
                "purpose": rule.purpose,
                "basis": rule.basis,
                "base": rule.base,
                "threshold": rule.threshold,
                "legal_reference": rule.legal_reference,
            },
        )

    def clean_legal_reference(self) -> str:
        value = self.cleaned_data["legal_reference"].strip()
        if not value:
            raise forms.ValidationError(_("Give the rule's legal reference."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("purpose") == RulePurpose.QUORUM:
            if data.get("threshold") == Threshold.SIMPLE:
                self.add_error(
                    "threshold",
                    _(
                        "A quorum needs a share of the members: "
                        "choose more than half or two-thirds."
                    ),
                )
            if data.get("base") == Base.PRESENT:
                self.add_error("base", _("A quorum is counted against all on the roll."))
        return data


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise forms.ValidationError(_("The text contains a character that cannot be stored."))
    return value


class TellersField(forms.CharField):
    """Logins named by their usernames; any active login may be a teller."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault(
            "help_text",
            _(
                "The usernames of those who enter and confirm paper ballots, separated by commas; "
                "at least two before voting opens."
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Any]:
        text = _no_nul(super().clean(value) or "")
        names = [n for n in _TELLER_SEPARATORS.split(text) if n]
        if len(names) > MAX_TELLERS:
            raise forms.ValidationError(_("Name at most %(max)d tellers.") % {"max": MAX_TELLERS})
        bad = [n for n in names if not _USERNAME.fullmatch(n)]
        if bad:
            raise forms.ValidationError(
                _("Not a username: %(names)s.") % {"names": "、".join(bad[:5])}
            )
        users = {
            u.username: u
            for u in get_user_model().objects.filter(username__in=names, is_active=True)
        }
        missing = [n for n in names if n not in users]
        if missing:
            raise forms.ValidationError(
                _("No active login has the username %(names)s.") % {"names": "、".join(missing[:5])}
            )
        seen: dict[str, Any] = {}
        for n in names:
            seen.setdefault(n, users[n])
        return list(seen.values())


class SessionForm(StyledForm):
    body = forms.ModelChoiceField(label=_("Voting body"), queryset=VotingBody.objects.none())
    title = forms.CharField(label=_("Title"), max_length=150, validators=[_no_nul])
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=100, required=False, validators=[_no_nul])
    tellers = TellersField(label=_("Tellers"), required=False)

    def __init__(self, user: Any, *args: Any, session: VotingSession | None = None, **kwargs: Any):
        from zhenxing.votes.permissions import can_manage_votes_in

        if session is not None:
            kwargs.setdefault(
                "initial",
                {
                    "body": session.body_id,
                    "title": session.title,
                    "held_on": session.held_on,
                    "place": session.place,
                    "tellers": ", ".join(
                        session.tellers.order_by("username").values_list("username", flat=True)
                    ),
                },
            )
        super().__init__(*args, **kwargs)
        if session is not None:
            # A session stays with its body; its roll and rules belong to it.
            del self.fields["body"]
        else:
            bodies = bodies_visible_to(user).select_related("region")
            allowed = [b.pk for b in bodies if can_manage_votes_in(user, b.region)]
            self.fields["body"].queryset = VotingBody.objects.filter(pk__in=allowed)


def _option_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for i in range(1, MAX_OPTIONS + 1):
        fields[f"label_{i}"] = forms.CharField(
            label=format_lazy(_("Option {n}"), n=i), max_length=50, required=False
        )
        fields[f"meaning_{i}"] = forms.ChoiceField(
            label=_("Counts as"), choices=[("", "—"), *Meaning.choices], required=False
        )
    return fields


# label_1 … label_6 and meaning_1 … meaning_6, declared so that StyledForm styles them.
_OptionRows = type("_OptionRows", (forms.Form,), _option_fields())


class MotionForm(StyledForm, _OptionRows):
    kind = forms.ChoiceField(label=_("Kind"), choices=MotionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=150, validators=[_no_nul])
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        validators=[_no_nul],
    )
    charter_version = _VersionChoiceField(
        label=_("Charter version"),
        queryset=CharterVersion.objects.none(),
        required=False,
        help_text=_("For the adoption of a charter: a draft, or a version published for comment."),
    )

    def __init__(self, user: Any, session: VotingSession, *args: Any, **kwargs: Any) -> None:
        motion = kwargs.pop("motion", None)
        initial: dict[str, Any] = {}
        options = (
            list(motion.options.values_list("label", "meaning")) if motion else STANDARD_OPTIONS
        )
        for i, (label, meaning) in enumerate(options, start=1):
            initial[f"label_{i}"], initial[f"meaning_{i}"] = label, meaning
        if motion is not None:
            initial |= {
                "kind": motion.kind,
                "title": motion.title,
                "text": motion.text,
                "charter_version": motion.charter_version_id,
            }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        region = session.body.region
        ready = versions_visible_to(user).filter(
            status__in=CHARTER_VERSION_READY,
            charter__region__path__in=[*region.ancestor_paths(), region.path],
        )
        if motion is not None and motion.charter_version_id:
            ready = ready | versions_visible_to(user).filter(pk=motion.charter_version_id)
        self.fields["charter_version"].queryset = ready.select_related("charter").order_by(
            "charter__title", "-number"
        )

    def option_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"label_{i}"], self[f"meaning_{i}"]) for i in range(1, MAX_OPTIONS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        options = []
        for i in range(1, MAX_OPTIONS + 1):
            label = (data.get(f"label_{i}") or "").strip()
            if label:
                if "\x00" in label:
                    self.add_error(
                        f"label_{i}", _("The text contains a character that cannot be stored.")
                    )
                meaning = data.get(f"meaning_{i}")
                if not meaning:
                    self.add_error(f"meaning_{i}", _("Say what this option counts as."))
                options.append((label, meaning))
        data["options"] = options
        if data.get("kind") == MotionKind.CHARTER and not data.get("charter_version"):
            self.add_error("charter_version", _("Choose the charter version put to the vote."))
        if data.get("kind") == MotionKind.RESOLUTION:
            data["charter_version"] = None
        return data


class ConfirmForm(forms.Form):
    """The open and close pages: one checkbox that says the user read what happens."""

    confirm = forms.BooleanField(
        label=_("I have read what happens and want to go ahead."),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].widget.attrs["class"] = "form-check-input"
