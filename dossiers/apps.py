from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from audit import hooks
        from dossiers import ledger_checks, permissions
        from dossiers.access import forget_cached_ids

        post_migrate.connect(forget_cached_ids, dispatch_uid="dossiers.access.ids")
        # The ledger records each actor's roles, lets inspectors read it, and checks the live
        # dossiers against their last events, through these (audit imports no app).
        hooks.register(
            roles_of=permissions.user_roles,
            is_inspector=permissions.is_inspector,
            live_check=ledger_checks.live_state,
        )
