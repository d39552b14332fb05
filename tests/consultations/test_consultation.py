"""Consultation (hiệp y) over the HTTP API: the central board asks two bodies about a PM's
certificate; the forward waits for their answers or their due date, and a disagreement stops it
(domain.md §2.1, §2.5: Decree 39/2012, silence past the due date counts as agreement)."""

import datetime
import hashlib
import io
import json
import logging

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from audit.models import LedgerEvent
from audit.verify import verify
from consultations.models import Consultation
from dossiers.calendar import add_working_days
from dossiers.models import Attachment, Dossier
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
        bhxh, thue = _ask(api, dossier, days=5)
        _answer(api, "consult-BHXH", bhxh["id"], agree=True)
        missing = _answer(api, "consult-THUE", thue["id"], 400, agree=False)
        assert missing["code"] == "reason_required"
        _answer(api, "consult-THUE", thue["id"], agree=False, reason="Còn nợ thuế năm 2020")
        refused = act(api, "board-head", dossier, "forward", expect=409)
        assert refused["code"] == "consultation_refused" and "HY-THUE" in refused["detail"]
        shown = api("head-HCCB").get(_url(dossier)).json()  # the unit sees the answers
        assert shown["refused"] == ["HY-THUE"]
        assert [r["outcome"] for r in shown["results"]] == ["agreed", "disagreed"]
        # The board may ask again once the body has answered; the new answer is the one counted.
        (again,) = _ask(api, dossier, ["HY-THUE"], days=5)
        _answer(api, "consult-THUE", again["id"], agree=True, reason="Đã nộp đủ")
        assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"


def test_a_form_that_requires_consultation_is_not_forwarded_without_it(api):
    """Decree 98/2023 Art. 31: the PM's certificate is consulted; the forward names the bodies
    never asked, and an unrelated form (the province's certificate) needs none."""
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        refused = act(api, "board-head", dossier, "forward", expect=409)
        assert refused["code"] == "consultation_missing"
        assert "HY-BHXH" in refused["detail"] and "HY-THUE" in refused["detail"]
        assert "Bảo hiểm xã hội Việt Nam" in refused["detail"]  # named, not only coded
        shown = api("board-officer").get(_url(dossier)).json()
        assert (shown["missing"], shown["complete"]) == (BODIES, False)
        # Asking one body is not enough: the other is still named.
        (bhxh,) = _ask(api, dossier, ["HY-BHXH"])
        _answer(api, "consult-BHXH", bhxh["id"], agree=True)
        again = act(api, "board-head", dossier, "forward", expect=409)
        assert again["code"] == "consultation_missing"
        assert "HY-THUE" in again["detail"] and "HY-BHXH" not in again["detail"]
        assert Dossier.objects.get(pk=dossier["id"]).state == "appraisal"
        (thue,) = _ask(api, dossier, ["HY-THUE"])
        assert act(api, "board-head", dossier, "forward", expect=409)["code"] == (
            "consultation_pending"
        )
        _answer(api, "consult-THUE", thue["id"], agree=True)
        shown = api("board-officer").get(_url(dossier)).json()
        assert (shown["missing"], shown["complete"]) == ([], True)
        assert act(api, "board-head", dossier, "forward")["state"] == "awaiting_decision"
    # A form the data names no body for is forwarded without consultation.
    province = Dossier.objects.get(title="[demo] Bằng khen tỉnh — đang thẩm định (T-MTTQ)")
    assert not province.consultations.exists()
    assert act(api, "t-board-officer", province.pk, "forward")["state"] == "awaiting_decision"


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
            call_command("consultations_remind", stdout=io.StringIO())
    lines = [r.getMessage() for r in caplog.records if r.name == "consultations"]
    reference = Consultation.objects.filter(dossier_id=dossier["id"]).first().dossier.reference
    assert [line for line in lines if reference in line] == [
        line for line in lines if reference in line and "HY-BHXH" in line
    ]
    assert any("HY-BHXH" in line and reference in line for line in lines)


def _reminders(dossier: dict) -> list[dict]:
    events = LedgerEvent.objects.filter(
        dossier_id=dossier["id"], action="consultation.reminded"
    ).order_by("seq")
    return [{**json.loads(e.body)["data"], "actor": e.actor_id} for e in events]


def test_a_reminder_is_a_ledger_event_once_per_request_and_day(api, caplog):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        bhxh, thue = _ask(api, dossier, days=2)
        out = io.StringIO()
        with caplog.at_level(logging.WARNING, logger="consultations"):
            call_command("consultations_remind", stdout=out)
            call_command("consultations_remind", stdout=out)  # the same day: nothing twice
        first = _reminders(dossier)
        assert first == [
            {"consultation": row["id"], "body": row["body"], "due_date": row["due_date"],
             "day": "2026-10-06", "actor": None}
            for row in (bhxh, thue)
        ]  # fmt: skip
        mine = [
            r.getMessage()
            for r in caplog.records
            if f"consultation {bhxh['id']}:" in r.getMessage()
        ]
        assert len(mine) == 2 and "already reminded today" in mine[1]  # the log line stays
        assert "2 reminder(s) recorded" in out.getvalue()
        row = Consultation.objects.get(pk=bhxh["id"])
        assert row.reminded_on == datetime.date(2026, 10, 6)
        assert row.history.first().history_change_reason == "consultation.reminded"
        _answer(api, "consult-THUE", thue["id"], agree=True)
    next_day = START + datetime.timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        call_command("consultations_remind", stdout=io.StringIO())
        call_command("consultations_remind", stdout=io.StringIO())
    # The next day: one more for the request still open, none for the answered one.
    assert [(r["consultation"], r["day"]) for r in _reminders(dossier)] == [
        (bhxh["id"], "2026-10-06"), (thue["id"], "2026-10-06"), (bhxh["id"], "2026-10-07"),
    ]  # fmt: skip
    assert verify().ok


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _answer_with(api, username: str, pk: int, document, expect: int = 200, **body):
    response = api(username).post(
        f"/api/v1/consultations/{pk}/answer/", {**body, "document": document}, format="multipart"
    )
    assert response.status_code == expect, response.json()
    return response.json()


def test_an_answer_may_carry_its_reply_letter_for_the_dossiers_viewers(api, pdf):
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        bhxh, thue = _ask(api, dossier)
        letter = pdf("Văn bản hiệp y BHXH.pdf")
        answered = _answer_with(
            api, "consult-BHXH", bhxh["id"], letter, agree="true", reason="Không nợ BHXH"
        )
        _answer(api, "consult-THUE", thue["id"], agree=True)  # JSON, no letter
    assert (answered["agree"], answered["outcome"]) == (True, "agreed")
    document = answered["document"]
    url = f"/api/v1/consultations/{bhxh['id']}/document/"
    assert document["url"] == f"http://testserver{url}"
    assert (document["name"], document["content_type"]) == (
        "Văn bản hiệp y BHXH.pdf", "application/pdf",
    )  # fmt: skip
    # One of the dossier's documents, of the catalogue's kind for consultation replies.
    attachment = Attachment.objects.get(pk=document["id"])
    assert (attachment.dossier_id, attachment.kind.code) == (dossier["id"], "y_kien_hiep_y")
    assert attachment.uploaded_by.username == "consult-BHXH"
    assert document["sha256"] == attachment.sha256 == hashlib.sha256(letter_bytes()).hexdigest()
    agreed = LedgerEvent.objects.filter(dossier_id=dossier["id"], action="consultation.agreed")
    event = next(e for e in agreed if json.loads(e.body)["data"]["consultation"] == bhxh["id"])
    assert json.loads(event.body)["data"]["document"] == attachment.pk
    attach = LedgerEvent.objects.get(seq=event.seq - 1)
    assert (attach.action, attach.actor.username) == ("attach", "consult-BHXH")
    # Listed with its download URL; the other answer has none.
    listed = api("board-officer").get(_url(dossier)).json()["results"]
    assert [r["document"] and r["document"]["url"] for r in listed] == [document["url"], None]
    inbox = api("consult-BHXH").get("/api/v1/consultations/").json()
    assert next(r for r in inbox if r["id"] == bhxh["id"])["document"]["url"] == document["url"]
    # Whoever sees the dossier fetches it; nobody else learns it exists.
    for username in ("board-officer", "head-HCCB", "consult-THUE", "inspector"):
        got = api(username).get(url)
        assert got.status_code == 200, username
        assert b"".join(got.streaming_content) == letter_bytes()
        assert got["Content-Type"] == "application/pdf"
    for username in ("proposer-MTTQ", "t-board-officer"):
        assert api(username).get(url).status_code == 404, username
    assert api("board-officer").get(
        f"/api/v1/consultations/{thue['id']}/document/"
    ).status_code == (404)
    assert APIClient().get(url).status_code in (401, 403)
    assert verify().ok


def letter_bytes() -> bytes:
    from demo.world import PDF

    return PDF


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("scan.png", "png", "document_not_pdf"),
        ("letter.pdf", b"<html><body>not a pdf</body></html>", "file_type_refused"),
        ("letter.pdf", b"%PDF-1.4\n<script>alert(1)</script>", "file_disguised"),
        ("letter.pdf", b"", "invalid"),
        ("big.pdf", "big", "file_too_large"),
    ],
)
def test_a_reply_letter_is_checked_like_a_dossier_upload(api, settings, name, content, code):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 2048
    data = {"png": _png(), "big": letter_bytes() + b"%" * 4096}.get(content, content)
    with time_machine.travel(START, tick=False):
        dossier = _at_appraisal(api)
        (bhxh,) = _ask(api, dossier, ["HY-BHXH"])
        before = Attachment.objects.filter(dossier_id=dossier["id"]).count()
        refused = _answer_with(
            api, "consult-BHXH", bhxh["id"], SimpleUploadedFile(name, data), 400, agree="true"
        )
    assert refused["code"] == code
    assert Attachment.objects.filter(dossier_id=dossier["id"]).count() == before
    assert Consultation.objects.get(pk=bhxh["id"]).answered_at is None


def test_the_province_where_a_central_unit_sits_answers_through_its_chair(api):
    """demo-data.md: a province is consulted through its chair's persona (`t-chair`); the other
    province's chair does not see the dossier."""
    dossier = _at_appraisal(api)
    (asked,) = _ask(api, dossier, bodies=["T-UBND"])
    assert api("t2-chair").get(f"/api/v1/dossiers/{dossier['id']}/").status_code == 404
    _answer(api, "t2-chair", asked["id"], expect=404, agree=True)
    answered = _answer(
        api, "t-chair", asked["id"], agree=True, reason="Không vi phạm tại địa phương"
    )
    assert (answered["outcome"], answered["answered_by"]) == ("agreed", "t-chair")
    assert (
        LedgerEvent.objects.filter(action="consultation.agreed", dossier_id=dossier["id"]).count()
        == 1
    )
    assert verify().ok


# Decree 98/2023 Art. 31: consultation is required for the Government's flag, the orders,
# the honorary titles and the PM's certificate (the data names the bodies for each).
MUST_CONSULT = ["CO-TD-CP", "BK-TTG", "CSTD-TQ", "AHLD", "HCLD-1", "HCLD-2", "HCLD-3",
                "HCDL-1", "HCDL-2", "HCDL-3"]  # fmt: skip


@pytest.mark.parametrize("form", MUST_CONSULT)
def test_every_form_the_decree_names_requires_consultation(form):
    from consultations import rules

    assert set(rules.for_form(form).bodies) >= set(BODIES), form
