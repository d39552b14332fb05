"""The minutes of a closed ballot — a bloc's vote (biên bản bình xét, kiểm phiếu của khối/cụm)
or a council's (biên bản họp, kiểm phiếu của hội đồng) — as a PDF (fpdf2, bundled DejaVu fonts).

Laid out after the state's administrative format (Decree 30/2020/NĐ-CP, Appendix I): the body
and the number on the left, the national header (Quốc hiệu và Tiêu ngữ) on the right, the place
and date, the title; then the attendance, the rule and threshold applied to each award form, the
tally per nominee, the note on secrecy and the signature blocks. An official record: its text is
Vietnamese whatever the reader's language.

The tables' headers never break inside a word: each column is at least as wide as the longest
word of its header (`fit_columns`), the extra width going to the name columns.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

from django.utils import timezone
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from accounts.names import full_name
from approvals.models import Attendance, BallotBody
from approvals.voting import vote_rule, written_votes_refused_by

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}  # style → file in FONTS
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RESULT = {
    "passed": "Đạt",
    "no_quorum": "Không đạt (không đủ số phiếu tham gia)",
    "below_threshold": "Không đạt (dưới tỷ lệ quy định)",
    "held": "Không tính (tạm dừng xét trong khi bỏ phiếu)",
    "withdrawn": "Không tính (đơn vị rút hồ sơ trong khi bỏ phiếu)",
    "tie": "Không đạt (số phiếu đồng ý bằng số phiếu không đồng ý)",
}
DENOMINATOR = {
    "total_members": "tổng số thành viên",
    "voters": "số thành viên tham gia bỏ phiếu",
}
# Decree 30/2020 Appendix I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP = 30.0, 15.0, 20.0
PADDING = 1.0  # a table cell's inner padding (mm), each side
TALLY_HEADERS = (
    "STT", "Đối tượng", "Hồ sơ, hình thức", "Đồng ý", "Không đồng ý", "Phiếu trắng",
    "Xung đột lợi ích", "Có quyền bỏ phiếu", "Đã bỏ phiếu", "Kết quả",
)  # fmt: skip
TALLY_WIDTHS = (9, 30, 30, 12, 13, 13, 14, 14, 12, 18)  # mm; widened by fit_columns
ROLL_HEADERS = (
    "STT", "Thành viên", "Tham gia bỏ phiếu", "Tự khai xung đột lợi ích, không bỏ phiếu cho",
)  # fmt: skip
ROLL_WIDTHS = (10, 60, 45, 50)
SECRECY = (
    "Phiếu kín: hệ thống lưu ai đã bỏ phiếu và lúc nào, nhưng không lưu lựa chọn gắn với người bỏ "
    "phiếu. Trong thời gian bỏ phiếu, lựa chọn được niêm phong (mã hóa); khi kiểm phiếu, các lựa "
    "chọn được mở, xáo trộn và lưu không kèm người bỏ phiếu. Mỗi phiếu có một mã biên nhận ngẫu "
    "nhiên để đơn vị tự kiểm tra phiếu của mình đã được kiểm."
)


WRITTEN_VOTES = (
    "Thành viên vắng mặt tại phiên họp gửi phiếu bằng văn bản trước khi kết thúc bỏ phiếu; phiếu "
    "bằng văn bản được niêm phong và kiểm như phiếu bỏ tại phiên họp."
)
# A ballot on a form whose rule counts only the members present (domain.md §2.4,
# `absentee_written_vote` off) takes no written vote at all (approvals.voting).
NO_WRITTEN_VOTES = (
    "Phiên bỏ phiếu không nhận phiếu bằng văn bản: theo quy tắc biểu quyết của {forms}, chỉ thành "
    "viên có mặt tại phiên họp bỏ phiếu; thành viên vắng mặt không bỏ phiếu."
)


def _took_part(voter, cast, is_bloc: bool) -> str:
    """How a member took part: its ballot and when; on a council's, at the meeting or in writing
    (absent), or absent without a ballot."""
    if cast is None:
        present = not is_bloc and voter.attendance == Attendance.PRESENT
        return "Có mặt, không bỏ phiếu" if present else "Vắng"
    if is_bloc:
        return f"Có, lúc {_when(cast.cast_at)}"
    if voter.in_writing:
        return f"Vắng mặt, gửi phiếu bằng văn bản lúc {_when(cast.cast_at)}"
    return f"Có mặt, bỏ phiếu lúc {_when(cast.cast_at)}"


def _written_votes(refusing) -> str:
    """What the minutes of a council's ballot say of written votes: how they were taken, or,
    where an award form on the ballot takes none, that the ballot took none and why."""
    if not refusing:
        return WRITTEN_VOTES
    return NO_WRITTEN_VOTES.format(forms=", ".join(f"“{form.name}”" for form in refusing))


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else "—"


def _name(user) -> str:
    return full_name(user)


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}".rstrip("0").rstrip(".") + "%" if whole else "—"


def fit_columns(
    pdf: FPDF, headers: Sequence[str], widths: Sequence[float], *, flexible: Sequence[int]
) -> list[float]:
    """Column widths in which every word of every header fits on one line (in the current
    font): a column narrower than its longest word is widened, and the width it takes is given
    back by the `flexible` columns (the names), so the table keeps its total width."""
    need = [max(pdf.get_string_width(word) for word in header.split()) + 2 * PADDING + 0.5
            for header in headers]  # fmt: skip
    fitted = [max(w, n) for w, n in zip(widths, need, strict=True)]
    excess = sum(fitted) - sum(widths)
    for index in flexible:
        take = min(excess, fitted[index] - need[index])
        fitted[index] -= take
        excess -= take
    return fitted


class _Minutes(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")


@functools.cache
def _parsed(style: str) -> tuple[TTFFont, bytes]:
    """The font of `style` as fpdf parses it (its glyph widths, cmap, descriptor) and the
    file's bytes, read once per process."""
    path = FONTS / FONT_FILES[style]
    pdf = FPDF()
    pdf.add_font(FONT, style, str(path))
    return pdf.fonts[f"{FONT.lower()}{style}"], path.read_bytes()


def add_fonts(pdf: FPDF) -> None:
    """The project's fonts (DejaVu regular and bold) in `pdf`, as `add_font` would add them but
    parsed once per process (parsing was a tenth of a ballot's minutes): the document gets a
    copy of the parsed font with its own glyph subset, descriptor and fontTools object, which
    its output subsets in place."""
    for style in FONT_FILES:
        parsed, data = _parsed(style)
        font = copy.copy(parsed)
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, lazy=True)
        font.desc = copy.copy(parsed.desc)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        pdf.fonts[font.fontkey] = font


def _pdf() -> _Minutes:
    pdf = _Minutes(format="A4")
    add_fonts(pdf)
    pdf.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
    pdf.set_auto_page_break(True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def _national_header(pdf: FPDF, body: str, number: str, place_date: str) -> None:
    """Left: the body (bold, upper case) and the number; right: the national name and motto
    (motto underlined), then the place and date."""
    width = pdf.epw
    left, right = width * 0.42, width * 0.58
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(left, 5, body.upper(), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(left, 6, number, align="C")
    bottom_left = pdf.get_y() + 6
    pdf.set_xy(MARGIN_LEFT + left, top)
    size = 10.0
    pdf.set_font("DejaVu", "B", size)
    while pdf.get_string_width(NATION) > right - 2 and size > 7:
        size -= 0.5
        pdf.set_font("DejaVu", "B", size)
    pdf.cell(right, 5, NATION, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.cell(right, 5.5, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
    motto = pdf.get_string_width(MOTTO)
    middle = MARGIN_LEFT + left + right / 2
    pdf.line(middle - motto / 2, pdf.get_y(), middle + motto / 2, pdf.get_y())
    pdf.set_font("DejaVu", "", 10)
    pdf.set_xy(MARGIN_LEFT + left, pdf.get_y() + 2)
    pdf.cell(right, 6, place_date, align="C")
    pdf.set_xy(MARGIN_LEFT, max(bottom_left, pdf.get_y() + 6) + 4)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 50:  # a heading never ends a page: its first lines go with it
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)


LINE = 4.0  # a table line's height (mm)
GREY = 235  # the header row's fill


class _Widths:
    """Text widths (mm) in one font and size, from the font's glyph widths, each word measured
    once: the tally of a large ballot repeats the same names, forms and numbers."""

    def __init__(self, pdf: FPDF) -> None:
        font = pdf.current_font
        assert font is not None
        self.glyphs, self.scale = font.cw, pdf.font_size_pt * 0.001 / pdf.k
        self.words: dict[str, float] = {}
        self.space = self(" ")

    def __call__(self, word: str) -> float:
        width = self.words.get(word)
        if width is None:
            width = self.words[word] = sum(self.glyphs[ord(c)] for c in word) * self.scale
        return width

    def lines(self, text: str, room: float) -> list[tuple[str, float]]:
        """`text` broken into lines no wider than `room` at spaces (and newlines), a word wider
        than `room` broken where it must: each line with its width."""
        lines: list[tuple[str, float]] = []
        for paragraph in text.split("\n"):
            line: list[str] = []
            width = 0.0
            for word in paragraph.split(" "):
                size = self(word)
                if line and width + self.space + size <= room:
                    line.append(word)
                    width += self.space + size
                    continue
                if line:
                    lines.append((" ".join(line), width))
                while size > room and len(word) > 1:
                    cut = 1
                    while cut < len(word) - 1 and self(word[: cut + 1]) <= room:
                        cut += 1
                    lines.append((word[:cut], self(word[:cut])))
                    word = word[cut:]
                    size = self(word)
                line, width = [word], size
            lines.append((" ".join(line), width))
        return lines


def _table(pdf: FPDF, headers, widths, rows, *, flexible, numeric=()) -> None:
    """A ruled table from the left margin: the header row in bold on grey, repeated at the top
    of each page; a row is never split across pages; each cell's lines centred vertically.

    Drawn with fpdf's primitives (text, rect) and its own line breaking: fpdf's `table()` lays
    every cell out twice through `multi_cell` (about 7 ms a row), which made the minutes of a
    large ballot the dearest part of closing it."""
    pdf.set_font("DejaVu", "B", 8)
    fitted = fit_columns(pdf, headers, widths, flexible=flexible)
    bold = _Widths(pdf)
    pdf.set_font("DejaVu", "", 8)
    regular = _Widths(pdf)
    centred = [i in numeric for i in range(len(headers))]
    baseline = 0.5 * LINE + 0.3 * pdf.font_size
    room = [w - 2 * PADDING for w in fitted]
    head = [bold.lines(text, r) for text, r in zip(headers, room, strict=True)]

    def tall(cells: list[list[tuple[str, float]]]) -> float:
        return max(len(lines) for lines in cells) * LINE + 2 * PADDING

    def draw(cells: list[list[tuple[str, float]]], *, header: bool) -> None:
        height = tall(cells)
        if not header and pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            draw(head, header=True)
        if header:
            pdf.set_font("DejaVu", "B", 8)
            pdf.set_fill_color(GREY)
        top, x = pdf.get_y(), pdf.l_margin
        for lines, width, centre in zip(cells, fitted, centred, strict=True):
            pdf.rect(x, top, width, height, style="DF" if header else "D")
            y = top + (height - len(lines) * LINE) / 2 + baseline
            for text, size in lines:
                if text:
                    left = x + (width - size) / 2 if centre else x + PADDING
                    pdf.text(left, y, text)
                y += LINE
            x += width
        pdf.set_xy(pdf.l_margin, top + height)
        if header:
            pdf.set_font("DejaVu", "", 8)

    body = [
        [regular.lines(str(cell), r) for cell, r in zip(row, room, strict=True)] for row in rows
    ]
    # The header row never ends a page: it goes with the first row.
    if body and pdf.get_y() + tall(head) + tall(body[0]) > pdf.page_break_trigger:
        pdf.add_page()
    draw(head, header=True)
    for cells in body:
        draw(cells, header=False)


def _signatures(pdf: FPDF, blocks: list[tuple[str, str]]) -> None:
    """Signature blocks side by side: a title (bold, upper case), "(Ký, ghi rõ họ tên)", room
    to sign, the name."""
    if pdf.get_y() > pdf.h - 65:
        pdf.add_page()
    pdf.ln(6)
    top = pdf.get_y()
    width = pdf.epw / len(blocks)
    for index, (title, name) in enumerate(blocks):
        x = MARGIN_LEFT + index * width
        pdf.set_xy(x, top)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(width, 5, title.upper(), align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(width, 5, "(Ký, ghi rõ họ tên)", align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_xy(x, top + 35)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 5, name, align="C")
    pdf.set_xy(MARGIN_LEFT, top + 42)


def render_minutes(session, roll, casts, items) -> bytes:
    """The minutes: the session, attendance (who voted, when, and the conflicts each declared —
    never what it chose), the rule and threshold of each award form, the tally and outcome per
    nominee, and the signature blocks."""
    is_bloc = session.body == BallotBody.BLOC
    body = session.bloc.name if session.bloc_id else session.council.name
    closed = session.closed_at or timezone.now()
    day = timezone.localtime(closed)
    pdf = _pdf()
    _national_header(
        pdf,
        body,
        f"Số: {session.pk}/BB-{'KTĐ' if is_bloc else 'HĐTĐKT'}",
        f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
    )
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, "BIÊN BẢN", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11)
    subject = (
        f"Bỏ phiếu kín bình xét thi đua, khen thưởng năm {session.year} của khối/cụm thi đua"
        if is_bloc
        else f"Họp và bỏ phiếu kín xét đề nghị khen thưởng năm {session.year} của Hội đồng"
    )
    pdf.multi_cell(0, 6, subject, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    cast_of = {c.voter_id: c for c in casts}
    _heading(pdf, "I. Thời gian, thành phần")
    pdf.multi_cell(
        0,
        5.5,
        f"Phiên bỏ phiếu số {session.pk} của {body}. Mở phiếu lúc {_when(session.opened_at)} "
        f"({_name(session.opened_by)}); đóng phiếu và kiểm phiếu lúc {_when(session.closed_at)} "
        f"({_name(session.closed_by) if session.closed_by_id else 'tự động khi hết hạn'}).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    written = sum(1 for voter in roll if voter.pk in cast_of and voter.in_writing)
    refusing = written_votes_refused_by(session, [item.dossier.award_form for item in items])
    turnout = (
        f"Tổng số thành viên: {len(roll)}; số thành viên tham gia bỏ phiếu: {len(casts)}"
        + (
            ""
            if is_bloc or refusing
            else f", trong đó {written} phiếu bằng văn bản của thành viên vắng mặt"
        )
        + f"; không bỏ phiếu: {len(roll) - len(casts)} "
        f"(tỷ lệ tham gia {_percent(len(casts), len(roll))})."
    )
    if not is_bloc:
        present = sum(1 for voter in roll if voter.attendance == Attendance.PRESENT)
        turnout += f" Có mặt tại phiên họp: {present}; vắng mặt: {len(roll) - present}."
    pdf.multi_cell(0, 5.5, turnout, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    listed = {item.pk: number for number, item in enumerate(items, start=1)}
    rows = []
    for number, voter in enumerate(roll, start=1):
        member = voter.organization.name if voter.organization_id else _name(voter.user)
        cast = cast_of.get(voter.pk)
        # By their number in section III: a row stays short whatever the nominees' names (a
        # table row cannot run over a page).
        declared = sorted(listed[c.item_id] for c in cast.conflicts.all()) if cast else []
        conflicts = "đối tượng số " + ", ".join(map(str, declared)) if declared else "—"
        rows.append([number, member, _took_part(voter, cast, is_bloc), conflicts])
    _table(pdf, ROLL_HEADERS, ROLL_WIDTHS, rows, flexible=(1, 3), numeric=(0,))

    _heading(pdf, "II. Quy tắc biểu quyết áp dụng")
    seen: dict[str, str] = {}
    for item in items:
        form = item.dossier.award_form
        if form.code in seen:
            continue
        rule = vote_rule(session, form)
        seen[form.code] = (
            f"• {form.name}: hợp lệ khi số thành viên tham gia bỏ phiếu đạt từ "
            f"{rule['quorum_percent']}% số thành viên có quyền bỏ phiếu; đạt khi số phiếu đồng ý "
            f"từ {rule['threshold_percent']}% {DENOMINATOR.get(rule['denominator'], '')} trở lên "
            "và nhiều hơn số phiếu không đồng ý."
        )
    for line in seen.values():
        pdf.multi_cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Thành viên tự khai xung đột lợi ích với một đối tượng không bỏ phiếu cho đối tượng đó và "
        "không được tính vào số thành viên có quyền bỏ phiếu cho đối tượng đó."
        + ("" if is_bloc else " " + _written_votes(refusing)),
        new_x="LMARGIN",
        new_y="NEXT",
    )

    _heading(pdf, "III. Kết quả kiểm phiếu")
    rows = []
    for number, item in enumerate(items, start=1):
        form = item.dossier.award_form
        result = RESULT.get(item.outcome, item.outcome)
        if item.outcome not in ("held", "withdrawn"):
            result = f"{result}; đồng ý {_percent(item.yes, item.voted)} số phiếu"
        rows.append(
            [number, item.nominee.name, f"{item.dossier.reference}\n{form.name}", item.yes,
             item.no, item.abstain, item.conflicts, item.eligible, item.voted, result]
        )  # fmt: skip
    numeric = (0, 3, 4, 5, 6, 7, 8)
    _table(pdf, TALLY_HEADERS, TALLY_WIDTHS, rows, flexible=(1, 2, 9), numeric=numeric)
    passed = sum(1 for item in items if item.passed)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        5.5,
        f"Số đối tượng được bỏ phiếu: {len(items)}; đạt: {passed}; không đạt hoặc không tính: "
        f"{len(items) - passed}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(0, 4.5, SECRECY, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        5.5,
        "Biên bản được lập khi kết thúc kiểm phiếu, có giá trị làm căn cứ đề nghị khen thưởng.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    clerk = _name(session.closed_by) if session.closed_by_id else ""
    chair = "Đại diện đơn vị trưởng khối" if is_bloc else "Chủ tịch Hội đồng"
    _signatures(
        pdf,
        [("Người kiểm phiếu" if is_bloc else "Thư ký Hội đồng", clerk),
         (chair, _name(session.opened_by) if is_bloc else "")],
    )  # fmt: skip
    return bytes(pdf.output())
