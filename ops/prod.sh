#!/usr/bin/env bash
# `make prod`: the production stack on this machine, against PostgreSQL and Redis:
# two gunicorn app processes (ports PROD_PORT_A, PROD_PORT_B), a Celery worker and Celery beat,
# all on config.settings.production, one database, one media folder, one Redis. Ctrl-C stops all.
#
# Environment (all optional here; a real deployment sets them, .env.example lists them):
#   DATABASE_URL        [postgres://postgres@127.0.0.1:5432/khenthuong]  created if missing
#   CELERY_BROKER_URL   [redis://127.0.0.1:6379/0]   REDIS_CACHE_URL [redis://127.0.0.1:6379/1]
#   DJANGO_MEDIA_ROOT   [var/media]                  shared by every process
#   PROD_PORT_A/B       [8001 / 8002]                GUNICORN_WORKERS [2] per process
#   SEED_DEMO           [1: seed the demo world if the database is empty]
# The secrets (DJANGO_SECRET_KEY, AUDIT_SIGNING_KEY, BALLOT_SEALING_KEY) are generated once into
# var/secrets.env (git-ignored, mode 600) unless set: keep that file with the backups (README).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
. ops/secrets.sh
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/khenthuong}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
export DJANGO_MEDIA_ROOT=${DJANGO_MEDIA_ROOT:-$PWD/var/media}
# Plain HTTP on this machine (a TLS reverse proxy sits in front in a real deployment).
export DJANGO_SECURE_SSL_REDIRECT=${DJANGO_SECURE_SSL_REDIRECT:-false}
export DJANGO_HSTS_SECONDS=${DJANGO_HSTS_SECONDS:-0}
export SITE_URL=${SITE_URL:-http://127.0.0.1:${PROD_PORT_A:-8001}}
PORT_A=${PROD_PORT_A:-8001}
PORT_B=${PROD_PORT_B:-8002}
mkdir -p "$DJANGO_MEDIA_ROOT"

$PY - <<'PYEOF'
import os, psycopg
from urllib.parse import urlsplit, urlunsplit
url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
admin = urlunsplit(url._replace(path="/postgres"))
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"== database {name} created")
PYEOF
echo "== migrate"
$PY manage.py migrate --noinput | tail -1
if [ "${SEED_DEMO:-1}" = "1" ]; then
  $PY manage.py shell -c "from dossiers.models import Dossier; raise SystemExit(0 if Dossier.objects.exists() else 3)" \
    || $PY manage.py seed_demo --force
fi
echo "== collectstatic"
$PY manage.py collectstatic --noinput | tail -1

PIDS=()
stop() {
  trap - INT TERM EXIT
  echo "== stopping"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT
GUNICORN_BIND=127.0.0.1:$PORT_A GUNICORN_NAME=khenthuong-a .venv/bin/gunicorn -c python:config.gunicorn &
PIDS+=($!)
GUNICORN_BIND=127.0.0.1:$PORT_B GUNICORN_NAME=khenthuong-b .venv/bin/gunicorn -c python:config.gunicorn &
PIDS+=($!)
.venv/bin/celery -A config worker --concurrency "${CELERY_CONCURRENCY:-2}" --loglevel INFO &
PIDS+=($!)
.venv/bin/celery -A config beat --schedule var/celerybeat-schedule --loglevel INFO &
PIDS+=($!)
echo "== serving on http://127.0.0.1:$PORT_A and http://127.0.0.1:$PORT_B (health: /healthz, /readyz); Ctrl-C stops"
wait -n "${PIDS[@]}" || true
echo "!! a process of the stack stopped"
exit 1
