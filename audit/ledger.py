"""Append to the ledger: one event per domain action, in the same transaction as the change.

    with ledger.recording(actor=user, action="dossier.submit", obj=dossier) as event:
        ...change and save the objects (their history rows carry event.seq)...
        event.to_state = dossier.state

The head row is locked first, so events are numbered without gaps and chained in commit order;
if the block raises, the transaction rolls back and neither the change nor the event remains.
An event costs two queries: the head read under its lock (once per transaction: while the lock
is held nobody else moves it, so the next event of the same transaction takes the head it left)
and the INSERT; a database trigger moves the head to the new event (audit/triggers.py)."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from audit import context, hooks
from audit.models import GENESIS, LedgerEvent, LedgerHead


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Entry:
    seq: int
    actor: Any
    action: str
    object_type: str
    object_id: str
    dossier_id: int | None = None
    from_state: str = ""
    to_state: str = ""
    version: int | None = None
    reason: str = ""
    data: dict = field(default_factory=dict)


def _actor_facts(actor) -> tuple[str, str, str]:
    if actor is None:
        return "", "", ""
    pairs = sorted(hooks.roles_of(actor), key=lambda p: (p[0], p[1] or ""))
    roles = ",".join(f"{r}@{o}" if o else r for r, o in pairs)
    if actor.is_superuser:
        roles = ",".join(filter(None, ["superuser", roles]))
    orgs = ",".join(sorted({o for _, o in pairs if o}))
    return actor.get_username(), roles[:500], orgs[:500]


def body_of(event: LedgerEvent, data: dict) -> str:
    return canonical(
        {
            "seq": event.seq,
            "at": utc(event.at),
            "actor_id": event.actor_id,
            "actor": event.actor_name,
            "roles": event.roles,
            "organizations": event.organizations,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "dossier_id": event.dossier_id,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "version": event.version,
            "reason": event.reason,
            "request_id": event.request_id,
            "client_ip": event.client_ip,
            "data": data,
        }
    )


def _lock_head() -> LedgerHead:
    """The head, locked for this transaction. Read once per transaction: while this transaction
    holds the lock nobody else moves the head, so a second event takes the head the first one
    left (`_moved`), unless a savepoint was rolled back since (`_held`)."""
    connection = transaction.get_connection()
    head = _held(connection)
    if head is not None:
        return head
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # first event ever: create the head, whoever else is trying too
        LedgerHead.objects.bulk_create([LedgerHead(pk=1)], ignore_conflicts=True)
        head = LedgerHead.objects.select_for_update().get(pk=1)
    _hold(connection, head)
    return head


def _hold(connection: BaseDatabaseWrapper, head: LedgerHead) -> None:
    """Remember the head as this transaction holds it now, with the transaction's list of
    on-commit callbacks: Django replaces that list when the transaction commits or rolls back
    and when any savepoint is rolled back, the only ways the head in the database can differ
    from the one remembered (then it is read again)."""
    connection._ledger_head = (head, connection.run_on_commit)  # type: ignore[attr-defined]


def _held(connection: BaseDatabaseWrapper) -> LedgerHead | None:
    held = getattr(connection, "_ledger_head", None)
    if held is None or not connection.in_atomic_block or held[1] is not connection.run_on_commit:
        return None
    return held[0]


def _moved(head: LedgerHead, seq: int, hash_: str) -> None:
    """The trigger has moved the head in the database to the event just inserted."""
    head.seq, head.hash = seq, hash_
    _hold(transaction.get_connection(), head)


@contextmanager
def recording(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    dossier=None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    states: tuple[str, str, int | None] | None = None,
):
    """Reserve the next sequence number, run the block, then append its event.

    `states` = (from, to, version) for an event that does not change the dossier's state."""
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        entry = Entry(
            seq=head.seq + 1,
            actor=actor,
            action=action,
            object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
            object_id=str(object_id or (obj.pk if obj is not None and obj.pk else "")),
            dossier_id=dossier.pk if dossier is not None else None,
            reason=reason,
            data=dict(data or {}),
        )
        if states:
            entry.from_state, entry.to_state, entry.version = states
        token = context.current_seq.set(entry.seq)
        try:
            yield entry
        finally:
            context.current_seq.reset(token)
        if obj is not None and not entry.object_id:
            entry.object_id = str(obj.pk)
        if dossier is not None and entry.dossier_id is None:
            entry.dossier_id = dossier.pk
        _append(head, entry)


def append(**kwargs) -> None:
    """An event with nothing else to save in its block."""
    with recording(**kwargs):
        pass


def _append(head: LedgerHead, entry: Entry) -> LedgerEvent:
    name, roles, orgs = _actor_facts(entry.actor)
    event = LedgerEvent(
        seq=entry.seq,
        at=timezone.now(),
        actor=entry.actor,
        actor_name=name,
        roles=roles,
        organizations=orgs,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        dossier_id=entry.dossier_id,
        from_state=entry.from_state,
        to_state=entry.to_state,
        version=entry.version,
        reason=entry.reason,
        request_id=context.request_id.get(),
        client_ip=context.client_ip.get(),
        prev_hash=head.hash or GENESIS,
    )
    event.body = body_of(event, entry.data)
    event.hash = chain_hash(event.prev_hash, event.body)
    event.save(force_insert=True)
    _moved(head, event.seq, event.hash)
    return event


class Bulk:
    """Many events appended at once, for bulk-generated data (`manage.py bulk_dossiers`): the
    head is locked once, `reserve()` hands out the next numbers (so the rows written alongside
    can carry their event's seq), and `flush()` hashes the events with `body_of`/`chain_hash`,
    the same as `recording`, and inserts them all at once (bulk_create, or the caller's COPY).
    Use inside one transaction:

        with transaction.atomic():
            bulk = ledger.Bulk()
            seq = bulk.reserve()
            ...write the rows of that event (history rows with ledger_seq=seq)...
            bulk.add(Entry(seq=seq, actor=user, action="create", ...))
            bulk.flush()
    """

    def __init__(self) -> None:
        self.head = _lock_head()
        self.next = self.head.seq + 1
        self.entries: list[Entry] = []
        self._facts: dict[object, tuple[str, str, str]] = {}

    def reserve(self) -> int:
        seq, self.next = self.next, self.next + 1
        return seq

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def _facts_of(self, actor) -> tuple[str, str, str]:
        key = actor.pk if actor is not None else None
        if key not in self._facts:
            self._facts[key] = _actor_facts(actor)
        return self._facts[key]

    def flush(self, *, insert: Callable[[type, list], None] | None = None) -> int:
        """Insert the events added, in seq order with no gap (every reserved number must have
        its event), with `insert(model, rows)` if given (e.g. COPY), else bulk_create;
        returns how many."""
        entries = sorted(self.entries, key=lambda e: e.seq)
        if [e.seq for e in entries] != list(range(self.head.seq + 1, self.next)):
            raise ValueError("every reserved sequence number needs exactly one event")
        prev = self.head.hash or GENESIS
        now = timezone.now()
        events = []
        for entry in entries:
            name, roles, orgs = self._facts_of(entry.actor)
            event = LedgerEvent(
                seq=entry.seq, at=now, actor=entry.actor, actor_name=name, roles=roles,
                organizations=orgs, action=entry.action, object_type=entry.object_type,
                object_id=entry.object_id, dossier_id=entry.dossier_id,
                from_state=entry.from_state, to_state=entry.to_state, version=entry.version,
                reason=entry.reason, request_id=context.request_id.get(),
                client_ip=context.client_ip.get(), prev_hash=prev,
            )  # fmt: skip
            event.body = body_of(event, entry.data)
            event.hash = prev = chain_hash(prev, event.body)
            events.append(event)
        if insert is not None:
            insert(LedgerEvent, events)
        else:
            LedgerEvent.objects.bulk_create(events, batch_size=2000)
        if events:  # the trigger has moved the head in the database
            _moved(self.head, events[-1].seq, events[-1].hash)
        self.entries = []
        return len(events)
