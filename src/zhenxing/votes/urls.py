from django.urls import path

from zhenxing.votes.views import ballots, rolls, sessions

app_name = "votes"
urlpatterns = [
    # bodies, rules, sessions, motions, results (views/sessions.py)
    path("", sessions.session_list, name="sessions"),
    path("bodies/", sessions.body_list, name="bodies"),
    path("bodies/new/", sessions.body_create, name="body_create"),
    path("bodies/<int:pk>/", sessions.body_detail, name="body"),
    path("bodies/<int:pk>/rules/new/", sessions.rule_add, name="rule_add"),
    path("rules/<int:pk>/edit/", sessions.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", sessions.rule_delete, name="rule_delete"),
    path("new/", sessions.session_create, name="session_create"),
    path("<int:pk>/", sessions.session_detail, name="session"),
    path("<int:pk>/edit/", sessions.session_edit, name="session_edit"),
    path("<int:pk>/motions/new/", sessions.motion_create, name="motion_create"),
    path("motions/<int:pk>/edit/", sessions.motion_edit, name="motion_edit"),
    path("<int:pk>/open/", sessions.session_open_view, name="session_open"),
    path("<int:pk>/close/", sessions.session_close_view, name="session_close"),
    path("<int:pk>/result/", sessions.session_result, name="result"),
    path("<int:pk>/notice.docx", sessions.notice_docx, name="notice_docx"),
    path("<int:pk>/notice.pdf", sessions.notice_pdf, name="notice_pdf"),
    # the roll, attendance and proxies (views/rolls.py)
    path("<int:pk>/roll/", rolls.roll, name="roll"),
    path("<int:pk>/roll/import/", rolls.roll_import, name="roll_import"),
    path("<int:pk>/roll/template.xlsx", rolls.roll_template, name="roll_template"),
    path("<int:pk>/roll/export.xlsx", rolls.roll_export, name="roll_export"),
    path("<int:pk>/attendance/", rolls.attendance, name="attendance"),
    path("<int:pk>/proxies/", rolls.proxies, name="proxies"),
    # ballots: paper entry and confirmation, one-time codes, the chain (views/ballots.py)
    path("<int:pk>/paper/", ballots.paper_entry, name="paper"),
    path("<int:pk>/paper/confirm/", ballots.paper_confirm, name="paper_confirm"),
    path("<int:pk>/codes/", ballots.codes, name="codes"),
    path("<int:pk>/codes/slips.pdf", ballots.code_slips, name="code_slips"),
    path("<int:pk>/chain.json", ballots.chain_json, name="chain_json"),
]
