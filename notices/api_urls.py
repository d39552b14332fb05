"""/api/v1/ routes of the notices (included from config/urls.py before api.urls)."""

from django.urls import path

from notices import api

urlpatterns = [
    path("public/notices/", api.PublicNoticeList.as_view(), name="api-public-notices"),
    path(
        "public/notices/<int:nominee_id>/comments/",
        api.PublicCommentCreate.as_view(),
        name="api-public-comments",
    ),
    path("dossiers/<int:pk>/comments/", api.DossierComments.as_view(), name="api-dossier-comments"),
    path("comments/<int:pk>/handle/", api.CommentHandle.as_view(), name="api-comment-handle"),
]
