from django.urls import path

import zhenxing.cases.urls  # noqa: F401  (registers the photo_token converter)
from zhenxing.posts.views import figures, grid, patrols, posts, signs

app_name = "posts"
urlpatterns = [
    # posts and claims (views/posts.py)
    path("", posts.post_list, name="list"),
    path("export.xlsx", posts.post_export, name="export"),
    path("new/", posts.post_create_view, name="create"),
    path("import/", posts.post_import, name="import"),
    path("import/template.xlsx", posts.post_import_template, name="import_template"),
    path("<int:pk>/", posts.post_detail, name="detail"),
    path("<int:pk>/edit/", posts.post_edit, name="edit"),
    path("<int:pk>/retire/", posts.post_retire_view, name="retire"),
    path("<int:pk>/claims/new/", posts.claim_add, name="claim_add"),
    path("claims/<int:pk>/end/", posts.claim_end_view, name="claim_end"),
    # signs (views/signs.py)
    path("<int:pk>/sign.pdf", signs.sign, name="sign"),
    path("signs.pdf", signs.signs, name="signs"),
    # patrols (views/patrols.py)
    path("mine/", patrols.mine, name="mine"),
    path("<int:pk>/patrol/", patrols.patrol_new, name="patrol_new"),
    path("patrols/", patrols.patrol_list, name="patrols"),
    path("patrols/export.xlsx", patrols.patrol_export, name="patrol_export"),
    path("patrols/<int:pk>/", patrols.patrol_detail, name="patrol_detail"),
    path("patrols/photos/<photo_token:token>/<str:variant>", patrols.photo, name="patrol_photo"),
    # figures (views/figures.py)
    path("figures/", figures.figures, name="figures"),
    path("figures/export.xlsx", figures.figures_export, name="figures_export"),
    # the red grid (views/grid.py)
    path("grid/", grid.grid_list, name="grid"),
    path("grid/new/", grid.grid_assign_view, name="grid_assign"),
    path("grid/<int:pk>/end/", grid.grid_end_view, name="grid_end"),
]
