"""gunicorn's settings: `gunicorn -c python:config.gunicorn` (`make prod` starts two).

Every value can be changed from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...). Logs are
JSON lines like the app's (config/logs.py); an access line carries the request's id (the
`X-Request-ID` the audit middleware answers with), method, path, status and duration."""

from __future__ import annotations

import gc
import os

from gunicorn.glogging import Logger

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# `make prod` starts two of these: 2 × 2 worker processes for this machine's 2 cores (a request
# waits on PostgreSQL for about half its time), each with 2 threads to overlap those waits; more
# processes would only queue on the same cores, and take more database connections.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (a slow leak never grows for ever).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# The reverse proxy's address: only it may say the scheme (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_NAME", "khenthuong")


class JsonLogger(Logger):
    """gunicorn's own lines as JSON; one structured access line per request."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        from config.logs import Formatter

        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(Formatter())

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        if not self.cfg.accesslog:
            return
        headers = {str(k).lower(): v for k, v in (resp.headers or [])}
        self.access_log.info(
            "request",
            extra={
                "request_id": headers.get("x-request-id", ""),
                "method": environ.get("REQUEST_METHOD", ""),
                "path": environ.get("PATH_INFO", ""),
                "status": getattr(resp, "status_code", None),
                "ms": round(request_time.total_seconds() * 1000, 1),
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("REMOTE_ADDR", ""),
            },
        )


logger_class = JsonLogger


# A worker freezes again when it has served these many requests (`post_request`): by then the
# objects Django makes on first use (URL patterns, templates, translations, serializers' fields,
# compiled statements) are made too, and are kept for the worker's life like the app's own; the
# second time catches the pages the first requests did not visit.
FREEZE_AT = (20, 200)


def freeze() -> None:
    """Move every object alive now out of the garbage collector's reach (`gc.freeze`): a full
    collection, which a request pays now and then, no longer walks them. A frozen object is
    still freed when nothing refers to it; only a cycle among frozen objects is kept."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """The app is loaded (Django, its apps, settings and URLs: most of the worker's objects):
    frozen (on this machine a full collection over its ~145,000 objects took ~0.2 s)."""
    freeze()


def post_request(worker, req, environ, resp):  # type: ignore[no-untyped-def]
    """After the worker's first requests (FREEZE_AT), what their first use made is frozen too
    (measured on a 100,000-dossier database: ~44,000 objects left unfrozen after a few pages,
    a full collection over them 30 ms; none after the second freeze)."""
    served = getattr(worker, "khenthuong_served", 0) + 1
    worker.khenthuong_served = served
    if served in FREEZE_AT:
        freeze()
