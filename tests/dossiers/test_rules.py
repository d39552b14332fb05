"""The domain's own rules: applicability, effective dates, uploads, required documents."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.world import CENTRAL_CODES, bloc_ballot, person, start
from dossiers.errors import DossierError
from dossiers.models import Attachment, AwardForm, Dossier, DossierState, NomineeKind
from dossiers.uploads import DOCX, XLSX, sniff
from workflows import services as wf

pytestmark = pytest.mark.django_db


def _start(world, form="BK-TTG", org="HLHPN", kind="individual"):
    return wf.dossier_start(
        actor=world.user(f"proposer-{org}"),
        organization=world.org(org),
        award_form=world.form(form),
        year=2023,
        title="Thử",
        nominees=[{"kind": kind, "name": "Tên", "organization": org}],
    )


def _ooxml(inner: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(inner, "<x/>")
    return buffer.getvalue()


def test_flag_refuses_an_individual_nominee(world):
    with pytest.raises(DossierError) as error:
        _start(world, form="CO-TD-CP", kind="individual")
    assert error.value.code == "nominee_kind_not_allowed"
    assert "Cờ thi đua của Chính phủ" in str(error.value)
    assert not Dossier.objects.filter(title="Thử").exists()


def test_national_fighter_refuses_collectives_and_households(world):
    form = world.form("CSTD-TQ")
    assert [k for k in NomineeKind.values if form.allows(k)] == ["individual"]
    for kind in ("collective", "household"):
        with pytest.raises(DossierError):
            _start(world, form="CSTD-TQ", kind=kind)


def test_pm_certificate_accepts_every_kind(world):
    for kind in NomineeKind.values:
        assert _start(world, kind=kind).nominees.get().kind == kind


def test_form_outside_its_effective_dates_is_refused(world):
    form = world.form("BK-TTG")
    form.valid_until = datetime.date(2023, 12, 31)
    form.save()
    with pytest.raises(DossierError) as error:
        _start(world)
    assert error.value.code == "form_not_in_force"
    assert "2023-12-31" in str(error.value)
    form.valid_until, form.valid_from = None, datetime.date(2099, 1, 1)
    form.save()
    with pytest.raises(DossierError):
        _start(world)


def test_catalogue_carries_citations_and_routes(world):
    forms = {f.code: f for f in AwardForm.objects.all()}
    assert {"CO-TD-CP", "CSTD-TQ", "BK-TTG", "HCLD-3", "AHLD", "CO-TD-TINH", "BK-TINH"} <= set(
        forms
    )
    assert all(f.legal_basis for f in forms.values())
    assert forms["HCLD-3"].decider == "CTN" and forms["CO-TD-TINH"].decider == "T-UBND"
    assert forms["AHLD"].public_notice_days == 10
    assert forms["CSTD-TQ"].vote_threshold_percent == 90


def test_upload_is_checked_by_content_and_size(world, settings):
    dossier = _start(world)
    proposer = world.user("proposer-HLHPN")
    disguised = SimpleUploadedFile("to_trinh.pdf", b"MZ\x90\x00 an executable", "application/pdf")
    with pytest.raises(DossierError) as error:
        wf.attachment_add(actor=proposer, dossier=dossier, kind_code="to_trinh", upload=disguised)
    assert error.value.code == "file_type_refused"
    fake_docx = SimpleUploadedFile("a.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(DossierError):
        wf.attachment_add(actor=proposer, dossier=dossier, kind_code="to_trinh", upload=fake_docx)
    settings.UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 200)
    with pytest.raises(DossierError) as error:
        wf.attachment_add(actor=proposer, dossier=dossier, kind_code="to_trinh", upload=big)
    assert error.value.code == "file_too_large"
    assert not Attachment.objects.filter(dossier=dossier).exists()
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    docx = SimpleUploadedFile("bao_cao.docx", _ooxml("word/document.xml"))
    stored = wf.attachment_add(
        actor=proposer, dossier=dossier, kind_code="bao_cao_thanh_tich", upload=docx
    )
    assert stored.content_type == DOCX and len(stored.sha256) == 64 and stored.size == docx.size
    assert stored.uploaded_by == proposer and stored.version == 1
    docx.seek(0)  # the same bytes: a second _ooxml() may carry another second's timestamp
    assert stored.file.read() == docx.read()


def test_sniff_recognises_the_allowed_types():
    assert sniff(b"%PDF-1.7") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n") == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"PK\x03\x04", _ooxml("xl/workbook.xml")) == XLSX
    assert sniff(b"GIF89a") is None


def test_submit_requires_the_forms_documents(world, pdf):
    dossier = _start(world)
    head = world.user("head-HLHPN")
    with pytest.raises(DossierError) as error:
        wf.dossier_act(actor=head, dossier=dossier, action="submit", payload={})
    assert error.value.code == "missing_documents"
    assert "Tờ trình" in str(error.value)
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.DRAFT


def test_flag_needs_a_bloc(world):
    # A provincial flag proposed by an organisation that belongs to no cluster that year.
    nominee = {"kind": "collective", "name": "Hội ND tỉnh", "organization": "T-HND"}
    dossier = start(world, "T-HND", "CO-TD-TINH", "Không thuộc cụm", [nominee], 2022)
    with pytest.raises(DossierError) as error:
        wf.dossier_act(actor=world.user("head-T-HND"), dossier=dossier, action="submit", payload={})
    assert error.value.code == "not_a_bloc_member"


def test_pm_certificate_skips_the_bloc_when_not_a_member(world):
    nominee = person("A", "HND", year=2021)  # in the registry, with the certificate's history
    dossier = start(world, "HND", "BK-TTG", "Không qua khối", [nominee], 2021)
    submitted = wf.dossier_act(
        actor=world.user("head-HND"), dossier=dossier, action="submit", payload={}
    )
    assert submitted.state == DossierState.INTAKE and submitted.bloc is None


def test_every_change_is_historied_with_actor_and_reason(world, pdf):
    dossier = _start(world, kind="collective")
    for kind in ("to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"):
        wf.attachment_add(
            actor=world.user("proposer-HLHPN"),
            dossier=dossier,
            kind_code=kind,
            upload=pdf(f"{kind}.pdf"),
        )
    wf.dossier_act(actor=world.user("head-HLHPN"), dossier=dossier, action="submit", payload={})
    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [dossier], CENTRAL_CODES)
    wf.dossier_act(
        actor=world.user("board-officer"),
        dossier=dossier,
        action="return",
        payload={"reason": "Thiếu biên bản"},
    )
    rows = list(Dossier.history.filter(id=dossier.pk).order_by("history_id"))
    assert [r.state for r in rows] == ["draft", "bloc_voting", "intake", "returned"]
    assert [r.history_user.username for r in rows] == [
        "proposer-HLHPN", "head-HLHPN", "voter-MTTQ", "board-officer",
    ]  # fmt: skip
    assert all(r.history_change_reason for r in rows)
    assert rows[-1].history_change_reason == "Thiếu biên bản"
    nominee_history = dossier.nominees.get().history.all()
    assert nominee_history.first().history_user.username == "proposer-HLHPN"
