"""The central board's work on a dossier under public notice, in a real browser (headless
Chromium from Debian), every step a click or a keystroke on the site's own pages:

- a member of the public finds the notice from the sign-in page and comments on a nominee;
- the board's head assigns the dossier to a second officer from the unassigned queue, who gives
  it back to the queue; the first officer takes it;
- the officer reads the comment on the dossier page and answers it (marks it handled with a
  note), holds one nominee with a reason and releases the hold, closes the notice (the dossier
  goes to the council), then holds the whole dossier and releases it;
- the dossier's timeline tells all of it in words, naming the people by their full names.

Before the browser starts, the dossier is brought to the notice through the services (the
unit's proposal and the intake are the route tests' journeys, tests/web/test_routes_browser.py),
three weeks back so that the notice's ten working days have run. A return with its reason, and
the unit's answer point by point and resubmission, are walked in the browser by
tests/web/test_proposer_pages.py (`test_a_return_answered_and_a_withdrawal_in_the_browser`).
Screenshots: artifacts/screenshots/board/."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from selenium.webdriver.support.ui import Select

from accounts.names import full_name
from demo.world import World, act, person, start
from dossiers.models import Dossier, DossierState, NomineeOutcome
from notices.models import Comment
from tests.browser import Walk, needs_browser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
UNIT = "TLDLD"
COMMENT = "Ông Hùng đã nghỉ hưu từ tháng 6 năm 2023, đề nghị Ban xác minh lại."


def under_notice(world: World) -> Dossier:
    """A national emulation fighter's dossier (CSTD-TQ) of two workers, accepted by the central
    board five weeks ago: its notice period has run (through the services)."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=35), tick=True):
        dossier = start(
            world, UNIT, "CSTD-TQ", "Chiến sĩ thi đua toàn quốc năm 2023 (trình duyệt)",
            [
                person("Trần Văn Hùng", UNIT, "Sáng kiến áp dụng toàn quốc", year=2023),
                person("Lê Thị Thanh Nga", UNIT, "Sáng kiến cải tiến kỹ thuật", year=2023),
            ],
            2023,
        )  # fmt: skip
        act(world, f"head-{UNIT}", dossier, "submit")
        act(world, "board-officer", dossier, "accept")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PUBLIC_NOTICE
    assert dossier.due_date < timezone.localdate()
    return dossier


def test_the_board_works_a_dossier_under_public_notice(browser, live_server, demo_world, tmp_path):
    world, walk = demo_world, Walk(browser, live_server.url, "board", tmp_path)
    dossier = under_notice(world)
    first, second = dossier.nominees.order_by("id")

    # A member of the public: the sign-in page → the public notice → a comment on a nominee.
    browser.delete_all_cookies()
    browser.get(f"{walk.base}/accounts/login/")
    walk.click("#public-notices")
    walk.find(f"#nominee-{first.pk}")
    walk.xpath(f"//tr[@id='nominee-{first.pk}']/following-sibling::tr[1]//summary").click()
    walk.find(f"#text-{first.pk}").send_keys(COMMENT)
    walk.shot("public-comment")
    walk.open(walk.xpath(f"//textarea[@id='text-{first.pk}']/ancestor::form//button"))
    walk.find("ul.messages li.success")
    walk.shot("public-comment-sent")
    comment = Comment.objects.get(dossier=dossier)

    # The board's head: the unassigned queue → the dossier → assigns it to the second officer.
    walk.as_("board-head")
    walk.click(f"#queue a[href='/dossiers/{dossier.pk}/']")
    Select(walk.find("#assignment select[name=officer]")).select_by_visible_text(
        full_name(world.user("board-officer-2"))
    )
    walk.shot("head-assigns")
    walk.submit(f"#assignment form[action='/dossiers/{dossier.pk}/actions/assign/']")
    assert walk.find("#assignment strong").text == full_name(world.user("board-officer-2"))
    walk.shot("assigned")

    # The second officer gives it back to the board's queue; the first officer takes it.
    walk.as_("board-officer-2")
    walk.click(f"#assigned a[href='/dossiers/{dossier.pk}/']")
    walk.submit(f"#assignment form[action='/dossiers/{dossier.pk}/actions/release/']")
    walk.shot("given-back")
    walk.as_("board-officer")
    walk.click(f"#queue a[href='/dossiers/{dossier.pk}/']")
    walk.submit(f"#assignment form[action='/dossiers/{dossier.pk}/actions/claim/']")
    officer = full_name(world.user("board-officer"))
    assert walk.find("#assignment strong").text == officer
    dossier.refresh_from_db()
    assert dossier.assignee == world.user("board-officer")
    walk.shot("claimed")

    # The comment, read on the dossier page and answered.
    row = walk.find(f"#comment-{comment.pk}")
    assert COMMENT in row.text and first.name in row.text
    walk.find(f"#note-{comment.pk}").send_keys("Đã xác minh: ông Hùng nghỉ hưu từ 01/7/2023.")
    walk.shot("comment-read")
    walk.open(walk.xpath(f"//textarea[@id='note-{comment.pk}']/ancestor::form//button"))
    walk.find("ul.messages li.success")
    assert officer in walk.find(f"#comment-{comment.pk}").text  # handled by, by name
    walk.shot("comment-handled")

    # One nominee held with a reason, then released.
    hold = f"#nominee-{second.pk} form.nominee-hold"
    Select(walk.find(f"{hold} select[name=reason_code]")).select_by_value("complaint")
    walk.find(f"{hold} input[name=reason]").send_keys("Có đơn khiếu nại về thành tích")
    walk.shot("nominee-hold")
    walk.click(f"{hold} button")
    walk.find("ul.messages li.success")
    second.refresh_from_db()
    assert second.outcome == NomineeOutcome.ON_HOLD
    assert "Tạm dừng" in walk.find(f"#nominee-{second.pk}").text
    walk.shot("nominee-held")
    release = f"#nominee-{second.pk} form.nominee-release"
    walk.submit(release, "Đơn khiếu nại đã được giải quyết")
    second.refresh_from_db()
    assert second.outcome == NomineeOutcome.PENDING
    walk.shot("nominee-released")

    # The notice closed: the dossier goes to the central council.
    close = f"#dossier-actions form[action='/dossiers/{dossier.pk}/actions/close_notice/']"
    walk.submit(close, "Hết thời hạn đăng tải; ý kiến đã xử lý")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.COUNCIL_REVIEW
    assert walk.state() == dossier.get_state_display()
    walk.shot("notice-closed")

    # The whole dossier held, then released back to the council's stage.
    hold = f"#dossier-actions form[action='/dossiers/{dossier.pk}/actions/hold/']"
    walk.submit(hold, "Đơn vị đang được thanh tra", code="inspection")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ON_HOLD
    walk.shot("dossier-held")
    release = f"#dossier-actions form[action='/dossiers/{dossier.pk}/actions/release/']"
    walk.submit(release, "Kết luận thanh tra: không vi phạm")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.COUNCIL_REVIEW
    walk.shot("dossier-released")

    # The timeline tells it in words, naming people by their full names.
    timeline = walk.find("#timeline").text
    for name in ("board-head", "board-officer-2", "board-officer"):
        assert full_name(world.user(name)) in timeline, name
    assert "board-officer" not in timeline and "inspection" not in timeline
    assert "Một người dân" in timeline  # the public comment, by no name
    assert walk.problems() == []
