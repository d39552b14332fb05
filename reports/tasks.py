"""Long dossier lists written to Excel on the worker (reports/exports.py
`dossier_list_queue`): `dossier_list_export(job_id)` stores the workbook on the job.

Idempotent: the job is marked done with its file in one transaction (jobs/services.py
`job_run`), so a second run writes nothing."""

from __future__ import annotations

from celery import shared_task

from jobs.services import job_run
from jobs.tasks import JobTask
from reports import exports


@shared_task(name="reports.dossier_list_export", base=JobTask)
def dossier_list_export(job_id: int) -> str:
    """The job's status once run ("done", "failed"; "missing" for a job deleted since)."""
    job = job_run(job_id, exports.dossier_list_work)
    return job.status if job is not None else "missing"
