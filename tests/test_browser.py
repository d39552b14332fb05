"""In a real browser (headless Chromium from Debian): a bloc member finds the ballot in its
inbox, casts it on one page and gets its receipt; the leader closes it and the dossier moves on.

Every page is read under the site's Content-Security-Policy (the production one: no inline script
or style): the browser's console and `securitypolicyviolation` events must report no violation."""

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from accounts.names import full_name
from approvals import ballots
from demo.world import World, act, build_devices, build_organisations, build_users, start
from dossiers.models import Dossier
from tests.browser import ensure_browser, needs_browser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_browser,  # skips without Chromium, fails instead when CI requires it
]
SHOTS = Path("/tmp/khenthuong-screenshots")


@pytest.fixture
def browser():
    ensure_browser()
    options = Options()
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": REPORT_CSP})
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


# Each violation is also written to the console, where the test reads it with the browser's own
# reports ("Refused to execute inline script because it violates … Content Security Policy").
REPORT_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " at "
                + e.sourceFile + ":" + e.lineNumber);
}, true);"""


def _csp_violations(browser) -> list[str]:
    """The console messages about the Content-Security-Policy since the last call."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "CSP violation" in entry["message"]
    ]


def _sign_in(browser, base: str, username: str) -> None:
    browser.get(f"{base}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    browser.find_element(By.XPATH, f"//header//span[@data-username='{username}']")  # the inbox


def test_a_member_casts_its_ballot_in_the_browser(browser, live_server):
    build_organisations()
    build_users()
    build_devices()
    world = World()
    person = {"kind": "collective", "name": "LH các Hội KH&KT", "organization": "VUSTA"}
    dossier = start(world, "VUSTA", "BK-TTG", "Đề nghị Bằng khen TTg (trình duyệt)", [person], 2023)
    act(world, "head-VUSTA", dossier, "submit")
    session = ballots.ballot_open(
        actor=world.user("voter-MTTQ"), bloc_code="KHOI-CTXH-TW", year=2023,
        nominee_ids=[dossier.nominees.get().pk],
    )  # fmt: skip
    base = live_server.url
    SHOTS.mkdir(exist_ok=True)

    _sign_in(browser, base, "voter-HCCB")
    who = browser.find_element(By.CSS_SELECTOR, "header .who").get_attribute("textContent")
    assert who == full_name(world.user("voter-HCCB"))  # the member by name, not "voter-HCCB"
    browser.find_element(By.CSS_SELECTOR, f'a[href="/ballots/{session.pk}/"]').click()
    browser.find_element(By.CSS_SELECTOR, 'input[type=radio][value="yes"]').click()
    browser.save_screenshot(str(SHOTS / "ballot.png"))
    browser.find_element(By.CSS_SELECTOR, "#ballot-form button[type=submit]").click()
    receipt = browser.find_element(By.CSS_SELECTOR, "p.messages code").text
    assert len(receipt) == 64 and session.sealed_ballots.count() == 1  # sealed until the close
    assert 'name="choice_' not in browser.page_source  # one ballot only
    browser.save_screenshot(str(SHOTS / "receipt.png"))

    browser.delete_all_cookies()
    _sign_in(browser, base, "voter-MTTQ")
    browser.get(f"{base}/ballots/{session.pk}/")
    browser.find_element(By.CSS_SELECTOR, "#close-form button").click()
    browser.find_element(By.CSS_SELECTOR, "#confirm-close-form button").click()  # the rule shown
    # Wait for the closed ballot's page (its minutes link) before reading the database.
    browser.find_element(By.CSS_SELECTOR, f'a[href="/api/v1/ballots/{session.pk}/minutes/"]')
    assert Dossier.objects.get(pk=dossier.pk).state == "not_approved"  # 1 of 9: no quorum
    assert receipt in session.receipts.values_list("receipt", flat=True)  # counted
    browser.get(f"{base}/dossiers/{dossier.pk}/")
    browser.save_screenshot(str(SHOTS / "dossier.png"))
    assert "bien-ban-kiem-phieu" in browser.page_source
    violations = _csp_violations(browser)

    # The other pages, and the language switch (static/js/site.js, no inline handler).
    for url in ("/", "/dossiers/", "/decisions/", "/audit/", "/flow.svg", "/dossiers/new/"):
        browser.get(f"{base}{url}")
        violations += _csp_violations(browser)
    browser.get(f"{base}/api/docs/")
    browser.find_element(By.CSS_SELECTOR, ".swagger-ui .opblock")  # drawn by its static script
    violations += _csp_violations(browser)
    browser.get(f"{base}/dossiers/")
    Select(browser.find_element(By.NAME, "language")).select_by_value("en")
    browser.find_element(By.CSS_SELECTOR, 'html[lang="en"]')  # the form was sent on change
    violations += _csp_violations(browser)
    assert violations == [], "\n".join(violations)
