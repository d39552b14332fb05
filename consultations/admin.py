from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from consultations.models import Consultation


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    """Read in the admin; requests and answers are made through the services (API)."""

    list_display = ["id", "dossier", "body", "due_date", "answered_at", "agree"]
    list_filter = ["body", "agree"]
    raw_id_fields = ["dossier"]
    readonly_fields = [f.name for f in Consultation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
