"""Database helpers shared by the apps' services."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from django.db import OperationalError, connection


@contextlib.contextmanager
def write_lock_busy_raises(make_error: Callable[[], Exception]) -> Iterator[None]:
    """On SQLite, another writer holding the database's write lock is a conflict, not a 500.

    SQLite has no row locks: a second writer waits for the whole database
    and, past the busy timeout (at once for a shared-cache in-memory
    database), fails with "database is locked". Nothing was written; the
    service raises its own conflict error (`make_error()`), and the caller
    reloads and tries again, as after any other conflict. On PostgreSQL row
    locks make writers wait instead, and any other error passes through.
    """
    try:
        yield
    except OperationalError as exc:
        if connection.vendor != "sqlite" or "locked" not in str(exc):
            raise
        raise make_error() from exc
