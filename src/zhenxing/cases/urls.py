from django.urls import path, register_converter

from zhenxing.cases.views import detail, intake, lists, photos


class PhotoTokenConverter:
    """A photo token: letters and digits only (`photos.new_token`). Anything else (a NUL
    byte, which PostgreSQL refuses in a query) is no URL of ours: 404 before any lookup."""

    regex = "[A-Za-z0-9]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PhotoTokenConverter, "photo_token")

app_name = "cases"

urlpatterns = [
    # lists (views/lists.py)
    path("", lists.case_list, name="list"),
    path("queue/", lists.queue, name="queue"),
    path("map/", lists.case_map, name="map"),
    path("map.geojson", lists.case_map_data, name="map_data"),
    path("export.xlsx", lists.case_export, name="export"),
    path("categories/", lists.category_list, name="categories"),
    path("escalations/", lists.escalation_list, name="escalations"),
    # intake (views/intake.py)
    path("new/", intake.case_new, name="new"),
    path("new/duplicates/", intake.duplicates, name="duplicates"),
    # one case (views/detail.py)
    path("c/<str:number>/", detail.case_detail, name="detail"),
    path("c/<str:number>/act/<str:action>/", detail.case_act, name="act"),
    path("c/<str:number>/requests/<int:request_id>/decide/", detail.request_decide, name="decide"),
    path("c/<str:number>/add-report/", detail.add_report, name="add_report"),
    # photos (views/photos.py): served only through the case's visibility
    path("photos/<photo_token:token>/<str:variant>", photos.photo, name="photo"),
]
