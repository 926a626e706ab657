from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve as serve_media

from zhenxing.api import api
from zhenxing.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("territory/", include("zhenxing.territory.urls")),
    path("people/", include("zhenxing.people.urls")),
    path("audit/", include("zhenxing.core.audit_urls")),
    path("cases/", include("zhenxing.cases.urls")),
    path("notifications/", include("zhenxing.notify.urls")),
    path("inspections/", include("zhenxing.inspections.urls")),
    path("assessment/", include("zhenxing.assessment.urls")),
    path("circulars/", include("zhenxing.assessment.urls_circulars")),
    path("plans/", include("zhenxing.plans.urls")),
    path("posts/", include("zhenxing.posts.urls")),
    path("public/posts/", include("zhenxing.posts.urls_public")),
    path("charters/", include("zhenxing.charters.urls")),
    path("public/charters/", include("zhenxing.charters.urls_public")),
    path("votes/", include("zhenxing.votes.urls")),
    path("public/votes/", include("zhenxing.votes.urls_public")),
    path("public/", include("zhenxing.public.urls")),
    path("open311/v2/", include("zhenxing.open311.urls")),
    path("bench/", include("zhenxing.bench.urls")),  # empty unless ZHENXING_BENCH_VIEWS
    path("", include("zhenxing.core.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve_media, {"document_root": settings.MEDIA_ROOT})]
