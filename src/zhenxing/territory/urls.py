from django.urls import path

from zhenxing.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.browser, name="browser"),
    path("r/<str:code>/", views.region_detail, name="region"),
    path("export.geojson", views.export, name="export"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("import/", views.import_regions, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
