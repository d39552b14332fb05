"""A bloc member casts a ballot with the keyboard only, in a real browser (headless Chromium
from Debian): the sign-in form typed and sent with Enter, the inbox's ballot reached with Tab
and opened with Enter, the choice made with Space, the ballot cast with Enter. Every link and
button the focus passes through shows a visible focus outline (its computed style: a solid
outline at least 2 px wide, in a colour other than the background's), and the skip link comes
first and takes the focus to the content.

The ballot is opened beforehand through the services (opening it is the bloc leader's journey,
tests/web/test_routes_browser.py). Screenshots: artifacts/screenshots/keyboard/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from approvals import ballots
from demo.world import act, collective, start
from tests.browser import Walk, needs_browser
from tests.signin import fresh_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
VOTER = "voter-HCCB"
TABS = 80  # at most, to reach an element of a page

OUTLINE = """const e = document.activeElement, s = getComputedStyle(e);
let b = e, bg = "rgba(0, 0, 0, 0)";
while (b && (bg === "rgba(0, 0, 0, 0)" || bg === "transparent")) {
  bg = getComputedStyle(b).backgroundColor; b = b.parentElement;
}
return {tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || "").trim().slice(0, 60),
        style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
        background: bg};"""


class Keyboard:
    """Keys pressed on whatever has the focus; each focused link or button checked."""

    def __init__(self, walk: Walk) -> None:
        self.walk, self.driver = walk, walk.driver
        self.checked: list[str] = []

    def press(self, *keys: str) -> None:
        self.driver.switch_to.active_element.send_keys(*keys)

    def focused(self) -> dict:
        return self.driver.execute_script(OUTLINE)

    def outline_visible(self) -> None:
        """The focused link or button shows its focus: a solid outline, wide enough, not in
        the colour of what is behind it."""
        seen = self.focused()
        if seen["tag"] not in ("a", "button", "summary"):
            return
        assert seen["style"] != "none" and seen["width"] >= 2, seen
        assert seen["color"] != seen["background"], seen
        self.checked.append(f"{seen['tag']}: {seen['text']}")

    def tab_to(self, css: str):
        """Tab until the element `css` has the focus, checking the outline on the way."""
        wanted = self.driver.find_element(By.CSS_SELECTOR, css)
        for _ in range(TABS):
            self.press(Keys.TAB)
            self.outline_visible()
            if self.driver.switch_to.active_element == wanted:
                return wanted
        raise AssertionError(f"{css} never took the focus in {TABS} tabs")


def test_a_member_casts_a_ballot_with_the_keyboard_only(browser, live_server, demo_world, tmp_path):
    world, walk = demo_world, Walk(browser, live_server.url, "keyboard", tmp_path)
    dossier = start(
        world, "VUSTA", "BK-TTG", "Bằng khen Thủ tướng (bàn phím)", [collective("VUSTA")], 2023
    )
    act(world, "head-VUSTA", dossier, "submit")
    nominee = dossier.nominees.get()
    session = ballots.ballot_open(
        actor=world.user("voter-MTTQ"), bloc_code="KHOI-CTXH-TW", year=2023,
        nominee_ids=[nominee.pk],
    )  # fmt: skip
    keys = Keyboard(walk)

    # Signing in: the name field has the focus; Tab between fields, Enter sends.
    browser.delete_all_cookies()
    browser.get(f"{walk.base}/accounts/login/")
    assert browser.switch_to.active_element.get_attribute("name") == "username"
    keys.press(VOTER, Keys.TAB, "demo", Keys.TAB, fresh_code(VOTER))
    walk.shot("sign-in-typed")
    page = walk.find("html")
    keys.press(Keys.ENTER)
    walk.arrived(page)

    # The skip link comes first and is seen when focused.
    keys.press(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link" and skip.is_displayed()
    keys.outline_visible()
    walk.shot("skip-link-focused")

    # The inbox's ballot, reached with Tab and opened with Enter.
    keys.tab_to(f"#ballots a[href='/ballots/{session.pk}/']")
    walk.shot("ballot-link-focused")
    page = walk.find("html")
    keys.press(Keys.ENTER)
    walk.arrived(page)
    assert browser.current_url == f"{walk.base}/ballots/{session.pk}/"

    # The choice with Space (the first radio of the row: yes), the ballot cast with Enter.
    yes = keys.tab_to(f"#ballot-form input[name='choice_{nominee.pk}'][value=yes]")
    keys.press(Keys.SPACE)
    assert yes.is_selected()
    keys.tab_to("#ballot-form button[type=submit]")
    walk.shot("cast-button-focused")
    page = walk.find("html")
    keys.press(Keys.ENTER)
    walk.arrived(page)
    receipt = walk.find("p.messages code").text
    assert len(receipt) == 64 and session.sealed_ballots.count() == 1
    walk.shot("receipt")

    assert any(c.startswith("a:") for c in keys.checked), keys.checked
    assert any(c.startswith("button:") for c in keys.checked), keys.checked
    assert walk.problems() == []
