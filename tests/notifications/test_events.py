"""Each event of the ledger reaches the people it concerns, and nobody else: real actions over
the HTTP API, as the personas who really act, committed."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction

from approvals.models import Decision, DecisionState
from audit.models import LedgerEvent
from dossiers.models import Dossier, DossierState
from notifications import consumer
from notifications.models import Notification, NotificationPreference
from tests.consultations.helpers import consult
from tests.signin import fresh_code
from tests.workflows.helpers import CENTRAL, NOMINEE, act, ballot, create, upload_required
from workflows import services as wf

pytestmark = pytest.mark.django_db

UNIT_HLHPN = ["head-HLHPN", "proposer-HLHPN"]


def _submitted(api) -> dict:
    nominees = [
        {**NOMINEE, "organization": "HLHPN"},
        {"kind": "collective", "name": "Ban Tuyên giáo TƯ Hội LHPN", "organization": "HLHPN"},
    ]
    dossier = create(api, "HLHPN", "BK-TTG", nominees)
    upload_required(api, "HLHPN", dossier, ["to_trinh", "bao_cao_thanh_tich"])
    return act(api, "head-HLHPN", dossier, "submit")


def test_a_dossier_route_tells_each_step_to_the_right_people(api, committed, watch):
    submitted = _submitted(api)

    # Ballot opened: every member unit's voter but the leader who opened it. Closed: the
    # proposing unit of each dossier on it, not the voters.
    seen = watch()
    with committed():
        ballot(api, "voter-MTTQ", [submitted])
    assert seen.who("ballot_opened") == sorted(f"voter-{c}" for c in CENTRAL if c != "MTTQ")
    assert seen.who("ballot_closed") == UNIT_HLHPN
    closed = seen.new("ballot_closed").first()
    assert closed.dossier_id == submitted["id"] and closed.link == f"/dossiers/{submitted['id']}/"
    assert closed.event.action == "ballot.closed"
    assert seen.kinds() == {"ballot_opened", "ballot_closed"}

    # Returned: the unit's officer and head, not the board officer who returned it.
    seen = watch()
    with committed():
        act(api, "board-officer", submitted, "return", reason="Thiếu biên bản họp")
    assert seen.who() == UNIT_HLHPN
    assert seen.kinds() == {"returned"}
    assert "Thiếu biên bản họp" in seen.new().first().message

    # A resubmission and the acceptance tell nobody.
    seen = watch()
    with committed():
        act(api, "head-HLHPN", submitted, "submit")
        act(api, "board-officer", submitted, "accept")
    assert seen.who() == []

    # Consultation: the consulted bodies' people only (their answers tell nobody).
    seen = watch()
    with committed():
        consult(api, "board-officer", submitted)
    assert seen.who() == ["consult-BHXH", "consult-THUE"]
    assert seen.kinds() == {"consultation_requested"}

    # Assignment: the officer it is given to; a claim or a release tells nobody.
    seen = watch()
    with committed():
        act(api, "board-head", submitted, "assign", officer="board-officer-2")
        act(api, "board-head", submitted, "release")
        act(api, "board-officer", submitted, "claim")
    assert seen.who() == ["board-officer-2"]
    assert seen.kinds() == {"assigned"}

    # The batch awaits the PM's signature: the PM only.
    act(api, "board-head", submitted, "forward")
    seen = watch()
    with committed():
        created = api("board-head").post(
            "/api/v1/decisions/", {"decider": "TTG", "dossiers": [submitted["id"]]}, format="json"
        )
        assert created.status_code == 201, created.json()
    decision = created.json()["id"]
    assert seen.who() == ["pm"]
    assert seen.new().get().link == f"/decisions/{decision}/"
    assert seen.kinds() == {"awaiting_signature"}

    # Signed: the proposing unit, not the signer nor the board.
    seen = watch()
    with committed():
        signed = api("pm").post(
            f"/api/v1/decisions/{decision}/sign/",
            {"number": "9101/QĐ-TTg", "signed_on": "2023-03-14", "otp": fresh_code("pm")},
            format="json",
        )
        assert signed.status_code == 200, signed.json()
    assert seen.who() == UNIT_HLHPN
    assert seen.kinds() == {"decision_signed"}
    assert "9101/QĐ-TTg" in seen.new().first().title


def test_a_president_batch_goes_to_the_pm_then_the_president(api, committed, watch):
    dossier = Dossier.objects.get(
        state=DossierState.AWAITING_DECISION, award_form__decider="CTN"
    )  # the demo's, in an unsigned batch: held and released, it leaves the batch
    unit = [f"head-{dossier.organization.code}", f"proposer-{dossier.organization.code}"]
    act(api, "board-officer", dossier.pk, "hold", reason_code="complaint", reason="Đơn thư")
    act(api, "board-officer", dossier.pk, "release", reason="Đã xác minh")

    seen = watch()
    with committed():
        created = api("board-head").post(
            "/api/v1/decisions/", {"decider": "CTN", "dossiers": [dossier.pk]}, format="json"
        )
        assert created.status_code == 201, created.json()
    assert seen.who() == ["pm"]  # the PM proposes it first; the President is not asked yet
    url = f"/api/v1/decisions/{created.json()['id']}"

    seen = watch()
    with committed():
        proposed = api("pm").post(
            f"{url}/propose/", {"number": "15/TTr-TTg", "otp": fresh_code("pm")}, format="json"
        )
        assert proposed.status_code == 200, proposed.json()
    assert seen.who() == ["president"]
    assert seen.kinds() == {"awaiting_signature"}

    seen = watch()
    with committed():
        signed = api("president").post(
            f"{url}/sign/",
            {"number": "88/QĐ-CTN", "signed_on": "2026-10-01", "otp": fresh_code("president")},
            format="json",
        )
        assert signed.status_code == 200, signed.json()
    assert seen.who() == sorted(unit)


def test_a_proposed_batch_that_loses_a_dossier_goes_back_to_the_pm(api, committed, watch):
    decision = Decision.objects.get(decider="CTN", state=DecisionState.PROPOSED)
    dossier = decision.dossiers.get()
    seen = watch()
    with committed():
        act(api, f"head-{dossier.organization.code}", dossier.pk, "withdraw", reason="Rút")
    assert seen.who() == ["pm"]
    assert seen.new().get().link == f"/decisions/{decision.pk}/"


def test_nothing_is_told_of_work_rolled_back(world, committed, watch):
    dossier = Dossier.objects.filter(state=DossierState.INTAKE, holder__code="TTG").first()
    seen = watch()
    with committed() as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            wf.dossier_act(
                actor=world.user("board-officer"),
                dossier=dossier,
                action="return",
                payload={"reason": "Thiếu tài liệu"},
            )
            assert LedgerEvent.objects.filter(dossier_id=dossier.pk, action="return").exists()
            raise RuntimeError("the request failed after the service")
    assert callbacks == []
    assert seen.who() == []
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.INTAKE


def test_a_refused_signature_tells_nobody(api, committed, watch):
    decision = Decision.objects.filter(decider="TTG", state=DecisionState.DRAFT).first()
    taken = Decision.objects.filter(decider="TTG", state=DecisionState.SIGNED).first()
    seen = watch()
    with committed():
        refused = api("pm").post(
            f"/api/v1/decisions/{decision.pk}/sign/",
            {"number": taken.number, "signed_on": f"{taken.year}-12-01", "otp": fresh_code("pm")},
            format="json",
        )
    assert refused.status_code == 409 and refused.json()["code"] == "number_taken"
    assert seen.who() == []


def test_email_goes_only_to_those_with_an_address_who_want_it(world, api, committed, watch):
    users = get_user_model().objects
    users.filter(username="proposer-HLHPN").update(email="proposer@hlhpn.example")
    users.filter(username="head-HLHPN").update(email="head@hlhpn.example")
    NotificationPreference.objects.create(user=world.user("head-HLHPN"), email_enabled=False)
    submitted = _submitted(api)
    ballot(api, "voter-MTTQ", [submitted])
    mail.outbox.clear()
    with committed():
        act(api, "board-officer", submitted, "return", reason="Thiếu biên bản")
    assert [m.to for m in mail.outbox] == [["proposer@hlhpn.example"]]
    message = mail.outbox[0]
    notification = Notification.objects.get(recipient__username="proposer-HLHPN", kind="returned")
    assert message.subject == notification.title
    assert f"/dossiers/{submitted['id']}/" in message.body and "Thiếu biên bản" in message.body
    # The head has it in the app all the same.
    assert Notification.objects.filter(recipient__username="head-HLHPN", kind="returned").exists()


def test_a_replayed_event_adds_nothing(api, committed, watch):
    submitted = _submitted(api)
    ballot(api, "voter-MTTQ", [submitted])
    with committed():
        act(api, "board-officer", submitted, "return", reason="Thiếu")
    event = LedgerEvent.objects.filter(dossier_id=submitted["id"], action="return").get()
    seen = watch()
    assert consumer.deliver(event.seq) == []
    assert seen.who() == []


def test_a_public_comment_and_a_consultation_reminder_reach_their_people(api, committed, watch):
    """A public comment tells the board of the level holding the dossier (it must be handled
    before the notice closes); a consultation reminder tells the body asked, nobody else."""
    from rest_framework.test import APIClient

    from consultations import services as consultation_services

    dossier = create(api, "TLDLD", "HCLD-3")
    upload_required(api, "TLDLD", dossier, ["to_trinh", "bao_cao_thanh_tich", "bien_ban_hoi_dong"])
    act(api, "head-TLDLD", dossier, "submit")
    assert act(api, "board-officer", dossier, "accept")["state"] == "public_notice"
    seen = watch()
    with committed():
        sent = APIClient(REMOTE_ADDR="203.0.113.91").post(
            f"/api/v1/public/notices/{dossier['nominees'][0]['id']}/comments/",
            {"text": "Đề nghị làm rõ thành tích"},
            format="json",
        )
    assert sent.status_code == 201, sent.json()
    board = sorted(
        get_user_model()
        .objects.filter(role_grants__organization__code="BTDKT-TW")
        .values_list("username", flat=True)
        .distinct()
    )
    assert seen.who("comment_received") == board and "board-officer" in board
    assert seen.new("comment_received").first().link.endswith("#board-work")

    asked = api("board-officer").post(
        f"/api/v1/dossiers/{dossier['id']}/consultations/",
        {"bodies": ["HY-BHXH"], "due_in_days": 5},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    seen = watch()
    with committed():
        assert consultation_services.consultation_remind(consultation=asked.json()[0]["id"])
    assert seen.who("consultation_reminder") == ["consult-BHXH"]
    assert seen.kinds() == {"consultation_reminder"}
