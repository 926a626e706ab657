"""Edge validation for the charter pages: every form makes a clear 400, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.charters.models import Article, Charter, CharterVersion, VersionStatus
from zhenxing.charters.services import COMMENT_MAX, NAME_MAX, REFERENCE_MAX, REPLY_MAX, TITLE_MAX
from zhenxing.people.forms import StyledForm
from zhenxing.people.permissions import manage_paths
from zhenxing.people.scopes import scope_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, path_prefix_q

# A charter of 200 articles of a few hundred characters each fits many times over.
TEXT_MAX = 200_000


def _communities(paths: list[str] | None) -> QuerySet[Region]:
    return Region.objects.filter(depth=COMMUNITY_DEPTH).filter(path_prefix_q(paths, "path"))


class _CommunityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


class CharterFilterForm(StyledForm):
    STATUS_CHOICES = [
        ("", _("All")),
        ("in_force", _("In force (adopted or filed)")),
        ("none_in_force", _("None in force yet")),
        *[(s.value, s.label) for s in VersionStatus],
    ]
    community = _CommunityField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _communities(scope_paths(user)).order_by("path")

    def apply(self, charters: QuerySet[Charter]) -> QuerySet[Charter]:
        """Narrow by whichever filters are valid; an invalid one is ignored."""
        if not self.is_bound:
            return charters
        self.is_valid()
        data = self.cleaned_data
        if data.get("community"):
            charters = charters.filter(region__path__startswith=data["community"].path)
        status = data.get("status")
        in_force = CharterVersion.objects.filter(
            status__in=[VersionStatus.ADOPTED, VersionStatus.FILED]
        ).values("charter_id")
        if status == "in_force":
            charters = charters.filter(pk__in=in_force)
        elif status == "none_in_force":
            charters = charters.exclude(pk__in=in_force)
        elif status:
            charters = charters.filter(
                pk__in=CharterVersion.objects.filter(status=status).values("charter_id")
            )
        return charters


class CharterCreateForm(StyledForm):
    region = _CommunityField(label=_("Community"), queryset=Region.objects.none())
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_("For example 社区甲村规民约 or 社区甲居民公约."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _communities(manage_paths(user)).order_by("path")


class VersionTextForm(StyledForm):
    text = forms.CharField(
        label=_("Text"),
        max_length=TEXT_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}),
        help_text=_(
            "Paste from Word. A line 第一章 … starts a chapter, a line 第一条 … an article; "
            "other lines continue the article above. Text before the first chapter is the "
            "preamble. Articles are numbered in order, whatever numbers you type."
        ),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class PublishForm(StyledForm):
    ends_on = forms.DateField(
        label=_("Comments until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Residents can comment on the public page up to and including this day."),
    )

    def clean_ends_on(self) -> Any:
        value = self.cleaned_data["ends_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The last day for comments cannot be in the past."))
        return value


class FileForm(StyledForm):
    filed_on = forms.DateField(label=_("Filed on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Filing reference"), max_length=REFERENCE_MAX)

    def clean_filed_on(self) -> Any:
        value = self.cleaned_data["filed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The filing date cannot be in the future."))
        return value


class _ArticleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Article) -> str:
        from zhenxing.charters.parse import chinese_numeral

        text = obj.text.replace("\n", " ")
        short = text if len(text) <= 24 else text[:24] + "…"
        return f"第{chinese_numeral(obj.number)}条 {short}"


class CommentForm(StyledForm):
    """A comment: typed in by the community (paper) or sent on the public page."""

    article = _ArticleField(
        label=_("Article (optional)"),
        queryset=Article.objects.none(),
        required=False,
        empty_label=_("The charter as a whole"),
    )
    text = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    author_name = forms.CharField(label=_("Name (optional)"), max_length=NAME_MAX, required=False)
    author_mobile = forms.RegexField(
        label=_("Mobile (optional)"),
        regex=r"^1[3-9]\d{9}$",
        required=False,
        max_length=11,
        error_messages={
            "invalid": _("Enter an 11-digit mainland mobile number, or leave it empty.")
        },
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, version: CharterVersion, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.filter(chapter__version=version).order_by(
            "number"
        )

    def clean_author_mobile(self) -> str:
        return (self.cleaned_data.get("author_mobile") or "").strip()


class PublicCommentForm(CommentForm):
    # A honeypot: hidden from people (CSS, aria-hidden); form-filling robots fill it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author_name"].help_text = _(
            "Your name and mobile are optional. Only the community sees them, to answer you; "
            "they are never shown on this page."
        )
        self.fields["website"].widget.attrs["class"] = "zx-hp-input"

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class ReplyForm(StyledForm):
    reply = forms.CharField(
        label=_("Reply"), max_length=REPLY_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
