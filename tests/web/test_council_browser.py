"""The central council's secretary runs a session in a real browser (headless Chromium from
Debian), every step of the secretary's a click or a keystroke:

- the open page offers only the nominees the ballot may take (a held nominee, a dossier on
  another open ballot and one still under public notice are not offered), none ticked; the
  rule is stated before opening;
- the ballot's page states the rule, the roll and the turnout, and names who has not voted yet;
- closing asks for a confirmation that shows the rule and the count; the result follows it: a
  nominee with every member's yes passes (the dossier goes to the board's appraisal), one with
  four of five (under the 90 % of all members the national emulation fighter needs) fails.

Before the browser starts, the dossiers are brought to the council's stage through the services
(proposal, intake and notice are other journeys', tests/web/test_board_browser.py among them),
with one nominee held and one dossier put on an earlier session; the members' ballots are cast
through `approvals.ballots` (a member's ballot in the browser is tests/test_browser.py's).
Screenshots: artifacts/screenshots/council/."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.names import full_name
from approvals import ballots
from approvals.models import BallotSession
from demo.world import World, act, person, start
from dossiers.models import Dossier, DossierState, NomineeOutcome
from dossiers.services import nominee_hold
from tests.browser import Walk, needs_browser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
MEMBERS = [f"council-member-{i}" for i in range(1, 6)]


def at_notice(world: World, unit: str, names: list[str], *, run: bool = True) -> Dossier:
    """A national emulation fighter's dossier (CSTD-TQ) under public notice: accepted five weeks
    ago when `run` (its notice period over), else today."""
    back = datetime.timedelta(days=35 if run else 0)
    with time_machine.travel(timezone.now() - back, tick=True):
        dossier = start(
            world, unit, "CSTD-TQ", f"Chiến sĩ thi đua toàn quốc — {names[0]}",
            [person(name, unit, "Sáng kiến áp dụng toàn quốc", year=2023) for name in names],
            2023,
        )  # fmt: skip
        act(world, f"head-{unit}", dossier, "submit")
        act(world, "board-officer", dossier, "accept")
    return dossier


def at_council(world: World, unit: str, names: list[str]) -> Dossier:
    dossier = at_notice(world, unit, names)
    act(world, "board-officer", dossier, "close_notice", reason="Hết thời hạn đăng tải")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.COUNCIL_REVIEW
    return dossier


def cast(world: World, session: BallotSession, member: str, choices: dict) -> None:
    ballots.ballot_cast(
        actor=world.user(member),
        session=session,
        choices={str(n.pk): c for n, c in choices.items()},
        conflicts=[],
    )


def test_the_council_secretary_opens_watches_and_closes_a_session(
    browser, live_server, demo_world, tmp_path
):
    world, walk = demo_world, Walk(browser, live_server.url, "council", tmp_path)
    two = at_council(world, "HND", ["Nguyễn Văn Thái", "Phạm Thị Huệ"])
    one = at_council(world, "HLHPN", ["Đinh Thị Hương"])
    elsewhere = at_council(world, "DOAN", ["Vũ Quang Huy"])
    noticed = at_notice(world, "VHNT", ["Hoàng Văn Lâm"], run=False)
    passing, held = two.nominees.order_by("id")
    failing = one.nominees.get()
    nominee_hold(
        actor=world.user("board-officer"), dossier=two, nominee_id=held.pk,
        reason_code="discipline", reason="Đang xem xét kỷ luật",
    )  # fmt: skip
    earlier = ballots.ballot_open(
        actor=world.user("council-secretary"), council_code="HDTDKT-TW", year=2023,
        nominee_ids=[elsewhere.nominees.get().pk],
    )  # fmt: skip

    # The secretary: inbox → "Open a ballot" → only the nominees a new ballot may take.
    walk.as_("council-secretary")
    walk.shot("secretary-inbox")
    walk.click("#open-ballot")
    offered = {int(box.get_attribute("value")) for box in walk.now("input[name=nominees]")}
    assert offered == {passing.pk, failing.pk}
    assert held.pk not in offered and noticed.nominees.get().pk not in offered
    assert not any(box.is_selected() for box in walk.now("input[name=nominees]"))
    rule = walk.find("ul.ballot-rule").text
    assert "90%" in rule and "5" in rule  # stated before opening: 90 % of the 5 members
    for nominee in (passing, failing):
        walk.find(f"#nominee-{nominee.pk}").click()
    walk.shot("open-ballot")
    walk.open(walk.xpath(f"//input[@id='nominee-{passing.pk}']/ancestor::form//button"))
    session = BallotSession.objects.exclude(pk=earlier.pk).get(items__nominee=passing)
    assert walk.driver.current_url == f"{walk.base}/ballots/{session.pk}/"
    assert {i.nominee_id for i in session.items.all()} == {passing.pk, failing.pk}
    walk.stop_refresh()
    assert walk.find("#ballot-turnout").text.startswith("0 trên 5")
    walk.shot("ballot-opened")

    # Three members vote; the secretary watches the turnout from the inbox.
    for member in MEMBERS[:3]:
        cast(world, session, member, {passing: "yes", failing: "yes"})
    walk.click("header nav a[href='/']")
    walk.click(f"#ballots a[href='/ballots/{session.pk}/']")
    walk.stop_refresh()
    turnout = walk.find("#ballot-turnout").text
    assert turnout.startswith("3 trên 5") and "(60%)" in turnout
    waiting = walk.find("#not-voted")
    for member in MEMBERS[3:]:
        assert full_name(world.user(member)) in waiting.text, member
    assert "council-member" not in walk.main_text()  # members by name, not sign-in name
    walk.shot("turnout")

    # The last two vote (one says no to the second nominee); the secretary closes after the
    # confirmation, which states the rule and the count.
    cast(world, session, MEMBERS[3], {passing: "yes", failing: "yes"})
    cast(world, session, MEMBERS[4], {passing: "yes", failing: "no"})
    walk.click("#close-form button[type=submit]")
    walk.find("#confirm-close-form")
    facts = walk.find("section.ballot-facts").text
    assert "90%" in facts and walk.find("#ballot-turnout").text.startswith("5 trên 5")
    assert not walk.now("#quorum-warning")
    walk.shot("close-confirmation")
    walk.click("#confirm-close-form button[type=submit]")
    walk.find("ul.messages li.success")
    walk.shot("closed")
    assert "Được thông qua" in walk.find(f"#result-{passing.pk}").text
    assert "chưa đạt tỷ lệ" in walk.find(f"#result-{failing.pk}").text  # under the threshold

    two.refresh_from_db()
    one.refresh_from_db()
    passing.refresh_from_db()
    held.refresh_from_db()
    assert two.state == DossierState.APPRAISAL  # on with its passing nominee
    assert held.outcome == NomineeOutcome.ON_HOLD  # left out of the count, still held
    assert one.state == DossierState.NOT_APPROVED  # 4 of 5 is under 90 % of all members
    assert walk.problems() == []
