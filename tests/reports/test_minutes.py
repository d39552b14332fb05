"""The ballot and council minutes (approvals/minutes.py): the national header, attendance, the
rule applied, the tally per nominee, signature blocks; no table header broken inside a word.
One page of each is rendered to PNG in artifacts/documents/ for a person to look at."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from approvals import minutes
from approvals.minutes import ROLL_HEADERS, TALLY_HEADERS, TALLY_WIDTHS, fit_columns, render_minutes
from approvals.models import BallotSession

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"


def _render(session) -> bytes:
    roll = list(session.roll.select_related("organization", "user").order_by("id"))
    casts = list(session.casts.prefetch_related("conflicts__item__nominee"))
    items = list(session.items.select_related("dossier__award_form", "nominee"))
    return render_minutes(session, roll, casts, items)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(params=["bloc", "council"])
def closed(request, db):
    return BallotSession.objects.filter(state="closed", body=request.param).order_by("id").first()


def test_minutes_carry_the_national_header_attendance_rule_tally_and_signatures(closed):
    pdf = _render(closed)
    text = _text(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "BIÊN BẢN" in text
    assert f"Tổng số thành viên: {closed.roll.count()}" in text
    assert f"tham gia bỏ phiếu: {closed.casts.count()}" in text
    assert "Quy tắc biểu quyết áp dụng" in text
    for item in closed.items.select_related("dossier__award_form", "nominee"):
        rule = minutes.vote_rule(closed, item.dossier.award_form)
        assert f"từ {rule['threshold_percent']}%" in text
        assert item.nominee.name in text
        assert item.dossier.reference in text
    assert "(Ký, ghi rõ họ tên)" in text
    assert ("Chủ tịch Hội đồng".upper() in text) or ("trưởng khối".upper() in text)


@pytest.mark.parametrize("headers", [TALLY_HEADERS, ROLL_HEADERS])
def test_no_header_word_is_wider_than_its_column(headers):
    pdf = FPDF()
    pdf.add_font("DejaVu", "B", str(minutes.FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu", "B", 8)
    widths = TALLY_WIDTHS if headers is TALLY_HEADERS else minutes.ROLL_WIDTHS
    fitted = fit_columns(pdf, headers, widths, flexible=(1,))
    for header, width in zip(headers, fitted, strict=True):
        for word in header.split():
            assert pdf.get_string_width(word) + 2 * minutes.PADDING <= width, (word, width)
    assert sum(fitted) == pytest.approx(sum(widths))


def test_the_tally_headers_are_not_broken_mid_word(closed):
    """In the extracted text every word of the headers is whole (a mid-word break would show it
    split across two lines)."""
    words = {w for header in TALLY_HEADERS + ROLL_HEADERS for w in header.split()}
    lines = _text(_render(closed)).split("\n")
    tokens = {token for line in lines for token in line.split()}
    for word in words:
        assert word in tokens or any(word in line for line in lines), word
    # no line holds a lone fragment of a header word ("Khô" / "ng")
    fragments = {w[:i] for w in words if len(w) > 3 for i in range(2, len(w) - 1)}
    assert not (fragments - words) & tokens


def test_one_minutes_page_rendered_to_png(closed):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"minutes-{closed.body}.pdf"
    source.write_bytes(_render(closed))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(source),
         str(ARTIFACTS / f"minutes-{closed.body}")],
        check=True,
    )  # fmt: skip
    assert list(ARTIFACTS.glob(f"minutes-{closed.body}*.png"))
