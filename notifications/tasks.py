"""Notifications on Celery (config/celery.py): the outbox's delivery and the clock's reminders.

    deliver_event(seq)       sent once the action's transaction has committed (consumer.py)
    drain_outbox()           the beat's scan, every 30 s: whatever the broker lost or never got
    notify_overdue()         hourly: overdue work, once per dossier and day (reminders.py)
    remind_closing_ballots() every 15 min: voters of ballots closing within 24 h, once

Each is idempotent: an outbox row is taken under a row lock (skipped if another worker holds
it) and marked delivered in the same transaction as its notifications, which are keyed per
recipient besides (services.notification_send)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications import consumer, reminders
from notifications.models import OutboxMessage

logger = logging.getLogger("notifications.tasks")
# A message whose delivery failed this many times is left for an administrator (the outbox's
# admin lists it with its last error); the scan stops retrying it.
OUTBOX_MAX_ATTEMPTS = 10
DRAIN_BATCH = 500


def outbox_deliver(seq: int) -> bool:
    """Deliver the outbox message of ledger event `seq` if it is still pending and no other
    worker holds it; whether it was delivered now. A failure is counted on the row and raised."""
    error: Exception | None = None
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(event_id=seq, delivered_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.attempts += 1
        try:
            with transaction.atomic():
                consumer.deliver(seq)
        except Exception as exc:
            error = exc
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["attempts", "last_error"])
        else:
            row.delivered_at = timezone.now()
            row.save(update_fields=["attempts", "delivered_at"])
    if error is not None:
        raise error
    return True


def outbox_drain(limit: int = DRAIN_BATCH) -> tuple[int, int]:
    """Deliver up to `limit` pending messages, oldest first; (delivered, failed)."""
    pending = (
        OutboxMessage.objects.filter(delivered_at__isnull=True, attempts__lt=OUTBOX_MAX_ATTEMPTS)
        .order_by("id")
        .values_list("event_id", flat=True)[:limit]
    )
    delivered = failed = 0
    for seq in list(pending):
        try:
            delivered += outbox_deliver(seq)
        except Exception:
            logger.exception("outbox: event %s not delivered", seq)
            failed += 1
    return delivered, failed


@shared_task(name="notifications.deliver_event")
def deliver_event(seq: int) -> bool:
    return outbox_deliver(seq)


@shared_task(name="notifications.drain_outbox", max_retries=2)
def drain_outbox(limit: int = DRAIN_BATCH) -> int:
    delivered, failed = outbox_drain(limit)
    if delivered:
        logger.info("outbox: %d message(s) delivered", delivered)
    if failed:
        raise RuntimeError(f"outbox: {failed} message(s) failed (see their last_error)")
    return delivered


@shared_task(name="notifications.notify_overdue")
def notify_overdue() -> int:
    return len(reminders.overdue_notify())


@shared_task(name="notifications.remind_closing_ballots")
def remind_closing_ballots() -> int:
    return len(reminders.ballot_closing_notify())
