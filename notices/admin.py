from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notices.models import Comment


@admin.register(Comment)
class CommentAdmin(SimpleHistoryAdmin):
    """Read-only: comments are posted by the public and handled by the board (its API)."""

    list_display = ["id", "dossier", "nominee", "created_at", "handled_at", "handled_by"]
    list_filter = ["handled_at"]
    raw_id_fields = ["dossier", "nominee", "handled_by"]
    readonly_fields = [
        "nominee",
        "dossier",
        "text",
        "contact",
        "client_hash",
        "created_at",
        "handled_at",
        "handled_by",
        "note",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
