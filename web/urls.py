from django.urls import path

from web import views

app_name = "workflows"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("dossiers/", views.dossier_list, name="dossiers"),
    path("dossiers/new/", views.dossier_create, name="dossier_create"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/upload/", views.dossier_upload, name="dossier_upload"),
    path(
        "dossiers/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("dossiers/<int:pk>/actions/<slug:action>/", views.dossier_action, name="dossier_action"),
    path(
        "dossiers/<int:pk>/comments/<int:comment_id>/handle/",
        views.comment_handle,
        name="comment_handle",
    ),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("ballots/new/", views.ballot_open, name="ballot_open"),
    path("ballots/<int:pk>/", views.ballot_detail, name="ballot"),
    path("flow.svg", views.flow_chart, name="flow_chart"),
]
