#!/usr/bin/env bash
# `make load`: the personas' real mix (ops/locustfile.py, locust headless) against the
# production stack (ops/prod.sh: two gunicorn processes, a Celery worker and beat, PostgreSQL,
# Redis) on 1,000 and on 100,000 dossiers, and the bare /healthz; one line each:
#
#   load: 20 users, <rps> req/s, p50 <ms> ms, p95 <ms> ms, p99 <ms> ms, errors <n> (1000 dossiers)
#   load: 20 users, ... (100000 dossiers)
#   load: 20 users, ... (bare /healthz)
#
# then the aims (p95 at 100,000 ≤ 1.25 × p95 at 1,000; the mix ≥ half the bare req/s; p95 ≤
# 150 ms; no error) and each run's slowest endpoints. Figures on a shared machine are indicative.
#
# Databases (on LOAD_PG): load_seed (migrate + seed_demo), load_<n>_base (the seed + bulk
# dossiers up to n, `manage.py bulk_dossiers --total n`, kept between runs; LOAD_REBUILD=1 makes
# them again), and load_<n>, a fresh copy of its base for each run (the mix writes: dossiers
# created, withdrawn, claimed), checked with `manage.py verify_audit` before and after.
#
# Environment (all optional):
#   LOAD_USERS [20]  LOAD_SECONDS [60] per run, after every user has signed in and
#   LOAD_WARMUP [15] seconds of the mix unmeasured (the stack and the database copy warm up)
#   LOAD_WAIT_MIN/MAX [0.5/1.5] seconds between a user's tasks (think time; every run alike)
#   LOAD_SIZES ["1000 100000"]  LOAD_PG [postgres://postgres@127.0.0.1:5432]
#   LOAD_PORT_A/B [8101/8102] (apart from `make prod`'s)  LOAD_OUT [var/load]  LOAD_REBUILD [0]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG=${LOAD_PG:-postgres://postgres@127.0.0.1:5432}
USERS=${LOAD_USERS:-20}
SIZES=${LOAD_SIZES:-"1000 100000"}
PORT_A=${LOAD_PORT_A:-8101}
PORT_B=${LOAD_PORT_B:-8102}
OUT=${LOAD_OUT:-var/load}
export LOAD_SECONDS=${LOAD_SECONDS:-60} LOAD_WARMUP=${LOAD_WARMUP:-15}
export LOAD_WAIT_MIN=${LOAD_WAIT_MIN:-0.5} LOAD_WAIT_MAX=${LOAD_WAIT_MAX:-1.5}
export LOAD_HOSTS="http://127.0.0.1:$PORT_A,http://127.0.0.1:$PORT_B"
mkdir -p "$OUT" var

# The production settings and their secrets, as ops/prod.sh sets them (ops/secrets.sh),
# on a Redis broker database, cache database and queue of their own: a `make prod` running
# beside this never takes this stack's tasks.
. ops/secrets.sh
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_HSTS_SECONDS=0 DJANGO_MEDIA_ROOT=$PWD/$OUT/media
export CELERY_BROKER_URL=${LOAD_BROKER_URL:-redis://127.0.0.1:6379/12}
export REDIS_CACHE_URL=${LOAD_CACHE_URL:-redis://127.0.0.1:6379/13}
export CELERY_QUEUE=khenthuong-load
export PROD_PORT_A=$PORT_A PROD_PORT_B=$PORT_B SEED_DEMO=0

sql() {
  $PY -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    cursor = c.execute(sys.argv[2])
    row = cursor.fetchone() if cursor.description else None
    print(row[0] if row else "")' "$PG/postgres" "$1"
}
exists() { [ -n "$(sql "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]; }
manage() {  # manage.py on database $1; its log lines go to $OUT/manage.log
  DATABASE_URL="$PG/$1" $PY manage.py "${@:2}" 2>>"$OUT/manage.log" || {
    echo "!! manage.py ${*:2} failed on $1:"; tail -20 "$OUT/manage.log"; return 1
  }
}

base() {  # the seeded database with bulk dossiers up to $1, made once
  local name=load_$1_base
  exists "$name" && return
  if ! exists load_seed; then
    echo "== load_seed: migrate, seed_demo"
    sql "CREATE DATABASE load_seed"
    manage load_seed migrate --noinput >"$OUT/migrate.log"
    manage load_seed seed_demo --force
  fi
  echo "== $name: the seed and bulk dossiers up to $1"
  sql "CREATE DATABASE $name TEMPLATE load_seed"
  manage "$name" migrate --noinput >>"$OUT/migrate.log"
  manage "$name" bulk_dossiers --total "$1"
}

STACK=
stop_stack() {
  if [ -n "$STACK" ]; then
    kill -TERM "$STACK" 2>/dev/null || true
    wait "$STACK" 2>/dev/null || true
    STACK=
  fi
}
trap stop_stack EXIT INT TERM

start_stack() {  # ops/prod.sh on database $1, until both app processes are ready
  DATABASE_URL="$PG/$1" ops/prod.sh >"$OUT/stack-$1.log" 2>&1 &
  STACK=$!
  for port in "$PORT_A" "$PORT_B"; do
    for _ in $(seq 1 900); do
      if $PY -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$port/readyz" 2>/dev/null; then
        continue 2
      fi
      kill -0 "$STACK" 2>/dev/null || { tail -20 "$OUT/stack-$1.log"; exit 1; }
      sleep 1
    done
    echo "!! the stack on :$port did not get ready"; tail -20 "$OUT/stack-$1.log"; exit 1
  done
}

run() {  # locust: label, user classes...
  local label=$1
  shift
  rm -f "$OUT/$label.json"
  LOAD_SUMMARY="$OUT/$label.json" .venv/bin/locust -f ops/locustfile.py --headless \
    -u "$USERS" -r "$USERS" -t "$((LOAD_SECONDS + LOAD_WARMUP + 600))s" --host "http://127.0.0.1:$PORT_A" \
    --only-summary --loglevel WARNING "$@" >"$OUT/$label.log" 2>&1 || true
  [ -f "$OUT/$label.json" ] || { echo "!! locust wrote no summary"; tail -20 "$OUT/$label.log"; exit 1; }
}

MIX="UnitUser BoardUser VoterUser InspectorUser"
if [ "${LOAD_REBUILD:-0}" = "1" ]; then
  for size in $SIZES; do sql "DROP DATABASE IF EXISTS load_${size}_base WITH (FORCE)"; done
  sql "DROP DATABASE IF EXISTS load_seed WITH (FORCE)"
fi
for size in $SIZES; do base "$size"; done
LABELS=()
for size in $SIZES; do
  db=load_$size
  sql "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  sql "CREATE DATABASE $db TEMPLATE load_${size}_base"
  manage "$db" migrate --noinput >>"$OUT/migrate.log"
  echo "== $db: $(manage "$db" shell -v 0 -c 'from dossiers.models import Dossier; print(Dossier.objects.count())') dossiers; $(manage "$db" verify_audit)"
  start_stack "$db"
  echo "== $db: $USERS users for ${LOAD_SECONDS}s on :$PORT_A and :$PORT_B"
  run "$size" $MIX
  LABELS+=("$size")
  if [ "$size" = "${SIZES##* }" ]; then
    echo "== bare /healthz: $USERS users for ${LOAD_SECONDS}s"
    run healthz HealthUser
    LABELS+=(healthz)
  fi
  stop_stack
  echo "== $db after the run: $(manage "$db" verify_audit)"
done

$PY - "$OUT" "${LABELS[@]}" <<'PYEOF'
import json, sys
out, labels = sys.argv[1], sys.argv[2:]
runs = {label: json.load(open(f"{out}/{label}.json")) for label in labels}

def errors(run):
    return run["total"]["failures"] + run["exceptions"] + run["signin_failures"]

for label, run in runs.items():
    t = run["total"]
    what = "bare /healthz" if label == "healthz" else f"{label} dossiers"
    print(f"load: {run['users']} users, {t['rps']:.1f} req/s, p50 {t['p50']:.0f} ms, "
          f"p95 {t['p95']:.0f} ms, p99 {t['p99']:.0f} ms, errors {errors(run)} ({what})")
sizes = [label for label in labels if label != "healthz"]
if len(sizes) >= 2 and "healthz" in runs:
    small, large = runs[sizes[0]]["total"], runs[sizes[-1]]["total"]
    bare = runs["healthz"]["total"]
    ratio = large["p95"] / small["p95"] if small["p95"] else float("inf")
    share = large["rps"] / bare["rps"] if bare["rps"] else 0.0
    worst = max(runs[s]["total"]["p95"] for s in sizes)
    bad = sum(errors(runs[s]) for s in sizes)
    mark = lambda ok: "met" if ok else "MISSED"
    print(f"aims: p95 {sizes[-1]}/{sizes[0]} = {ratio:.2f} (≤ 1.25 {mark(ratio <= 1.25)}); "
          f"mix/bare req/s = {share:.2f} (≥ 0.5 {mark(share >= 0.5)}); "
          f"p95 ≤ 150 ms {mark(worst <= 150)}; errors {bad} {mark(bad == 0)}")
for label in sizes:
    rows = sorted(runs[label]["endpoints"].items(), key=lambda kv: -kv[1]["p95"])[:6]
    print(f"slowest at {label} dossiers (p95, p50, requests):")
    for name, f in rows:
        print(f"  {name:55} {f['p95']:6.0f} {f['p50']:6.0f} {f['requests']:6}")
    for error in runs[label]["errors"][:5]:
        print(f"  error: {error['endpoint']}: {error['error'][:120]} ×{error['count']}")
PYEOF
echo "(logs, summaries: $OUT/)"
