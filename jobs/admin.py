from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import FailedTask, Job


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ["failed_at", "name", "exception", "retries", "resent_at"]
    list_filter = ["name"]
    search_fields = ["name", "task_id", "exception"]
    readonly_fields = [f.name for f in FailedTask._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected tasks again"))
    def resend(self, request, queryset):
        from celery import current_app

        sent = 0
        for row in queryset:
            # Through the task itself, so that an eager set-up (no broker) runs it here.
            current_app.tasks[row.name].apply_async(args=row.args, kwargs=row.kwargs)
            row.resent_at = timezone.now()
            row.save(update_fields=["resent_at"])
            sent += 1
        self.message_user(request, _("%(n)d task(s) sent again.") % {"n": sent}, messages.INFO)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Users' imports and exports on the worker, read only: their status, attempts and error."""

    list_display = ["created_at", "kind", "owner", "status", "attempts", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["owner__username", "input_name", "error"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
