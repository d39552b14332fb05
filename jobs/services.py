"""Jobs: work a user asked for that runs on the worker (jobs/models.py `Job`).

    job_create   the request's side: the job row and its uploaded file in the shared media
                 storage, its task sent once the transaction commits
    job_run      the worker's side: the work and the job marked done in one transaction, so a
                 task run twice (a message delivered again, a retry) does the work once
    job_fail     a task whose retries are spent (jobs/tasks.py `JobTask`)
    job_requeue  the beat's scan: jobs whose message the broker lost
    job_purge    the beat's clean-up: finished jobs' files after JOBS_KEEP_DAYS

The apps that own the work define the task (workflows/tasks.py, reports/tasks.py,
audit/tasks.py): each calls `job_run` with a function doing the work. This layer knows no app:
a refusal the work's own rules make (a file that is not a sheet) is handed back as `Refused`
and kept as the job's answer; any other exception is retried."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from jobs.models import Job, JobStatus

logger = logging.getLogger("jobs")

JOB_FAILED = _(
    "The job could not be completed; administrators have been told. Please try again later."
)


class Refused(Exception):
    """The work's own rules refuse it (a bad file, a user who may no longer do it): kept as the
    job's answer, with the status and code the request would have answered. Not retried."""

    def __init__(self, detail: str, *, code: str, status: int = 400) -> None:
        super().__init__(detail)
        self.detail, self.code, self.status = detail, code, status


@dataclass
class Outcome:
    """What a job's work gives: a JSON `result`, a `file` to download, or both."""

    result: dict[str, Any] | None = None
    file: File[bytes] | None = None
    filename: str = ""
    content_type: str = ""


Work = Callable[[Job], Outcome]


def job_create(
    *,
    kind: str,
    task: str,
    owner: User,
    params: dict[str, Any] | None = None,
    data: bytes | None = None,
    name: str = "",
) -> Job:
    """A queued job for `owner`, with the uploaded `data` stored in the shared media storage
    (every app process and worker reads the same files); its task is sent once the
    transaction commits (in place without a broker). The owner's language is kept for the
    messages the work writes."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            task=task,
            owner=owner,
            params=params or {},
            language=translation.get_language() or "",
            input_name=(name or "")[:255],
        )
        if data is not None:
            job.input.save("input", ContentFile(data), save=False)
            job.save(update_fields=["input"])
        transaction.on_commit(partial(job_enqueue, job.pk), robust=True)
    return job


def job_enqueue(job_id: int) -> None:
    """Send the job's task (through the task itself, so that an eager set-up runs it here). A
    broker that cannot be reached is only logged: the beat's scan sends it again."""
    from celery import current_app

    job = Job.objects.filter(pk=job_id).only("task").first()
    if job is None:
        return
    try:
        if job.task not in current_app.tasks:  # an app process imports the tasks' modules lazily
            current_app.loader.import_default_modules()
        current_app.tasks[job.task].apply_async(args=[job_id])
    except Exception as exc:  # the broker's trouble is not the request's
        logger.warning("job %s (%s) not queued: %s", job_id, job.task, exc)


def _locked(job_id: int) -> Job | None:
    return Job.objects.select_for_update().filter(pk=job_id).first()


def job_run(job_id: int, work: Work) -> Job | None:
    """Do the job's `work` once: marked running (visible to those who poll it), then, under
    the job's row lock, the work and the job marked done (its result, its file) in one
    transaction. A job already done is left as it is (a second delivery, a second worker: the
    second waits for the lock, then finds it done); a `Refused` is kept as the job's answer;
    any other exception leaves the job to the task's retries. None: no such job."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status == JobStatus.DONE:
            return job
        job.status, job.started_at = JobStatus.RUNNING, timezone.now()
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status == JobStatus.DONE:
            return job
        with translation.override(job.language or settings.LANGUAGE_CODE):
            try:
                with transaction.atomic():
                    outcome = work(job)
            except Refused as refusal:
                job.status = JobStatus.FAILED
                job.error_status, job.error_code = refusal.status, refusal.code
                job.error = refusal.detail
            else:
                job.status, job.result = JobStatus.DONE, outcome.result
                job.error_status, job.error_code, job.error = None, "", ""
                if outcome.file is not None:
                    try:
                        job.output.save(outcome.filename or "output", outcome.file, save=False)
                    finally:
                        outcome.file.close()
                    job.output_name = outcome.filename
                    job.content_type = outcome.content_type
                if job.input:  # an uploaded file is kept only until the work is done
                    transaction.on_commit(partial(job.input.storage.delete, job.input.name))
                    job.input = ""
        job.finished_at = timezone.now()
        job.save()
    return job


def job_fail(job_id: int, *, reason: str = "") -> None:
    """A job whose task failed for good: its answer says so (the FailedTask row keeps the
    exception for administrators, who may send it again)."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status == JobStatus.DONE:
            return
        job.status, job.finished_at = JobStatus.FAILED, timezone.now()
        job.error_status, job.error_code = 409, "job_failed"
        with translation.override(job.language or settings.LANGUAGE_CODE):
            job.error = str(JOB_FAILED)
        job.save(update_fields=["status", "finished_at", "error_status", "error_code", "error"])
    logger.error("job %s failed for good: %s", job_id, reason)


def job_get_for_user(*, user: User, pk: int, kind: str, reads_all: bool = False) -> Job:
    """The job of this kind, for the user who asked for it or a reader of all jobs
    (`reads_all`, decided by the caller: inspectors, staff); 404 for anyone else."""
    jobs = Job.objects.filter(pk=pk, kind=kind)
    job = jobs.first() if reads_all else jobs.filter(owner_id=user.pk).first()
    if job is None:
        raise Http404
    return job


def retry_after() -> int:
    """Seconds a client waits before asking again about a job being processed."""
    return int(getattr(settings, "JOBS_RETRY_AFTER", 10))


def job_requeue(*, older_than: int = 300) -> list[int]:
    """Queued jobs still waiting after `older_than` seconds (a message the broker lost, a Redis
    that restarted empty): their tasks sent again; running ones are the task's retries'."""
    since = timezone.now() - datetime.timedelta(seconds=older_than)
    waiting = list(
        Job.objects.filter(status=JobStatus.QUEUED, created_at__lt=since)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in waiting:
        job_enqueue(pk)
    return waiting


def job_purge(*, days: int | None = None) -> int:
    """Finished jobs older than `days` (JOBS_KEEP_DAYS): their files deleted (exports and
    uploads hold personal data) and their rows with them; how many."""
    keep = days if days is not None else int(getattr(settings, "JOBS_KEEP_DAYS", 7))
    old = Job.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED],
        finished_at__lt=timezone.now() - datetime.timedelta(days=keep),
    )
    count = 0
    for job in old.iterator():
        for file in (job.input, job.output):
            if file:
                file.storage.delete(file.name)
        job.delete()
        count += 1
    return count
