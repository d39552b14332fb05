"""What the app tells a user: one row per user and happening, written after the work that caused
it was committed (notifications/consumer.py), shown behind the header's bell and, where the
user wants it, sent by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import LedgerEvent
from dossiers.models import Dossier


class NotificationKind(models.TextChoices):
    RETURNED = "returned", _("Dossier returned")
    BALLOT_OPENED = "ballot_opened", _("Ballot opened")
    BALLOT_CLOSING = "ballot_closing", _("Ballot closing soon")
    BALLOT_CLOSED = "ballot_closed", _("Ballot closed")
    CONSULTATION_REQUESTED = "consultation_requested", _("Consultation requested")
    ASSIGNED = "assigned", _("Dossier assigned")
    AWAITING_SIGNATURE = "awaiting_signature", _("Batch awaiting signature")
    DECISION_SIGNED = "decision_signed", _("Decision signed")
    OVERDUE = "overdue", _("Overdue work")
    COMMENT_RECEIVED = "comment_received", _("Public comment received")
    CONSULTATION_REMINDER = "consultation_reminder", _("Consultation answer due soon")


class Notification(models.Model):
    """One thing one user should know. The text is rendered when the row is written, in the
    site's language, so the list reads the same whatever changes later."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=255)
    message = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The ledger event it tells of (none for the clock's reminders). Not a database constraint:
    # the ledger is append-only and lives below this app.
    event = models.ForeignKey(
        LedgerEvent,
        verbose_name=_("ledger event"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # What makes it the same notification again (per recipient): an event and its subject, or a
    # reminder and its day, so that a replay or a second run of the clock adds nothing.
    key = models.CharField(_("key"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="uniq_notification_key")
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.kind}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's choice of channels; without a row, the defaults apply (e-mail on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField(_("send notifications by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {'e-mail' if self.email_enabled else '-'}"


class OutboxMessage(models.Model):
    """A ledger event whose notifications are still to be written: the row is written in the
    action's own transaction (consumer.py), so it exists exactly when the action committed, and
    it stays until a task has delivered it (tasks.py: sent after the commit, and found again by
    the beat's scan if the broker lost the message or was down)."""

    event = models.OneToOneField(
        LedgerEvent,
        verbose_name=_("ledger event"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="outbox_pending",
                condition=models.Q(delivered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id}: {'delivered' if self.delivered_at else 'pending'}"
