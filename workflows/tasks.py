"""The registry's large history imports on the worker (workflows/registry_access.py
`history_import_queue`): `registry_import(job_id)` imports the stored file as its uploader.

Idempotent: the job is marked done in the import's transaction (jobs/services.py `job_run`), so
a second run imports nothing; a row the registry already holds is a duplicate besides."""

from __future__ import annotations

from celery import shared_task

from jobs.services import job_run
from jobs.tasks import JobTask
from workflows import registry_access


@shared_task(name="workflows.registry_import", base=JobTask)
def registry_import(job_id: int) -> str:
    """The job's status once run ("done", "failed"; "missing" for a job deleted since)."""
    job = job_run(job_id, registry_access.history_import_work)
    return job.status if job is not None else "missing"
