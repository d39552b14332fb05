"""The decision's documents: the signed PDF's content, its signatures (intact, trusted, apart),
who may read it, the certificates, the public register, and the renders looked at as PNG."""

from __future__ import annotations

import datetime
import hashlib
import io
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from accounts.names import full_name
from approvals import services as approval_services
from approvals.models import Decision
from audit.models import LedgerEvent
from documents import pki, services
from documents.content import KIND_LABEL, decision_content
from documents.models import DecisionDocument
from documents.render import render_certificates
from documents.signing import Signature, sign, signer_for
from dossiers.models import Nominee, Person
from tests.documents.helpers import SIGNED_ON, signed_decision
from tests.signin import signin

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
SIGN_DAY = datetime.date(2026, 11, 20)


def _text(data: bytes) -> str:
    """All the text of a PDF, its whitespace folded (a table cell may wrap a name)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _row(nominee: Nominee) -> str:
    return f"{nominee.name} ({KIND_LABEL[nominee.kind].lower()})"


def _sections(text: str) -> tuple[str, str]:
    awarded, _, declined = text.partition("II. CÁC TRƯỜNG HỢP KHÔNG ĐƯỢC KHEN THƯỞNG")
    return awarded.split("I. CÁC TẬP THỂ, CÁ NHÂN ĐƯỢC KHEN THƯỞNG", 1)[1], declined


@pytest.fixture
def signed(world) -> Decision:
    """The demo's PM batch, signed through the service, its first nominee declined."""
    draft = Decision.objects.filter(decider="TTG", state="draft").first()
    nominees = list(Nominee.objects.filter(dossier__decision_entries__decision=draft))
    declined = [{"nominee": nominees[0].pk, "reason": "Chưa đủ tiêu chuẩn theo Điều 73"}]
    approval_services.decision_sign(
        actor=world.user("pm"), decision=draft, number="4321/QĐ-TTg", signed_on=SIGN_DAY,
        declined=declined if len(nominees) > 1 else [],
    )  # fmt: skip
    return Decision.objects.get(pk=draft.pk)


def test_signing_a_decision_produces_its_signed_document(signed):
    document = DecisionDocument.objects.get(decision=signed)
    data = document.file.open("rb").read()
    assert hashlib.sha256(data).hexdigest() == document.sha256 and document.signed
    event = LedgerEvent.objects.get(action="decision.document_signed", object_id=str(document.pk))
    assert document.sha256 in event.body and event.object_type == "documents.decisiondocument"
    text = _text(data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 4321/QĐ-TTg" in text and "ngày 20 tháng 11 năm 2026" in text
    assert "QUYẾT ĐỊNH" in text and "THỦ TƯỚNG" in text and "Nơi nhận:" in text
    assert "Căn cứ Luật Thi đua, khen thưởng" in text and "Điều 1." in text
    assert full_name(signed.signed_by) in " ".join(text.split())  # the signer by full name
    awarded, declined = _sections(text)
    nominees = Nominee.objects.filter(dossier__decision_entries__decision=signed)
    assert {n.outcome for n in nominees} == {"awarded", "declined"}
    for nominee in nominees:
        row = _row(nominee)  # its name and kind, as the annex's first column writes them
        if nominee.outcome == "awarded":
            assert row in awarded and row not in declined
        else:
            assert nominee.outcome == "declined"
            assert row in declined and row not in awarded
    assert declined == "" or "Chưa đủ tiêu chuẩn theo Điều 73" in declined


def test_the_annex_has_every_awardee_with_the_reward_of_the_base_salary_in_force(world):
    decision = signed_decision(5, 2)
    document = services.decision_document_produce(decision=decision, actor=world.user("pm"))
    text = _text(document.file.open("rb").read())
    assert "Số: 777/QĐ-TTg" in text and "ngày 02 tháng 9 năm 2024" in text
    awarded, declined = _sections(text)
    for nominee in Nominee.objects.filter(dossier__decision_entries__decision=decision):
        assert _row(nominee) in (awarded if nominee.outcome == "awarded" else declined)
    # BK-TTG: 3.0 (collective) / 1.5 (individual) × 2.340.000 đ (from 01/07/2024), rounded up
    # to ten thousand: 7.020.000 and 3.510.000; 3 collectives and 2 individuals awarded.
    assert "2.340.000" in text and "7.020.000" in awarded and "3.510.000" in awarded
    assert "Tổng số tiền thưởng: 28.080.000 đồng" in text
    assert services.decision_document_produce(decision=decision, actor=None) == document


def _keys() -> pki.KeyStore:
    return pki.store()


def test_the_signed_document_verifies_intact_and_trusted_and_a_changed_byte_does_not(
    signed, tmp_path, capsys
):
    data = DecisionDocument.objects.get(decision=signed).file.open("rb").read()
    answer = services.document_verify(data=data)
    assert answer["intact"] and answer["trusted"] and answer["signer"]
    assert [s["field"] for s in answer["signatures"]] == ["ChuKyNguoiKy", "ChuKyCoQuan"]
    assert answer["signed_at"] and "claim" in answer["signed_at_source"]
    good = tmp_path / "good.pdf"
    good.write_bytes(data)
    call_command("verify_document", str(good))
    assert "intact: yes; trusted: yes" in capsys.readouterr().out

    changed = bytearray(data)
    changed[len(data) // 5] ^= 0x01  # one byte inside the signed range
    answer = services.document_verify(data=bytes(changed))
    assert answer["intact"] is False
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(changed))
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_document", str(bad))
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "intact: NO" in out


def test_a_signature_by_another_ca_is_intact_but_not_trusted(signed, tmp_path, capsys):
    other = pki.KeyStore(tmp_path / "other-ca", "another password")
    other.ensure_ca("Một CA khác")
    other.ensure_person("mallory", "Người ký lạ", "Cơ quan lạ")
    unsigned = services.decision_preview(decision=Decision.objects.filter(state="draft").first())
    data = sign(unsigned, [Signature("X", signer_for(other, other.person("mallory")), "r", "l")])
    answer = services.document_verify(data=data)
    assert answer["intact"] is True and answer["trusted"] is False
    path = tmp_path / "other.pdf"
    path.write_bytes(data)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_document", str(path))
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "intact: yes; trusted: NO" in out and out.count("\n") == 1


def test_the_verify_endpoint_reports_integrity_and_trust(api, signed):
    data = DecisionDocument.objects.get(decision=signed).file.open("rb").read()
    client = api("inspector")
    got = client.post(
        "/api/v1/documents/verify/",
        {"file": SimpleUploadedFile("qd.pdf", data, "application/pdf")},
        format="multipart",
    )
    assert got.status_code == 200
    body = got.json()
    assert body["intact"] is True and body["trusted"] is True and body["signer"]
    assert set(body) >= {"intact", "trusted", "signer", "signed_at"}
    garbage = client.post(
        "/api/v1/documents/verify/",
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")},
        format="multipart",
    )
    assert garbage.status_code == 200 and garbage.json()["intact"] is False
    assert client.post("/api/v1/documents/verify/", {}, format="multipart").status_code == 400


def test_who_may_read_the_document_and_the_certificates(api, signed):
    path = f"/api/v1/decisions/{signed.pk}/document/"
    got = api("pm").get(path)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert got.content.startswith(b"%PDF")
    assert got["X-Content-SHA256"] == DecisionDocument.objects.get(decision=signed).sha256
    for stranger in ("t-chair", "proposer-VUFO", "consult-THUE"):  # may not see the decision
        assert api(stranger).get(path).status_code == 404, stranger
        certificates = f"/api/v1/decisions/{signed.pk}/certificates/"
        assert api(stranger).get(certificates).status_code == 404, stranger
    assert api("pm").get("/api/v1/decisions/999999/document/").status_code == 404

    got = api("board-head").get(f"/api/v1/decisions/{signed.pk}/certificates/")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    awarded = Nominee.objects.filter(dossier__decision_entries__decision=signed, outcome="awarded")
    reader = PdfReader(io.BytesIO(got.content))
    assert len(reader.pages) == awarded.count()
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    text = _text(got.content)
    assert all(n.name in text for n in awarded) and "4321/QĐ-TTg" in text
    one = api("board-head").get(
        f"/api/v1/decisions/{signed.pk}/certificates/?nominee={awarded.first().pk}"
    )
    assert len(PdfReader(io.BytesIO(one.content)).pages) == 1
    declined = Nominee.objects.filter(dossier__decision_entries__decision=signed).exclude(
        outcome="awarded"
    )
    for nominee in declined:
        path_ = f"/api/v1/decisions/{signed.pk}/certificates/?nominee={nominee.pk}"
        assert api("board-head").get(path_).status_code == 404
    bad = api("board-head").get(f"/api/v1/decisions/{signed.pk}/certificates/?nominee=x")
    assert bad.status_code == 400


def test_an_unsigned_decision_has_a_draft_to_read_and_no_document(api, world):
    draft = Decision.objects.filter(decider="TTG", state="draft").first()
    assert api("pm").get(f"/api/v1/decisions/{draft.pk}/document/").status_code == 404
    got = api("pm").get(f"/api/v1/decisions/{draft.pk}/certificates/")
    assert got.status_code == 409 and got.json()["code"] == "not_signed"
    client = Client()
    assert signin(client, "pm")
    preview = client.get(f"/decisions/{draft.pk}/preview.pdf")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    text = _text(preview.content)
    assert "DỰ THẢO" in text and "QUYẾT ĐỊNH" in text
    for nominee in Nominee.objects.filter(dossier__decision_entries__decision=draft):
        assert nominee.name in text
    page = client.get(f"/decisions/{draft.pk}/")
    assert f"/decisions/{draft.pk}/preview.pdf" in page.content.decode()
    outsider = Client()
    assert signin(outsider, "t-chair")
    assert outsider.get(f"/decisions/{draft.pk}/preview.pdf").status_code == 404


def test_the_signed_decision_page_links_its_documents(signed):
    client = Client()
    assert signin(client, "pm")
    page = client.get(f"/decisions/{signed.pk}/").content.decode()
    assert f"/decisions/{signed.pk}/document.pdf" in page
    assert f"/decisions/{signed.pk}/certificates.pdf" in page
    assert client.get(f"/decisions/{signed.pk}/document.pdf").status_code == 200
    assert client.get(f"/decisions/{signed.pk}/certificates.pdf").status_code == 200
    stranger = Client()
    assert signin(stranger, "t-chair")
    assert stranger.get(f"/decisions/{signed.pk}/document.pdf").status_code == 404


def test_the_public_register_shows_awardees_and_no_personal_data(signed, api):
    anonymous = Client()
    page = anonymous.get("/decisions/public/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "4321/QĐ-TTg" in html and "301/QĐ-TTg" in html  # the demo's real case, too
    awarded = Nominee.objects.filter(dossier__decision_entries__decision=signed, outcome="awarded")
    assert all(n.name in html for n in awarded)
    json_ = anonymous.get("/api/v1/public/decisions/?page_size=200")
    assert json_.status_code == 200
    body = json_.content.decode()
    for person in Person.objects.exclude(birth_date=None):
        for text in (html, body):
            assert person.identity not in text
            assert person.birth_date.isoformat() not in text
            assert person.birth_date.strftime("%d/%m/%Y") not in text
    for nominee in Nominee.objects.filter(outcome="declined"):
        assert nominee.outcome_reason not in html and nominee.outcome_reason not in body

    def numbers(query: str) -> set[str]:
        got = anonymous.get(f"/api/v1/public/decisions/?{query}")
        assert got.status_code == 200, got.content
        return {row["number"] for row in got.json()["results"]}

    assert "4321/QĐ-TTg" in numbers("year=2026") and "301/QĐ-TTg" not in numbers("year=2026")
    assert numbers("form=CO-TD-TINH") == {"3101/QĐ-UBND"}
    assert "301/QĐ-TTg" in numbers("organization=HLHPN")
    name = awarded.first().name
    assert "4321/QĐ-TTg" in numbers(f"name={name[:8]}")
    assert numbers("name=Không-có-ai-tên-này") == set()
    assert anonymous.get("/api/v1/public/decisions/?year=abc").status_code == 400
    assert anonymous.get("/api/v1/public/decisions/?name=a%00b").status_code == 400
    searched = anonymous.get("/decisions/public/?form=CO-TD-TINH").content.decode()
    assert "3101/QĐ-UBND" in searched and "301/QĐ-TTg" not in searched


def test_renders_as_png_for_a_look(world):
    """The first page and the annex of a decision and two certificates, as PNG in
    artifacts/documents/ (CI keeps the folder): Vietnamese diacritics right, nothing cut off."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    decision = signed_decision(6, 2, number="888/QĐ-TTg")
    document = services.decision_document_produce(decision=decision, actor=world.user("pm"))
    (ARTIFACTS / "decision.pdf").write_bytes(document.file.open("rb").read())
    content = decision_content(decision, signer_name="pm")
    (ARTIFACTS / "certificates.pdf").write_bytes(render_certificates(content, content.awarded[:2]))
    for name in ("decision", "certificates"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
            check=True,
        )
    assert sorted(p.name for p in ARTIFACTS.glob("decision-*.png")) == [
        "decision-1.png", "decision-2.png",
    ]  # fmt: skip
    assert len(list(ARTIFACTS.glob("certificates-*.png"))) == 2


def test_the_documents_of_a_500_awardee_decision(world):
    """Produced and signed decision document and the batch of certificates; the times printed
    (`-s`) for the note, not asserted (the machine is shared)."""
    decision = signed_decision(500, number="500/QĐ-TTg")
    start = time.perf_counter()
    document = services.decision_document_produce(decision=decision, actor=world.user("pm"))
    produced = time.perf_counter() - start
    start = time.perf_counter()
    client_user = world.user("pm")
    _name, certificates = services.decision_certificates(user=client_user, pk=decision.pk)
    printed = time.perf_counter() - start
    pages = len(PdfReader(io.BytesIO(document.file.open("rb").read())).pages)
    assert len(PdfReader(io.BytesIO(certificates)).pages) == 500
    print(
        f"\n500 awardees: decision {produced:.2f} s ({pages} pages, {document.size} bytes, "
        f"signed twice); certificates {printed:.2f} s (500 pages, {len(certificates)} bytes)"
    )
    assert SIGNED_ON.year == decision.year
