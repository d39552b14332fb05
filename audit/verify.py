"""Verification of the ledger in the database: the hash chain, the projected columns, the head,
and agreement with the live state of every dossier."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections

from audit import hooks
from audit.models import GENESIS, LedgerEvent, LedgerHead

TABLE = LedgerEvent._meta.db_table
FETCH = 20_000


@dataclass
class Report:
    ok: bool
    events: int
    head: str
    seq: int | None = None  # the first bad sequence number
    problem: str = ""

    def as_dict(self) -> dict:
        data = {"ok": self.ok, "events": self.events, "head": self.head}
        if not self.ok:
            data["first_bad_seq"] = self.seq
            data["problem"] = self.problem
        return data


def _chain() -> Report:
    """Walk every event in order: numbering without gaps, links, and each body's hash."""
    expected, prev = 1, GENESIS
    sha256 = hashlib.sha256
    with connection.chunked_cursor() as cursor:
        cursor.execute(f'SELECT seq, prev_hash, hash, body FROM "{TABLE}" ORDER BY seq')
        while rows := cursor.fetchmany(FETCH):
            for seq, prev_hash, stored, body in rows:
                if seq != expected:
                    what = f"event {expected} is missing" if seq > expected else "duplicate seq"
                    return Report(False, expected - 1, prev, expected, what)
                if prev_hash != prev:
                    return Report(False, seq - 1, prev, seq, "previous-hash link is broken")
                if sha256((prev + body).encode()).hexdigest() != stored:
                    return Report(False, seq - 1, prev, seq, "hash does not match the body")
                prev = stored
                expected += 1
    return Report(True, expected - 1, prev)


# (key in the body, column) pairs the projection check compares, and the SQL type of each key.
PROJECTED = [
    ("seq", "seq", "bigint"), ("actor_id", "actor_id", "bigint"), ("actor", "actor_name", "text"),
    ("roles", "roles", "text"), ("organizations", "organizations", "text"),
    ("action", "action", "text"), ("object_type", "object_type", "text"),
    ("object_id", "object_id", "text"), ("dossier_id", "dossier_id", "bigint"),
    ("from_state", "from_state", "text"), ("to_state", "to_state", "text"),
    ("version", "version", "bigint"), ("reason", "reason", "text"),
    ("request_id", "request_id", "text"), ("client_ip", "client_ip", "text"),
]  # fmt: skip


def _projection_sql() -> str:
    """One parse of each body per row: json_to_record on PostgreSQL, one multi-path
    json_extract compared with a json_array of the columns on SQLite."""
    if connection.vendor == "postgresql":
        record = ", ".join(f"{key} {kind}" for key, _col, kind in PROJECTED)
        checks = [f"j.{key} IS DISTINCT FROM e.{col}" for key, col, _kind in PROJECTED]
        checks.append(
            "j.at IS DISTINCT FROM to_char(e.at AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
        )
        return (
            f'SELECT e.seq FROM "{TABLE}" e, json_to_record(e.body::json) '
            f"AS j({record}, at text) WHERE {' OR '.join(checks)} ORDER BY e.seq LIMIT 1"
        )
    paths = ", ".join(f"'$.{key}'" for key, _col, _kind in PROJECTED)
    columns = ", ".join(col for _key, col, _kind in PROJECTED)
    at = "replace(at, ' ', 'T') || CASE WHEN length(at) = 19 THEN '.000000' ELSE '' END || 'Z'"
    return (
        f"SELECT seq FROM \"{TABLE}\" WHERE json_extract(body, {paths}, '$.at') "
        f"IS NOT json_array({columns}, {at}) ORDER BY seq LIMIT 1"
    )


def _projection() -> int | None:
    """The first event whose searchable columns no longer say what its body says."""
    with connection.cursor() as cursor:
        cursor.execute(_projection_sql())
        row = cursor.fetchone()
    return row[0] if row else None


def _projection_alongside() -> Callable[[], int | None]:
    """Start the column check on its own connection while this thread walks the chain (the
    database parses bodies while Python hashes them); inside a transaction, whose uncommitted
    rows another connection cannot see, run it afterwards instead."""
    if connection.in_atomic_block:
        return _projection
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["seq"] = _projection()
        except Exception as exc:  # re-raised in the caller's thread
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="verify-columns")
    thread.start()

    def join() -> int | None:
        thread.join()
        if "error" in result:
            raise result["error"]  # type: ignore[misc]
        return result["seq"]  # type: ignore[return-value]

    return join


def verify() -> Report:
    """Everything; the report names the first bad sequence number and what is wrong."""
    projection = _projection_alongside()
    report = _chain()
    bad = projection()
    if not report.ok:
        return report
    head = LedgerHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != report.events or head_hash != report.head:
        if head_seq > report.events:
            what = f"events after {report.events} are missing (the head says {head_seq})"
        else:
            what = f"the head (seq {head_seq}) does not match the last event"
        return Report(False, report.events, report.head, report.events + 1, what)
    if bad is not None:
        return Report(False, report.events, report.head, bad, "columns differ from the body")
    for check in hooks.live_checks:  # registered by the apps whose rows the ledger describes
        seq, what = check()
        if what:
            return Report(False, report.events, report.head, seq, what)
    return report
