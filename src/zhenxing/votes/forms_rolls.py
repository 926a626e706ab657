"""Forms of the roll, the sign-in desk and the proxies (the rules themselves are in votes.rolls)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.people.forms import MemberImportForm, StyledForm
from zhenxing.people.models import mobile_validator
from zhenxing.votes.models import Elector, VotingSession
from zhenxing.votes.rolls import GROUP_MAX, HOUSEHOLD_MAX, NAME_MAX


class RollImportForm(MemberImportForm):
    """The workbook (only .xlsx, at most 10 MB, as for members) and whether to replace the roll."""

    replace = forms.BooleanField(
        label=_("Replace the whole roll (remove everyone on it first)"), required=False
    )


class RollFilterForm(StyledForm):
    q = forms.CharField(label=_("Name or household"), required=False, max_length=50)

    def clean_q(self) -> str:
        # A NUL byte cannot go into a PostgreSQL query: it names nobody.
        return self.cleaned_data["q"].replace("\x00", "").strip()


class ElectorForm(StyledForm):
    """An elector's entry, corrected before the freeze; the ID number is not editable."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    household = forms.CharField(label=_("Household"), max_length=HOUSEHOLD_MAX)
    group_name = forms.CharField(label=_("Villagers' group"), max_length=GROUP_MAX, required=False)
    shares = forms.DecimalField(
        label=_("Shares"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        required=False,
    )
    is_representative = forms.BooleanField(label=_("Representative"), required=False)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=11, required=False, validators=[mobile_validator]
    )

    def clean_shares(self) -> Decimal:
        return self.cleaned_data["shares"] or Decimal("0")


def _elector_label(elector: Elector) -> str:
    return f"{elector.row_number} · {elector.name}（{elector.household}）"


class _ElectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Elector) -> str:
        return _elector_label(obj)


class ProxyForm(StyledForm):
    principal = _ElectorChoiceField(
        label=_("Principal (gives the proxy)"), queryset=Elector.objects.none()
    )
    agent = _ElectorChoiceField(
        label=_("Agent (votes for the principal)"), queryset=Elector.objects.none()
    )
    document = forms.CharField(
        label=_("Proxy document"),
        max_length=100,
        required=False,
        help_text=_("The number or a short description of the signed proxy form."),
    )

    def __init__(self, session: VotingSession, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        electors = Elector.objects.filter(session=session).order_by("row_number", "pk")
        self.fields["principal"].queryset = electors
        self.fields["agent"].queryset = electors
