"""The certificates of a large decision on the worker: queued when the decision is signed (and
when asked for before they exist), stored once with their SHA-256 and a ledger event, served from
the file; 202 with Retry-After until then. A single awardee's and a small decision's stay
immediate."""

from __future__ import annotations

import datetime
import hashlib
import io
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from pypdf import PdfReader

from approvals import services as approval_services
from approvals.models import Decision
from audit.models import LedgerEvent
from documents.models import CertificateBatch
from documents.tasks import produce_certificates, queue_pending_certificates
from dossiers.models import Nominee
from tests.documents.helpers import signed_decision
from tests.signin import signin

pytestmark = pytest.mark.django_db
SIGN_DAY = datetime.date(2026, 11, 20)
EVENT = "decision.certificates_produced"
PREPARING_VI = "đang được chuẩn bị"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the "queued" marks of another test's decision (same pk after a rollback)
    yield
    cache.clear()


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _sign(world, capture) -> Decision:
    """The demo's PM batch signed through the service, its commit callbacks run."""
    draft = Decision.objects.filter(decider="TTG", state="draft").first()
    with capture(execute=True):
        approval_services.decision_sign(
            actor=world.user("pm"), decision=draft, number="4321/QĐ-TTg", signed_on=SIGN_DAY
        )
    return Decision.objects.get(pk=draft.pk)


def _awarded(decision: Decision):
    return Nominee.objects.filter(
        dossier__decision_entries__decision=decision, outcome="awarded"
    ).order_by("pk")


@override_settings(CERTIFICATES_INLINE_MAX=0)
def test_signing_a_large_decision_prints_its_certificates_on_the_worker(
    world, api, django_capture_on_commit_callbacks
):
    original = produce_certificates.delay
    with mock.patch.object(produce_certificates, "delay", side_effect=original) as queued:
        decision = _sign(world, django_capture_on_commit_callbacks)
    queued.assert_called_once_with(decision.pk, world.user("pm").pk)
    batch = CertificateBatch.objects.get(decision=decision)  # eager: done in place
    stored = batch.file.open("rb").read()
    assert hashlib.sha256(stored).hexdigest() == batch.sha256 and batch.size == len(stored)
    assert batch.file.name.startswith(f"decisions/{decision.pk}/bang-khen-")
    event = LedgerEvent.objects.get(action=EVENT, object_id=str(batch.pk))
    assert event.object_type == "documents.certificatebatch" and batch.sha256 in event.body

    awarded = _awarded(decision)
    got = api("board-head").get(f"/api/v1/decisions/{decision.pk}/certificates/")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert got.content == stored and got["X-Content-SHA256"] == batch.sha256
    assert len(PdfReader(io.BytesIO(got.content)).pages) == awarded.count() == batch.pages
    text = _text(got.content)
    assert all(n.name in text for n in awarded) and "4321/QĐ-TTg" in text
    client = Client()
    assert signin(client, "pm")
    page = client.get(f"/decisions/{decision.pk}/certificates.pdf")
    assert page.status_code == 200 and page.content == stored


@override_settings(CERTIFICATES_INLINE_MAX=0)
def test_until_the_task_has_run_the_endpoints_answer_202(
    world, api, django_capture_on_commit_callbacks
):
    with mock.patch.object(produce_certificates, "delay") as queued:  # a worker not there yet
        decision = _sign(world, django_capture_on_commit_callbacks)
        queued.assert_called_once_with(decision.pk, world.user("pm").pk)
        path = f"/api/v1/decisions/{decision.pk}/certificates/"
        got = api("board-head").get(path)
        assert got.status_code == 202 and int(got["Retry-After"]) > 0
        body = got.json()
        assert body["code"] == "certificates_preparing" and PREPARING_VI in body["detail"]
        assert body["retry_after"] == int(got["Retry-After"])
        client = Client()
        assert signin(client, "pm")
        page = client.get(f"/decisions/{decision.pk}/certificates.pdf")
        assert page.status_code == 202 and page["Retry-After"] == got["Retry-After"]
        assert PREPARING_VI in page.content.decode()
    assert not CertificateBatch.objects.filter(decision=decision).exists()

    assert produce_certificates(decision.pk) is True  # the worker's run
    got = api("board-head").get(path)
    assert got.status_code == 200
    assert len(PdfReader(io.BytesIO(got.content)).pages) == _awarded(decision).count()


@override_settings(CERTIFICATES_INLINE_MAX=2)
def test_asking_before_the_file_exists_queues_the_task(
    world, api, django_capture_on_commit_callbacks
):
    decision = signed_decision(3, 1, number="33/QĐ-TTg")  # signed before this change: no file
    path = f"/api/v1/decisions/{decision.pk}/certificates/"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert api("pm").get(path).status_code == 202
    assert len(callbacks) == 1  # queued; eager, so it has run once the request committed
    with django_capture_on_commit_callbacks() as again:
        got = api("pm").get(path)
    assert got.status_code == 200 and not again
    assert len(PdfReader(io.BytesIO(got.content)).pages) == 3
    text = _text(got.content)
    assert all(n.name in text for n in _awarded(decision))


@override_settings(CERTIFICATES_INLINE_MAX=2)
def test_the_task_run_twice_stores_one_file_and_one_event(world):
    decision = signed_decision(5, 2, number="55/QĐ-TTg")
    before = LedgerEvent.objects.filter(action=EVENT).count()
    assert produce_certificates(decision.pk) is True
    assert produce_certificates(decision.pk) is False
    batch = CertificateBatch.objects.get(decision=decision)
    assert batch.pages == 5
    assert LedgerEvent.objects.filter(action=EVENT).count() == before + 1
    assert LedgerEvent.objects.filter(action=EVENT, object_id=str(batch.pk)).count() == 1
    assert len(PdfReader(batch.file.open("rb")).pages) == 5


@override_settings(CERTIFICATES_INLINE_MAX=2)
def test_the_beat_scan_queues_the_decisions_left_without_their_file(world):
    decision = signed_decision(3, number="36/QĐ-TTg")
    assert decision.pk in queue_pending_certificates()  # eager: printed in place
    assert CertificateBatch.objects.filter(decision=decision).exists()
    assert decision.pk not in queue_pending_certificates()


@override_settings(CERTIFICATES_INLINE_MAX=0)
def test_a_stranger_gets_404_and_one_awardee_stays_immediate(
    world, api, django_capture_on_commit_callbacks
):
    with mock.patch.object(produce_certificates, "delay"):
        decision = _sign(world, django_capture_on_commit_callbacks)
        for stranger in ("t-chair", "proposer-VUFO", "consult-THUE"):
            got = api(stranger).get(f"/api/v1/decisions/{decision.pk}/certificates/")
            assert got.status_code == 404, stranger
        client = Client()
        assert signin(client, "t-chair")
        assert client.get(f"/decisions/{decision.pk}/certificates.pdf").status_code == 404
        one = _awarded(decision).first()
        got = api("board-head").get(
            f"/api/v1/decisions/{decision.pk}/certificates/?nominee={one.pk}"
        )
        assert got.status_code == 200 and len(PdfReader(io.BytesIO(got.content)).pages) == 1
    assert not CertificateBatch.objects.filter(decision=decision).exists()


@override_settings(CERTIFICATES_INLINE_MAX=2)
def test_an_altered_file_is_not_served(world, api):
    decision = signed_decision(3, number="34/QĐ-TTg")
    produce_certificates(decision.pk)
    batch = CertificateBatch.objects.get(decision=decision)
    with batch.file.open("wb") as handle:
        handle.write(b"%PDF-1.7 altered")
    got = api("pm").get(f"/api/v1/decisions/{decision.pk}/certificates/")
    assert got.status_code == 409 and got.json()["code"] == "document_altered"


def test_a_small_decision_is_rendered_in_the_request(world, api):
    decision = signed_decision(3, number="35/QĐ-TTg")  # the default threshold: 100
    got = api("pm").get(f"/api/v1/decisions/{decision.pk}/certificates/")
    assert got.status_code == 200 and len(PdfReader(io.BytesIO(got.content)).pages) == 3
    assert not CertificateBatch.objects.filter(decision=decision).exists()
