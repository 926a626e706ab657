from django.urls import path

import zhenxing.cases.urls  # noqa: F401  (registers the photo_token converter)
from zhenxing.public.views import board, manage, report

app_name = "public"

urlpatterns = [
    # the board as residents see it, no login (views/board.py)
    path("", board.board, name="board"),
    path("board.json", board.board_data, name="board_data"),
    path("areas.json", board.area_outlines, name="area_outlines"),
    path("cases/<str:number>/", board.case, name="case"),
    path("cases/<str:number>/share.jpg", board.share_image, name="share_image"),
    path("photos/<photo_token:token>/<str:variant>", board.photo, name="photo"),
    path("circulars/", board.circulars, name="circulars"),
    path("circulars/<int:pk>/", board.circular, name="circular"),
    path(
        "circulars/<int:pk>/photos/<photo_token:token>/<str:variant>",
        board.circular_photo,
        name="circular_photo",
    ),
    # residents' reports and tracking, no login (views/report.py)
    path("report/", report.report, name="report"),
    path("report/challenge.json", report.challenge, name="challenge"),
    path("track/", report.track, name="track"),
    path("track/<str:code>/", report.track_case, name="track_case"),
    # the office's publishing desk, login (views/manage.py)
    path("manage/", manage.manage, name="manage"),
    path("manage/cases/<str:number>/", manage.publication, name="manage_case"),
    path("manage/cases/<str:number>/publish/", manage.publish, name="publish"),
    path("manage/cases/<str:number>/unpublish/", manage.unpublish, name="unpublish"),
    path("manage/cases/<str:number>/photo/", manage.photo_edit, name="photo_edit"),
    path("manage/source/<photo_token:token>", manage.source_photo, name="source_photo"),
    path("manage/preview/<photo_token:token>/<str:variant>", manage.preview, name="preview"),
]
