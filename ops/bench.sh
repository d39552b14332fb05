#!/usr/bin/env bash
# `make bench-prod`: the lifecycle benchmark (`manage.py bench_workflow`) on the production stack's
# settings (config.settings.production): PostgreSQL, and Redis as the broker, so the background
# tasks are sent to a queue as production sends them rather than run in place. It prints the
# same lines as `make bench`, ending with
#
#   lifecycle: <ms> ms, <n> queries; baseline: <ms> ms, <m> queries; ratio <r>
#
# The benchmark works in a throwaway database (<the DATABASE_URL database>_bench, created and
# dropped) and sends its tasks to a queue of its own (<CELERY_QUEUE>.bench), emptied at the end;
# nothing else of the stack is touched. Environment (all optional):
#   BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/khenthuong]
#   BENCH_BROKER_URL   [redis://127.0.0.1:6379/9]    BENCH_CACHE_URL [redis://127.0.0.1:6379/10]
#   BENCH_DOSSIERS     [20]                          further arguments go to bench_workflow
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
# The production settings and their secrets, as ops/prod.sh sets them (ops/secrets.sh).
. ops/secrets.sh
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_SECURE_SSL_REDIRECT=false DJANGO_HSTS_SECONDS=0
export DJANGO_LOG_LEVEL=${DJANGO_LOG_LEVEL:-WARNING}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/khenthuong}
export CELERY_BROKER_URL=${BENCH_BROKER_URL:-redis://127.0.0.1:6379/9}
export REDIS_CACHE_URL=${BENCH_CACHE_URL:-redis://127.0.0.1:6379/10}
exec $PY manage.py bench_workflow --tasks broker --dossiers "${BENCH_DOSSIERS:-20}" "$@"
