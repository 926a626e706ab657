"""Who may see and change charters (ARCHITECTURE.md habit 3).

A charter is a community's public rule book: everyone with a role whose
scope covers the community reads it (department staff too: they enforce
it); the office and the community's secretary draft, publish, put to the
vote and file it. Residents read a version in consultation, and comment on
it, on its public page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhenxing.charters.models import Charter, CharterComment, CharterVersion
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.permissions import can_manage_members_in, manage_paths
from zhenxing.people.scopes import ALL, scope_paths
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q


def _in_scope(queryset: QuerySet[Any], paths: list[str] | None, field: str) -> QuerySet[Any]:
    return queryset if paths is ALL else queryset.filter(path_prefix_q(paths, field))


def charters_visible_to(user: Any) -> QuerySet[Charter]:
    return _in_scope(Charter.objects.all(), scope_paths(user), "region__path")


def versions_visible_to(user: Any) -> QuerySet[CharterVersion]:
    return _in_scope(CharterVersion.objects.all(), scope_paths(user), "charter__region__path")


def comments_visible_to(user: Any) -> QuerySet[CharterComment]:
    """Comments carry a resident's name and mobile: for those who manage the charter only."""
    return _in_scope(
        CharterComment.objects.all(), manage_paths(user), "version__charter__region__path"
    )


def get_charter_for_user(user: Any, pk: Any) -> Charter:
    return get_visible_or_404(
        lambda u: charters_visible_to(u).select_related("region"), user, pk=pk
    )


def get_version_for_user(user: Any, pk: Any) -> CharterVersion:
    return get_visible_or_404(
        lambda u: versions_visible_to(u).select_related("charter", "charter__region"),
        user,
        pk=pk,
    )


def can_manage_charters_in(user: Any, region: Region) -> bool:
    return can_manage_members_in(user, region)


def can_manage_charter(user: Any, charter: Charter) -> bool:
    return can_manage_charters_in(user, charter.region)


def may_manage_charters(user: Any) -> bool:
    paths = manage_paths(user)
    return paths is ALL or bool(paths)


def sees_charters(user: Any) -> bool:
    paths = scope_paths(user)
    return paths is ALL or bool(paths)
