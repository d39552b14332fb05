"""A consultation (hiệp y): the board of the level holding a dossier asks a body's opinion and
waits for its answer until a due date (working days)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.history import History
from dossiers.models import Attachment, Dossier, Organization


class Consultation(models.Model):
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="consultations"
    )
    body = models.ForeignKey(
        Organization, verbose_name=_("consulted body"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"))
    due_date = models.DateField(_("answer due"))
    # The form's rule when the request was made (consultation.json may change later).
    silence_is_agreement = models.BooleanField(_("silence counts as agreement"), default=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    agree = models.BooleanField(_("agrees"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The body's reply letter (văn bản hiệp y), stored as one of the dossier's documents.
    document = models.ForeignKey(
        Attachment,
        verbose_name=_("reply document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The last day a reminder was sent for this request: at most one a day.
    reminded_on = models.DateField(_("last reminded"), null=True, blank=True)
    history = History()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["dossier", "id"]
        constraints = [
            # One open request per body and dossier; a body may be asked again once it answered.
            models.UniqueConstraint(
                fields=["dossier", "body"],
                condition=Q(answered_at__isnull=True),
                name="consultation_one_open_per_body",
            )
        ]
        indexes = [models.Index(fields=["due_date"], condition=Q(answered_at__isnull=True),
                                name="consultation_open_due")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.body_id}"
