from django.urls import path

import zhenxing.cases.urls  # noqa: F401  (registers the photo_token converter)
from zhenxing.assessment import views_circulars as views

app_name = "circulars"

urlpatterns = [
    path("", views.circular_list, name="list"),
    path("new/", views.circular_new, name="new"),
    path("<int:pk>/", views.circular_detail, name="detail"),
    path("<int:pk>/edit/", views.circular_edit, name="edit"),
    path("<int:pk>/publish/", views.circular_publish, name="publish"),
    path("<int:pk>/download.<str:fmt>", views.circular_download, name="download"),
    path("<int:pk>/photos/<photo_token:token>/<str:variant>", views.circular_photo, name="photo"),
]
