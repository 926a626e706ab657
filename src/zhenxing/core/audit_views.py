"""The audit browser: office admins read (and export) who changed what, when, from where.

Everyone else gets 404: to them the page does not exist (ARCHITECTURE.md
habit 3). Rows are never changed here; an export is itself audited, because
the log holds personal data and an export takes it out of the system.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhenxing.core import audit
from zhenxing.core.listing import paginate, querystring_without_page
from zhenxing.core.models import AuditEntry
from zhenxing.core.privacy import mask_mobiles_in
from zhenxing.core.xlsx import MAX_CELL_CHARS, workbook_bytes, xlsx_download
from zhenxing.people.scopes import administers_whole_territory

# An export is a file someone can read in Excel; past this many rows, narrow
# the filters (Excel itself stops at 1,048,576).
MAX_EXPORT_ROWS = 100_000


# The log covers the whole territory, so only admins of the whole territory
# read it; to everyone else (a community's admin included) it does not exist.
def _require_office_admin(user: Any) -> None:
    if not administers_whole_territory(user):
        raise Http404


# Dates outside this range are typing mistakes, and the day arithmetic below
# would overflow at the ends of the calendar.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


# The filter choices need the distinct actions and object types of the whole
# log: a full scan of a table that only grows, so it is cached for a while.
DISTINCT_CACHE_SECONDS = 300


def _distinct(field: str) -> list[Any]:
    key = f"zhenxing:audit:distinct:{field}"
    values = cache.get(key)
    if values is None:
        values = list(AuditEntry.objects.order_by().values_list(field, flat=True).distinct())
        cache.set(key, values, DISTINCT_CACHE_SECONDS)
    return values


def _object_type_label(ct: ContentType) -> str:
    model = ct.model_class()
    return str(model._meta.verbose_name) if model is not None else f"{ct.app_label}.{ct.model}"


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("An action, or its beginning: “people.” finds every people action."),
    )
    object_type = forms.TypedChoiceField(
        label=gettext_lazy("Object type"), required=False, coerce=int, empty_value=None
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=gettext_lazy("Text"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = ContentType.objects.filter(pk__in=_distinct("object_type_id"))
        choices = sorted(((ct.pk, _object_type_label(ct)) for ct in present), key=lambda c: c[1])
        self.fields["object_type"].choices = [("", "—"), *choices]
        for name, field in self.fields.items():
            css = "form-select" if name == "object_type" else "form-control"
            field.widget.attrs["class"] = css
        self.fields["action"].widget.attrs["list"] = "audit-actions"

    def _clean_bounded_date(self, name: str) -> datetime.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                _("Choose a date between %(start)s and %(end)s.")
                % {"start": EARLIEST_DATE.isoformat(), "end": LATEST_DATE.isoformat()}
            )
        return value

    def clean_date_from(self) -> datetime.date | None:
        return self._clean_bounded_date("date_from")

    def clean_date_to(self) -> datetime.date | None:
        return self._clean_bounded_date("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Narrow by whichever filters are valid; an invalid one is shown and ignored."""
        if not self.is_bound:
            return entries
        self.is_valid()
        data = self.cleaned_data
        if data.get("actor"):
            entries = entries.filter(actor_name__icontains=data["actor"].strip())
        if data.get("action"):
            entries = entries.filter(action__startswith=data["action"].strip())
        if data.get("object_type"):
            entries = entries.filter(object_type_id=data["object_type"])
        # Dates are days in the site's time zone (Asia/Shanghai), both ends included.
        if data.get("date_from"):
            start = datetime.datetime.combine(data["date_from"], datetime.time.min)
            entries = entries.filter(created_at__gte=timezone.make_aware(start))
        if data.get("date_to"):
            end = datetime.datetime.combine(
                data["date_to"] + datetime.timedelta(days=1), datetime.time.min
            )
            entries = entries.filter(created_at__lt=timezone.make_aware(end))
        if data.get("q"):
            term = data["q"].strip()
            entries = entries.filter(
                Q(summary__icontains=term) | Q(object_repr__icontains=term) | Q(object_id=term)
            )
        return entries


def _short(value: Any, limit: int = 60) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, list) and len(value) > 5:
        return _("[%(count)s items]") % {"count": len(value)}
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Lists and exports mask personal data; the entry's own page shows it whole.
    text = mask_mobiles_in(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_changes(changes: Any) -> list[str]:
    """{"name": ["甲", "乙"], "rows": 3} → ["name: 甲 → 乙", "rows: 3"], for one table cell.

    Field edits are stored as {field: [before, after]} (audit.diff); other
    shapes (an import's counts and id lists) are shown as key: value.
    """
    if not isinstance(changes, dict):
        return [_short(changes)] if changes else []
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2 and not str(key).endswith("ids"):
            lines.append(f"{key}: {_short(value[0])} → {_short(value[1])}")
        else:
            lines.append(f"{key}: {_short(value)}")
    return lines


def _entries(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEntry]]:
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("object_type").order_by("-created_at", "-id")
    return form, form.apply(entries)


@require_GET
@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_office_admin(request.user)
    form, entries = _entries(request)
    listing = paginate(request, entries)
    for entry in listing["page"].object_list:
        entry.change_lines = format_changes(entry.changes)
        entry.summary_display = mask_mobiles_in(entry.summary)
    actions = sorted(_distinct("action"))
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            **listing,
            "actions": list(actions),
        },
    )


@require_GET
@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_office_admin(request.user)
    entry = get_object_or_404(AuditEntry.objects.select_related("object_type", "actor"), pk=pk)
    return render(
        request,
        "audit/detail.html",
        {
            "entry": entry,
            "change_lines": format_changes(entry.changes),
            "changes_json": json.dumps(entry.changes, ensure_ascii=False, indent=2),
        },
    )


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered rows as XLSX, newest first, capped at MAX_EXPORT_ROWS."""
    _require_office_admin(request.user)
    form, entries = _entries(request)
    headers = [
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Summary"),
        _("Changes"),
        _("Client IP"),
    ]
    exported = 0

    def rows() -> Any:
        # Streamed into the write-only workbook, one chunk of rows at a time.
        nonlocal exported
        for entry in entries[:MAX_EXPORT_ROWS].iterator(chunk_size=2000):
            exported += 1
            yield [
                # Excel has no time zones: write the Shanghai wall-clock time.
                timezone.localtime(entry.created_at).replace(tzinfo=None),
                entry.actor_name,
                entry.action,
                _object_type_label(entry.object_type) if entry.object_type else "",
                entry.object_id,
                entry.object_repr,
                mask_mobiles_in(entry.summary),
                mask_mobiles_in(json.dumps(entry.changes, ensure_ascii=False))[:MAX_CELL_CHARS],
                entry.ip_address or "",
            ]

    data = workbook_bytes(headers, rows(), title=_("Audit log"))
    audit.record(
        actor=request.user,
        action="audit.export",
        summary=f"{exported} rows; {querystring_without_page(request)}"[:300],
        changes={"rows": exported, "filters": request.GET.dict()},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_download(data, f"audit-log-{stamp}.xlsx")
