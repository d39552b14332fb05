"""Lay out a decision (portrait A4, Decree 30/2020/NĐ-CP's arrangement) and its certificates
(landscape A4) with fpdf2 and the DejaVu fonts bundled with the ballot minutes.

Decree 30 asks for a Vietnamese Unicode font (Times New Roman in practice); the project bundles
DejaVu Sans (regular and bold), so sizes are a point below the decree's 13–14 to keep its
wider letters on the same lines. Its margins are kept: top 20 mm, bottom 20 mm, left 30 mm,
right 15 mm."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from approvals.minutes import FONT, add_fonts
from documents.content import DecisionContent, LetterContent, Row, money, vn_date

LEFT, RIGHT, TOP, BOTTOM = 30, 15, 20, 20
RED = (176, 20, 20)
GOLD = (184, 134, 11)


class _Pdf(FPDF):
    """A4 with the project's fonts; a draft carries "DỰ THẢO" across every page."""

    def __init__(self, orientation: str = "P", draft: bool = False, footer_text: str = ""):
        super().__init__(orientation=orientation, format="A4")
        self.draft = draft
        self.footer_text = footer_text
        add_fonts(self)
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.set_creator("Khen thưởng")

    def header(self) -> None:
        if not self.draft:
            return
        x, y = self.w / 2, self.h / 2
        self.set_font(FONT, "B", 72)
        self.set_text_color(225, 225, 225)
        with self.rotation(45, x, y):
            width = self.get_string_width("DỰ THẢO")
            self.text(x - width / 2, y, "DỰ THẢO")
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        if self.page_no() == 1:  # Decree 30: pages are numbered from the second
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        text = f"{self.footer_text} — trang {self.page_no()}/{{nb}}".strip(" —")
        self.cell(0, 5, text, align="C")
        self.set_text_color(0, 0, 0)


def _fit(pdf: FPDF, text: str, width: float, size: float, style: str = "B") -> float:
    """The largest size up to `size` at which `text` fits on one line of `width`."""
    while size > 7:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 0.5
    return size


def _header(pdf: FPDF, content: DecisionContent | LetterContent) -> None:
    """The two columns of the first page: the issuing body (under the body it reports to, in
    regular type, if any) and the number on the left; the national title and motto (underlined)
    and the place and date on the right."""
    usable = pdf.w - LEFT - RIGHT
    left_w, right_w = usable * 0.4, usable * 0.6
    top = pdf.get_y()
    pdf.set_xy(LEFT, top)
    lines = [(line, "") for line in getattr(content, "superior", [])]
    for line, style in lines + [(line, "B") for line in content.body]:
        # Shrunk to fit one line, down to 9.5 pt; a longer name wraps on two lines instead.
        if _fit(pdf, line, left_w, 11, style=style) < 9.5:
            pdf.set_font(FONT, style, 9.5)
        pdf.multi_cell(left_w, 5.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    under = pdf.get_y() + 0.5
    pdf.line(LEFT + left_w * 0.35, under, LEFT + left_w * 0.65, under)
    pdf.set_xy(LEFT, under + 2)
    pdf.set_font(FONT, "", 11)
    pdf.cell(left_w, 6, f"Số: {content.number}", align="C", new_x="LMARGIN", new_y="NEXT")
    left_end = pdf.get_y()

    x = LEFT + left_w
    pdf.set_xy(x, top)
    _fit(pdf, content.national[0], right_w, 11)
    pdf.cell(right_w, 5.5, content.national[0], align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", 11.5)
    pdf.cell(right_w, 5.5, content.national[1], align="C", new_x="LEFT", new_y="NEXT")
    motto = pdf.get_string_width(content.national[1])
    y = pdf.get_y() + 0.5
    pdf.line(x + (right_w - motto) / 2, y, x + (right_w + motto) / 2, y)
    pdf.set_xy(x, y + 2)
    pdf.set_font(FONT, "", 10.5)
    pdf.cell(right_w, 6, content.date_line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_end, pdf.get_y()) + 6)


def _paragraph(pdf: FPDF, text: str, size: float = 11, lead: str = "") -> None:
    """A justified paragraph, its first line indented; `lead` (Điều 1.) in bold."""
    pdf.set_x(LEFT)
    pdf.set_font(FONT, "", size)
    body = f"**{lead}** {text}" if lead else text
    pdf.multi_cell(
        0, 6, "        " + body, align="J", markdown=bool(lead), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(1)


def _signature_block(pdf: FPDF, content: DecisionContent | LetterContent) -> None:
    """ "Nơi nhận" on the left; the signer's title and name on the right."""
    usable = pdf.w - LEFT - RIGHT
    left_w, right_w = usable * 0.5, usable * 0.5
    if pdf.get_y() > pdf.h - BOTTOM - 55:
        pdf.add_page()
    top = pdf.get_y() + 4
    pdf.set_xy(LEFT, top)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(left_w, 5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    for line in content.recipients:
        pdf.set_x(LEFT)
        pdf.multi_cell(left_w - 4, 4.5, f"- {line}", new_x="LMARGIN", new_y="NEXT")
    left_end = pdf.get_y()
    x = LEFT + left_w
    pdf.set_xy(x, top)
    if content.on_behalf:
        _fit(pdf, content.on_behalf, right_w, 11)
        pdf.cell(right_w, 5.5, content.on_behalf, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.cell(right_w, 5.5, content.signer_title, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    mark = getattr(content, "mark", None)
    if mark is None:
        mark = "(Dự thảo — chưa ký)" if content.draft else "(Đã ký số)"
    pdf.cell(right_w, 14, mark, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.cell(right_w, 6, content.signer_name or "…", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_end, pdf.get_y()) + 4)


def _annex(pdf: FPDF, content: DecisionContent) -> None:
    pdf.add_page()
    texts = content.texts
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 6, texts["annex_title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 10.5)
    pdf.multi_cell(0, 5.5, content.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(0, 5, f"({content.annex_subtitle})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _section(pdf, texts["annex_awarded"])
    if content.awarded:
        _awarded_table(pdf, content.awarded, content.total)
    else:
        _none(pdf)
    if content.declined:
        pdf.ln(4)
        _section(pdf, texts["annex_declined"])
        _declined_table(pdf, content.declined)


def _section(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")


def _none(pdf: FPDF) -> None:
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, "Không có.", new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, widths: tuple[float, ...], align: tuple[str, ...]):
    # Headings repeat on every page; column widths are wide enough for the longest heading
    # word, so no heading breaks inside a word.
    pdf.set_font(FONT, "", 8.5)
    return pdf.table(
        align="LEFT",  # from the left margin (30 mm), not centred on the page
        col_widths=widths,
        text_align=align,
        line_height=4.6,
        padding=1,
        repeat_headings=1,
        cell_fill_mode=TableCellFillMode.NONE,
    )


def _awarded_table(pdf: FPDF, rows: list[Row], total: int) -> None:
    widths = (9, 46, 40, 32, 12, 26)
    align = ("CENTER", "LEFT", "LEFT", "LEFT", "CENTER", "RIGHT")
    with _table(pdf, widths, align) as table:
        table.row(["STT", "Tên tập thể, cá nhân", "Đơn vị", "Hình thức", "Hệ số", "Tiền thưởng"])
        for index, row in enumerate(rows, start=1):
            name = f"{row.title} {row.name}".strip()
            table.row(
                [
                    str(index),
                    f"{name}\n({row.kind.lower()})",
                    row.organization,
                    row.form_name,
                    row.coefficient or "—",
                    money(row.amount),
                ]
            )
    pdf.set_font(FONT, "B", 9.5)
    pdf.cell(0, 7, f"Tổng số tiền thưởng: {money(total)} đồng", align="R")
    pdf.ln(7)


def _declined_table(pdf: FPDF, rows: list[Row]) -> None:
    widths = (9, 50, 40, 34, 32)
    align = ("CENTER", "LEFT", "LEFT", "LEFT", "LEFT")
    with _table(pdf, widths, align) as table:
        table.row(["STT", "Tên tập thể, cá nhân", "Đơn vị", "Hình thức đề nghị", "Lý do"])
        for index, row in enumerate(rows, start=1):
            name = f"{row.title} {row.name}".strip()
            table.row(
                [
                    str(index),
                    f"{name}\n({row.kind.lower()})",
                    row.organization,
                    row.form_name,
                    row.reason,
                ]
            )


def render_decision(content: DecisionContent) -> bytes:
    """The decision: header, "QUYẾT ĐỊNH", its subject, the authority, the legal bases, the
    articles, the signature block and recipients; then the annex of awardees and declines."""
    pdf = _Pdf(draft=content.draft, footer_text=f"Quyết định số {content.number}")
    pdf.set_title(f"Quyết định {content.number}")
    pdf.set_author(content.issuer_name)
    pdf.add_page()
    _header(pdf, content)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, "QUYẾT ĐỊNH", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, content.title, align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 0.5
    pdf.line(pdf.w / 2 - 20, y, pdf.w / 2 + 20, y)
    pdf.ln(5)
    _fit(pdf, content.authority, pdf.w - LEFT - RIGHT, 12)
    pdf.cell(0, 7, content.authority, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in content.bases:
        _paragraph(pdf, line)
    pdf.ln(1)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, "QUYẾT ĐỊNH:", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for number, text in enumerate(content.articles, start=1):
        _paragraph(pdf, text, lead=f"Điều {number}.")
    _signature_block(pdf, content)
    _annex(pdf, content)
    return bytes(pdf.output())


# --- letters: the unit's submission and its list, the notice of nominees not awarded --------


def _letter_table(pdf: FPDF, content: LetterContent) -> None:
    align = ("CENTER", "LEFT", "LEFT", "LEFT")
    for section in content.sections:
        if section.heading:
            _section(pdf, section.heading)
        with _table(pdf, content.widths, align) as table:
            table.row(content.columns)
            for row in section.rows:
                table.row(row)
        pdf.ln(3)


def _letter(pdf: _Pdf, content: LetterContent) -> None:
    """One letter from a new page: header, its kind and subject, "Kính gửi", the paragraphs,
    the table inline (then the closing) or on its annex page after the signature."""
    pdf.draft = content.draft  # drawn by the new page's header
    pdf.add_page()
    pdf.footer_text = content.footer_text  # after: the previous page's footer is the old one
    _header(pdf, content)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, content.heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, content.title, align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 1
    pdf.line(pdf.w / 2 - 20, y, pdf.w / 2 + 20, y)
    pdf.ln(5)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, f"Kính gửi: {content.addressee}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for text in content.paragraphs:
        _paragraph(pdf, text)
    if not content.list_title:
        pdf.ln(1)
        _letter_table(pdf, content)
        for text in content.closing:
            _paragraph(pdf, text)
    _signature_block(pdf, content)
    if content.list_title:
        pdf.add_page()
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 6, content.list_title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B", 10.5)
        pdf.multi_cell(0, 5.5, content.list_subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9.5)
        pdf.multi_cell(0, 5, content.list_note, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        _letter_table(pdf, content)


def render_letters(contents: list[LetterContent], title: str) -> bytes:
    """One or more letters in one PDF, each from a new page (the notices of several units)."""
    pdf = _Pdf()
    pdf.set_title(title)
    if contents:
        pdf.set_author(contents[0].body[0])
    for content in contents:
        _letter(pdf, content)
    return bytes(pdf.output())


# --- certificates -----------------------------------------------------------------------------


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(2.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.5)
    pdf.rect(12, 12, pdf.w - 24, pdf.h - 24)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def _certificate(pdf: FPDF, content: DecisionContent, row: Row, serial: str) -> None:
    """One page: the national title, the issuer, BẰNG KHEN (or GIẤY CHỨNG NHẬN), the awardee,
    the achievement, the decision's number and date, the signer."""
    kind = "bang_khen" if row.form_name.lower().startswith("bằng khen") else "chung_nhan"
    text = content.texts["certificate"][kind]
    pdf.add_page()
    _frame(pdf)
    inner = pdf.w - 60
    pdf.set_xy(30, 22)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(inner, 7, content.national[0], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(30)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(inner, 6, content.national[1], align="C", new_x="LMARGIN", new_y="NEXT")
    motto = pdf.get_string_width(content.national[1])
    y = pdf.get_y() + 0.6
    pdf.line(pdf.w / 2 - motto / 2, y, pdf.w / 2 + motto / 2, y)
    pdf.ln(7)
    pdf.set_x(30)
    _fit(pdf, content.authority, inner, 14)
    pdf.cell(inner, 8, content.authority, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(30)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(inner, 7, text["verb"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_x(30)
    pdf.set_text_color(*RED)
    pdf.set_font(FONT, "B", 30)
    pdf.cell(inner, 15, text["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    name = f"{row.title} {row.name}".strip()
    pdf.set_x(30)
    _fit(pdf, name, inner, 20)
    pdf.multi_cell(inner, 10, name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if row.organization and row.organization != row.name:
        pdf.set_x(30)
        pdf.set_font(FONT, "", 12)
        pdf.multi_cell(inner, 6, row.organization, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    values = {
        "year": row.year,
        "form": row.form_name,
        "number": content.number,
        "date": vn_date(content.signed_on),
        "verb_lower": "tặng",
    }
    pdf.set_x(40)
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(pdf.w - 80, 6.5, text["text"].format_map(values), align="C")
    # Bottom: the decision and the register number on the left, the signer on the right.
    bottom = pdf.h - 62
    pdf.set_xy(30, bottom + 18)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        100,
        5.5,
        f"Quyết định số {content.number}\n{vn_date(content.signed_on)}\nSố sổ vàng: {serial}",
        align="L",
    )
    x = pdf.w / 2 + 10
    pdf.set_xy(x, bottom)
    pdf.set_font(FONT, "", 11)
    pdf.cell(pdf.w - x - 30, 6, content.date_line, align="C", new_x="LEFT", new_y="NEXT")
    if content.on_behalf:
        _fit(pdf, content.on_behalf, pdf.w - x - 30, 11)
        pdf.cell(pdf.w - x - 30, 6, content.on_behalf, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.cell(pdf.w - x - 30, 6, content.signer_title, align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(12)
    pdf.set_x(x)
    pdf.cell(pdf.w - x - 30, 6, content.signer_name or "…", align="C")


def render_certificates(content: DecisionContent, rows: list[Row]) -> bytes:
    """One landscape page per awardee, in the annex's order: the batch to print."""
    pdf = _Pdf(orientation="L", draft=content.draft)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Bằng khen, giấy chứng nhận — Quyết định {content.number}")
    pdf.set_author(content.issuer_name)
    pdf.footer = lambda: None  # type: ignore[method-assign]  # a certificate has no page number
    index = {r.nominee_id: i for i, r in enumerate(content.awarded, start=1)}
    for row in rows:
        _certificate(pdf, content, row, f"{content.decision_id}-{index.get(row.nominee_id, 0)}")
    return bytes(pdf.output())
