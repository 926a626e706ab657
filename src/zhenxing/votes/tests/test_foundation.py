import pytest

from zhenxing.votes.identity import IdNumberError, check_id, id_hash, with_check_digit
from zhenxing.votes.permissions import sessions_visible_to
from zhenxing.votes.testing import id_number


def test_id_numbers_are_checked_and_hashed_with_a_key(settings):
    number = id_number(3)
    assert check_id(number.lower()) == number
    with pytest.raises(IdNumberError):
        check_id(number[:17] + ("0" if number[17] != "0" else "1"))
    with pytest.raises(IdNumberError):
        check_id(with_check_digit("44060519701301001"))  # month 13
    first = id_hash(number)
    assert len(first) == 64 and number not in first
    settings.SECRET_KEY = "another-installation-secret"
    assert id_hash(number) != first


def test_sessions_are_seen_by_their_managers_and_tellers_only(world, votes):
    assert set(sessions_visible_to(world.secretary_a)) == {votes.session_a}
    assert set(sessions_visible_to(votes.teller_a)) == {votes.session_a}
    assert set(sessions_visible_to(world.outsider)) == {votes.session_b}
    for user in (world.party_member_a, world.inspector_a, world.dept_staff, world.nobody):
        assert not sessions_visible_to(user).exists()
    assert set(sessions_visible_to(world.admin)) == {votes.session_a, votes.session_b}


def test_charters_fixture(world, charters):
    from zhenxing.charters.permissions import charters_visible_to

    assert set(charters_visible_to(world.outsider)) == {charters.charter_b}
    assert charters.version_a.chapters.count() == 2
