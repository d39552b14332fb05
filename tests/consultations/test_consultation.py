"""Consultation (hiệp y) over the HTTP API: the central board asks two bodies about a PM's
certificate; the forward waits for their answers or their due date, and a disagreement stops it
(domain.md §2.1, §2.5: Decree 39/2012, silence past the due date counts as agreement)."""

import datetime
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from audit.models import LedgerEvent
from audit.verify import verify
from consultations.models import Consultation
from dossiers.calendar import add_working_days
from tests.signin import signin
from tests.workflows.helpers import act, create, upload_required

pytestmark = pytest.mark.django_db

DOCS = ["to_trinh", "bao_cao_thanh_tich"]
START = datetime.datetime(2026, 10, 6, 9, tzinfo=datetime.UTC)  # a Tuesday
BODIES = ["HY-BHXH", "HY-THUE"]


def _at_appraisal(api) -> dict:
    """A PM's certificate of a central unit (HCCB, 2021: no bloc that year) at appraisal."""
    dossier = create(api, "HCCB", "BK-TTG", year=2021)
    upload_required(api, "HCCB", dossier, DOCS)
    act(api, "head-HCCB", dossier, "submit")
    assert act(api, "board-officer", dossier, "accept")["state"] == "appraisal"
    return dossier


def _url(dossier: dict) -> str:
    return f"/api/v1/dossiers/{dossier['id']}/consultations/"


def _ask(api, dossier: dict, bodies=BODIES, days=10, expect=201, user="board-officer"):
    response = api(user).post(_url(dossier), {"bodies": bodies, "due_in_days": days}, format="json")
    assert response.status_code == expect, response.json()
    return response.json()


def _answer(api, username: str, pk: int, expect: int = 200, **body):
    response = api(username).post(f"/api/v1/consultations/{pk}/answer/", body, format="json")
    assert response.status_code == expect, response.json()
    return response.json()


def test_one_body_answers_the_other_is_late_and_its_silence_agrees(api):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        shown = api("board-officer").get(_url(dossier)).json()
        assert (shown["required"], shown["requested"], shown["results"]) == (True, False, [])
        assert shown["default_bodies"] == BODIES
        made = _ask(api, dossier)
        due = add_working_days(START.date(), 10)
        assert [(r["body"], r["due_date"], r["outcome"]) for r in made] == [
            (code, due.isoformat(), "pending") for code in BODIES
        ]
        bhxh, thue = (r["id"] for r in made)
        # The consulted bodies now see the dossier; another proposing unit still does not.
        assert api("consult-BHXH").get(f"/api/v1/dossiers/{dossier['id']}/").status_code == 200
        assert api("proposer-MTTQ").get(_url(dossier)).status_code == 404
        refused = act(api, "board-head", dossier, "forward", expect=409)
        assert refused["code"] == "consultation_pending"
        agreed = _answer(api, "consult-BHXH", bhxh, agree=True, reason="Không nợ BHXH")
        assert (agreed["agree"], agreed["answered_by"], agreed["outcome"]) == (
            True, "consult-BHXH", "agreed",
        )  # fmt: skip
        assert _answer(api, "consult-BHXH", bhxh, 409, agree=True)["code"] == "already_answered"
        assert _answer(api, "consult-BHXH", thue, 403, agree=True)  # not its request
        again = act(api, "board-head", dossier, "forward", expect=409)
        assert again["code"] == "consultation_pending" and "HY-THUE" in again["detail"]
    late = datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time(2))
    with time_machine.travel(late.replace(tzinfo=datetime.UTC), tick=False):
        shown = api("board-officer").get(_url(dossier)).json()
        assert [r["outcome"] for r in shown["results"]] == ["agreed", "silent_agreed"]
        assert shown["complete"] and shown["refused"] == []
        forwarded = act(api, "board-head", dossier, "forward")
        assert forwarded["state"] == "awaiting_decision"
        # Too late to ask now: the dossier has left the board's stages.
        assert _ask(api, dossier, ["HY-THUE"], expect=409)["code"] == "invalid_state"
    actions = list(
        LedgerEvent.objects.filter(dossier_id=dossier["id"], action__startswith="consultation.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["consultation.requested", "consultation.agreed"]
    row = Consultation.objects.get(pk=bhxh)
    assert [h.history_change_reason for h in row.history.order_by("history_id")] == [
        "consultation.requested",
        "consultation.agreed",
    ]
    assert verify().ok


def test_a_disagreement_blocks_the_forward(api):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        (thue,) = _ask(api, dossier, ["HY-THUE"], days=5)
        missing = _answer(api, "consult-THUE", thue["id"], 400, agree=False)
        assert missing["code"] == "reason_required"
        _answer(api, "consult-THUE", thue["id"], agree=False, reason="Còn nợ thuế năm 2020")
        refused = act(api, "board-head", dossier, "forward", expect=409)
        assert refused["code"] == "consultation_refused" and "HY-THUE" in refused["detail"]
        shown = api("head-HCCB").get(_url(dossier)).json()  # the unit sees the answers
        assert shown["refused"] == ["HY-THUE"] and shown["results"][0]["outcome"] == "disagreed"
        # The board may ask again once the body has answered; the new answer is the one counted.
        (again,) = _ask(api, dossier, ["HY-THUE"], days=5)
        _answer(api, "consult-THUE", again["id"], agree=True, reason="Đã nộp đủ")
        assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"


def test_who_may_ask_and_answer(api):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        _ask(api, dossier, user="head-HCCB", expect=403)  # sees the dossier, not its board
        _ask(api, dossier, user="t-board-officer", expect=404)  # another level's board
        (bhxh,) = _ask(api, dossier, ["HY-BHXH"])
        assert _ask(api, dossier, ["HY-BHXH"], expect=409)["code"] == "already_requested"
        _answer(api, "consult-THUE", bhxh["id"], 404, agree=True)  # not consulted here
        _answer(api, "board-officer", bhxh["id"], 403, agree=True)  # sees it, is not the body
        _answer(api, "proposer-MTTQ", bhxh["id"], 404, agree=True)
        _answer(api, "consult-BHXH", 10**9, 404, agree=True)
        outsider = api("proposer-MTTQ").post(
            _url(dossier), {"bodies": ["HY-THUE"], "due_in_days": 10}, format="json"
        )
        assert outsider.status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"bodies": ["HY-KHONG-CO"], "due_in_days": 10}, "unknown_body"),
        ({"bodies": ["HCCB"], "due_in_days": 10}, "own_body"),
        ({"bodies": ["BTDKT-TW"], "due_in_days": 10}, "own_body"),
        ({"bodies": ["HY-BHXH"], "due_in_days": 0}, "invalid"),
        ({"bodies": ["HY-BHXH"], "due_in_days": 100000}, "invalid"),
        ({"bodies": [], "due_in_days": 10}, "invalid"),
        ({"due_in_days": 10}, "invalid"),
        ({"bodies": "HY-BHXH"}, "invalid"),
    ],
)
def test_bad_requests_are_400(api, body, code):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        response = api("board-officer").post(_url(dossier), body, format="json")
    assert response.status_code == 400, response.json()
    if code != "invalid":
        assert response.json()["code"] == code
    assert not Consultation.objects.filter(dossier_id=dossier["id"]).exists()


def test_bad_answers_are_400(api):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        (bhxh,) = _ask(api, dossier, ["HY-BHXH"])
        _answer(api, "consult-BHXH", bhxh["id"], 400)  # agree is required
        _answer(api, "consult-BHXH", bhxh["id"], 400, agree=None)
        _answer(api, "consult-BHXH", bhxh["id"], 400, agree=False, reason="x" * 2001)
        assert Consultation.objects.get(pk=bhxh["id"]).answered_at is None


def test_consulted_personas_sign_in_and_find_the_demo_request(api):
    for username in ("consult-BHXH", "consult-THUE"):
        assert signin(Client(), username), username
        inbox = api(username).get("/api/v1/consultations/")
        assert inbox.status_code == 200
        assert any(r["answered_at"] is None for r in inbox.json()), username
    assert api("board-officer").get("/api/v1/consultations/").json() == []


def test_reminders_log_the_requests_due_within_two_working_days(api, caplog):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        _ask(api, dossier, ["HY-BHXH"], days=2)
        _ask(api, dossier, ["HY-THUE"], days=10)
        with caplog.at_level(logging.WARNING, logger="consultations"):
            call_command("consultations_remind")
    lines = [r.getMessage() for r in caplog.records if r.name == "consultations"]
    reference = Consultation.objects.filter(dossier_id=dossier["id"]).first().dossier.reference
    assert [line for line in lines if reference in line] == [
        line for line in lines if reference in line and "HY-BHXH" in line
    ]
    assert any("HY-BHXH" in line and reference in line for line in lines)
