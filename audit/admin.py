from django.contrib import admin

from audit.models import LedgerEvent


@admin.register(LedgerEvent)
class LedgerEventAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the ledger (the database refuses it anyway)."""

    list_display = ["seq", "at", "actor_name", "action", "object_type", "object_id", "to_state"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_id", "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
