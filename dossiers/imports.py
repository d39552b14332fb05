"""Spreadsheets in: a registry history (titles and awards of people and collectives) and a
dossier's nominee list (danh sách), from an Excel workbook (XLSX, openpyxl) or a CSV file in
UTF-8 (a byte-order mark is tolerated).

Each data row is parsed by a Django form (`HistoryRowForm`, `NomineeRowForm`); the report names
every row that was not taken and why, in the request's language. Header names are accepted in
English or in Vietnamese, with or without diacritics ("Số CCCD", "So CCCD", "identity"); the
header row is the first of the sheet's first rows that names the required columns, so a title
line above the table does no harm. Blank rows are skipped; row numbers are the sheet's own.

History rows land together (`history_import`): people are matched by identity number (CCCD) or
created, collectives by organisation and name; every query is over sets (organisations, title
kinds, people, collectives, existing entries), chunked, never one per row; the rows are written
with `bulk_create` and their history rows in bulk, all under one ledger event with the counts.
A row is a duplicate when the same person or collective already has (in the registry or in an
earlier row) the same title for the same year under the same decision number.

A nominee list (`nominee_list_read`) only reads: the caller replaces the dossier's nominees
through the dossier's own service when no row was refused.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit import history, ledger
from dossiers import calendar, errors, registry, uploads
from dossiers.errors import Conflict, DossierError
from dossiers.models import (
    Collective,
    Dossier,
    EntrySource,
    HistoryEntry,
    Nominee,
    NomineeKind,
    Organization,
    Person,
    Sex,
    TitleKind,
)

# Limits; each may be set in the settings under the same name.
REGISTRY_IMPORT_MAX_ROWS = 20_000
REGISTRY_IMPORT_REPORT_MAX = 1_000
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 20
CHUNK = 500  # rows per INSERT, values per IN (…) list
YEAR_MIN = 1945

IMPORTED, REFUSED, DUPLICATE = "imported", "refused", "duplicate"

NOT_A_SHEET = _("Upload an Excel workbook (XLSX) or a CSV file saved in UTF-8.")
CSV_NOT_UTF8 = _("The CSV file is not in UTF-8: save it again as “CSV UTF-8”.")
NO_HEADER = _(
    "No header row found in the first %(rows)s rows of the sheet: it needs the columns %(columns)s."
)
TOO_MANY_ROWS = _("The file has more than %(limit)s rows; split it into smaller files.")
NO_ROWS = _("The file has a header row but no data rows.")
FIELD_ERROR = _("%(field)s: %(message)s")
NO_HOLDER = _("Give an identity number (for a person) or a collective's name.")
BOTH_HOLDERS = _("Give an identity number (a person) or a collective's name, not both.")
NAME_NEEDED = _("A person's full name is required.")
UNKNOWN_TITLE = _(
    "Unknown title or award “%(value)s”: use a code of the catalogue (e.g. HTXSNV, CSTD-CS)."
)
TITLE_NOT_FOR_PEOPLE = _("“%(title)s” is not given to individuals.")
TITLE_NOT_FOR_COLLECTIVES = _("“%(title)s” is not given to collectives.")
FUTURE_YEAR = _("The year %(year)s is in the future.")
YEAR_TOO_EARLY = _("The year %(year)s is before %(min)s.")
FUTURE_DATE = _("The date %(date)s is in the future.")
DECISION_BEFORE_YEAR = _("The decision date %(date)s is before the year %(year)s it rewards.")
ORG_OUTSIDE = _(
    "The organisation %(value)s is neither yours nor under yours: you may import only for your "
    "own organisation and the units under it."
)
PERSON_OUTSIDE = _("The person with this identity number belongs to an organisation outside yours.")
PERSON_MISMATCH = _(
    "The registry already holds this identity number with another birth date or sex."
)
ROW_PERSON_MISMATCH = _("Row %(row)s gives this identity number with another birth date or sex.")
DUPLICATE_ROW = _("Same person or collective, title, year and decision number as row %(row)s.")
DUPLICATE_ENTRY = _("Already in the registry (same title, year and decision number).")
BAD_SEX = _("Write the sex as Nam or Nữ (male or female).")
BAD_KIND = _(
    "Write the kind as cá nhân, tập thể or hộ gia đình (individual, collective, household)."
)
BAD_YES_NO = _("Write yes or no (có or không).")
BAD_DATE = _("Write the date as dd/mm/yyyy.")
IDENTITY_FOR_INDIVIDUALS = _("Only an individual has an identity number.")
SAME_NOMINEE = _("Row %(row)s already names this nominee.")
IMPORT_REFUSED = _(
    "%(count)s of the %(rows)s rows cannot be imported, so nothing was changed: see the report."
)
RACE = _("Another import created some of these people at the same moment; import the file again.")

LABELS = {
    "identity": _("identity number (CCCD)"),
    "collective_name": _("collective's name"),
    "full_name": _("full name"),
    "birth_date": _("birth date"),
    "sex": _("sex"),
    "organization": _("organisation"),
    "position": _("position"),
    "title": _("title or award"),
    "year": _("year"),
    "decision_number": _("decision number"),
    "decision_date": _("decision date"),
    "sudden": _("sudden or thematic"),
    "kind": _("kind"),
    "name": _("name"),
    "achievements": _("achievements"),
    "criterion": _("criterion claimed"),
}


# --- header names ------------------------------------------------------------------------------


def normal(text: object) -> str:
    """A header or a word as a key: without diacritics (đ → d), lower case, words joined by _."""
    value = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^0-9a-z]+", "_", value).strip("_")


def _aliases(**columns: str) -> dict[str, str]:
    """{normalised header: column} from each column's space-separated header names."""
    return {normal(name): column for column, names in columns.items() for name in names.split()}


_COMMON = {
    "identity": "identity cccd so_cccd so_can_cuoc can_cuoc_cong_dan so_dinh_danh "
    "so_dinh_danh_ca_nhan ma_dinh_danh so_cccd_cmnd",
    "birth_date": "birth_date date_of_birth birthdate ngay_sinh ngay_thang_nam_sinh",
    "sex": "sex gender gioi_tinh",
    "organization": "organization organisation organization_code don_vi ma_don_vi co_quan_don_vi",
    "position": "position chuc_vu chuc_danh",
}
HISTORY_COLUMNS = _aliases(
    **_COMMON,
    full_name="full_name name ho_va_ten ho_ten",
    collective_name="collective_name collective ten_tap_the tap_the",
    title="title title_code award danh_hieu_hinh_thuc danh_hieu hinh_thuc "
    "hinh_thuc_khen_thuong danh_hieu_thi_dua ma_danh_hieu",
    year="year nam nam_dat",
    decision_number="decision_number decision so_quyet_dinh so_qd",
    decision_date="decision_date ngay_quyet_dinh ngay_qd ngay_ky",
    sudden="sudden dot_xuat khen_dot_xuat",
)
NOMINEE_COLUMNS = _aliases(
    **_COMMON,
    kind="kind loai doi_tuong loai_doi_tuong ca_nhan_tap_the",
    name="name full_name ho_va_ten ho_ten ten ten_tap_the ho_va_ten_ten_tap_the ho_ten_ten_tap_the",
    achievements="achievements thanh_tich tom_tat_thanh_tich",
    criterion="criterion tieu_chi tieu_chuan",
)

SEX_WORDS = {"nam": Sex.MALE, "male": Sex.MALE, "m": Sex.MALE,
             "nu": Sex.FEMALE, "female": Sex.FEMALE, "f": Sex.FEMALE}  # fmt: skip
KIND_WORDS = {
    "ca_nhan": NomineeKind.INDIVIDUAL, "individual": NomineeKind.INDIVIDUAL,
    "tap_the": NomineeKind.COLLECTIVE, "collective": NomineeKind.COLLECTIVE,
    "ho_gia_dinh": NomineeKind.HOUSEHOLD, "household": NomineeKind.HOUSEHOLD,
}  # fmt: skip
YES_WORDS = {"yes", "y", "true", "1", "x", "co", "dot_xuat"}
NO_WORDS = {"", "no", "n", "false", "0", "khong"}


# --- reading a file ----------------------------------------------------------------------------


@dataclass
class Sheet:
    """The data rows of a file: (the sheet's row number, {column: cell value})."""

    rows: list[tuple[int, dict[str, Any]]]
    columns: set[str]


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _cell(value: Any) -> Any:
    """A cell as a form field takes it: a whole float as an int (Excel stores numbers so), a
    text trimmed; dates, numbers and booleans as they are; anything else (a time, a duration,
    an error value) as its text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, (int, float, datetime.date)):
        return value
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    # openpyxl raises many kinds of error on a damaged workbook, while opening it or reading a
    # row: each is the same refusal. (Closing the generator early is not one of them.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of styles and extensions it skips
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise DossierError(uploads.OFFICE_INVALID, code="office_invalid") from exc
        try:
            if book.worksheets:
                rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
                while True:
                    try:
                        values = next(rows)
                    except StopIteration:
                        break
                    except Exception as exc:
                        raise DossierError(uploads.OFFICE_INVALID, code="office_invalid") from exc
                    yield values
        finally:
            book.close()


def _csv_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DossierError(CSV_NOT_UTF8, code="csv_not_utf8") from None
    if "\x00" in text:
        raise DossierError(NOT_A_SHEET, code="not_a_sheet")
    first = text[: text.find("\n")] if "\n" in text else text
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit
            raise DossierError(NOT_A_SHEET, code="not_a_sheet") from exc
        yield tuple(row[:MAX_COLUMNS])


def read_sheet(data: bytes, *, columns: dict[str, str], required: set[str]) -> Sheet:
    """The rows of an XLSX workbook's first sheet or of a CSV file, under the header row (the
    first of the first rows naming every `required` column). Raises DossierError (400) for a
    file that is not such a sheet, has no header row, no data or too many rows."""
    size, limit = len(data), settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise DossierError(errors.FILE_TOO_LARGE, code="file_too_large", size=size, limit=limit)
    if size == 0:
        raise DossierError(errors.FILE_EMPTY, code="file_empty")
    if data.startswith(b"PK\x03\x04"):
        if uploads.check(data) != uploads.XLSX:  # deep checks: zip bombs, macros, parts
            raise DossierError(NOT_A_SHEET, code="not_a_sheet")
        raw = _xlsx_rows(data)
    elif uploads.sniff(data[:16]) is not None:  # a PDF or an image
        raise DossierError(NOT_A_SHEET, code="not_a_sheet")
    else:
        raw = _csv_rows(data)
    max_rows = _limit("REGISTRY_IMPORT_MAX_ROWS", REGISTRY_IMPORT_MAX_ROWS)
    header: list[str | None] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(raw, start=1):
        if header is None:
            names = [columns.get(normal(v)) if v is not None else None for v in values]
            if required <= set(names):
                header = names
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        cells = {name: _cell(v) for name, v in zip(header, values, strict=False) if name}
        if all(v is None or v == "" for v in cells.values()):
            continue
        if len(rows) >= max_rows:
            raise DossierError(TOO_MANY_ROWS, code="too_many_rows", limit=max_rows)
        rows.append((number, cells))
    if header is None:
        wanted = ", ".join(sorted(required))
        raise DossierError(NO_HEADER, code="no_header", rows=HEADER_SEARCH_ROWS, columns=wanted)
    if not rows:
        raise DossierError(NO_ROWS, code="no_rows")
    return Sheet(rows=rows, columns={name for name in header if name})


# --- the row forms -----------------------------------------------------------------------------


class WordChoiceField(forms.Field):
    """A choice written as a word of a language or the other, with or without diacritics."""

    def __init__(self, *, words: Mapping[str, str], message: Any, **kwargs: Any) -> None:
        self.words, self.message = words, message
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        key = normal(value)
        if not key:
            return ""
        if key not in self.words:
            raise forms.ValidationError(self.message, code="invalid_choice")
        return self.words[key]


class YesNoField(forms.Field):
    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        key = normal(value)
        if key in YES_WORDS:
            return True
        if key in NO_WORDS:
            return False
        raise forms.ValidationError(BAD_YES_NO, code="invalid")


class IdentityField(forms.CharField):
    """A CCCD as text; a number cell has lost its leading zeros (every CCCD starts with 0, its
    province code being 001–096), which are put back."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**11:
            return str(value).zfill(12)
        return re.sub(r"\s+", "", super().to_python(value) or "")


class PastDateField(forms.DateField):
    """A date as Vietnamese sheets write it (dd/mm/yyyy), or a date cell; never in the future."""

    input_formats = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
    default_error_messages = {"invalid": BAD_DATE}

    def to_python(self, value: Any) -> datetime.date | None:
        if value is not None and not isinstance(value, (str, datetime.date)):
            value = str(value)  # a number typed where a date belongs: refused as not a date
        return super().to_python(value)

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value and value > calendar.today():
            raise forms.ValidationError(
                FUTURE_DATE, code="future", params={"date": value.strftime("%d/%m/%Y")}
            )


@dataclass
class Lookups:
    """What the rows name, read once per file: organisations by code (or name), title kinds by
    code (or name), and the organisations the importer may name (None: any)."""

    organizations: dict[str, Organization]
    titles: dict[str, TitleKind]
    scope: set[int] | None
    today: datetime.date

    def organization(self, value: str) -> Organization | None:
        return self.organizations.get(value.upper()) or self.organizations.get(normal(value))

    def title(self, value: str) -> TitleKind | None:
        return self.titles.get(value.upper()) or self.titles.get(normal(value))


class RowForm(forms.Form):
    """A sheet row: its errors, each prefixed with the column's name, are the report's reasons."""

    def __init__(self, data: dict[str, Any], *, lookups: Lookups, **kwargs: Any) -> None:
        self.lookups = lookups
        super().__init__(data, **kwargs)

    def reasons(self) -> list[str]:
        found = []
        for name, messages in self.errors.items():
            for message in messages:
                if name == "__all__":
                    found.append(str(message))
                else:
                    label = capfirst(str(self.fields[name].label))
                    found.append(str(FIELD_ERROR % {"field": label, "message": message}))
        return found

    def _organization(self, value: str) -> Organization | None:
        if not value:
            return None
        org = self.lookups.organization(value)
        if org is None:
            raise forms.ValidationError(errors.UNKNOWN_ORG, params={"value": value})
        return org

    def _identity(self, cleaned: dict[str, Any]) -> None:
        identity = cleaned.get("identity")
        if identity and not self.has_error("birth_date") and not self.has_error("sex"):
            problem = registry.identity_problem(
                identity, birth_date=cleaned.get("birth_date"), sex=cleaned.get("sex") or ""
            )
            if problem:
                self.add_error(None, problem)


class HistoryRowForm(RowForm):
    """One title or award of a person (by CCCD) or of a collective (by name), of an
    organisation the importer may name."""

    identity = IdentityField(required=False, max_length=64)
    collective_name = forms.CharField(required=False, max_length=255)
    full_name = forms.CharField(required=False, max_length=255)
    birth_date = PastDateField(required=False)
    sex = WordChoiceField(words=SEX_WORDS, message=BAD_SEX, required=False)
    organization = forms.CharField(max_length=255)
    position = forms.CharField(required=False, max_length=255)
    title = forms.CharField(max_length=255)
    year = forms.IntegerField()
    decision_number = forms.CharField(required=False, max_length=40)
    decision_date = PastDateField(required=False)
    sudden = YesNoField(required=False)

    def clean_organization(self) -> Organization | None:
        org = self._organization(self.cleaned_data["organization"])
        scope = self.lookups.scope
        if org is not None and scope is not None and org.pk not in scope:
            raise forms.ValidationError(ORG_OUTSIDE, params={"value": org.code})
        return org

    def clean_title(self) -> TitleKind:
        value = self.cleaned_data["title"]
        kind = self.lookups.title(value)
        if kind is None:
            raise forms.ValidationError(UNKNOWN_TITLE, params={"value": value})
        return kind

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if year > self.lookups.today.year:
            raise forms.ValidationError(FUTURE_YEAR, params={"year": year})
        if year < YEAR_MIN:
            raise forms.ValidationError(YEAR_TOO_EARLY, params={"year": year, "min": YEAR_MIN})
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person = bool(cleaned.get("identity")) or self.has_error("identity")
        collective = bool(cleaned.get("collective_name"))
        if person and collective:
            self.add_error(None, BOTH_HOLDERS)
        elif not person and not collective:
            self.add_error(None, NO_HOLDER)
        elif person:
            if not cleaned.get("full_name") and not self.has_error("full_name"):
                self.add_error(None, NAME_NEEDED)
            self._identity(cleaned)
        kind: TitleKind | None = cleaned.get("title")
        if kind is not None and person and not collective and not kind.for_individual:
            self.add_error(None, TITLE_NOT_FOR_PEOPLE % {"title": kind.code})
        if kind is not None and collective and not person and not kind.for_collective:
            self.add_error(None, TITLE_NOT_FOR_COLLECTIVES % {"title": kind.code})
        day, year = cleaned.get("decision_date"), cleaned.get("year")
        if day and year and day.year < year:
            self.add_error(
                None,
                DECISION_BEFORE_YEAR % {"date": day.strftime("%d/%m/%Y"), "year": year},
            )
        return cleaned


class NomineeRowForm(RowForm):
    """One nominee of a dossier's list, as the dossier's own form would take it."""

    kind = WordChoiceField(words=KIND_WORDS, message=BAD_KIND)
    name = forms.CharField(max_length=Nominee._meta.get_field("name").max_length)
    identity = IdentityField(required=False, max_length=64)
    birth_date = PastDateField(required=False)
    sex = WordChoiceField(words=SEX_WORDS, message=BAD_SEX, required=False)
    position = forms.CharField(required=False, max_length=255)
    organization = forms.CharField(required=False, max_length=255)
    achievements = forms.CharField(
        required=False, max_length=settings.DOSSIER_MAX_ACHIEVEMENTS_CHARS
    )
    criterion = forms.CharField(required=False, max_length=40)

    def __init__(self, data: dict[str, Any], *, dossier: Dossier, **kwargs: Any) -> None:
        self.dossier = dossier
        super().__init__(data, **kwargs)

    def clean_organization(self) -> Organization | None:
        org = self._organization(self.cleaned_data["organization"])
        home = self.dossier.organization
        scope = self.lookups.scope
        if org is not None and scope is not None and org.pk not in scope:
            raise forms.ValidationError(
                errors.ORGANIZATION_FORBIDDEN, params={"org": home.code, "value": org.code}
            )
        return org

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, form = cleaned.get("kind"), self.dossier.award_form
        if kind and not form.allows(kind):
            label = NomineeKind(kind).label
            params = {"form": form.name, "kind": label, "name": cleaned.get("name", "")}
            self.add_error(None, errors.KIND_NOT_ALLOWED % params)
        if cleaned.get("identity") and kind and kind != NomineeKind.INDIVIDUAL:
            self.add_error("identity", IDENTITY_FOR_INDIVIDUALS)
        else:
            self._identity(cleaned)
        return cleaned


class SharedFields(dict[str, forms.Field]):
    """A row form's fields, shared by its instances instead of deep-copied for each one (a
    form copies its fields so that one instance may change them; these forms never do, and
    the copies were a third of an import's time)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedFields:
        return self


def _prepare(*row_forms: type[RowForm]) -> None:
    """Each column's name as the reasons show it; the fields shared (set once, not per row)."""
    for row_form in row_forms:
        for name, form_field in row_form.base_fields.items():
            form_field.label = LABELS[name]
        row_form.base_fields = SharedFields(row_form.base_fields)


_prepare(HistoryRowForm, NomineeRowForm)


# --- reports -----------------------------------------------------------------------------------


@dataclass
class RowReport:
    row: int
    status: str
    reasons: list[str]


@dataclass
class ImportReport:
    """Counts of a file's rows and the rows that were not imported, with their reasons.
    `refused` counts every row not imported, `duplicates` those of them that were duplicates;
    `shown()` gives at most REGISTRY_IMPORT_REPORT_MAX of them, in row order."""

    rows: int = 0
    imported: int = 0
    refused: int = 0
    duplicates: int = 0
    people_created: int = 0
    collectives_created: int = 0
    report: list[RowReport] = field(default_factory=list)

    def refuse(self, row: int, reasons: Iterable[Any], status: str = REFUSED) -> None:
        self.refused += 1
        if status == DUPLICATE:
            self.duplicates += 1
        self.report.append(RowReport(row, status, [str(r) for r in reasons]))

    def shown(self) -> tuple[list[RowReport], bool]:
        """The rows to report (the first ones by row number) and whether some were left out."""
        limit = _limit("REGISTRY_IMPORT_REPORT_MAX", REGISTRY_IMPORT_REPORT_MAX)
        rows = sorted(self.report, key=lambda r: r.row)
        return rows[:limit], len(rows) > limit

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "refused": self.refused,
            "duplicates": self.duplicates,
            "people_created": self.people_created,
            "collectives_created": self.collectives_created,
        }

    def body(self) -> dict[str, Any]:
        """The report as the API answers it (and a job keeps it): the counts, the rows shown."""
        rows, truncated = self.shown()
        return {
            **self.counts(),
            "report": [{"row": r.row, "status": r.status, "reasons": r.reasons} for r in rows],
            "truncated": truncated,
        }


@dataclass
class NomineeSheet(ImportReport):
    """A nominee list read: the nominees as the dossier's API takes them, when none refused."""

    nominees: list[dict[str, Any]] = field(default_factory=list)


# --- shared reads ------------------------------------------------------------------------------


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def organizations_under(roots: Iterable[int]) -> set[int]:
    """The organisations `roots` and every organisation below them in the tree (one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Organization.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    todo = list(roots)
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return found


def _lookups(rows: list[tuple[int, dict[str, Any]]], scope: set[int] | None) -> Lookups:
    """The organisations and title kinds the rows name (by code or by name), in two queries."""
    given = {str(cells.get("organization") or "").strip() for _, cells in rows} - {""}
    given = {v for v in given if "\x00" not in v and len(v) <= 255}
    organizations: dict[str, Organization] = {}
    if given:
        wanted = Q(code__in={v.upper() for v in given} | given) | Q(name__in=given)
        found = list(Organization.objects.filter(wanted).only("pk", "code", "name", "parent_id"))
        for org in found:
            organizations[normal(org.name)] = org
        for org in found:  # a code wins over another organisation's name
            organizations[org.code.upper()] = org
    titles: dict[str, TitleKind] = {}
    for kind in TitleKind.objects.all():
        titles.setdefault(normal(kind.name), kind)
        titles.setdefault(normal(kind.name_en), kind)
    for kind in {t.pk: t for t in titles.values()}.values():
        titles[kind.code.upper()] = kind
    return Lookups(organizations=organizations, titles=titles, scope=scope, today=calendar.today())


# --- the history import ------------------------------------------------------------------------


def _decision_key(number: str) -> str:
    return " ".join((number or "").split()).casefold()


@dataclass
class _Good:
    """A row that passed its form, waiting for the checks across rows and the registry."""

    row: int
    data: dict[str, Any]

    @property
    def person(self) -> bool:
        return bool(self.data.get("identity"))

    def holder(self) -> tuple[Any, ...]:
        if self.person:
            return ("p", self.data["identity"])
        return ("c", self.data["organization"].pk, self.data["collective_name"])

    def key(self) -> tuple[Any, ...]:
        d = self.data
        return (*self.holder(), d["title"].pk, d["year"], _decision_key(d["decision_number"]))


def _existing_people(identities: set[str]) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for chunk in _chunks(sorted(identities)):
        fields = ("pk", "identity", "birth_date", "sex", "organization_id")
        for person in Person.objects.filter(identity__in=chunk).only(*fields):
            people[person.identity] = person
    return people


def _existing_collectives(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Collective]:
    found: dict[tuple[int, str], Collective] = {}
    org_ids = {org for org, _ in keys}
    for names in _chunks(sorted({name for _org, name in keys})):
        rows = Collective.objects.filter(organization_id__in=org_ids, name__in=names)
        for collective in rows.only("pk", "name", "organization_id"):
            found[(collective.organization_id, collective.name)] = collective
    return found


def _existing_keys(
    people: dict[str, Person], collectives: dict[tuple[int, str], Collective]
) -> set[tuple[Any, ...]]:
    """The (holder, title, year, decision) keys of the entries the matched holders have."""
    keys: set[tuple[Any, ...]] = set()
    identity_of = {p.pk: identity for identity, p in people.items()}
    fields = ("person_id", "collective_id", "kind_id", "year", "decision_number")
    for chunk in _chunks(identity_of):
        for pid, _cid, kind, year, number in HistoryEntry.objects.filter(
            person_id__in=chunk
        ).values_list(*fields):
            keys.add(("p", identity_of[pid], kind, year, _decision_key(number)))
    key_of = {c.pk: key for key, c in collectives.items()}
    for chunk in _chunks(key_of):
        for _pid, cid, kind, year, number in HistoryEntry.objects.filter(
            collective_id__in=chunk
        ).values_list(*fields):
            org, name = key_of[cid]
            keys.add(("c", org, name, kind, year, _decision_key(number)))
    return keys


def _same_person(person: Person, data: dict[str, Any]) -> bool:
    """The row does not contradict the person the registry (or an earlier row) holds."""
    birth, sex = data.get("birth_date"), data.get("sex")
    return not (
        (birth and person.birth_date and birth != person.birth_date)
        or (sex and person.sex and sex != person.sex)
    )


def _bulk(model: type[models.Model], objects: list[Any], actor: User | None, seq: int) -> None:
    """Insert the rows and their history rows (under the import's ledger event), in chunks."""
    if not objects:
        return
    for start in range(0, len(objects), CHUNK):
        chunk = objects[start : start + CHUNK]
        history.bulk_create(chunk, actor=actor, reason="registry.imported", seqs=[seq] * len(chunk))


def history_validate(data: bytes, *, scope: set[int] | None) -> tuple[ImportReport, list[_Good]]:
    """Read the file and parse each row with its form: the report of the refused rows so far,
    and the rows that passed (checked against the registry by `history_import`)."""
    sheet = read_sheet(data, columns=HISTORY_COLUMNS, required={"title", "year", "organization"})
    if not sheet.columns & {"identity", "collective_name"}:
        raise DossierError(
            NO_HEADER,
            code="no_header",
            rows=HEADER_SEARCH_ROWS,
            columns="identity / collective_name, organization, title, year",
        )
    lookups = _lookups(sheet.rows, scope)
    report, good = ImportReport(rows=len(sheet.rows)), []
    for number, cells in sheet.rows:
        form = HistoryRowForm(cells, lookups=lookups)
        if form.is_valid():
            good.append(_Good(number, form.cleaned_data))
        else:
            report.refuse(number, form.reasons())
    return report, good


@transaction.atomic
def history_import(
    *, actor: User | None, data: bytes, name: str = "", scope: set[int] | None
) -> ImportReport:
    """Import a history spreadsheet: each good row becomes an entry (source `imported`), its
    person matched by CCCD or created, its collective by organisation and name; a refused or
    duplicate row is reported and stops nothing else. `scope`: the organisations the importer
    may name (None: any); a row of another organisation, or of a person registered with one,
    is refused. One ledger event `registry.imported` carries the counts; the people,
    collectives and entries created carry it in their history.

    Raises DossierError (400) for a file that is not a readable sheet, Conflict (409) when a
    concurrent import created the same person first."""
    report, good = history_validate(data, scope=scope)
    digest = hashlib.sha256(data).hexdigest()
    facts = {"file": (name or "")[:120], "sha256": digest}
    with ledger.recording(
        actor=actor,
        action="registry.imported",
        object_type="dossiers.historyentry",
        object_id=digest[:40],
        data=facts,
    ) as event:
        # Read the registry under the ledger's lock: two imports of one file cannot both land.
        people = _existing_people({g.data["identity"] for g in good if g.person})
        collectives = _existing_collectives(
            {(g.data["organization"].pk, g.data["collective_name"]) for g in good if not g.person}
        )
        existing = _existing_keys(people, collectives)
        new_people: dict[str, tuple[int, Person]] = {}
        new_collectives: dict[tuple[int, str], Collective] = {}
        seen: dict[tuple[Any, ...], int] = {}
        landing: list[tuple[_Good, Person | Collective]] = []
        for row in good:
            d = row.data
            holder: Person | Collective
            if row.person:
                identity = d["identity"]
                if identity in people:
                    holder = people[identity]
                    if scope is not None and holder.organization_id not in scope:
                        report.refuse(row.row, [PERSON_OUTSIDE])
                        continue
                    if not _same_person(holder, d):
                        report.refuse(row.row, [PERSON_MISMATCH])
                        continue
                elif identity in new_people:
                    first, holder = new_people[identity]
                    if not _same_person(holder, d):
                        report.refuse(row.row, [ROW_PERSON_MISMATCH % {"row": first}])
                        continue
                else:
                    holder = Person(
                        identity=identity,
                        full_name=d["full_name"],
                        birth_date=d.get("birth_date"),
                        sex=d.get("sex") or "",
                        position=d.get("position") or "",
                        organization=d["organization"],
                    )
                    new_people[identity] = (row.row, holder)
            else:
                ckey = (d["organization"].pk, d["collective_name"])
                found = collectives.get(ckey) or new_collectives.get(ckey)
                if found is None:
                    found = Collective(organization=d["organization"], name=d["collective_name"])
                    new_collectives[ckey] = found
                holder = found
            key = row.key()
            if key in existing:
                report.refuse(row.row, [DUPLICATE_ENTRY], status=DUPLICATE)
            elif key in seen:
                report.refuse(row.row, [DUPLICATE_ROW % {"row": seen[key]}], status=DUPLICATE)
            else:
                seen[key] = row.row
                landing.append((row, holder))
        try:
            with transaction.atomic():
                _bulk(Person, [p for _, p in new_people.values()], actor, event.seq)
                _bulk(Collective, list(new_collectives.values()), actor, event.seq)
        except IntegrityError:
            raise Conflict(RACE, code="import_conflict") from None
        entries = [
            HistoryEntry(
                person=holder if isinstance(holder, Person) else None,
                collective=holder if isinstance(holder, Collective) else None,
                kind=row.data["title"],
                year=row.data["year"],
                awarded_on=row.data.get("decision_date"),
                decision_number=row.data.get("decision_number") or "",
                sudden=bool(row.data.get("sudden")),
                source=EntrySource.IMPORTED,
            )
            for row, holder in landing
        ]
        _bulk(HistoryEntry, entries, actor, event.seq)
        report.imported = len(entries)
        report.people_created = len(new_people)
        report.collectives_created = len(new_collectives)
        event.data = {**facts, **report.counts()}
    return report


# --- a dossier's nominee list ------------------------------------------------------------------


def nominee_list_read(*, dossier: Dossier, data: bytes) -> NomineeSheet:
    """Read a unit's nominee list for `dossier`: each row parsed as the dossier's API would take
    it (kind allowed by the award form, organisation the dossier's own or one under it, CCCD
    valid), the same nominee twice refused. Writes nothing. The nominees, ready for
    `dossier_update(nominees=…)`, are given only when no row was refused."""
    sheet = read_sheet(data, columns=NOMINEE_COLUMNS, required={"kind", "name"})
    limit = settings.DOSSIER_MAX_NOMINEES
    if len(sheet.rows) > limit:
        raise DossierError(
            errors.TOO_MANY_NOMINEES, code="too_many_nominees", limit=limit, count=len(sheet.rows)
        )
    scope = organizations_under([dossier.organization_id])
    lookups = _lookups(sheet.rows, scope)
    result = NomineeSheet(rows=len(sheet.rows))
    seen: dict[tuple[Any, ...], int] = {}
    nominees: list[dict[str, Any]] = []
    for number, cells in sheet.rows:
        form = NomineeRowForm(cells, lookups=lookups, dossier=dossier)
        if not form.is_valid():
            result.refuse(number, form.reasons())
            continue
        d = form.cleaned_data
        org: Organization | None = d.get("organization")
        key = (
            ("p", d["identity"])
            if d.get("identity")
            else (d["kind"], (org or dossier.organization).pk, normal(d["name"]))
        )
        if key in seen:
            result.refuse(number, [SAME_NOMINEE % {"row": seen[key]}], status=DUPLICATE)
            continue
        seen[key] = number
        nominee: dict[str, Any] = {
            "kind": d["kind"],
            "name": d["name"],
            "organization": org.code if org else None,
            "achievements": d.get("achievements") or "",
            "criterion": d.get("criterion") or "",
        }
        if d["kind"] == NomineeKind.INDIVIDUAL:
            nominee |= {
                "identity": d.get("identity") or "",
                "birth_date": d.get("birth_date"),
                "sex": d.get("sex") or "",
                "position": d.get("position") or "",
            }
        nominees.append(nominee)
    if not result.refused:
        result.nominees, result.imported = nominees, len(nominees)
    return result
