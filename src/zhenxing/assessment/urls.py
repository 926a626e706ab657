from django.urls import path

from zhenxing.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("export.xlsx", views.ranking_export, name="ranking_export"),
    path("unit/<str:unit_kind>/<str:unit_key>/", views.unit_explain, name="explain"),
    path("periods/", views.period_list, name="periods"),
    path("periods/<int:pk>/close/", views.period_close, name="period_close"),
    path("periods/<int:pk>/recompute/", views.period_recompute, name="period_recompute"),
    path("lists/", views.lists, name="lists"),
    path("incentives/new/", views.incentive_new, name="incentive_new"),
]
