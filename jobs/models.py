"""Background work's records: a task that failed for good (its retries spent), one row per task
id, shown to administrators in the admin, where it can be sent again; and the jobs users asked
for (a large import or export), whose status and result they read back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FailedTask(models.Model):
    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    name = models.CharField(_("task"), max_length=255, db_index=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("exception"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now)
    resent_at = models.DateTimeField(_("sent again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} [{self.task_id}]"


def job_path(instance: Job, filename: str) -> str:
    """Each job's files in a folder of its own under the media storage every process shares."""
    return f"jobs/{instance.pk or 'new'}/{filename}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("being processed")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Job(models.Model):
    """Work a user asked for that runs on the worker (a large import, a large export): what was
    asked (`kind`, the Celery `task` doing it, `params`, the uploaded `input`), how far it got,
    and what it gave: a JSON `result` (an import's report), an `output` file to download (an
    export), or the error a client is told (`error_status`, `error_code`, `error`). The task
    marks it done in the same transaction as its work, so a second run does nothing
    (jobs/services.py `job_run`)."""

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    task = models.CharField(_("task"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("asked by"),
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    input = models.FileField(_("uploaded file"), upload_to=job_path, max_length=255, blank=True)
    input_name = models.CharField(_("uploaded file's name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    output = models.FileField(_("file produced"), upload_to=job_path, max_length=255, blank=True)
    output_name = models.CharField(_("download name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    error_status = models.PositiveSmallIntegerField(_("error status"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="jobs_job_status_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def pending(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
