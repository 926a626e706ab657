"""Forms of the ballot pages: paper entry and confirmation, issuing codes, voting on a phone.

Every id arrives as text from a form: it must be a short run of digits before
any query (a NUL byte or a 30-digit number is a 400 here, not a database error).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenxing.votes.ballots import pending_entries
from zhenxing.votes.codes import CODE_LENGTH, TYPED_MAX, is_code, normal_code
from zhenxing.votes.models import Elector, Motion, MotionOption, PaperEntry, VotingSession

_ID = re.compile(r"\d{1,9}")


def valid_id(value: Any) -> bool:
    """A primary key as a form sends it: a few digits, nothing else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 < value < 10**9
    return isinstance(value, str) and bool(_ID.fullmatch(value))


class IdChoiceField(forms.ModelChoiceField):
    """A choice by primary key, refused as "not a valid choice" unless it looks like one."""

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        if not valid_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> QuerySet[Any]:
        for item in value:
            if not valid_id(item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:20]},
                )
        return super()._check_values(value)


class ElectorLabel(IdChoiceField):
    def label_from_instance(self, obj: Elector) -> str:
        return f"{obj.name}（{obj.household}）"


def _options_of(session: VotingSession) -> QuerySet[MotionOption]:
    return MotionOption.objects.filter(motion__session=session).select_related("motion")


class ElectorSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name or household"), max_length=40, required=False, strip=True
    )


class PaperEntryForm(forms.Form):
    elector = ElectorLabel(queryset=Elector.objects.none(), label=gettext_lazy("Elector"))
    motion = IdChoiceField(queryset=Motion.objects.none(), label=gettext_lazy("Motion"))
    option = IdChoiceField(queryset=MotionOption.objects.none(), label=gettext_lazy("Option"))
    cast_by = ElectorLabel(
        queryset=Elector.objects.none(),
        required=False,
        label=gettext_lazy("Filled in by proxy agent"),
    )

    def __init__(self, session: VotingSession, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        electors = Elector.objects.filter(session=session)
        self.fields["elector"].queryset = electors
        self.fields["cast_by"].queryset = electors
        self.fields["motion"].queryset = Motion.objects.filter(session=session)
        self.fields["option"].queryset = _options_of(session)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        motion, option = data.get("motion"), data.get("option")
        if motion is not None and option is not None and option.motion_id != motion.pk:
            self.add_error("option", _("That option is not one of this motion's."))
        elector, agent = data.get("elector"), data.get("cast_by")
        if elector is not None and agent is not None and elector.pk == agent.pk:
            self.add_error("cast_by", _("An elector is not their own proxy agent."))
        return data


class PendingChoiceField(IdChoiceField):
    def label_from_instance(self, obj: PaperEntry) -> str:
        return f"{obj.elector.name} · {obj.motion.number}"


class PaperConfirmForm(forms.Form):
    entry = PendingChoiceField(queryset=PaperEntry.objects.none(), label=gettext_lazy("Entry"))
    option = IdChoiceField(queryset=MotionOption.objects.none(), label=gettext_lazy("Option"))

    def __init__(self, session: VotingSession, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = pending_entries(session).exclude(entered_by=user)
        self.fields["option"].queryset = _options_of(session)
        self.fields["entry"].error_messages["invalid_choice"] = _(
            "That paper ballot is no longer waiting for you: another teller confirmed or "
            "discarded it, or you entered it yourself."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        entry, option = data.get("entry"), data.get("option")
        if entry is not None and option is not None and option.motion_id != entry.motion_id:
            self.add_error("option", _("That option is not one of this motion's."))
        return data


class PaperDiscardForm(forms.Form):
    entry = PendingChoiceField(queryset=PaperEntry.objects.none(), label=gettext_lazy("Entry"))

    def __init__(self, session: VotingSession, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = pending_entries(session)


class CodeIssueForm(forms.Form):
    electors = IdMultipleChoiceField(
        queryset=Elector.objects.none(), required=False, label=gettext_lazy("Electors")
    )
    everyone = forms.BooleanField(
        required=False,
        label=gettext_lazy("Everyone who has not voted and holds no live code"),
    )

    def __init__(self, session: VotingSession, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["electors"].queryset = Elector.objects.filter(session=session)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not data.get("everyone") and not data.get("electors"):
            raise ValidationError(
                _("Tick the electors who need a code, or choose everyone who has not voted.")
            )
        return data


# --- the public phone page -------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Your voting code"),
        max_length=TYPED_MAX,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "form-control form-control-lg font-monospace",
                "placeholder": "ABCDE-FGHJK",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normal_code(self.cleaned_data["code"])
        if not is_code(code):
            raise ValidationError(
                _(
                    "A voting code has %(n)d letters and digits, as printed on your slip "
                    "(no 0, O, 1 or I)."
                )
                % {"n": CODE_LENGTH}
            )
        return code


class BallotForm(forms.Form):
    """One radio group per motion still open to the elector, all required."""

    def __init__(self, motions: list[Motion], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.motions = motions
        for motion in motions:
            field = forms.TypedChoiceField(
                label=f"{motion.number}. {motion.title}",
                choices=[(str(o.pk), o.label) for o in motion.options.all()],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose an option on motion %(number)d.")
                    % {"number": motion.number}
                },
            )
            field.motion = motion  # type: ignore[attr-defined]
            self.fields[f"m{motion.number}"] = field

    def choices(self) -> dict[Motion, MotionOption]:
        chosen: dict[Motion, MotionOption] = {}
        for motion in self.motions:
            pk = self.cleaned_data[f"m{motion.number}"]
            chosen[motion] = next(o for o in motion.options.all() if o.pk == pk)
        return chosen
