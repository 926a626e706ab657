"""Bench-only URLs (/bench/...): present only when ZHENXING_BENCH_VIEWS is on.

The project's urls.py includes this module unconditionally; the decision is
made here, once, when the URLconf is loaded, so that a production server
(the setting off, its default) has no such routes at all.
"""

from django.conf import settings
from django.urls import path

from zhenxing.bench import views

app_name = "bench"

urlpatterns = (
    [
        path("hello", views.hello, name="hello"),
        path("intake", views.intake, name="intake"),
    ]
    if settings.ZHENXING_BENCH_VIEWS
    else []
)
