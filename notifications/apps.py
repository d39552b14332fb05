from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from audit.models import LedgerEvent
        from notifications import consumer

        # The ledger's events, heard after their transaction commits (consumer.py).
        post_save.connect(
            consumer.on_ledger_event, sender=LedgerEvent, dispatch_uid="notifications.ledger"
        )
