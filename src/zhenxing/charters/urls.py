from django.urls import path

from zhenxing.charters.views import charters

app_name = "charters"
urlpatterns = [
    path("", charters.charter_list, name="list"),
    path("new/", charters.charter_create, name="create"),
    path("<int:pk>/", charters.charter_detail, name="detail"),
    path("versions/<int:pk>/", charters.version_detail, name="version"),
    path("versions/<int:pk>/edit/", charters.version_edit, name="version_edit"),
    path("versions/<int:pk>/topics/", charters.version_topics, name="version_topics"),
    path("versions/<int:pk>/publish/", charters.version_publish, name="version_publish"),
    path("versions/<int:pk>/withdraw/", charters.version_withdraw, name="version_withdraw"),
    path("versions/<int:pk>/comments/", charters.comment_list, name="comments"),
    path("comments/<int:pk>/reply/", charters.comment_reply, name="comment_reply"),
    path("versions/<int:pk>/new-version/", charters.version_new, name="version_new"),
    path("versions/<int:pk>/diff/", charters.version_diff, name="version_diff"),
    path("versions/<int:pk>/file/", charters.version_file, name="version_file"),
    path("versions/<int:pk>/charter.docx", charters.version_docx, name="version_docx"),
]
