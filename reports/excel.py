"""Excel workbooks (openpyxl): a dossier list as filtered, a decision's annex, the yearly
statistics of awards.

Every text cell goes through `_text`: a value a spreadsheet would read as a formula (starting
with = + - @, a tab or a carriage return) is neutralised by the CSV export's own rule
(`audit.views.csv_cell`, OWASP's CSV injection advice), and control characters XLSX cannot hold
are dropped. The annex and the statistics are official papers, in Vietnamese whatever the
reader's language; the dossier list follows the reader's language like the page it comes from.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from accounts.names import full_name
from approvals.models import Decision, DecisionState
from audit.views import csv_cell
from dossiers import levels
from dossiers.models import Dossier, Nominee, NomineeKind, NomineeOutcome
from reports import rewards
from reports.statistics import LEVEL_ORDER, LEVEL_TITLE, Count3, Statistics

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEAD_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
MONEY = "#,##0"
KIND_VI = {
    NomineeKind.INDIVIDUAL: "Cá nhân",
    NomineeKind.COLLECTIVE: "Tập thể",
    NomineeKind.HOUSEHOLD: "Hộ gia đình",
}


def _text(value):
    """A cell's value, safe to open: formulas neutralised, illegal control characters gone."""
    if isinstance(value, str):
        return csv_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _row(ws: Worksheet, values: Sequence, *, bold: bool = False, money: Sequence[int] = ()):
    ws.append([_text(v) for v in values])
    for cell in ws[ws.max_row]:
        cell.border = BOX
        cell.alignment = WRAP
        if bold:
            cell.font = BOLD
        if cell.column - 1 in money:
            cell.number_format = MONEY


def _header(ws: Worksheet, labels: Sequence[str], widths: Sequence[int]) -> None:
    ws.append([_text(str(label)) for label in labels])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill, cell.border, cell.alignment = BOLD, HEAD_FILL, BOX, HEAD_ALIGN
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{ws.max_row + 1}"  # a string: no cell is created below


def _title(ws: Worksheet, lines: Iterable[str], span: int) -> None:
    for number, line in enumerate(lines):
        ws.append([_text(line)])
        cell = ws.cell(row=ws.max_row, column=1)
        cell.font = TITLE if number == 0 else BOLD
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=span)
    ws.append([])


def _bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


# --- the dossier list ------------------------------------------------------------------------


def dossier_list_workbook(dossiers: Iterable[Dossier]) -> bytes:
    """The dossiers as listed (the caller's filtered, ordered queryset, nominees prefetched),
    one row each, in the reader's language."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Dossiers")[:31]
    labels = [
        _("Reference"), _("Title"), _("Award form"), _("Proposing organisation"), _("Year"),
        _("State"), _("Level now holding it"), _("Assigned to"), _("Due"), _("Nominees"),
        _("Nominees' names"),
    ]  # fmt: skip
    _header(ws, labels, [18, 50, 32, 32, 8, 22, 28, 18, 12, 10, 60])
    for d in dossiers:
        names = [n.name for n in d.nominees.all()]
        holder = levels.code_of(d.holder_id)
        _row(
            ws,
            [d.reference, d.title, d.award_form.name, d.organization.name, d.year,
             d.get_state_display(), levels.name_of(holder) if holder else "",
             full_name(d.assignee) if d.assignee_id else "", _date(d.due_date), len(names),
             "; ".join(names)],
        )  # fmt: skip
    ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{ws.max_row}"
    return _bytes(wb)


# --- a decision's annex ----------------------------------------------------------------------

ANNEX_HEADERS = [
    "STT", "Tên cá nhân, tập thể, hộ gia đình", "Loại", "Đơn vị đề nghị", "Hình thức khen thưởng",
    "Số hồ sơ", "Hệ số", "Tiền thưởng (đồng)",
]  # fmt: skip
ANNEX_WIDTHS = [6, 40, 12, 36, 34, 18, 8, 18]


def _annex_nominees(decision: Decision) -> list[Nominee]:
    return list(
        Nominee.objects.filter(dossier__decision_entries__decision=decision)
        .select_related("dossier__award_form", "dossier__organization", "organization")
        .order_by("dossier__reference", "id")
    )


def decision_annex_workbook(decision: Decision) -> bytes:
    """The annex (phụ lục) of a decision: its awardees with their reward (coefficient × the base
    salary in force on the signing day), then the nominees declined with the reason. For a batch
    not yet signed, the proposed nominees, priced at today's base salary."""
    signed = decision.state == DecisionState.SIGNED
    day = decision.signed_on if signed else timezone.localdate()
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    reference = (
        f"(Kèm theo Quyết định số {decision.number} ngày {_date(decision.signed_on)} của "
        f"{decision.get_decider_display()})"
        if signed
        else f"(Dự thảo, tờ trình số {decision.pk}: chưa ký)"
    )
    span = len(ANNEX_HEADERS)
    _title(ws, ["PHỤ LỤC", "DANH SÁCH KHEN THƯỞNG", reference], span)
    nominees = _annex_nominees(decision)
    if signed:
        groups = [
            ("I. Được khen thưởng", [n for n in nominees if n.outcome == NomineeOutcome.AWARDED]),
            ("II. Không được khen thưởng", [
                n for n in nominees if n.outcome == NomineeOutcome.DECLINED]),
        ]  # fmt: skip
    else:
        pending = [n for n in nominees if n.outcome == NomineeOutcome.PENDING]
        groups = [("Đề nghị khen thưởng", pending)]
    grand = 0
    for heading, rows in groups:
        ws.append([_text(heading)])
        ws.cell(row=ws.max_row, column=1).font = BOLD
        declined = heading.startswith("II.")
        headers = ANNEX_HEADERS[:-2] + ["Lý do"] if declined else ANNEX_HEADERS
        _header(ws, headers, ANNEX_WIDTHS if not declined else ANNEX_WIDTHS[:-2] + [50])
        total = 0
        for number, n in enumerate(rows, start=1):
            form = n.dossier.award_form
            unit = n.organization.name if n.organization_id else n.dossier.organization.name
            values = [number, n.name, KIND_VI.get(n.kind, n.kind), unit, form.name,
                      n.dossier.reference]  # fmt: skip
            if declined:
                _row(ws, [*values, n.outcome_reason])
                continue
            coefficient = rewards.reward_coefficient(form.code, n.kind)
            amount = rewards.reward_amount(form.code, n.kind, day)
            total += amount or 0
            _row(ws, [*values, float(coefficient) if coefficient is not None else "", amount],
                 money=(7,))  # fmt: skip
        if not declined:
            _row(ws, ["", f"Cộng: {len(rows)}", "", "", "", "", "", total], bold=True, money=(7,))
            grand += total
        ws.append([])
    salary = rewards.base_salary_on(day)
    ws.append([_text(
        f"Tiền thưởng = hệ số của hình thức khen thưởng × mức lương cơ sở "
        f"{salary:,} đồng (ngày {_date(day)})".replace(",", ".")
        if salary else "Chưa có mức lương cơ sở cho ngày này: tiền thưởng để trống."
    )])  # fmt: skip
    ws.freeze_panes = None
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    return _bytes(wb)


# --- the yearly statistics -------------------------------------------------------------------

STAT_KINDS = ["Tổng số", "Tập thể", "Cá nhân", "Hộ gia đình", "Tiền thưởng (đồng)"]


def _counts(c: Count3 | None) -> list:
    c = c or Count3()
    return [c.total, c.collective, c.individual, c.household, c.money]


def _period(stats: Statistics) -> str:
    if stats.first == stats.last:
        return f"Năm {stats.first}"
    return f"Giai đoạn {stats.first} - {stats.last}"


def statistics_workbook(stats: Statistics) -> bytes:
    """Sheet 1 by award form (rows grouped by level, a subtotal per level, the grand total);
    sheet 2 by proposing organisation; for a range, the columns repeat per year before the
    whole period's; sheet 3 the notes (what is counted, the coefficients and base salaries)."""
    years = stats.years if stats.first != stats.last else []
    period_columns = [*(f"{y}: {k}" for y in years for k in STAT_KINDS), *(
        f"{'Cả giai đoạn: ' if years else ''}{k}" for k in STAT_KINDS)]  # fmt: skip
    money_at = {i for i, label in enumerate(period_columns) if label.endswith("(đồng)")}
    wb = Workbook()

    ws = wb.active
    ws.title = "Theo hình thức"
    span = 3 + len(period_columns)
    _title(ws, ["THỐNG KÊ KẾT QUẢ KHEN THƯỞNG", _period(stats)
                + " (theo năm ký quyết định, hình thức và cấp khen thưởng)"], span)  # fmt: skip
    _header(ws, ["STT", "Hình thức khen thưởng", "Mã", *period_columns],
            [6, 46, 14, *[14] * len(period_columns)])  # fmt: skip
    money = tuple(3 + i for i in money_at)
    roman = ["I", "II", "III"]
    for index, level in enumerate(LEVEL_ORDER):
        rows = [f for f in stats.forms if f.level == level]
        if not rows:
            continue
        subtotal_years = {y: Count3() for y in years}
        for f in rows:
            for y in years:
                subtotal_years[y].merge(f.years.get(y, Count3()))
        _row(ws, [roman[index], LEVEL_TITLE[level], "",
                  *[v for y in years for v in _counts(subtotal_years[y])],
                  *_counts(stats.levels.get(level))], bold=True, money=money)  # fmt: skip
        for number, f in enumerate(rows, start=1):
            _row(ws, [number, f.name, f.code, *[v for y in years for v in _counts(f.years.get(y))],
                      *_counts(f.all_years)], money=money)  # fmt: skip
    total_years = {y: Count3() for y in years}
    for f in stats.forms:
        for y in years:
            total_years[y].merge(f.years.get(y, Count3()))
    _row(ws, ["", "TỔNG CỘNG", "", *[v for y in years for v in _counts(total_years[y])],
              *_counts(stats.total)], bold=True, money=money)  # fmt: skip

    ws = wb.create_sheet("Theo đơn vị")
    _title(ws, ["THỐNG KÊ KẾT QUẢ KHEN THƯỞNG THEO ĐƠN VỊ ĐỀ NGHỊ", _period(stats)], span)
    _header(ws, ["STT", "Đơn vị đề nghị", "Mã", *period_columns],
            [6, 46, 14, *[14] * len(period_columns)])  # fmt: skip
    for number, o in enumerate(stats.organisations, start=1):
        _row(ws, [number, o.name, o.code, *[v for y in years for v in _counts(o.years.get(y))],
                  *_counts(o.all_years)], money=money)  # fmt: skip
    _row(ws, ["", "TỔNG CỘNG", "", *[v for y in years for v in _counts(total_years[y])],
              *_counts(stats.total)], bold=True, money=money)  # fmt: skip

    ws = wb.create_sheet("Ghi chú")
    ws.column_dimensions["A"].width = 120
    notes = [
        "Số liệu: đối tượng được khen thưởng trong quyết định đã ký, tính theo năm ký quyết định; "
        "không tính đối tượng bị từ chối, thu hồi hoặc đang tạm dừng xét.",
        "Tiền thưởng = hệ số của hình thức khen thưởng × mức lương cơ sở có hiệu lực vào ngày ký "
        "quyết định (Nghị định 98/2023/NĐ-CP); hệ số và mức lương cơ sở là dữ liệu "
        "(dossiers/data/catalogue.json).",
        f"Số đối tượng chưa tính được tiền thưởng (thiếu hệ số hoặc mức lương cơ sở): "
        f"{stats.total.unpriced}.",
        "Mô phỏng biểu thống kê số lượng khen thưởng của chế độ báo cáo thống kê ngành Nội vụ "
        "(Thông tư 03/2018/TT-BNV, thay thế bởi Thông tư 01/2023/TT-BNV): các dòng theo cấp và "
        "hình thức khen thưởng, các cột tổng số, tập thể, cá nhân (hộ gia đình) và tiền thưởng. "
        "Không có các cột chi tiết hệ thống không ghi nhận (giới tính, dân tộc thiểu số, công "
        "nhân - nông dân, lãnh đạo).",
        "Lập lúc: " + timezone.localtime().strftime("%H:%M %d/%m/%Y"),
    ]
    for note in notes:
        ws.append([_text(note)])
        ws.cell(row=ws.max_row, column=1).alignment = WRAP
    return _bytes(wb)
