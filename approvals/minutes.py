"""The counting minutes (biên bản kiểm phiếu) of a closed ballot session, as a PDF (fpdf2)."""

from pathlib import Path

from django.utils import timezone
from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
RESULT = {
    "passed": "Đạt",
    "no_quorum": "Không đạt (không đủ số phiếu tham gia)",
    "below_threshold": "Không đạt (dưới tỷ lệ quy định)",
    "held": "Không tính (tạm dừng xét trong khi bỏ phiếu)",
    "withdrawn": "Không tính (đơn vị rút hồ sơ trong khi bỏ phiếu)",
    "tie": "Không đạt (số phiếu đồng ý bằng số phiếu không đồng ý)",
}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else "—"


def render_minutes(session, roll, casts, items) -> bytes:
    """Session, attendance (who voted, when, and the conflicts each declared — never what it
    chose), the tally and outcome per nominee."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, "BIÊN BẢN KIỂM PHIẾU", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    body = session.bloc.name if session.bloc_id else session.council.name
    lines = [
        f"{body} — năm {session.year} — phiên bỏ phiếu số {session.pk}",
        f"Mở phiếu: {_when(session.opened_at)} ({session.opened_by.username}); "
        f"đóng phiếu: {_when(session.closed_at)} "
        f"({session.closed_by.username if session.closed_by_id else 'hết hạn'})",
        f"Số thành viên: {len(roll)}; số phiếu đã bỏ: {len(casts)}",
    ]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Thành phần tham gia bỏ phiếu", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    cast_of = {c.voter_id: c for c in casts}
    for voter in roll:
        name = voter.organization.code if voter.organization_id else voter.user.username
        cast = cast_of.get(voter.pk)
        state = f"đã bỏ phiếu lúc {_when(cast.cast_at)}" if cast else "vắng"
        declared = [c.item.nominee.name for c in cast.conflicts.all()] if cast else []
        if declared:
            state += f"; tự khai xung đột lợi ích, không bỏ phiếu cho: {', '.join(declared)}"
        pdf.cell(0, 5, f"• {name}: {state}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Kết quả kiểm phiếu", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=(48, 26, 11, 11, 11, 11, 12, 12, 38), text_align="LEFT") as table:
        table.row(
            ["Đối tượng", "Hồ sơ", "Đồng ý", "Không", "Phiếu trắng", "Xung đột",
             "Có quyền", "Đã bầu", "Kết quả"]
        )  # fmt: skip
        for item in items:
            form = item.dossier.award_form
            table.row(
                [
                    item.nominee.name,
                    f"{item.dossier.reference}\n{form.name} (≥{form.vote_threshold_percent}%)",
                    str(item.yes), str(item.no), str(item.abstain), str(item.conflicts),
                    str(item.eligible), str(item.voted), RESULT.get(item.outcome, item.outcome),
                ]
            )  # fmt: skip
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        0,
        5,
        "Phiếu kín: hệ thống lưu ai đã bỏ phiếu và lúc nào, nhưng không lưu lựa chọn gắn với "
        "người bỏ phiếu. Trong thời gian bỏ phiếu, lựa chọn được niêm phong (mã hóa); khi kiểm "
        "phiếu, các lựa chọn được mở, xáo trộn và lưu không kèm người bỏ phiếu. Mỗi phiếu có một "
        "mã biên nhận ngẫu nhiên để đơn vị tự kiểm tra phiếu của mình đã được kiểm.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
