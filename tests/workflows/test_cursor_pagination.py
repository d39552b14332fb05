"""`?cursor=` keyset pagination of the dossier list beside `?page=` and `count`: a walk hands
out every row once, in the list's order, at a constant number of queries per page."""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from api.pagination import CURSOR_INVALID
from demo import bulk

pytestmark = pytest.mark.django_db
LIST = "/api/v1/dossiers/"


def _walk(client, query: str) -> tuple[list[dict], list[int], set]:
    """Every page of a cursor walk: the rows, the queries of each page, the counts seen."""
    rows, queries, counts = [], [], set()
    cursor = ""
    while True:
        with CaptureQueriesContext(connection) as context:
            answer = client.get(f"{LIST}?{query}&cursor={cursor}")
        assert answer.status_code == 200, answer.content
        body = answer.json()
        rows += body["results"]
        queries.append(len(context.captured_queries))
        counts.add(body["count"])
        assert body["previous"] is None
        if body["next_cursor"] is None:
            assert body["next"] is None
            return rows, queries, counts
        assert f"cursor={body['next_cursor']}" in body["next"]
        cursor = body["next_cursor"]


@pytest.mark.parametrize(
    "ordering",
    ["", "ordering=-due", "ordering=due", "ordering=organization", "ordering=-title,year"],
)
def test_a_cursor_walk_gives_every_row_once_in_the_lists_order(api, ordering):
    bulk.generate(60)
    client = api("inspector")
    query = f"page_size=7&{ordering}"
    expected = []
    page = 1
    while True:
        answer = client.get(f"{LIST}?{query}&page={page}").json()
        expected += [row["id"] for row in answer["results"]]
        if answer["next"] is None:
            break
        page += 1
    rows, queries, counts = _walk(client, query)
    assert [row["id"] for row in rows] == expected
    assert len(set(expected)) == len(expected) == counts.pop() > 100
    assert not counts
    assert len(set(queries[1:-1])) <= 1 and max(queries) == queries[0]


def test_a_cursor_walk_keeps_the_filters(api):
    bulk.generate(60)
    client = api("board-officer")
    rows, _queries, counts = _walk(client, "state=intake&page_size=5")
    assert rows and {row["state"] for row in rows} == {"intake"}
    assert counts == {len(rows)}
    assert len({row["id"] for row in rows}) == len(rows)


def test_later_pages_carry_the_count_instead_of_counting_again(api):
    bulk.generate(30)
    client = api("inspector")
    first = client.get(f"{LIST}?page_size=5&cursor=").json()
    with CaptureQueriesContext(connection) as first_page:
        client.get(f"{LIST}?page_size=5&cursor=")
    with CaptureQueriesContext(connection) as later_page:
        later = client.get(f"{LIST}?page_size=5&cursor={first['next_cursor']}").json()
    assert later["count"] == first["count"]
    counts = [q for q in first_page.captured_queries if "COUNT(*)" in q["sql"]]
    assert counts and not [q for q in later_page.captured_queries if "COUNT(*)" in q["sql"]]


def test_a_page_carries_the_cursor_of_the_next(api):
    client = api("inspector")
    first = client.get(f"{LIST}?page_size=3").json()
    by_cursor = client.get(f"{LIST}?page_size=3&cursor={first['next_cursor']}").json()
    second = client.get(f"{LIST}?page_size=3&page=2").json()
    assert [r["id"] for r in by_cursor["results"]] == [r["id"] for r in second["results"]]
    assert by_cursor["count"] == first["count"]


def _token(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        "%00",
        "abc",
        _token({"id": 5}),
        _token([1, 2]),
        _token(["x"]),
        _token([True]),
        _token([None]),
        _token([[1]]),
        _token([5, ["x"]]),
        _token([-1, [5]]),
        _token([True, [5]]),
        _token([5, [5, 6]]),
        "A" * 2000,
    ],
)
def test_a_cursor_that_was_not_given_out_is_a_400_with_a_message(api, cursor):
    answer = api("inspector").get(f"{LIST}?cursor={cursor}")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert body["errors"]["cursor"] == [str(CURSOR_INVALID)]


def test_a_cursor_with_another_sort_order_is_refused(api):
    client = api("inspector")
    cursor = client.get(f"{LIST}?page_size=2&cursor=").json()["next_cursor"]
    answer = client.get(f"{LIST}?page_size=2&ordering=-title,year&cursor={cursor}")
    assert answer.status_code == 400 and answer.json()["errors"]["cursor"]


def test_the_registry_pages_by_cursor_too(api):
    client = api("board-officer")
    paged = client.get("/api/v1/registry/people/?page_size=2").json()
    seen, cursor = [], ""
    while cursor is not None:
        body = client.get(f"/api/v1/registry/people/?page_size=2&cursor={cursor}").json()
        seen += [person["id"] for person in body["results"]]
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == paged["count"] > 2


def test_the_schema_documents_the_cursor():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/dossiers/", "/api/v1/registry/people/"):
        operation = schema["paths"][path]["get"]
        cursor = next(p for p in operation["parameters"] if p["name"] == "cursor")
        assert cursor["in"] == "query" and cursor["schema"]["type"] == "string"
        assert cursor["allowEmptyValue"] is True
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][page.rsplit("/", 1)[1]]
        assert component["properties"]["next_cursor"]["nullable"] is True
        assert {"count", "next", "previous", "results", "next_cursor"} <= set(
            component["properties"]
        )
