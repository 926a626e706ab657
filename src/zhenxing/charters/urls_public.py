"""A charter version's public page: read it, and comment while it is out for comment."""

from django.urls import path

from zhenxing.charters.views import public

app_name = "charters_public"
urlpatterns = [
    path("<str:token>/", public.version_page, name="version"),
]
