"""Who may publish what on the exposure board.

Publishing puts a community's black spot before the whole public, so it is
the office's decision: an office admin whose territory holds the case's area.
Community secretaries and departments never publish, not even their own cases.
"""

from __future__ import annotations

from typing import Any

from zhenxing.cases.models import Case
from zhenxing.people.scopes import administers, is_office_admin, office_admin_paths


def sees_publishing(user: Any) -> bool:
    return is_office_admin(user)


def can_publish(user: Any, case: Case) -> bool:
    return is_office_admin(user) and administers(user, case.region)


def publishable_cases(user: Any) -> Any:
    """The cases this user may publish (a queryset; empty for everyone else)."""
    if not is_office_admin(user):
        return Case.objects.none()
    return Case.objects.under_any(office_admin_paths(user))
