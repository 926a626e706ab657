from django.urls import path

import zhenxing.cases.urls  # noqa: F401  (registers the photo_token converter)
from zhenxing.inspections.views import checklists, photos, rounds, scoring

app_name = "inspections"

urlpatterns = [
    # rounds (views/rounds.py): the office's planner and the round pages
    path("", rounds.round_list, name="rounds"),
    path("plan/", rounds.round_plan, name="plan"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round"),
    path("rounds/<int:pk>/cancel/", rounds.round_cancel, name="round_cancel"),
    path("results/", rounds.result_list, name="results"),
    path("results/export.xlsx", rounds.result_export, name="results_export"),
    # scoring (views/scoring.py): the inspector's phone pages and one inspection's evidence
    path("mine/", scoring.mine, name="mine"),
    path("i/<int:pk>/", scoring.inspection_detail, name="detail"),
    path("i/<int:pk>/score/", scoring.inspection_score, name="score"),
    path("i/<int:pk>/void/", scoring.inspection_void, name="void"),
    path(
        "i/<int:pk>/findings/<int:finding_id>/case/",
        scoring.finding_open_case,
        name="open_case",
    ),
    # checklists (views/checklists.py)
    path("templates/", checklists.template_list, name="templates"),
    path("templates/<int:pk>/", checklists.template_detail, name="template"),
    path("templates/<int:pk>/new-version/", checklists.template_new_version, name="new_version"),
    path("templates/<int:pk>/activate/", checklists.template_activate, name="activate"),
    # photos (views/photos.py): served only through the inspection's visibility
    path("photos/<photo_token:token>/<str:variant>", photos.photo, name="photo"),
]
