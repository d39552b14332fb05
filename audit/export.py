"""Export the ledger as JSON Lines with a signed head (verifiable by audit/offline.py): streamed
in the request, or, for a ledger longer than AUDIT_EXPORT_INLINE_MAX events, written to a file
on the worker (audit/tasks.py) that the inspector downloads once it is ready."""

from __future__ import annotations

import datetime
import hashlib
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import connection
from django.utils import timezone

from audit.models import GENESIS, LedgerEvent
from audit.offline import canonical, sign_head
from jobs.models import Job
from jobs.services import Outcome, job_create

LEDGER_EXPORT_JOB = "audit.export"
INLINE_MAX_DEFAULT = 50_000

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


def export_file_name(at: datetime.datetime | None = None) -> str:
    """The download's name, stamped in UTC like the events' times."""
    return f"ledger-{(at or timezone.now()).strftime('%Y%m%d-%H%M%S')}.jsonl"


def export_deferred() -> bool:
    """Whether the ledger is too long to stream in the request: its last sequence number (the
    events are numbered from 1 without a gap) against AUDIT_EXPORT_INLINE_MAX."""
    last = LedgerEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return last > int(getattr(settings, "AUDIT_EXPORT_INLINE_MAX", INLINE_MAX_DEFAULT))


def export_queue(*, actor: User) -> Job:
    """A job writing the whole signed export on the worker, for `actor` (an inspector)."""
    return job_create(kind=LEDGER_EXPORT_JOB, task="audit.ledger_export", owner=actor)


def export_work(job: Job) -> Outcome:
    """The job's file: every event and the signed head, written through a temporary file (the
    ledger may be far larger than memory)."""
    handle = tempfile.TemporaryFile()
    for part in export_lines():
        handle.write(part.encode())
    handle.seek(0)
    return Outcome(
        file=File(handle),
        filename=export_file_name(job.created_at),
        content_type="application/x-ndjson",
    )
