"""Decisions (quyết định khen thưởng): one signed decision lists many dossiers' nominees."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dossiers.models import Decider, Dossier


class DecisionState(models.TextChoices):
    DRAFT = "draft", _("Draft submission")
    PROPOSED = "proposed", _("Proposed to the President")
    SIGNED = "signed", _("Signed")


class Decision(models.Model):
    """A batch: the board head gathers dossiers awaiting decision; the decider signs it."""

    decider = models.CharField(_("decider"), max_length=16, choices=Decider.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=DecisionState.choices, default=DecisionState.DRAFT
    )
    number = models.CharField(_("decision number"), max_length=40, null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    proposal_number = models.CharField(_("PM proposal number"), max_length=40, blank=True)
    dossiers = models.ManyToManyField(Dossier, through="DecisionEntry", related_name="decisions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decider", "year", "number"], name="uniq_decision_number_per_issuer_year"
            )
        ]
        indexes = [models.Index(fields=["decider", "state"])]

    def __str__(self) -> str:
        return self.number or f"#{self.pk} ({self.get_state_display()})"


class DecisionEntry(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="entries")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="decision_entries")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision entry")
        verbose_name_plural = _("decision entries")
        constraints = [
            models.UniqueConstraint(fields=["decision", "dossier"], name="uniq_decision_dossier")
        ]
