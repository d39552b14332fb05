#!/usr/bin/env bash
# `make restore BACKUP=<folder>`: a backup of `make backup` into a fresh database and an empty
# media folder, then `verify_audit` on what was restored. Refuses a database that already has
# tables or a media folder that has files (RESTORE_FORCE=1 drops and recreates the database and
# empties the folder).
#
#   BACKUP             the backup folder (required)
#   DATABASE_URL       the database to restore into (created if missing)
#   DJANGO_MEDIA_ROOT  the media folder to restore into             [var/media]
# The same secrets as when the backup was made must be in the environment (AUDIT_SIGNING_KEY,
# BALLOT_SEALING_KEY, DJANGO_SECRET_KEY): README, "Backup and restore".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
: "${BACKUP:?set BACKUP to a folder made by make backup}"
DB=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/khenthuong}
MEDIA=${DJANGO_MEDIA_ROOT:-$PWD/var/media}
(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS)

DATABASE_URL=$DB RESTORE_FORCE=${RESTORE_FORCE:-0} $PY - <<'PYEOF'
import os, sys, psycopg
from urllib.parse import urlsplit, urlunsplit
url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
admin = urlunsplit(url._replace(path="/postgres"))
force = os.environ["RESTORE_FORCE"] == "1"
with psycopg.connect(admin, autocommit=True) as conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists and force:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        exists = None
    if not exists:
        conn.execute(f'CREATE DATABASE "{name}"')
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    tables = conn.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    ).fetchone()[0]
if tables:
    sys.exit(f"!! {name} already has {tables} tables: restore into a fresh database "
             "(or RESTORE_FORCE=1 to drop it)")
PYEOF
mkdir -p "$MEDIA"
if [ -n "$(ls -A "$MEDIA")" ]; then
  if [ "${RESTORE_FORCE:-0}" = "1" ]; then find "$MEDIA" -mindepth 1 -delete
  else echo "!! $MEDIA is not empty (RESTORE_FORCE=1 empties it)"; exit 1; fi
fi
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$DB" "$BACKUP/database.dump"
tar -C "$MEDIA" -xzf "$BACKUP/media.tar.gz"
echo "== restored into $DB and $MEDIA; verifying the ledger"
DATABASE_URL=$DB DJANGO_MEDIA_ROOT=$MEDIA $PY manage.py verify_audit
DATABASE_URL=$DB DJANGO_MEDIA_ROOT=$MEDIA $PY ops/verify_documents.py
