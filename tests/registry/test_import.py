"""History import (dossiers/imports.py): each kind of bad row is reported with its reason, the
good rows land beside them, people are matched by CCCD, a second import of a file adds nothing,
XLSX and CSV alike, one ledger event per import, queries that do not grow with the rows."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit.models import LedgerEvent
from dossiers import imports, registry
from dossiers.errors import DossierError
from dossiers.management.commands import bench_import
from dossiers.models import Collective, EntrySource, HistoryEntry, Organization, Person
from tests.registry.sheets import (
    HISTORY_HEADER_VI,
    cccd,
    csv_bytes,
    title_kinds,
    xlsx,
)

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1980, 5, 17)
AN = cccd(BIRTH, female=True, serial=111111)  # Nguyễn Thị An, HLHPN
BINH = cccd(datetime.date(1975, 2, 3), female=False, serial=222222)  # Trần Văn Bình, HCCB
THIS_YEAR = datetime.date.today().year


@pytest.fixture(autouse=True)
def _english():
    title_kinds()
    with translation.override("en"):
        yield


def row(identity=AN, name="Nguyễn Thị An", birth="17/05/1980", sex="Nữ", org="HLHPN",
        title="HTXSNV", year=2021, number="12/QĐ-HLHPN", decided="20/01/2022", sudden="không",
        position="Chuyên viên"):  # fmt: skip
    return [identity, name, birth, sex, org, position, title, year, number, decided, sudden]


def run(rows, *, scope=None, as_csv=False, user=None):
    data = csv_bytes(rows) if as_csv else xlsx(rows)
    return imports.history_import(actor=user, data=data, name="test.xlsx", scope=scope)


def by_row(report) -> dict[int, tuple[str, list[str]]]:
    shown, _truncated = report.shown()
    return {r.row: (r.status, r.reasons) for r in shown}


def test_each_kind_of_bad_row_is_named_with_its_reason_and_the_good_rows_land():
    future = datetime.date.today() + datetime.timedelta(days=30)
    rows = [
        row(),  # 2: good
        row(identity=AN[:11], number="a"),  # 3: wrong length
        row(identity=cccd(datetime.date(1981, 5, 17), female=True), number="b"),  # 4: birth
        row(identity=cccd(BIRTH, female=False), number="c"),  # 5: sex does not match the CCCD
        row(title="KHONG-CO", number="d"),  # 6: unknown title
        row(decided=future.strftime("%d/%m/%Y"), number="e"),  # 7: future decision date
        row(year=THIS_YEAR + 1, decided="", number="f"),  # 8: future year
        row(org="KHONG-CO", number="g"),  # 9: unknown organisation
        row(),  # 10: the same as row 2
        row(title="TTLDXS", number="h"),  # 11: a collective's title for a person
        row(name="", number="i"),  # 12: no name
        row(birth="31/02/1980", number="j"),  # 13: not a date
        row(identity="", number="k"),  # 14: neither a CCCD nor a collective
        row(year=2021, decided="15/01/2020", number="l"),  # 15: decided before its year
    ]
    report = run(rows)
    got = by_row(report)
    assert (report.rows, report.imported, report.refused, report.duplicates) == (14, 1, 13, 1)
    assert set(got) == set(range(3, 16))
    assert got[3] == ("refused", [str(registry.IDENTITY_FORMAT)])
    assert got[4] == ("refused", [str(registry.IDENTITY_BIRTH)])
    assert got[5] == ("refused", [str(registry.IDENTITY_BIRTH)])
    assert got[6][1] == ["Title or award: " + str(imports.UNKNOWN_TITLE % {"value": "KHONG-CO"})]
    assert got[7][1] == [
        "Decision date: " + str(imports.FUTURE_DATE % {"date": future.strftime("%d/%m/%Y")})
    ]
    assert got[8][1] == ["Year: " + str(imports.FUTURE_YEAR % {"year": THIS_YEAR + 1})]
    assert got[9][1] == ["Organisation: Unknown organisation: KHONG-CO."]
    assert got[10] == ("duplicate", [str(imports.DUPLICATE_ROW % {"row": 2})])
    assert got[11][1] == [str(imports.TITLE_NOT_FOR_PEOPLE % {"title": "TTLDXS"})]
    assert got[12][1] == [str(imports.NAME_NEEDED)]
    assert got[13][1] == ["Birth date: " + str(imports.BAD_DATE)]
    assert got[14][1] == [str(imports.NO_HOLDER)]
    assert got[15][1] == [str(imports.DECISION_BEFORE_YEAR % {"date": "15/01/2020", "year": 2021})]
    entry = HistoryEntry.objects.get(person__identity=AN)
    assert (entry.kind.code, entry.year, entry.decision_number) == ("HTXSNV", 2021, "12/QĐ-HLHPN")
    assert entry.awarded_on == datetime.date(2022, 1, 20)
    assert entry.source == EntrySource.IMPORTED and entry.sudden is False


def test_reasons_are_in_the_request_language():
    with translation.override("vi"):
        report = run([row(year="hai nghìn")])
        whole_number = translation.gettext("Enter a whole number.")
    ((_status, reasons),) = by_row(report).values()
    assert reasons == [f"Năm: {whole_number}"]  # the column's name, the field's message


def test_people_are_created_once_and_matched_by_identity():
    existing = registry.person_for(
        actor=None,
        organization=Organization.objects.get(code="HCCB"),
        identity=BINH,
        full_name="Trần Văn Bình",
        birth_date=datetime.date(1975, 2, 3),
        sex="male",
    )
    rows = [
        row(),
        row(title="CSTD-CS", number="2/QĐ"),
        row(identity=BINH, name="Tran Van Binh", birth="03/02/1975", sex="Nam", org="HCCB"),
    ]
    report = run(rows)
    assert (report.imported, report.people_created) == (3, 1)
    assert Person.objects.filter(identity=AN).count() == 1
    an = Person.objects.get(identity=AN)
    assert (an.full_name, an.birth_date, an.sex, an.organization.code, an.position) == (
        "Nguyễn Thị An",
        BIRTH,
        "female",
        "HLHPN",
        "Chuyên viên",
    )
    assert sorted(an.entries.values_list("kind__code", flat=True)) == ["CSTD-CS", "HTXSNV"]
    existing.refresh_from_db()
    assert existing.full_name == "Trần Văn Bình"  # the registry keeps its own data
    assert existing.entries.get().source == EntrySource.IMPORTED


def test_a_row_contradicting_the_registry_or_an_earlier_row_is_refused():
    run([row()])
    other_birth = cccd(BIRTH, female=True, serial=999999)
    report = run([
        row(birth="18/05/1980", number="x"),       # 2: the registry has 17/05/1980
        row(identity=other_birth, number="y"),     # 3: new person
        row(identity=other_birth, birth="01/01/1980", number="z"),  # 4: contradicts row 3
    ])  # fmt: skip
    got = by_row(report)
    assert got[2] == ("refused", [str(imports.PERSON_MISMATCH)])
    assert got[4] == ("refused", [str(imports.ROW_PERSON_MISMATCH % {"row": 3})])
    assert report.imported == 1


def test_a_second_import_of_the_same_file_adds_nothing():
    rows = [row(), row(title="CSTD-CS", number="2/QĐ"), row(identity=BINH, name="Bình",
            birth="03/02/1975", sex="Nam", org="HCCB")]  # fmt: skip
    first = run(rows)
    assert (first.imported, first.refused) == (3, 0)
    again = run(rows)
    assert (again.imported, again.refused, again.duplicates) == (0, 3, 3)
    assert {status for status, _ in by_row(again).values()} == {"duplicate"}
    assert by_row(again)[2][1] == [str(imports.DUPLICATE_ENTRY)]
    assert HistoryEntry.objects.filter(person__identity__in=[AN, BINH]).count() == 3
    assert Person.objects.filter(identity__in=[AN, BINH]).count() == 2


def test_the_decision_number_tells_two_awards_of_one_year_apart():
    report = run([row(number="1/QĐ"), row(number="2/QĐ"), row(number=" 1/qđ ")])
    assert (report.imported, report.duplicates) == (2, 1)


def test_csv_with_a_byte_order_mark_and_semicolons_imports_like_xlsx():
    rows = [row(), row(identity=AN[:10], number="bad")]
    data = csv_bytes(rows, delimiter=";", bom=True)
    report = imports.history_import(actor=None, data=data, name="a.csv", scope=None)
    assert (report.rows, report.imported, report.refused) == (2, 1, 1)
    assert by_row(report)[3] == ("refused", [str(registry.IDENTITY_FORMAT)])


def test_csv_that_is_not_utf8_is_refused_whole():
    data = "identity,full_name,organization,title,year\n1,Hélène,HLHPN,LDTT,2020\n".encode("cp1252")
    with pytest.raises(DossierError) as caught:
        imports.history_import(actor=None, data=data, scope=None)
    assert caught.value.code == "csv_not_utf8"


def test_vietnamese_headers_a_title_line_and_number_cells():
    """A unit's own workbook: Vietnamese headers under a title line, the CCCD typed as a number
    (Excel drops its leading zeros), real date cells, the year as a number."""
    number_cell = int(AN)  # 00118011111 → 118011111…: the zeros are put back
    rows = [[number_cell, "Nguyễn Thị An", BIRTH, "nữ", "HLHPN", "", "HTXSNV", 2021.0,
             "12/QĐ", datetime.datetime(2022, 1, 20), "Có"]]  # fmt: skip
    data = xlsx(rows, header=HISTORY_HEADER_VI, above=[["DANH SÁCH KHEN THƯỞNG"], []])
    report = imports.history_import(actor=None, data=data, scope=None)
    assert (report.imported, report.refused) == (1, 0), report.report
    entry = HistoryEntry.objects.get(person__identity=AN)
    assert entry.sudden is True and entry.awarded_on == datetime.date(2022, 1, 20)


def test_collective_rows_find_or_create_the_collective():
    header = ["collective_name", "organization", "title", "year", "decision_number"]
    rows = [
        ["Ban Tuyên giáo", "HLHPN", "TTLDXS", 2022, "5/QĐ"],
        ["Ban Tuyên giáo", "HLHPN", "TTLDXS", 2023, "6/QĐ"],
        ["Ban Tuyên giáo", "HLHPN", "CSTD-CS", 2023, "7/QĐ"],  # a person's title
    ]
    report = imports.history_import(actor=None, data=xlsx(rows, header=header), scope=None)
    assert (report.imported, report.collectives_created) == (2, 1)
    assert by_row(report)[4][1] == [str(imports.TITLE_NOT_FOR_COLLECTIVES % {"title": "CSTD-CS"})]
    collective = Collective.objects.get(name="Ban Tuyên giáo")
    assert collective.entries.count() == 2


def test_an_importer_limited_to_a_subtree_is_refused_rows_outside_it(world):
    hlhpn = Organization.objects.get(code="HLHPN")
    branch = Organization.objects.create(
        code="HLHPN-HN", name="Hội LHPN Hà Nội", level="central", parent=hlhpn
    )
    run([row(identity=BINH, name="Bình", birth="03/02/1975", sex="Nam", org="HCCB")])
    scope = imports.organizations_under([hlhpn.pk])
    assert scope == {hlhpn.pk, branch.pk}
    report = run(
        [
            row(),
            row(identity=cccd(BIRTH, female=True, serial=5), org="HLHPN-HN"),
            row(identity=cccd(BIRTH, female=True, serial=6), org="HCCB", number="x"),
            # Bình is registered with HCCB: the row names HLHPN, but he is not HLHPN's to write
            row(identity=BINH, name="Bình", birth="03/02/1975", sex="Nam", number="y"),
        ],
        scope=scope,
    )
    got = by_row(report)
    assert report.imported == 2
    assert got[4][1] == ["Organisation: " + str(imports.ORG_OUTSIDE % {"value": "HCCB"})]
    assert got[5] == ("refused", [str(imports.PERSON_OUTSIDE)])


def test_one_ledger_event_with_the_counts_and_history_rows_under_it(world):
    user = world.user("board-officer")
    before = LedgerEvent.objects.count()
    report = run([row(), row(identity="1"), row()], user=user)
    events = list(LedgerEvent.objects.order_by("seq")[before:])
    assert [e.action for e in events] == ["registry.imported"]
    event = events[0]
    assert event.actor == user and event.object_type == "dossiers.historyentry"
    data = json.loads(event.body)["data"]
    assert (data["rows"], data["imported"], data["refused"], data["duplicates"]) == (3, 1, 2, 1)
    assert data["people_created"] == 1 and len(data["sha256"]) == 64
    assert report.imported == 1
    person = Person.objects.get(identity=AN)
    (made,) = person.history.all()
    assert (made.ledger_seq, made.history_user, made.history_change_reason) == (
        event.seq,
        user,
        "registry.imported",
    )
    assert person.entries.get().history.get().ledger_seq == event.seq


def test_files_that_are_not_history_sheets_are_refused_whole(pdf):
    cases = [
        (b"", "file_empty"),
        (pdf("a.pdf").read(), "not_a_sheet"),
        (csv_bytes([], header=["a", "b"]), "no_header"),
        (csv_bytes([]), "no_rows"),
        (b"PK\x03\x04 not a zip", "office_invalid"),
    ]
    for data, code in cases:
        with pytest.raises(DossierError) as caught:
            imports.history_import(actor=None, data=data, scope=None)
        assert caught.value.code == code, code


def test_too_many_rows_are_refused_whole(settings):
    settings.REGISTRY_IMPORT_MAX_ROWS = 3
    with pytest.raises(DossierError) as caught:
        run([row(number=str(i)) for i in range(4)])
    assert caught.value.code == "too_many_rows"


def test_the_report_is_bounded(settings):
    settings.REGISTRY_IMPORT_REPORT_MAX = 2
    report = run([row(identity=str(i)) for i in range(5)])
    shown, truncated = report.shown()
    assert report.refused == 5 and [r.row for r in shown] == [2, 3] and truncated


def test_queries_do_not_grow_with_the_rows():
    def queries(count: int, serial: int) -> int:
        rows = [
            row(identity=cccd(BIRTH, female=True, serial=serial + i), number=str(i))
            for i in range(count)
        ]
        data = xlsx(rows)
        with CaptureQueriesContext(connection) as context:
            report = imports.history_import(actor=None, data=data, scope=None)
        assert report.imported == count
        return len(context.captured_queries)

    small, large = queries(10, 100_000), queries(400, 200_000)
    # Only the chunked inserts grow (SQLite: about 90 rows per INSERT), never one per row.
    assert large - small <= 20, (small, large)


def test_the_bench_runs_end_to_end_and_prints_its_line(tmp_path):
    bench_import.prepare()
    rows, expected, faults = bench_import.build_rows(200, 2)
    path = tmp_path / "bench.xlsx"
    bench_import.write_workbook(path, rows)
    report, seconds, queries = bench_import.run(path)
    problems = bench_import.misreported(report, faults)
    bench_import.check(report, expected, problems)  # each bad row named with its reason
    assert (expected.imported, expected.refused, expected.duplicates) == (192, 8, 2)
    assert len(faults) == 8 and {f.status for f in faults.values()} == {"refused", "duplicate"}
    line = bench_import.summary(report, seconds, queries, len(faults) - len(problems), 8)
    assert re.fullmatch(
        r"import: 200 rows, 192 imported, 8 refused \(2 duplicates\) in [\d.]+ s "
        r"\(\d+ rows/s\), queries \d+; report checked: 8 of 8 bad rows named with their reason",
        line,
    )


def test_the_bench_fails_when_a_bad_row_is_reported_with_another_reason(tmp_path):
    bench_import.prepare()
    rows, expected, faults = bench_import.build_rows(40, 1)
    path = tmp_path / "bench.xlsx"
    bench_import.write_workbook(path, rows)
    report, _seconds, _queries = bench_import.run(path)
    assert bench_import.misreported(report, faults) == []
    number = min(faults)
    for entry in report.report:
        if entry.row == number:
            entry.reasons = ["Something else."]  # counts unchanged, the reason wrong
    problems = bench_import.misreported(report, faults)
    assert len(problems) == 1 and problems[0].startswith(f"row {number}:")
    with pytest.raises(CommandError, match=f"row {number}"):
        bench_import.check(report, expected, problems)


def test_odd_cells_are_refused_as_values_never_as_errors():
    """A number where a date belongs, a time, a boolean, an Excel error value: each row is
    refused with the column's reason; the import itself goes on."""
    rows = [
        row(birth=1980, number="1"),
        row(decided=datetime.time(9, 30), number="2"),
        row(year=True, number="3"),
        row(title="#N/A", number="4"),
        row(sex="không rõ", number="5"),
        row(sudden="có lẽ", number="6"),
    ]
    report = run(rows)
    got = by_row(report)
    assert report.refused == 6 and report.imported == 0
    assert got[2][1] == ["Birth date: " + str(imports.BAD_DATE)]
    assert got[3][1] == ["Decision date: " + str(imports.BAD_DATE)]
    assert got[4][1] == ["Year: Enter a whole number."]
    assert got[5][1] == ["Title or award: " + str(imports.UNKNOWN_TITLE % {"value": "#N/A"})]
    assert got[6][1] == ["Sex: " + str(imports.BAD_SEX)]
    assert got[7][1] == ["Sudden or thematic: " + str(imports.BAD_YES_NO)]


def test_a_csv_field_past_the_csv_modules_limit_refuses_the_file():
    data = csv_bytes([[AN, "x" * 200_000]])
    with pytest.raises(DossierError) as caught:
        imports.history_import(actor=None, data=data, scope=None)
    assert caught.value.code == "not_a_sheet"
