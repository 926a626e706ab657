"""A session's roll (list, corrections, XLSX import, template, export), the sign-in desk and
the proxies.

Who: the session's managers (the office, the community's secretary) and its
tellers see these pages; everyone else gets 404. The roll is the managers'
(import, corrections, template, export; a teller reads it and gets 403 for a
change); the sign-in desk and the proxies are run by managers and tellers
alike. Writes go through `votes.rolls`, which also refuses a frozen roll.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core import audit
from zhenxing.core.listing import paginate
from zhenxing.core.permissions import require
from zhenxing.core.xlsx import xlsx_download, xlsx_response
from zhenxing.votes import rolls
from zhenxing.votes import rules as engine
from zhenxing.votes.forms_rolls import ElectorForm, ProxyForm, RollFilterForm, RollImportForm
from zhenxing.votes.models import (
    Attendance,
    Base,
    Basis,
    BodyKind,
    Elector,
    Proxy,
    SessionStatus,
    Threshold,
    VotingSession,
)
from zhenxing.votes.permissions import can_manage_session, get_session_for_user, is_teller

_PK = re.compile(r"\d{1,10}")


def _may_manage(request: HttpRequest, session: VotingSession) -> bool:
    return can_manage_session(request.user, session)


def _at_desk(request: HttpRequest, session: VotingSession) -> bool:
    """Sign-in and proxies: the session's managers and its tellers."""
    return _may_manage(request, session) or is_teller(request.user, session)


def _elector_or_404(session: VotingSession, raw: Any) -> Elector:
    text = str(raw or "")
    if not _PK.fullmatch(text):
        raise Http404
    elector = Elector.objects.filter(session=session, pk=int(text)).first()
    if elector is None:
        raise Http404
    return elector


def _search(electors: QuerySet[Elector], form: RollFilterForm) -> QuerySet[Elector]:
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"]
        electors = electors.filter(Q(name__icontains=q) | Q(household__iexact=q))
    return electors


# --- the roll ---------------------------------------------------------------------


def _roll_context(
    request: HttpRequest, session: VotingSession, *, edit_form: ElectorForm | None = None
) -> dict[str, Any]:
    may_manage = _may_manage(request, session)
    frozen = rolls.roll_is_frozen(session)
    form = RollFilterForm(request.GET or None)
    electors = _search(Elector.objects.filter(session=session).order_by("row_number", "pk"), form)
    context: dict[str, Any] = {
        "session": session,
        "form": form,
        "counts": rolls.roll_counts(session),
        "may_manage": may_manage,
        "may_edit": may_manage and not frozen,
        "frozen": frozen,
        "edit_form": edit_form,
        "editing": None,
        **paginate(request, electors),
    }
    for elector in context["page"].object_list:
        elector.shares_display = rolls.shares_text(elector.shares)
    if edit_form is None and context["may_edit"] and request.GET.get("edit"):
        editing = _elector_or_404(session, request.GET["edit"])
        context["editing"] = editing
        context["edit_form"] = ElectorForm(
            initial={
                "name": editing.name,
                "household": editing.household,
                "group_name": editing.group_name,
                "shares": editing.shares,
                "is_representative": editing.is_representative,
                "mobile": editing.mobile,
            }
        )
    return context


@require_http_methods(["GET", "POST"])
@login_required
def roll(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    if request.method == "GET":
        return render(request, "votes/roll.html", _roll_context(request, session))
    require(_may_manage(request, session))
    elector = _elector_or_404(session, request.POST.get("elector"))
    action = request.POST.get("action")
    if action == "delete":
        try:
            rolls.elector_delete(elector=elector, actor=request.user)
        except rolls.VoteError as exc:
            context = _roll_context(request, session)
            context["error"] = str(exc)
            return render(request, "votes/roll.html", context, status=400)
        messages.success(request, _("%(name)s was taken off the roll.") % {"name": elector.name})
        return redirect("votes:roll", pk=session.pk)
    if action != "update":
        return HttpResponse(_("Unknown action."), status=400)
    form = ElectorForm(request.POST)
    if form.is_valid():
        try:
            rolls.elector_update(elector=elector, actor=request.user, **form.cleaned_data)
        except rolls.VoteError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The entry of %(name)s was saved.") % {"name": elector.name}
            )
            return redirect("votes:roll", pk=session.pk)
    context = _roll_context(request, session, edit_form=form)
    context["editing"] = elector
    return render(request, "votes/roll.html", context, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def roll_import(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(_may_manage(request, session))
    form = RollImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "session": session,
        "form": form,
        "columns": rolls.COLUMNS,
        "result": None,
        "frozen": rolls.roll_is_frozen(session),
        "representatives_only": session.body.kind == BodyKind.REPRESENTATIVES,
    }
    if request.method == "GET":
        return render(request, "votes/roll_import.html", context)
    if not form.is_valid():
        return render(request, "votes/roll_import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = rolls.roll_import(
            session=session,
            file=upload,
            filename=upload.name,
            actor=request.user,
            replace=form.cleaned_data["replace"],
        )
    except (rolls.ImportFileError, rolls.VoteError) as exc:
        form.add_error("file", str(exc))
        return render(request, "votes/roll_import.html", context, status=400)
    if result.ok:
        messages.success(
            request,
            _("%(count)s electors were added to the roll.") % {"count": result.created},
        )
        return redirect("votes:roll", pk=session.pk)
    # Rows with errors mean nothing was written: a 400, like any rejected form.
    context["result"] = result
    return render(request, "votes/roll_import.html", context, status=400)


@require_GET
@login_required
def roll_template(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(_may_manage(request, session))
    return xlsx_download(rolls.template_workbook(), "roll-template.xlsx")


@require_GET
@login_required
def roll_export(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(_may_manage(request, session))
    headers = [
        _("Row"),
        _("Name"),
        _("Household"),
        _("Villagers' group"),
        _("Shares"),
        _("Representative"),
        _("Mobile"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = xlsx_response(
        f"roll-{session.pk}-{stamp}.xlsx", headers, rolls.export_rows(session), title=_("Roll")
    )
    # Personal data leaving the system is itself worth a row in the audit log.
    audit.record(
        actor=request.user,
        action="votes.roll.export",
        obj=session,
        summary=f"{session.title}: roll exported",
        changes={"session": session.pk},
    )
    return response


# --- the sign-in desk -------------------------------------------------------------


def _quorum(session: VotingSession, roll: rolls.RollCounts, present: rolls.RollCounts) -> dict:
    """The quorum rules (as frozen when voting opened, else the body's) with met / not met."""
    rules = session.rules_snapshot or list(session.body.rules.all())
    met, details = engine.quorum_met(
        rules,
        engine.Count(present.headcount, present.households, present.shares),
        engine.Count(roll.headcount, roll.households, roll.shares),
    )
    for rule in details:
        rule["basis_label"] = Basis(rule["basis"]).label
        rule["base_label"] = Base(rule["base"]).label
        rule["threshold_label"] = Threshold(rule["threshold"]).label
    return {"met": met, "rules": details}


def _attendance_context(request: HttpRequest, session: VotingSession) -> dict[str, Any]:
    form = RollFilterForm(request.GET or None)
    electors = _search(Elector.objects.filter(session=session).order_by("row_number", "pk"), form)
    listing = paginate(request, electors, per_page=30)
    on_page = list(listing["page"].object_list)
    ids = [e.pk for e in on_page]
    present_via = dict(
        Attendance.objects.filter(session=session, elector_id__in=ids).values_list(
            "elector_id", "via"
        )
    )
    agents = dict(
        Proxy.objects.filter(session=session, principal_id__in=ids).values_list(
            "principal_id", "agent__name"
        )
    )
    for elector in on_page:
        elector.present_via = present_via.get(elector.pk)
        elector.agent_name = agents.get(elector.pk)
        elector.shares_display = rolls.shares_text(elector.shares)
    roll, present = rolls.roll_counts(session), rolls.present_counts(session)
    return {
        "session": session,
        "form": form,
        "rows": on_page,
        "is_open": session.status == SessionStatus.OPEN and session.roll_frozen_at is not None,
        "roll": roll,
        "present": present,
        "quorum": _quorum(session, roll, present),
        **listing,
    }


@require_http_methods(["GET", "POST"])
@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(_at_desk(request, session))
    if request.method == "GET":
        context = _attendance_context(request, session)
        if request.headers.get("HX-Request") and request.GET.get("part") == "counts":
            # The counts panel refreshes itself, so two desks see each other's sign-ins.
            return render(request, "votes/_roll_attendance_counts.html", context)
        return render(request, "votes/attendance.html", context)
    elector = _elector_or_404(session, request.POST.get("elector"))
    action = request.POST.get("action")
    try:
        if action == "present":
            rolls.attendance_record(session=session, elector=elector, actor=request.user)
            messages.success(request, _("%(name)s is present.") % {"name": elector.name})
        elif action == "remove":
            rolls.attendance_remove(session=session, elector=elector, actor=request.user)
            messages.success(
                request, _("The attendance of %(name)s was removed.") % {"name": elector.name}
            )
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except rolls.VoteError as exc:
        context = _attendance_context(request, session)
        context["error"] = str(exc)
        return render(request, "votes/attendance.html", context, status=400)
    back = reverse("votes:attendance", kwargs={"pk": session.pk})
    query = request.GET.urlencode()
    return redirect(f"{back}?{query}" if query else back)


# --- proxies -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def proxies(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    at_desk = _at_desk(request, session)
    if request.method == "POST":
        require(at_desk)
        form = ProxyForm(session, request.POST)
    else:
        initial = {}
        principal = request.GET.get("principal", "")
        if _PK.fullmatch(principal):
            initial["principal"] = int(principal)
        form = ProxyForm(session, initial=initial)
    is_open = session.status == SessionStatus.OPEN and session.roll_frozen_at is not None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rolls.proxy_record(
                    session=session,
                    principal=form.cleaned_data["principal"],
                    agent=form.cleaned_data["agent"],
                    document=form.cleaned_data["document"],
                    actor=request.user,
                )
            except rolls.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("%(agent)s now votes for %(principal)s.")
                    % {
                        "agent": form.cleaned_data["agent"].name,
                        "principal": form.cleaned_data["principal"].name,
                    },
                )
                return redirect("votes:proxies", pk=session.pk)
        status = 400
    listing = paginate(
        request,
        Proxy.objects.filter(session=session)
        .select_related("principal", "agent", "recorded_by")
        .order_by("principal__row_number", "pk"),
    )
    context = {
        "session": session,
        "form": form,
        "at_desk": at_desk,
        "is_open": is_open,
        "max_proxies": session.body.max_proxies_per_agent,
        **listing,
    }
    return render(request, "votes/proxies.html", context, status=status)
