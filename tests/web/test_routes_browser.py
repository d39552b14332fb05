"""Whole routes in a real browser (headless Chromium from Debian), every step after the demo
world a click or a keystroke on the site's own pages:

- the central route of a Prime Minister's certificate (BK-TTG) for a collective of a member of
  the central bloc KHOI-CTXH-TW in 2023: the proposer creates the dossier and uploads the
  documents the form requires, the unit head signs and submits, the bloc's leader opens the
  ballot, votes and closes it after the confirmation, the central board accepts it, asks the
  consulted bodies, who answer, its head forwards it and builds the submission (tờ trình), and
  the Prime Minister signs it with a new authenticator code;
- a provincial route (BK-TINH, the provincial chair's certificate for a unit of province T): the
  same from the proposal to the chair's signature, through the province's cluster, board and
  People's Committee.

Only the other bloc members' ballots are cast through `approvals.ballots` (the leader's is cast
in the browser), to keep each test short. A screenshot per step goes to
artifacts/screenshots/routes/ (`Walk`, tests/browser.py); the browser and the demo's people
are tests/web/conftest.py's fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from approvals import ballots
from approvals.models import BallotSession, Decision
from consultations.models import Consultation
from demo.world import CENTRAL_CODES, PROVINCE_CODES, World
from dossiers.models import Dossier
from tests.browser import Walk, needs_browser
from tests.signin import fresh_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]


def required_documents(form: str) -> list[str]:
    catalogue = Path(settings.BASE_DIR) / "dossiers" / "data" / "catalogue.json"
    forms = json.loads(catalogue.read_text(encoding="utf-8"))["award_forms"]
    return next(f["required_documents"] for f in forms if f["code"] == form)


# --- the steps both routes share ----------------------------------------------------------------


def propose(walk: Walk, unit: str, form: str, title: str, nominee: str) -> Dossier:
    """The unit's officer: inbox → "New dossier" → the form, one collective nominee → the
    documents page, each required document uploaded → the checklist complete."""
    walk.as_(f"proposer-{unit}")
    walk.click("#new-dossier")
    Select(walk.find("select[name=award_form]")).select_by_value(form)
    year = walk.find("input[name=year]")
    year.clear()
    year.send_keys("2023")
    walk.find("input[name=title]").send_keys(title)
    Select(walk.find("select[name=nominee_kind]")).select_by_value("collective")
    walk.find("input[name=nominee_name]").send_keys(nominee)
    walk.find("textarea[name=achievements]").send_keys(
        "Hoàn thành xuất sắc nhiệm vụ năm 2023; dẫn đầu phong trào thi đua."
    )
    required = [
        li.get_attribute("textContent").strip()
        for li in walk.driver.find_elements(
            By.CSS_SELECTOR, f"ul.required-documents[data-form='{form}'] li"
        )
    ]
    assert required, "the form's required documents are listed before the draft is created"
    walk.shot(f"{unit}-new-dossier")
    walk.click("#dossier-form button[data-once]")
    dossier = Dossier.objects.get(title=title)
    assert walk.driver.current_url == f"{walk.base}/dossiers/{dossier.pk}/"
    assert dossier.state == "draft"
    walk.shot(f"{unit}-draft")

    walk.click(f"a[href='/dossiers/{dossier.pk}/documents/']")
    # The checklist names what is missing: the form's required documents in the catalogue.
    kinds = [li.get_attribute("data-kind") for li in walk.now("li.doc-missing")]
    assert sorted(kinds) == sorted(required_documents(form))
    for code in kinds:
        Select(walk.find("#upload-form select[name=kind]")).select_by_value(code)
        walk.find("#upload-form input[name=file]").send_keys(walk.pdf(f"{code}.pdf"))
        walk.click("#upload-form button[type=submit]")
        walk.find("ul.messages li.success")
        walk.find(f"li.doc-attached[data-kind='{code}']")
    assert not walk.now("li.doc-missing")
    walk.find("p.doc-complete")
    walk.shot(f"{unit}-documents")
    assert sorted(dossier.attachments.values_list("kind__code", flat=True)) == sorted(kinds)
    return dossier


def submit(walk: Walk, unit: str, dossier: Dossier) -> None:
    """The unit head: the dossier → "Sign and submit…" → the confirmation page → submit."""
    walk.as_(f"head-{unit}")
    walk.to_dossier(dossier)
    walk.click(f"a[href='/dossiers/{dossier.pk}/submit/']")
    walk.find("#submit-form")
    walk.find("p.doc-complete")
    walk.find("#submit-form textarea[name=response]").send_keys("Kính trình Hội đồng xem xét.")
    walk.shot(f"{unit}-submit-confirmation")
    walk.click("#submit-form button[type=submit]")
    walk.find("ul.messages li.success")
    dossier.refresh_from_db()
    assert dossier.state == "bloc_voting"
    walk.shot(f"{unit}-submitted")


def bloc_vote(
    walk: Walk, world: World, leader: str, unit: str, members: list[str], dossier: Dossier
) -> None:
    """The bloc's leader: inbox → "Open a ballot" → tick the dossier's nominee → open; casts its
    own ballot on the ballot page; the other members' ballots are cast through the service
    (the proposing unit declares its conflict of interest); then "Close and count…" → the
    confirmation → close. The dossier moves on to the board's intake."""
    nominee = dossier.nominees.get()
    walk.as_(f"voter-{leader}")
    walk.click("#open-ballot")
    box = walk.find(f"#nominee-{nominee.pk}")
    assert not box.is_selected()  # nothing ticked in advance
    box.click()
    form = f"//input[@id='nominee-{nominee.pk}']/ancestor::form"
    walk.xpath(f"{form}//ul[@class='ballot-rule']")  # the rule is stated before opening
    walk.shot(f"{unit}-ballot-open")
    walk.open(walk.xpath(f"{form}//button[@type='submit']"))
    session = BallotSession.objects.get(items__nominee=nominee)
    assert walk.driver.current_url == f"{walk.base}/ballots/{session.pk}/"
    walk.stop_refresh()
    walk.find(f"#ballot-form input[name='choice_{nominee.pk}'][value=yes]").click()
    walk.shot(f"{unit}-ballot-cast")
    walk.click("#ballot-form button[type=submit]")
    walk.find("main code")  # the receipt
    walk.shot(f"{unit}-ballot-receipt")

    for code in members:
        if code == leader:
            continue
        own = code == unit
        ballots.ballot_cast(
            actor=world.user(f"voter-{code}"),
            session=session,
            choices={} if own else {str(nominee.pk): "yes"},
            conflicts=[nominee.pk] if own else [],
        )
    # The ballot's page again, by its address: a reload could send the cast's form a second
    # time (the receipt page answers the POST), and the open page also refreshes itself.
    walk.driver.get(f"{walk.base}/ballots/{session.pk}/")
    walk.stop_refresh()
    walk.click("#close-form button[type=submit]")
    walk.find("#confirm-close-form")
    assert not walk.now("#quorum-warning")  # every member has voted
    walk.shot(f"{unit}-ballot-close-confirmation")
    walk.click("#confirm-close-form button[type=submit]")
    walk.find("ul.messages li.success")
    walk.shot(f"{unit}-ballot-closed")
    dossier.refresh_from_db()
    assert dossier.state == "intake", dossier.state


def dossier_action(walk: Walk, dossier: Dossier, action: str, name: str) -> None:
    """A board's action on the dossier page (found through the dossier list unless the page is
    open already): its form's button."""
    if walk.driver.current_url != f"{walk.base}/dossiers/{dossier.pk}/":
        walk.to_dossier(dossier)
    walk.shot(f"{name}-before")
    walk.click(f"form[action='/dossiers/{dossier.pk}/actions/{action}/'] button[type=submit]")
    walk.find("ul.messages li.success")
    walk.shot(name)


def batch(walk: Walk, dossier: Dossier, decider: str, name: str) -> Decision:
    """The board's head: inbox → "Prepare a submission" → tick the dossier → its decider →
    prepare. The page goes to the new submission."""
    walk.click("header nav a[href='/']")  # the inbox
    walk.click("#prepare-batch")
    walk.find(f"#dossier-{dossier.pk}").click()
    Select(walk.find("#batch-decider")).select_by_value(decider)
    walk.shot(f"{name}-batch")
    walk.click("#batch-form button[type=submit]")
    walk.find("ul.messages li.success")
    decision = Decision.objects.get(dossiers=dossier)
    assert walk.driver.current_url == f"{walk.base}/decisions/{decision.pk}/"
    assert decision.state == "draft" and decision.decider == decider
    walk.shot(f"{name}-batch-prepared")
    return decision


def sign(walk: Walk, signer: str, decision: Decision, number: str, name: str) -> None:
    """The decider: inbox → the submission → the number and a new authenticator code → sign.
    The signed decision's page shows its documents."""
    walk.as_(signer)
    walk.click(f"a[href='/decisions/{decision.pk}/']")
    walk.find("#sign-form")
    walk.find("input[name=number]").send_keys(number)
    assert walk.find("input[name=signed_on]").get_attribute("value")  # today, by default
    # A new code: the one typed at sign-in is spent (test-only: the device forgets it rather
    # than the test waiting 30 s for the authenticator's next code).
    walk.find("#sign-otp").send_keys(fresh_code(signer))
    walk.shot(f"{name}-sign")
    walk.click("#sign-form button[type=submit]")
    decision.refresh_from_db()
    assert decision.state == "signed" and decision.number == number
    walk.find(f"#documents a[href='/decisions/{decision.pk}/document.pdf']")
    walk.find(f"#documents a[href='/decisions/{decision.pk}/certificates.pdf']")
    walk.shot(f"{name}-signed")


# --- the routes ---------------------------------------------------------------------------------


def test_central_route_of_a_pm_certificate(browser, live_server, demo_world, tmp_path):
    world, walk = demo_world, Walk(browser, live_server.url, "routes/central-bk-ttg", tmp_path)
    unit = "TLDLD"
    title = "Đề nghị Bằng khen của Thủ tướng Chính phủ năm 2023 (trình duyệt)"
    dossier = propose(walk, unit, "BK-TTG", title, world.org(unit).name)
    submit(walk, unit, dossier)
    assert dossier.bloc.code == "KHOI-CTXH-TW"
    bloc_vote(walk, world, "MTTQ", unit, CENTRAL_CODES, dossier)

    # The central board's officer accepts the dossier and asks the bodies the form names.
    walk.as_("board-officer")
    dossier_action(walk, dossier, "accept", "central-accepted")
    dossier.refresh_from_db()
    assert dossier.state == "appraisal"
    ticked = [
        box.get_attribute("value")
        for box in browser.find_elements(
            By.CSS_SELECTOR, "#consultation-request input[name=bodies]"
        )
        if box.is_selected()
    ]
    assert sorted(ticked) == ["HY-BHXH", "HY-THUE"]  # the form's bodies, ticked for the officer
    walk.shot("consultation-request")
    walk.click("#consultation-request button[type=submit]")
    walk.find("ul.messages li.success")
    walk.shot("consultation-requested")
    asked = {c.body.code: c for c in Consultation.objects.filter(dossier=dossier)}
    assert sorted(asked) == ["HY-BHXH", "HY-THUE"]

    # Each consulted body: its inbox → the request → agrees (the tax office with its letter).
    for body, persona in (("HY-BHXH", "consult-BHXH"), ("HY-THUE", "consult-THUE")):
        request = asked[body]
        walk.as_(persona)
        walk.click(f"#request-{request.pk} a.next-step")
        walk.find("#answer-form input[name=agree][value=yes]").click()
        walk.find("#answer-form textarea[name=reason]").send_keys(
            "Đơn vị chấp hành tốt chính sách, pháp luật."
        )
        if body == "HY-THUE":
            walk.find("#answer-form input[name=document]").send_keys(walk.pdf("y-kien-thue.pdf"))
        walk.shot(f"{persona}-answer")
        walk.click("#answer-form button[type=submit]")
        walk.find("ul.messages li.success")
        walk.shot(f"{persona}-answered")
        request.refresh_from_db()
        assert request.agree is True and request.answered_at is not None

    # The board's head forwards the dossier and puts it into a submission to the PM.
    walk.as_("board-head")
    dossier_action(walk, dossier, "forward", "central-forwarded")
    dossier.refresh_from_db()
    assert dossier.state == "awaiting_decision" and dossier.holder.code == "TTG"
    decision = batch(walk, dossier, "TTG", "central")

    # The Prime Minister signs.
    sign(walk, "pm", decision, "789/QĐ-TTg", "pm")
    dossier.refresh_from_db()
    assert dossier.state == "decided"
    assert {n.outcome for n in dossier.nominees.all()} == {"awarded"}
    walk.click(f"#dossier-{dossier.pk} h2 a")
    assert walk.state() == dossier.get_state_display()
    walk.shot("central-decided")
    assert walk.problems() == []


def test_provincial_route_of_a_chairs_certificate(browser, live_server, demo_world, tmp_path):
    world, walk = demo_world, Walk(browser, live_server.url, "routes/province-bk-tinh", tmp_path)
    unit = "T-DOAN"
    title = "Đề nghị Bằng khen của Chủ tịch UBND tỉnh năm 2023 (trình duyệt)"
    dossier = propose(walk, unit, "BK-TINH", title, world.org(unit).name)
    submit(walk, unit, dossier)
    assert dossier.bloc.code == "CUM-CTXH-T"
    bloc_vote(walk, world, "T-HND", unit, PROVINCE_CODES, dossier)

    # The provincial board's officer (also its head) accepts, forwards and prepares the
    # submission to the provincial People's Committee.
    walk.as_("t-board-officer")
    dossier_action(walk, dossier, "accept", "province-accepted")
    dossier.refresh_from_db()
    assert dossier.state == "appraisal" and dossier.holder.code == "T-UBND"
    dossier_action(walk, dossier, "forward", "province-forwarded")
    dossier.refresh_from_db()
    assert dossier.state == "awaiting_decision"
    decision = batch(walk, dossier, "T-UBND", "province")

    # The provincial chair signs.
    sign(walk, "t-chair", decision, "45/QĐ-UBND", "t-chair")
    dossier.refresh_from_db()
    assert dossier.state == "decided"
    assert {n.outcome for n in dossier.nominees.all()} == {"awarded"}
    assert walk.problems() == []
