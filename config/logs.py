"""Structured logs in production: one JSON object per line, each carrying the request id the
audit middleware took or made for the request (audit/context.py; also the `X-Request-ID`
response header and the ledger's events), and in a worker the task's id and name."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) and, in a Celery task, `task_id`/`task`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            from audit.context import request_id  # not at import: settings import this module

            record.request_id = request_id.get()
        if not hasattr(record, "task_id"):
            try:
                from celery import current_task

                task = current_task if current_task and current_task.request.id else None
            except Exception:  # outside a worker, or no app yet
                task = None
            if task is not None:
                record.task_id = task.request.id
                record.task = task.name
        return True


class Formatter(JsonFormatter):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)


def json_logging(level: str = "INFO") -> dict:
    """LOGGING for production: JSON on standard error, the request id on every record."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "config.logs.Formatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"handlers": ["console"], "level": level, "propagate": False},
            "celery": {"level": level},
        },
    }
