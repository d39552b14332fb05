"""A President's award (the Labour Order, third class) from the Prime Minister's desk to the
President's signature, in a real browser (headless Chromium from Debian), every step a click or
a keystroke: the Prime Minister finds the submission in the inbox and proposes it to the
President with the proposal's number and a new authenticator code (awaiting_president); the
President reviews each nominee with their eligibility checks, declines one with a reason and
signs; the decision's documents and the notice of the nominee not awarded are offered.

Before the browser starts, the dossier is brought to the decision and put in a submission to
the President through the services (proposal, intake, notice, consultation, forward and the
board head's batch are other journeys': tests/web/test_routes_browser.py and
tests/web/test_decision_batch_browser.py walk them). Screenshots:
artifacts/screenshots/president/."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.names import full_name
from approvals import services as approval_services
from approvals.models import Decision, DecisionState
from demo.world import World, act, collective, consult, person, start
from dossiers.models import Dossier, DossierState, NomineeOutcome
from tests.browser import Walk, needs_browser
from tests.signin import fresh_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
UNIT = "TLDLD"
REASON = "Chưa đủ 5 năm liên tục hoàn thành xuất sắc nhiệm vụ"


def awaiting_the_pm(world: World) -> tuple[Dossier, Decision]:
    """A Labour Order dossier of the unit and one of its workers, forwarded for decision and
    put by the board's head into a submission to the President (through the services)."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=35), tick=True):
        dossier = start(
            world, UNIT, "HCLD-3", "Huân chương Lao động hạng Ba năm 2023 (trình duyệt)",
            [collective(UNIT), person("Ngô Thị Bích", UNIT, "Hoàn thành xuất sắc", year=2023)],
            2023,
        )  # fmt: skip
        act(world, f"head-{UNIT}", dossier, "submit")
        act(world, "board-officer", dossier, "accept")
    act(world, "board-officer", dossier, "close_notice", reason="Hết thời hạn đăng tải")
    consult(world, "board-officer", dossier)
    act(world, "board-head", dossier, "forward")
    decision = approval_services.decision_create(
        actor=world.user("board-head"), decider="CTN", dossier_ids=[dossier.pk]
    )
    dossier.refresh_from_db()
    assert dossier.state == DossierState.AWAITING_DECISION
    return dossier, decision


def test_the_pm_proposes_to_the_president_who_declines_one_and_signs(
    browser, live_server, demo_world, tmp_path
):
    world, walk = demo_world, Walk(browser, live_server.url, "president", tmp_path)
    dossier, decision = awaiting_the_pm(world)
    unit_nominee, worker = dossier.nominees.order_by("id")

    # The Prime Minister: inbox → the submission → the proposal's number, a new code → propose.
    walk.as_("pm")
    walk.shot("pm-inbox")
    walk.click(f"#decisions a[href='/decisions/{decision.pk}/']")
    assert not walk.now("input[name=decline]")  # nominees are declined by the signer
    walk.find("input[name=number]").send_keys("1234/TTr-TTg")
    walk.find("#sign-otp").send_keys(fresh_code("pm"))  # the sign-in's code is spent
    walk.shot("pm-proposes")
    walk.click("#sign-form button[type=submit]")
    decision.refresh_from_db()
    dossier.refresh_from_db()
    assert decision.state == DecisionState.PROPOSED
    assert decision.proposal_number == "1234/TTr-TTg"
    assert dossier.state == DossierState.AWAITING_PRESIDENT
    assert "1234/TTr-TTg" in walk.main_text()
    assert not walk.now("#sign-otp")  # nothing left for the PM to do
    walk.shot("pm-proposed")

    # The President: inbox → the submission → reviews, declines the worker with a reason, signs.
    walk.as_("president")
    walk.shot("president-inbox")
    walk.click(f"#decisions a[href='/decisions/{decision.pk}/']")
    for nominee in (unit_nominee, worker):
        assert walk.find(f"#nominee-{nominee.pk} .checks, #nominee-{nominee.pk} small")
    walk.find(f"#decline-box-{worker.pk}").click()
    walk.find(f"#decline-reason-{worker.pk}").send_keys(REASON)
    walk.find("input[name=number]").send_keys("1789/QĐ-CTN")
    assert walk.find("input[name=signed_on]").get_attribute("value")  # today, by default
    walk.find("#sign-otp").send_keys(fresh_code("president"))
    walk.shot("president-declines-one")
    walk.click("#sign-form button[type=submit]")
    walk.find(f"#documents a[href='/decisions/{decision.pk}/document.pdf']")
    walk.shot("president-signed")

    decision.refresh_from_db()
    dossier.refresh_from_db()
    unit_nominee.refresh_from_db()
    worker.refresh_from_db()
    assert decision.state == DecisionState.SIGNED and decision.number == "1789/QĐ-CTN"
    assert dossier.state == DossierState.DECIDED
    assert unit_nominee.outcome == NomineeOutcome.AWARDED
    assert (worker.outcome, worker.outcome_reason) == (NomineeOutcome.DECLINED, REASON)
    assert REASON in walk.find(f"#nominee-{worker.pk}").text
    assert walk.find("#signed-by").text == full_name(world.user("president"))
    assert walk.find("#prepared-by").text == full_name(world.user("board-head"))
    walk.find(f"#not-awarded-{UNIT}")  # the notice to the unit of its nominee not awarded
    assert walk.problems() == []
