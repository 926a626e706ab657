"""The patrol service: who may check in when, the photos, and the patrol → case path."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zhenxing.cases.models import Case, CasePhoto, PhotoKind, Source
from zhenxing.cases.photos import ValidatedPhoto, validate_photos
from zhenxing.cases.testing import jpeg_bytes, upload
from zhenxing.core.models import AuditEntry
from zhenxing.posts import services
from zhenxing.posts.models import CaseOrigin, Patrol, PatrolPhoto, PostCase
from zhenxing.posts.patrols import ProblemFound, patrol_record
from zhenxing.posts.services import PostError

pytestmark = pytest.mark.django_db


def photos(n: int = 1) -> list[ValidatedPhoto]:
    return validate_photos([upload(f"p{i}.jpg", jpeg_bytes(color="blue")) for i in range(n)])


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- who, when, where ----------------------------------------------------------------


def test_member_checks_in_on_a_post_they_hold(world, posts):
    patrol = patrol_record(
        actor=world.party_member_a, post=posts.post_a1, note=" 巡查正常 ", lat=23.005, lng=113.105
    )
    patrol.refresh_from_db()
    assert patrol.member == posts.member_a
    assert patrol.region_path == world.area_a1.path
    assert patrol.organization == posts.org_a
    assert patrol.recorded_by == world.party_member_a
    assert patrol.note == "巡查正常"
    assert AuditEntry.objects.filter(
        action="posts.patrol.record", object_id=str(patrol.pk)
    ).exists()
    assert getattr(patrol, "case", "x") is None


def test_member_without_the_claim_is_refused(world, posts):
    with pytest.raises(PermissionDenied):
        patrol_record(actor=world.party_member_a, post=posts.post_a2)
    # A login with no party member behind it cannot check in anywhere.
    with pytest.raises(PermissionDenied):
        patrol_record(actor=world.secretary_a, post=posts.post_a1)
    assert not Patrol.objects.exists()


def test_a_login_cannot_check_in_for_another_member(world, posts):
    with pytest.raises(PermissionDenied):
        patrol_record(actor=world.party_member_a, post=posts.post_a1, member=posts.member_a2)


def test_ended_claim_and_retired_post_are_refused(world, posts):
    services.claim_end(actor=None, claim=posts.claim_a1, reason="搬走")
    with pytest.raises(PermissionDenied):
        patrol_record(actor=world.party_member_a, post=posts.post_a1)
    services.post_retire(actor=None, post=posts.post_b1)
    with pytest.raises(PostError, match="retired"):
        patrol_record(actor=None, post=posts.post_b1, member=posts.member_b)


def test_time_window(world, posts):
    now = timezone.now()
    with pytest.raises(PostError, match="future"):
        patrol_record(
            actor=world.party_member_a, post=posts.post_a1, at=now + datetime.timedelta(minutes=10)
        )
    with pytest.raises(PostError, match="7"):
        patrol_record(
            actor=world.party_member_a, post=posts.post_a1, at=now - datetime.timedelta(days=8)
        )
    # Within the phone's clock tolerance, and a few days late: both fine.
    patrol_record(
        actor=world.party_member_a, post=posts.post_a1, at=now + datetime.timedelta(minutes=3)
    )
    late = patrol_record(
        actor=None,
        member=posts.member_a,
        post=posts.post_a1,
        at=now - datetime.timedelta(days=3),
    )
    assert late.recorded_by is None
    assert Patrol.objects.count() == 2


def test_back_dated_patrol_needs_a_claim_covering_that_day(world, posts):
    """The system may record older patrols, but only on days the member held the post."""
    before_claim = timezone.make_aware(datetime.datetime(2026, 1, 4, 10, 0))
    with pytest.raises(PostError, match="did not hold"):
        patrol_record(actor=None, member=posts.member_a, post=posts.post_a1, at=before_claim)
    on_claim = timezone.make_aware(datetime.datetime(2026, 1, 5, 10, 0))
    patrol_record(actor=None, member=posts.member_a, post=posts.post_a1, at=on_claim)
    with pytest.raises(PostError):
        patrol_record(actor=None, post=posts.post_a1)  # the system must name the member


def test_coordinates_and_note_are_checked(world, posts):
    with pytest.raises(PostError, match="both"):
        patrol_record(actor=world.party_member_a, post=posts.post_a1, lat=23.0)
    with pytest.raises(PostError, match="Earth"):
        patrol_record(actor=world.party_member_a, post=posts.post_a1, lat=123.0, lng=113.0)
    with pytest.raises(PostError, match="2000"):
        patrol_record(actor=world.party_member_a, post=posts.post_a1, note="字" * 2001)
    patrol = patrol_record(
        actor=world.party_member_a, post=posts.post_a1, lat=23.0, lng=113.1, accuracy_m=12.5
    )
    assert (patrol.lat, patrol.lng, patrol.accuracy_m) == (23.0, 113.1, 12.5)


def test_a_double_tap_is_one_patrol(world, posts):
    patrol_record(actor=world.party_member_a, post=posts.post_a1)
    with pytest.raises(PostError, match="already recorded"):
        patrol_record(actor=world.party_member_a, post=posts.post_a1)
    assert Patrol.objects.count() == 1


def test_photos_stored_privately(world, posts, private_media):
    patrol = patrol_record(actor=world.party_member_a, post=posts.post_a1, photos=photos(2))
    stored = list(PatrolPhoto.objects.filter(patrol=patrol))
    assert len(stored) == 2
    assert all(p.original.startswith("patrols/") for p in stored)
    assert len(files_under(private_media)) == 2
    with pytest.raises(PostError, match="At most"):
        patrol_record(actor=None, member=posts.member_a, post=posts.post_a1, photos=photos(1) * 10)


# --- the patrol → case path -------------------------------------------------------------


def test_problem_opens_one_case_linked_to_post_and_patrol(world, posts, cats, private_media):
    patrol = patrol_record(
        actor=world.party_member_a,
        post=posts.post_a1,
        note="巡查",
        photos=photos(1),
        problem=ProblemFound(category=cats.garbage, description="路口垃圾堆积"),
    )
    case = Case.objects.get()
    assert patrol.case == case
    assert case.source == Source.PARTY_PATROL
    assert case.category == cats.garbage
    assert case.description == "路口垃圾堆积"
    assert case.reporter == world.party_member_a
    # Not located: the post's own point, in 甲一片区.
    assert (case.lat, case.lng) == (posts.post_a1.lat, posts.post_a1.lng)
    assert case.region == world.area_a1
    link = PostCase.objects.get()
    assert (link.case, link.post, link.patrol, link.origin) == (
        case,
        posts.post_a1,
        patrol,
        CaseOrigin.PATROL,
    )
    # The patrol's photo goes with the case as a BEFORE photo (a copy of its own).
    before = CasePhoto.objects.get(case=case)
    assert before.kind == PhotoKind.BEFORE
    assert PatrolPhoto.objects.filter(patrol=patrol).count() == 1
    assert before.original != PatrolPhoto.objects.get().original


def test_problem_uses_the_patrol_fix_inside_the_community(world, posts, cats):
    patrol_record(
        actor=world.party_member_a,
        post=posts.post_a1,
        lat=23.005,
        lng=113.115,  # in 甲二片区, same community
        problem=ProblemFound(category=cats.garbage, description="垃圾"),
    )
    assert Case.objects.get().region == world.area_a2


def test_problem_fix_in_another_community_falls_back_to_the_post(world, posts, cats):
    patrol_record(
        actor=world.party_member_a,
        post=posts.post_a1,
        lat=23.005,
        lng=113.125,  # in 乙一片区: the member may not report there
        problem=ProblemFound(category=cats.garbage, description="垃圾"),
    )
    assert Case.objects.get().region == world.area_a1


def test_post_without_any_place_cannot_file_a_case(world, posts, cats):
    services.claim_start(actor=None, post=posts.post_a2, member=posts.member_a)
    # post_a2 lies on the community (no geometry, no point): no place to file at.
    with pytest.raises(PostError, match="nothing was saved"):
        patrol_record(
            actor=world.party_member_a,
            post=posts.post_a2,
            problem=ProblemFound(category=cats.garbage, description="漂浮物"),
        )
    assert not Patrol.objects.exists()


def test_a_refused_case_leaves_no_patrol_and_no_files(world, posts, cats, private_media):
    with pytest.raises(PostError, match="sub-category"):
        patrol_record(
            actor=world.party_member_a,
            post=posts.post_a1,
            photos=photos(2),
            problem=ProblemFound(category=cats.sanitation, description="垃圾"),
        )
    cats.garbage.is_active = False
    cats.garbage.save()
    with pytest.raises(PostError, match="nothing was saved"):
        patrol_record(
            actor=world.party_member_a,
            post=posts.post_a1,
            photos=photos(2),
            problem=ProblemFound(category=cats.garbage, description="垃圾"),
        )
    assert not Patrol.objects.exists()
    assert not PatrolPhoto.objects.exists()
    assert not Case.objects.exists()
    assert not PostCase.objects.exists()
    assert files_under(private_media) == []


def test_a_case_refused_for_permission_rolls_back_too(world, posts, cats, private_media):
    """A member login without the party-member role may not file party-patrol cases."""
    from zhenxing.people.models import RoleAssignment

    RoleAssignment.objects.filter(user=world.party_member_a).delete()
    world.party_member_a.refresh_from_db()
    with pytest.raises(PostError, match="may not file"):
        patrol_record(
            actor=world.party_member_a,
            post=posts.post_a1,
            photos=photos(1),
            problem=ProblemFound(category=cats.garbage, description="垃圾"),
        )
    assert not Patrol.objects.exists()
    assert files_under(private_media) == []


def test_system_patrol_files_its_case_by_nobody(world, posts, cats):
    at = timezone.now() - datetime.timedelta(days=40)
    patrol = patrol_record(
        actor=None,
        member=posts.member_a,
        post=posts.post_a1,
        at=at,
        problem=ProblemFound(category=cats.garbage, description="垃圾"),
    )
    case = patrol.case
    assert case.reporter is None
    assert case.reported_at == at
    assert PostCase.objects.get(case=case).patrol == patrol
