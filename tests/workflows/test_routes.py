"""Drive dossiers along each route over the HTTP API, as the personas who really act."""

import datetime

import time_machine

from dossiers.models import Dossier, DossierState
from tests.consultations.helpers import consult
from tests.signin import fresh_code
from tests.workflows.helpers import NOMINEE, act, ballot, create, upload_required
from workflows.selectors import state_path


def _path(pk: int) -> list[str]:
    """The states the dossier went through, from its ledger events."""
    return state_path(Dossier.objects.get(pk=pk))


def test_pm_form_with_two_returns_hold_partial_decline_and_revocation(api):
    nominees = [
        {**NOMINEE, "organization": "HLHPN"},
        {"kind": "collective", "name": "Ban Tuyên giáo TƯ Hội LHPN", "organization": "HLHPN"},
    ]
    dossier = create(api, "HLHPN", "BK-TTG", nominees)
    assert dossier["state"] == "draft" and dossier["available_actions"] == []
    upload_required(api, "HLHPN", dossier, ["to_trinh", "bao_cao_thanh_tich"])

    submitted = act(api, "head-HLHPN", dossier, "submit")
    assert submitted["state"] == "bloc_voting" and submitted["bloc"] == "KHOI-CTXH-TW"
    assert submitted["due_date"]
    # Only the bloc's leader of that year opens and closes the ballot; every member votes.
    nominee_ids = [n["id"] for n in submitted["nominees"]]
    refused = api("voter-HCCB").post(
        "/api/v1/ballots/",
        {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": nominee_ids},
        format="json",
    )
    assert refused.status_code == 403
    result = ballot(api, "voter-MTTQ", [submitted])
    assert all(n["passed"] for n in result["nominees"])
    assert api("head-HLHPN").get(f"/api/v1/dossiers/{dossier['id']}/").json()["state"] == "intake"

    # Two rounds of return for supplement; each resubmission is a new version.
    for round_ in (1, 2):
        act(api, "board-officer", dossier, "return", expect=400, reason="")
        returned = act(
            api, "board-officer", dossier, "return", reason=f"Thiếu tài liệu lần {round_}"
        )
        assert returned["state"] == "returned" and returned["due_date"]
        resubmitted = act(api, "head-HLHPN", dossier, "submit")
        assert resubmitted["state"] == "intake"
        assert resubmitted["version"] == round_ + 1

    assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"
    consult(api, "board-officer", dossier)  # the PM's certificate requires it
    held = act(api, "board-officer", dossier, "hold", reason_code="complaint", reason="Đơn thư")
    assert held["state"] == "on_hold" and held["due_date"] is None
    act(api, "board-head", dossier, "forward", expect=409)
    assert (
        act(api, "board-officer", dossier, "release", reason="Đã xác minh")["state"] == "appraisal"
    )
    act(api, "board-officer", dossier, "forward", expect=403)  # the board head forwards
    assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"

    created = api("board-head").post(
        "/api/v1/decisions/", {"decider": "TTG", "dossiers": [dossier["id"]]}, format="json"
    )
    assert created.status_code == 201, created.json()
    decision = created.json()
    declined_id = submitted["nominees"][1]["id"]
    sign = {
        "number": "9001/QĐ-TTg",
        "signed_on": "2023-03-14",
        "declined": [{"nominee": declined_id, "reason": "Chưa đủ tiêu chuẩn tập thể"}],
    }
    assert (
        api("board-head")
        .post(
            f"/api/v1/decisions/{decision['id']}/sign/",
            {**sign, "otp": fresh_code("board-head")},
            format="json",
        )
        .status_code
        == 403
    )
    sign["otp"] = fresh_code("pm")  # every signature carries a new code of the signer
    signed = api("pm").post(f"/api/v1/decisions/{decision['id']}/sign/", sign, format="json")
    assert signed.status_code == 200, signed.json()
    body = signed.json()
    assert body["state"] == "signed" and body["number"] == "9001/QĐ-TTg"
    assert [n["nominee"] for n in body["declined"]] == [declined_id]
    assert [n["name"] for n in body["awarded"]] == [NOMINEE["name"]]
    # Signing again is refused: the same decision acts once.
    sign["otp"] = fresh_code("pm")
    assert (
        api("pm").post(f"/api/v1/decisions/{decision['id']}/sign/", sign, format="json").status_code
        == 409
    )

    decided = api("pm").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    assert decided["state"] == "decided"
    assert {n["outcome"] for n in decided["nominees"]} == {"awarded", "declined"}
    assert "revoke" in decided["available_actions"]
    act(api, "pm", dossier, "revoke", expect=400, reason_code="because", reason="x")
    revoked = act(api, "pm", dossier, "revoke", reason_code="false_declaration", reason="Thanh tra")
    assert revoked["state"] == "revoked"
    assert {n["outcome"] for n in revoked["nominees"]} == {"revoked", "declined"}

    history = api("inspector").get(f"/api/v1/dossiers/{dossier['id']}/history/").json()
    actions = [e["action"] for e in history]
    assert actions[:2] == ["create", "attach"]
    assert actions.count("return") == 2 and actions.count("submit") == 3
    assert actions[-2:] == ["decide", "revoke"]
    assert all(e["actor"] for e in history)
    assert history[-1] == {
        **history[-1],
        "from_state": "decided",
        "to_state": "revoked",
        "reason": "Thanh tra",
    }
    path = _path(dossier["id"])
    assert path.count("intake") == 3 and path[-2:] == ["decided", "revoked"]


def test_president_form_goes_through_the_prime_minister(api):
    with time_machine.travel(datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC), tick=True):
        dossier = create(api, "TLDLD", "HCLD-3")
        upload_required(
            api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"]
        )
        assert act(api, "head-TLDLD", dossier, "submit")["state"] == "intake"  # no bloc vote
        notice = act(api, "board-officer", dossier, "accept")
        assert notice["state"] == "public_notice"
        assert notice["due_date"] == "2026-09-16"  # 10 working days; 2 September is a holiday
        refused = act(api, "board-officer", dossier, "close_notice", expect=409)
        assert refused["code"] == "notice_running"
    with time_machine.travel(datetime.datetime(2026, 9, 16, 9, tzinfo=datetime.UTC), tick=True):
        assert act(api, "board-officer", dossier, "close_notice")["state"] == "appraisal"
        consult(api, "board-officer", dossier)  # the Labour Order requires it
    act(api, "board-head", dossier, "forward")
    decision = (
        api("board-head")
        .post("/api/v1/decisions/", {"decider": "CTN", "dossiers": [dossier["id"]]}, format="json")
        .json()
    )
    url = f"/api/v1/decisions/{decision['id']}"
    sign = {"number": "77/QĐ-CTN", "signed_on": "2026-10-01", "otp": fresh_code("president")}
    assert (
        api("president").post(f"{url}/sign/", sign, format="json").json()["code"] == "not_proposed"
    )
    assert api("president").post(f"{url}/propose/", {}, format="json").status_code == 403
    assert (
        api("pm")
        .post(f"{url}/propose/", {"number": "12/TTr-TTg", "otp": fresh_code("pm")}, format="json")
        .status_code
        == 200
    )
    assert Dossier.objects.get(pk=dossier["id"]).state == DossierState.AWAITING_PRESIDENT
    assert api("pm").post(f"{url}/sign/", sign, format="json").status_code == 403
    signed = api("president").post(
        f"{url}/sign/", {**sign, "otp": fresh_code("president")}, format="json"
    )
    assert signed.status_code == 200 and signed.json()["awarded"]
    assert Dossier.objects.get(pk=dossier["id"]).state == DossierState.DECIDED
    assert _path(dossier["id"])[-3:] == ["awaiting_decision", "awaiting_president", "decided"]


def test_provincial_form_ends_with_the_provincial_chair(api):
    team = {"kind": "collective", "name": "Tổ công đoàn minh họa", "organization": "T-LDLD"}
    dossier = create(api, "T-LDLD", "BK-TINH", [team], year=2024)
    upload_required(api, "T-LDLD", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    assert act(api, "head-T-LDLD", dossier, "submit")["bloc"] == "CUM-CTXH-T"
    nominees = [n["id"] for n in dossier["nominees"]]
    opened = api("voter-T-HND").post(  # 2023's leader, not 2024's
        "/api/v1/ballots/",
        {"bloc": "CUM-CTXH-T", "year": 2024, "nominees": nominees},
        format="json",
    )
    assert opened.status_code == 403
    ballot(api, "voter-T-MTTQ", [dossier], year=2024)
    act(api, "board-officer", dossier, "accept", expect=404)  # the central board never sees it
    act(api, "t-board-officer", dossier, "accept")
    assert act(api, "t-board-officer", dossier, "forward")["state"] == "awaiting_decision"
    assert api("board-head").post(
        "/api/v1/decisions/", {"decider": "T-UBND", "dossiers": [dossier["id"]]}, format="json"
    ).status_code in (400, 403)
    decision = (
        api("t-board-officer")
        .post(
            "/api/v1/decisions/", {"decider": "T-UBND", "dossiers": [dossier["id"]]}, format="json"
        )
        .json()
    )
    sign = {"number": "3101/QĐ-UBND", "signed_on": "2024-12-20", "otp": fresh_code("t-chair")}
    ok = api("t-chair").post(f"/api/v1/decisions/{decision['id']}/sign/", sign, format="json")
    assert ok.status_code == 200, ok.json()
    assert Dossier.objects.get(pk=dossier["id"]).state == DossierState.DECIDED
    # Decision numbers are unique per issuer and year.
    other = create(api, "T-HCCB", "BK-TINH", year=2024)
    upload_required(api, "T-HCCB", other, ["to_trinh", "bao_cao_thanh_tich"])
    ballot(api, "voter-T-MTTQ", [act(api, "head-T-HCCB", other, "submit")], year=2024)
    act(api, "t-board-officer", other, "accept")
    act(api, "t-board-officer", other, "forward")
    second = (
        api("t-board-officer")
        .post("/api/v1/decisions/", {"decider": "T-UBND", "dossiers": [other["id"]]}, format="json")
        .json()
    )
    sign["otp"] = fresh_code("t-chair")
    clash = api("t-chair").post(f"/api/v1/decisions/{second['id']}/sign/", sign, format="json")
    assert clash.status_code == 409 and clash.json()["code"] == "number_taken"
    assert Dossier.objects.get(pk=other["id"]).state == DossierState.AWAITING_DECISION


def test_withdrawal_ends_the_process(api):
    dossier = create(
        api,
        "VUFO",
        "CO-TD-CP",
        [{"kind": "collective", "name": "LH các TCHN", "organization": "VUFO"}],
        year=2024,  # 2023's flag of the central bloc is the demo's (one a year)
    )
    upload_required(api, "VUFO", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    act(api, "head-VUFO", dossier, "submit")
    act(api, "proposer-VUFO", dossier, "withdraw", expect=403, reason="x")
    withdrawn = act(api, "head-VUFO", dossier, "withdraw", reason="Đơn vị rút đề nghị")
    assert withdrawn["state"] == "withdrawn" and withdrawn["available_actions"] == []
    assert withdrawn["nominees"][0]["outcome"] == "withdrawn"
    assert _path(dossier["id"])[-1] == "withdrawn"
    opened = api("voter-MTTQ").post(
        "/api/v1/ballots/",
        {"bloc": "KHOI-CTXH-TW", "year": 2024, "nominees": [withdrawn["nominees"][0]["id"]]},
        format="json",
    )
    assert opened.status_code == 409 and opened.json()["code"] == "not_waiting"


def test_failed_bloc_vote_ends_not_approved(api):
    dossier = create(
        api,
        "VUSTA",
        "CO-TD-CP",
        [{"kind": "collective", "name": "LH các Hội KH&KT", "organization": "VUSTA"}],
        year=2024,
    )
    upload_required(api, "VUSTA", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    submitted = act(api, "head-VUSTA", dossier, "submit")
    result = ballot(api, "voter-MTTQ", [submitted], choice="no", year=2024)
    assert result["nominees"][0]["outcome"] == "below_threshold"
    failed = api("head-VUSTA").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    assert failed["state"] == "not_approved" and failed["reason_code"] == "bloc_vote_failed"
    assert failed["nominees"][0]["outcome"] == "not_approved"
    assert _path(dossier["id"])[-1] == "not_approved"


def test_council_form_route(api):
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC), tick=True):
        dossier = create(api, "HND", "CSTD-TQ")
        upload_required(
            api,
            "HND",
            dossier,
            ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong", "chung_nhan_sang_kien"],
        )
        act(api, "head-HND", dossier, "submit")
        act(api, "board-officer", dossier, "accept")
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, tzinfo=datetime.UTC), tick=True):
        assert act(api, "board-officer", dossier, "close_notice")["state"] == "council_review"
        nominees = [n["id"] for n in dossier["nominees"]]
        body = {"council": "HDTDKT-TW", "year": 2023, "nominees": nominees}
        assert api("board-officer").post("/api/v1/ballots/", body, format="json").status_code == 403
        opened = api("council-secretary").post("/api/v1/ballots/", body, format="json")
        assert opened.status_code == 201 and opened.json()["turnout"]["eligible"] == 5
        url = f"/api/v1/ballots/{opened.json()['id']}"
        for i in range(1, 6):  # 5 of 5 members: ≥90% of all members
            cast = api(f"council-member-{i}").post(
                f"{url}/votes/", {"choices": {str(nominees[0]): "yes"}}, format="json"
            )
            assert cast.status_code == 201
        closed = api("council-secretary").post(f"{url}/close/", {}, format="json").json()
        assert closed["nominees"][0]["passed"] is True
        moved = api("board-officer").get(f"/api/v1/dossiers/{dossier['id']}/").json()
        assert moved["state"] == "appraisal"
        kinds = [a["kind"] for a in moved["attachments"]]
        assert "bien_ban_hoi_dong" in kinds


def test_withdrawal_during_the_notice_and_before_the_council(api):
    """The unit head withdraws from any open state: here during the public notice and while the
    council reviews (the matrix builds neither state; these are its route tests)."""
    for state in (DossierState.PUBLIC_NOTICE, DossierState.COUNCIL_REVIEW):
        dossier = Dossier.objects.filter(state=state).select_related("organization").first()
        assert dossier is not None, f"the demo world has a dossier in {state}"
        head = f"head-{dossier.organization.code}"
        url = f"/api/v1/dossiers/{dossier.pk}/actions/withdraw/"
        assert api("board-officer").post(url, {"reason": "x"}, format="json").status_code == 403
        done = api(head).post(url, {"reason": "Đơn vị rút đề nghị"}, format="json")
        assert done.status_code == 200, done.json()
        assert done.json()["state"] == "withdrawn"
        assert _path(dossier.pk)[-2:] == [state, "withdrawn"]


def test_individuals_never_go_to_a_bloc(api):
    """A bloc ranks its member organisations (domain.md §2.2): a dossier of individuals goes
    straight to the board; a mixed dossier's collective is voted, its individual is not on the
    ballot and goes on to the board even when the bloc turns the collective down."""
    alone = create(api, "HLHPN", "BK-TTG")  # one individual
    upload_required(api, "HLHPN", alone, ["to_trinh", "bao_cao_thanh_tich"])
    submitted = act(api, "head-HLHPN", alone, "submit")
    assert (submitted["state"], submitted["bloc"]) == ("intake", None)

    team = {"kind": "collective", "name": "Ban Kinh tế Hội LHPN", "organization": "HLHPN"}
    mixed = create(api, "HLHPN", "BK-TTG", [{**NOMINEE, "organization": "HLHPN"}, team])
    upload_required(api, "HLHPN", mixed, ["to_trinh", "bao_cao_thanh_tich"])
    mixed = act(api, "head-HLHPN", mixed, "submit")
    assert mixed["state"] == "bloc_voting"
    person_id = next(n["id"] for n in mixed["nominees"] if n["kind"] == "individual")
    refused = api("voter-MTTQ").post(
        "/api/v1/ballots/",
        {"bloc": "KHOI-CTXH-TW", "year": 2023, "nominees": [n["id"] for n in mixed["nominees"]]},
        format="json",
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "individual_in_bloc")
    result = ballot(api, "voter-MTTQ", [mixed], choice="no")
    assert [n["passed"] for n in result["nominees"]] == [False]
    after = api("head-HLHPN").get(f"/api/v1/dossiers/{mixed['id']}/").json()
    assert after["state"] == "intake"
    outcomes = {n["id"]: n["outcome"] for n in after["nominees"]}
    assert outcomes[person_id] == "pending"
    assert [o for i, o in outcomes.items() if i != person_id] == ["not_approved"]
