from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from audit import hooks
        from notifications import consumer

        # The ledger's events: an outbox row written with each that someone must be told of,
        # delivered after their transaction commits (consumer.py).
        hooks.register(companion=consumer.outbox)
