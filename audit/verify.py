"""Verification of the ledger in the database: the hash chain, the projected columns, the head,
and agreement with the live state of every dossier."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection

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


def _projection_sql() -> str:
    if connection.vendor == "postgresql":
        b = "(body::jsonb)"
        at = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        checks = [
            f"({b}->>'seq')::bigint IS DISTINCT FROM seq",
            f"{b}->>'at' IS DISTINCT FROM {at}",
            *(
                f"{b}->>'{key}' IS DISTINCT FROM {col}"
                for key, col in [
                    ("actor", "actor_name"),
                    ("roles", "roles"),
                    ("organizations", "organizations"),
                    ("action", "action"),
                    ("object_type", "object_type"),
                    ("object_id", "object_id"),
                    ("from_state", "from_state"),
                    ("to_state", "to_state"),
                    ("reason", "reason"),
                    ("request_id", "request_id"),
                    ("client_ip", "client_ip"),
                ]
            ),  # fmt: skip
            *(
                f"({b}->>'{key}')::bigint IS DISTINCT FROM {col}"
                for key, col in [
                    ("actor_id", "actor_id"),
                    ("dossier_id", "dossier_id"),
                    ("version", "version"),
                ]
            ),
        ]
    else:
        at = "replace(at, ' ', 'T') || CASE WHEN length(at) = 19 THEN '.000000' ELSE '' END || 'Z'"
        cols = [
            ("seq", "seq"), ("actor", "actor_name"), ("roles", "roles"),
            ("organizations", "organizations"), ("action", "action"),
            ("object_type", "object_type"), ("object_id", "object_id"),
            ("from_state", "from_state"), ("to_state", "to_state"), ("reason", "reason"),
            ("request_id", "request_id"), ("client_ip", "client_ip"), ("actor_id", "actor_id"),
            ("dossier_id", "dossier_id"), ("version", "version"),
        ]  # fmt: skip
        checks = [f"json_extract(body, '$.{key}') IS NOT {col}" for key, col in cols]
        checks.append(f"json_extract(body, '$.at') IS NOT ({at})")
    return f'SELECT seq FROM "{TABLE}" WHERE {" OR ".join(checks)} ORDER BY seq LIMIT 1'


def _projection() -> int | None:
    """The first event whose searchable columns no longer say what its body says."""
    with connection.cursor() as cursor:
        cursor.execute(_projection_sql())
        row = cursor.fetchone()
    return row[0] if row else None


def _live_state() -> tuple[int | None, str]:
    """Each dossier's state and version must be those its last event left."""
    from dossiers.models import Dossier

    dossiers = Dossier._meta.db_table
    sql = f"""
        SELECT d.id, d.reference, d.state, d.version, e.seq, e.to_state, e.version
        FROM "{dossiers}" d
        LEFT JOIN "{TABLE}" e ON e.seq = (
            SELECT MAX(x.seq) FROM "{TABLE}" x WHERE x.dossier_id = d.id
        )
        WHERE e.seq IS NULL OR e.to_state <> d.state OR e.version <> d.version
        ORDER BY e.seq LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    if row is None:
        return None, ""
    _id, reference, state, version, seq, to_state, ev_version = row
    if seq is None:
        return 0, f"dossier {reference} has no event in the ledger"
    return seq, (
        f"dossier {reference} is {state} v{version} but its last event (seq {seq}) "
        f"left it {to_state} v{ev_version}"
    )


def verify() -> Report:
    """Everything; the report names the first bad sequence number and what is wrong."""
    report = _chain()
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
    bad = _projection()
    if bad is not None:
        return Report(False, report.events, report.head, bad, "columns differ from the body")
    seq, what = _live_state()
    if what:
        return Report(False, report.events, report.head, seq, what)
    return report
