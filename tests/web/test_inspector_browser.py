"""The inspector searches the audit ledger and reads a dossier's history, in a real browser
(headless Chromium from Debian), every step a click or a keystroke: the read-only overview,
the ledger search by dossier and action, then by a person's full name, and the dossier's page
with its timeline and its changes version by version. Everything read is in words: no state,
action, reason or role code, no English message, no sign-in name where a person is named.

The dossier's history is made beforehand through the services (a return, the answer and the
resubmission, the intake, an assignment, a hold with its reason and its release: other
journeys' steps, walked in tests/web/test_proposer_pages.py and tests/web/test_board_browser.py).
Screenshots: artifacts/screenshots/inspector/."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from accounts.names import full_name
from demo.world import World, act, person, start
from dossiers.models import Dossier, DossierState
from tests.browser import Walk, needs_browser
from tests.web.test_wording import codes, english_msgids, offenders, visible_text
from workflows import services as wf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
UNIT = "VHNT"
HOLD_REASON = "Có đơn khiếu nại về thành tích đang được xác minh"


def with_a_history(world: World) -> Dossier:
    """A PM's certificate for one artist (individuals go straight to the board), returned once,
    resubmitted, accepted, assigned, held on a complaint and released."""
    dossier = start(
        world, UNIT, "BK-TTG", "Bằng khen Thủ tướng năm 2023 (thanh tra)",
        [person("Đỗ Thanh Ca", UNIT, "Nhiều tác phẩm đạt giải", year=2023)], 2023,
    )  # fmt: skip
    act(world, f"head-{UNIT}", dossier, "submit")
    act(world, "board-officer", dossier, "return", reason="Thiếu xác nhận của cấp trình")
    act(world, f"head-{UNIT}", dossier, "submit", reason="Đã bổ sung xác nhận")
    act(world, "board-officer", dossier, "accept")
    wf.dossier_assignment(
        actor=world.user("board-head"), dossier=dossier, action="assign", officer="board-officer"
    )
    act(world, "board-officer", dossier, "hold", reason_code="complaint", reason=HOLD_REASON)
    act(world, "board-officer", dossier, "release", reason="Đã xác minh xong")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.APPRAISAL
    return dossier


def in_words(walk: Walk, usernames: list[str]) -> None:
    """The page as read: no raw code, no English message id, no sign-in name."""
    html = walk.driver.page_source
    assert offenders(html, codes(), english_msgids()) == []
    words = {w for node in visible_text(html) for w in node.split()}
    assert not words & set(usernames), walk.driver.current_url


def test_the_inspector_searches_the_ledger_and_reads_a_history(
    browser, live_server, demo_world, tmp_path
):
    world, walk = demo_world, Walk(browser, live_server.url, "inspector", tmp_path)
    dossier = with_a_history(world)
    officer = full_name(world.user("board-officer"))
    people = ["board-officer", "board-head", f"head-{UNIT}", f"proposer-{UNIT}", "inspector"]

    # The overview, read only; the menu's "Audit".
    walk.as_("inspector")
    walk.find("#overview")
    assert not walk.now("#waiting")  # nothing waits for an inspector
    walk.shot("overview")
    walk.click("header nav a[href='/audit/']")
    walk.shot("audit-search")

    # By dossier and action: the hold, told in words with its reason.
    walk.find("input[name=dossier]").send_keys(dossier.reference)
    Select(walk.find("select[name=action]")).select_by_value("hold")
    walk.click("form.audit-search button[type=submit]")
    rows = walk.now("table.ledger tbody tr")
    assert len(rows) == 1, [r.text for r in rows]
    sentence = rows[0].text
    assert officer in sentence and dossier.reference in sentence and HOLD_REASON in sentence
    assert "khiếu nại" in sentence  # the reason code, by its label
    in_words(walk, people)
    walk.shot("audit-hold")

    # By a person's full name: every event of the officer on this dossier, and only those.
    Select(walk.find("select[name=action]")).select_by_value("")
    walk.find("input[name=actor]").send_keys(officer)
    walk.click("form.audit-search button[type=submit]")
    sentences = [r.text for r in walk.now("table.ledger tbody tr")]
    assert len(sentences) == 4, sentences  # the return, the intake, the hold, the release
    assert all(officer in s for s in sentences), sentences
    in_words(walk, people)
    walk.shot("audit-by-person")

    # The dossier's page: its timeline and its versions, in words.
    walk.click(f"table.ledger a[href='/dossiers/{dossier.pk}/']")
    timeline = walk.find("#timeline").text
    for username in ("board-officer", "board-head", f"head-{UNIT}", f"proposer-{UNIT}"):
        assert full_name(world.user(username)) in timeline, username
    assert "Đã bổ sung xác nhận" in timeline  # the unit's answer to the return
    changes = walk.find("#changes").text
    assert officer in changes  # the assignee's change, by name
    in_words(walk, people)
    walk.shot("dossier-history")
    walk.driver.execute_script("document.getElementById('changes').scrollIntoView()")
    walk.shot("dossier-changes")
    assert walk.problems() == []
