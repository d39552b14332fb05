"""Background work run eagerly (config/settings/test.py): the notifications' outbox, the
clock's tasks, failures recorded for administrators, the beat's schedule, the health endpoints,
the JSON logs and the cache that survives a Redis that is down."""

import io
import json
import logging

import pytest
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.test import Client

from audit.context import request_id
from config.celery import app
from jobs.models import FailedTask
from notifications import consumer
from notifications.models import Notification, OutboxMessage
from notifications.tasks import drain_outbox, outbox_drain
from tests.workflows.helpers import act, create, upload_required

pytestmark = pytest.mark.django_db


def _returned(api, committed) -> dict:
    """A dossier returned to its unit (the unit's people are notified)."""
    dossier = create(api, "TLDLD", "HCLD-3")
    upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    act(api, "head-TLDLD", dossier, "submit")
    with committed():
        act(api, "board-officer", dossier, "return", reason="Thiếu bản sao quyết định")
    return dossier


def test_an_action_writes_its_outbox_row_in_its_transaction_and_the_task_delivers_it(
    api, committed
):
    dossier = _returned(api, committed)
    row = OutboxMessage.objects.order_by("-id").first()
    assert row is not None and row.delivered_at is not None and row.attempts == 1
    told = Notification.objects.filter(event_id=row.event_id, kind="returned")
    assert set(told.values_list("recipient__username", flat=True)) >= {"proposer-TLDLD"}
    assert told.first().dossier_id == dossier["id"]


def test_a_rolled_back_action_leaves_no_outbox_row(api, world):
    before = OutboxMessage.objects.count()
    dossier = create(api, "TLDLD", "HCLD-3")
    with pytest.raises(RuntimeError), transaction.atomic():
        OutboxMessage.objects.create(event_id=10**9)
        raise RuntimeError("rolled back")
    assert OutboxMessage.objects.count() == before
    assert dossier["id"]


def test_a_broker_that_is_down_leaves_the_row_and_the_scan_delivers_it(api, committed, monkeypatch):
    from notifications import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver_event, "delay", down)
    _returned(api, committed)  # the action succeeds
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert pending.count() == 1
    seq = pending.get().event_id
    assert not Notification.objects.filter(event_id=seq).exists()
    monkeypatch.undo()
    with committed():
        assert drain_outbox.delay().get() == 1  # the beat's scan
    assert Notification.objects.filter(event_id=seq, kind="returned").exists()
    assert outbox_drain() == (0, 0)  # nothing twice


def test_a_delivery_that_fails_is_counted_and_retried_later(api, committed, monkeypatch):
    calls = []

    def broken(seq):
        calls.append(seq)
        raise ValueError("renderer broken")

    monkeypatch.setattr(consumer, "deliver", broken)
    _returned(api, committed)  # still succeeds: the eager task failed, not the action
    row = OutboxMessage.objects.order_by("-id").first()
    assert row.delivered_at is None and row.attempts >= 1 and "renderer broken" in row.last_error
    assert FailedTask.objects.filter(name="notifications.deliver_event").exists()
    monkeypatch.undo()
    with committed():
        assert outbox_drain() == (1, 0)
    row.refresh_from_db()
    assert row.delivered_at is not None


@shared_task(name="tests.always_fails", max_retries=2, retry_backoff=False)
def always_fails(n):
    raise RuntimeError(f"no luck {n}")


def test_a_task_that_fails_for_good_is_recorded_once_for_the_admin(admin_client):
    result = always_fails.delay(7)
    assert result.failed()
    row = FailedTask.objects.get(name="tests.always_fails")
    assert row.args == [7] and "no luck 7" in row.exception and row.retries == 2
    page = admin_client.get("/admin/jobs/failedtask/")
    assert page.status_code in (200, 302)


def test_the_clock_tasks_run_and_run_again_harmlessly(world):
    from approvals.tasks import close_due_ballots
    from consultations.tasks import remind_due
    from notifications.tasks import notify_overdue, remind_closing_ballots

    for task in (close_due_ballots, remind_due, notify_overdue, remind_closing_ballots):
        first = task.delay().get()
        second = task.delay().get()
        if isinstance(first, int):
            assert second == 0  # once per day, ballot, request
        else:
            assert second == []  # each due ballot closed once
    assert not FailedTask.objects.exists()


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


def test_healthz_answers_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_database_and_broker():
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "eager"


def test_readyz_fails_only_on_the_database(monkeypatch, settings):
    from config import health

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = Client().get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["status"] == "unavailable"

    def refused():
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", refused)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "unavailable"


def test_json_logs_carry_the_request_id():
    from config.logs import Formatter, RequestIdFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter())
    handler.addFilter(RequestIdFilter())
    log = logging.getLogger("tests.jobs.json")
    log.addHandler(handler)
    token = request_id.set("abc123")
    try:
        log.warning("dossier %s moved", 42)
    finally:
        request_id.reset(token)
        log.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "dossier 42 moved"
    assert line["request_id"] == "abc123" and line["level"] == "WARNING"


def test_the_redis_cache_survives_a_redis_that_is_down():
    from config.cache import ResilientRedisCache

    cache = ResilientRedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}}
    )
    assert cache.get("k", "default") == "default"
    assert cache.add("k", 0, 60) is False
    cache.set("k", 1, 60)
    with pytest.raises(ValueError):  # as for an expired key: the callers count from 1
        cache.incr("k")
    assert cache.ping() is False
