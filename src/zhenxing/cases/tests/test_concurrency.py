"""Two people act on one case at the same moment: exactly one wins, the other is told.

The threaded tests commit for real (`transaction=True`), each thread on its
own connection. PostgreSQL serialises them with `select_for_update`;
SQLite, which has no row locks, with its write lock (the connection opens
every transaction IMMEDIATE) and, behind that, the version-guarded UPDATE,
which `test_the_version_guard_*` exercises on any database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import F

from zhenxing.cases import permissions, services
from zhenxing.cases.models import Case, CaseEvent, Status
from zhenxing.cases.services import CaseConflict
from zhenxing.people.models import User

from .test_loop import after_photos, dispatched, report, state

ROUNDS = 4
WAIT_S = 30  # an upper bound for a thread to arrive, never a timing assertion


def race(*steps: Callable[[], Any]) -> list[Any]:
    """Run the steps in threads released together; each result is "ok" or the exception."""
    barrier = threading.Barrier(len(steps))
    results: list[Any] = [None] * len(steps)

    def run(index: int, step: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=WAIT_S)
            step()
            results[index] = "ok"
        except Exception as exc:  # reported to the main thread, asserted there
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)
    assert not any(thread.is_alive() for thread in threads)
    return results


def one_wins(results: list[Any]) -> int:
    """Exactly one step succeeded and every other got CaseConflict; the winner's index."""
    winners = [i for i, r in enumerate(results) if r == "ok"]
    assert len(winners) == 1, results
    losers = [r for r in results if r != "ok"]
    assert all(isinstance(r, CaseConflict) for r in losers), results
    return winners[0]


def as_user(user: User) -> User:
    # Each thread its own object: nothing cached on a user is shared between threads.
    user = User.objects.get(pk=user.pk)
    permissions.sources_for(user)  # load the role cache now, not after the barrier
    return user


def copy(case: Case) -> Case:
    """Each thread its own copy of the case, read before the race as a page would have."""
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db(transaction=True)
def test_accept_against_reject(world, cats, private_media):
    for _ in range(ROUNDS):
        case = report(world, cats.garbage)
        events = CaseEvent.objects.filter(case=case).count()
        secretary, admin = as_user(world.secretary_a), as_user(world.admin)
        winner = one_wins(
            race(
                partial(services.case_accept, case=copy(case), actor=secretary),
                partial(services.case_reject, case=copy(case), actor=admin, reason="重复"),
            )
        )
        case.refresh_from_db()
        assert case.status == (Status.ACCEPTED, Status.REJECTED)[winner]
        assert case.version == 2
        assert CaseEvent.objects.filter(case=case).count() == events + 1


@pytest.mark.django_db(transaction=True)
def test_two_verifiers_pass_and_fail_at_once(world, cats, private_media):
    for _ in range(ROUNDS):
        case = dispatched(world, cats.garbage)
        services.case_rectify(
            case=case, actor=world.secretary_a, note="已清", photos=after_photos()
        )
        version = case.version
        inspector, admin = as_user(world.inspector_a), as_user(world.admin)
        winner = one_wins(
            race(
                partial(services.case_verify, case=copy(case), actor=inspector, passed=True),
                partial(
                    services.case_verify,
                    case=copy(case),
                    actor=admin,
                    passed=False,
                    note="仍有残留",
                ),
            )
        )
        case.refresh_from_db()
        assert case.status == (Status.CLOSED, Status.REWORK)[winner]
        assert case.version == version + 1
        assert case.rework_count == (0, 1)[winner]


@pytest.mark.django_db(transaction=True)
def test_the_same_step_twice_with_the_version_both_saw(world, cats, private_media):
    """Two dispatchers looked at version 2 and both dispatch: the second is stale."""
    for _ in range(ROUNDS):
        case = report(world, cats.garbage)
        services.case_accept(case=case, actor=world.secretary_a)
        seen = case.version
        secretary, admin = as_user(world.secretary_a), as_user(world.admin)
        winner = one_wins(
            race(
                partial(
                    services.case_dispatch,
                    case=copy(case),
                    actor=secretary,
                    to=world.area_a1,
                    expected_version=seen,
                ),
                partial(
                    services.case_dispatch,
                    case=copy(case),
                    actor=admin,
                    to=world.dept,
                    expected_version=seen,
                ),
            )
        )
        case.refresh_from_db()
        assert case.assignee == (world.area_a1, world.dept)[winner]
        assert case.version == seen + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="row locks exist on PostgreSQL only"
)
def test_the_second_waits_for_the_first_lock_and_then_loses(
    world, cats, private_media, monkeypatch
):
    """Deterministic on PostgreSQL: B is seen waiting on A's row lock before A commits."""
    case = report(world, cats.garbage)
    inside = threading.Event()
    release = threading.Event()
    plain = permissions.can_dispatch

    def held_can_dispatch(user: Any, c: Case) -> bool:
        # Called with the row locked: the first caller holds it until told to go on.
        if user.username == "sec_a":
            inside.set()
            assert release.wait(WAIT_S)
        return plain(user, c)

    monkeypatch.setattr(permissions, "can_dispatch", held_can_dispatch)
    results: dict[str, Any] = {}

    def run(name: str, step: Callable[[], Any]) -> None:
        try:
            step()
            results[name] = "ok"
        except Exception as exc:
            results[name] = exc
        finally:
            connections.close_all()

    first = threading.Thread(
        target=run,
        args=(
            "secretary",
            lambda: services.case_accept(
                case=Case.objects.get(pk=case.pk), actor=as_user(world.secretary_a)
            ),
        ),
    )
    first.start()
    assert inside.wait(WAIT_S)
    second = threading.Thread(
        target=run,
        args=(
            "admin",
            lambda: services.case_reject(
                case=Case.objects.get(pk=case.pk), actor=as_user(world.admin), reason="重复"
            ),
        ),
    )
    second.start()
    try:
        # Wait until the second backend is blocked on a lock (bounded; not a timing check).
        waiting = False
        for _ in range(WAIT_S * 20):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0] >= 1:
                    waiting = True
                    break
            threading.Event().wait(0.05)
        assert waiting, "the second transaction never waited for the row lock"
    finally:
        release.set()
        first.join(WAIT_S)
        second.join(WAIT_S)
    assert results["secretary"] == "ok"
    assert isinstance(results["admin"], CaseConflict)
    case.refresh_from_db()
    assert (case.status, case.version) == (Status.ACCEPTED, 2)


# --- the version guard, deterministically ------------------------------------------------


def test_the_version_guard_refuses_a_write_that_lost_the_race(
    world, cats, private_media, monkeypatch
):
    """Where no row lock holds (SQLite), a writer that slips in between the read and the
    UPDATE makes the guarded UPDATE match nothing: CaseConflict, and nothing written."""
    case = report(world, cats.garbage)
    plain = permissions.can_dispatch

    def meanwhile(user: Any, c: Case) -> bool:
        # Another transaction commits a step on this case right after ours read it.
        Case.objects.filter(pk=c.pk).update(version=F("version") + 1)
        return plain(user, c)

    monkeypatch.setattr(permissions, "can_dispatch", meanwhile)
    events = CaseEvent.objects.count()
    with pytest.raises(CaseConflict):
        services.case_accept(case=case, actor=world.secretary_a)
    row = Case.objects.get(pk=case.pk)
    # (The simulated writer shared our transaction, so its bump rolled back too.)
    assert (row.status, row.version) == (Status.REPORTED, 1)
    assert CaseEvent.objects.count() == events
    assert case.status == Status.REPORTED and case.version == 1


def test_a_stale_expected_version_writes_nothing(world, cats, private_media):
    case = report(world, cats.garbage)
    services.case_accept(case=case, actor=world.secretary_a)
    stale = Case.objects.get(pk=case.pk)
    services.case_dispatch(case=case, actor=world.secretary_a, to=world.area_a1)
    before = state()
    for step in (
        lambda: services.case_start(
            case=stale, actor=world.secretary_a, expected_version=stale.version
        ),
        lambda: services.case_rectify(
            case=stale,
            actor=world.secretary_a,
            note="已清",
            photos=after_photos(),
            expected_version=stale.version,
        ),
    ):
        with pytest.raises(CaseConflict):
            step()
        assert state() == before
    # With the version now current it goes through.
    services.case_start(case=stale, actor=world.secretary_a, expected_version=case.version)
    assert stale.status == Status.RECTIFYING


# --- photo derivatives ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_make_one_set_of_derivatives(world, cats, private_media):
    """The task and a page asking first, at once: one writes, the other finds them made."""
    from pathlib import Path

    from zhenxing.cases.models import CasePhoto
    from zhenxing.cases.photos import ensure_derivatives

    for _ in range(ROUNDS):
        case = report(world, cats.garbage)
        photo = case.photos.get()
        copies = [CasePhoto.objects.get(pk=photo.pk) for _ in range(2)]
        results = race(*(partial(ensure_derivatives, c) for c in copies))
        if connection.vendor == "sqlite":
            # The test database is in memory with a shared cache, where a second
            # writer fails at once instead of waiting (a database file waits):
            # one may lose that way, having written nothing.
            assert "ok" in results, results
            assert all(r == "ok" or "locked" in str(r) for r in results), results
        else:
            assert results == ["ok", "ok"], results
        photo.refresh_from_db()
        assert photo.ready
        for c, result in zip(copies, results, strict=True):
            if result == "ok":
                assert (c.display, c.thumbnail) == (photo.display, photo.thumbnail)
        folder = Path(private_media) / photo.original.rsplit("/", 1)[0]
        assert sorted(p.name for p in folder.iterdir()) == [
            "display.jpg",
            "original.jpg",
            "thumb.jpg",
        ]
