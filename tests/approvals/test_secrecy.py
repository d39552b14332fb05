"""Ballot secrecy with accountability: who voted and when is recorded; what each member chose
is not linked to it anywhere — API responses, pages, logs, history rows or any table; while the
session is open no table holds a readable choice, and after the close (PostgreSQL) neither the
transaction ids, nor the rows' physical or insertion order, nor their keys link a member to its
choice. docs/ballot-secrecy.md gives the threat model."""

import json
import logging
import re
import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from approvals import ballots
from approvals.models import AnonymousChoice, BallotReceipt, SealedBallot
from tests.signin import signin
from tests.workflows.helpers import CENTRAL, act, create, upload_required

pytestmark = pytest.mark.django_db

CHOICES = {"yes", "no", "abstain", "conflict"}
# A pattern that would betray a voter if linked: DOAN alone says no, HND alone abstains.
PATTERN = {code: "yes" for code in CENTRAL} | {"DOAN": "no", "HND": "abstain"}


def _identities() -> set[str]:
    return set(CENTRAL) | {f"voter-{code}" for code in CENTRAL}


def _strings(node) -> set[str]:
    """Every string value (not key) inside a row or a JSON document."""
    if isinstance(node, dict):
        return set().union(*(_strings(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings(v) for v in node)) if node else set()
    return {node} if isinstance(node, str) else set()


def _json_links(node, found: list) -> None:
    """A dict that holds both a voter's identity and a choice links them."""
    if isinstance(node, dict):
        values = {v for v in node.values() if isinstance(v, str)} | {
            k for k in node if isinstance(k, str)
        }
        if values & _identities() and values & CHOICES:
            found.append(node)
        for value in node.values():
            _json_links(value, found)
    elif isinstance(node, list):
        for value in node:
            _json_links(value, found)


def _html_links(page: str, found: list) -> None:
    for block in re.split(r"</tr>|</li>|</span>|</p>", page):
        words = set(re.findall(r"[\w-]+", block))
        if words & _identities() and words & {"yes", "no", "abstain"} and "radio" not in block:
            found.append(block[-300:])


def test_nothing_links_a_member_to_its_choice(api, caplog):
    caplog.set_level(logging.DEBUG)
    nominee = {"kind": "collective", "name": "Ứng viên bí mật", "organization": "VUFO"}
    dossier = create(api, "VUFO", "BK-TTG", [nominee])
    upload_required(api, "VUFO", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    dossier = act(api, "head-VUFO", dossier, "submit")
    nominee_id = str(dossier["nominees"][0]["id"])
    responses = []
    opened = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [int(nominee_id)]},
        format="json",
    )  # fmt: skip
    session = opened.json()["id"]
    responses.append(opened.json())
    pages = []
    for code in CENTRAL:
        if code == "VUFO":
            payload = {"choices": {}, "conflicts": [int(nominee_id)]}
        else:
            payload = {"choices": {nominee_id: PATTERN[code]}}
        answer = api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/", payload, format="json"
        )
        assert answer.status_code == 201
        responses.append(answer.json())
        responses.append(api(f"voter-{code}").get(f"/api/v1/ballots/{session}/").json())
        browser = Client()
        signin(browser, f"voter-{code}")
        pages.append(browser.get(f"/ballots/{session}/").content.decode())
    closed = api("voter-MTTQ").post(f"/api/v1/ballots/{session}/close/")
    responses.append(closed.json())
    row = closed.json()["nominees"][0]
    assert (row["yes"], row["no"], row["abstain"], row["conflicts"]) == (6, 1, 1, 1)
    for username in ("inspector", "voter-MTTQ", "board-officer", "voter-DOAN"):
        responses.append(api(username).get(f"/api/v1/ballots/{session}/").json())
        responses.append(api(username).get("/api/v1/ballots/").json())
        responses.append(api(username).get(f"/api/v1/dossiers/{dossier['id']}/").json())
        responses.append(api(username).get(f"/api/v1/dossiers/{dossier['id']}/history/").json())
        browser = Client()
        signin(browser, username)
        for url in (f"/ballots/{session}/", f"/dossiers/{dossier['id']}/", "/"):
            pages.append(browser.get(url).content.decode())
    admin = Client()
    signin(admin, "admin")
    for url in (
        "/admin/approvals/ballotsession/",
        f"/admin/approvals/ballotsession/{session}/history/",
    ):
        pages.append(admin.get(url).content.decode())

    found: list = []
    for body in responses:
        _json_links(body, found)
    for page in pages:
        _html_links(page, found)
    for record in caplog.records:
        _json_links(
            {"message": record.getMessage(), **{k: str(v) for k, v in record.__dict__.items()}},
            found,
        )
    # Every row of every table, history tables included: only the anonymous ballots hold
    # choices, and they have no field that could name a voter or a moment.
    holders = set()
    for model in apps.get_models():
        for values in model._default_manager.values():
            if _strings(values) & CHOICES:
                holders.add(model._meta.label)
            _json_links(values, found)
    assert holders == {"approvals.AnonymousChoice"}
    assert {f.name for f in AnonymousChoice._meta.get_fields()} == {
        "id", "session", "item", "choice",
    }  # fmt: skip
    assert {f.name for f in BallotReceipt._meta.get_fields()} == {"id", "session", "receipt"}
    assert not SealedBallot.objects.filter(session_id=session).exists()
    assert not found, found[:3]


# --- The raw tables, during the session -----------------------------------------------------


def _raw_rows() -> set[tuple[str, tuple]]:
    """Every row of every table of the database, read with SQL, values as bytes or text."""
    rows = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                values = tuple(
                    bytes(v) if isinstance(v, bytes | memoryview) else
                    json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else
                    "" if v is None else str(v)
                    for v in row
                )  # fmt: skip
                rows.add((table, values))
    return rows


def _readable_choices(value) -> set[str]:
    """The choices a raw value shows: the value itself, or a quoted choice inside a document or
    a binary value (unquoted, two random bytes would read "no" far too often)."""
    if isinstance(value, bytes):
        return {c for c in CHOICES if f'"{c}"'.encode() in value}
    return {c for c in CHOICES if value == c or f'"{c}"' in value}


def test_during_the_session_no_table_holds_a_readable_choice(api):
    """Everything the casts wrote, read raw from every table: sealed ballots of one length, and
    no choice in any row (the old design wrote each ballot's choices in clear with its cast)."""
    dossiers = []
    for org in ("VUFO", "VHNT"):
        nominee = {"kind": "collective", "name": f"Ứng viên kín {org}", "organization": org}
        dossier = create(api, org, "BK-TTG", [nominee])
        upload_required(api, org, dossier, ["to_trinh", "bao_cao_thanh_tich"])
        dossiers.append(act(api, f"head-{org}", dossier, "submit"))
    nominees = [d["nominees"][0]["id"] for d in dossiers]
    session = api("voter-MTTQ").post(
        "/api/v1/ballots/", {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": nominees},
        format="json",
    ).json()["id"]  # fmt: skip
    before = _raw_rows()
    patterns = {"MTTQ": ("yes", "no"), "HCCB": ("no", "abstain"), "TLDLD": ("abstain", "yes"),
                "VUFO": (None, "yes"), "VHNT": ("no", None)}  # fmt: skip
    for code, pattern in patterns.items():
        choices = {str(n): c for n, c in zip(nominees, pattern, strict=True) if c}
        conflicts = [n for n, c in zip(nominees, pattern, strict=True) if c is None]
        answer = api(f"voter-{code}").post(
            f"/api/v1/ballots/{session}/votes/",
            {"choices": choices, "conflicts": conflicts}, format="json",
        )  # fmt: skip
        assert answer.status_code == 201
    written = _raw_rows() - before
    tables = {table for table, _ in written}
    assert {
        SealedBallot._meta.db_table, "approvals_ballotcast", "approvals_ballotconflict",
        "audit_ledgerevent",
    } <= tables  # fmt: skip
    readable = {
        (table, choice) for table, row in written for v in row for choice in _readable_choices(v)
    }
    assert not readable, readable
    assert not AnonymousChoice.objects.filter(session_id=session).exists()
    assert not BallotReceipt.objects.filter(session_id=session).exists()
    sealed = [bytes(b) for b in SealedBallot.objects.filter(session_id=session).values_list(
        "sealed", flat=True)]  # fmt: skip
    assert len(sealed) == 5 and len({len(b) for b in sealed}) == 1  # lengths say nothing


# --- After the close, on PostgreSQL: transaction ids, physical and insertion order, keys --------


def _pg_world_ballot() -> tuple[int, list[tuple[str, dict[int, str]]]]:
    """A real ballot, every call committed on its own as in production: 2 dossiers, 9 members
    with distinct patterns (two declare a conflict), closed by the leader. Returns the session
    and, in cast order, what each member chose per ballot item."""
    from approvals.models import BallotItem
    from demo.world import World, build_organisations, build_users, demo_pdf
    from workflows import services as wf

    build_organisations()
    build_users()
    world = World()
    dossiers = []
    for org in ("VUFO", "VHNT"):
        dossier = wf.dossier_start(
            actor=world.user(f"proposer-{org}"), organization=world.org(org),
            award_form=world.form("BK-TTG"), year=2023, title=f"Bí mật {org}",
            nominees=[{"kind": "collective", "name": f"Tập thể {org}", "organization": org}],
        )  # fmt: skip
        for kind in dossier.award_form.required_documents.all():
            wf.attachment_add(
                actor=world.user(f"proposer-{org}"), dossier=dossier, kind_code=kind.code,
                upload=demo_pdf(f"{kind.code}.pdf"),
            )  # fmt: skip
        wf.dossier_act(
            actor=world.user(f"head-{org}"), dossier=dossier, action="submit", payload={}
        )
        dossiers.append(dossier)
    nominees = [d.nominees.get().pk for d in dossiers]
    session = ballots.ballot_open(
        actor=world.user("voter-MTTQ"), bloc_code="KHOI-CTXH-TW", year=2023, nominee_ids=nominees
    )
    item_of = dict(BallotItem.objects.filter(session=session).values_list("nominee_id", "pk"))
    patterns = [("yes", "yes"), ("no", "yes"), ("abstain", "no"), ("yes", "abstain"),
                ("no", "no"), ("yes", "no"), ("abstain", "abstain"), (None, "yes"),
                ("no", None)]  # fmt: skip
    codes = ["MTTQ", "HCCB", "TLDLD", "HND", "DOAN", "HLHPN", "VUSTA", "VUFO", "VHNT"]
    cast_order = []
    for code, pattern in zip(codes, patterns, strict=True):
        chosen = {n: c for n, c in zip(nominees, pattern, strict=True) if c}
        ballots.ballot_cast(
            actor=world.user(f"voter-{code}"), session=session,
            choices={str(n): c for n, c in chosen.items()},
            conflicts=[n for n, c in zip(nominees, pattern, strict=True) if c is None],
        )  # fmt: skip
        cast_order.append((code, {item_of[n]: c for n, c in chosen.items()}))
    ballots.ballot_close(actor=world.user("voter-MTTQ"), session=session)
    return session.pk, cast_order


def _scalar(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="xmin and ctid are PostgreSQL's; SQLite keeps no transaction id on its rows",
)
def test_after_the_close_nothing_links_a_member_to_its_choice_postgres():
    session, cast_order = _pg_world_ballot()
    choices = "approvals_anonymouschoice"
    # 1. Transaction ids: the join that undid the old design finds no cast, no ledger event of
    #    a cast and no declared conflict sharing a transaction with a choice or a receipt ...
    for table in (choices, "approvals_ballotreceipt"):
        for other, where in (
            ("audit_ledgerevent", "o.action = 'ballot.cast'"),
            ("approvals_ballotcast", "o.session_id = a.session_id"),
            ("approvals_ballotconflict", "TRUE"),
        ):
            linked = _scalar(
                f"SELECT count(*) FROM {table} a JOIN {other} o ON a.xmin = o.xmin "  # noqa: S608
                f"WHERE a.session_id = %s AND {where}",
                [session],
            )
            assert linked == 0, (table, other)
    # ... but it works: every anonymous row shares the transaction of the close, and only it.
    assert _scalar(f"SELECT count(DISTINCT xmin::text) FROM {choices} WHERE session_id = %s",
                   [session]) == 1  # fmt: skip
    closing = _scalar(
        f"SELECT count(*) FROM {choices} a JOIN audit_ledgerevent e ON a.xmin = e.xmin "  # noqa: S608
        "WHERE a.session_id = %s AND e.action = 'ballot.closed' AND e.object_id = %s",
        [session, str(session)],
    )
    assert closing == 16  # 9 ballots × 2 nominees, less the 2 declared conflicts
    casts = _scalar(
        "SELECT count(DISTINCT xmin::text) FROM approvals_ballotcast WHERE session_id = %s",
        [session],
    )
    assert casts == 9  # each cast committed on its own
    # 2. Order: neither the physical order (ctid), nor the keys' order, nor the choice rows taken
    #    in any of those orders reproduce the casts' order; keys are random (UUID4).
    in_cast_order = [(item, c) for _, chosen in cast_order for item, c in sorted(chosen.items())]
    with connection.cursor() as cursor:
        for order in ("ctid", "id"):
            cursor.execute(
                f"SELECT item_id, choice FROM {choices} WHERE session_id = %s ORDER BY {order}",  # noqa: S608
                [session],
            )
            stored = cursor.fetchall()
            assert sorted(stored) == sorted(in_cast_order)
            assert stored != in_cast_order, order
        cursor.execute(f"SELECT id FROM {choices} WHERE session_id = %s", [session])  # noqa: S608
        assert {uuid.UUID(str(r[0])).version for r in cursor.fetchall()} == {4}
    # 3. No time and no sealed ballot left: nothing else to sort or join by.
    for model in (AnonymousChoice, BallotReceipt):
        kinds = {f.get_internal_type() for f in model._meta.concrete_fields}
        assert not kinds & {"DateTimeField", "DateField", "AutoField", "BigAutoField"}
    assert not SealedBallot.objects.filter(session_id=session).exists()
    assert _scalar("SELECT length(sealing_salt) FROM approvals_ballotsession WHERE id = %s",
                   [session]) == 0  # fmt: skip
