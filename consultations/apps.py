from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from consultations import services
        from workflows import guards

        # The board forwards a dossier only once its consultations are complete and agreed.
        guards.register("forward", "consultation", services.forward_guard)
