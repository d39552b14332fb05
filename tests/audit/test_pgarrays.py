"""The text arrays' faster escaping writes the bytes psycopg's own does."""

import json

import pytest
from django.db import connection
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.array import ListDumper
from psycopg.types.json import Jsonb

from audit.pgarrays import TextArrayDumper

VALUES = [
    ["plain", "", "NULL", "null", "with space", 'quote " inside', "back\\slash", '\\"', "{a,b}"],
    ["Nguyễn Thị Hồng", "Hoàn thành xuất sắc nhiệm vụ năm", "\u3000 wide space", None, "tab\tnl\n"],
    [[1, 2], [3, None]],
    [["a\\b", 'c"d'], ["", None]],
    [Jsonb({"code": "service_years", "detail": 'say "no" \\ twice', "ok": True})] * 3,
    [1, -2, 3_000_000_000],
    [],
    [None, None],
]


def _dump(cls: type[ListDumper], value: list) -> bytes:
    transformer = Transformer()
    dumper = cls(list, transformer).upgrade(value, PyFormat.TEXT)
    return bytes(dumper.dump(value))


@pytest.mark.parametrize("value", VALUES)
def test_same_bytes_as_psycopg(value):
    assert _dump(TextArrayDumper, value) == _dump(ListDumper, value)


@pytest.mark.django_db
def test_used_by_the_connection_and_read_back():
    """Registered for Django's connections; a JSON value with quotes and backslashes sent in a
    bulk insert's arrays (Django's UNNEST on PostgreSQL) is read back as it was."""
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's arrays: PostgreSQL only")
    connection.ensure_connection()
    dumper = connection.connection.adapters.get_dumper(list, PyFormat.TEXT)
    assert dumper is TextArrayDumper
    checks = [{"code": "x", "message": 'He said "đủ" \\ and {left}'}]
    with connection.cursor() as cursor:
        cursor.execute("SELECT (UNNEST(%s::jsonb[]))::text", [[Jsonb(checks), Jsonb([])]])
        rows = [r[0] for r in cursor.fetchall()]
    assert [json.loads(r) for r in rows] == [checks, []]
