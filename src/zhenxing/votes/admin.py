"""Django admin for votes: read-only, for office admins of the whole territory.

Everything here is written by the votes services, whose guards the admin would
step around: rules change only while no session of the body is open, the roll
freezes when voting opens, ballots are chained and never change, and a
published result is the record. Rolls hold personal data of one community
each, which the admin's permissions cannot scope. So the admin only looks up
(`ReadOnlyWholeTerritoryAdmin`); changes go through the pages.
"""

from __future__ import annotations

from django.contrib import admin

from zhenxing.core.admin import ReadOnlyWholeTerritoryAdmin
from zhenxing.votes.models import (
    Attendance,
    Ballot,
    Elector,
    Motion,
    MotionOption,
    PaperEntry,
    Proxy,
    SessionResult,
    VoteRule,
    VotingBody,
    VotingSession,
)


class VoteRuleInline(admin.TabularInline):
    model = VoteRule
    extra = 0
    fields = ["purpose", "basis", "base", "threshold", "legal_reference", "order"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(VotingBody)
class VotingBodyAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["name", "kind", "region", "max_proxies_per_agent"]
    list_filter = ["kind"]
    search_fields = ["name", "region__name", "region__code"]
    list_select_related = ["region"]
    inlines = [VoteRuleInline]


class MotionOptionInline(admin.TabularInline):
    model = MotionOption
    extra = 0
    fields = ["order", "label", "meaning"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(VotingSession)
class VotingSessionAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["title", "body", "held_on", "status", "opened_at", "closed_at"]
    list_filter = ["status", "body__kind"]
    search_fields = ["title", "body__name", "public_token"]
    date_hierarchy = "held_on"
    list_select_related = ["body"]


@admin.register(Motion)
class MotionAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "number", "kind", "title", "charter_version"]
    list_filter = ["kind"]
    search_fields = ["title", "session__title"]
    list_select_related = ["session", "charter_version"]
    inlines = [MotionOptionInline]


@admin.register(SessionResult)
class SessionResultAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "ballot_count", "head_hash", "published_at"]
    search_fields = ["session__title", "head_hash"]
    list_select_related = ["session"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "seq", "motion", "option", "channel", "cast_at", "hash"]
    list_filter = ["channel"]
    search_fields = ["hash", "session__title"]
    list_select_related = ["session", "motion", "option"]
    # The elector's name is not shown in the list: the chain itself names nobody.
    exclude = ["elector", "cast_by"]


@admin.register(Elector)
class ElectorAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "row_number", "name", "household", "shares", "is_representative"]
    search_fields = ["session__title", "household"]
    list_select_related = ["session"]
    # Mobiles stay off the admin, as they stay masked on the pages.
    exclude = ["mobile", "id_hash"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "elector", "via", "recorded_at"]
    list_filter = ["via"]
    list_select_related = ["session", "elector"]


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["session", "principal", "agent", "recorded_at"]
    list_select_related = ["session", "principal", "agent"]


@admin.register(PaperEntry)
class PaperEntryAdmin(ReadOnlyWholeTerritoryAdmin):
    list_display = ["motion", "entered_by", "entered_at", "resolved_at", "discarded"]
    list_filter = ["discarded"]
    list_select_related = ["motion", "entered_by"]
