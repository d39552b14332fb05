"""Levels over the HTTP API: each ministry and province runs its own stage of the route, in the
law's order (domain.md §2.2), and sees only its own dossiers."""

import datetime

import time_machine
from django.contrib.auth import get_user_model

from approvals.models import BallotSession, Decision, DecisionState
from approvals.selectors import ballot_list_visible_to
from dossiers.models import Dossier, DossierState, Nominee
from tests.consultations.helpers import consult
from tests.signin import fresh_code
from tests.workflows.helpers import NOMINEE, act, ballot, create, upload_required
from workflows.selectors import state_path

S = DossierState
DOCS = ["to_trinh", "bao_cao_thanh_tich"]


def _get(api, username: str, dossier: dict) -> int:
    return api(username).get(f"/api/v1/dossiers/{dossier['id']}/").status_code


def _council(api, secretary: str, council: str, members: list[str], nominees: list[int], year):
    """Open the council's ballot on `nominees`, every member votes yes, the secretary closes."""
    body = {"council": council, "year": year, "nominees": nominees}
    opened = api(secretary).post("/api/v1/ballots/", body, format="json")
    assert opened.status_code == 201, opened.json()
    url = f"/api/v1/ballots/{opened.json()['id']}"
    for member in members:
        choices = {str(n): "yes" for n in nominees}
        cast = api(member).post(f"{url}/votes/", {"choices": choices}, format="json")
        assert cast.status_code == 201, cast.json()
    return url


def _close(api, secretary: str, url: str) -> dict:
    closed = api(secretary).post(f"{url}/close/", {}, format="json")
    assert closed.status_code == 200, closed.json()
    return closed.json()


def _decide(api, preparer: str, decider: str, signer: str, dossiers: list[dict], number: str):
    ids = [d["id"] for d in dossiers]
    made = api(preparer).post("/api/v1/decisions/", {"decider": decider, "dossiers": ids})
    assert made.status_code == 201, made.json()
    sign = {"number": number, "signed_on": "2026-11-20", "otp": fresh_code(signer)}
    signed = api(signer).post(f"/api/v1/decisions/{made.json()['id']}/sign/", sign, format="json")
    assert signed.status_code == 200, signed.json()
    return signed.json()


T_COUNCIL = [f"t-council-member-{i}" for i in range(1, 4)]
M_COUNCIL = [f"m-council-member-{i}" for i in range(1, 4)]


def test_a_provincial_units_pm_certificate_passes_its_province_first(api):
    # 2025: T-LDLD belongs to no cluster that year, so no bloc vote.
    dossier = create(api, "T-LDLD", "BK-TTG", year=2025)
    upload_required(api, "T-LDLD", dossier, DOCS)
    submitted = act(api, "head-T-LDLD", dossier, "submit")
    assert (submitted["state"], submitted["holder"]) == ("intake", "T-UBND")
    # The central board does not see it, and cannot act, until the province has submitted it.
    assert _get(api, "board-officer", dossier) == 404
    act(api, "board-officer", dossier, "accept", expect=404)
    assert _get(api, "t2-board-officer", dossier) == 404  # nor does the other province
    assert act(api, "t-board-officer", dossier, "accept")["state"] == "council_review"
    # Its own province's council votes; the central council may not.
    nominees = [n["id"] for n in dossier["nominees"]]
    wrong = {"council": "HDTDKT-TW", "year": 2025, "nominees": nominees}
    refused = api("council-secretary").post("/api/v1/ballots/", wrong, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "wrong_council"
    url = _council(api, "t-council-secretary", "T-HDTDKT", T_COUNCIL, nominees, 2025)
    _close(api, "t-council-secretary", url)
    waiting = api("t-chair").get(f"/api/v1/dossiers/{dossier['id']}/").json()
    assert waiting["state"] == "awaiting_submission"
    assert waiting["available_actions"] == ["sign_submission"]
    act(api, "t-board-officer", dossier, "sign_submission", expect=403)
    assert _get(api, "board-officer", dossier) == 404
    signed = act(api, "t-chair", dossier, "sign_submission")
    assert (signed["state"], signed["holder"]) == ("intake", "TTG")
    # Now the central board holds it; the province's board no longer acts on it.
    act(api, "t-board-officer", dossier, "accept", expect=403)
    assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"
    consult(api, "board-officer", dossier)  # the PM's certificate requires it
    assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"
    assert _decide(api, "board-head", "TTG", "pm", [dossier], "901/QĐ-TTg")["state"] == "signed"
    assert state_path(Dossier.objects.get(pk=dossier["id"])) == [
        "draft", "intake", "council_review", "awaiting_submission", "intake", "appraisal",
        "awaiting_decision", "decided",
    ]  # fmt: skip


def test_a_ministry_units_labour_order_passes_the_ministry_then_the_pm_and_the_president(api):
    with time_machine.travel(datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC), tick=True):
        dossier = create(api, "BTP-THADS", "HCLD-3")
        upload_required(api, "BTP-THADS", dossier, [*DOCS, "bien_ban_hoi_dong"])
        assert act(api, "head-BTP-THADS", dossier, "submit")["holder"] == "BTP"
        assert _get(api, "board-officer", dossier) == 404
        notice = act(api, "m-board-officer", dossier, "accept")
        assert notice["state"] == "public_notice"  # posted at the ministry (domain.md §2.5)
        # The ministry's board gathers the consultation the Labour Order requires; the central
        # board's forward counts it (it is the dossier's, whichever level asked).
        consult(api, "m-board-officer", dossier)
    with time_machine.travel(datetime.datetime(2026, 9, 16, 9, tzinfo=datetime.UTC), tick=True):
        act(api, "m-board-officer", dossier, "close_notice")
        nominees = [n["id"] for n in dossier["nominees"]]
        url = _council(api, "m-council-secretary", "BTP-HDTDKT", M_COUNCIL, nominees, 2023)
        _close(api, "m-council-secretary", url)
        act(api, "pm", dossier, "sign_submission", expect=404)
        signed = act(api, "minister", dossier, "sign_submission")
        assert (signed["state"], signed["holder"]) == ("intake", "TTG")
        # Posted once, at the ministry: the central stages go straight to appraisal.
        assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"
        act(api, "board-head", dossier, "forward")
        made = api("board-head").post(
            "/api/v1/decisions/", {"decider": "CTN", "dossiers": [dossier["id"]]}, format="json"
        )
        url = f"/api/v1/decisions/{made.json()['id']}"
        proposal = {"number": "15/TTr-TTg", "otp": fresh_code("pm")}
        assert api("pm").post(f"{url}/propose/", proposal, format="json").status_code == 200
        sign = {"number": "88/QĐ-CTN", "signed_on": "2026-09-30", "otp": fresh_code("president")}
        assert api("president").post(f"{url}/sign/", sign, format="json").status_code == 200
    assert state_path(Dossier.objects.get(pk=dossier["id"])) == [
        "draft", "intake", "public_notice", "council_review", "awaiting_submission", "intake",
        "appraisal", "awaiting_decision", "awaiting_president", "decided",
    ]  # fmt: skip


def test_the_second_provinces_flag_passes_its_cluster_and_ends_with_its_chair(api):
    dossier = create(
        api, "T2-HND", "CO-TD-TINH", [{"kind": "collective", "name": "Hội ND tỉnh thứ hai"}]
    )
    upload_required(api, "T2-HND", dossier, DOCS)
    submitted = act(api, "head-T2-HND", dossier, "submit")
    assert (submitted["state"], submitted["bloc"]) == ("bloc_voting", "CUM-CTXH-T2")
    ballot(
        api, "voter-T2-HND", [submitted], bloc="CUM-CTXH-T2",
        voters=["T2-HND", "T2-LDLD", "T2-HLHPN"],
    )  # fmt: skip
    for outsider in ("t-board-officer", "board-officer", "t-chair"):
        assert _get(api, outsider, dossier) == 404, outsider
    assert act(api, "t2-board-officer", dossier, "accept")["holder"] == "T2-UBND"
    act(api, "t2-board-officer", dossier, "forward")
    made = api("t-board-officer").post(
        "/api/v1/decisions/", {"decider": "T2-UBND", "dossiers": [dossier["id"]]}, format="json"
    )
    assert made.status_code in (400, 403)  # the other province's board cannot batch it
    wrong = api("t2-board-officer").post(
        "/api/v1/decisions/", {"decider": "T-UBND", "dossiers": [dossier["id"]]}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_decider"
    signed = _decide(api, "t2-board-officer", "T2-UBND", "t2-chair", [dossier], "12/QĐ-UBND")
    assert signed["decider"] == "T2-UBND" and signed["state"] == "signed"
    assert Dossier.objects.get(pk=dossier["id"]).state == S.DECIDED


def test_a_ministrys_own_certificate_ends_with_the_minister(api):
    dossier = create(api, "BTP-TGPL", "BK-BO")
    upload_required(api, "BTP-TGPL", dossier, DOCS)
    assert act(api, "head-BTP-TGPL", dossier, "submit")["holder"] == "BTP"
    act(api, "m-board-officer", dossier, "accept")
    assert act(api, "m-board-officer", dossier, "forward")["state"] == "awaiting_decision"
    assert _get(api, "pm", dossier) == 404
    _decide(api, "m-board-officer", "BTP", "minister", [dossier], "1234/QĐ-BTP")
    assert Dossier.objects.get(pk=dossier["id"]).state == S.DECIDED


def test_one_nominee_held_during_the_council_stage_leaves_the_ballot(api):
    nominees = [
        {**NOMINEE, "name": "Trần Văn Giữ", "organization": "T-HCCB"},
        {**NOMINEE, "name": "Lê Thị Tiếp", "organization": "T-HCCB"},
    ]
    dossier = create(api, "T-HCCB", "BK-TTG", nominees, year=2025)
    upload_required(api, "T-HCCB", dossier, DOCS)
    act(api, "head-T-HCCB", dossier, "submit")
    act(api, "t-board-officer", dossier, "accept")
    held, kept = (n["id"] for n in dossier["nominees"])
    url = _council(api, "t-council-secretary", "T-HDTDKT", T_COUNCIL, [held, kept], 2025)
    hold = f"/api/v1/dossiers/{dossier['id']}/nominees/{held}/hold/"
    body = {"reason_code": "complaint", "reason": "Đơn khiếu nại đang xác minh"}
    assert api("t2-board-officer").post(hold, body, format="json").status_code == 404
    assert api("t-council-secretary").post(hold, body, format="json").status_code == 403
    assert api("t-board-officer").post(hold, {"reason": "x"}, format="json").status_code == 400
    after = api("t-board-officer").post(hold, body, format="json")
    assert after.status_code == 200, after.json()
    outcomes = {n["id"]: n["outcome"] for n in after.json()["nominees"]}
    assert outcomes == {held: "on_hold", kept: "pending"}
    closed = _close(api, "t-council-secretary", url)
    by_nominee = {n["nominee"]: n for n in closed["nominees"]}
    assert by_nominee[kept]["passed"] is True
    assert by_nominee[held]["outcome"] == "held" and by_nominee[held]["passed"] is None
    moved = Dossier.objects.get(pk=dossier["id"])
    assert moved.state == S.AWAITING_SUBMISSION
    assert Nominee.objects.get(pk=held).outcome == "on_hold"
    release = f"/api/v1/dossiers/{dossier['id']}/nominees/{held}/release/"
    again = api("t-board-officer").post(release, {"reason": "Đã giải quyết"}, format="json")
    assert again.status_code == 200, again.json()
    assert Nominee.objects.get(pk=held).outcome == "pending"


def test_the_board_returns_a_dossier_it_has_accepted(api):
    dossier = create(api, "HCCB", "BK-TTG", year=2021)  # no bloc that year
    upload_required(api, "HCCB", dossier, DOCS)
    act(api, "head-HCCB", dossier, "submit")
    assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"
    act(api, "board-officer", dossier, "return", expect=400)  # a reason is required
    returned = act(api, "board-officer", dossier, "return", reason="Thiếu xác nhận")
    assert returned["state"] == "returned"
    assert act(api, "head-HCCB", dossier, "submit")["state"] == "intake"
    assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"


def test_a_provinces_board_returns_a_dossier_it_has_accepted(api):
    """A province's (and a ministry's) board returns a state-level dossier it has accepted while
    it waits for the level's council, not while the council's ballot holds its nominees; the
    resubmission comes back to that level's intake."""
    voting = create(api, "T-HCCB", "BK-TTG", year=2025)
    upload_required(api, "T-HCCB", voting, DOCS)
    act(api, "head-T-HCCB", voting, "submit")
    act(api, "t-board-officer", voting, "accept")
    url = _council(api, "t-council-secretary", "T-HDTDKT", T_COUNCIL[:1], _ids(voting), 2025)
    busy = act(api, "t-board-officer", voting, "return", expect=409, reason="Thiếu xác nhận")
    assert busy["code"] == "on_open_ballot"
    _close(api, "t-council-secretary", url)
    for org, board, council in (
        ("T-LDLD", "t-board-officer", "t-council-secretary"),
        ("BTP-TGPL", "m-board-officer", "m-council-secretary"),
    ):
        dossier = create(api, org, "BK-TTG", year=2025)
        upload_required(api, org, dossier, DOCS)
        act(api, f"head-{org}", dossier, "submit")
        assert act(api, board, dossier, "accept")["state"] == "council_review"
        assert (
            "return"
            in api(board).get(f"/api/v1/dossiers/{dossier['id']}/").json()["available_actions"]
        )
        act(api, "board-officer", dossier, "return", expect=404, reason="x")  # not yet central
        act(api, council, dossier, "return", expect=403, reason="x")  # the council votes only
        act(api, board, dossier, "return", expect=400)  # a reason is required
        returned = act(api, board, dossier, "return", reason="Thiếu xác nhận của cấp trình")
        assert returned["state"] == "returned"
        again = act(api, f"head-{org}", dossier, "submit")
        assert (again["state"], again["holder"], again["version"]) == (
            "intake", "BTP" if org.startswith("BTP") else "T-UBND", 2,
        )  # fmt: skip
        assert act(api, board, dossier, "accept")["state"] == "council_review"
        assert state_path(Dossier.objects.get(pk=dossier["id"])) == [
            "draft", "intake", "council_review", "returned", "intake", "council_review",
        ]  # fmt: skip
        assert _get(api, "board-officer", dossier) == 404  # still the level's own


def _ids(dossier: dict) -> list[int]:
    return [n["id"] for n in dossier["nominees"]]


def _proposed_to_the_president(api, names: tuple[str, str], number: str):
    """Two Labour Orders of TLDLD through the central board, in one batch the PM proposed to
    the President (the clock at 16/9/2026, inside the block: the caller goes on there)."""
    with time_machine.travel(datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC), tick=True):
        pair = [
            create(api, "TLDLD", "HCLD-3", [{**NOMINEE, "name": name, "organization": "TLDLD"}])
            for name in names
        ]
        for dossier in pair:
            upload_required(api, "TLDLD", dossier, [*DOCS, "bien_ban_hoi_dong"])
            act(api, "head-TLDLD", dossier, "submit")
            act(api, "board-officer", dossier, "accept")
    clock = time_machine.travel(datetime.datetime(2026, 9, 16, 9, tzinfo=datetime.UTC), tick=True)
    clock.start()
    for dossier in pair:
        act(api, "board-officer", dossier, "close_notice")
        consult(api, "board-officer", dossier)  # the Labour Order requires it
        act(api, "board-head", dossier, "forward")
    ids = [d["id"] for d in pair]
    made = api("board-head").post("/api/v1/decisions/", {"decider": "CTN", "dossiers": ids})
    url = f"/api/v1/decisions/{made.json()['id']}"
    proposal = {"number": number, "otp": fresh_code("pm")}
    assert api("pm").post(f"{url}/propose/", proposal, format="json").status_code == 200
    return pair, made.json()["id"], url, proposal, clock


def test_withdrawal_at_the_presidents_stage_sends_the_batch_back_to_the_pm(api):
    pair, made_id, url, proposal, clock = _proposed_to_the_president(
        api, ("Nguyễn Thị Thử", "Trần Văn Thứ Hai"), "16/TTr-TTg"
    )
    try:
        gone, kept = pair
        withdrawn = act(api, "head-TLDLD", gone, "withdraw", reason="Đơn vị rút đề nghị")
        assert withdrawn["state"] == "withdrawn"
        decision = Decision.objects.get(pk=made_id)
        assert decision.state == DecisionState.DRAFT
        assert list(decision.dossiers.values_list("pk", flat=True)) == [kept["id"]]
        assert Dossier.objects.get(pk=kept["id"]).state == S.AWAITING_DECISION
        sign = {"number": "89/QĐ-CTN", "signed_on": "2026-09-30", "otp": fresh_code("president")}
        assert api("president").post(f"{url}/sign/", sign, format="json").json()["code"] == (
            "not_proposed"
        )
        proposal["otp"] = fresh_code("pm")
        assert api("pm").post(f"{url}/propose/", proposal, format="json").status_code == 200
        sign["otp"] = fresh_code("president")
        assert api("president").post(f"{url}/sign/", sign, format="json").status_code == 200
    finally:
        clock.stop()
    assert Dossier.objects.get(pk=kept["id"]).state == S.DECIDED
    assert state_path(Dossier.objects.get(pk=kept["id"]))[-5:] == [
        "awaiting_decision", "awaiting_president", "awaiting_decision", "awaiting_president",
        "decided",
    ]  # fmt: skip


def test_a_hold_at_the_presidents_stage_sends_the_batch_back_and_the_release_rebatches(api):
    """A hold in any stage before the decision (#11.5): at the President's stage the held
    dossier leaves the batch the PM proposed (back to the PM); released, it waits for a new
    batch (awaiting the decision), as a dossier the board has just forwarded."""
    pair, made_id, url, proposal, clock = _proposed_to_the_president(
        api, ("Lê Thị Giữ", "Phan Văn Tiếp"), "17/TTr-TTg"
    )
    try:
        held, kept = pair
        assert Dossier.objects.get(pk=held["id"]).state == S.AWAITING_PRESIDENT
        act(api, "head-TLDLD", held, "hold", expect=403, reason_code="complaint", reason="x")
        on_hold = act(
            api, "board-officer", held, "hold", reason_code="complaint", reason="Đơn thư mới"
        )
        assert on_hold["state"] == "on_hold"
        decision = Decision.objects.get(pk=made_id)
        assert decision.state == DecisionState.DRAFT
        assert list(decision.dossiers.values_list("pk", flat=True)) == [kept["id"]]
        released = act(api, "board-officer", held, "release", reason="Đã giải quyết xong")
        assert released["state"] == "awaiting_decision"
        again = api("board-head").post(
            "/api/v1/decisions/", {"decider": "CTN", "dossiers": [held["id"]]}, format="json"
        )
        assert again.status_code == 201, again.json()
    finally:
        clock.stop()


def test_a_provinces_own_form_is_proposed_only_under_that_province(api):
    for org, form in (("HLHPN", "BK-TINH"), ("BTP-THADS", "CO-TD-TINH"), ("T-HND", "BK-BO")):
        refused = api(f"proposer-{org}").post(
            "/api/v1/dossiers/",
            {"award_form": form, "year": 2023, "title": "Sai cấp", "nominees": [NOMINEE]},
            format="json",
        )
        assert refused.status_code == 400, (org, form)
        assert refused.json()["code"] == "form_not_for_level"


def test_a_dossier_withdrawn_during_its_council_ballot_leaves_it(api):
    pair = []
    for org in ("T-LDLD", "T-HCCB"):
        dossier = create(api, org, "BK-TTG", year=2025)
        upload_required(api, org, dossier, DOCS)
        act(api, f"head-{org}", dossier, "submit")
        act(api, "t-board-officer", dossier, "accept")
        pair.append(dossier)
    nominees = [d["nominees"][0]["id"] for d in pair]
    url = _council(api, "t-council-secretary", "T-HDTDKT", T_COUNCIL, nominees, 2025)
    gone, kept = pair
    act(api, "head-T-LDLD", gone, "withdraw", reason="Đơn vị rút đề nghị")
    closed = _close(api, "t-council-secretary", url)
    outcomes = {n["nominee"]: (n["outcome"], n["passed"]) for n in closed["nominees"]}
    assert outcomes[gone["nominees"][0]["id"]] == ("withdrawn", None)
    assert outcomes[kept["nominees"][0]["id"]][1] is True
    assert Dossier.objects.get(pk=gone["id"]).state == S.WITHDRAWN
    assert Dossier.objects.get(pk=kept["id"]).state == S.AWAITING_SUBMISSION


def test_a_batch_names_a_decider_that_exists(api):
    url = "/api/v1/decisions/"
    cases = (("T9-UBND", "bad_decider"), ("T\x00-UBND", "invalid"), ("a b", "invalid"))
    for decider, code in cases:
        refused = api("board-head").post(url, {"decider": decider, "dossiers": [1]}, format="json")
        assert refused.status_code == 400, decider
        assert refused.json()["code"] == code, decider


# Which ballots each level's board sees in the demo world: its own council's and its own blocs'
# (organised by that council), never another level's.
BOARD_BALLOTS = {
    "board-officer": {"HDTDKT-TW"},
    "t-board-officer": {"T-HDTDKT"},
    "t2-board-officer": {"T2-HDTDKT"},
    "m-board-officer": {"BTP-HDTDKT"},
}


def test_a_board_sees_only_its_own_levels_ballots(api):
    sessions = list(BallotSession.objects.select_related("council", "bloc__organizer"))
    assert {(s.council or s.bloc.organizer).code for s in sessions} >= {"HDTDKT-TW", "T-HDTDKT"}
    for username, own in BOARD_BALLOTS.items():
        user = get_user_model().objects.get(username=username)
        seen = set(ballot_list_visible_to(user).values_list("pk", flat=True))
        for session in sessions:
            body = session.council or session.bloc.organizer
            assert (session.pk in seen) == (body.code in own), (username, body.code, session.pk)
