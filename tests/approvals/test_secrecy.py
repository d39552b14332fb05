"""Ballot secrecy with accountability: who voted and when is recorded; what each member chose
is not linked to it anywhere — API responses, pages, logs, history rows or any table."""

import logging
import re

import pytest
from django.apps import apps
from django.test import Client

from approvals.models import AnonymousBallot
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
    nominee = {"kind": "individual", "name": "Ứng viên bí mật", "organization": "VUFO"}
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
    assert holders == {"approvals.AnonymousBallot"}
    fields = {f.name for f in AnonymousBallot._meta.get_fields()}
    assert fields == {"id", "session", "nonce", "choices", "receipt"}
    assert not found, found[:3]
