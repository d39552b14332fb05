"""A real Celery worker, started as a process, consuming from the machine's Redis (a database
number of its own, a queue of this run's own) and doing a task; and a large registry import sent
through the API, done by that worker on the test database and the shared media folder, its
report read back through the API."""

import datetime
import os
import uuid

import pytest
from celery import Celery
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audit.models import LedgerEvent
from dossiers.models import HistoryEntry
from jobs.models import Job
from tests.processes import Procs, celery_worker, redis_up, wait_for
from tests.registry.sheets import cccd, csv_bytes, title_kinds
from workflows import tasks as workflow_tasks

REDIS = os.environ.get("KHENTHUONG_TEST_REDIS", "redis://127.0.0.1:6379/15")

pytestmark = [
    pytest.mark.skipif(not redis_up() and not os.environ.get("CI"), reason="no Redis on :6379"),
    pytest.mark.django_db,  # the suite's autouse fixtures read the test database
]


def _env(queue: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": REDIS,
        "CELERY_RESULT_BACKEND": REDIS,
        "CELERY_QUEUE": queue,
        **extra,
    }


def test_a_real_worker_does_a_task_sent_through_redis():
    queue = f"khenthuong-test-{uuid.uuid4().hex[:8]}"
    env = _env(queue)
    procs = Procs()
    try:
        worker = celery_worker(procs, env)
        client = Celery(broker=REDIS, backend=REDIS, set_as_current=False)
        try:
            wait_for(lambda: "ready" in worker.output() or not worker.alive(), timeout=90)
            assert worker.alive(), procs.report()
            result = client.send_task("jobs.ping", args=["done by a worker"], queue=queue)
            assert result.get(timeout=60) == "done by a worker", procs.report()
            assert "jobs.ping" in worker.output()
        finally:
            client.close()
    finally:
        procs.stop_all()


def _database_url() -> str:
    """The test database, as the worker process reaches it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)  # committed: the worker reads what the API wrote
def test_a_real_worker_does_a_large_import_sent_through_the_api(
    demo_world, api, settings, monkeypatch
):
    settings.REGISTRY_IMPORT_INLINE_MAX_BYTES = 100
    title_kinds()
    queue = f"khenthuong-test-{uuid.uuid4().hex[:8]}"
    env = _env(queue, DATABASE_URL=_database_url(), DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    procs = Procs()
    client = Celery(broker=REDIS, backend=REDIS, set_as_current=False)
    # This process runs tasks in place (test settings): its job's message goes to the real
    # broker instead, on the worker's queue.
    task = workflow_tasks.registry_import
    monkeypatch.setattr(
        task,
        "apply_async",
        lambda args: client.send_task("workflows.registry_import", args=args, queue=queue),
    )
    identity = cccd(datetime.date(1984, 4, 4), female=False, serial=520001)
    data = csv_bytes([[identity, "Trần Văn Thợ", "04/04/1984", "Nam", "HLHPN", "", "LDTT", 2024,
                       "12/QĐ", "10/01/2025", ""]])  # fmt: skip
    try:
        worker = celery_worker(procs, env)
        wait_for(lambda: "ready" in worker.output() or not worker.alive(), timeout=90)
        assert worker.alive(), procs.report()
        uploader = api("board-officer")
        answer = uploader.post(
            "/api/v1/registry/import/", {"file": SimpleUploadedFile("tho.csv", data)}
        )
        assert answer.status_code == 202, answer.content
        url = answer.json()["url"]

        def done():
            got = uploader.get(url)
            return got if got.status_code != 202 else None

        report = wait_for(done, timeout=120, every=0.5)
        assert report.status_code == 200, (report.content, procs.report())
        assert (report.json()["rows"], report.json()["imported"]) == (1, 1)
        assert "workflows.registry_import" in worker.output()
        assert HistoryEntry.objects.filter(person__identity=identity).count() == 1
        event = LedgerEvent.objects.filter(action="registry.imported").order_by("seq").last()
        assert event.actor_name == "board-officer"
        assert Job.objects.get(pk=answer.json()["job"]).attempts == 1
    finally:
        client.close()
        procs.stop_all()
