"""The registry over the API: who sees which people (a matrix of personas × endpoints, written
out), the look-up by CCCD (exact, logged without the number, limited per hour), the history
import's report, and a dossier's nominee list imported from the unit's spreadsheet."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from dossiers import errors, imports, registry
from dossiers.models import Dossier, DossierState, HistoryEntry, Organization, Person
from tests.registry.sheets import NOMINEE_HEADER_VI, cccd, csv_bytes, title_kinds, xlsx
from tests.test_schema import _conforms
from workflows import registry_access
from workflows import services as wf

pytestmark = pytest.mark.django_db

SO = cccd(datetime.date(1982, 3, 8), female=True, serial=310001)  # of HLHPN
TINH = cccd(datetime.date(1970, 9, 2), female=False, serial=310002)  # of T-HND (a province)
UNKNOWN = cccd(datetime.date(1990, 1, 1), female=False, serial=310003)  # not in the registry
PEOPLE = "/api/v1/registry/people/"
IMPORT = "/api/v1/registry/import/"


@pytest.fixture
def people(world) -> dict[str, Person]:
    """Two people with histories, imported by the central board like any history."""
    title_kinds()
    rows = [
        [SO, "Nguyễn Thị Sổ", "08/03/1982", "Nữ", "HLHPN", "Trưởng ban", "HTXSNV", 2022,
         "15/QĐ-HLHPN", "10/01/2023", "không"],
        [SO, "Nguyễn Thị Sổ", "08/03/1982", "Nữ", "HLHPN", "Trưởng ban", "CSTD-CS", 2023,
         "20/QĐ-HLHPN", "12/01/2024", "có"],
        [TINH, "Lê Văn Tỉnh", "02/09/1970", "Nam", "T-HND", "Chủ tịch", "LDTT", 2023,
         "7/QĐ-HND", "05/01/2024", ""],
    ]  # fmt: skip
    registry_access.history_import(actor=world.user("board-officer"), data=xlsx(rows))
    return {p.identity: p for p in Person.objects.filter(identity__in=[SO, TINH])}


@pytest.fixture
def api(api):
    """The personas' clients, asking for English answers (compared with the msgids below)."""

    def make(username: str) -> APIClient:
        client = api(username)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    with translation.override("en"):
        yield make


def upload(data: bytes, name: str = "danh-sach.xlsx") -> dict:
    return {"file": SimpleUploadedFile(name, data)}


def one_row_csv(org: str = "HLHPN") -> bytes:
    identity = cccd(datetime.date(1988, 8, 8), female=True, serial=320001)
    return csv_bytes([[identity, "Phạm Thị Một", "08/08/1988", "Nữ", org, "", "LDTT", 2024,
                       "1/QĐ", "10/01/2025", ""]])  # fmt: skip


# --- who sees what -------------------------------------------------------------------------------

# persona → (GET a HLHPN person, GET a T-HND person, POST a history import): the status each
# gets. Units see their own subtree; boards, councils, inspectors and the administrator see
# everyone; board officers and heads, the administrator and a unit's officer import.
MATRIX = {
    "proposer-HLHPN": (200, 404, 200),
    "head-HLHPN": (200, 404, 403),
    "proposer-T-HND": (404, 200, 200),
    "proposer-HCCB": (404, 404, 200),
    "voter-HLHPN": (404, 404, 403),
    "board-officer": (200, 200, 200),
    "board-head": (200, 200, 200),
    "t-board-officer": (200, 200, 200),
    "council-secretary": (200, 200, 403),
    "council-member-1": (200, 200, 403),
    "inspector": (200, 200, 403),
    "admin": (200, 200, 200),
    "pm": (404, 404, 403),
    "t-chair": (404, 404, 403),
    "consult-BHXH": (404, 404, 403),
}


@pytest.mark.parametrize(("persona", "expected"), MATRIX.items())
def test_registry_permission_matrix(api, people, persona, expected):
    client = api(persona)
    so, tinh = people[SO], people[TINH]
    got = (
        client.get(f"{PEOPLE}{so.pk}/").status_code,
        client.get(f"{PEOPLE}{tinh.pk}/").status_code,
        client.post(IMPORT, upload(one_row_csv(), "a.csv"), format="multipart").status_code,
    )
    assert got == expected
    # The list shows exactly the people the detail shows.
    listed = {p["identity"] for p in client.get(PEOPLE, {"page_size": 200}).json()["results"]}
    assert (SO in listed, TINH in listed) == (expected[0] == 200, expected[1] == 200)


def test_a_visitor_is_asked_to_sign_in(people):
    client = APIClient()
    assert client.get(PEOPLE).status_code == 401
    assert client.get(f"{PEOPLE}{people[SO].pk}/").status_code == 401
    assert client.post(IMPORT, upload(one_row_csv()), format="multipart").status_code == 401


def test_a_unit_sees_the_units_under_it(api, people, world):
    branch = Organization.objects.create(
        code="T-HND-X1", name="Hội Nông dân xã Một", level="province",
        parent=Organization.objects.get(code="T-HND"),
    )  # fmt: skip
    Person.objects.filter(pk=people[TINH].pk).update(organization=branch)
    assert api("proposer-T-HND").get(f"{PEOPLE}{people[TINH].pk}/").status_code == 200
    assert api("proposer-T-MTTQ").get(f"{PEOPLE}{people[TINH].pk}/").status_code == 404


# --- reading -------------------------------------------------------------------------------------


def test_a_person_with_their_history(api, people, openapi):
    answer = api("board-officer").get(f"{PEOPLE}{people[SO].pk}/")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["identity"], body["full_name"], body["birth_date"], body["sex"]) == (
        SO,
        "Nguyễn Thị Sổ",
        "1982-03-08",
        "female",
    )
    assert (body["organization"], body["position"]) == ("HLHPN", "Trưởng ban")
    first, second = body["history"]
    assert first["title"] == "HTXSNV" and first["title_name"]
    assert (first["year"], first["decision_number"], first["decision_date"]) == (
        2022,
        "15/QĐ-HLHPN",
        "2023-01-10",
    )
    assert (first["sudden"], first["source"], first["revoked"]) == (False, "imported", False)
    assert (second["title"], second["sudden"]) == ("CSTD-CS", True)
    _conforms(openapi, "/api/v1/registry/people/{id}/", "GET", answer)


def test_a_revoked_entry_says_so(api, people):
    # (A revocation marks the entries its decision added; this one is marked as it would be.)
    entry = HistoryEntry.objects.get(person=people[SO], kind__code="CSTD-CS")
    HistoryEntry.objects.filter(pk=entry.pk).update(
        revoked_on=datetime.date(2025, 3, 1), revoked_reason="false_declaration"
    )
    history = api("inspector").get(f"{PEOPLE}{people[SO].pk}/").json()["history"]
    assert [(h["title"], h["revoked"], h["revoked_on"]) for h in history] == [
        ("HTXSNV", False, None),
        ("CSTD-CS", True, "2025-03-01"),
    ]


def test_the_list_filters_by_organisation_and_name(api, people, openapi):
    client = api("board-officer")
    by_org = client.get(PEOPLE, {"organization": "T-HND", "page_size": 200})
    assert TINH in [p["identity"] for p in by_org.json()["results"]]
    assert {p["organization"] for p in by_org.json()["results"]} == {"T-HND"}
    by_name = client.get(PEOPLE, {"name": "thị sổ"})
    assert [p["identity"] for p in by_name.json()["results"]] == [SO]
    assert client.get(PEOPLE, {"organization": "không hợp lệ"}).status_code == 400
    _conforms(openapi, PEOPLE, "GET", by_org)


# --- the look-up by CCCD -------------------------------------------------------------------------


def _events(after: int) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.filter(seq__gt=after, action="person.looked_up"))


def _last_seq() -> int:
    return LedgerEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_a_lookup_is_an_exact_match_and_is_logged_without_the_number(api, people, openapi):
    client, start = api("board-officer"), _last_seq()
    found = client.get(PEOPLE, {"identity": SO})
    assert found.status_code == 200
    assert [p["id"] for p in found.json()["results"]] == [people[SO].pk]
    _conforms(openapi, PEOPLE, "GET", found)
    missing = client.get(PEOPLE, {"identity": UNKNOWN})
    assert missing.status_code == 200 and missing.json()["results"] == []
    for partial in (SO[:11], SO[:6], SO + "0", "0011-8031-0001"):
        refused = client.get(PEOPLE, {"identity": partial})
        assert refused.status_code == 400 and refused.json()["code"] == "invalid", partial
    hit, miss = _events(start)  # the refused look-ups reached nothing and are not logged
    assert (hit.object_type, hit.object_id, hit.actor_name) == (
        "dossiers.person",
        str(people[SO].pk),
        "board-officer",
    )
    assert json.loads(hit.body)["data"] == {"found": True, "shown": True}
    miss_data = json.loads(miss.body)["data"]
    assert (miss.object_id, miss_data["found"], miss_data["shown"]) == ("", False, False)
    assert miss_data["identity_digest"] == registry_access.identity_digest(UNKNOWN)
    for event in (hit, miss):
        assert SO not in event.body and UNKNOWN not in event.body


def test_a_lookup_in_the_browsable_api_is_logged_once(api, people):
    start = _last_seq()
    page = api("board-officer").get(PEOPLE, {"identity": SO}, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert len(_events(start)) == 1


def test_a_unit_cannot_find_a_person_outside_its_subtree(api, people):
    start = _last_seq()
    answer = api("proposer-HCCB").get(PEOPLE, {"identity": SO})
    assert answer.status_code == 200 and answer.json()["results"] == []
    (event,) = _events(start)
    assert event.object_id == str(people[SO].pk)  # the inspector sees who was asked for
    assert json.loads(event.body)["data"] == {"found": True, "shown": False}


def test_lookups_are_limited_per_user_and_hour(api, people, settings, openapi):
    settings.REGISTRY_LOOKUPS_PER_HOUR = 3
    client = api("board-officer")
    for _ in range(3):
        assert client.get(PEOPLE, {"identity": SO}).status_code == 200
    start = _last_seq()
    limited = client.get(PEOPLE, {"identity": SO})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert "3" in limited.json()["detail"]
    _conforms(openapi, PEOPLE, "GET", limited)
    assert _events(start) == []  # a refused look-up finds nothing and logs nothing
    # The list without a CCCD is not a look-up; another user has their own count.
    assert client.get(PEOPLE).status_code == 200
    assert api("inspector").get(PEOPLE, {"identity": SO}).status_code == 200


# --- the history import over the API -------------------------------------------------------------


def test_the_import_answers_the_row_report(api, people, openapi):
    title_kinds()
    good = cccd(datetime.date(1991, 4, 4), female=False, serial=330001)
    rows = [
        [good, "Đỗ Văn Tốt", "04/04/1991", "Nam", "HLHPN", "", "LDTT", 2024, "3/QĐ",
         "10/01/2025", ""],
        [good[:10], "Đỗ Văn Sai", "04/04/1991", "Nam", "HLHPN", "", "LDTT", 2024, "4/QĐ",
         "10/01/2025", ""],
        [SO, "Nguyễn Thị Sổ", "08/03/1982", "Nữ", "HLHPN", "", "HTXSNV", 2022, "15/QĐ-HLHPN",
         "10/01/2023", ""],
    ]  # fmt: skip
    answer = api("board-officer").post(IMPORT, upload(xlsx(rows)), format="multipart")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert {k: body[k] for k in ("rows", "imported", "refused", "duplicates")} == {
        "rows": 3, "imported": 1, "refused": 2, "duplicates": 1,
    }  # fmt: skip
    assert body["report"] == [
        {"row": 3, "status": "refused", "reasons": [str(registry.IDENTITY_FORMAT)]},
        {"row": 4, "status": "duplicate", "reasons": [str(imports.DUPLICATE_ENTRY)]},
    ]
    assert body["truncated"] is False
    _conforms(openapi, IMPORT, "POST", answer)


def test_a_unit_officer_imports_only_for_its_own_subtree(api, people):
    answer = api("proposer-HCCB").post(IMPORT, upload(one_row_csv("HLHPN"), "a.csv"))
    body = answer.json()
    assert (answer.status_code, body["imported"], body["refused"]) == (200, 0, 1)
    assert body["report"][0]["reasons"] == [
        "Organisation: " + str(imports.ORG_OUTSIDE % {"value": "HLHPN"})
    ]
    own = api("proposer-HCCB").post(IMPORT, upload(one_row_csv("HCCB"), "a.csv")).json()
    assert (own["imported"], own["refused"]) == (1, 0)


def test_files_the_import_refuses_whole(api, pdf, openapi):
    client = api("board-officer")
    missing = client.post(IMPORT, {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid"
    not_a_sheet = client.post(IMPORT, {"file": pdf("bao-cao.pdf")}, format="multipart")
    assert not_a_sheet.status_code == 400 and not_a_sheet.json()["code"] == "not_a_sheet"
    no_header = client.post(IMPORT, upload(b"a,b\n1,2\n", "x.csv"), format="multipart")
    assert no_header.status_code == 400 and no_header.json()["code"] == "no_header"
    _conforms(openapi, IMPORT, "POST", not_a_sheet)


# --- a dossier's nominee list --------------------------------------------------------------------


@pytest.fixture
def draft(world) -> Dossier:
    title_kinds()
    return wf.dossier_start(
        actor=world.user("proposer-HLHPN"),
        organization=world.org("HLHPN"),
        award_form=world.form("BK-TTG"),
        year=2025,
        title="Bằng khen Thủ tướng 2025",
        nominees=[{"kind": "collective", "name": "Ban Gia đình - Xã hội", "organization": "HLHPN"}],
    )


def nominee_sheet(*extra: list) -> bytes:
    rows = [
        ["Cá nhân", "Nguyễn Thị Sổ", SO, "08/03/1982", "Nữ", "Trưởng ban", "HLHPN",
         "5 năm hoàn thành xuất sắc nhiệm vụ", "73.1.b"],
        ["Cá nhân", "Trần Thị Mới", cccd(datetime.date(1985, 6, 1), female=True, serial=340001),
         datetime.date(1985, 6, 1), "nữ", "Chuyên viên", "", "Sáng kiến cấp bộ", ""],
        ["Tập thể", "Ban Tuyên giáo", "", "", "", "", "HLHPN", "Dẫn đầu phong trào", ""],
        *extra,
    ]  # fmt: skip
    return xlsx(rows, header=NOMINEE_HEADER_VI, above=[["DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"]])


def test_a_unit_replaces_its_draft_nominees_from_its_spreadsheet(api, people, draft, openapi):
    url = f"/api/v1/dossiers/{draft.pk}/nominees/import/"
    answer = api("proposer-HLHPN").post(url, upload(nominee_sheet()), format="multipart")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["rows"], body["imported"], body["refused"], body["report"]) == (3, 3, 0, [])
    nominees = body["dossier"]["nominees"]
    assert [(n["kind"], n["name"]) for n in nominees] == [
        ("individual", "Nguyễn Thị Sổ"),
        ("individual", "Trần Thị Mới"),
        ("collective", "Ban Tuyên giáo"),
    ]
    assert nominees[0]["person"] == people[SO].pk  # matched by CCCD, not created again
    assert nominees[0]["criterion"] == "73.1.b"
    new = Person.objects.get(pk=nominees[1]["person"])
    assert (new.full_name, new.birth_date, new.sex, new.organization.code) == (
        "Trần Thị Mới",
        datetime.date(1985, 6, 1),
        "female",
        "HLHPN",
    )
    assert draft.nominees.count() == 3
    _conforms(openapi, "/api/v1/dossiers/{id}/nominees/import/", "POST", answer)


def test_one_bad_row_refuses_the_whole_list(api, draft, openapi):
    url = f"/api/v1/dossiers/{draft.pk}/nominees/import/"
    before = list(draft.nominees.values_list("name", flat=True))
    bad = [
        ["Cá nhân", "Sai Số", "12345", "", "", "", "", "", ""],
        ["Tập thể", "Hội Cựu chiến binh", "", "", "", "", "HCCB", "", ""],
        ["Cá nhân", "Nguyễn Thị Sổ", SO, "08/03/1982", "Nữ", "", "", "", ""],
        ["Ai đó", "Không rõ", "", "", "", "", "", "", ""],
    ]
    answer = api("proposer-HLHPN").post(url, upload(nominee_sheet(*bad)), format="multipart")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "import_refused"
    assert (body["rows"], body["imported"], body["refused"]) == (7, 0, 4)
    report = {r["row"]: r for r in body["report"]}
    assert set(report) == {6, 7, 8, 9}
    assert report[6]["reasons"] == [str(registry.IDENTITY_FORMAT)]
    assert report[7]["reasons"] == [
        "Organisation: " + str(errors.ORGANIZATION_FORBIDDEN % {"org": "HLHPN", "value": "HCCB"})
    ]
    assert report[8] == {
        "row": 8, "status": "duplicate", "reasons": [str(imports.SAME_NOMINEE % {"row": 3})]
    }  # fmt: skip
    assert report[9]["reasons"][0].endswith(str(imports.BAD_KIND))
    assert list(draft.nominees.values_list("name", flat=True)) == before
    _conforms(openapi, "/api/v1/dossiers/{id}/nominees/import/", "POST", answer)


# persona → status of a nominee-list import on HLHPN's draft (404: the draft is not theirs to
# see; 403: seen, not theirs to edit).
NOMINEE_IMPORT = {
    "proposer-HLHPN": 200,
    "head-HLHPN": 200,
    "proposer-HCCB": 404,
    "board-officer": 404,
    "inspector": 403,
    "admin": 403,
}


@pytest.mark.parametrize(("persona", "expected"), NOMINEE_IMPORT.items())
def test_who_may_import_a_nominee_list(api, draft, persona, expected):
    url = f"/api/v1/dossiers/{draft.pk}/nominees/import/"
    answer = api(persona).post(url, upload(nominee_sheet()), format="multipart")
    assert answer.status_code == expected, answer.json()


def test_a_dossier_that_left_the_unit_takes_no_list(api):
    sent = (
        Dossier.objects.filter(organization__code="HLHPN")
        .exclude(state__in=[DossierState.DRAFT, DossierState.RETURNED])
        .first()
    )
    url = f"/api/v1/dossiers/{sent.pk}/nominees/import/"
    answer = api("proposer-HLHPN").post(url, upload(nominee_sheet()), format="multipart")
    assert answer.status_code == 409 and answer.json()["code"] == "not_editable"
