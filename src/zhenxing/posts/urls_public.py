"""The post's public page, reached from the QR code on its sign (no login)."""

from django.urls import path

from zhenxing.posts.views import public

app_name = "posts_public"
urlpatterns = [
    path("<str:token>/", public.post_page, name="post"),
]
