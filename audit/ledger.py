"""Append to the ledger: one event per domain action, in the same transaction as the change.

    with ledger.recording(actor=user, action="dossier.submit", obj=dossier) as event:
        ...change and save the objects (their history rows carry event.seq)...
        event.to_state = dossier.state

The head row is locked first, so events are numbered without gaps and chained in commit order;
if the block raises, the transaction rolls back and neither the change nor the event remains.
An event costs two queries: the head read under its lock (once per transaction: while the lock
is held nobody else moves it, so the next event of the same transaction takes the head it left)
and the INSERT; a database trigger moves the head to the new event (audit/triggers.py).

Events an action records one after the other, known together, are inserted together: inside
`with ledger.together():` each recording takes its seq as usual and the block's end inserts all
of them in one statement. An upper layer that writes a row with some events (the notification
outbox) registers a `hooks.Companion`: its rows go into the events' INSERT (PostgreSQL: as a
CTE), without the ledger knowing that layer."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import sql
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
    at: datetime.datetime | None = None  # when its block ended (else when it is flushed)


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
) -> Iterator[Entry]:
    """Reserve the next sequence number, run the block, then append its event: at the block's
    end, or with the other events of the `together` block it is in, at that block's end.

    `states` = (from, to, version) for an event that does not change the dossier's state.
    A recording inside another's block is refused (RuntimeError, before anything is written):
    its event would take the higher number, after the outer one it happened inside."""
    with together() as bulk:
        if bulk.recording:
            raise RuntimeError("a ledger.recording block is open: record the event after it")
        entry = Entry(
            seq=bulk.reserve(),
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
        bulk.recording = True
        try:
            yield entry
        finally:
            bulk.recording = False
            context.current_seq.reset(token)
        if obj is not None and not entry.object_id:
            entry.object_id = str(obj.pk)
        if dossier is not None and entry.dossier_id is None:
            entry.dossier_id = dossier.pk
        entry.at = timezone.now()
        bulk.add(entry)


def append(**kwargs) -> None:
    """An event with nothing else to save in its block."""
    with recording(**kwargs):
        pass


@contextmanager
def together() -> Iterator[Bulk]:
    """The events recorded in the block (`recording`, `append`, or `reserve`/`add` on the Bulk
    it yields), inserted together when it ends, still inside it: one INSERT for all of them,
    with the rows their companions write (`hooks.Companion`; in the same statement on
    PostgreSQL). Each takes its seq when it is recorded, so the rows written inside carry it,
    and keeps its own prev_hash and hash. A `together` block inside another is the outer one's.

    The events do not exist before the block ends: nothing inside may read them. A block that
    raises leaves none of them; a savepoint (an atomic block) rolled back inside takes with it
    the events reserved inside it (and the head's lock, if taken inside it, is taken again).
    A savepoint made by hand (`transaction.savepoint()`) is not followed, as Django's on_commit
    does not follow it, and is not detected (its rollback leaves no trace the ledger can see
    that an atomic block's without events inside would not leave too): none may be rolled back
    inside, or its events stay while its rows are gone. No project code makes one."""
    connection = transaction.get_connection()
    with transaction.atomic(savepoint=False):
        bulk = _open(connection)
        if bulk is not None:
            yield bulk
            return
        bulk = Bulk(lazy=True)
        connection._ledger_open = bulk  # type: ignore[attr-defined]
        try:
            yield bulk
        finally:
            connection._ledger_open = None  # type: ignore[attr-defined]
        bulk.flush()


def _open(connection: BaseDatabaseWrapper) -> Bulk | None:
    bulk = getattr(connection, "_ledger_open", None)
    return bulk if bulk is not None and connection.in_atomic_block else None


class _Mark:
    """A no-op on_commit callback, one per reserved seq: Django forgets it when an atomic block
    it was registered in is rolled back, which tells the Bulk that seq's event is gone."""

    __slots__ = ("seq",)

    def __init__(self, seq: int) -> None:
        self.seq = seq

    def __call__(self) -> None:
        pass


class Bulk:
    """Events appended at once: the head is locked once, `reserve()` hands out the next numbers
    (so the rows written alongside can carry their event's seq), and `flush()` hashes the events
    (`body_of`/`chain_hash`, in seq order, each linked to the one before) and inserts them all
    in one statement with their companions' rows, or with the caller's `insert` (e.g. COPY).
    `together()` makes one for a block; by itself (bulk-generated data, `manage.py
    bulk_dossiers`), inside one transaction and outside any `together` block:

        with transaction.atomic():
            bulk = ledger.Bulk()
            seq = bulk.reserve()
            ...write the rows of that event (history rows with ledger_seq=seq)...
            bulk.add(Entry(seq=seq, actor=user, action="create", ...))
            bulk.flush()
    """

    def __init__(self, *, lazy: bool = False) -> None:
        self.connection = transaction.get_connection()
        if _open(self.connection) is not None:
            raise RuntimeError("a ledger.together() block is open: record the events through it")
        self.head: LedgerHead | None = None
        self.next = 0
        self.entries: list[Entry] = []
        self.marks: list[_Mark] = []
        self._callbacks: list | None = None  # the on-commit list the marks were last seen in
        self._facts: dict[object, tuple[str, str, str]] = {}
        self.recording = False  # a `recording` block of this Bulk is open
        if not lazy:
            self._lock()

    def _lock(self) -> LedgerHead:
        """The head, locked: taken at the first event, not before, and again when a savepoint
        was rolled back since (`_held`): PostgreSQL releases a row lock taken inside a
        savepoint rolled back, and another writer may then have moved the head. The numbers
        still reserved then follow the head read again (the lock's savepoint, rolled back,
        took with it every number reserved since: none is left to renumber)."""
        if self.head is not None and _held(self.connection) is self.head:
            return self.head
        self._forget_rolled_back()
        self.head = _lock_head()
        if not self.marks:
            self.next = self.head.seq + 1
        elif self.marks[0].seq != self.head.seq + 1:  # cannot be, see above: refuse, loudly
            raise RuntimeError("the ledger head moved under numbers reserved in this block")
        return self.head

    def reserve(self) -> int:
        self._lock()
        seq, self.next = self.next, self.next + 1
        mark = _Mark(seq)
        transaction.on_commit(mark)
        self.marks.append(mark)
        self._callbacks = self.connection.run_on_commit
        return seq

    def _forget_rolled_back(self) -> None:
        """Drop the seqs reserved inside an atomic block rolled back since (their rows are gone,
        and so must their events be): they are the last ones reserved, whose numbers are
        handed out again."""
        if not self.marks or self.connection.run_on_commit is self._callbacks:
            return  # no savepoint rolled back since the last look
        alive = {id(func) for _sids, func, _robust in self.connection.run_on_commit}
        gone = next((m.seq for m in self.marks if id(m) not in alive), None)
        if gone is not None:
            self.next = gone
            self.marks = [m for m in self.marks if m.seq < gone]
            self.entries = [e for e in self.entries if e.seq < gone]
        self._callbacks = self.connection.run_on_commit

    def add(self, entry: Entry) -> None:
        """The event of a number `reserve()` handed out (ValueError for any other)."""
        self._forget_rolled_back()
        if self.head is None or not self.head.seq < entry.seq < self.next:
            raise ValueError(f"ledger seq {entry.seq} was not reserved: reserve() it first")
        self._facts_of(entry.actor)  # as the actor is when the event is recorded
        self.entries.append(entry)

    def _facts_of(self, actor) -> tuple[str, str, str]:
        key = actor.pk if actor is not None else None
        if key not in self._facts:
            self._facts[key] = _actor_facts(actor)
        return self._facts[key]

    def flush(self, *, insert: Callable[[type, list], None] | None = None) -> int:
        """Insert the events added, in seq order with no gap (every reserved number must have
        its event), and their companions' rows, with `insert(model, rows)` if given (e.g.
        COPY), else in one statement; returns how many. Each event is dated when its
        recording ended (else now), and never before the event numbered before it."""
        self._forget_rolled_back()
        if not (self.marks or self.entries):
            return 0
        head = self._lock()
        entries = sorted(self.entries, key=lambda e: e.seq)
        if [e.seq for e in entries] != list(range(head.seq + 1, self.next)):
            raise ValueError("every reserved sequence number needs exactly one event")
        prev = head.hash or GENESIS
        at = now = timezone.now()  # `at` is the previous event's
        events = []
        for n, entry in enumerate(entries):
            name, roles, orgs = self._facts_of(entry.actor)
            stamp = entry.at or now
            at = max(at, stamp) if n else stamp  # never before the event before it
            event = LedgerEvent(
                seq=entry.seq, at=at, actor=entry.actor, actor_name=name,
                roles=roles, organizations=orgs, action=entry.action,
                object_type=entry.object_type, object_id=entry.object_id,
                dossier_id=entry.dossier_id, from_state=entry.from_state,
                to_state=entry.to_state, version=entry.version, reason=entry.reason,
                request_id=context.request_id.get(), client_ip=context.client_ip.get(),
                prev_hash=prev,
            )  # fmt: skip
            event.body = body_of(event, entry.data)
            event.hash = prev = chain_hash(prev, event.body)
            events.append(event)
        written = [(companion, companion.rows(events)) for companion in hooks.companions]
        if insert is not None:
            insert(LedgerEvent, events)
            for _companion, rows in written:
                if rows:
                    insert(type(rows[0]), rows)
        else:
            _write(self.connection, events, [(c.event_field, rows) for c, rows in written])
        # The trigger has moved the head in the database to the last event.
        _moved(head, events[-1].seq, events[-1].hash)
        # The marks are no longer needed: out of the transaction's on-commit list, in place
        # (the list's identity is how a rolled-back savepoint is noticed, `_held`).
        marks = {id(m) for m in self.marks}
        callbacks = self.connection.run_on_commit
        callbacks[:] = [c for c in callbacks if id(c[1]) not in marks]
        self.entries, self.marks, self._callbacks = [], [], None
        for companion, rows in written:
            if rows:
                companion.written(rows)
        return len(events)


def _insert_sql(
    connection: BaseDatabaseWrapper, model: type[models.Model], rows: list
) -> tuple[str, tuple]:
    """One multi-row INSERT of `rows`, as Django writes it (no RETURNING)."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    query = sql.InsertQuery(model)
    query.insert_values(fields, rows)
    [(text, params)] = query.get_compiler(connection=connection).as_sql()
    return text, tuple(params)


def _write(
    connection: BaseDatabaseWrapper,
    events: list[LedgerEvent],
    companions: list[tuple[str, list[models.Model]]],
) -> None:
    """The events and their companions' rows: on PostgreSQL one statement, the events' INSERT
    and all but the last companion's as data-modifying CTEs (the head's trigger fires once, at
    its end, with every event of the statement); on SQLite one statement for the events, then
    one per companion. Split into batches the backend takes, each with its events' companion
    rows."""
    size = max(1, connection.ops.bulk_batch_size(LedgerEvent._meta.concrete_fields, events))
    with connection.cursor() as cursor:
        for start in range(0, len(events), size):
            batch = events[start : start + size]
            seqs = {event.seq for event in batch}
            statements = [_insert_sql(connection, LedgerEvent, batch)]
            for field, rows in companions:
                mine = [row for row in rows if getattr(row, field) in seqs]
                if mine:
                    statements.append(_insert_sql(connection, type(mine[0]), mine))
            if connection.vendor == "postgresql" and len(statements) > 1:
                *ctes, (last, _params) = statements
                with_ = ", ".join(f"w{i} AS ({text})" for i, (text, _p) in enumerate(ctes))
                params = tuple(p for _text, part in statements for p in part)
                cursor.execute(f"WITH {with_} {last}", params)
            else:
                for text, params in statements:
                    cursor.execute(text, params)
