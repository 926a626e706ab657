"""Edge validation for the post and claim pages: every form here makes a clear 400, never a 500."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.people.forms import MemberImportForm, StyledForm
from zhenxing.people.models import PartyMember, PartyOrganization
from zhenxing.people.permissions import (
    communities_managed_by,
    communities_visible_to,
    party_members_visible_to,
    party_organizations_visible_to,
)
from zhenxing.posts.models import PlaceKind, Post, PostClaim, PostType
from zhenxing.territory.models import PATH_SEP, Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path, path_prefix_q

# The same upload rules as the member import: .xlsx only, at most 10 MB.
PostImportForm = MemberImportForm


class _RegionChoiceField(forms.ModelChoiceField):
    """Regions indented below their community, so that a long select still reads as a tree."""

    def label_from_instance(self, obj: Region) -> str:
        return f"{'　' * (obj.depth - COMMUNITY_DEPTH)}{obj.name}（{obj.code}）"


class _OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyOrganization) -> str:
        depth = obj.path.count(PATH_SEP) - 1
        return f"{'　' * depth}{obj.name}"


class _MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyMember) -> str:
        return f"{obj.name}（{obj.organization.name}）"


def _not_in_future(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return value


def invalid_filters(form: forms.Form, query: Any) -> str:
    """What is wrong with a bound filter form's values, as one line; "" when they are fine.

    An export (like a print run of signs) must not ignore a filter it cannot
    read: a community out of reach would otherwise widen the file to the
    user's whole scope, without a word.
    """
    if not query or form.is_valid():
        return ""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def filters_for_audit(form: forms.Form) -> dict[str, str]:
    """A valid filter form's values as short strings, for the audit row of an export.

    Never the raw query: it may carry anything (a NUL byte, which PostgreSQL
    refuses in a JSON column), and the cleaned values say what was exported.
    """
    if not form.is_bound or not form.is_valid():
        return {}
    out: dict[str, str] = {}
    for name, value in form.cleaned_data.items():
        if value in (None, "", False):
            continue
        code = getattr(value, "code", None)
        out[name] = str(code if code is not None else getattr(value, "pk", value))[:100]
    return out


class PostFilterForm(StyledForm):
    STATUS_CHOICES = [("", _("All")), ("active", _("Active")), ("retired", _("Retired"))]
    CLAIMED_CHOICES = [("", _("All")), ("yes", _("Claimed")), ("no", _("Not claimed"))]

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    post_type = forms.ModelChoiceField(
        label=_("Post type"), queryset=PostType.objects.all(), required=False, empty_label=_("All")
    )
    place_kind = forms.ChoiceField(
        label=_("Kind of place"), choices=[("", _("All")), *PlaceKind.choices], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    claimed = forms.ChoiceField(label=_("Holders"), choices=CLAIMED_CHOICES, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    # An area's or a cooperative's posts, reached from the red grid and the area
    # page by its code; a hidden filter, as those pages count the same subtree.
    region = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities_visible_to(user).order_by("path")
        self.fields["q"].widget.attrs["placeholder"] = _("Code, name, place or holder")

    def apply(self, posts: QuerySet[Post]) -> QuerySet[Post]:
        """Narrow `posts` by whichever filters are valid; an invalid one is ignored."""
        if not self.is_bound:
            return posts
        self.is_valid()
        data = self.cleaned_data
        if data.get("community"):
            posts = posts.filter(region__path__startswith=data["community"].path)
        if data.get("region"):
            region = Region.objects.filter(code=data["region"]).only("path").first()
            # An unknown code narrows to nothing rather than silently widening.
            posts = posts.filter(region__path__startswith=region.path) if region else posts.none()
        if data.get("post_type"):
            posts = posts.filter(post_type=data["post_type"])
        if data.get("place_kind"):
            posts = posts.filter(place_kind=data["place_kind"])
        if data.get("status") == "active":
            posts = posts.filter(is_active=True)
        elif data.get("status") == "retired":
            posts = posts.filter(is_active=False)
        # Subqueries rather than joins, so that no post is listed twice.
        held = PostClaim.objects.filter(ended_on__isnull=True)
        if data.get("claimed") == "yes":
            posts = posts.filter(pk__in=held.values("post_id"))
        elif data.get("claimed") == "no":
            posts = posts.exclude(pk__in=held.values("post_id"))
        if data.get("q"):
            term = data["q"].strip()
            posts = posts.filter(
                Q(code__icontains=term)
                | Q(name__icontains=term)
                | Q(place_name__icontains=term)
                | Q(pk__in=held.filter(member__name__icontains=term).values("post_id"))
            )
        return posts


class PostForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    post_type = forms.ModelChoiceField(label=_("Post type"), queryset=PostType.objects.none())
    region = _RegionChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        help_text=_("The smallest region the place lies in: an area, a street, or the community."),
    )
    place_kind = forms.ChoiceField(label=_("Kind of place"), choices=PlaceKind.choices)
    place_name = forms.CharField(label=_("Place"), max_length=100, required=False)
    lat = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90, widget=forms.TextInput
    )
    lng = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, widget=forms.TextInput
    )
    duties = forms.CharField(
        label=_("Duties"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Leave empty to use the post type's standard duties."),
    )
    organization = _OrganizationChoiceField(
        label=_("Party organisation"),
        queryset=PartyOrganization.objects.none(),
        required=False,
        empty_label="—",
    )

    def __init__(self, user: Any, *args: Any, instance: Post | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": instance.code,
                "name": instance.name,
                "post_type": instance.post_type_id,
                "region": instance.region_id,
                "place_kind": instance.place_kind,
                "place_name": instance.place_name,
                "lat": instance.lat,
                "lng": instance.lng,
                "duties": instance.duties,
                "organization": instance.organization_id,
            }
        super().__init__(*args, **kwargs)
        types = Q(is_active=True)
        if instance is not None:
            # A post keeps its type even after that type is no longer offered.
            types |= Q(pk=instance.post_type_id)
            del self.fields["code"]
        self.fields["post_type"].queryset = PostType.objects.filter(types)
        community_paths = list(communities_managed_by(user).values_list("path", flat=True))
        self.fields["region"].queryset = Region.objects.filter(
            path_prefix_q(community_paths, "path"), depth__gte=COMMUNITY_DEPTH
        ).order_by("path")
        self.fields["organization"].queryset = party_organizations_visible_to(user).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None) and not self.errors.keys() & {
            "lat",
            "lng",
        }:
            self.add_error("lng", _("Give both latitude and longitude, or neither."))
        return data


class PostRetireForm(StyledForm):
    retired_on = forms.DateField(
        label=_("Retired on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Recorded as the end of every open claim; “Post retired” when left empty."),
    )

    def clean_retired_on(self) -> datetime.date | None:
        return _not_in_future(self.cleaned_data["retired_on"])


class ClaimAddForm(StyledForm):
    member = _MemberChoiceField(label=_("Party member"), queryset=PartyMember.objects.none())
    started_on = forms.DateField(
        label=_("Claimed on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, user: Any, post: Post, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Members are registered per community and hold posts in their own community only.
        self.fields["member"].queryset = (
            party_members_visible_to(user)
            .filter(region__path=community_path(post.region.path))
            .exclude(pk__in=post.claims.filter(ended_on__isnull=True).values("member_id"))
            .select_related("organization")
            .order_by("name", "pk")
        )

    def clean_started_on(self) -> datetime.date | None:
        return _not_in_future(self.cleaned_data["started_on"])


class ClaimEndForm(StyledForm):
    ended_on = forms.DateField(label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_ended_on(self) -> datetime.date | None:
        return _not_in_future(self.cleaned_data["ended_on"])
