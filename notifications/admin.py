from django.contrib import admin

from notifications.models import Notification, NotificationPreference, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "title"]
    raw_id_fields = ["recipient", "dossier", "event"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled"]
    raw_id_fields = ["user"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Pending messages wait for the worker (or the beat's scan); one that keeps failing shows
    its last error here."""

    list_display = ["id", "event", "created_at", "delivered_at", "attempts", "last_error"]
    list_filter = [("delivered_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["event"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
