"""The public page (included from config/urls.py inside the language-prefixed patterns)."""

from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("", views.public_notices, name="public"),
]
