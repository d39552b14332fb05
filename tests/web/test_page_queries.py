"""Every page costs the same number of queries whatever the data's size (issue #14, "What it
must show").

Each kind of persona reads every page it may reach (tests/pages.py: the inbox, the dossier lists
with their filters and sort orders, the dossier of every state with its history, the ballots,
the consultations, the decisions and the batch page, the notices, the notifications, the audit
search, the dashboard, the registry, the unit's own pages, the files every page links, the
administrator's admin) and the API's lists and details. First the world gains one of each thing
those pages list, so that a page shows every kind of row it can (a query asked only for a
non-empty list is then asked before the world grows); the pages are read; then the world grows
by 37 dossiers in every state with their nominees, documents, ballots, consultations,
comments, batches and signed decisions, and the dossiers and ballots read gain nominees,
documents, events, comments and votes. Every page the persona reached is read again and must
cost exactly as many queries: no page needs a slack. The new, bigger ballot and decisions cost
what the demo's smaller ones cost.
"""

from __future__ import annotations

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from approvals.models import BallotSession, BallotState, Decision, DecisionState
from demo.world import World
from tests.pages import (
    MORE_PERSONAS,
    PERSONAS,
    admin_pages,
    api_pages_for,
    client_for,
    file_pages_for,
    more_of_everything,
    one_more_of_each,
    one_of_each_state,
    pages_for,
)

pytestmark = pytest.mark.django_db

Reads = dict[tuple[str, str], tuple[int, int]]  # (persona, URL) → (status, queries)


def _read(client, url: str) -> tuple[int, int]:
    reset_queries()  # the log keeps 9000 queries: a full one would count nothing
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if response.streaming:  # an export is written while it is sent
            b"".join(response.streaming_content)
    return response.status_code, len(context.captured_queries)


def _read_all(readers: dict, pages: dict[str, list[str]]) -> Reads:
    return {(user, url): _read(readers[user], url) for user, urls in pages.items() for url in urls}


def _twins(made: dict) -> list[tuple[str, str, str]]:
    """(persona, a page of the demo's, the same page of a bigger object the growth made)."""
    ballot = BallotSession.objects.filter(
        state=BallotState.OPEN, bloc__code="KHOI-CTXH-TW", pk__lt=made["open_ballot"].pk
    ).first()
    batch = Decision.objects.filter(state=DecisionState.DRAFT, decider="TTG").order_by("id")[0]
    signed = Decision.objects.get(number="301/QĐ-TTg")  # the central bloc's real case
    province = Decision.objects.get(number="3101/QĐ-UBND")  # the province's
    pairs = [
        (user, f"/ballots/{ballot.pk}/", f"/ballots/{made['open_ballot'].pk}/")
        for user in ("inspector", "voter-MTTQ", "voter-VHNT")
    ]
    for user in ("inspector", "pm", "board-head"):
        pairs.append((user, f"/decisions/{batch.pk}/", f"/decisions/{made['batch'].pk}/"))
        pairs.append((user, f"/decisions/{signed.pk}/", f"/decisions/{made['signed'].pk}/"))
    for user in ("inspector", "t-chair"):
        pairs.append((user, f"/decisions/{province.pk}/", f"/decisions/{made['province'].pk}/"))
    return pairs


def test_every_page_costs_the_same_queries_with_more_data(api, django_capture_on_commit_callbacks):
    personas = PERSONAS + MORE_PERSONAS
    browsers = {user: client_for(user) for user in personas}
    tokens = {user: api(user) for user in personas}
    shown = one_of_each_state()
    with django_capture_on_commit_callbacks(execute=True):  # the notifications too
        one_more_of_each(World(), shown, personas)
    pages = {user: pages_for(user) + file_pages_for(user) for user in personas}
    pages["admin"] += admin_pages()
    api_pages = {user: api_pages_for(user) for user in personas}
    for url in pages["admin"]:  # warm: the admin reads each model's content type once
        browsers["admin"].get(url)
    before = {**_read_all(browsers, pages), **_read_all(tokens, api_pages)}
    reached = {key for key, (status, _count) in before.items() if status < 400}
    assert len(reached) > 1500  # really read pages, not only refusals

    with django_capture_on_commit_callbacks(execute=True):
        made = more_of_everything(World(), shown, personas)

    def still(pages: dict[str, list[str]]) -> dict[str, list[str]]:
        return {user: [u for u in urls if (user, u) in reached] for user, urls in pages.items()}

    after = {**_read_all(browsers, still(pages)), **_read_all(tokens, still(api_pages))}
    grown = {key: (before[key], after[key]) for key in after if after[key] != before[key]}
    assert not grown, "\n".join(f"{key}: {counts}" for key, counts in grown.items())
    twins = {
        (user, old, new): (_read(browsers[user], old), _read(browsers[user], new))
        for user, old, new in _twins(made)
    }
    assert all(status == 200 for pair in twins.values() for status, _count in pair)
    unequal = {key: pair for key, pair in twins.items() if pair[0] != pair[1]}
    assert not unequal, unequal


ADMIN_LIST_QUERIES = 10  # the session, the user, its device, the count, the rows, the filters


def test_the_admins_lists_read_their_rows_with_them():
    """Each list of the admin joins what its columns show (a page of 100 history entries or
    role grants once cost a query per row for their person or organisation)."""
    client = client_for("admin")
    lists = [url for url in admin_pages() if url.endswith("/") and "/change/" not in url]
    for url in lists:
        client.get(url)  # warm: each model's content type is read once
    costs = {url: _read(client, url) for url in lists}
    assert len(costs) > 20 and all(status == 200 for status, _count in costs.values())
    assert {url: n for url, (_s, n) in costs.items() if n > ADMIN_LIST_QUERIES} == {}
