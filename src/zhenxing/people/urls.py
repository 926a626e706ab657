from django.urls import path

from zhenxing.people import views, views_tokens

app_name = "people"
urlpatterns = [
    path("members/", views.member_list, name="members"),
    path("members/export.xlsx", views.member_export, name="member_export"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/import/", views.member_import, name="member_import"),
    path(
        "members/import/template.xlsx",
        views.member_import_template,
        name="member_import_template",
    ),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("organizations/", views.organization_list, name="organizations"),
    path("teams/", views.team_list, name="teams"),
    path("departments/", views.department_list, name="departments"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/roles/assign/", views.role_assign_view, name="role_assign"),
    path("users/roles/<int:pk>/revoke/", views.role_revoke_view, name="role_revoke"),
    path("tokens/", views_tokens.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views_tokens.token_revoke_view, name="token_revoke"),
]
