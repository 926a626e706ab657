from django.urls import path

from zhenxing.territory import views

app_name = "territory"
urlpatterns = [
    path("r/<str:code>/", views.region_detail, name="region"),
]
