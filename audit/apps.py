from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit ledger")

    def ready(self) -> None:
        from audit import history, pgarrays, triggers

        history.connect()
        pgarrays.register()
        post_migrate.connect(triggers.install, dispatch_uid="audit.triggers")
