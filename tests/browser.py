"""What the browser tests share: whether headless Chromium can run, and a driver for it.

On a developer's machine without Debian's `chromium` and `chromium-driver` the browser tests
skip, saying why. CI sets KHENTHUONG_BROWSER_REQUIRED=1 (.ci/run): there a missing browser is a
failure, so a run that could not drive a browser never passes as green."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED_VARIABLE = "KHENTHUONG_BROWSER_REQUIRED"


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
    from selenium.webdriver.common.by import By

    from tests.signin import fresh_code

    driver.delete_all_cookies()
    driver.get(f"{base}/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys("demo")
    driver.find_element(By.NAME, "otp").send_keys(fresh_code(username))
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    driver.find_element(By.CSS_SELECTOR, "form[action$='/logout/']")  # signed in
