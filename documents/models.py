"""The documents a signed decision produces: its signed PDF, stored with its digest."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.models import Decision
from audit.history import History


def document_path(instance: "DecisionDocument", filename: str) -> str:
    return f"decisions/{instance.decision_id}/{filename}"


class DecisionDocument(models.Model):
    """The decision's PDF as signed (PAdES: the decider, then the issuing body), produced once
    when the decision is signed and never rewritten; `sha256` is the digest of the stored
    bytes, checked each time the file is served."""

    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, related_name="document", verbose_name=_("decision")
    )
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    signed = models.BooleanField(
        _("digitally signed"),
        default=False,
        help_text=_(
            "False when the decider had no signing certificate when the decision was signed."
        ),
    )
    signatures = models.JSONField(_("signatures"), default=list, blank=True)
    created_at = models.DateTimeField(_("produced"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = History()

    class Meta:
        verbose_name = _("decision document")
        verbose_name_plural = _("decision documents")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.decision} ({self.sha256[:12]})"


def certificates_path(instance: "CertificateBatch", filename: str) -> str:
    return f"decisions/{instance.decision_id}/{filename}"


class CertificateBatch(models.Model):
    """Every awardee's certificate of a large decision (more awardees than
    `CERTIFICATES_INLINE_MAX`), one landscape page each, rendered once by a background task
    (documents/tasks.py) and served from the stored file; `content_key` is the digest of what it
    was rendered from (a second run for the same content does nothing), `sha256` the digest of
    the stored bytes, checked each time the file is served."""

    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("decision")
    )
    file = models.FileField(_("file"), upload_to=certificates_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    pages = models.PositiveIntegerField(_("pages"))
    content_key = models.CharField(_("content digest"), max_length=64)
    created_at = models.DateTimeField(_("produced"), auto_now=True)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.decision} ({self.pages}, {self.sha256[:12]})"
