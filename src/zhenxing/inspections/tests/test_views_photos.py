"""Inspection photos are served only through the inspection's visibility (the embargo holds)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from zhenxing.inspections import services
from zhenxing.inspections.models import InspectionPhoto
from zhenxing.people.tokens import token_create

from .conftest import IN_A1, days, finding, photo, submit


@pytest.fixture
def shot(round_a, insp, world, private_media) -> InspectionPhoto:
    """A finding's photo (with GPS in its EXIF) on 社区甲's first area."""
    submit(round_a.i1, world.inspector_a, finding(insp.garbage, 1, photos=[photo(gps=IN_A1)]))
    return InspectionPhoto.objects.get()


def url(p: InspectionPhoto, variant: str) -> str:
    return reverse("inspections:photo", args=[p.token, variant])


def image_of(response) -> Image.Image:
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    image.load()
    return image


def release(world) -> None:
    services.inspections_release(
        start=timezone.localdate(), end=days(1), scope_path=world.root.path, actor=None
    )


@pytest.mark.parametrize("variant", ["thumb", "display"])
def test_derivatives_are_made_on_demand_without_exif(shot, world, client_for, variant):
    assert not shot.ready
    response = client_for(world.inspector_a).get(url(shot, variant))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    image = image_of(response)
    assert image.format == "JPEG" and len(image.getexif()) == 0
    shot.refresh_from_db()
    assert shot.ready


def test_the_embargo_holds_on_photos(shot, world, client_for):
    for who in ("secretary_a", "party_member_a", "outsider", "nobody", "dept_staff"):
        response = client_for(getattr(world, who)).get(url(shot, "thumb"))
        assert response.status_code == 404, who
    release(world)
    assert client_for(world.secretary_a).get(url(shot, "thumb")).status_code == 200
    assert client_for(world.outsider).get(url(shot, "thumb")).status_code == 404


def test_the_original_is_for_the_office_only(shot, world, client_for):
    response = client_for(world.admin).get(url(shot, "original"))
    assert response.status_code == 200
    image = image_of(response)
    assert image.getexif().get_ifd(0x8825)  # the GPS is still there
    release(world)
    for user in (world.inspector_a, world.secretary_a):
        assert client_for(user).get(url(shot, "original")).status_code == 404


def test_unknown_tokens_and_variants_are_404(shot, world, client_for):
    client = client_for(world.admin)
    assert client.get(url(shot, "poster")).status_code == 404
    other = reverse("inspections:photo", args=["a" * 24, "thumb"])
    assert client.get(other).status_code == 404


def test_anonymous_is_sent_to_login_and_post_is_405(shot, world, client, client_for):
    response = client.get(url(shot, "thumb"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client_for(world.admin).post(url(shot, "thumb")).status_code == 405


def test_api_tokens_are_honoured(shot, world, client):
    _token, plain = token_create(user=world.inspector_a, name="phone", actor=world.inspector_a)
    response = client.get(url(shot, "thumb"), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    bad = client.get(url(shot, "thumb"), HTTP_AUTHORIZATION="Bearer zx_nonsense")
    assert bad.status_code == 401
