"""Consultation reminders on Celery beat (hourly): one `consultation.reminded` ledger event per
open request due within two working days, at most once per request and day (the service checks
`reminded_on`), so any number of runs a day records each reminder once."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task

from consultations.services import consultation_remind, due_soon
from dossiers import calendar

log = logging.getLogger("consultations")


def remind_due_soon(within: int = 2, today: datetime.date | None = None) -> tuple[int, int]:
    """Log a line per request due soon and record its reminder; (requests due, recorded now)."""
    today = today or calendar.today()
    count = recorded = 0
    for row in due_soon(within=within, today=today):
        count += 1
        now = consultation_remind(consultation=row.pk, today=today)
        recorded += now
        log.warning(
            "consultation %s: %s is asked about dossier %s, answer due %s%s",
            row.pk,
            row.body.code,
            row.dossier.reference,
            row.due_date.isoformat(),
            "" if now else " (already reminded today)",
        )
    return count, recorded


@shared_task(name="consultations.remind_due")
def remind_due(within: int = 2) -> int:
    _count, recorded = remind_due_soon(within=within)
    return recorded
