"""The Celery app: Redis as the broker, configured from Django's settings (`CELERY_*`), the
tasks found in each app's `tasks.py`, every task on the retrying base (jobs/tasks.py).

    celery -A config worker      the worker (`make prod` starts one)
    celery -A config beat        the clock: config/settings/base.py `CELERY_BEAT_SCHEDULE`

Without a broker (`make run`, `make test`: `CELERY_TASK_ALWAYS_EAGER`) a task runs in place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("khenthuong", task_cls="jobs.tasks:DurableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
