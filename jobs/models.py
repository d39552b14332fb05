"""A background task that failed for good (its retries spent): one row per task id, shown to
administrators in the admin, where it can be sent again."""

from __future__ import annotations

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
