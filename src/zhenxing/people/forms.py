"""Edge validation for the people pages: every form here makes a clear 400, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.validators import MaxValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenxing.people.models import (
    DEPARTMENT_ROLES,
    Department,
    PartyMember,
    PartyOrganization,
    Role,
    User,
    mobile_validator,
)
from zhenxing.people.permissions import (
    communities_managed_by,
    communities_visible_to,
    full_mobile_members,
    may_manage_members,
    party_organizations_visible_to,
    regions_administered_by,
    users_visible_to,
)
from zhenxing.people.services import PeopleError, check_code, check_username
from zhenxing.territory.models import PATH_SEP, Region, area_depth

# Uploads larger than this are refused before openpyxl reads them: a real
# roster of 11,000 members is well under 2 MB.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


class StyledForm(forms.Form):
    """Adds Bootstrap's classes to every widget, so templates render fields plainly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        # Mark the fields that failed, for Bootstrap's red border and screen readers.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class _RegionChoiceField(forms.ModelChoiceField):
    """Regions indented by depth, so that a long select still reads as a tree."""

    def label_from_instance(self, obj: Region) -> str:
        return f"{'　' * (obj.depth - 1)}{obj.name}（{obj.code}）"


class _OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyOrganization) -> str:
        depth = obj.path.count(PATH_SEP) - 1
        return f"{'　' * depth}{obj.name}"


class MemberFilterForm(StyledForm):
    HAS_LOGIN_CHOICES = [("", _("All")), ("yes", _("Has a login")), ("no", _("No login"))]

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    organization = _OrganizationChoiceField(
        label=_("Party organisation"),
        queryset=PartyOrganization.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    q = forms.CharField(label=_("Name"), required=False, max_length=50)
    has_login = forms.ChoiceField(label=_("Login"), choices=HAS_LOGIN_CHOICES, required=False)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["community"].queryset = communities_visible_to(user).order_by("path")
        self.fields["organization"].queryset = party_organizations_visible_to(user).order_by("path")
        if may_manage_members(user):
            # Only those who may see a number whole may find a member by it.
            self.fields["q"].label = _("Name or mobile")

    def apply(self, members: QuerySet[PartyMember]) -> QuerySet[PartyMember]:
        """Narrow `members` by whichever filters are valid; an invalid one is ignored."""
        if not self.is_bound:
            return members
        self.is_valid()
        data = self.cleaned_data
        if data.get("community"):
            members = members.filter(region__path__startswith=data["community"].path)
        if data.get("organization"):
            members = members.filter(organization__path__startswith=data["organization"].path)
        if data.get("q"):
            term = data["q"].strip()
            # A number seen only masked must not be confirmed by a search hit.
            members = members.filter(
                Q(name__icontains=term) | (Q(mobile=term) & full_mobile_members(self.user))
            )
        if data.get("has_login") == "yes":
            members = members.filter(user__isnull=False)
        elif data.get("has_login") == "no":
            members = members.filter(user__isnull=True)
        return members


class PartyMemberForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=11, required=False, validators=[mobile_validator]
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *PartyMember.Gender.choices], required=False
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900)
    organization = _OrganizationChoiceField(
        label=_("Party organisation"), queryset=PartyOrganization.objects.none()
    )
    region = forms.ModelChoiceField(label=_("Community"), queryset=Region.objects.none())
    joined_on = forms.DateField(
        label=_("Joined the party"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    holds_office = forms.BooleanField(label=_("Holds an office"), required=False)

    def __init__(
        self, user: Any, *args: Any, instance: PartyMember | None = None, **kwargs: Any
    ) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "mobile": instance.mobile or "",
                "gender": instance.gender,
                "birth_year": instance.birth_year,
                "organization": instance.organization_id,
                "region": instance.region_id,
                "joined_on": instance.joined_on,
                "holds_office": instance.holds_office,
            }
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = party_organizations_visible_to(user).order_by("path")
        self.fields["region"].queryset = communities_managed_by(user).order_by("path")
        # The upper bound moves with the calendar, so it is set per form.
        this_year = timezone.localdate().year
        self.fields["birth_year"].validators.append(MaxValueValidator(this_year))
        self.fields["birth_year"].widget.attrs["max"] = this_year

    def clean_mobile(self) -> str | None:
        mobile = self.cleaned_data["mobile"].strip() or None
        if mobile:
            taken = PartyMember.objects.filter(mobile=mobile)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(
                    _("Another party member already has this mobile number.")
                )
        return mobile

    def clean_joined_on(self) -> Any:
        joined_on = self.cleaned_data["joined_on"]
        if joined_on and joined_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return joined_on


class MemberImportForm(StyledForm):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Only .xlsx workbooks can be imported. In Excel or WPS, use “Save as” → .xlsx.")
            )
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 10 MB; split it into smaller files.")
            )
        return upload


class RoleAssignForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = _RegionChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("For every role except department staff."),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        help_text=_("For department staff only."),
    )
    title = forms.CharField(label=_("Title"), max_length=50, required=False)

    def __init__(self, actor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        # Only where the actor is office admin: reading more of the territory
        # (as department staff do) is no right to hand out roles there.
        # Streets (below the area level) hold no roles; leaving them out keeps
        # the select to a few hundred options.
        self.fields["region"].queryset = (
            regions_administered_by(actor).filter(depth__lte=area_depth()).order_by("path")
        )

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = users_visible_to(self.actor).filter(username=username).first()
        if user is None:
            raise forms.ValidationError(
                _("There is no user %(username)s."), params={"username": username}
            )
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        role = data.get("role")
        if role in DEPARTMENT_ROLES:
            if not data.get("department"):
                self.add_error("department", _("Choose the department for this role."))
            if data.get("region"):
                self.add_error("region", _("A department role is not held on a region."))
        elif role:
            if not data.get("region"):
                self.add_error("region", _("Choose the region for this role."))
            if data.get("department"):
                self.add_error("department", _("Only department staff belong to a department."))
        return data


class UserCreateForm(StyledForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=11, required=False, validators=[mobile_validator]
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Give it to the person in private; they can change it after logging in."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean_mobile(self) -> str | None:
        mobile = self.cleaned_data["mobile"].strip() or None
        if mobile and User.objects.filter(mobile=mobile).exists():
            raise forms.ValidationError(_("Another login already uses this mobile number."))
        return mobile

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("username"):
            try:
                check_username(data["username"], mobile=data.get("mobile"))
            except PeopleError as exc:
                self.add_error("username", str(exc))
        if data.get("password") and data.get("username"):
            try:
                validate_password(
                    data["password"],
                    User(username=data["username"], display_name=data.get("display_name", "")),
                )
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class DepartmentForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    in_joint_meeting = forms.BooleanField(
        label=_("Member of the joint meeting"), required=False, initial=True
    )

    def clean_code(self) -> str:
        try:
            code = check_code(self.cleaned_data["code"])
        except PeopleError as exc:
            raise forms.ValidationError(str(exc)) from None
        if Department.objects.filter(code=code).exists():
            raise forms.ValidationError(_("This code is taken."))
        return code

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Department.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A department with this name already exists."))
        return name
