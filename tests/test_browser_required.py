"""The browser tests skip where Chromium is missing, and fail there when CI requires them
(KHENTHUONG_BROWSER_REQUIRED=1, set by .ci/run): a CI run that could not drive a browser is red."""

import pytest

from tests.browser import REQUIRED_VARIABLE, browser_missing, ensure_browser

pytestmark = pytest.mark.django_db  # the suite's autouse fixtures read the organisation tree


def test_a_missing_browser_skips_where_it_is_not_required(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, no chromedriver
    monkeypatch.delenv(REQUIRED_VARIABLE, raising=False)
    assert "chromium" in browser_missing()
    with pytest.raises(pytest.skip.Exception):
        ensure_browser()


def test_a_missing_browser_fails_where_ci_requires_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(REQUIRED_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRED_VARIABLE):
        ensure_browser()
