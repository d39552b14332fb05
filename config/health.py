"""Health endpoints, answered before any other middleware (no session, no user, no database
unless asked for):

    /healthz   liveness: the process answers. Always 200 while it runs.
    /readyz    readiness: 503 only when the database cannot be reached; the broker's (Redis)
               and the cache's state are reported without failing on them (the outbox keeps the
               notifications while the broker is down: notifications/tasks.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("config.health")
PROBE_TIMEOUT = 1.0  # seconds for the broker's and the cache's answer


def _timed(probe: Callable[[], str]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        status = probe()
        error = ""
    except Exception as exc:  # any failure of the probe is the answer
        status, error = "unavailable", f"{type(exc).__name__}: {exc}"[:300]
    result: dict[str, Any] = {"status": status, "ms": round((time.perf_counter() - start) * 1000)}
    if error:
        result["error"] = error
    return result


def _database() -> str:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close_if_unusable_or_obsolete()
        raise
    return "ok"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"  # no broker: tasks run in place
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)
    return "ok"


def _cache() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" not in backend.lower():
        return "local"
    from django.core.cache import cache

    ping = getattr(cache, "ping", None)
    if ping is None or not ping():
        return "unavailable"
    return "ok"


def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> JsonResponse:
    checks = {"database": _timed(_database), "broker": _timed(_broker), "cache": _timed(_cache)}
    ready = checks["database"]["status"] == "ok"
    if not ready:
        logger.error("not ready: database %s", checks["database"].get("error", ""))
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "30"
    return response


ENDPOINTS: dict[str, Callable[[], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthMiddleware:
    """Answers GET/HEAD /healthz and /readyz (with or without a trailing slash) itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path.rstrip("/"))
        if endpoint is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = endpoint()
        response["Cache-Control"] = "no-store"
        return response
