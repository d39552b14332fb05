from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from approvals.services import decision_signed
        from documents import services

        # The decision's signed PDF is produced in the signature's own transaction.
        decision_signed.connect(services.on_decision_signed, dispatch_uid="documents.produce")
