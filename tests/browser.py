"""What the browser tests share: whether headless Chromium can run, a driver for it, and `Walk`,
a persona's clicks with a screenshot per step and explicit waits for each next page.

On a developer's machine without Debian's `chromium` and `chromium-driver` the browser tests
skip, saying why. CI sets KHENTHUONG_BROWSER_REQUIRED=1 (.ci/run): there a missing browser is a
failure, so a run that could not drive a browser never passes as green."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from demo.world import demo_pdf

try:  # a developer's machine without the dev dependencies: browser_missing() says so
    from selenium.common.exceptions import (
        StaleElementReferenceException,
        TimeoutException,
        WebDriverException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover
    pass

REQUIRED_VARIABLE = "KHENTHUONG_BROWSER_REQUIRED"
SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"  # git-ignored
WAIT = 20  # seconds for a page to load on a loaded machine


def browser_required() -> bool:
    return os.environ.get(REQUIRED_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def browser_missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    missing = [name for name in ("chromium", "chromedriver") if not shutil.which(name)]
    if missing:
        return f"needs Debian's chromium and chromium-driver ({', '.join(missing)} not found)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (the dev dependencies: make install)"
    return ""


# Module or test mark: skip when the browser is missing, unless CI requires it; then the test
# runs and `ensure_browser()` (called by `chromium()`) fails it with the reason.
needs_browser = pytest.mark.skipif(
    bool(browser_missing()) and not browser_required(),
    reason=browser_missing() or "needs Debian's chromium and chromium-driver",
)


def ensure_browser() -> None:
    """Skip the test when Chromium cannot run here, or fail it when it is required."""
    reason = browser_missing()
    if not reason:
        return
    if browser_required():
        pytest.fail(f"{REQUIRED_VARIABLE} is set but the browser tests cannot run: {reason}")
    pytest.skip(reason)


def chromium(*, width: int = 1280, height: int = 1000, lang: str = "vi"):
    """A headless Chromium at the given window size, its console kept for the test to read."""
    ensure_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--hide-scrollbars", f"--window-size={width},{height}", f"--lang={lang}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(5)
    return driver


def sign_in(driver, base: str, username: str) -> None:
    """Sign in as a demo persona (password "demo", a fresh TOTP code) and wait for the page."""
    from tests.signin import fresh_code

    driver.delete_all_cookies()
    driver.get(f"{base}/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys("demo")
    driver.find_element(By.NAME, "otp").send_keys(fresh_code(username))
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    driver.find_element(By.CSS_SELECTOR, "form[action$='/logout/']")  # signed in


def replaced(page) -> bool:
    """Whether the element `page` (a page's <html>) has left the document. Selenium's
    `staleness_of` asks the old node and waits for a stale-element error; while Chromium swaps
    the documents the same question may meet "Node with given id does not belong to the
    document" instead, which says the same thing (met on a loaded machine, PostgreSQL)."""
    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


class Walk:
    """A persona's clicks: numbered screenshots in artifacts/screenshots/<route>/, page loads
    awaited, refusals reported."""

    def __init__(self, driver, base: str, route: str, tmp_path: Path) -> None:
        self.driver, self.base, self.n = driver, base, 0
        self.shots = SHOTS / route
        self.shots.mkdir(parents=True, exist_ok=True)
        for old in self.shots.glob("*.png"):
            old.unlink()
        self.tmp = tmp_path
        self.console: list[dict] = []

    def shot(self, name: str) -> None:
        self.n += 1
        self.driver.save_screenshot(str(self.shots / f"{self.n:02d}-{name}.png"))

    def as_(self, username: str) -> None:
        self.console += self.driver.get_log("browser")
        sign_in(self.driver, self.base, username)

    def problems(self) -> list[str]:
        """What the browser's console reported: script errors, refused resources (a CSP
        violation among them); the missing favicon aside."""
        self.console += self.driver.get_log("browser")
        return [
            e["message"]
            for e in self.console
            if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]
        ]

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def xpath(self, path: str):
        return self.driver.find_element(By.XPATH, path)

    def open(self, element) -> None:
        """Click a link or a submit button and wait for the next page; fail with what the page
        says when it shows an error."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.arrived(page)

    def arrived(self, page) -> None:
        """Wait until `page` is replaced and the new one has loaded; fail with its errors."""
        try:
            WebDriverWait(self.driver, WAIT).until(lambda _driver: replaced(page))
            WebDriverWait(self.driver, WAIT).until(
                lambda driver: driver.execute_script("return document.readyState") == "complete"
            )
        except TimeoutException:
            url = self.driver.current_url
            raise AssertionError(f"no new page after the click at {url}") from None
        self.driver.find_element(By.TAG_NAME, "main")
        errors = self.now(
            "ul.messages li.error, .errorlist, #batch-errors, #sign-errors, #answer-errors"
        )
        texts = [e.text for e in errors if e.text.strip()]
        assert not texts, f"{self.driver.current_url}: {texts}"

    def now(self, css: str) -> list:
        """The elements on the page as it is (no implicit wait for them to appear)."""
        self.driver.implicitly_wait(0)
        try:
            return self.driver.find_elements(By.CSS_SELECTOR, css)
        finally:
            self.driver.implicitly_wait(5)

    def stop_refresh(self) -> None:
        """Untick the open ballot's 30-second refresh, as its reader may: a reload between
        finding a button and clicking it would leave the test on the same page."""
        for box in self.now("input[data-auto-refresh]"):
            if box.is_selected():
                box.click()

    def submit(self, form: str, reason: str = "", code: str = "") -> None:
        """Fill the action form `form` (a CSS selector): its reason code and its reason when
        given; submit it and wait for the success message."""
        if code:
            Select(self.find(f"{form} select[name=reason_code]")).select_by_value(code)
        if reason:
            self.find(f"{form} input[name=reason]").send_keys(reason)
        self.click(f"{form} button")
        self.find("ul.messages li.success")

    def click(self, css: str) -> None:
        """Find and open; found on a page still being replaced (after a sign-in's redirect),
        the element may be gone when clicked: find it again (the click did nothing)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        for attempt in range(3):
            try:
                self.find(css).click()
                break
            except (StaleElementReferenceException, WebDriverException) as exc:
                gone = isinstance(exc, StaleElementReferenceException) or (
                    "does not belong to the document" in str(exc)
                )
                if not gone or attempt == 2:
                    raise
                page = self.driver.find_element(By.TAG_NAME, "html")
        self.arrived(page)

    def to_dossier(self, dossier) -> None:
        """The menu's "Dossiers" → search for its reference → the dossier's page."""
        self.click("header nav a[href='/dossiers/']")
        self.find("#f-q").send_keys(dossier.reference)
        self.click("#dossier-filters button[type=submit]")
        self.click(f"#content a[href='/dossiers/{dossier.pk}/']")

    def state(self) -> str:
        return self.find("main p span.state").text

    def main_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def pdf(self, name: str) -> str:
        """A small real PDF on disk, for the file input."""
        path = self.tmp / name
        path.write_bytes(demo_pdf(name).read())
        return str(path)
