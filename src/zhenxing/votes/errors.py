"""The one error the votes services raise for a broken rule; views show its message."""

from __future__ import annotations


class VoteError(Exception):
    """A voting rule refused the change; the message is for users, `code` names the rule
    for scripts and tests."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
