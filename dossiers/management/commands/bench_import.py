"""Benchmark: import a 10,000-row history workbook into the registry, bad rows mixed in (a
wrong-length CCCD, an unknown title, a future decision date, a duplicate row), in a throwaway
database of the configured backend. Prints one line:

    import: 10000 rows, 9960 imported, 40 refused (10 duplicates) in 4.21 s (2375 rows/s),
    queries 57; report checked: 40 of 40 bad rows named with their reason

(one line: broken here only to fit), then fails (CommandError, after printing) unless the counts
are the expected ones and the report names every bad row, by its row number in the sheet, with
its status and the reason its kind of fault calls for (and no good row)."""

from __future__ import annotations

import datetime
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import calendar, imports, registry
from dossiers.catalogue import catalogue_load, upsert
from dossiers.models import Organization, TitleKind

HEADER = [
    "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Đơn vị", "Chức vụ",
    "Danh hiệu/Hình thức", "Năm", "Số quyết định", "Ngày quyết định", "Đột xuất",
]  # fmt: skip
UNITS = [f"BENCH-U{i}" for i in range(1, 6)]
# Title kinds the rows use; created only where the catalogue does not have them yet.
TITLES = [
    ("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ", "Completed tasks excellently", "rating"),
    ("LDTT", "Lao động tiên tiến", "Advanced worker", "rating"),
    ("CSTD-CS", "Chiến sĩ thi đua cơ sở", "Grassroots emulation fighter", "title"),
    ("GIAY-KHEN", "Giấy khen", "Certificate of commendation", "certificate"),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Thu Hà", "Quốc Huy", "Thị Lan", "Đức Minh"]


@dataclass(frozen=True)
class Expected:
    rows: int
    imported: int
    refused: int
    duplicates: int


@dataclass(frozen=True)
class BadRow:
    """A bad row as the report must name it: the status and a text its reasons contain."""

    status: str
    reason: str


# The sheet has a title line and the header above the rows: row index 0 is the sheet's row 3.
FIRST_ROW = 3


def identity_for(rng: random.Random, birth: datetime.date, female: bool) -> str:
    """A valid CCCD for this birth date and sex (province, century and sex, year, serial)."""
    digit = 2 * ((birth.year - 1900) // 100) + (1 if female else 0)
    serial = rng.randrange(10**6)
    return f"{rng.randint(1, 96):03d}{digit}{birth.year % 100:02d}{serial:06d}"


def build_rows(
    count: int, bad_each: int, seed: int = 2023
) -> tuple[list[list], Expected, dict[int, BadRow]]:
    """`count` rows, people with four titles each; then `bad_each` rows of each bad kind put
    in place of good ones: a wrong-length CCCD, an unknown title, a future decision date, and
    a copy of an earlier row (a duplicate). With the bad rows by their row number in the sheet
    and what the report must say of each."""
    rng = random.Random(seed)
    this_year = calendar.today().year
    rows: list[list] = []
    used: set[str] = set()
    while len(rows) < count:
        birth = datetime.date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
        female = rng.random() < 0.5
        identity = identity_for(rng, birth, female)
        if identity in used:
            continue
        used.add(identity)
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        unit = rng.choice(UNITS)
        for offset, (code, *_rest) in enumerate(TITLES):
            year = this_year - 1 - offset
            decided = datetime.date(year + 1, 1, 15)
            rows.append([
                identity, name, birth, "Nữ" if female else "Nam", unit, "Chuyên viên",
                code, year, f"{len(rows) + 1}/QĐ-BENCH", decided, "không",
            ])  # fmt: skip
    rows = rows[:count]
    # Even row indexes from 2 on: a bad row never follows another, so each copy copies a good
    # row and is a duplicate.
    bad = [2 * i for i in rng.sample(range(1, (count + 1) // 2), 4 * bad_each)]
    faults: dict[int, BadRow] = {}
    for i in bad[:bad_each]:
        rows[i][0] = rows[i][0][:11]  # 11 digits
        faults[FIRST_ROW + i] = BadRow(imports.REFUSED, str(registry.IDENTITY_FORMAT))
    for i in bad[bad_each : 2 * bad_each]:
        rows[i][6] = "KHONG-CO"
        unknown = str(imports.UNKNOWN_TITLE % {"value": "KHONG-CO"})
        faults[FIRST_ROW + i] = BadRow(imports.REFUSED, unknown)
    future = datetime.date(this_year + 1, 6, 1)
    for i in bad[2 * bad_each : 3 * bad_each]:
        rows[i][9] = future
        later = str(imports.FUTURE_DATE % {"date": future.strftime("%d/%m/%Y")})
        faults[FIRST_ROW + i] = BadRow(imports.REFUSED, later)
    for i in bad[3 * bad_each :]:
        rows[i] = list(rows[i - 1])
        copy = str(imports.DUPLICATE_ROW % {"row": FIRST_ROW + i - 1})
        faults[FIRST_ROW + i] = BadRow(imports.DUPLICATE, copy)
    refused = 4 * bad_each
    expected = Expected(count, count - refused, refused, bad_each)
    return rows, expected, faults


def write_workbook(path: Path, rows: list[list]) -> None:
    from openpyxl import Workbook

    book = Workbook()  # not write-only: that mode leaves out the sheet's size, as Excel never does
    sheet = book.active
    sheet.title = "Lịch sử khen thưởng"
    sheet.append(["DANH SÁCH LỊCH SỬ KHEN THƯỞNG"])  # a title line above the table
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def prepare() -> None:
    """The catalogue, the units and the title kinds the rows name (created where missing)."""
    catalogue_load()
    for code in UNITS:
        upsert(Organization, {"code": code}, {"name": f"Đơn vị {code}", "level": "central"})
    for code, name, name_en, category in TITLES:
        if not TitleKind.objects.filter(code=code).exists():
            upsert(TitleKind, {"code": code}, {"name": name, "name_en": name_en,
                                               "category": category})  # fmt: skip


def run(path: Path) -> tuple[imports.ImportReport, float, int]:
    actor, _ = get_user_model().objects.get_or_create(username="bench-importer")
    data = path.read_bytes()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as context:
        start = time.perf_counter()
        report = imports.history_import(actor=actor, data=data, name=path.name, scope=None)
        seconds = time.perf_counter() - start
    return report, seconds, len(context.captured_queries)


def summary(
    report: imports.ImportReport, seconds: float, queries: int, named: int, bad: int
) -> str:
    """The printed line, fixed so runs can be compared over time."""
    rate = report.rows / seconds if seconds else 0
    return (
        f"import: {report.rows} rows, {report.imported} imported, {report.refused} refused "
        f"({report.duplicates} duplicates) in {seconds:.2f} s ({rate:.0f} rows/s), "
        f"queries {queries}; report checked: {named} of {bad} bad rows named with their reason"
    )


def misreported(report: imports.ImportReport, faults: dict[int, BadRow]) -> list[str]:
    """What the report gets wrong, row by row: a bad row missing, with another status or
    without its reason, and a good row reported."""
    problems = []
    rows = {entry.row: entry for entry in report.report}
    for number, fault in sorted(faults.items()):
        entry = rows.get(number)
        if entry is None:
            problems.append(f"row {number}: not reported (expected “{fault.reason}”)")
        elif entry.status != fault.status or not any(fault.reason in r for r in entry.reasons):
            problems.append(
                f"row {number}: {entry.status} {entry.reasons}, expected {fault.status} "
                f"“{fault.reason}”"
            )
    problems += [
        f"row {number}: a good row reported: {rows[number].reasons}"
        for number in sorted(set(rows) - set(faults))
    ]
    return problems


def check(report: imports.ImportReport, expected: Expected, problems: list[str]) -> None:
    got = Expected(report.rows, report.imported, report.refused, report.duplicates)
    if got != expected:
        problems = [f"expected {expected}, got {got}", *problems]
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise CommandError(shown + more)


class Command(BaseCommand):
    help = "Import a generated history workbook (10,000 rows, bad ones mixed in) and time it."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--bad", type=int, default=10, help="rows of each bad kind")

    def handle(self, *args, rows: int, bad: int, **options):
        old_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite":
            test_settings["NAME"] = f"{old_name}_bench_import"
        else:
            test_settings["NAME"] = None  # in memory
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            prepare()
            table, expected, faults = build_rows(rows, bad)
            with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
                path = Path(folder) / "lich-su-khen-thuong.xlsx"
                write_workbook(path, table)
                report, seconds, queries = run(path)
            problems = misreported(report, faults)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        wrong = {p.split(":", 1)[0] for p in problems}
        named = sum(1 for number in faults if f"row {number}" not in wrong)
        self.stdout.write(f"database: {connection.vendor}")
        self.stdout.write(summary(report, seconds, queries, named, len(faults)))
        check(report, expected, problems)
