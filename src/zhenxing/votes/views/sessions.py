"""Pages for voting bodies and their rules, sessions and motions, opening and closing a
session, its result and the result notices (DOCX, PDF).

Reads go through `votes.permissions` (404 outside scope); writes go through
`votes.sessions` (views never save a model). A session's tellers see its page
but get 403 on what only its managers do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core.listing import paginate
from zhenxing.core.permissions import get_visible_or_404, page_or_404, require
from zhenxing.votes import notices, sessions
from zhenxing.votes.forms_sessions import (
    BodyForm,
    ConfirmForm,
    MotionForm,
    RuleForm,
    SessionFilterForm,
    SessionForm,
)
from zhenxing.votes.models import (
    Attendance,
    Elector,
    Motion,
    PaperEntry,
    SessionResult,
    SessionStatus,
    VoteRule,
    VotingSession,
)
from zhenxing.votes.permissions import (
    bodies_visible_to,
    can_manage_session,
    can_manage_votes_in,
    get_body_for_user,
    get_session_for_user,
    is_teller,
    sees_sessions,
    sees_voting_bodies,
    sessions_visible_to,
)


def _count(model: Any, field: str = "session") -> Subquery:
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _get_rule_for_user(user: Any, pk: Any) -> VoteRule:
    return get_visible_or_404(
        lambda u: VoteRule.objects.filter(body__in=bodies_visible_to(u)).select_related(
            "body", "body__region"
        ),
        user,
        pk=pk,
    )


def _get_motion_for_user(user: Any, pk: Any) -> Motion:
    return get_visible_or_404(
        lambda u: Motion.objects.filter(session__in=sessions_visible_to(u)).select_related(
            "session", "session__body", "session__body__region"
        ),
        user,
        pk=pk,
    )


def _body_locked(body: Any) -> bool:
    """Rules wait while a session of the body is open (it decides by its copy of them)."""
    return body.sessions.filter(status=SessionStatus.OPEN).exists()


# --- sessions list ------------------------------------------------------------------


@require_GET
@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_sessions(request.user))
    form = SessionFilterForm(request.user, request.GET or None)
    rows = (
        form.apply(sessions_visible_to(request.user))
        .select_related("body", "body__region")
        .annotate(
            roll_size=_count(Elector),
            motion_count=_count(Motion),
            present_count=_count(Attendance),
        )
        .order_by("-held_on", "-pk")
    )
    return render(
        request,
        "votes/session_list.html",
        {
            "form": form,
            **paginate(request, rows),
            "may_create": sees_voting_bodies(request.user),
        },
    )


# --- bodies and rules ---------------------------------------------------------------


@require_GET
@login_required
def body_list(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_voting_bodies(request.user))
    rows = (
        bodies_visible_to(request.user)
        .select_related("region")
        .annotate(rule_count=_count(VoteRule, "body"), session_count=_count(VotingSession, "body"))
        .order_by("region__path", "kind", "name")
    )
    return render(request, "votes/body_list.html", paginate(request, rows))


@require_http_methods(["GET", "POST"])
@login_required
def body_create(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_voting_bodies(request.user))
    form = BodyForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            # The region list holds only what the user manages; this is the belt to its braces.
            require(can_manage_votes_in(request.user, data["region"]))
            try:
                body = sessions.body_create(actor=request.user, **data)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The voting body was created with its default rules."))
                return redirect("votes:body", pk=body.pk)
        status = 400
    return render(request, "votes/body_form.html", {"form": form}, status=status)


@require_GET
@login_required
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    body = get_body_for_user(request.user, pk)
    can_manage = can_manage_votes_in(request.user, body.region)
    locked = _body_locked(body)
    return render(
        request,
        "votes/body_detail.html",
        {
            "body": body,
            "rules": list(body.rules.all()),
            "sessions": list(body.sessions.order_by("-held_on", "-pk")[:20]),
            "can_manage": can_manage,
            "locked": locked,
            "rule_form": RuleForm() if can_manage and not locked else None,
        },
    )


def _rule_form_page(
    request: HttpRequest, body: Any, form: RuleForm, rule: VoteRule | None, status: int
) -> HttpResponse:
    return render(
        request,
        "votes/body_rule_form.html",
        {"body": body, "form": form, "rule": rule},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    body = get_body_for_user(request.user, pk)
    require(can_manage_votes_in(request.user, body.region))
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.rule_add(body=body, actor=request.user, **form.cleaned_data)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The rule was added."))
                return redirect("votes:body", pk=body.pk)
        return _rule_form_page(request, body, form, None, 400)
    return _rule_form_page(request, body, form, None, 200)


@require_http_methods(["GET", "POST"])
@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule_for_user(request.user, pk)
    body = rule.body
    require(can_manage_votes_in(request.user, body.region))
    form = RuleForm.for_rule(rule, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.rule_update(rule=rule, actor=request.user, **form.cleaned_data)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The rule was saved."))
                return redirect("votes:body", pk=body.pk)
        return _rule_form_page(request, body, form, rule, 400)
    return _rule_form_page(request, body, form, rule, 200)


@require_http_methods(["GET", "POST"])
@login_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    rule = _get_rule_for_user(request.user, pk)
    body = rule.body
    require(can_manage_votes_in(request.user, body.region))
    error = None
    if request.method == "POST":
        try:
            sessions.rule_delete(rule=rule, actor=request.user)
        except sessions.VoteError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The rule was deleted."))
            return redirect("votes:body", pk=body.pk)
    return render(
        request,
        "votes/body_rule_delete.html",
        {"body": body, "rule": rule, "error": error},
        status=400 if error else 200,
    )


# --- sessions -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def session_create(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_voting_bodies(request.user))
    initial = {}
    body_param = request.GET.get("body", "")
    if body_param.isdigit() and len(body_param) < 12:
        initial["body"] = int(body_param)
    form = SessionForm(request.user, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = sessions.session_create(actor=request.user, **data)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The session was created. Add its motions and roll."))
                return redirect("votes:session", pk=session.pk)
        status = 400
    return render(
        request, "votes/session_form.html", {"form": form, "session": None}, status=status
    )


@require_GET
@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    can_manage = can_manage_session(request.user, session)
    motions = list(
        session.motions.prefetch_related("options").select_related("charter_version__charter")
    )
    draft = session.status == SessionStatus.DRAFT
    return render(
        request,
        "votes/session_detail.html",
        {
            "session": session,
            "motions": motions,
            "tellers": list(session.tellers.order_by("username")),
            "roll_size": session.electors.count(),
            "present_count": session.attendance.count(),
            "pending_paper": PaperEntry.objects.filter(
                motion__session=session, resolved_at__isnull=True
            ).count(),
            "ballot_count": session.ballots.count(),
            "can_manage": can_manage,
            "is_teller": is_teller(request.user, session),
            "open_problems": sessions.open_problems(session) if draft else [],
            "has_result": SessionResult.objects.filter(session=session).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    if request.method == "GET" and session.status != SessionStatus.DRAFT:
        messages.warning(request, _("Only a session in preparation can be changed."))
        return redirect("votes:session", pk=session.pk)
    form = SessionForm(request.user, request.POST or None, session=session)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.session_update(session=session, actor=request.user, **form.cleaned_data)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The session was saved."))
                return redirect("votes:session", pk=session.pk)
        status = 400
    return render(
        request, "votes/session_form.html", {"form": form, "session": session}, status=status
    )


# --- motions ------------------------------------------------------------------------


def _motion_values(form: MotionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "title": data["title"],
        "text": data["text"],
        "charter_version": data.get("charter_version"),
        "options": data["options"],
    }


@require_http_methods(["GET", "POST"])
@login_required
def motion_create(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    if request.method == "GET" and session.status != SessionStatus.DRAFT:
        messages.warning(request, _("Motions are added while the session is in preparation."))
        return redirect("votes:session", pk=session.pk)
    form = MotionForm(request.user, session, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.motion_create(session=session, actor=request.user, **_motion_values(form))
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The motion was added."))
                return redirect("votes:session", pk=session.pk)
        status = 400
    return render(
        request,
        "votes/motion_form.html",
        {"form": form, "session": session, "motion": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def motion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    motion = _get_motion_for_user(request.user, pk)
    session = motion.session
    require(can_manage_session(request.user, session))
    if request.method == "GET" and session.status != SessionStatus.DRAFT:
        messages.warning(request, _("Only a session in preparation can be changed."))
        return redirect("votes:session", pk=session.pk)
    form = MotionForm(request.user, session, request.POST or None, motion=motion)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.motion_update(motion=motion, actor=request.user, **_motion_values(form))
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The motion was saved."))
                return redirect("votes:session", pk=session.pk)
        status = 400
    return render(
        request,
        "votes/motion_form.html",
        {"form": form, "session": session, "motion": motion},
        status=status,
    )


# --- open and close -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def session_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET says what opening does (and what still stops it); POST opens."""
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    form = ConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.session_open(session=session, actor=request.user)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Voting is open; the roll is frozen."))
                return redirect("votes:session", pk=session.pk)
        status = 400
    return render(
        request,
        "votes/session_open.html",
        {
            "session": session,
            "form": form,
            "problems": sessions.open_problems(session)
            if session.status == SessionStatus.DRAFT
            else [],
            "roll_size": session.electors.count(),
            "charter_motions": list(
                session.motions.filter(charter_version__isnull=False).select_related(
                    "charter_version__charter"
                )
            ),
            "rules": list(session.body.rules.all()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def session_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET says what closing does; POST closes and publishes the result."""
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    form = ConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sessions.session_close(session=session, actor=request.user)
            except sessions.VoteError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The session is closed and its result published."))
                return redirect("votes:result", pk=session.pk)
        status = 400
    return render(
        request,
        "votes/session_close.html",
        {
            "session": session,
            "form": form,
            "pending_paper": PaperEntry.objects.filter(
                motion__session=session, resolved_at__isnull=True
            ).count(),
            "ballot_count": session.ballots.count(),
            "present_count": session.attendance.count(),
            "roll_size": session.electors.count(),
        },
        status=status,
    )


# --- result and notices -------------------------------------------------------------


def _closed_result(request: HttpRequest, pk: int) -> tuple[VotingSession, SessionResult]:
    session = get_session_for_user(request.user, pk)
    result = SessionResult.objects.filter(session=session).first()
    if session.status != SessionStatus.CLOSED or result is None:
        raise Http404
    return session, result


@require_GET
@login_required
def session_result(request: HttpRequest, pk: int) -> HttpResponse:
    session, result = _closed_result(request, pk)
    return render(
        request,
        "votes/result.html",
        {
            "session": session,
            "result": result,
            "figures": notices.display_figures(result.figures),
            "public_url": _public_url(request, session),
        },
    )


def _public_url(request: HttpRequest, session: VotingSession) -> str:
    return request.build_absolute_uri(reverse("votes_public:result", args=[session.public_token]))


@require_GET
@login_required
def notice_docx(request: HttpRequest, pk: int) -> HttpResponse:
    session, result = _closed_result(request, pk)
    data = notices.notice_docx(session, result, public_url=_public_url(request, session))
    return notices.download(data, notices.filename(session, "docx"), notices.DOCX_TYPE)


@require_GET
@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    session, result = _closed_result(request, pk)
    data = notices.notice_pdf(session, result, public_url=_public_url(request, session))
    return notices.download(data, notices.filename(session, "pdf"), notices.PDF_TYPE)
