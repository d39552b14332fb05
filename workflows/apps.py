from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from audit import hooks
        from workflows import lifecycle, wording

        lifecycle.register()
        # The inspector's ledger search reads the events in words (audit imports no app).
        hooks.register(
            describe=wording.describe,
            action_choices=wording.action_choices,
            organization_choices=wording.organization_choices,
        )
