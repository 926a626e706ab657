"""The publishing desk's services: publish, unpublish, photos, text, permissions, audit."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from PIL import Image

from zhenxing.cases.models import PhotoKind
from zhenxing.cases.photos import private_storage
from zhenxing.core.models import AuditEntry
from zhenxing.people.models import Role, RoleAssignment, User
from zhenxing.public import services
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.public.testing import SECRET_MOBILE, closed_case, reported_case

pytestmark = pytest.mark.django_db


def before_of(case):
    return case.photos.filter(kind=PhotoKind.BEFORE).get()


def after_of(case):
    return case.photos.filter(kind=PhotoKind.AFTER).get()


def set_photo(publication, actor, kind, source, crop=None, redactions=()):
    return services.public_photo_set(
        publication=publication,
        actor=actor,
        kind=kind,
        source=source,
        crop=crop,
        redactions=list(redactions),
    )


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_defaults_offered_for_a_case(world, cats, private_media):
    case = reported_case(world, cats.garbage)
    assert services.default_title(case) == "暴露垃圾"
    # Community and area from the territory path, never the case's address.
    assert services.default_place(case) == "社区甲 甲一片区"
    description = services.default_description(case)
    assert SECRET_MOBILE[-4:] not in description and "***" in description


def test_prepare_makes_a_draft_and_removes_mobiles(world, cats, private_media):
    case = reported_case(world, cats.garbage)
    publication = services.publication_prepare(
        case=case,
        actor=world.admin,
        title=f"垃圾 {SECRET_MOBILE}",
        description=f"请联系 {SECRET_MOBILE} 了解",
        place="社区甲 甲一片区",
    )
    assert not publication.is_published
    assert SECRET_MOBILE not in publication.description
    assert SECRET_MOBILE not in publication.title
    assert publication.description == "请联系 *** 了解"
    entry = AuditEntry.objects.get(action="public.prepare")
    assert entry.actor == world.admin and entry.object_id == str(publication.pk)
    # Saving again updates the same row.
    again = services.publication_prepare(
        case=case, actor=world.admin, title="新标题", description="", place="社区甲"
    )
    assert again.pk == publication.pk and again.title == "新标题"
    assert Publication.objects.count() == 1


@pytest.mark.parametrize(
    ("title", "place", "description"),
    [
        ("", "社区甲", ""),
        ("标题", "", ""),
        ("x" * 81, "社区甲", ""),
        ("标题", "社区甲", "x" * 1001),
    ],
)
def test_prepare_refuses_bad_text(world, cats, private_media, title, place, description):
    case = reported_case(world, cats.garbage)
    with pytest.raises(services.PublicationError):
        services.publication_prepare(
            case=case, actor=world.admin, title=title, description=description, place=place
        )
    assert not Publication.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="public.").exists()


def test_publish_needs_a_before_photo(world, cats, private_media):
    case = reported_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    with pytest.raises(services.PublicationError, match="整改前照片"):
        services.publication_publish(publication=draft, actor=world.admin)
    draft.refresh_from_db()
    assert not draft.is_published and draft.published_at is None
    assert "public.publish" not in actions()


def test_publish_and_unpublish(world, cats, private_media, django_capture_on_commit_callbacks):
    case = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    set_photo(draft, world.admin, PhotoKind.BEFORE, before_of(case))
    set_photo(draft, world.admin, PhotoKind.AFTER, after_of(case))
    published = services.publication_publish(publication=draft, actor=world.admin)
    published.refresh_from_db()
    assert published.is_published
    assert published.published_by == world.admin
    assert published.first_published_at == published.published_at
    assert published.unpublished_at is None
    assert published.share_image and private_storage.exists(published.share_image)
    assert actions()[-4:] == ["public.prepare", "public.photo", "public.photo", "public.publish"]

    with pytest.raises(services.PublicationError):
        services.publication_publish(publication=published, actor=world.admin)

    share = published.share_image
    with django_capture_on_commit_callbacks(execute=True):
        off = services.publication_unpublish(
            publication=published, actor=world.admin, reason="核实有误"
        )
    off.refresh_from_db()
    assert not off.is_published and off.unpublished_at is not None
    # The share image was made for the board: gone with it.
    assert off.share_image == "" and not private_storage.exists(share)
    entry = AuditEntry.objects.filter(action="public.unpublish").get()
    assert entry.changes["reason"] == "核实有误" and "核实有误" in entry.summary
    with pytest.raises(services.PublicationError):
        services.publication_unpublish(publication=off, actor=world.admin)

    # Published again: the first publication date stays.
    again = services.publication_publish(publication=off, actor=world.admin)
    again.refresh_from_db()
    assert again.is_published and again.first_published_at == published.first_published_at
    assert again.published_at > published.published_at
    assert again.unpublished_at is None


def _community_admin(world):
    user = User.objects.create_user(username="office_a", password="x")
    RoleAssignment.objects.create(user=user, role=Role.OFFICE_ADMIN, region=world.a)
    return user


@pytest.mark.parametrize("who", ["secretary_a", "outsider", "dept_staff", "nobody", "anonymous"])
def test_others_cannot_publish(world, cats, private_media, who):
    case = closed_case(world, cats.garbage)
    # A draft the office made, for the services that need one.
    draft = services.publication_draft(case=case, actor=world.admin)
    set_photo(draft, world.admin, PhotoKind.BEFORE, before_of(case))
    rows = (Publication.objects.count(), PublicPhoto.objects.count(), AuditEntry.objects.count())
    actor = AnonymousUser() if who == "anonymous" else getattr(world, who)
    attempts = [
        lambda: services.publication_prepare(
            case=case, actor=actor, title="x", description="", place="y"
        ),
        lambda: services.publication_draft(case=case, actor=actor),
        lambda: set_photo(draft, actor, PhotoKind.AFTER, after_of(case)),
        lambda: services.publication_publish(publication=draft, actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    services.publication_publish(publication=draft, actor=world.admin)
    with pytest.raises(PermissionDenied):
        services.publication_unpublish(publication=draft, actor=actor)
    draft.refresh_from_db()
    assert draft.is_published and draft.title == "暴露垃圾"
    assert PublicPhoto.objects.count() == rows[1]
    # Only the office's own publish was recorded.
    assert AuditEntry.objects.count() == rows[2] + 1


def test_community_office_admin_publishes_only_in_its_territory(world, cats, private_media):
    admin_a = _community_admin(world)
    in_a = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=in_a, actor=admin_a)
    set_photo(draft, admin_a, PhotoKind.BEFORE, before_of(in_a))
    assert services.publication_publish(publication=draft, actor=admin_a).is_published

    in_b = reported_case(world, cats.garbage, lat=23.005, lng=113.125)
    assert in_b.region == world.area_b1
    with pytest.raises(PermissionDenied):
        services.publication_draft(case=in_b, actor=admin_a)
    other = services.publication_draft(case=in_b, actor=world.admin)
    with pytest.raises(PermissionDenied):
        set_photo(other, admin_a, PhotoKind.BEFORE, before_of(in_b))
    with pytest.raises(PermissionDenied):
        services.publication_publish(publication=other, actor=admin_a)
    assert not other.photos.exists()


def test_photo_must_be_one_of_the_cases_own(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    stranger = reported_case(world, cats.garbage, lat=23.006, lng=113.106)
    draft = services.publication_draft(case=case, actor=world.admin)
    with pytest.raises(services.PublicationError):
        set_photo(draft, world.admin, PhotoKind.BEFORE, before_of(stranger))
    # An after photo is not the board's before photo.
    with pytest.raises(services.PublicationError):
        set_photo(draft, world.admin, PhotoKind.BEFORE, after_of(case))
    with pytest.raises(services.PublicationError):
        set_photo(draft, world.admin, "other", before_of(case))
    assert not PublicPhoto.objects.exists()


@pytest.mark.parametrize(
    ("crop", "redactions"),
    [
        ({"x": -0.1, "y": 0, "w": 0.5, "h": 0.5}, []),
        ({"x": 0, "y": 0, "w": 0, "h": 0.5}, []),
        ({"x": 0, "y": 0, "w": 0.01, "h": 0.5}, []),  # too small to show anything
        ({"x": 0, "y": 0, "w": "nan", "h": 0.5}, []),
        ({"x": 0, "y": 0, "w": 0.5}, []),
        ("whole", []),
        (None, [{"x": 1.2, "y": 0, "w": 0.1, "h": 0.1}]),
        (None, [{"x": 0, "y": 0, "w": True, "h": 0.1}]),
        (None, [{"x": 0, "y": 0, "w": 0.1, "h": 0.1, "colour": "red"}]),
        (None, {"x": 0, "y": 0, "w": 0.1, "h": 0.1}),
        (None, [{"x": 0.01 * i, "y": 0, "w": 0.1, "h": 0.1} for i in range(21)]),
    ],
)
def test_bad_boxes_are_refused(world, cats, private_media, crop, redactions):
    case = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    with pytest.raises(services.PublicationError):
        services.public_photo_set(
            publication=draft,
            actor=world.admin,
            kind=PhotoKind.BEFORE,
            source=before_of(case),
            crop=crop,
            redactions=redactions,
        )
    assert not PublicPhoto.objects.exists()
    assert not private_storage.exists("public")  # refused before anything was drawn


def test_boxes_overhanging_the_edge_are_cut_and_stored(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    photo = set_photo(
        draft,
        world.admin,
        PhotoKind.BEFORE,
        before_of(case),
        crop={"x": 0, "y": 0, "w": 1, "h": 1},  # the whole photo: no crop
        redactions=[{"x": 0.8, "y": 0.5, "w": 0.5, "h": 0.123456789}],
    )
    assert photo.crop == {}
    assert photo.redactions == [{"x": 0.8, "y": 0.5, "w": 0.2, "h": 0.1235}]
    entry = AuditEntry.objects.get(action="public.photo")
    assert entry.changes["redactions"] == photo.redactions


def test_replacing_a_photo_removes_the_old_copy(
    world, cats, private_media, django_capture_on_commit_callbacks
):
    case = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    first = set_photo(draft, world.admin, PhotoKind.BEFORE, before_of(case))
    assert private_storage.exists(first.image) and private_storage.exists(first.thumbnail)
    assert first.image == f"public/{first.token[:2]}/{first.token}/display.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        second = set_photo(
            draft,
            world.admin,
            PhotoKind.BEFORE,
            before_of(case),
            redactions=[{"x": 0, "y": 0, "w": 0.5, "h": 0.5}],
        )
    assert second.token != first.token
    assert not private_storage.exists(first.image)
    assert not private_storage.exists(first.thumbnail)
    assert not PublicPhoto.objects.filter(token=first.token).exists()
    draft.refresh_from_db()
    assert draft.before_photo == second
    image = Image.open(io.BytesIO(private_storage.open(second.image).read())).convert("RGB")
    assert max(image.getpixel((10, 10))) < 24  # the top-left quarter is blacked out
    assert image.getpixel((80, 60))[0] > 180  # the rest is the red photo


def test_share_image_is_remade_on_every_change(
    world, cats, private_media, django_capture_on_commit_callbacks
):
    case = closed_case(world, cats.garbage)
    draft = services.publication_draft(case=case, actor=world.admin)
    set_photo(draft, world.admin, PhotoKind.BEFORE, before_of(case))
    publication = services.publication_publish(publication=draft, actor=world.admin)
    first = publication.share_image
    assert Image.open(private_storage.open(first)).size == (1200, 800)

    with django_capture_on_commit_callbacks(execute=True):
        set_photo(publication, world.admin, PhotoKind.AFTER, after_of(case))
    publication.refresh_from_db()
    second = publication.share_image
    assert second and second != first
    assert private_storage.exists(second) and not private_storage.exists(first)

    with django_capture_on_commit_callbacks(execute=True):
        services.publication_prepare(
            case=case, actor=world.admin, title="新的标题", description="", place="社区甲"
        )
    publication.refresh_from_db()
    assert publication.share_image not in ("", second)
    assert not private_storage.exists(second)

    # Saving the same text again changes nothing, and keeps the image.
    third = publication.share_image
    services.publication_prepare(
        case=case, actor=world.admin, title="新的标题", description="", place="社区甲"
    )
    publication.refresh_from_db()
    assert publication.share_image == third
