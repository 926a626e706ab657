"""Who sees what: the covert-results embargo (暗检), seen from every persona's side.

Until the circular covering an inspection is published (`inspections_release`
stamps `released_at`), the inspected community sees nothing of it: not the
score, not the findings, not that it exists. The office and the inspectors
see results at once, within their scope. Rounds (the plan) are never seen by
a community. A case opened from a finding is an ordinary case, seen at once.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from zhenxing.cases.permissions import cases_visible_to, get_case_for_user
from zhenxing.inspections import permissions, services
from zhenxing.inspections.models import Inspection
from zhenxing.inspections.permissions import (
    get_inspection_for_user,
    get_round_for_user,
    inspections_visible_to,
    rounds_visible_to,
)

from .conftest import finding, submit

PERSONAS = (
    "admin",
    "secretary_a",
    "inspector_a",
    "party_member_a",
    "team_leader_a",
    "dept_staff",
    "outsider",
    "nobody",
)


def who(world, name):
    return AnonymousUser() if name == "anonymous" else getattr(world, name)


def sees(user, inspection: Inspection) -> bool:
    """Both doors agree: the queryset and the fetch-or-404."""
    listed = inspections_visible_to(user).filter(pk=inspection.pk).exists()
    try:
        get_inspection_for_user(user, inspection.pk)
        fetched = True
    except Http404:
        fetched = False
    assert listed == fetched
    return listed


def release(world, start=None, days=1, path="GC/"):
    start = start or timezone.localdate()
    return services.inspections_release(
        start=start, end=start + datetime.timedelta(days=days), scope_path=path, actor=world.admin
    )


# --- the embargo ----------------------------------------------------------------------

# Who sees 社区甲's scored inspection before and after the circular is published.
BEFORE = {"admin", "inspector_a"}
AFTER = {"admin", "inspector_a", "secretary_a", "party_member_a", "team_leader_a", "dept_staff"}


@pytest.mark.parametrize("name", [*PERSONAS, "anonymous"])
def test_a_score_is_hidden_from_the_community_until_released(scored_a1, world, name):
    user = who(world, name)
    assert sees(user, scored_a1) == (name in BEFORE)
    assert release(world) == 1
    assert sees(user, scored_a1) == (name in AFTER)


def test_the_secretary_sees_nothing_of_the_round_before_release(round_a, scored_a1, world):
    secretary = world.secretary_a
    # Neither the scored area nor the pending one, nor the fact of a round.
    assert not inspections_visible_to(secretary).exists()
    assert not rounds_visible_to(secretary).exists()
    with pytest.raises(Http404):
        get_round_for_user(secretary, round_a.pk)
    with pytest.raises(Http404):
        get_inspection_for_user(secretary, round_a.i2.pk)
    release(world)
    # After release: the scored inspection only; a pending one is no result.
    assert list(inspections_visible_to(secretary)) == [scored_a1]
    assert not rounds_visible_to(secretary).exists()


def test_release_is_per_period_and_per_scope(round_all, insp, world, inspector_gc):
    a1 = submit(round_all.i1, inspector_gc)
    b1 = submit(round_all.ib, inspector_gc)
    # A circular for 社区乙 only releases 社区乙's results …
    release(world, path="GC/GC02/")
    assert sees(world.outsider, b1) and not sees(world.secretary_a, a1)
    # … and a circular for last week releases nothing of today's.
    release(world, start=timezone.localdate() - datetime.timedelta(days=7), days=7)
    assert not sees(world.secretary_a, a1)
    release(world, path="GC/GC01/")
    assert sees(world.secretary_a, a1)
    # The outsider never sees 社区甲's, released or not.
    assert not sees(world.outsider, a1)


def test_the_outsider_never_sees_another_communitys_results(scored_a1, world):
    assert not sees(world.outsider, scored_a1)
    release(world)
    assert not sees(world.outsider, scored_a1)
    with pytest.raises(Http404):
        get_inspection_for_user(world.outsider, scored_a1.pk)


def test_inspectors_see_results_at_once_within_their_scope(round_all, insp, world, inspector_gc):
    a1 = submit(round_all.i1, inspector_gc)
    b1 = submit(round_all.ib, inspector_gc)
    # inspector_a (社区甲) checks a colleague's score in 社区甲, not in 社区乙.
    assert sees(world.inspector_a, a1) and not sees(world.inspector_a, b1)
    assert sees(inspector_gc, a1) and sees(inspector_gc, b1)
    assert sees(world.admin, a1) and sees(world.admin, b1)
    # A pending inspection is the round's plan: only the round's own inspectors
    # and the office that planned it see it, not every inspector over the area.
    assert not sees(world.inspector_a, round_all.i2)
    assert sees(inspector_gc, round_all.i2) and sees(world.admin, round_all.i2)


def test_a_pending_inspection_is_seen_only_through_its_round(
    round_a, round_all, insp, world, inspector_gc, admin_a
):
    from zhenxing.people.models import Role, RoleAssignment

    # round_all was planned on the whole subdistrict: 社区甲's own office admin
    # and inspector do not see that round, so not its pending inspections either.
    assert not rounds_visible_to(admin_a).filter(pk=round_all.pk).exists()
    assert not sees(admin_a, round_all.i1) and not sees(world.inspector_a, round_all.i1)
    # round_a lies in 社区甲: its office admin sees the round and its pending areas.
    assert sees(admin_a, round_a.i1) and sees(admin_a, round_a.i2)
    # An inspector of the whole subdistrict who does not walk round_a does not.
    assert not sees(inspector_gc, round_a.i2)
    # Made office admin of 社区乙 too: still not 社区乙's pending area of a subdistrict round.
    RoleAssignment.objects.create(user=world.inspector_a, role=Role.OFFICE_ADMIN, region=world.b)
    assert not sees(world.inspector_a, round_all.ib)
    # Once scored it is a result, seen by the office and inspectors over the area.
    scored = submit(round_all.i1, inspector_gc)
    assert sees(admin_a, scored) and sees(world.inspector_a, scored)
    # The community still sees neither, scored or pending, until release.
    assert not sees(world.secretary_a, scored) and not sees(world.secretary_a, round_a.i2)


def test_only_whole_territory_viewers_see_all_results(world, inspector_gc, admin_a):
    from django.contrib.auth.models import AnonymousUser

    assert permissions.sees_all_results(world.admin)  # office admin on GC
    assert permissions.sees_all_results(inspector_gc)  # inspector role on GC
    assert not permissions.sees_all_results(admin_a)  # office admin of 社区甲 only
    assert not permissions.sees_all_results(world.inspector_a)  # inspector of 社区甲
    for name in ("secretary_a", "dept_staff", "outsider", "nobody"):
        assert not permissions.sees_all_results(getattr(world, name)), name
    assert not permissions.sees_all_results(AnonymousUser())


def test_nobody_and_anonymous_see_nothing_ever(scored_a1, world):
    release(world)
    assert not inspections_visible_to(world.nobody).exists()
    assert not inspections_visible_to(AnonymousUser()).exists()
    assert not rounds_visible_to(world.nobody).exists()
    assert not rounds_visible_to(AnonymousUser()).exists()


# --- rounds -----------------------------------------------------------------------


def test_rounds_are_seen_by_the_office_and_their_own_inspectors_only(
    round_a, round_all, world, inspector_gc
):
    assert set(rounds_visible_to(world.admin)) == {round_a, round_all}
    assert list(rounds_visible_to(world.inspector_a)) == [round_a]
    assert list(rounds_visible_to(inspector_gc)) == [round_all]
    for name in ("secretary_a", "party_member_a", "team_leader_a", "dept_staff", "outsider"):
        assert not rounds_visible_to(who(world, name)).exists(), name
    with pytest.raises(Http404):
        get_round_for_user(world.inspector_a, round_all.pk)
    assert get_round_for_user(inspector_gc, round_all.pk) == round_all


def test_the_secretary_never_sees_a_round_even_after_release(round_a, scored_a1, world):
    release(world)
    services.round_cancel(round_=round_a, actor=world.admin, reason="x")
    assert not rounds_visible_to(world.secretary_a).exists()


# --- a finding's case is an ordinary case -----------------------------------------


def test_a_findings_case_is_visible_while_the_inspection_is_not(
    round_a, insp, world, private_media
):
    done = submit(round_a.i1, world.inspector_a, finding(insp.garbage, 2, open_case=True))
    case = done.findings.get().case
    assert case in cases_visible_to(world.secretary_a)
    assert get_case_for_user(world.secretary_a, case.number) == case
    assert not sees(world.secretary_a, done)
    # The outsider sees neither.
    assert case not in cases_visible_to(world.outsider)
    assert not sees(world.outsider, done)


# --- the can_ rules the services rely on ------------------------------------------


def test_can_score_void_and_open_case(round_a, insp, world, inspector_gc):
    i1 = Inspection.objects.select_related("round").get(pk=round_a.i1.pk)
    assert permissions.can_score(world.inspector_a, i1)
    for name in ("admin", "secretary_a", "outsider", "nobody"):
        assert not permissions.can_score(who(world, name), i1)
    assert not permissions.can_score(inspector_gc, i1)
    done = submit(i1, world.inspector_a)
    done = Inspection.objects.select_related("round").get(pk=done.pk)
    assert not permissions.can_score(world.inspector_a, done)  # once
    assert permissions.can_void(world.admin, done)
    assert not permissions.can_void(world.inspector_a, done)
    assert permissions.can_open_case(world.inspector_a, done)
    assert permissions.can_open_case(world.admin, done)
    assert not permissions.can_open_case(world.secretary_a, done)
    release(world)
    done.refresh_from_db()
    assert not permissions.can_void(world.admin, done)  # published: stays


# --- the admin keeps the embargo ------------------------------------------------------
# The inspections' Django admin is for office admins of the whole territory only:
# see test_admin_embargo.py.
