"""Comments the public sends on a nominee during the public notice (domain.md §2.5), and how
the board of the level holding the dossier handled them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.history import History
from dossiers.models import Dossier, Nominee

TEXT_MAX = 2000
CONTACT_MAX = 200
NOTE_MAX = 2000


class Comment(models.Model):
    """One comment from the public. The sender's address is never stored, only a salted hash
    of it (enough to see a flood from one address, not to know who sent it)."""

    nominee = models.ForeignKey(
        Nominee, verbose_name=_("nominee"), on_delete=models.PROTECT, related_name="comments"
    )
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="comments"
    )
    text = models.TextField(_("comment"))
    contact = models.CharField(_("contact"), max_length=CONTACT_MAX, blank=True)
    client_hash = models.CharField(_("sender (salted hash)"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("how it was handled"), blank=True)
    history = History()

    class Meta:
        verbose_name = _("public comment")
        verbose_name_plural = _("public comments")
        ordering = ["id"]
        indexes = [models.Index(fields=["dossier", "handled_at"])]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.nominee_id} #{self.pk}"

    @property
    def handled(self) -> bool:
        return self.handled_at is not None
