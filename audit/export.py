"""Export the ledger as JSON Lines with a signed head (verifiable by audit/offline.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.models import GENESIS, LedgerEvent
from audit.offline import canonical, sign_head

TABLE = LedgerEvent._meta.db_table


def signing_key() -> str:
    return (
        settings.AUDIT_SIGNING_KEY
        or hashlib.sha256(f"audit-export:{settings.SECRET_KEY}".encode()).hexdigest()
    )


def export_lines() -> Iterator[str]:
    """Every event in order, then the head signed with the audit signing key.

    Run it in one transaction (REPEATABLE READ on PostgreSQL) so the head matches the lines."""
    count, last = 0, GENESIS
    with connection.chunked_cursor() as cursor:
        cursor.execute(f'SELECT seq, prev_hash, hash, body FROM "{TABLE}" ORDER BY seq')
        while rows := cursor.fetchmany(20_000):
            for seq, prev_hash, digest, body in rows:
                count, last = seq, digest
                yield canonical({"seq": seq, "prev_hash": prev_hash, "hash": digest, "body": body})
                yield "\n"
    head = {
        "seq": count,
        "hash": last,
        "events": count,
        "exported_at": timezone.now().isoformat(),
    }
    yield canonical({"head": head, "signature": sign_head(head, signing_key())}) + "\n"
