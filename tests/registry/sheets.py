"""Spreadsheets for the registry tests: XLSX and CSV bytes from rows, valid CCCDs, title kinds."""

from __future__ import annotations

import csv
import datetime
import io

from openpyxl import Workbook

from dossiers.models import TitleKind

HISTORY_HEADER = [
    "identity", "full_name", "birth_date", "sex", "organization", "position", "title", "year",
    "decision_number", "decision_date", "sudden",
]  # fmt: skip
HISTORY_HEADER_VI = [
    "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Đơn vị", "Chức vụ",
    "Danh hiệu/Hình thức", "Năm", "Số quyết định", "Ngày quyết định", "Đột xuất",
]  # fmt: skip
NOMINEE_HEADER_VI = [
    "Cá nhân/Tập thể", "Họ và tên", "Số CCCD", "Ngày sinh", "Giới tính", "Chức vụ", "Đơn vị",
    "Thành tích", "Tiêu chí",
]  # fmt: skip

# (code, name, category, individuals, collectives): created where the catalogue lacks them.
TITLES = [
    ("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ", "rating", True, False),
    ("LDTT", "Lao động tiên tiến", "rating", True, False),
    ("CSTD-CS", "Chiến sĩ thi đua cơ sở", "title", True, False),
    ("TTLDXS", "Tập thể lao động xuất sắc", "title", False, True),
]


def title_kinds() -> dict[str, TitleKind]:
    kinds = {}
    for code, name, category, individual, collective in TITLES:
        kinds[code], _ = TitleKind.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": code,
                "category": category,
                "for_individual": individual,
                "for_collective": collective,
            },
        )
    return kinds


def cccd(birth: datetime.date, *, female: bool, province: int = 1, serial: int = 123456) -> str:
    """A CCCD valid for this birth date and sex (Circular 59/2021/TT-BCA Art. 7)."""
    digit = 2 * ((birth.year - 1900) // 100) + (1 if female else 0)
    return f"{province:03d}{digit}{birth.year % 100:02d}{serial:06d}"


def xlsx(rows: list[list], header: list[str] = HISTORY_HEADER, above: list[list] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in above:
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(
    rows: list[list], header: list[str] = HISTORY_HEADER, *, bom: bool = True, delimiter=","
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()
