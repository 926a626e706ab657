"""Send notifications (in-app and outbound). Placeholder interface, filled in below."""

from __future__ import annotations

from typing import Any


def notify_case(*, case: Any, kind: str, users: list[Any]) -> None:
    """Tell `users` that `case` now waits for them after a step of kind `kind`."""


def notify_escalation(*, escalation: Any) -> None:
    """Tell the office (and at level 2 the department) that a case was escalated."""
