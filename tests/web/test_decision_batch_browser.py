"""In a real browser (headless Chromium from Debian): the central board's head builds a decision
batch (tờ trình) by clicking, and the Prime Minister reviews it and signs with a TOTP code,
declining one nominee with a reason. The code used at sign-in is refused at the signature; the
form keeps what was typed and asks for the next code.

Every step of the batch and the signature is a click or a keystroke; the two dossiers awaiting
a decision are brought there beforehand through the services (the route up to the board's
forward is another journey's test). A screenshot per step goes to artifacts/screenshots/.
Pages are read under the production Content-Security-Policy: no violation may be reported."""

import shutil
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from approvals.models import Decision
from demo.world import (
    CENTRAL_CODES,
    World,
    act,
    bloc_ballot,
    build_devices,
    build_organisations,
    build_users,
    consult,
    person,
    start,
)
from dossiers.models import Dossier
from tests.browser import ensure_browser, needs_browser
from tests.signin import code_now, fresh_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "decision-batch"

# Each violation is also written to the console, where the test reads it.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " at "
                + e.sourceFile + ":" + e.lineNumber);
}, true);"""


@pytest.fixture
def browser():
    ensure_browser()
    options = Options()
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1000", "--lang=vi",
    ):  # fmt: skip
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": REPORT_CSP})
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "CSP violation" in entry["message"]
    ]


class Shots:
    """Numbered screenshots, one per step."""

    def __init__(self, browser) -> None:
        self.browser, self.n = browser, 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        self.n += 1
        self.browser.save_screenshot(str(SHOTS / f"{self.n:02d}-{name}.png"))


def _awaiting_the_pm() -> tuple[Dossier, Dossier]:
    """Two dossiers of the PM's certificate awaiting a decision, in no batch: proposed, voted
    in the bloc, accepted, consulted and forwarded by the board's head (through the services).
    Their nominees are new people, so the demo world, if present, does not overlap them."""
    build_organisations()
    build_users()
    build_devices()
    world = World()
    tag = uuid.uuid4().hex[:6]
    two = start(
        world, "HCCB", "BK-TTG", f"Trình Thủ tướng — hai hội viên ({tag})",
        [person(f"Nguyễn Văn An {tag}", "HCCB"), person(f"Trần Thị Bình {tag}", "HCCB")], 2023,
    )  # fmt: skip
    one = start(
        world, "DOAN", "BK-TTG", f"Trình Thủ tướng — một đoàn viên ({tag})",
        [person(f"Lê Thị Chi {tag}", "DOAN")], 2023,
    )  # fmt: skip
    for dossier in (two, one):
        act(world, f"head-{dossier.organization.code}", dossier, "submit")
    bloc_ballot(world, "voter-MTTQ", "KHOI-CTXH-TW", 2023, [two, one], CENTRAL_CODES)
    for dossier in (two, one):
        dossier.refresh_from_db()
        act(world, "board-officer", dossier, "accept")
        consult(world, "board-officer", dossier)
        act(world, "board-head", dossier, "forward")
        dossier.refresh_from_db()
        assert dossier.state == "awaiting_decision" and dossier.holder.code == "TTG"
    return two, one


def _sign_in(browser, base: str, username: str, code: str) -> None:
    browser.get(f"{base}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.NAME, "otp").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    browser.find_element(By.XPATH, f"//header//span[@data-username='{username}']")  # the inbox


def _sign_out(browser) -> None:
    browser.find_element(By.CSS_SELECTOR, "header form[action$='/logout/'] button").click()
    browser.find_element(By.ID, "login-form")


def test_board_head_builds_a_batch_and_the_pm_signs_it(browser, live_server):
    two, one = _awaiting_the_pm()
    declined = two.nominees.order_by("pk").last()
    base = live_server.url
    shot = Shots(browser)

    # The board's head: inbox → "Lập tờ trình" → filter → tick two dossiers → prepare.
    _sign_in(browser, base, "board-head", fresh_code("board-head"))
    shot("board-head-inbox")
    browser.find_element(By.ID, "prepare-batch").click()
    browser.find_element(By.ID, "batch-form")
    shot("batch-page")
    Select(browser.find_element(By.NAME, "year")).select_by_value("2023")
    Select(
        browser.find_element(By.CSS_SELECTOR, "#batch-filters select[name=decider]")
    ).select_by_value("TTG")
    browser.find_element(By.CSS_SELECTOR, "#batch-filters button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "#batch-filters option[value='2023'][selected]")
    assert "year=2023" in browser.current_url and "decider=TTG" in browser.current_url
    shot("batch-filtered")
    for dossier in (two, one):
        browser.find_element(By.ID, f"dossier-{dossier.pk}").click()
    decider = Select(browser.find_element(By.ID, "batch-decider"))
    assert decider.first_selected_option.get_attribute("value") == "TTG"
    shot("batch-ticked")
    browser.find_element(By.CSS_SELECTOR, "#batch-form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "ul.messages li.success")
    decision = Decision.objects.get(dossiers=two)
    assert browser.current_url == f"{base}/decisions/{decision.pk}/"
    assert sorted(decision.dossiers.values_list("pk", flat=True)) == sorted([two.pk, one.pk])
    assert decision.state == "draft" and decision.decider == "TTG"
    assert 'name="signed_on"' not in browser.page_source  # the head does not sign
    shot("batch-prepared")
    violations = _violations(browser)
    _sign_out(browser)

    # The Prime Minister: inbox → the batch → review → decline one → sign.
    used = fresh_code("pm")
    _sign_in(browser, base, "pm", used)
    browser.find_element(By.CSS_SELECTOR, f'a[href="/decisions/{decision.pk}/"]').click()
    browser.find_element(By.ID, "sign-form")
    for nominee in (*two.nominees.all(), *one.nominees.all()):
        browser.find_element(By.ID, f"nominee-{nominee.pk}")  # each nominee, with its checks
    shot("pm-review")
    browser.find_element(By.ID, f"decline-box-{declined.pk}").click()
    browser.find_element(By.ID, f"decline-reason-{declined.pk}").send_keys(
        "Chưa đủ thời gian giữ chức vụ"
    )
    browser.find_element(By.NAME, "number").send_keys("456/QĐ-TTg")
    signed_on = browser.find_element(By.NAME, "signed_on").get_attribute("value")
    assert signed_on  # today, unless the signer changes it
    # The code used at sign-in is refused; everything else typed stays.
    browser.find_element(By.ID, "sign-otp").send_keys(used)
    shot("pm-filled-in")
    browser.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    browser.find_element(By.ID, "otp-next")
    shot("pm-code-already-used")
    assert Decision.objects.get(pk=decision.pk).state == "draft"
    assert browser.find_element(By.NAME, "number").get_attribute("value") == "456/QĐ-TTg"
    assert browser.find_element(By.NAME, "signed_on").get_attribute("value") == signed_on
    assert browser.find_element(By.ID, f"decline-box-{declined.pk}").is_selected()
    reason = browser.find_element(By.ID, f"decline-reason-{declined.pk}")
    assert reason.get_attribute("value") == "Chưa đủ thời gian giữ chức vụ"
    otp = browser.find_element(By.ID, "sign-otp")
    assert otp.get_attribute("value") == ""
    assert browser.switch_to.active_element == otp  # the cursor waits for the next code
    # The next code (the authenticator's next step) signs, once the signer has waited for it
    # (django-otp also slows down tries after a refused code: 1 s after the first).
    time.sleep(1.5)
    # A loaded machine may take longer than django-otp's back-off: forget the refused try's
    # throttling (test-only), not the used code, so the next code is what decides.
    TOTPDevice.objects.filter(user__username="pm").update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    otp.send_keys(code_now(drift=1))
    browser.find_element(By.CSS_SELECTOR, "#sign-form button[type=submit]").click()
    signed = "//p/span[@class='state']/following-sibling::strong"
    try:
        WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.XPATH, signed))
    except TimeoutException:
        text = browser.find_element(By.TAG_NAME, "main").text
        raise AssertionError(f"not signed; the page says: {text[:600]}") from None
    shot("pm-signed")
    decision.refresh_from_db()
    assert decision.state == "signed" and decision.number == "456/QĐ-TTg"
    declined.refresh_from_db()
    assert declined.outcome == "declined"
    assert declined.outcome_reason == "Chưa đủ thời gian giữ chức vụ"
    others = [n for d in (two, one) for n in d.nominees.all() if n.pk != declined.pk]
    assert {n.outcome for n in others} == {"awarded"}
    violations += _violations(browser)
    assert violations == [], "\n".join(violations)
