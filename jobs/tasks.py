"""The base of every background task (config/celery.py makes it the app's default).

A task's work must be idempotent (derived from the database, keyed so that a second run adds
nothing): a task is retried on any exception with exponential backoff and jitter, acknowledged
only once done (a worker killed mid-task leaves it to another), and once its retries are spent
it is recorded as a `FailedTask` row for administrators.

A job's task (a user's large import or export, jobs/services.py) takes `JobTask` as its base:
its first argument is the job's id, and a failure for good also marks the job failed, so that
whoever polls it is told.

The project's models are imported inside the functions: config/celery.py loads this module (the
app's task class) before Django's apps are ready."""

from __future__ import annotations

import json
import logging
from typing import Any

from celery import Task, shared_task
from django.utils import timezone

logger = logging.getLogger("jobs")


def _plain(value: Any) -> Any:
    """What JSON can hold of a task's arguments (anything else as its repr)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


class DurableTask(Task):
    autoretry_for = (Exception,)
    max_retries = 6
    retry_backoff = 5  # seconds: 5, 10, 20, 40, 80, 160 (jittered), at most retry_backoff_max
    retry_backoff_max = 600
    retry_jitter = True
    acks_late = True
    reject_on_worker_lost = True

    def on_failure(
        self,
        exc: BaseException,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: Any,
    ) -> None:
        record_failure(
            task_id=task_id or "",
            name=self.name,
            args=args,
            kwargs=kwargs,
            exc=exc,
            traceback=str(einfo) if einfo is not None else "",
            retries=getattr(self.request, "retries", 0) or 0,
        )
        super().on_failure(exc, task_id, args, kwargs, einfo)


def record_failure(
    *,
    task_id: str,
    name: str,
    args: Any,
    kwargs: Any,
    exc: BaseException,
    traceback: str = "",
    retries: int = 0,
) -> None:
    """One row per task id (an eager task's nested retries fail under the same id)."""
    from jobs.models import FailedTask

    logger.error("task %s [%s] failed for good: %r", name, task_id, exc)
    try:
        FailedTask.objects.update_or_create(
            task_id=task_id or f"{name}:{timezone.now().isoformat()}",
            defaults={
                "name": name,
                "args": _plain(list(args or [])),
                "kwargs": _plain(dict(kwargs or {})),
                "exception": f"{type(exc).__name__}: {exc}"[:10_000],
                "traceback": traceback[-20_000:],
                "retries": retries,
                "failed_at": timezone.now(),
            },
        )
    except Exception:  # the database itself may be what failed: the log line stays
        logger.exception("could not record the failure of task %s [%s]", name, task_id)


class JobTask(DurableTask):
    """The base of a job's task, `task(job_id)`: the job is marked failed once the retries are
    spent (the exception stays in the FailedTask row, for administrators)."""

    def on_failure(
        self,
        exc: BaseException,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: Any,
    ) -> None:
        super().on_failure(exc, task_id, args, kwargs, einfo)
        job_id = args[0] if args else (kwargs or {}).get("job_id")
        if job_id is not None:
            from jobs.services import job_fail

            try:
                job_fail(int(job_id), reason=f"{type(exc).__name__}: {exc}")
            except Exception:  # the database itself may be what failed: the log line stays
                logger.exception("could not mark job %s failed", job_id)


@shared_task(name="jobs.requeue")
def requeue() -> list[int]:
    """The beat's scan: jobs still queued after five minutes, their task sent again."""
    from jobs.services import job_requeue

    return job_requeue()


@shared_task(name="jobs.purge")
def purge() -> int:
    """The beat's daily clean-up of finished jobs' files (JOBS_KEEP_DAYS)."""
    from jobs.services import job_purge

    return job_purge()


@shared_task(name="jobs.ping")
def ping(value: str = "pong") -> str:
    """Answers its argument: shows a worker is consuming (tests, `make prod`'s smoke check)."""
    return value
