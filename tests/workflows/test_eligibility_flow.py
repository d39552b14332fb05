"""The eligibility rules over the HTTP API, as the personas who act (issue #13's cases): a
person proposed twice is flagged to both boards and signed once; a bloc's second and third
Government flags are refused; a national fighter without prerequisites cannot be submitted
until their history is imported; an override needs the board head's confirmation."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dossiers import registry
from dossiers.models import HistoryEntry, Person, RestrictionKind
from tests.consultations.helpers import consult
from tests.signin import fresh_code
from tests.workflows.helpers import act, ballot, create, individual, upload_required

pytestmark = pytest.mark.django_db
YEAR = 2024  # the central bloc's 2024: its Government flag is still open in the demo world


def _rules(dossier: dict, failed_only: bool = True) -> dict[str, str]:
    return {
        c["rule"]: c["outcome"]
        for n in dossier["nominees"]
        for c in n["checks"]
        if not failed_only or c["outcome"] != "pass"
    }


def _to_decision(api, dossiers: list[dict]) -> None:
    result = ballot(api, "voter-MTTQ", dossiers, year=YEAR)  # None: individuals skip the bloc
    assert result is None or all(n["passed"] for n in result["nominees"])
    for dossier in dossiers:
        act(api, "board-officer", dossier, "accept")
        consult(api, "board-officer", dossier)
        act(api, "board-head", dossier, "forward")


def test_one_person_proposed_by_two_units_is_flagged_to_both_and_signed_once(api):
    twice = individual("Phạm Thị Trùng", "MTTQ", year=YEAR, form="BK-TTG")
    first = create(api, "MTTQ", "BK-TTG", [twice], year=YEAR)
    # The second unit names the same CCCD as one of its own people.
    second = create(api, "HND", "BK-TTG", [{**twice, "organization": "HND"}], year=YEAR)
    assert first["nominees"][0]["person"] == second["nominees"][0]["person"]
    for org, dossier in (("MTTQ", first), ("HND", second)):
        upload_required(api, org, dossier)
    first = act(api, "head-MTTQ", first, "submit")
    second = act(api, "head-HND", second, "submit")  # flagged, not refused: boards decide
    assert _rules(second)["double_reward"] == "warning"
    seen_by_board = api("board-officer").get(f"/api/v1/dossiers/{first['id']}/").json()
    flagged = [c for c in seen_by_board["nominees"][0]["checks"] if c["rule"] == "double_reward"]
    assert flagged[0]["outcome"] == "warning" and second["reference"] in flagged[0]["message"]

    _to_decision(api, [first, second])
    made = api("board-head").post(
        "/api/v1/decisions/", {"decider": "TTG", "dossiers": [first["id"], second["id"]]},
        format="json",
    )  # fmt: skip
    url = f"/api/v1/decisions/{made.json()['id']}/sign/"
    sign = {"number": "77/QĐ-TTg", "signed_on": "2026-11-20", "otp": fresh_code("pm")}
    refused = api("pm").post(url, sign, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "eligibility_failed"
    checks = refused.json()["checks"]
    assert {(c["rule"], c["outcome"], c["overridable"]) for c in checks} == {
        ("double_reward", "fail", False)
    }
    assert not HistoryEntry.objects.filter(person__identity=twice["identity"], year=YEAR).exists()

    duplicate = second["nominees"][0]["id"]
    declined = [{"nominee": duplicate, "reason": "duplicate"}]
    sign = {**sign, "otp": fresh_code("pm"), "declined": declined}
    signed = api("pm").post(url, sign, format="json")
    assert signed.status_code == 200, signed.json()
    awarded = HistoryEntry.objects.get(person__identity=twice["identity"], year=YEAR)
    assert (awarded.kind.code, awarded.decision_number, awarded.source) == (
        "BK-TTG", "77/QĐ-TTg", "awarded_here",
    )  # fmt: skip


def test_a_blocs_second_and_third_government_flags_are_refused(api):
    outcomes = []
    for org in ("HLHPN", "VUFO", "VUSTA"):
        flag = create(
            api, org, "CO-TD-CP", [{"kind": "collective", "name": f"Tập thể {org}",
                                    "organization": org}], year=YEAR,
        )  # fmt: skip
        upload_required(api, org, flag)
        response = api(f"head-{org}").post(
            f"/api/v1/dossiers/{flag['id']}/actions/submit/", {}, format="json"
        )
        outcomes.append((response.status_code, response.json().get("code")))
        if response.status_code == 409:
            rules = {c["rule"] for c in response.json()["checks"]}
            assert (
                rules == {"government_flag"}
                and "Điều 25" in response.json()["checks"][0]["citation"]
            )
    assert outcomes == [(200, None), (409, "eligibility_failed"), (409, "eligibility_failed")]


def test_a_national_fighter_without_prerequisites_passes_once_the_history_is_imported(api):
    nominee = individual("Đỗ Văn Sáng", "HND", year=2023, career=False)
    dossier = create(api, "HND", "CSTD-TQ", [nominee], year=2023)
    upload_required(api, "HND", dossier)
    refused = api("head-HND").post(
        f"/api/v1/dossiers/{dossier['id']}/actions/submit/", {}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "eligibility_failed"
    failed = {c["rule"]: c for c in refused.json()["checks"]}
    assert set(failed) == {"national_fighter"}
    assert "Điều 21" in failed["national_fighter"]["citation"]

    header = "identity,full_name,organization,title,year,decision_number,decision_date\n"
    rows = [
        ("CSTD-BO", 2021, "15/QĐ-TLĐ", "2021-12-20"),
        ("CSTD-BO", 2022, "21/QĐ-TLĐ", "2022-12-19"),
        ("SK-TQ", 2022, "88/QĐ-BKHCN", "2022-10-03"),
    ]
    body = header + "".join(
        f"{nominee['identity']},Đỗ Văn Sáng,HND,{t},{y},{n},{d}\n" for t, y, n, d in rows
    )
    upload = SimpleUploadedFile("lich-su.csv", body.encode(), content_type="text/csv")
    imported = api("board-officer").post(
        "/api/v1/registry/import/", {"file": upload}, format="multipart"
    )
    assert imported.status_code == 200, imported.json()
    assert (imported.json()["imported"], imported.json()["refused"]) == (3, 0)
    submitted = act(api, "head-HND", dossier, "submit")
    assert submitted["state"] != "draft"
    assert _rules(submitted, failed_only=False)["national_fighter"] == "pass"


def test_an_individual_without_identity_is_named_at_submit_collectives_need_nothing(api):
    bare = {"kind": "individual", "name": "Người Chưa Định Danh", "organization": "VHNT"}
    group = {"kind": "collective", "name": "Ban Văn nghệ", "organization": "VHNT"}
    made = api("proposer-VHNT").post(  # as every existing client does: no new fields
        "/api/v1/dossiers/",
        {
            "award_form": "BK-TTG",
            "year": YEAR,
            "title": "Không định danh",
            "nominees": [bare, group],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    dossier = made.json()
    assert dossier["nominees"][0]["person"] is None and dossier["nominees"][1]["person"] is None
    upload_required(api, "VHNT", dossier)
    refused = api("head-VHNT").post(
        f"/api/v1/dossiers/{dossier['id']}/actions/submit/", {}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "eligibility_failed"
    assert [c["rule"] for c in refused.json()["checks"]] == ["identity"]
    assert "Người Chưa Định Danh" in refused.json()["detail"]


def test_an_override_counts_once_the_board_head_confirms_it(api, world):
    dossier = create(api, "MTTQ", "BK-TTG", year=YEAR)
    upload_required(api, "MTTQ", dossier)
    act(api, "head-MTTQ", dossier, "submit")
    ballot(api, "voter-MTTQ", [dossier], year=YEAR)
    act(api, "board-officer", dossier, "accept")
    consult(api, "board-officer", dossier)
    nominee = dossier["nominees"][0]
    registry.restriction_open(
        actor=world.user("board-officer"),
        person=Person.objects.get(pk=nominee["person"]),
        kind=RestrictionKind.COMPLAINT,
        opened_on=datetime.date(2026, 11, 2),
        note="Đơn khiếu nại đang xác minh",
    )
    seen = api("board-officer").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    assert _rules(seen)["restriction"] == "fail"
    refused = act(api, "board-head", dossier, "forward", expect=409)
    assert refused["code"] == "eligibility_failed"

    url = f"/api/v1/dossiers/{dossier['id']}/nominees/{nominee['id']}/checks"
    matrix = [  # (who, rule, action, body, expected status)
        ("proposer-MTTQ", "restriction", "override", {"reason": "x"}, 403),
        ("board-officer", "restriction", "confirm", {}, 403),
        ("board-officer", "restriction", "override", {}, 400),  # a reason is needed
        ("board-officer", "subject_type", "override", {"reason": "x"}, 400),  # passed
        ("board-officer", "restriction", "override", {"reason": "Đơn nặc danh, đã xác minh"}, 200),
        ("board-officer", "restriction", "confirm", {}, 403),  # the head confirms
    ]
    for who, rule, action, body, expected in matrix:
        response = api(who).post(f"{url}/{rule}/{action}/", body, format="json")
        assert response.status_code == expected, (who, rule, action, response.json())
    pending = api("board-head").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    check = next(c for c in pending["nominees"][0]["checks"] if c["rule"] == "restriction")
    assert (check["outcome"], check["override"]) == ("fail", "pending")
    act(api, "board-head", dossier, "forward", expect=409)
    confirmed = api("board-head").post(f"{url}/restriction/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    check = next(c for c in confirmed.json()["nominees"][0]["checks"] if c["rule"] == "restriction")
    assert (check["outcome"], check["override"]) == ("overridden", "confirmed")
    assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"
    events = api("inspector").get(f"/api/v1/dossiers/{dossier['id']}/history/").json()
    actions = [e["action"] for e in events]
    assert "check_override" in actions and "check_override_confirm" in actions


def test_the_create_page_takes_an_individuals_identity_and_refuses_a_bad_one(world):
    client = Client()
    client.force_login(world.user("proposer-VUSTA"))
    form = {
        "award_form": "BK-TTG", "year": "2024", "title": "Qua trang", "nominee_kind": "individual",
        "nominee_name": "Lý Thị Trang", "nominee_birth_date": "1985-03-09",
        "nominee_sex": "female", "nominee_criterion": "73.1.b",
    }  # fmt: skip
    wrong = client.post("/dossiers/new/", {**form, "nominee_identity": "00118500001"})
    assert wrong.status_code == 400
    assert "12" in wrong.content.decode() and not Person.objects.filter(full_name="Lý Thị Trang")
    mismatched = client.post("/dossiers/new/", {**form, "nominee_identity": "001085000017"})
    assert mismatched.status_code == 400  # its 4th digit says a man born in the 1900s
    made = client.post("/dossiers/new/", {**form, "nominee_identity": "001185000017"})
    assert made.status_code == 302
    person = Person.objects.get(identity="001185000017")
    assert (person.full_name, person.birth_date.isoformat(), person.sex) == (
        "Lý Thị Trang", "1985-03-09", "female",
    )  # fmt: skip
    nominee = person.nominations.get()
    assert nominee.criterion == "73.1.b" and nominee.checks


def _double(dossier: dict) -> dict:
    (check,) = [c for c in dossier["nominees"][0]["checks"] if c["rule"] == "double_reward"]
    return check


def test_one_person_proposed_under_a_province_and_centrally_is_flagged_to_both_boards(api):
    twice = individual("Hoàng Thị Hai Cấp", "T-HND", year=YEAR, form="BK-TTG")
    provincial = create(api, "T-HND", "BK-TTG", [twice], year=YEAR)
    central = create(api, "HND", "BK-TTG", [{**twice, "organization": "HND"}], year=YEAR)
    assert provincial["nominees"][0]["person"] == central["nominees"][0]["person"]
    for org, dossier in (("T-HND", provincial), ("HND", central)):
        upload_required(api, org, dossier)
    provincial = act(api, "head-T-HND", provincial, "submit")
    central = act(api, "head-HND", central, "submit")
    assert provincial["holder"] != central["holder"]  # two boards: the province's, the centre's
    for board, mine, other in (
        ("t-board-officer", provincial, central),
        ("board-officer", central, provincial),
    ):
        seen = api(board).get(f"/api/v1/dossiers/{mine['id']}/")
        assert seen.status_code == 200, (board, seen.json())
        flagged = _double(seen.json())
        assert flagged["outcome"] == "warning", (board, flagged)
        assert other["reference"] in flagged["message"], (board, flagged)
        assert "Điều 5" in flagged["citation"]
    # Neither board can see the other's dossier: the flag is what tells them.
    assert api("t-board-officer").get(f"/api/v1/dossiers/{central['id']}/").status_code == 404


def _signed_twice(api, name: str) -> tuple[dict, dict, str, dict]:
    """One person proposed by MTTQ and by HND for BK-TTG, both awaiting the PM's decision in one
    batch: (first, second, the sign URL, the sign body without its code)."""
    twice = individual(name, "MTTQ", year=YEAR, form="BK-TTG")
    first = create(api, "MTTQ", "BK-TTG", [twice], year=YEAR)
    second = create(api, "HND", "BK-TTG", [{**twice, "organization": "HND"}], year=YEAR)
    for org, dossier in (("MTTQ", first), ("HND", second)):
        upload_required(api, org, dossier)
    first = act(api, "head-MTTQ", first, "submit")
    second = act(api, "head-HND", second, "submit")
    _to_decision(api, [first, second])
    made = api("board-head").post(
        "/api/v1/decisions/", {"decider": "TTG", "dossiers": [first["id"], second["id"]]},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.json()
    url = f"/api/v1/decisions/{made.json()['id']}/sign/"
    return first, second, url, {"number": "88/QĐ-TTg", "signed_on": "2026-10-15"}


def test_only_a_decline_for_the_duplicate_lifts_the_block_and_the_award_has_the_signing_date(api):
    first, second, url, sign = _signed_twice(api, "Ngô Thị Hai Lần")
    duplicate = second["nominees"][0]["id"]
    for reason in ("Chưa đủ tiêu chuẩn", "duplicates of effort", "not a duplicate"):
        declined = [{"nominee": duplicate, "reason": reason}]
        body = {**sign, "otp": fresh_code("pm"), "declined": declined}
        refused = api("pm").post(url, body, format="json")
        assert refused.status_code == 409, (reason, refused.json())
        assert refused.json()["code"] == "eligibility_failed"
        assert {(c["rule"], c["outcome"]) for c in refused.json()["checks"]} == {
            ("double_reward", "fail")
        }
    declined = [{"nominee": duplicate, "reason": "duplicate: also proposed by MTTQ"}]
    signed = api("pm").post(
        url, {**sign, "otp": fresh_code("pm"), "declined": declined}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    person = first["nominees"][0]["person"]
    awarded = HistoryEntry.objects.get(person_id=person, year=YEAR, kind__code="BK-TTG")
    # Dated the decision's signing day, not the day it was entered.
    assert awarded.awarded_on == datetime.date(2026, 10, 15) != datetime.date.today()
    assert (awarded.decision_number, awarded.nominee_id) == (
        "88/QĐ-TTg",
        first["nominees"][0]["id"],
    )


def test_the_demo_worlds_signed_awards_carry_their_decisions_dates():
    entries = HistoryEntry.objects.filter(decision_number="301/QĐ-TTg", source="awarded_here")
    assert entries and {e.awarded_on for e in entries} == {datetime.date(2023, 3, 6)}


def test_a_revoked_award_is_marked_in_the_registry_and_stops_counting(api):
    first, second, url, sign = _signed_twice(api, "Lý Văn Thu Hồi")
    declined = [{"nominee": second["nominees"][0]["id"], "reason": "duplicate"}]
    signed = api("pm").post(
        url, {**sign, "otp": fresh_code("pm"), "declined": declined}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    person = first["nominees"][0]["person"]
    entry = HistoryEntry.objects.get(person_id=person, year=YEAR, kind__code="BK-TTG")
    assert entry.revoked_on is None

    # Proposed again for the same award and year: already awarded, so it fails.
    again = {**individual("Lý Văn Thu Hồi", "MTTQ", year=YEAR, form="BK-TTG")}
    later = create(api, "MTTQ", "BK-TTG", [again], year=YEAR)
    assert _double(later)["outcome"] == "fail"

    revoked = act(
        api, "pm", first, "revoke", reason_code="false_declaration", reason="Khai man thành tích"
    )
    assert revoked["state"] == "revoked"
    assert revoked["nominees"][0]["outcome"] == "revoked"
    entry.refresh_from_db()
    assert entry.revoked_on is not None
    assert entry.revoked_reason.startswith("false_declaration")
    # The registry shows it revoked; the proposer's draft, saved again, no longer meets it.
    history = api("board-officer").get(f"/api/v1/registry/people/{person}/").json()["history"]
    (shown,) = [h for h in history if h["title"] == "BK-TTG" and h["year"] == YEAR]
    assert shown["revoked"] is True
    saved = api("proposer-MTTQ").patch(
        f"/api/v1/dossiers/{later['id']}/", {"nominees": [again]}, format="json"
    )
    assert saved.status_code == 200, saved.json()
    assert _double(saved.json())["outcome"] == "pass"
    events = api("inspector").get(f"/api/v1/dossiers/{first['id']}/history/").json()
    assert "revoke" in [e["action"] for e in events]
