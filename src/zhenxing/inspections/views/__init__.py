"""The inspection pages; `page_or_404` is their shared gate for pages a user may not open."""

from __future__ import annotations

from django.http import Http404


def page_or_404(allowed: bool) -> None:
    """A page the user may not open at all answers 404, as a thing out of sight does.

    ARCHITECTURE.md habit 3: "no access" looks like "not there". 403
    (`core.permissions.require`) is kept for a user who sees a thing and
    tries a change they may not make.
    """
    if not allowed:
        raise Http404
