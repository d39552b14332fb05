"""Two people acting on one dossier at once: one wins, the other gets a clear conflict.

These tests commit for real (threads need their own connections), so they build the little
world they need themselves; pytest-django runs them after the transactional-rollback tests."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from knox.models import AuthToken
from rest_framework.test import APIClient

from approvals import ballots
from approvals.models import BallotCast, SealedBallot
from audit.models import LedgerEvent as DossierEvent
from demo.world import World, build_organisations, build_users, demo_pdf, person
from dossiers.models import Dossier, DossierState
from workflows import services as wf
from workflows.selectors import state_path

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are a PostgreSQL matter"
    ),
]


def _dossier_in_intake() -> Dossier:
    build_organisations()
    build_users()
    world = World()
    dossier = wf.dossier_start(
        actor=world.user("proposer-HND"),
        organization=world.org("HND"),
        award_form=world.form("CSTD-TQ"),
        year=2023,
        title="Đồng thời",
        nominees=[person("A", "HND", year=2023)],  # in the registry, with a fighter's history
    )
    for kind in dossier.award_form.required_documents.all():
        wf.attachment_add(
            actor=world.user("proposer-HND"), dossier=dossier, kind_code=kind.code,
            upload=demo_pdf(f"{kind.code}.pdf"),
        )  # fmt: skip
    return wf.dossier_act(
        actor=world.user("head-HND"), dossier=dossier, action="submit", payload={}
    )


def _client(username: str) -> APIClient:
    user = get_user_model().objects.get(username=username)
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _at_once(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call().status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_board_officers_at_once_one_succeeds():
    dossier = _dossier_in_intake()
    assert get_user_model().objects.filter(username="board-officer-2").exists()  # the demo's
    url = f"/api/v1/dossiers/{dossier.pk}/actions/accept/"
    clients = [_client("board-officer"), _client("board-officer-2")]
    statuses = _at_once([lambda c=c: c.post(url, {}, format="json") for c in clients])
    assert sorted(statuses) == [200, 409]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PUBLIC_NOTICE
    assert DossierEvent.objects.filter(dossier=dossier, action="accept").count() == 1
    assert state_path(dossier).count(DossierState.PUBLIC_NOTICE) == 1


def test_the_same_request_twice_acts_once():
    dossier = _dossier_in_intake()
    client = _client("board-officer")
    url = f"/api/v1/dossiers/{dossier.pk}/actions/accept/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-7f3a"}
    statuses = _at_once([lambda: client.post(url, {}, format="json", **headers)] * 2)
    assert statuses == [200, 200]
    assert DossierEvent.objects.filter(dossier=dossier, action="accept").count() == 1
    # Without a key, a double click meets the new state and is refused, not repeated.
    head = _client("head-HND")
    withdraw = f"/api/v1/dossiers/{dossier.pk}/actions/withdraw/"
    statuses = _at_once([lambda: head.post(withdraw, {"reason": "Rút"}, format="json")] * 2)
    assert sorted(statuses) == [200, 409]
    assert DossierEvent.objects.filter(dossier=dossier, action="withdraw").count() == 1


def test_twenty_simultaneous_ballots_from_one_organisation_store_one():
    build_organisations()
    build_users()
    world = World()
    dossier = wf.dossier_start(
        actor=world.user("proposer-VUFO"), organization=world.org("VUFO"),
        award_form=world.form("BK-TTG"), year=2023, title="Phiếu đồng thời",
        nominees=[{"kind": "collective", "name": "LH các TCHN", "organization": "VUFO"}],
    )  # fmt: skip
    for kind in dossier.award_form.required_documents.all():
        wf.attachment_add(
            actor=world.user("proposer-VUFO"), dossier=dossier, kind_code=kind.code,
            upload=demo_pdf(f"{kind.code}.pdf"),
        )  # fmt: skip
    wf.dossier_act(actor=world.user("head-VUFO"), dossier=dossier, action="submit", payload={})
    nominee = dossier.nominees.get().pk
    session = ballots.ballot_open(
        actor=world.user("voter-MTTQ"), bloc_code="KHOI-CTXH-TW", year=2023, nominee_ids=[nominee]
    )
    client = _client("voter-HCCB")
    url = f"/api/v1/ballots/{session.pk}/votes/"
    choices = ["yes", "no", "abstain", "yes"] * 5
    statuses = _at_once(
        [
            lambda c=c: client.post(url, {"choices": {str(nominee): c}}, format="json")
            for c in choices
        ]
    )
    assert sorted(statuses) == [201] + [409] * 19
    assert BallotCast.objects.filter(session=session).count() == 1
    assert SealedBallot.objects.filter(session=session).count() == 1
