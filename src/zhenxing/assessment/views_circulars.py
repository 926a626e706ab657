"""The weekly circular (每周通报): list, new draft, printable page, edit, publish, download.

Drafts exist only for the office that drafts them (`can_draft_circulars`);
anyone else gets the same 404 as for a circular that does not exist.
Published circulars are read by everyone with a role whose territory the
circular covers. The office reads the full figures; everyone else the
public version (`circular_public_content`: no cadres' names, no reasons, no
typed addresses), on the page and in the downloads alike. The black spots'
photos are part of the circular: its readers get them through the circular
(`circulars:photo`), whether or not they may open the cases themselves.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.assessment import circulars, documents, services
from zhenxing.assessment.forms import CircularForm, CircularNewForm, VersionForm
from zhenxing.assessment.models import Circular, CircularStatus, PeriodKind
from zhenxing.assessment.permissions import can_draft_circulars
from zhenxing.cases.models import CasePhoto
from zhenxing.cases.views.photos import serve_photo
from zhenxing.core.listing import paginate
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.core.xlsx import XLSX_TYPE
from zhenxing.people.scopes import ALL, has_any_role, scope_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import ancestor_and_self_paths

DOWNLOADS = {
    "docx": (documents.circular_docx, documents.DOCX_TYPE),
    "xlsx": (documents.circular_xlsx, XLSX_TYPE),
    "pdf": (documents.circular_pdf, documents.PDF_TYPE),
}


# --- who sees which circular ---------------------------------------------------------------


def circulars_visible_to(user: Any) -> QuerySet[Circular]:
    """Drafts and published ones for the office; published ones covering the user's territory.

    A circular covers its scope's subtree: it is for a user whose territory
    lies inside it (a community under the subdistrict) or contains it.
    """
    rows = Circular.objects.select_related("period", "scope")
    if can_draft_circulars(user):
        return rows
    if not has_any_role(user):
        return rows.none()
    published = rows.filter(status=CircularStatus.PUBLISHED)
    paths = scope_paths(user)
    if paths is ALL:
        return published
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(scope__path__in=ancestor_and_self_paths(path)) | Q(scope__path__startswith=path)
    return published.filter(q)


def get_circular_for_user(user: Any, pk: int) -> Circular:
    return get_visible_or_404(circulars_visible_to, user, pk=pk)


def _full(user: Any) -> bool:
    """The office reads and downloads the full circular; others the public version."""
    return can_draft_circulars(user)


# --- the list ------------------------------------------------------------------------------


@require_GET
@login_required
def circular_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any_role(user):
        raise PermissionDenied
    rows = (
        circulars_visible_to(user).select_related("published_by").order_by("-period__start", "-pk")
    )
    listing = paginate(request, rows)
    return render(
        request,
        "circulars/circular_list.html",
        {**listing, "can_draft": can_draft_circulars(user)},
    )


# --- a new draft -----------------------------------------------------------------------------


def _scopes() -> QuerySet[Region]:
    """What a circular may cover: a root of the territory (the subdistrict).

    Only admins of the whole territory draft circulars, so every root is theirs.
    """
    return Region.objects.filter(parent__isnull=True).order_by("path")


@require_http_methods(["GET", "POST"])
@login_required
def circular_new(request: HttpRequest) -> HttpResponse:
    """Draft the circular of a finished week; the figures and a first text are generated."""
    user = request.user
    if not can_draft_circulars(user):
        # A page the user may not open is "not there" (ARCHITECTURE habit 3).
        raise Http404
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else None
    form = CircularNewForm(data, today=today, scopes=_scopes())
    if request.method == "POST" and form.is_valid():
        period = services.period_for(kind=PeriodKind.WEEK, day=form.cleaned_data["period"])
        try:
            draft = circulars.circular_create(
                period=period, scope=form.cleaned_data["scope"], actor=user
            )
        except circulars.CircularError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Draft %(number)s created. Check the text, then publish it.")
                % {"number": draft.number},
            )
            return redirect("circulars:detail", pk=draft.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "circulars/circular_new.html",
        # Every recent finished week is published: nothing to draft until next Monday.
        {"form": form, "nothing_to_draft": not form.open_weeks, "next_day": form.next_day},
        status=status,
    )


# --- the circular --------------------------------------------------------------------------


def _date(value: Any) -> datetime.date | None:
    return parse_date(value) if isinstance(value, str) and value else None


def _moment(value: Any) -> datetime.datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _page_content(user: Any, circular: Circular) -> dict[str, Any]:
    """The figures as the page shows them: labels and dates ready, photos the reader may see."""
    content = (
        circulars.circular_content(circular)
        if _full(user)
        else circulars.circular_public_content(circular)
    )
    ranking = content.get("ranking", [])
    # An indicator with no figure for any community says nothing: its column is left out,
    # as in the documents.
    shown = [
        ind
        for ind in content.get("indicators", [])
        if any(row.get(ind["key"]) is not None for row in ranking)
    ]
    rows = [{**row, "cells": [(i["key"], row.get(i["key"])) for i in shown]} for row in ranking]
    sections = _section_titles(content)
    # The photos are the circular's own (circulars:photo): every reader of it sees them.
    if not circular.is_published:
        cache.set(_draft_photos_key(circular), _tokens_of(content), DRAFT_PHOTOS_SECONDS)
    shown_spots = [
        {
            **s,
            "reported": _moment(s.get("reported_at")),
            "closed": _moment(s.get("closed_at")),
        }
        for s in content.get("black_spots", [])
    ]
    incentives = [{**r, "day": _date(r.get("date"))} for r in content.get("incentives", [])]
    summary = content.get("summary", {})
    text = content.get("circular", {})
    period = content.get("period", {})
    narrative = (text.get("narrative") or "").replace("\r\n", "\n")
    return {
        "content": content,
        "text": text,
        "paragraphs": [line.strip() for line in narrative.split("\n") if line.strip()],
        "issue_day": _date(text.get("issue_date")),
        "period": period,
        "period_start": _date(period.get("start")),
        "period_last": _date(period.get("last_day")),
        "summary": summary,
        "figures": _summary_figures(summary),
        "indicators": shown,
        "ranking": rows,
        "areas_bottom": content.get("areas_bottom", []),
        "red": content.get("red", []),
        "black": content.get("black", []),
        "spots": shown_spots,
        "incentives": incentives,
        "public": bool(content.get("public")),
        "sections": sections,
        "notes": _section_notes(content),
    }


def _section_titles(content: dict[str, Any]) -> dict[str, str]:
    """The section headings by key, as the content has them (shared with the DOCX and PDF).

    A circular frozen before the content carried its headings gets today's; so does
    any section its content does not name.
    """
    titles = {key: str(title) for key, title in circulars.sections()}
    titles.update((str(key), str(title)) for key, title in circulars.content_sections(content))
    return titles


def _section_notes(content: dict[str, Any]) -> dict[str, str]:
    """What a section's figures are, printed under its heading (as in the DOCX and PDF)."""
    return content.get("section_notes") or circulars.section_notes()


def _summary_figures(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures of the period, as (label, figure) pairs."""
    from zhenxing.assessment.templatetags.assessment import format_composite, format_figure

    if not summary:
        return []

    def count(key: str) -> str:
        value = summary.get(key)
        return "—" if value is None else str(int(value))

    return [
        (_("Inspections scored"), count("inspections_scored")),
        (_("Areas inspected"), count("areas_inspected")),
        (_("Mean inspection score"), format_composite(summary.get("mean_score"))),
        (_("Problems found"), count("findings")),
        (_("Cases opened"), count("cases_opened")),
        (_("Cases due to close"), count("cases_due")),
        (_("Closure rate"), format_figure("closure_rate", summary.get("closure_rate"))),
        (_("On-time closure rate"), format_figure("on_time_rate", summary.get("on_time_rate"))),
    ]


def _edit_form(circular: Circular) -> CircularForm:
    return CircularForm(
        initial={
            "number": circular.number,
            "title": circular.title,
            "issuing_body": circular.issuing_body,
            "issue_date": circular.issue_date,
            "narrative": circular.narrative,
            "version": circular.version,
        }
    )


def _render_detail(
    request: HttpRequest,
    circular: Circular,
    *,
    edit_form: CircularForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_edit = can_draft_circulars(user) and not circular.is_published
    context = {
        "circular": circular,
        **_page_content(user, circular),
        "may_edit": may_edit,
        "edit_form": (edit_form or _edit_form(circular)) if may_edit else None,
        "edit_open": edit_form is not None,
        "publish_form": VersionForm(initial={"version": circular.version}) if may_edit else None,
        "error": error,
        "downloads": list(DOWNLOADS),
    }
    return render(request, "circulars/circular_detail.html", context, status=status)


@require_GET
@login_required
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circular = get_circular_for_user(request.user, pk)
    return _render_detail(request, circular)


def _drafter_only(request: HttpRequest, pk: int) -> Circular:
    circular = get_circular_for_user(request.user, pk)
    if not can_draft_circulars(request.user):
        raise PermissionDenied
    return circular


@require_POST
@login_required
def circular_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a draft's number, title, issuing body, date and text."""
    circular = _drafter_only(request, pk)
    if circular.is_published:
        return _render_detail(
            request,
            circular,
            error=_("This circular is published; it can no longer be edited."),
            status=409,
        )
    form = CircularForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, circular, edit_form=form, status=400)
    data = form.cleaned_data
    try:
        circulars.circular_update(
            circular=circular,
            actor=request.user,
            number=data["number"],
            title=data["title"],
            issuing_body=data["issuing_body"],
            issue_date=data["issue_date"],
            narrative=data["narrative"],
            expected_version=data["version"],
        )
    except circulars.CircularConflict as exc:
        fresh = get_circular_for_user(request.user, pk)
        return _render_detail(request, fresh, edit_form=form, error=str(exc), status=409)
    except circulars.CircularError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, circular, edit_form=form, status=400)
    messages.success(request, _("The draft was saved."))
    return redirect("circulars:detail", pk=circular.pk)


@require_POST
@login_required
def circular_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish: the period is closed, the figures frozen, the embargo lifted, communities told."""
    circular = _drafter_only(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request,
            circular,
            error=_("The page was out of date; check the circular and publish again."),
            status=400,
        )
    try:
        circulars.circular_publish(
            circular=circular, actor=request.user, expected_version=form.cleaned_data["version"]
        )
    except circulars.CircularConflict as exc:
        fresh = get_circular_for_user(request.user, pk)
        return _render_detail(request, fresh, error=str(exc), status=409)
    except circulars.CircularError as exc:
        return _render_detail(request, circular, error=str(exc), status=400)
    messages.success(
        request,
        _("Circular %(number)s is published; the communities have been notified.")
        % {"number": circular.number},
    )
    return redirect("circulars:detail", pk=circular.pk)


@require_GET
@login_required
def circular_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The circular as DOCX, XLSX or PDF, named by its number and title."""
    circular = get_circular_for_user(request.user, pk)
    if fmt not in DOWNLOADS:
        raise Http404
    make, content_type = DOWNLOADS[fmt]
    data = make(circular, public=not _full(request.user))
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, documents.filename(circular, fmt)
    )
    return response


# --- the circular's photos -------------------------------------------------------------------

# A circular's photos are shown, never handed out: no original (with its EXIF) here.
PHOTO_VARIANTS = frozenset({"thumb", "display"})


# A draft's figures are computed on every request (0.1–0.2 s with the demo's data), and
# its page asks for up to two dozen photos at once: the page leaves the tokens it shows
# here for the photo requests that follow it.
DRAFT_PHOTOS_SECONDS = 600


def _draft_photos_key(circular: Circular) -> str:
    return f"zhenxing:circulars:{circular.pk}:v{circular.version}:photos"


def _tokens_of(content: dict[str, Any]) -> set[str]:
    return {
        token
        for spot in content.get("black_spots", [])
        for token in (spot.get("before"), spot.get("after"))
        if token
    }


def _photo_tokens(circular: Circular) -> set[str]:
    """The before and after photos the circular exposes.

    Published: those of the frozen content, what was distributed. A draft (the
    office's only): those of the content computed now, or as its page last showed it.
    """
    if circular.is_published:
        return _tokens_of(circulars.circular_content(circular))
    key = _draft_photos_key(circular)
    tokens = cache.get(key)
    if tokens is None:
        tokens = _tokens_of(circulars.circular_content(circular))
        cache.set(key, tokens, DRAFT_PHOTOS_SECONDS)
    return tokens


def _circular_photo(user: Any, pk: int, token: str) -> CasePhoto | None:
    try:
        circular = get_circular_for_user(user, pk)
    except Http404:
        return None
    if token not in _photo_tokens(circular):
        return None
    return CasePhoto.objects.filter(token=token).first()


@require_GET
def circular_photo(request: HttpRequest, pk: int, token: str, variant: str) -> HttpResponse:
    """A black spot's photo as part of the circular that exposes it.

    A published circular is distributed to every community it covers, photos
    included, so its reader sees them whether or not the case is theirs: the
    right comes from the circular (`get_circular_for_user`) and the token must
    be one the circular shows. Anything else is the same 404 as cases:photo's.
    """
    if variant not in PHOTO_VARIANTS:
        raise Http404
    return serve_photo(
        request,
        variant=variant,
        find=lambda user: _circular_photo(user, pk, token),
        may_see_original=lambda user, photo: False,
    )
