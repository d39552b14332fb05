"""The certificates of a large decision on the worker (config/celery.py, the retrying base of
jobs/tasks.py):

    produce_certificates(decision_id, actor_id)  sent once a signature has committed (for a
                                                 decision above `CERTIFICATES_INLINE_MAX`) and
                                                 when someone asks for them before they exist
    queue_pending_certificates()                 the beat's scan, every 10 min: a message the
                                                 broker lost

Idempotent: a batch already stored for the same content is left as it is
(services.certificates_produce), so running it twice stores one file and records one event."""

from __future__ import annotations

import logging

from celery import shared_task

from documents import services

logger = logging.getLogger("documents.tasks")


@shared_task(name="documents.produce_certificates")
def produce_certificates(decision_id: int, actor_id: int | None = None) -> bool:
    """Whether the batch was produced now (False: already there, or nothing to print)."""
    batch, made = services.certificates_produce(decision_id=decision_id, actor_id=actor_id)
    if made and batch is not None:
        logger.info("certificates of decision %s: %d pages", decision_id, batch.pages)
    return made


@shared_task(name="documents.queue_pending_certificates")
def queue_pending_certificates() -> list[int]:
    pending = services.certificates_pending()
    for pk in pending:
        services.certificates_enqueue(pk)
    return pending
