"""The exposure board in Django's admin: looked up there, never changed there.

Publishing goes through the publishing desk (`public.services`), which
checks the territory, renders the public copies and writes the audit log;
the admin cannot do any of that, so it only reads. A resident's report is
shown without the case's reporter: the mobile number and name stay on the
case, behind the case pages' own masking.
"""

from __future__ import annotations

from django.contrib import admin

from zhenxing.core.admin import ReadOnlyWholeTerritoryAdmin
from zhenxing.public.models import Publication, PublicPhoto, ResidentReport


@admin.register(Publication)
class PublicationAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["case", "title", "place", "is_published", "published_at", "published_by"]
    list_filter = ["is_published"]
    search_fields = ["case__number", "title", "place"]
    date_hierarchy = "published_at"
    list_select_related = ["case", "published_by"]
    fields = [
        "case",
        "is_published",
        "title",
        "place",
        "description",
        "before_photo",
        "after_photo",
        "first_published_at",
        "published_at",
        "published_by",
        "unpublished_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(PublicPhoto)
class PublicPhotoAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["token", "publication", "kind", "width", "height", "created_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["token", "publication__case__number"]
    list_select_related = ["publication__case", "created_by"]
    fields = [
        "publication",
        "kind",
        "token",
        "source",
        "width",
        "height",
        "crop",
        "redactions",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(ResidentReport)
class ResidentReportAdmin(ReadOnlyWholeTerritoryAdmin):
    # Only the report's own fields: the case's reporter name and mobile are not among them.
    list_display = ["tracking_code", "case", "channel", "open311_client", "created_at"]
    list_filter = ["channel"]
    search_fields = ["tracking_code", "case__number"]
    date_hierarchy = "created_at"
    list_select_related = ["case", "open311_client"]
    fields = ["tracking_code", "case", "channel", "open311_client", "created_at"]
    readonly_fields = fields
