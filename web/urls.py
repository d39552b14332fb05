from django.urls import path

from web import (
    ballots,
    consultations,
    decisions,
    documents,
    eligibility,
    home,
    lists,
    proposer,
    reports,
    views,
)

app_name = "workflows"
urlpatterns = [
    path("", home.inbox, name="inbox"),
    path("dossiers/", lists.dossier_list, name="dossiers"),
    path("dossiers/new/", proposer.dossier_create, name="dossier_create"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/upload/", views.dossier_upload, name="dossier_upload"),
    path(
        "dossiers/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("dossiers/<int:pk>/actions/<slug:action>/", views.dossier_action, name="dossier_action"),
    path(
        "dossiers/<int:pk>/nominees/<int:nominee>/<slug:action>/",
        views.nominee_action,
        name="nominee_action",
    ),
    path(
        "dossiers/<int:pk>/comments/<int:comment_id>/handle/",
        views.comment_handle,
        name="comment_handle",
    ),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("ballots/new/", ballots.ballot_open, name="ballot_open"),
    path("ballots/<int:pk>/", ballots.ballot_detail, name="ballot"),
    path("flow.svg", views.flow_chart, name="flow_chart"),
]
urlpatterns += eligibility.urlpatterns  # checks' overrides, registry people, restrictions
urlpatterns += decisions.urlpatterns  # building a decision batch (tờ trình)
urlpatterns += ballots.urlpatterns  # closing a ballot, after a confirmation
urlpatterns += proposer.urlpatterns  # the unit's edit, documents, submit, withdraw
urlpatterns += consultations.urlpatterns  # a consulted body's request and its answer
urlpatterns += documents.urlpatterns  # the decision's PDF, certificates, public decisions
urlpatterns += reports.urlpatterns  # the dashboard, the dossier list as Excel
