from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.jsonl", views.export, name="export"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("verify/", views.status, name="verify"),
]
