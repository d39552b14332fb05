from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from dossiers.access import forget_cached_ids

        post_migrate.connect(forget_cached_ids, dispatch_uid="dossiers.access.ids")
