"""Pages for party members, organisations, teams, departments, users and roles.

Reads go through `people.permissions` (404 outside scope); writes go through
`people.services` / `people.imports` (views never save a model); a user who can
see a thing but not change it gets 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core import audit
from zhenxing.core.listing import export_too_large, paginate, querystring_without_page
from zhenxing.core.models import AuditEntry
from zhenxing.core.permissions import require
from zhenxing.core.privacy import mask_mobile
from zhenxing.core.xlsx import xlsx_download, xlsx_response
from zhenxing.people import imports
from zhenxing.people.forms import (
    DepartmentForm,
    MemberFilterForm,
    MemberImportForm,
    PartyMemberForm,
    RoleAssignForm,
    UserCreateForm,
)
from zhenxing.people.models import Department, PartyMember, Role
from zhenxing.people.permissions import (
    can_edit_party_member,
    can_manage_departments,
    can_manage_roles,
    can_see_full_mobile,
    full_mobile_in_export,
    full_mobile_users,
    get_party_member_for_user,
    get_role_assignment_for_user,
    may_manage_members,
    party_members_visible_to,
    party_organizations_visible_to,
    role_assignments_visible_to,
    users_visible_to,
    work_teams_visible_to,
)
from zhenxing.people.services import (
    PeopleError,
    department_create,
    party_member_create,
    party_member_update,
    role_assign,
    role_revoke,
    user_create,
)
from zhenxing.territory.models import PATH_SEP

# An export past this many rows is refused: the workbook is built in memory,
# and a file of the whole subdistrict (11,000 members) stays well below it.
MEMBER_EXPORT_MAX_ROWS = 50_000

# --- party members ------------------------------------------------------------


def _filtered_members(request: HttpRequest) -> tuple[MemberFilterForm, Any]:
    form = MemberFilterForm(request.user, request.GET or None)
    members = (
        party_members_visible_to(request.user)
        .select_related("organization", "region")
        .order_by("region__path", "name", "pk")
    )
    return form, form.apply(members)


@require_GET
@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    form, members = _filtered_members(request)
    listing = paginate(request, members)
    return render(
        request,
        "people/member_list.html",
        {
            "form": form,
            **listing,
            "may_manage": may_manage_members(request.user),
        },
    )


@require_GET
@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX, rows streamed from the database into the workbook.

    Mobiles are full only for the members of communities the user runs as
    office admin (see `full_mobile_in_export`). A file over the cap is refused
    with a request to narrow the filters, rather than cut short unnoticed.
    """
    form, members = _filtered_members(request)
    querystring = querystring_without_page(request)
    too_large = export_too_large(
        request,
        members.count(),
        MEMBER_EXPORT_MAX_ROWS,
        _(
            "An export holds at most %(max)s party members. "
            "Narrow the filters (a community or an organisation) and export again."
        ),
        "people:members",
    )
    if too_large is not None:
        return too_large
    full = full_mobile_in_export(request.user)
    counts = {"rows": 0, "full_mobiles": 0}
    yes, no = _("Yes"), _("No")

    def rows() -> Iterator[tuple[Any, ...]]:
        for m in members.iterator(chunk_size=2000):
            show = full(m)
            counts["rows"] += 1
            counts["full_mobiles"] += show
            yield (
                m.name,
                m.mobile if show else mask_mobile(m.mobile),
                m.get_gender_display(),
                m.birth_year,
                m.organization.code,
                m.organization.name,
                m.region.code,
                m.region.name,
                m.joined_on,
                yes if m.holds_office else no,
                yes if m.user_id else no,
            )

    headers = [
        _("Name"),
        _("Mobile"),
        _("Gender"),
        _("Year of birth"),
        _("Organisation code"),
        _("Party organisation"),
        _("Community code"),
        _("Community"),
        _("Joined the party"),
        _("Holds an office"),
        _("Has a login"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = xlsx_response(f"party-members-{stamp}.xlsx", headers, rows())
    # Personal data leaving the system is itself worth a row in the audit log.
    audit.record(
        actor=request.user,
        action="people.party_member.export",
        summary=f"{counts['rows']} rows; {querystring}"[:300],
        changes={**counts, "filters": request.GET.dict()},
    )
    return response


@require_GET
@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_party_member_for_user(request.user, pk)
    can_edit = can_edit_party_member(request.user, member)
    history: list[AuditEntry] = []
    if can_edit:
        history = list(
            AuditEntry.objects.filter(
                object_type=ContentType.objects.get_for_model(PartyMember), object_id=str(member.pk)
            )[:20]
        )
    return render(
        request,
        "people/member_detail.html",
        {
            "member": member,
            "can_edit": can_edit,
            "full_mobile": can_see_full_mobile(request.user, member),
            "history": history,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_party_member_for_user(request.user, pk)
    require(can_edit_party_member(request.user, member))
    form = PartyMemberForm(request.user, request.POST or None, instance=member)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                party_member_update(member=member, actor=request.user, **form.cleaned_data)
            except PeopleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The party member was saved."))
                return redirect("people:member_detail", pk=member.pk)
        status = 400
    return render(
        request, "people/member_form.html", {"form": form, "member": member}, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_create(request: HttpRequest) -> HttpResponse:
    require(may_manage_members(request.user))
    form = PartyMemberForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member = party_member_create(actor=request.user, **form.cleaned_data)
            except PeopleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The party member was added."))
                return redirect("people:member_detail", pk=member.pk)
        status = 400
    return render(request, "people/member_form.html", {"form": form, "member": None}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def member_import(request: HttpRequest) -> HttpResponse:
    require(may_manage_members(request.user))
    form = MemberImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": imports.COLUMNS, "result": None}
    if request.method == "GET":
        return render(request, "people/member_import.html", context)
    if not form.is_valid():
        return render(request, "people/member_import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = imports.party_members_import(file=upload, filename=upload.name, actor=request.user)
    except imports.ImportFileError as exc:
        form.add_error("file", str(exc))
        return render(request, "people/member_import.html", context, status=400)
    context["result"] = result
    # Rows with errors mean nothing was written: a 400, like any rejected form.
    return render(request, "people/member_import.html", context, status=200 if result.ok else 400)


@require_GET
@login_required
def member_import_template(request: HttpRequest) -> HttpResponse:
    require(may_manage_members(request.user))
    return xlsx_download(imports.template_workbook(), "party-members-template.xlsx")


# --- organisations, teams, departments ----------------------------------------


@require_GET
@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    """The party organisation tree, indented, with direct and subtree member counts."""
    orgs = list(
        party_organizations_visible_to(request.user)
        .select_related("region")
        .annotate(member_count=Count("members"))
        .order_by("path")
    )
    by_path = {o.path: o for o in orgs}
    for org in orgs:
        org.subtree_count = 0
    for org in orgs:
        # Add each organisation's own members to itself and every ancestor shown.
        codes = org.path.rstrip(PATH_SEP).split(PATH_SEP)
        for i in range(1, len(codes) + 1):
            ancestor = by_path.get(PATH_SEP.join(codes[:i]) + PATH_SEP)
            if ancestor is not None:
                ancestor.subtree_count += org.member_count
    top = min((o.path.count(PATH_SEP) for o in orgs), default=1)
    for org in orgs:
        org.indent = org.path.count(PATH_SEP) - top
    return render(request, "people/organization_list.html", {"orgs": orgs})


@require_GET
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = work_teams_visible_to(request.user).select_related("region", "leader")
    teams = teams.order_by("region__path", "name")
    listing = paginate(request, teams)
    return render(
        request,
        "people/team_list.html",
        listing,
    )


@require_http_methods(["GET", "POST"])
@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    """Departments are reference data every signed-in user may read; the office adds them."""
    can_add = can_manage_departments(request.user)
    form = DepartmentForm(request.POST or None) if can_add else None
    status = 200
    if request.method == "POST":
        require(can_add)
        if form is not None and form.is_valid():
            try:
                department_create(actor=request.user, **form.cleaned_data)
            except PeopleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The department was added."))
                return redirect("people:departments")
        status = 400
    # Only department roles are held on a department, so every assignment counts.
    departments = Department.objects.annotate(staff_count=Count("role_assignments")).order_by(
        "code"
    )
    return render(
        request,
        "people/department_list.html",
        {"departments": departments, "form": form},
        status=status,
    )


# --- users and roles --------------------------------------------------------------


@require_GET
@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:150]
    role = request.GET.get("role", "")
    users = users_visible_to(request.user)
    visible_roles = role_assignments_visible_to(request.user)
    if q:
        # Mobiles are shown masked: only those who look after a login may find it by one.
        users = users.filter(
            Q(username__icontains=q)
            | Q(display_name__icontains=q)
            | (Q(mobile=q) & full_mobile_users(request.user))
        )
    if role in Role.values:
        users = users.filter(pk__in=visible_roles.filter(role=role).values("user_id"))
    users = users.prefetch_related(
        # Only the roles the viewer reads: where else someone works is not theirs to know.
        Prefetch(
            "role_assignments",
            queryset=visible_roles.select_related("region", "department").order_by("role", "pk"),
        )
    ).order_by("username")
    listing = paginate(request, users)
    return render(
        request,
        "people/user_list.html",
        {
            **listing,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "can_manage": can_manage_roles(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def user_create_view(request: HttpRequest) -> HttpResponse:
    require(can_manage_roles(request.user))
    form = UserCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = user_create(actor=request.user, **form.cleaned_data)
            except PeopleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The login was created. Now give it a role."))
                return redirect(
                    f"{reverse('people:role_assign')}?{urlencode({'username': user.username})}"
                )
        status = 400
    return render(request, "people/user_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def role_assign_view(request: HttpRequest) -> HttpResponse:
    require(can_manage_roles(request.user))
    if request.method == "POST":
        form = RoleAssignForm(request.user, request.POST)
    else:
        form = RoleAssignForm(request.user, initial={"username": request.GET.get("username", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment = role_assign(
                    user=data["username"],
                    role=data["role"],
                    region=data["region"],
                    department=data["department"],
                    title=data["title"],
                    actor=request.user,
                )
            except PeopleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Role assigned: %(assignment)s.") % {"assignment": assignment}
                )
                return redirect("people:users")
        status = 400
    return render(request, "people/role_assign.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def role_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and says what will happen; POST revokes."""
    assignment = get_role_assignment_for_user(request.user, pk)
    require(can_manage_roles(request.user))
    error = ""
    if request.method == "POST":
        try:
            role_revoke(assignment=assignment, actor=request.user)
        except PeopleError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Role revoked: %(assignment)s.") % {"assignment": assignment}
            )
            return redirect("people:users")
    return render(
        request,
        "people/role_revoke.html",
        {"assignment": assignment, "error": error},
        status=400 if error else 200,
    )
