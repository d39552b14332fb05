"""psycopg's text arrays, each element's double quotes and backslashes escaped by `bytes.replace`.

On PostgreSQL, Django 5.2 inserts several rows in one statement as an `UNNEST` of one array per
column: every bulk insert of the project (the ledger's events, their history rows, a dossier's
nominees) sends its values as text arrays. psycopg escapes each element with `re.sub` and a
template, which Python 3.11 expands in Python once per match, and a JSON value (an event's body,
a nominee's checks) holds dozens of double quotes: 3.9 ms for one column of 30 nominees' checks,
0.26 ms with `replace`, the same bytes (tests/audit/test_pgarrays.py), inside the transactions that
hold the ledger's head."""

from __future__ import annotations

from psycopg import adapters
from psycopg.types.array import ListDumper


class _Escape:
    """What psycopg's `_re_esc.sub` does with its template: a backslash before each double
    quote and each backslash of the element."""

    @staticmethod
    def sub(_template: bytes, element: bytes) -> bytes:
        return bytes(element).replace(b"\\", b"\\\\").replace(b'"', b'\\"')


class TextArrayDumper(ListDumper):
    _re_esc = _Escape()  # type: ignore[assignment]


def register() -> None:
    """For every connection made afterwards (Django makes its adapters from psycopg's global
    ones when it opens its first connection): before any, from the app's `ready`."""
    adapters.register_dumper(list, TextArrayDumper)
