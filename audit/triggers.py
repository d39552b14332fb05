"""Append-only in the database: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)
on the ledger and on every history table. The application cannot switch them off: it has no
setting for it; only a database owner can drop a trigger (see README, database roles).

One more trigger moves the ledger's head (`LedgerHead`: seq and hash of the last event) to the
last event inserted, so an append is the head's read under its lock and the INSERT
(audit/ledger.py); on PostgreSQL once per statement (a multi-row INSERT, the events' INSERT in a
CTE with their outbox rows, or a COPY of many events moves it once, to the highest seq), on
SQLite per row (the rows in seq order, so it ends at the last)."""

from django.apps import apps
from django.db import connections

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;
"""

PG_MOVE_HEAD = """
CREATE OR REPLACE FUNCTION audit_move_head() RETURNS trigger AS $$
BEGIN
    UPDATE "{head}" SET seq = last.seq, hash = last.hash
    FROM (SELECT seq, hash FROM audit_new_events ORDER BY seq DESC LIMIT 1) AS last
    WHERE "{head}".id = 1 AND "{head}".seq < last.seq;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def head_statements(vendor: str) -> list[str]:
    """The trigger moving the head to the last event inserted (dropped and made again, so a
    changed definition replaces the old one)."""
    from audit.models import LedgerEvent, LedgerHead

    events, head = LedgerEvent._meta.db_table, LedgerHead._meta.db_table
    if vendor == "postgresql":
        return [
            PG_MOVE_HEAD.format(head=head),
            f'DROP TRIGGER IF EXISTS audit_move_head ON "{events}"',
            f'CREATE TRIGGER audit_move_head AFTER INSERT ON "{events}" '
            "REFERENCING NEW TABLE AS audit_new_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_move_head()",
        ]
    if vendor == "sqlite":
        return [
            'DROP TRIGGER IF EXISTS "audit_move_head"',
            f'CREATE TRIGGER "audit_move_head" AFTER INSERT ON "{events}" '
            f'BEGIN UPDATE "{head}" SET seq = NEW.seq, hash = NEW.hash '
            "WHERE id = 1 AND seq < NEW.seq; END",
        ]
    return []


def protected_tables() -> list[str]:
    from audit.models import LedgerEvent

    tables = [LedgerEvent._meta.db_table]
    for model in apps.get_models():
        if model.__name__.startswith("Historical") and hasattr(model, "history_id"):
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def statements(vendor: str, tables: list[str]) -> list[str]:
    sql = []
    if vendor == "postgresql":
        sql.append(PG_FUNCTION)
        for table in tables:
            sql += [
                f'DROP TRIGGER IF EXISTS audit_append_only ON "{table}"',
                f'CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
                f'DROP TRIGGER IF EXISTS audit_no_truncate ON "{table}"',
                f'CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
            ]
    elif vendor == "sqlite":
        for table in tables:
            for op in ("UPDATE", "DELETE"):
                name = f"{table}_no_{op.lower()}"
                sql.append(
                    f'CREATE TRIGGER IF NOT EXISTS "{name}" BEFORE {op} ON "{table}" '
                    f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END"
                )
    return sql


def install(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: (re)install the triggers on every protected table. Idempotent."""
    if sender is not None and sender.label != "audit":
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        for statement in statements(connection.vendor, protected_tables()):
            cursor.execute(statement)
        for statement in head_statements(connection.vendor):
            cursor.execute(statement)
