from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from approvals import ballots, policy, services
        from workflows import guards
        from workflows.services import dossier_held, dossier_withdrawn

        policy.register()  # ballots and decisions join the one policy (workflows/policy.py)
        # A dossier whose nominees are on an open ballot is not returned (hold them instead).
        guards.register("return", "open_ballot", ballots.return_guard)
        for signal in (dossier_withdrawn, dossier_held):
            signal.connect(services.decision_drop_dossier, dispatch_uid="approvals.drop_dossier")
