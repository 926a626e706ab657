"""Django admin for charters.

Topics are reference data the office keeps (editable by office admins of the
whole territory, every change audited). Charters, their versions, text and
comments are written by `charters.services` only, whose rules (one version in
the works, guarded transitions, comments' personal data) the admin cannot
keep: read-only here, and for office admins of the whole territory only.
"""

from __future__ import annotations

from django.contrib import admin

from zhenxing.charters.models import (
    Article,
    Chapter,
    Charter,
    CharterComment,
    CharterVersion,
    Topic,
)
from zhenxing.core.admin import AuditedAdmin, ReadOnlyWholeTerritoryAdmin, WholeTerritoryAdmin


@admin.register(Topic)
class TopicAdmin(WholeTerritoryAdmin, AuditedAdmin):
    list_display = ["code", "name", "order"]
    list_editable = ["name", "order"]
    search_fields = ["code", "name"]


@admin.register(Charter)
class CharterAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["title", "region", "created_at"]
    search_fields = ["title", "region__name", "region__code"]
    list_select_related = ["region"]
    readonly_fields = [f.name for f in Charter._meta.fields]


class ChapterInline(admin.TabularInline):
    model = Chapter
    fields = ["number", "title"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CharterVersion)
class CharterVersionAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["charter", "number", "status", "consultation_ends_on", "adopted_on", "filed_on"]
    list_filter = ["status"]
    search_fields = ["charter__title", "charter__region__name"]
    list_select_related = ["charter"]
    readonly_fields = [f.name for f in CharterVersion._meta.fields]
    inlines = [ChapterInline]


@admin.register(Article)
class ArticleAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["number", "chapter", "text"]
    search_fields = ["text", "chapter__version__charter__title"]
    list_select_related = ["chapter"]
    readonly_fields = ["chapter", "number", "text", "topics"]


@admin.register(CharterComment)
class CharterCommentAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["version", "source", "created_at"]
    list_filter = ["source"]
    list_select_related = ["version", "version__charter"]
    # The resident's name and number stay on the community's comment page, masked there.
    exclude = ["author_mobile"]
    readonly_fields = ["version", "article", "text", "author_name", "source", "entered_by", "reply"]
