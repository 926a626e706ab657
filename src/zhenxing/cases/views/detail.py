"""One case: its page (header, map, before/after photos, timeline) and every step taken on it.

The page offers only the steps the viewer may take now. Each step is a POST
to `act/<step>/` carrying the case version the form was shown with; the
service refuses a stale one (409), a step the viewer does not own (403) or a
broken rule (400), and the page is shown again with the reason and the
viewer's input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zhenxing.cases import permissions, services
from zhenxing.cases.forms import (
    AddReportForm,
    CaseReportForm,
    DecideForm,
    DispatchForm,
    NoteForm,
    RectifyForm,
    RejectForm,
    RequestForm,
    ResumeForm,
    StepForm,
    VerifyFailForm,
    VerifyPassForm,
)
from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    PhotoKind,
    RequestKind,
    RequestStatus,
    Status,
)
from zhenxing.cases.selectors import pending_request, visible_relapses
from zhenxing.cases.views.intake import find_duplicates, render_intake
from zhenxing.core.privacy import mask_mobile, mask_mobiles_unless, mask_name

User = Any


@dataclass(frozen=True)
class Step:
    """One step of the loop as the case page offers it."""

    key: str
    title: Promise
    statuses: frozenset[str]
    may: Callable[[User, Case], bool]
    make_form: Callable[..., StepForm]
    run: Callable[[User, Case, dict[str, Any]], Any]
    done: Promise
    style: str = "primary"
    multipart: bool = False
    # Only while no request waits for a decision (one pending request per case).
    needs_no_pending: bool = False
    explain: Promise | None = None


def _v(data: dict[str, Any]) -> int:
    return data["version"]


def _request_step(kind: str, key: str, title: Promise, done: Promise, explain: Promise) -> Step:
    return Step(
        key=key,
        title=title,
        statuses=CLOCK_STATES,
        may=permissions.is_handler,
        make_form=lambda case, *a, **kw: RequestForm(case, *a, kind=kind, **kw),
        run=lambda user, case, d: services.case_request(
            case=case,
            actor=user,
            kind=kind,
            reason=d["reason"],
            until=d.get("until"),
            expected_version=_v(d),
        ),
        done=done,
        style="outline-secondary",
        needs_no_pending=True,
        explain=explain,
    )


STEPS: dict[str, Step] = {
    step.key: step
    for step in [
        Step(
            key="accept",
            title=gettext_lazy("Accept the case"),
            statuses=frozenset({Status.REPORTED}),
            may=permissions.can_dispatch,
            make_form=NoteForm,
            run=lambda user, case, d: services.case_accept(
                case=case, actor=user, note=d["note"], expected_version=_v(d)
            ),
            done=gettext_lazy("The case was accepted; dispatch it next."),
            style="success",
        ),
        Step(
            key="reject",
            title=gettext_lazy("Do not accept"),
            statuses=frozenset({Status.REPORTED}),
            may=permissions.can_dispatch,
            make_form=RejectForm,
            run=lambda user, case, d: services.case_reject(
                case=case, actor=user, reason=d["reason"], expected_version=_v(d)
            ),
            done=gettext_lazy("The case was rejected."),
            style="outline-danger",
        ),
        Step(
            key="dispatch",
            title=gettext_lazy("Dispatch"),
            statuses=frozenset({Status.ACCEPTED}),
            may=permissions.can_dispatch,
            make_form=DispatchForm,
            run=lambda user, case, d: services.case_dispatch(
                case=case,
                actor=user,
                to=d["target"],
                deadline=d.get("deadline"),
                note=d["note"],
                expected_version=_v(d),
            ),
            done=gettext_lazy("The case was dispatched; the handler has been told."),
        ),
        Step(
            key="start",
            title=gettext_lazy("Start rectifying"),
            statuses=frozenset({Status.DISPATCHED, Status.REWORK}),
            may=permissions.is_handler,
            make_form=NoteForm,
            run=lambda user, case, d: services.case_start(
                case=case, actor=user, note=d["note"], expected_version=_v(d)
            ),
            done=gettext_lazy("Rectification started."),
        ),
        Step(
            key="rectify",
            title=gettext_lazy("Report it put right"),
            statuses=CLOCK_STATES,
            may=permissions.is_handler,
            make_form=RectifyForm,
            run=lambda user, case, d: services.case_rectify(
                case=case,
                actor=user,
                note=d["note"],
                photos=d["photos"],
                expected_version=_v(d),
            ),
            done=gettext_lazy("Reported as put right; it now waits for verification."),
            style="success",
            multipart=True,
        ),
        Step(
            key="verify_pass",
            title=gettext_lazy("Verified: close the case"),
            statuses=frozenset({Status.RECTIFIED}),
            may=permissions.can_verify,
            make_form=VerifyPassForm,
            run=lambda user, case, d: services.case_verify(
                case=case,
                actor=user,
                passed=True,
                note=d["note"],
                photos=d["photos"],
                expected_version=_v(d),
            ),
            done=gettext_lazy("Verified; the case is closed."),
            style="success",
            multipart=True,
        ),
        Step(
            key="verify_fail",
            title=gettext_lazy("Not put right: send to rework"),
            statuses=frozenset({Status.RECTIFIED}),
            may=permissions.can_verify,
            make_form=VerifyFailForm,
            run=lambda user, case, d: services.case_verify(
                case=case,
                actor=user,
                passed=False,
                note=d["reason"],
                photos=d["photos"],
                expected_version=_v(d),
            ),
            done=gettext_lazy("The case went back to the handler for rework."),
            style="outline-danger",
            multipart=True,
        ),
        _request_step(
            RequestKind.EXTENSION,
            "request_extension",
            gettext_lazy("Ask for an extension"),
            gettext_lazy("Extension requested; the office decides."),
            gettext_lazy("The office approves or denies; the deadline stays until then."),
        ),
        _request_step(
            RequestKind.DEFERRAL,
            "request_deferral",
            gettext_lazy("Ask to defer"),
            gettext_lazy("Deferral requested; the office decides."),
            gettext_lazy("If approved, the clock stops until the office resumes the case."),
        ),
        _request_step(
            RequestKind.SEND_BACK,
            "request_send_back",
            gettext_lazy("Ask to send back"),
            gettext_lazy("Send-back requested; the office decides."),
            gettext_lazy("If approved, the case returns to the dispatcher without an assignee."),
        ),
        Step(
            key="resume",
            title=gettext_lazy("Resume the deferred case"),
            statuses=frozenset({Status.DEFERRED}),
            may=permissions.can_decide_requests,
            make_form=ResumeForm,
            run=lambda user, case, d: services.case_resume(
                case=case,
                actor=user,
                deadline=d.get("deadline"),
                note=d["note"],
                expected_version=_v(d),
            ),
            done=gettext_lazy("The case was resumed with a new deadline."),
        ),
    ]
}


def _make_form(step: Step, user: Any, case: Case, data: Any = None, files: Any = None) -> StepForm:
    return step.make_form(case, data, files, user=user)


def _offered(user: Any, case: Case, pending: CaseRequest | None) -> list[Step]:
    return [
        step
        for step in STEPS.values()
        if case.status in step.statuses
        and not (step.needs_no_pending and pending is not None)
        and step.may(user, case)
    ]


# --- the page -------------------------------------------------------------------

_DATA_LABELS = {
    "to": gettext_lazy("Assigned to"),
    "deadline": gettext_lazy("Deadline"),
    "until": gettext_lazy("Until"),
    "relapse_of": gettext_lazy("Relapse of"),
    "level": gettext_lazy("Escalation level"),
    "department": gettext_lazy("Department"),
    "request": gettext_lazy("Request"),
}


def _event_details(event: CaseEvent, *, origin_visible: bool) -> list[tuple[Any, Any]]:
    """The event's data as (label, value) pairs a person can read.

    A relapse origin's number only for a reader who may open that case.
    """
    details: list[tuple[Any, Any]] = []
    for key, label in _DATA_LABELS.items():
        value = event.data.get(key)
        if value in (None, "") or (key == "relapse_of" and not origin_visible):
            continue
        if key in ("deadline", "until") and isinstance(value, str):
            parsed = parse_datetime(value)
            value = timezone.localtime(parsed) if parsed else value
        elif key == "request":
            with contextlib.suppress(ValueError):
                value = RequestKind(value).label
        details.append((label, value))
    return details


def _reporter(case: Case, full: bool) -> dict[str, str]:
    """A resident's name and mobile in full for the dispatchers only; masked for anyone else."""
    name, mobile = case.reporter_name, case.reporter_mobile
    return {
        "name": name if full else mask_name(name),
        "mobile": mobile if full else mask_mobile(mobile),
    }


def _visible_origin(user: Any, case: Case) -> Case | None:
    """The closed case this one relapses, if the user may see it (one query, relapses only)."""
    if case.relapse_of_id is None:
        return None
    return permissions.cases_visible_to(user).filter(pk=case.relapse_of_id).only("number").first()


def _render(
    request: HttpRequest,
    case: Case,
    *,
    bound: tuple[str, StepForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    pending = pending_request(case)
    forms: list[dict[str, Any]] = []
    for step in _offered(user, case, pending):
        if bound is not None and bound[0] == step.key:
            form, is_open = bound[1], True
        else:
            form, is_open = _make_form(step, user, case), False
        forms.append({"step": step, "form": form, "open": is_open})
    if bound is not None and bound[0] == "decide":
        decide_form = bound[1]
    elif pending is not None and permissions.can_decide_requests(user, case):
        decide_form = DecideForm(case, user=user)
    else:
        decide_form = None

    # Dispatchers see the case whole; anyone else sees a mobile in free text masked.
    full = permissions.can_dispatch(user, case)
    origin = _visible_origin(user, case)
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    photos = list(case.photos.order_by("uploaded_at", "pk"))
    by_event: dict[int | None, list[CasePhoto]] = {}
    for photo in photos:
        by_event.setdefault(photo.event_id, []).append(photo)
    timeline = [
        {
            "event": e,
            "note": mask_mobiles_unless(e.note, full),
            "details": _event_details(e, origin_visible=origin is not None),
            "photos": by_event.get(e.pk, []),
        }
        for e in events
    ]
    now = timezone.now()
    context = {
        "case": case,
        "urgency": case.urgency(now),
        "overdue": case.is_overdue(now),
        "now": now,
        "reporter": _reporter(case, full),
        "shown": {
            "description": mask_mobiles_unless(case.description, full),
            "address": mask_mobiles_unless(case.address, full),
            "pending_reason": mask_mobiles_unless(pending.reason, full) if pending else "",
        },
        "before": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after": [p for p in photos if p.kind == PhotoKind.AFTER],
        "may_see_originals": full,
        "timeline": timeline,
        "pending": pending,
        "decide_form": decide_form,
        "actions": forms,
        "relapse_origin": origin,
        "relapses": list(visible_relapses(user, case).only("number", "status", "reported_at")),
        "error": error,
        "map_config": {
            "lat": case.lat,
            "lng": case.lng,
            "area": case.region.geometry,
            "label": str(case),
        },
    }
    return render(request, "cases/case_detail.html", context, status=status)


@require_GET
@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = permissions.get_case_for_user(request.user, number)
    return _render(request, case)


def _conflict(request: HttpRequest, number: str, message: str) -> HttpResponse:
    """The case as it is now, with the reason the step was refused."""
    fresh = permissions.get_case_for_user(request.user, number)
    return _render(request, fresh, error=message, status=409)


@require_POST
@login_required
def case_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    step = STEPS.get(action)
    case = permissions.get_case_for_user(request.user, number)
    if step is None:
        raise Http404
    if case.status not in step.statuses:
        return _conflict(
            request,
            number,
            _("Case %(number)s is now “%(status)s”; this step no longer applies.")
            % {"number": case.number, "status": case.get_status_display()},
        )
    if not step.may(request.user, case):
        raise PermissionDenied
    form = _make_form(step, request.user, case, request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, case, bound=(step.key, form), status=400)
    try:
        step.run(request.user, case, form.cleaned_data)
    except services.CaseConflict as exc:
        return _conflict(request, number, str(exc))
    except services.CaseError as exc:
        form.add_error(None, str(exc))
        return _render(request, case, bound=(step.key, form), status=400)
    messages.success(request, str(step.done))
    return redirect("cases:detail", number=case.number)


@require_POST
@login_required
def request_decide(request: HttpRequest, number: str, request_id: int) -> HttpResponse:
    """Approve or deny the pending send-back, extension or deferral (the office)."""
    case = permissions.get_case_for_user(request.user, number)
    pending = case.requests.filter(pk=request_id).first()
    if pending is None:
        raise Http404
    if not permissions.can_decide_requests(request.user, case):
        raise PermissionDenied
    if pending.status != RequestStatus.PENDING:
        return _conflict(request, number, _("This request was decided meanwhile."))
    form = DecideForm(case, request.POST, user=request.user)
    if not form.is_valid():
        return _render(request, case, bound=("decide", form), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    pending.case = case
    try:
        services.case_decide_request(
            request=pending,
            actor=request.user,
            approve=approve,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except services.CaseConflict as exc:
        return _conflict(request, number, str(exc))
    except services.CaseError as exc:
        form.add_error(None, str(exc))
        return _render(request, case, bound=("decide", form), status=400)
    messages.success(
        request,
        _("The request was approved.") if approve else _("The request was denied."),
    )
    return redirect("cases:detail", number=case.number)


@require_POST
@login_required
def add_report(request: HttpRequest, number: str) -> HttpResponse:
    """Add the reporter's description and photos to an open case instead of filing a new one.

    Posted by the intake form ("add my report to this case"); a refusal shows
    that form again with everything the reporter typed.
    """
    case = permissions.get_case_for_user(request.user, number)
    if not permissions.can_report_at(request.user, case.region):
        raise PermissionDenied
    form = AddReportForm(request.POST, request.FILES)
    problem = ""
    if not case.is_open:
        problem = _("This case was closed meanwhile; file a new case instead.")
    elif form.is_valid():
        try:
            services.case_add_report(
                case=case,
                actor=request.user,
                description=form.cleaned_data["description"],
                photos=form.cleaned_data["photos"],
            )
        except services.CaseError as exc:
            problem = str(exc)
        else:
            messages.success(
                request,
                _("Your report was added to case %(number)s.") % {"number": case.number},
            )
            return redirect("cases:detail", number=case.number)
    # Show the intake form again, as it was filled in, with the reason.
    intake = CaseReportForm(request.user, request.POST, request.FILES)
    intake.is_valid()
    for name, errors in form.errors.items():
        target = name if name in intake.fields else None
        for message in errors:
            if message not in intake.errors.get(target or "__all__", []):
                intake.add_error(target, message)
    if problem:
        intake.add_error(None, problem)
    duplicates: list[tuple[Case, float]] = []
    point = intake.location()
    category = intake.cleaned_data.get("category")
    if point is not None and category is not None:
        duplicates = find_duplicates(request.user, category=category, lat=point[0], lng=point[1])
    return render_intake(
        request, intake, duplicates=duplicates, status=400 if case.is_open else 409
    )
