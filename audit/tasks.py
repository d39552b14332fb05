"""The signed ledger export of a long ledger, written on the worker (audit/export.py
`export_queue`): `ledger_export(job_id)` stores the JSON Lines file on the job.

Idempotent: the job is marked done with its file in one transaction (jobs/services.py
`job_run`), so a second run writes nothing."""

from __future__ import annotations

from celery import shared_task

from audit import export
from jobs.services import job_run
from jobs.tasks import JobTask


@shared_task(name="audit.ledger_export", base=JobTask)
def ledger_export(job_id: int) -> str:
    """The job's status once run ("done", "failed"; "missing" for a job deleted since)."""
    job = job_run(job_id, export.export_work)
    return job.status if job is not None else "missing"
