from django.urls import path

import zhenxing.cases.urls  # noqa: F401  (registers the photo_token converter)
from zhenxing.plans.views import battle_map, board, table

app_name = "plans"

urlpatterns = [
    # the battle map (views/battle_map.py)
    path("map/", battle_map.battle_map, name="map"),
    path("map/data.json", battle_map.map_data, name="map_data"),
    path("area/<str:code>/", battle_map.area_sheet, name="area"),
    # the plan table (views/table.py)
    path("", table.campaign_list, name="campaigns"),
    path("table/", table.plan_table, name="table"),
    path("table/export.xlsx", table.table_export, name="table_export"),
    path("table/import/", table.table_import, name="table_import"),
    path("table/target/", table.target_set, name="target_set"),
    # arrangements, progress and today's board (views/board.py)
    path("today/", board.today, name="today"),
    path("arrangements/new/", board.arrangement_new, name="arrangement_new"),
    path("arrangements/<int:pk>/cancel/", board.arrangement_cancel, name="arrangement_cancel"),
    path("report/", board.report_new, name="report_new"),
    path("photos/<photo_token:token>/<str:variant>", board.photo, name="photo"),
]
