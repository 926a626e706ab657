"""The post's public page, reached from the QR code on its sign (no login)."""

from django.urls import path, register_converter

from zhenxing.posts.views import public


class PostTokenConverter:
    """A post's public token (`services.new_public_token`: URL-safe base64, 16 characters).

    Anything else (a NUL byte, which PostgreSQL refuses in a query; a long
    string) matches no URL, so it is a 404 without a query.
    """

    regex = public.POST_TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PostTokenConverter, "post_token")

app_name = "posts_public"
urlpatterns = [
    path("<post_token:token>/", public.post_page, name="post"),
]
