"""simple-history, linked to the ledger: every history row carries the seq of its event.

On PostgreSQL a tracked model's save() writes its history row in the same statement as the
row: the UPDATE or INSERT Django compiles for the row runs as a data-modifying WITH query of
the history row's INSERT, which simple-history's own `create_historical_record` performs (its
user, reason, date, signals, m2m rows): `WITH "_row" AS (UPDATE … RETURNING …) INSERT INTO
<history> (…) SELECT … FROM "_row"`. The history row exists only if the row was written (an
UPDATE matching nothing writes neither), both commit or roll back together, and post_save then
writes no second one. SQLite has no data-modifying WITH: there, and for raw saves, a skipped or
disabled history, the two statements simple-history always runs."""

import contextvars
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save
from django.db.models.sql import InsertQuery, UpdateQuery
from django.utils import timezone
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from audit import context


class LedgerLinked(models.Model):
    ledger_seq = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True


class _Descriptor(HistoryDescriptor):
    """`Model.history` / `instance.history` with its manager class made once: simple-history
    builds a new class (`from_queryset`, which inspects the queryset's methods) on every access,
    and it reads the attribute once for each history row it writes."""

    @cached_property
    def _manager_class(self) -> type:
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance, owner):
        return self._manager_class(self.model, instance)


# The state of a save of a tracked instance, in its __dict__: set by pre_save when its history
# row may be written with the row (not a raw save), WRITTEN once it has been.
_INLINE = "_history_inline"
_WRITTEN = "written"


@dataclass
class _Row:
    """A tracked row's UPDATE or INSERT (compiled by Django, with a RETURNING clause), to run as
    the WITH query of its history row's INSERT. `returned`: the row's fields the caller needs
    back (an INSERT's db_returning_fields), which the history row copies. `rows`: once run, what
    each written row returned."""

    sql: str
    params: tuple[Any, ...]
    using: str
    history_model: type[models.Model]
    instance: models.Model
    returned: list[models.Field]
    rows: list[tuple[Any, ...]] | None = None


_pending: contextvars.ContextVar[_Row | None] = contextvars.ContextVar(
    "audit_history_pending_row", default=None
)


class History(HistoricalRecords):
    """HistoricalRecords whose rows point at the ledger event that caused them, and which, on
    PostgreSQL, are written in the statement that writes their row (module docstring)."""

    _history_model: type[models.Model]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", [LedgerLinked])
        super().__init__(*args, **kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        found = sender.__dict__.get(self.manager_name)
        if type(found) is HistoryDescriptor:  # this History was just set up on `sender`
            descriptor = _Descriptor(found.model, found.manager_class, found.queryset_class)
            setattr(sender, self.manager_name, descriptor)
            self._install(sender, found.model)

    def _install(self, model: type[models.Model], history_model: type[models.Model]) -> None:
        """The saves of `model` that may write their history row with the row: its
        `_do_update` / `_do_insert` (Django's two hooks of `_save_table`) and the history
        model's `_do_insert`, which runs the row's statement with its own."""
        records, plain_update, plain_insert, history_insert = (
            self,
            model._do_update,
            model._do_insert,
            history_model._do_insert,
        )
        self._history_model = history_model

        def _do_update(instance, base_qs, using, pk_val, values, update_fields, forced_update):
            if values and records._inline(instance, using, forced_update):
                return records._update(instance, base_qs, using, pk_val, values)
            return plain_update(
                instance, base_qs, using, pk_val, values, update_fields, forced_update
            )

        def _do_insert(instance, manager, using, fields, returning_fields, raw):
            if (
                not raw
                and records._inline(instance, using, True)
                and records._keeps(returning_fields)
            ):
                return records._insert(instance, manager, using, fields, returning_fields)
            return plain_insert(instance, manager, using, fields, returning_fields, raw)

        def _history_do_insert(row, manager, using, fields, returning_fields, raw):
            pending = _pending.get()
            if (
                pending is None
                or type(row) is not pending.history_model
                or pending.rows is not None
            ):
                return history_insert(row, manager, using, fields, returning_fields, raw)
            return _write(pending, row, manager, using, fields, returning_fields)

        pre_save.connect(_saving, sender=model, weak=False, dispatch_uid=f"audit.history.{model}")
        model._do_update = _do_update  # type: ignore[method-assign]
        model._do_insert = _do_insert  # type: ignore[method-assign]
        history_model._do_insert = _history_do_insert  # type: ignore[method-assign]

    def _inline(self, instance: models.Model, using: str, forced_update: Any) -> bool:
        """Whether this save writes its history row with the row: on PostgreSQL, a save
        simple-history records (post_save would), of the tracked model itself (no parent
        table, no proxy), whose history goes to the same database."""
        if instance.__dict__.get(_INLINE) is not True:
            return False
        meta = instance._meta
        return (
            connections[using].vendor == "postgresql"
            and type(instance) is self.cls
            and not meta.parents
            and (forced_update or not meta.select_on_save)
            and getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
            and not hasattr(instance, "skip_history_when_saving")
            and (self.use_base_model_db or router.db_for_write(self._history_model) == using)
        )

    def _update(self, instance, base_qs, using, pk_val, values) -> bool:
        """Django's UPDATE of the row (`Model._do_update`'s `filtered._update(values)`), run with
        the history row's INSERT: whether it matched the row."""
        query = base_qs.filter(pk=pk_val).query.chain(UpdateQuery)
        query.add_update_fields(values)
        query.annotations = {}
        sql, params = query.get_compiler(using).as_sql()
        pk = instance._meta.pk
        returning, _ = connections[using].ops.return_insert_columns([pk])
        row = _Row(f"{sql} {returning}", params, using, self._history_model, instance, [])
        return bool(self._record(row, "~"))

    def _keeps(self, returning_fields: list[models.Field]) -> bool:
        """Whether the history keeps each value an INSERT of the row returns (its pk): the
        history row copies them from the row's INSERT."""
        kept = {f.attname for f in self._history_model._meta.concrete_fields}
        return all(f.attname in kept for f in returning_fields)

    def _insert(self, instance, manager, using, fields, returning_fields) -> list[Any]:
        """Django's INSERT of the row (`Model._do_insert`'s `manager._insert`), run with the
        history row's INSERT, which copies the values the row's INSERT returns (its pk)."""
        query = InsertQuery(manager.model)
        query.insert_values(fields, [instance])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning_fields or [instance._meta.pk]
        # as_sql() calls each field's pre_save (auto_now…) before the history row reads them.
        [(sql, params)] = compiler.as_sql()
        row = _Row(sql, params, using, self._history_model, instance, list(returning_fields))
        rows = self._record(row, "+")
        return rows if returning_fields else []

    def _record(self, row: _Row, history_type: str) -> list[tuple[Any, ...]]:
        """simple-history's own history row of `row.instance` (`create_historical_record`: its
        user, reason, date, pre_create_historical_record, which sets the ledger seq, m2m rows,
        post_create_historical_record), whose INSERT runs `row` as its WITH query; what the
        row's statement returned. Unlike simple-history's own path, its two signals are sent
        before the row's statement runs (a receiver sees no pk on a creation, the old row on an
        update), and an UPDATE matching no row writes no history row though they were sent:
        only `_stamp` (which sets the ledger seq) may listen, which
        tests/audit/test_history_inline.py holds; simple-history also looks for m2m rows (a
        missing row has none)."""
        token = _pending.set(row)
        try:
            self.create_historical_record(row.instance, history_type, using=row.using)
        finally:
            _pending.reset(token)
        if row.rows is None:
            raise RuntimeError(f"{self._history_model.__name__}: the history row was not saved")
        if row.rows:
            row.instance.__dict__[_INLINE] = _WRITTEN
        return row.rows

    def post_save(self, instance, created, using=None, **kwargs):
        if instance.__dict__.pop(_INLINE, None) == _WRITTEN:
            return  # written with the row
        super().post_save(instance, created, using=using, **kwargs)


def _saving(sender, instance, raw=False, **kwargs) -> None:
    """A new save of `instance` starts: its history row may be written with the row unless it
    is a raw save (fixtures: simple-history records none); whatever an earlier save left (one
    that raised before post_save) is forgotten."""
    if raw:
        instance.__dict__.pop(_INLINE, None)
    else:
        instance.__dict__[_INLINE] = True


def _write(pending: _Row, history, manager, using, fields, returning_fields) -> list[Any]:
    """The INSERT of the history row `history`, selecting from `pending`'s statement, run as its
    WITH query: one history row per row that statement wrote, with the values it returned (the
    pk of an inserted row) taken from it."""
    if using != pending.using:
        raise RuntimeError("a history row and its row in two databases")
    meta = manager.model._meta
    returned = {f.attname: f.column for f in pending.returned}
    compiled = _compiled(history, [f for f in fields if f.attname not in returned], using)
    columns = [
        (meta.get_field(attname), _row_column(using, column), ())
        for attname, column in returned.items()
    ]
    copies = [meta.get_field(f.attname) for f in pending.returned]
    rows = _run(
        using,
        pending.sql,
        pending.params,
        manager.model,
        [*compiled, *columns],
        [*returning_fields, *copies],
    )
    split = len(returning_fields)
    pending.rows = [r[split:] for r in rows]
    if rows:
        # The row's returned values, on the instance before simple-history reads its m2m rows
        # and on the history row (Django sets the instance's again from what _do_insert returns).
        for field, copy, value in zip(pending.returned, copies, rows[0][split:], strict=True):
            setattr(pending.instance, field.attname, value)
            setattr(history, copy.attname, value)
    return [r[:split] for r in rows]


_Column = tuple[models.Field, str, "tuple[Any, ...] | list[Any]"]


def _compiled(history: models.Model, fields: list[models.Field], using: str) -> list[_Column]:
    """Each field of `history` as Django's INSERT of it would write it: its placeholder (or SQL)
    and its parameters."""
    query = InsertQuery(type(history))
    query.insert_values(fields, [history])
    compiler = query.get_compiler(using=using)
    compiled: list[_Column] = []
    for field in fields:
        value = compiler.prepare_value(field, compiler.pre_save_val(field, history))
        sql, params = compiler.field_as_sql(field, getattr(field, "get_placeholder", None), value)
        compiled.append((field, sql, params))
    return compiled


def _row_column(using: str, column: str) -> str:
    return f'"_row".{connections[using].ops.quote_name(column)}'


def _run(
    using: str,
    row_sql: str,
    row_params: Any,
    history_model: type[models.Model],
    columns: list[_Column],
    returning: list[models.Field],
) -> list[tuple[Any, ...]]:
    """`WITH "_row" AS (<row_sql>) INSERT INTO <history> (<columns>) SELECT <their SQL> FROM
    "_row" RETURNING <returning>`: one history row per row the WITH query wrote (it returns
    them); the rows RETURNING gives, converted as Django converts an INSERT's."""
    connection = connections[using]
    qn = connection.ops.quote_name
    table = history_model._meta.db_table
    returning_sql, returning_params = connection.ops.return_insert_columns(returning)
    sql = (
        f'WITH "_row" AS ({row_sql}) '
        f"INSERT INTO {qn(table)} ({', '.join(qn(f.column) for f, _sql, _p in columns)}) "
        f'SELECT {", ".join(sql for _f, sql, _p in columns)} FROM "_row" {returning_sql}'
    )
    params = [*row_params, *(p for _f, _sql, ps in columns for p in ps), *returning_params]
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            return [()] * cursor.rowcount
        rows = cursor.fetchall()
    compiler = InsertQuery(history_model).get_compiler(using=using)
    converters = compiler.get_converters([f.get_col(table) for f in returning])
    if converters:
        rows = list(compiler.apply_converters(rows, converters))
    return [tuple(r) for r in rows]


def author(instance: models.Model, user: Any, reason: str) -> None:
    """Who makes the change the next save() or delete() of `instance` writes to its history, and
    why. simple-history reads these two attributes of the instance; they are not fields."""
    instance._history_user = user  # type: ignore[attr-defined]  # read by simple-history
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def change_reason(instance: models.Model, reason: str) -> None:
    """Why, for a change whose author simple-history takes from the request."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


# Rows written in bulk (bulk_create, bulk_update, update: no signal) and their history rows,
# as `author` and a save() of each would write them. On PostgreSQL each statement writing rows
# writes their history rows too, copied from the rows it returns (`_Recorded`); elsewhere the
# history rows follow in one insert (`_saved`).


@dataclass
class _Bulk:
    """The history rows' own values: who, why, '+' or '~', and each row's ledger seq
    (`seqs`: by row, for rows being inserted) or the seq of the event being recorded."""

    actor: Any
    reason: str
    history_type: str
    seqs: dict[int, int] | None = None


class _Recorded(models.QuerySet):
    """A queryset whose INSERTs (bulk_create) and UPDATEs (update, bulk_update) are the WITH
    query of their rows' history rows' INSERT."""

    bulk: _Bulk

    def _clone(self):
        clone = super()._clone()
        clone.bulk = self.bulk
        return clone

    def _insert(self, objs, fields, returning_fields=None, raw=False, using=None, **kwargs):
        using = using or self.db
        query = InsertQuery(self.model, **kwargs)
        query.insert_values(fields, objs, raw=raw)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = _tracked(self.model)
        [(sql, params)] = compiler.as_sql()
        seqs = None
        if self.bulk.seqs is not None:
            seqs = [self.bulk.seqs[id(obj)] for obj in objs]
        history_model = self.model.history.model
        copies = [history_model._meta.get_field(f.attname) for f in returning_fields or ()]
        rows = _run(using, sql, params, history_model, self._columns(seqs), copies)
        return rows if returning_fields else []

    def update(self, **kwargs):
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        self._for_write = True
        query = self.query.chain(UpdateQuery)
        query.add_update_values(kwargs)
        query.annotations = {}
        compiler = query.get_compiler(self.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return 0
        if query.related_updates or not sql:
            raise NotImplementedError("an update of parent tables with history")
        returning, _ = connections[self.db].ops.return_insert_columns(_tracked(self.model))
        return len(
            _run(
                self.db,
                f"{sql} {returning}",
                params,
                self.model.history.model,
                self._columns(None),
                [],
            )
        )

    def _columns(self, seqs: list[int] | None) -> list[_Column]:
        """The history columns: the tracked ones from the rows written, the history's own from
        `self.bulk` (and the rows' seqs, in the order the rows are written)."""
        history_model = self.model.history.model
        tracked = {f.attname for f in _tracked(self.model)}
        own = [
            f
            for f in history_model._meta.concrete_fields
            if f.attname not in tracked and f is not history_model._meta.auto_field
        ]
        history = history_model(
            history_date=timezone.now(),
            history_user=self.bulk.actor,
            history_change_reason=self.bulk.reason,
            history_type=self.bulk.history_type,
            ledger_seq=context.current_seq.get(),
        )
        columns = [
            (history_model._meta.get_field(attname), _row_column(self.db, column), ())
            for attname, column in ((f.attname, f.column) for f in _tracked(self.model))
        ]
        for field, sql, params in _compiled(history, own, self.db):
            if field.attname == "ledger_seq" and seqs is not None:
                # the n-th row written, in the order Django's bulk_create relies on too
                sql, params = "(%s::bigint[])[row_number() OVER ()]", [seqs]
            columns.append((field, sql, params))
        return columns


def _tracked(model: type[models.Model]) -> list[models.Field]:
    """The fields of `model` its history keeps."""
    kept = {f.attname for f in model.history.model._meta.concrete_fields}
    return [f for f in model._meta.concrete_fields if f.attname in kept]


def _recorded(model: type[models.Model], bulk: _Bulk) -> models.QuerySet | None:
    """`model`'s rows as a `_Recorded` queryset on PostgreSQL; None where the history rows
    follow in their own insert."""
    using = router.db_for_write(model)
    if connections[using].vendor != "postgresql" or not getattr(
        settings, "SIMPLE_HISTORY_ENABLED", True
    ):
        return None
    queryset = _Recorded(model, using=using)
    queryset.bulk = bulk
    return queryset


def bulk_create(rows: list[Any], *, actor: Any, reason: str, seqs: list[int] | None = None) -> None:
    """Insert `rows` (bulk_create) with their history rows: each under its event's seq
    (`seqs`), else under the event being recorded."""
    if not rows:
        return
    model = type(rows[0])
    by_row = None if seqs is None else {id(r): s for r, s in zip(rows, seqs, strict=True)}
    queryset = _recorded(model, _Bulk(actor, reason, "+", by_row))
    if queryset is None:
        model._default_manager.bulk_create(rows)
        _saved(rows, actor=actor, reason=reason, seqs=seqs, created=True)
    else:
        queryset.bulk_create(rows)


def bulk_create_unrecorded(rows: list[Any]) -> None:
    """Insert `rows` (bulk_create) without their history rows, which `inserted` writes later in
    the same transaction, before anything else changes them, under their events: for rows
    inserted before the transaction's first event (dossiers.registry.Unrecorded)."""
    if rows:
        model = type(rows[0])
        model._default_manager.bulk_create(rows)


def inserted(rows: list[Any], *, actor: Any, reason: str, seqs: list[int]) -> None:
    """The history rows of `rows` (`bulk_create_unrecorded`), each under its event's seq, in one
    insert."""
    if rows:
        _saved(rows, actor=actor, reason=reason, seqs=seqs, created=True)


def bulk_update(rows: list[Any], fields: list[str], *, actor: Any, reason: str) -> None:
    """Update `fields` of `rows` (bulk_update) with their history rows."""
    if not rows:
        return
    model = type(rows[0])
    queryset = _recorded(model, _Bulk(actor, reason, "~"))
    if queryset is None:
        model._default_manager.bulk_update(rows, fields)
        _saved(rows, actor=actor, reason=reason, created=False)
    else:
        queryset.bulk_update(rows, fields)


def update(rows: list[Any], *, actor: Any, reason: str, **values: Any) -> None:
    """Set `values` on the rows of `rows` (their instances already carry them) in one UPDATE,
    with their history rows."""
    if not rows:
        return
    model = type(rows[0])
    pks = [row.pk for row in rows]
    queryset = _recorded(model, _Bulk(actor, reason, "~"))
    if queryset is None:
        model._default_manager.filter(pk__in=pks).update(**values)
        _saved(rows, actor=actor, reason=reason, created=False)
    else:
        queryset.filter(pk__in=pks).update(**values)


def _saved(
    rows: list[Any], *, actor: Any, reason: str, seqs: list[int] | None = None, created: bool
) -> None:
    """The history rows of `rows` just inserted (`created`) or updated in bulk, in one insert."""
    model = type(rows[0]).history.model
    now = timezone.now()
    if seqs is None:
        seqs = [context.current_seq.get()] * len(rows)
    model.objects.bulk_create(
        [
            model(
                history_date=now,
                history_user=actor,
                history_change_reason=reason,
                history_type="+" if created else "~",
                ledger_seq=seq,
                **{f.attname: getattr(row, f.attname) for f in model.tracked_fields},
            )
            for row, seq in zip(rows, seqs, strict=True)
        ]
    )


def _stamp(sender, history_instance, **kwargs) -> None:
    if hasattr(history_instance, "ledger_seq"):
        history_instance.ledger_seq = context.current_seq.get()


def connect() -> None:
    pre_create_historical_record.connect(_stamp, dispatch_uid="audit.history.stamp")
