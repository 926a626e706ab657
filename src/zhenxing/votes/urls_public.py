"""Voting with a one-time code on a phone, and a closed session's published result (no login)."""

from django.urls import path

from zhenxing.votes.views import public

app_name = "votes_public"
urlpatterns = [
    path("cast/", public.cast, name="cast"),
    path("<str:token>/", public.result, name="result"),
    path("<str:token>/chain.json", public.chain, name="chain"),
]
