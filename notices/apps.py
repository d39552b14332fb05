from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notices"
    verbose_name = _("Public notices")

    def ready(self) -> None:
        from notices import services
        from workflows import guards

        # Closing the public notice waits for every comment of the dossier to be handled.
        guards.register("close_notice", "comments", services.comments_handled_guard)
