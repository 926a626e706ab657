from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.territory.imports import GEOJSON_SUFFIXES, XLSX_SUFFIXES

MAX_UPLOAD_MB = 10
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("GeoJSON (.geojson or .json) or Excel (.xlsx), at most 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".geojson,.json,.xlsx", "class": "form-control"}
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(GEOJSON_SUFFIXES + XLSX_SUFFIXES):
            raise forms.ValidationError(_("Upload a .geojson, .json or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_MB}
            )
        return upload


class BrowserForm(forms.Form):
    """The territory browser's filter bar: which level, and a name search."""

    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    q = forms.CharField(
        label=_("Name contains"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )

    def __init__(self, *args: Any, levels: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(depth, name) for depth, name in levels]
