"""SQL aggregates the ORM lacks, with one form per backend (PostgreSQL, SQLite)."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, JSONField
from django.db.models.sql.compiler import SQLCompiler


class JSONRows(Aggregate):
    """The rows' values of `expressions` as one JSON array of arrays, one array a row, in no
    given order (NULL for no row): several rows read as one value of another query's row (a
    subquery). Dates come back as ISO strings, booleans as true/false (PostgreSQL) or 1/0
    (SQLite)."""

    function = "JSONB_AGG"  # jsonb: read as text and decoded by the JSONField, as a column is
    template = "%(function)s(JSONB_BUILD_ARRAY(%(expressions)s))"
    output_field = JSONField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        return super().as_sql(
            compiler,
            connection,
            function="JSON_GROUP_ARRAY",
            template="%(function)s(JSON_ARRAY(%(expressions)s))",
            **extra,
        )
