"""The letters generated from the data: the unit's submission (Tờ trình) with its list of
nominees, and the notice of the nominees not awarded sent back to each proposing unit — their
text (parsed with pypdf), who may read them, no personal identification data, and the renders
looked at as PNG."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from pypdf import PdfReader

from accounts.names import full_name
from audit.models import LedgerEvent
from demo.world import act, collective, person, start
from documents.content import shorten
from dossiers.models import Dossier, Nominee, Person
from tests.documents.helpers import signed_decision
from tests.signin import signin

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
LONG = (
    "Chủ trì thực hiện 12 đề tài nghiên cứu khoa học cấp Bộ, được nghiệm thu xuất sắc; "
    "đề xuất sáng kiến quản lý hồ sơ thi đua điện tử được áp dụng rộng rãi trong toàn quốc, "
    "làm lợi cho Nhà nước trên 2 tỷ đồng; hoàn thành xuất sắc nhiệm vụ 5 năm liên tục; "
    "tích cực tham gia các hoạt động xã hội, từ thiện, đền ơn đáp nghĩa tại địa phương."
)
REASONS = [
    "Chưa đủ 05 năm liên tục hoàn thành xuất sắc nhiệm vụ (Điều 73 khoản 1 điểm b)",
    "Đang trong thời gian xem xét kỷ luật",
    "Thành tích chưa tiêu biểu so với đơn vị cùng khối",
    "Hồ sơ thiếu báo cáo thành tích có xác nhận của cấp trình",
]


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _no_personal_data(text: str, people) -> None:
    for row in people:
        assert row.identity not in text
        if row.birth_date:
            for shown in (
                row.birth_date.isoformat(),
                row.birth_date.strftime("%d/%m/%Y"),
                row.birth_date.strftime("%d-%m-%Y"),
            ):
                assert shown not in text


@pytest.fixture
def proposal(world) -> Dossier:
    """A central unit's dossier of the PM's certificate: one collective, two individuals named
    by CCCD (registry entries with birth dates), one with long achievements."""
    nominees = [
        {
            **collective("HCCB"),
            "achievements": "Dẫn đầu khối thi đua các tổ chức chính trị - xã hội",
        },
        person("Trần Thị Thu Hằng", "HCCB", LONG, year=2024),
        person(
            "Lê Văn Đức", "HCCB", "Hoàn thành xuất sắc nhiệm vụ năm 2024", year=2024, sex="male"
        ),
    ]
    return start(world, "HCCB", "BK-TTG", "Đề nghị tặng Bằng khen Thủ tướng năm 2024", nominees,
                 2024)  # fmt: skip


def test_the_submission_letter_has_the_header_the_addressee_the_counts_and_the_list(
    world, proposal, api
):
    got = api("proposer-HCCB").get(f"/api/v1/dossiers/{proposal.pk}/submission.pdf")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert "to-trinh-" in got["Content-Disposition"]
    text = _text(got.content)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "TRUNG ƯƠNG HỘI CỰU CHIẾN BINH VIỆT NAM" in text  # the issuing unit
    assert "Số: …/TTr-HCCB" in text and "ngày … tháng … năm …" in text  # a draft: blank
    assert "DỰ THẢO" in text
    assert "TỜ TRÌNH" in text and "Về việc đề nghị tặng Bằng khen của Thủ tướng Chính phủ" in text
    # addressed to the head of the level receiving it, through its board
    assert "Kính gửi: Thủ tướng Chính phủ (qua Ban Thi đua - Khen thưởng Trung ương)" in text
    assert "01 tập thể và 02 cá nhân" in text and proposal.reference in text
    assert "DANH SÁCH" in text and "I. TẬP THỂ (01)" in text and "II. CÁ NHÂN (02)" in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text and "Nơi nhận:" in text
    assert full_name(world.user("head-HCCB")) in text  # the signer, by name
    for nominee in proposal.nominees.all():
        assert nominee.name in text
    assert "Dẫn đầu khối thi đua" in text
    short = shorten(LONG)
    assert short.endswith("…") and len(short) < len(LONG)
    assert short[:-1].split()[-1] in text and "đền ơn đáp nghĩa" not in text  # shortened
    _no_personal_data(text, Person.objects.filter(nominations__dossier=proposal))
    assert not LedgerEvent.objects.filter(action__contains="submission_letter").exists()


def test_a_submitted_dossier_s_letter_is_dated_and_not_a_draft(world, proposal, api):
    act(world, "head-HCCB", proposal, "submit")
    proposal.refresh_from_db()
    assert proposal.submitted_at is not None
    text = _text(api("board-officer").get(f"/api/v1/dossiers/{proposal.pk}/submission.pdf").content)
    day = proposal.submitted_at.astimezone().date()
    assert f"ngày {day.day:02d} tháng" in text and f"năm {day.year}" in text
    assert "DỰ THẢO" not in text and "(Đã ký)" in text


def test_who_may_read_the_submission_letter(world, proposal, api):
    path = f"/api/v1/dossiers/{proposal.pk}/submission.pdf"
    assert api("head-HCCB").get(path).status_code == 200
    for stranger in ("proposer-VUFO", "t-chair", "board-officer"):  # a draft: its unit only
        assert api(stranger).get(path).status_code == 404, stranger
    assert api("proposer-HCCB").get("/api/v1/dossiers/999999/submission.pdf").status_code == 404
    client = Client()
    assert signin(client, "proposer-HCCB")
    page = client.get(f"/dossiers/{proposal.pk}/").content.decode()
    assert f"/dossiers/{proposal.pk}/submission.pdf" in page
    pdf = client.get(f"/dossiers/{proposal.pk}/submission.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    outsider = Client()
    assert signin(outsider, "proposer-VUFO")
    assert outsider.get(f"/dossiers/{proposal.pk}/submission.pdf").status_code == 404


def test_every_demo_dossier_s_letter_renders_without_personal_data(world, api):
    """Every dossier of the demo world, whatever its state, level or kinds of nominees."""
    people = list(Person.objects.all())
    client = api("inspector") if world.user("inspector") else None
    for dossier in Dossier.objects.all():
        got = client.get(f"/api/v1/dossiers/{dossier.pk}/submission.pdf")
        assert got.status_code == 200, dossier.reference
        text = _text(got.content)
        assert "TỜ TRÌNH" in text and dossier.organization.name.upper() in text
        for nominee in dossier.nominees.exclude(outcome="withdrawn"):
            assert nominee.name in text, (dossier.reference, nominee.name)
        _no_personal_data(text, [p for p in people if p.nominations.filter(dossier=dossier)])


@pytest.fixture
def mixed(world):
    """A PM decision with two nominees declined for HCCB and two for DOAN (each reason apart),
    one of DOAN's not approved without a reason; individuals linked to the registry."""
    decision = signed_decision(4, 4, number="915/QĐ-TTg", per_dossier=2)
    rows = list(
        Nominee.objects.filter(
            dossier__decision_entries__decision=decision, outcome="declined"
        ).order_by("id")
    )
    people = list(Person.objects.exclude(birth_date=None)[:2])
    for nominee, reason in zip(rows, REASONS, strict=True):
        nominee.outcome_reason = reason
        if nominee.kind == "individual" and people:
            nominee.person = people.pop()
        nominee.save()
    last = rows[-1]
    last.outcome, last.outcome_reason = "not_approved", ""
    last.save()
    return decision


def _notice(api, user: str, pk: int, organization: str | None = None):
    query = f"?organization={organization}" if organization else ""
    return api(user).get(f"/api/v1/decisions/{pk}/not-awarded/{query}")


def test_the_notice_lists_each_unit_s_nominees_not_awarded_with_their_reasons(mixed, api, world):
    not_awarded = Nominee.objects.filter(
        dossier__decision_entries__decision=mixed, outcome__in=["declined", "not_approved"]
    ).select_related("dossier__organization")
    for code in ("HCCB", "DOAN"):
        got = _notice(api, "board-head", mixed.pk, code)
        assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
        text = _text(got.content)
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "THÔNG BÁO" in text
        assert "BỘ NỘI VỤ" in text and "BAN THI ĐUA - KHEN THƯỞNG TRUNG ƯƠNG" in text
        assert "Số: …/TB-BTDKT-TW" in text
        assert "Quyết định số 915/QĐ-TTg ngày 02/09/2024 của Thủ tướng Chính phủ" in text
        assert "TRƯỞNG BAN" in text and "Nơi nhận:" in text
        assert full_name(world.user("board-head")) in text  # the signer, by name
        unit = mixed.dossiers.filter(organization__code=code).first().organization.name
        assert f"Kính gửi: {unit}" in text
        assert "02 trường hợp" in text
        for nominee in not_awarded:
            mine = nominee.dossier.organization.code == code
            assert (nominee.name in text) is mine, (code, nominee.name)
            if mine and nominee.outcome_reason:
                assert nominee.outcome_reason in text
        awarded = Nominee.objects.filter(dossier__decision_entries__decision=mixed,
                                         outcome="awarded")  # fmt: skip
        assert not any(f"{n.name} " in f"{text} " for n in awarded)
        _no_personal_data(text, Person.objects.all())
    doan = _text(_notice(api, "board-head", mixed.pk, "DOAN").content)
    assert "Không được cấp có thẩm quyền chấp thuận." in doan  # not approved, no reason given
    both = _notice(api, "pm", mixed.pk)
    assert both.status_code == 200
    text = _text(both.content)
    assert all(n.name in text for n in not_awarded)
    assert len(PdfReader(io.BytesIO(both.content)).pages) >= 2
    assert not LedgerEvent.objects.filter(action__contains="not_awarded").exists()


def test_a_unit_reads_only_its_own_notice(mixed, api):
    assert _notice(api, "proposer-HCCB", mixed.pk, "HCCB").status_code == 200
    assert _notice(api, "head-DOAN", mixed.pk, "DOAN").status_code == 200
    assert _notice(api, "proposer-HCCB", mixed.pk, "DOAN").status_code == 404
    own = _text(_notice(api, "proposer-HCCB", mixed.pk).content)  # no filter: its own only
    doan = Nominee.objects.filter(
        dossier__decision_entries__decision=mixed, dossier__organization__code="DOAN"
    )
    assert "TRUNG ƯƠNG HỘI CỰU CHIẾN BINH" in own.upper()
    assert not any(n.name in own for n in doan.exclude(outcome="awarded"))
    for stranger in ("proposer-VUFO", "t-chair", "consult-THUE"):
        assert _notice(api, stranger, mixed.pk).status_code == 404, stranger
        assert _notice(api, stranger, mixed.pk, "HCCB").status_code == 404, stranger
    assert _notice(api, "board-head", mixed.pk, "VUFO").status_code == 404  # none of its
    assert _notice(api, "board-head", 999999).status_code == 404
    assert _notice(api, "board-head", mixed.pk, "not a code").status_code == 400
    assert _notice(api, "board-head", mixed.pk, "x" * 40).status_code == 400


def test_an_unsigned_decision_has_no_notice_and_a_decision_awarding_all_none(world, api):
    from approvals.models import Decision

    draft = Decision.objects.filter(decider="TTG", state="draft").first()
    got = _notice(api, "pm", draft.pk)
    assert got.status_code == 409 and got.json()["code"] == "not_signed"
    every = signed_decision(3, 0, number="916/QĐ-TTg")
    assert _notice(api, "pm", every.pk).status_code == 404


def test_the_signed_decision_page_links_the_notices_each_user_may_read(mixed):
    board = Client()
    assert signin(board, "board-head")
    page = board.get(f"/decisions/{mixed.pk}/").content.decode()
    for code in ("HCCB", "DOAN"):
        assert f"/decisions/{mixed.pk}/not-awarded.pdf?organization={code}" in page
    got = board.get(f"/decisions/{mixed.pk}/not-awarded.pdf?organization=DOAN")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    unit = Client()
    assert signin(unit, "proposer-HCCB")
    page = unit.get(f"/decisions/{mixed.pk}/").content.decode()
    assert "organization=HCCB" in page and "organization=DOAN" not in page
    assert unit.get(f"/decisions/{mixed.pk}/not-awarded.pdf?organization=DOAN").status_code == 404
    assert unit.get(f"/decisions/{mixed.pk}/not-awarded.pdf?organization=%00").status_code == 404


def test_renders_as_png_for_a_look(world, proposal, mixed, api):
    """The submission's first page and its list, and a notice, as PNG in artifacts/documents/:
    Vietnamese diacritics right, nothing cut off."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("submission-*.png"), *ARTIFACTS.glob("notice-*.png")]:
        old.unlink()
    act(world, "head-HCCB", proposal, "submit")
    files = {
        "submission": api("proposer-HCCB").get(f"/api/v1/dossiers/{proposal.pk}/submission.pdf"),
        "notice": _notice(api, "board-head", mixed.pk, "HCCB"),
    }
    for name, got in files.items():
        (ARTIFACTS / f"{name}.pdf").write_bytes(got.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
            check=True,
        )
    assert sorted(p.name for p in ARTIFACTS.glob("submission-*.png")) == [
        "submission-1.png", "submission-2.png",
    ]  # fmt: skip
    assert sorted(p.name for p in ARTIFACTS.glob("notice-*.png")) == ["notice-1.png"]
