"""A real Celery worker, started as a process, consuming from the machine's Redis (a database
number of its own, a queue of this run's own) and doing a task."""

import os
import uuid

import pytest
from celery import Celery

from tests.processes import Procs, celery_worker, redis_up, wait_for

REDIS = os.environ.get("KHENTHUONG_TEST_REDIS", "redis://127.0.0.1:6379/15")

pytestmark = [
    pytest.mark.skipif(not redis_up() and not os.environ.get("CI"), reason="no Redis on :6379"),
    pytest.mark.django_db,  # the suite's autouse fixtures read the test database
]


def test_a_real_worker_does_a_task_sent_through_redis():
    queue = f"khenthuong-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": REDIS,
        "CELERY_RESULT_BACKEND": REDIS,
        "CELERY_QUEUE": queue,
    }
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
