"""The viewflow process of one dossier: routing data only; the dossier holds the state."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from dossiers.models import Dossier


class DossierProcess(Process):
    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="process"
    )

    class Meta:
        verbose_name = _("dossier process")
        verbose_name_plural = _("dossier processes")
