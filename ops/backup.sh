#!/usr/bin/env bash
# `make backup`: the database (pg_dump, custom format) and the media files (tar), with their
# SHA-256 sums, into one folder BACKUP_DIR/khenthuong-<UTC time>/; prints the folder.
#
#   DATABASE_URL       the PostgreSQL database   [postgres://postgres@127.0.0.1:5432/khenthuong]
#   DJANGO_MEDIA_ROOT  the documents             [var/media]
#   BACKUP_DIR         where backups go          [var/backups]
#
# The secrets are not in it: keep them beside it, apart (README: "Backup and restore").
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/khenthuong}
MEDIA=${DJANGO_MEDIA_ROOT:-$PWD/var/media}
OUT=${BACKUP_DIR:-$PWD/var/backups}/khenthuong-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
pg_dump --format=custom --no-owner --no-privileges --file "$OUT/database.dump" "$DB"
mkdir -p "$MEDIA"
tar -C "$MEDIA" -czf "$OUT/media.tar.gz" .
(cd "$OUT" && sha256sum database.dump media.tar.gz >SHA256SUMS)
echo "$OUT"
