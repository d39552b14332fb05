"""Faults on the production stack: Redis stopped mid-run (actions still succeed, their
notifications wait in the outbox and are delivered once it is back), and the database refusing
connections (503 JSON and page under gunicorn, recovered on the next request)."""

import pytest
import requests

from tests.processes import RedisServer, celery_worker, free_port, wait_for
from tests.stack.conftest import ONLY_POSTGRESQL, Remote, admin_sql, db_sql, token, web_sign_in
from tests.workflows.helpers import create, upload_required

pytestmark = [ONLY_POSTGRESQL, pytest.mark.django_db]
REDIS_PORT = 6390


def test_redis_stopped_mid_run_loses_nothing(stack):
    port = REDIS_PORT if not _listening(REDIS_PORT) else free_port()
    redis = RedisServer(port)
    redis.start()
    try:
        env = stack.env(
            CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0",
            REDIS_CACHE_URL=f"redis://127.0.0.1:{port}/1",
            CELERY_OUTBOX_SCAN_SECONDS="2",
        )
        app = stack.app("app-redis", env)
        worker = celery_worker(stack.procs, env, "worker-redis")
        beat = stack.procs.start(
            "beat-redis",
            [".venv/bin/celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", str(stack.static.parent / f"beat-{port}")],
            env,
        )  # fmt: skip
        wait_for(lambda: "ready" in worker.output(), timeout=90)
        tokens = {u: token(app, u) for u in ("proposer-TLDLD", "head-TLDLD", "board-officer")}

        def api(username):
            return Remote(app, tokens[username])

        dossier = create(api, "TLDLD", "HCLD-3")
        upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich"])
        assert api("head-TLDLD").post(f"/api/v1/dossiers/{dossier['id']}/actions/submit/").ok

        redis.stop()  # Redis goes away mid-run
        returned = api("board-officer").post(
            f"/api/v1/dossiers/{dossier['id']}/actions/return/", {"reason": "Thiếu tờ trình"}
        )
        assert returned.status_code == 200, returned.text  # the action succeeds
        ready = requests.get(app + "/readyz", timeout=30)
        assert ready.status_code == 200  # ready: only the database decides
        assert ready.json()["checks"]["broker"]["status"] == "unavailable"
        pending = db_sql(
            stack.url,
            "SELECT o.event_id FROM notifications_outboxmessage o JOIN audit_ledgerevent e "
            "ON e.seq = o.event_id WHERE o.delivered_at IS NULL AND e.action = 'return' "
            "AND e.dossier_id = %s",
            [dossier["id"]],
        )
        assert len(pending) == 1, pending  # kept in the outbox
        seq = pending[0][0]

        redis.start()  # back, empty: the beat's scan finds the row in the database

        def delivered():
            return db_sql(
                stack.url,
                "SELECT count(*) FROM notifications_notification n JOIN auth_user u "
                "ON u.id = n.recipient_id WHERE n.event_id = %s AND u.username = "
                "'proposer-TLDLD'",
                [seq],
            )[0][0]

        wait_for(delivered, timeout=120, every=1)
        row = db_sql(
            stack.url,
            "SELECT delivered_at FROM notifications_outboxmessage WHERE event_id = %s",
            [seq],
        )
        assert row[0][0] is not None
        assert beat.alive() and worker.alive(), stack.procs.report()
    except BaseException:
        print(stack.procs.report())
        raise
    finally:
        stack.procs.stop_all()
        redis.remove()


def test_a_database_refusing_connections_is_a_503_until_it_is_back(stack):
    app = stack.app("app-db")
    session_token = token(app, "board-officer")
    api = Remote(app, session_token)
    assert api.get("/api/v1/dossiers/").status_code == 200
    session = web_sign_in(app, "board-officer")
    admin_sql(f'ALTER DATABASE "{stack.name}" WITH ALLOW_CONNECTIONS false')
    try:
        admin_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [stack.name],
        )
        refused = api.get("/api/v1/dossiers/")
        assert refused.status_code == 503, refused.text[:500]
        assert refused.json()["code"] == "unavailable" and refused.headers["Retry-After"]
        page = Remote(app, cookies=session).get(
            "/dossiers/", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False
        )
        assert page.status_code == 503 and "text/html" in page.headers["Content-Type"], page.text

        assert requests.get(app + "/readyz", timeout=30).status_code == 503
        assert requests.get(app + "/healthz", timeout=30).status_code == 200
    finally:
        admin_sql(f'ALTER DATABASE "{stack.name}" WITH ALLOW_CONNECTIONS true')
    assert api.get("/api/v1/dossiers/").status_code == 200  # the next request recovers
    assert requests.get(app + "/readyz", timeout=30).status_code == 200


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
