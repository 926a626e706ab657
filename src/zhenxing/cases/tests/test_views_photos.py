"""Photos are served only through the case's visibility: derivatives without EXIF, upright."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from zhenxing.cases import services
from zhenxing.cases.models import Case, CasePhoto
from zhenxing.cases.photos import private_storage, validate_photos
from zhenxing.people.tokens import token_create, token_revoke

from .conftest import IN_A1, upload
from .test_views_intake import gps_jpeg


@pytest.fixture
def client_for(world):
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def photo_case(world, cats, data: bytes | None = None) -> tuple[Case, CasePhoto]:
    case = services.case_report(
        actor=world.inspector_a,
        category=cats.garbage,
        source="inspection",
        description="有照片的案卷",
        lat=IN_A1[0],
        lng=IN_A1[1],
        photos=validate_photos([upload("spot.jpg", data or gps_jpeg(23.005, 113.105, 6))]),
    )
    return case, case.photos.get()


def url(photo: CasePhoto, variant: str) -> str:
    return reverse("cases:photo", args=[photo.token, variant])


def image_of(response) -> Image.Image:
    data = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("variant", ["thumb", "display"])
def test_derivatives_are_upright_and_carry_no_exif(client_for, world, cats, private_media, variant):
    case, photo = photo_case(world, cats)
    assert not photo.ready  # no worker ran: the view makes them on first request
    response = client_for(world.party_member_a).get(url(photo, variant))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    image = image_of(response)
    assert image.format == "JPEG"
    # The camera held it sideways (orientation 6): 80×40 as stored, 40×80 as seen.
    assert image.size == (40, 80)
    assert len(image.getexif()) == 0
    assert "exif" not in image.info
    photo.refresh_from_db()
    assert photo.ready


def test_the_original_is_only_for_the_dispatchers(client_for, world, cats, private_media):
    data = gps_jpeg(23.005, 113.105, 6)
    case, photo = photo_case(world, cats, data)
    for user in (world.secretary_a, world.admin):
        response = client_for(user).get(url(photo, "original"))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data  # untouched, EXIF and all
        assert response["Content-Type"] == "image/jpeg"
    for user in (world.party_member_a, world.inspector_a, world.dept_staff):
        assert client_for(user).get(url(photo, "original")).status_code == 404


def test_outsiders_get_the_same_404_as_for_an_unknown_token(client_for, world, cats, private_media):
    case, photo = photo_case(world, cats)
    for user in (world.outsider, world.nobody):
        for variant in ("thumb", "display", "original"):
            assert client_for(user).get(url(photo, variant)).status_code == 404
    admin = client_for(world.admin)
    assert admin.get(reverse("cases:photo", args=["x" * 24, "thumb"])).status_code == 404
    assert admin.get(reverse("cases:photo", args=[photo.token, "huge"])).status_code == 404
    # A token the URL map refuses (too long; a NUL byte) is a 404 before any lookup.
    assert admin.get(f"/cases/photos/{'x' * 200}/thumb").status_code == 404
    assert admin.get("/cases/photos/%00/thumb").status_code == 404
    # Nothing was made for them either.
    photo.refresh_from_db()
    assert not photo.ready


def test_anonymous_and_wrong_methods(client, client_for, world, cats, private_media):
    case, photo = photo_case(world, cats)
    response = client.get(url(photo, "thumb"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client_for(world.admin).post(url(photo, "thumb")).status_code == 405


def test_a_png_with_transparency_becomes_a_white_backed_jpeg(
    client_for, world, cats, private_media
):
    out = io.BytesIO()
    Image.new("RGBA", (50, 30), (255, 0, 0, 0)).save(out, "PNG")
    case, photo = photo_case(world, cats, out.getvalue())
    response = client_for(world.secretary_a).get(url(photo, "display"))
    image = image_of(response)
    assert image.mode == "RGB" and image.size == (50, 30)
    assert image.getpixel((10, 10))[0] > 240  # white, not black
    original = client_for(world.secretary_a).get(url(photo, "original"))
    assert original["Content-Type"] == "image/png"


def test_a_missing_file_is_a_404_not_a_500(client_for, world, cats, private_media):
    case, photo = photo_case(world, cats)
    private_storage.delete(photo.original)
    assert client_for(world.secretary_a).get(url(photo, "original")).status_code == 404
    assert client_for(world.secretary_a).get(url(photo, "thumb")).status_code == 404


# --- API token clients ------------------------------------------------------------------


def _bearer(user) -> Client:
    _, plain = token_create(user=user, name="app", actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_an_api_client_follows_the_photo_urls_with_its_token(world, cats, private_media):
    case, photo = photo_case(world, cats)
    secretary = _bearer(world.secretary_a)
    detail = secretary.get(f"/api/v1/cases/{case.number}").json()
    urls = detail["photos"][0]
    for key in ("thumb_url", "display_url", "original_url"):
        response = secretary.get(urls[key])
        assert response.status_code == 200, key
        assert response["Content-Type"] == "image/jpeg"
    # The token carries its user's scope and rights, exactly as a session would.
    member = _bearer(world.party_member_a)
    assert member.get(urls["thumb_url"]).status_code == 200
    assert member.get(urls["original_url"]).status_code == 404
    assert _bearer(world.outsider).get(urls["thumb_url"]).status_code == 404


def test_a_bad_token_is_a_401_even_beside_a_session(client_for, world, cats, private_media):
    case, photo = photo_case(world, cats)
    token, plain = token_create(user=world.secretary_a, name="app", actor=None)
    token_revoke(token=token, actor=world.secretary_a)
    for header in (f"Bearer {plain}", "Bearer zx_nonsense", "Bearer "):
        response = Client(HTTP_AUTHORIZATION=header).get(url(photo, "thumb"))
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Bearer"
        browser = client_for(world.admin)
        assert browser.get(url(photo, "thumb"), HTTP_AUTHORIZATION=header).status_code == 401
    # No header at all: the browser's way, to the login page.
    assert Client().get(url(photo, "thumb")).status_code == 302
