"""Checklists (检查表): every version readable by all users; drafts edited by the whole office.

A version in use or retired never changes (the services refuse it): a change
is a new draft version, edited item by item on its own page, then activated,
which retires the version in use. Each old score keeps the exact version it
was made with. The item forms post to the template's own page with an
`action` (`add_item`, `edit_item`, `delete_item`), so a draft is edited
without a page per item.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.core.permissions import get_visible_or_404, page_or_404, require
from zhenxing.inspections import permissions, services
from zhenxing.inspections.forms import ActivateForm, TemplateItemForm, points_text
from zhenxing.inspections.models import InspectionTemplate, TemplateItem, TemplateStatus
from zhenxing.people.scopes import has_any_role

ITEM_ACTIONS = {"add_item", "edit_item", "delete_item"}


def _get_template(user: Any, pk: int) -> InspectionTemplate:
    # Checklists are for the platform's users: someone without a role finds nothing here.
    page_or_404(has_any_role(user))
    return get_visible_or_404(
        lambda u: permissions.templates_visible_to(u).select_related("area_type", "created_by"),
        user,
        pk=pk,
    )


@require_GET
@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    """Every checklist, each with its versions (newest first) and item counts."""
    page_or_404(has_any_role(request.user))
    templates = (
        permissions.templates_visible_to(request.user)
        .select_related("area_type")
        .annotate(item_count=Count("items"))
        .order_by("code", "-version")
    )
    groups: dict[str, list[InspectionTemplate]] = {}
    for template in templates:
        groups.setdefault(template.code, []).append(template)
    # The version in use names the checklist; else the newest.
    rows = []
    for versions in groups.values():
        active = next((t for t in versions if t.status == TemplateStatus.ACTIVE), None)
        rows.append({"head": active or versions[0], "versions": versions})
    rows.sort(key=lambda r: (r["head"].area_type is not None, r["head"].code))
    return render(
        request,
        "inspections/template_list.html",
        {"rows": rows, "can_manage": permissions.can_manage_templates(request.user)},
    )


def _render_template(
    request: HttpRequest,
    template: InspectionTemplate,
    *,
    bound: tuple[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The template page; `bound` is (key, form) of a refused form to show with its errors.

    Keys: "new" (the add form), "item<pk>" (an item's edit form), "activate".
    """
    user = request.user
    can_manage = permissions.can_manage_templates(user)
    editable = can_manage and template.is_editable
    items = list(template.items.select_related("category__parent").order_by("order", "code"))
    rows = []
    for item in items:
        key = f"item{item.pk}"
        form = None
        if editable:
            form = bound[1] if bound and bound[0] == key else TemplateItemForm.for_item(item)
        rows.append(
            {
                "item": item,
                "points": points_text(item.points_per_unit),
                "cap": points_text(item.max_deduction),
                "form": form,
                "open": bool(bound and bound[0] == key),
            }
        )
    add_form = None
    if editable:
        next_order = max((i.order for i in items), default=0) + 1
        add_form = (
            bound[1]
            if bound and bound[0] == "new"
            else TemplateItemForm(prefix="new", initial={"order": next_order})
        )
    activate_form = None
    if editable:
        activate_form = bound[1] if bound and bound[0] == "activate" else ActivateForm()
    others = list(
        InspectionTemplate.objects.filter(code=template.code)
        .exclude(pk=template.pk)
        .order_by("-version")
    )
    in_use = next((t for t in others if t.status == TemplateStatus.ACTIVE), None)
    has_draft = any(t.status == TemplateStatus.DRAFT for t in others)
    return render(
        request,
        "inspections/template_detail.html",
        {
            "template": template,
            "full_score": points_text(template.full_score),
            "rows": rows,
            "can_manage": can_manage,
            "editable": editable,
            "add_form": add_form,
            "add_open": bool(bound and bound[0] == "new"),
            "activate_form": activate_form,
            "activate_open": bool(bound and bound[0] == "activate"),
            "others": others,
            "in_use": in_use,
            "offer_new_version": can_manage and not template.is_editable and not has_draft,
            "draft": next((t for t in others if t.status == TemplateStatus.DRAFT), None),
            "error": error,
        },
        status=status,
    )


def _not_a_draft(request: HttpRequest, template: InspectionTemplate) -> HttpResponse:
    return _render_template(
        request,
        template,
        error=_(
            "This version is “%(status)s” and cannot change any more; "
            "make a new version to change the checklist."
        )
        % {"status": template.get_status_display()},
        status=409,
    )


@require_http_methods(["GET", "POST"])
@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's items; on a draft, the office adds, changes and deletes them here."""
    template = _get_template(request.user, pk)
    if request.method == "GET":
        return _render_template(request, template)
    require(permissions.can_manage_templates(request.user))
    action = request.POST.get("action", "")
    if action not in ITEM_ACTIONS:
        return _render_template(
            request, template, error=_("Unknown action; reload the page."), status=400
        )
    if not template.is_editable:
        return _not_a_draft(request, template)
    item: TemplateItem | None = None
    if action in {"edit_item", "delete_item"}:
        try:
            item = template.items.filter(pk=int(request.POST.get("item", ""))).first()
        except ValueError:
            item = None
        if item is None:
            raise Http404
    if action == "delete_item":
        assert item is not None
        try:
            services.template_item_delete(item=item, actor=request.user)
        except services.InspectionConflict as exc:
            fresh = _get_template(request.user, pk)
            return _render_template(request, fresh, error=str(exc), status=409)
        except services.InspectionError as exc:
            return _render_template(request, template, error=str(exc), status=400)
        messages.success(request, _("Item “%(item)s” was deleted.") % {"item": item.text})
        return redirect("inspections:template", pk=template.pk)
    key = "new" if item is None else f"item{item.pk}"
    form = TemplateItemForm(request.POST, prefix=key)
    if not form.is_valid():
        return _render_template(request, template, bound=(key, form), status=400)
    data = form.cleaned_data
    try:
        saved = services.template_item_save(
            template=template,
            actor=request.user,
            code=data["code"].strip(),
            text=data["text"].strip(),
            unit=data["unit"].strip(),
            points_per_unit=data["points_per_unit"],
            max_deduction=data["max_deduction"],
            category=data["category"],
            order=data["order"],
            item=item,
        )
    except services.InspectionConflict as exc:
        fresh = _get_template(request.user, pk)
        return _render_template(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        form.add_error(None, str(exc))
        return _render_template(request, template, bound=(key, form), status=400)
    messages.success(request, _("Item “%(item)s” was saved.") % {"item": saved.text})
    return redirect("inspections:template", pk=template.pk)


@require_POST
@login_required
def template_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft copy of this version (items and all), to change and then activate."""
    template = _get_template(request.user, pk)
    require(permissions.can_manage_templates(request.user))
    try:
        draft = services.template_new_version(template=template, actor=request.user)
    except services.InspectionError as exc:
        return _render_template(request, template, error=str(exc), status=409)
    messages.success(
        request,
        _("Version %(version)d was made as a draft: change it, then put it in use.")
        % {"version": draft.version},
    )
    return redirect("inspections:template", pk=draft.pk)


@require_POST
@login_required
def template_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a draft in use; the version in use until now (and any other for its type) retires."""
    template = _get_template(request.user, pk)
    require(permissions.can_manage_templates(request.user))
    if not template.is_editable:
        return _not_a_draft(request, template)
    form = ActivateForm(request.POST)
    if not form.is_valid():
        return _render_template(request, template, bound=("activate", form), status=400)
    try:
        services.template_activate(template=template, actor=request.user)
    except services.InspectionConflict as exc:
        fresh = _get_template(request.user, pk)
        return _render_template(request, fresh, error=str(exc), status=409)
    except services.InspectionError as exc:
        form.add_error(None, str(exc))
        return _render_template(request, template, bound=("activate", form), status=400)
    messages.success(
        request,
        _("Version %(version)d is now in use.") % {"version": template.version},
    )
    return redirect("inspections:template", pk=template.pk)
