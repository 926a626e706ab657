"""Generic pieces of the permission layer (ARCHITECTURE.md, habit 3).

Each app pairs `<things>_visible_to(user) -> QuerySet` with `can_<verb>(user, obj)`
and builds its `get_<thing>_for_user` from `get_visible_or_404`, so that
"no access" looks exactly like "not there".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_visible_or_404(visible: Callable[[Any], QuerySet[M]], user: Any, **lookup: Any) -> M:
    queryset = visible(user)
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, DataError):
        # A malformed identifier (a NUL byte, an out-of-range number) names
        # nothing: the answer is the same 404 as for a thing out of scope.
        raise Http404 from None


def require(allowed: bool) -> None:
    """For a user who may see a thing but not change it: answer 403."""
    if not allowed:
        raise PermissionDenied


def page_or_404(allowed: bool) -> None:
    """A page the user may not open at all answers 404, as a thing out of sight does.

    ARCHITECTURE.md habit 3: "no access" looks like "not there"; `require`
    (403) is kept for a user who sees a thing and tries a change they may not make.
    """
    if not allowed:
        raise Http404
