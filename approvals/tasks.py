"""The ballots' clock on Celery beat (config/settings/base.py `CELERY_BEAT_SCHEDULE`): every
open ballot past its deadline is closed. Derived from the database at each run, so a run missed
(a worker or a broker down) is made up by the next; a ballot another worker closed meanwhile is
skipped, so running it twice closes each ballot once."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from approvals.ballots import ballot_close
from approvals.models import BallotSession, BallotState
from dossiers.errors import Conflict

logger = logging.getLogger("approvals.tasks")
ALREADY_DONE = {"ballot_closed", "not_due"}


def close_due() -> list[int]:
    """Close each due ballot in its own transaction; one that fails does not stop the others
    (their error is raised at the end, so the task is retried)."""
    due = BallotSession.objects.filter(state=BallotState.OPEN, deadline__lt=timezone.now())
    closed: list[int] = []
    failed: list[tuple[int, Exception]] = []
    for pk in due.order_by("deadline", "pk").values_list("pk", flat=True):
        try:
            ballot_close(actor=None, session=pk)
        except Conflict as exc:
            if exc.code not in ALREADY_DONE:
                failed.append((pk, exc))
            continue
        except Exception as exc:
            logger.exception("ballot %s could not be closed", pk)
            failed.append((pk, exc))
            continue
        closed.append(pk)
    if failed:
        raise RuntimeError(f"ballots not closed: {[pk for pk, _exc in failed]}") from failed[0][1]
    return closed


@shared_task(name="approvals.close_due_ballots")
def close_due_ballots() -> list[int]:
    closed = close_due()
    if closed:
        logger.info("closed %d ballot session(s): %s", len(closed), closed)
    return closed
