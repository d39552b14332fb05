#!/usr/bin/env bash
# Schemathesis against the running app, on PostgreSQL, as three personas: a proposer, the board
# officer and the inspector. Every check (`--checks all`, configured in schemathesis.toml) on every
# operation of /api/schema/, bounded in time; fails on any server error or schema violation.
#
#   .ci/schemathesis.sh            (or `make schemathesis`)
#
# Environment (all optional):
#   SCHEMATHESIS_PG       PostgreSQL server URL without database  [postgres://postgres@127.0.0.1:5432]
#   SCHEMATHESIS_DB       dedicated database, created and dropped [khenthuong_schemathesis]
#   SCHEMATHESIS_PERSONAS space-separated usernames  [proposer-HLHPN board-officer inspector]
#   SCHEMATHESIS_SECONDS  time budget per persona (seconds)       [60]
#   SCHEMATHESIS_EXAMPLES test cases per operation and phase       [25]
#   SCHEMATHESIS_SEED     a seed to replay a run                   [random]
#   SCHEMATHESIS_REPORTS  directory for the JUnit reports          [a temporary directory]
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${SCHEMATHESIS_PG:-postgres://postgres@127.0.0.1:5432}
DB=${SCHEMATHESIS_DB:-khenthuong_schemathesis}
PERSONAS=${SCHEMATHESIS_PERSONAS:-proposer-HLHPN board-officer inspector}
SECONDS_PER_PERSONA=${SCHEMATHESIS_SECONDS:-60}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
PY=.venv/bin/python
WORK=$(mktemp -d -t khenthuong-schemathesis-XXXXXX)
REPORTS=${SCHEMATHESIS_REPORTS:-$WORK/reports}
SERVER_PID=

# Statements on the server's maintenance database (psycopg: no psql client needed).
psql_admin() {
  $PY -c 'import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(sys.argv[2])' "$PG/postgres" "$1"
}

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql_admin "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
  rm -rf "$WORK/media"
}
trap cleanup EXIT

# The app as deployed (DEBUG off: errors answer as in production), on its own database and media.
export DATABASE_URL="$PG/$DB"
export DJANGO_SETTINGS_MODULE=config.settings.local
export DJANGO_DEBUG=0
export DJANGO_MEDIA_ROOT="$WORK/media"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost

psql_admin "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)"
psql_admin "CREATE DATABASE \"$DB\""
echo "== migrate and seed_demo on $DB"
$PY manage.py migrate --noinput >"$WORK/migrate.log"
$PY manage.py seed_demo --force  # refuses without DEBUG unless forced
echo "   ready in ${SECONDS}s"

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
$PY manage.py runserver --noreload "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if $PY -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$BASE/api/schema/" 2>/dev/null; then
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 1
done

# A persona's API token through the public endpoint (every demo password is `demo`).
token() {
  $PY - "$BASE" "$1" <<'EOF'
import json, sys, urllib.request
base, username = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    f"{base}/api/v1/auth/token/",
    data=json.dumps({"username": username, "password": "demo"}).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=30) as response:
    print(json.load(response)["token"])
EOF
}

mkdir -p "$REPORTS"
status=0
for persona in $PERSONAS; do
  echo "== schemathesis as $persona (at most ${SECONDS_PER_PERSONA}s)"
  key=$(token "$persona")
  seed=()
  if [ -n "${SCHEMATHESIS_SEED:-}" ]; then seed=(--seed "$SCHEMATHESIS_SEED"); fi
  # The hard timeout leaves schemathesis time to stop at --max-time and print its summary.
  if ! timeout --kill-after=10 $((SECONDS_PER_PERSONA + 60)) \
    .venv/bin/schemathesis --config-file schemathesis.toml run "$BASE/api/schema/" \
    --url "$BASE" \
    --checks all \
    --header "Authorization: Token $key" \
    --max-examples "$EXAMPLES" \
    --max-time "$SECONDS_PER_PERSONA" \
    --workers 1 \
    --generation-database :memory: \
    --no-color \
    "${seed[@]}" \
    --report junit --report-junit-path "$REPORTS/$persona.xml"; then
    echo "!! schemathesis failed as $persona"
    status=1
  fi
done

# Every server error the app logged, so a failure shows its traceback in CI.
if grep -q "Internal Server Error\|Traceback" "$WORK/server.log"; then
  echo "== server log: errors"
  grep -A40 "Internal Server Error\|Traceback" "$WORK/server.log" | head -400
fi
exit $status
