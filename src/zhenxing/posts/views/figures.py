"""The figures of posts and patrols (`posts.figures`): a page and its XLSX of three sheets."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from zhenxing.core import audit
from zhenxing.core.permissions import page_or_404
from zhenxing.core.xlsx import MAX_SHEET_TITLE, safe_cell_value, xlsx_download
from zhenxing.posts.figures import MEMBER_ROWS_SHOWN, Row, all_member_rows, figures_for
from zhenxing.posts.forms_patrol import FiguresForm
from zhenxing.posts.permissions import sees_posts


@require_GET
@login_required
def figures(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_posts(request.user))
    form = FiguresForm(request.GET or None)
    period = form.chosen()
    return render(
        request,
        "posts/figures.html",
        {
            "form": form,
            "figures": figures_for(request.user, period),
            "member_limit": MEMBER_ROWS_SHOWN,
        },
    )


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(title[:MAX_SHEET_TITLE])
    bold = Font(bold=True)
    sheet.append([safe_cell_value(h) for h in headers])
    for cell in sheet[1]:
        cell.font = bold
    for row in rows:
        sheet.append([safe_cell_value(v) for v in row])


@require_GET
@login_required
def figures_export(request: HttpRequest) -> HttpResponse:
    """The three tables of the page, one sheet each; the member sheet whole, not cut at 200."""
    page_or_404(sees_posts(request.user))
    period = FiguresForm(request.GET or None).chosen()
    data = figures_for(request.user, period, with_members=False)
    total = data.total

    def community_line(r: Row) -> list[Any]:
        return [r.code, r.label, r.posts, r.holders, r.patrols, r.patrollers, r.problems]

    def organization_line(r: Row) -> list[Any]:
        return [r.code, r.label, r.holders, r.patrols, r.patrollers, r.problems]

    member_rows = [
        [m.member.name, m.member.organization.name, m.member.region.name, m.patrols, m.problems]
        for m in all_member_rows(request.user, period)
    ]
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("By community"),
        [
            _("Code"),
            _("Community"),
            _("Posts"),
            _("Members holding a post"),
            _("Patrols (person-times)"),
            _("Members who patrolled"),
            _("Problems found"),
        ],
        [community_line(r) for r in data.communities] + [community_line(total)],
    )
    _sheet(
        workbook,
        _("By party organisation"),
        [
            _("Code"),
            _("Party organisation"),
            _("Members holding a post"),
            _("Patrols (person-times)"),
            _("Members who patrolled"),
            _("Problems found"),
        ],
        [organization_line(r) for r in data.organizations] + [organization_line(total)],
    )
    _sheet(
        workbook,
        _("By member"),
        [
            _("Party member"),
            _("Party organisation"),
            _("Community"),
            _("Patrols (person-times)"),
            _("Problems found"),
        ],
        member_rows,
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = xlsx_download(buffer.getvalue(), f"post-figures-{period.value}.xlsx")
    # Members' names leaving the system are worth a row in the audit log, as with the
    # other exports.
    audit.record(
        actor=request.user,
        action="posts.figures.export",
        summary=f"{period.value}: {len(member_rows)} members",
        changes={"period": period.value, "members": len(member_rows)},
    )
    return response
