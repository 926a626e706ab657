"""Tellers' and managers' ballot pages: paper entry, its confirmation, one-time codes, the chain.

Paper ballots are for the session's tellers (a manager who is not a teller
sees the session and gets 403); codes are issued by those who manage the
session (a teller who does not gets 403). Everyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.core.listing import paginate
from zhenxing.core.permissions import require
from zhenxing.votes import chain
from zhenxing.votes.ballots import (
    VoteError,
    code_issue_many,
    electors_awaiting_code,
    paper_discard,
    paper_enter,
    pending_entries,
)
from zhenxing.votes.ballots import (
    paper_confirm as paper_confirm_service,
)
from zhenxing.votes.codes import Slip, shown, slips_pdf
from zhenxing.votes.forms_ballots import (
    CodeIssueForm,
    ElectorSearchForm,
    PaperConfirmForm,
    PaperDiscardForm,
    PaperEntryForm,
    valid_id,
)
from zhenxing.votes.models import (
    Ballot,
    Elector,
    Motion,
    OneTimeCode,
    PaperEntry,
    Proxy,
    SessionStatus,
    VotingSession,
)
from zhenxing.votes.permissions import can_manage_session, get_session_for_user, is_teller

SEARCH_LIMIT = 30
# The plain codes of the last issue, kept server-side for one download of their slips.
SLIPS_SESSION_KEY = "votes_code_slips"


def _is_open(session: VotingSession) -> bool:
    return session.status == SessionStatus.OPEN


# --- paper entry -----------------------------------------------------------------------------


def _selected_elector(session: VotingSession, value: str | None) -> Elector | None:
    if not value or not valid_id(value):
        return None
    return Elector.objects.filter(session=session, pk=value).first()


def _elector_motions(session: VotingSession, elector: Elector) -> list[dict[str, Any]]:
    """Each motion with what the elector has on it: a ballot, a pending paper, or options."""
    ballots = {b.motion_id: b for b in Ballot.objects.filter(session=session, elector=elector)}
    pending = {
        p.motion_id: p
        for p in PaperEntry.objects.filter(
            motion__session=session, elector=elector, resolved_at__isnull=True
        )
    }
    rows = []
    for motion in Motion.objects.filter(session=session).prefetch_related("options"):
        rows.append(
            {
                "motion": motion,
                "ballot": ballots.get(motion.pk),
                "pending": pending.get(motion.pk),
                "options": list(motion.options.all()),
            }
        )
    return rows


def _search(session: VotingSession, q: str) -> list[Elector]:
    if not q:
        return []
    return list(
        Elector.objects.filter(session=session)
        .filter(Q(name__icontains=q) | Q(household__icontains=q))
        .annotate(ballot_count=Count("ballots"))
        .order_by("row_number", "pk")[:SEARCH_LIMIT]
    )


def _paper_page(
    request: HttpRequest,
    session: VotingSession,
    *,
    form: PaperEntryForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    search = ElectorSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    elector_value = request.POST.get("elector") if request.method == "POST" else None
    elector = _selected_elector(session, elector_value or request.GET.get("elector"))
    proxy = (
        Proxy.objects.filter(session=session, principal=elector).select_related("agent").first()
        if elector
        else None
    )
    listing = paginate(request, pending_entries(session))
    return render(
        request,
        "votes/paper.html",
        {
            "session": session,
            "tab": "paper",
            "is_open": _is_open(session),
            "search": search,
            "q": q,
            "found": _search(session, q),
            "elector": elector,
            "proxy": proxy,
            "motions": _elector_motions(session, elector) if elector else [],
            "form": form,
            "error": error,
            "motion_count": session.motions.count(),
            **listing,
        },
        status=status,
    )


def _back_to_paper(request: HttpRequest, session: VotingSession, **params: Any) -> HttpResponse:
    query = {k: v for k, v in params.items() if v}
    url = reverse("votes:paper", args=[session.pk])
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(is_teller(request.user, session))
    if request.method == "GET":
        return _paper_page(request, session)
    q = str(request.POST.get("q", ""))[:40]
    if request.POST.get("action") == "discard":
        discard = PaperDiscardForm(session, request.POST)
        if not discard.is_valid():
            return _paper_page(
                request,
                session,
                error=_("That paper ballot is no longer waiting: nothing was discarded."),
                status=400,
            )
        try:
            entry = paper_discard(entry=discard.cleaned_data["entry"], actor=request.user)
        except VoteError as error:
            return _paper_page(request, session, error=error.message, status=400)
        messages.info(
            request,
            _("The paper ballot of %(name)s on motion %(number)d was discarded.")
            % {"name": entry.elector.name, "number": entry.motion.number},
        )
        return _back_to_paper(request, session, q=q)
    form = PaperEntryForm(session, request.POST)
    if not form.is_valid():
        return _paper_page(request, session, form=form, status=400)
    data = form.cleaned_data
    try:
        entry = paper_enter(
            motion=data["motion"],
            elector=data["elector"],
            option=data["option"],
            cast_by=data["cast_by"],
            actor=request.user,
        )
    except VoteError as error:
        form.add_error(None, error.message)
        return _paper_page(request, session, form=form, status=400)
    messages.success(
        request,
        _(
            "Entered for %(name)s on motion %(number)d: %(option)s. "
            "A second teller must now confirm it."
        )
        % {"name": entry.elector.name, "number": entry.motion.number, "option": entry.option.label},
    )
    return _back_to_paper(request, session, q=q, elector=entry.elector.pk)


# --- confirmation by a second teller ---------------------------------------------------------


def _confirm_page(
    request: HttpRequest,
    session: VotingSession,
    *,
    form: PaperConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    waiting = (
        pending_entries(session)
        .exclude(entered_by=request.user)
        .prefetch_related("motion__options")
    )
    mine = pending_entries(session).filter(entered_by=request.user).count()
    return render(
        request,
        "votes/paper_confirm.html",
        {
            "session": session,
            "tab": "confirm",
            "is_open": _is_open(session),
            "form": form,
            "mine": mine,
            **paginate(request, waiting),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def paper_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(is_teller(request.user, session))
    if request.method == "GET":
        return _confirm_page(request, session)
    form = PaperConfirmForm(session, request.user, request.POST)
    if not form.is_valid():
        return _confirm_page(request, session, form=form, status=400)
    try:
        outcome = paper_confirm_service(
            entry=form.cleaned_data["entry"], option=form.cleaned_data["option"], actor=request.user
        )
    except VoteError as error:
        form.add_error(None, error.message)
        return _confirm_page(request, session, form=form, status=400)
    entry = outcome.entry
    if outcome.ballot is not None:
        messages.success(
            request,
            _("Confirmed: ballot #%(seq)d of %(name)s on motion %(number)d.")
            % {
                "seq": outcome.ballot.seq,
                "name": entry.elector.name,
                "number": entry.motion.number,
            },
        )
    else:
        messages.warning(
            request,
            _(
                "The two readings of %(name)s's paper on motion %(number)d differ: the entry "
                "was discarded. Both tellers must look at the paper again, then enter it anew."
            )
            % {"name": entry.elector.name, "number": entry.motion.number},
        )
    return redirect("votes:paper_confirm", pk=session.pk)


# --- one-time codes --------------------------------------------------------------------------


def _code_rows(session: VotingSession, q: str) -> QuerySet[Elector]:
    codes = OneTimeCode.objects.filter(elector=OuterRef("pk")).order_by("-issued_at", "-pk")
    now = timezone.now()
    rows = (
        Elector.objects.filter(session=session)
        .annotate(
            ballot_count=Count("ballots", distinct=True),
            code_issued_at=Subquery(codes.values("issued_at")[:1]),
            code_used_at=Subquery(codes.values("used_at")[:1]),
            code_live=Exists(
                OneTimeCode.objects.filter(
                    elector=OuterRef("pk"),
                    used_at__isnull=True,
                    revoked_at__isnull=True,
                    expires_at__gt=now,
                )
            ),
        )
        .order_by("row_number", "pk")
    )
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(household__icontains=q))
    return rows


def _codes_page(
    request: HttpRequest,
    session: VotingSession,
    *,
    form: CodeIssueForm | None = None,
    status: int = 200,
) -> HttpResponse:
    search = ElectorSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    return render(
        request,
        "votes/codes.html",
        {
            "session": session,
            "tab": "codes",
            "search": search,
            "form": form,
            "closed": session.status == SessionStatus.CLOSED,
            "awaiting": electors_awaiting_code(session).count(),
            "motion_count": session.motions.count(),
            **paginate(request, _code_rows(session, q)),
        },
        status=status,
    )


def _slip_time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def codes(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    if request.method == "GET":
        return _codes_page(request, session)
    form = CodeIssueForm(session, request.POST)
    if not form.is_valid():
        return _codes_page(request, session, form=form, status=400)
    if form.cleaned_data["everyone"]:
        electors = list(electors_awaiting_code(session))
    else:
        electors = sorted(form.cleaned_data["electors"], key=lambda e: (e.row_number, e.pk))
    if not electors:
        form.add_error(None, _("Everyone has voted or holds a live code: no code was issued."))
        return _codes_page(request, session, form=form, status=400)
    try:
        issued = code_issue_many(session=session, electors=electors, actor=request.user)
    except VoteError as error:
        form.add_error(None, error.message)
        return _codes_page(request, session, form=form, status=400)
    rows = [
        {
            "name": code.elector.name,
            "household": code.elector.household,
            "code": shown(plain),
            "expires_at": _slip_time(code.expires_at),
        }
        for code, plain in issued
    ]
    # For one download of the slips (code_slips), then gone: the database keeps only hashes.
    stored = dict(request.session.get(SLIPS_SESSION_KEY, {}))
    stored[str(session.pk)] = rows
    request.session[SLIPS_SESSION_KEY] = stored
    response = render(
        request,
        "votes/codes_issued.html",
        {
            "session": session,
            "tab": "codes",
            "rows": rows,
            "cast_url": request.build_absolute_uri(reverse("votes_public:cast")),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@login_required
def code_slips(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    require(can_manage_session(request.user, session))
    stored = dict(request.session.get(SLIPS_SESSION_KEY, {}))
    rows = stored.pop(str(session.pk), None)
    request.session[SLIPS_SESSION_KEY] = stored
    if not rows:
        messages.warning(
            request,
            _(
                "The slips of these codes were printed already, or no codes were issued: codes "
                "are shown once. Issue new codes to print slips again (the old ones stop working)."
            ),
        )
        return redirect("votes:codes", pk=session.pk)
    pdf = slips_pdf(
        title=session.title,
        cast_url=request.build_absolute_uri(reverse("votes_public:cast")),
        slips=[
            Slip(
                name=r["name"],
                household=r["household"],
                code=r["code"].replace("-", ""),
                expires_at=r["expires_at"],
            )
            for r in rows
        ],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="codes-{session.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- the chain -------------------------------------------------------------------------------


@require_GET
@login_required
def chain_json(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    response = JsonResponse(
        chain.export(session), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Content-Disposition"] = f'attachment; filename="chain-{session.public_token}.json"'
    return response
