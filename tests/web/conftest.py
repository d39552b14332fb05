"""What the browser journeys of tests/web share: a headless Chromium (the demo's people are
tests/conftest.py's `demo_world`)."""

import pytest

from tests.browser import chromium


@pytest.fixture
def browser():
    """Headless Chromium at a desk's width (a module may define its own)."""
    driver = chromium()
    yield driver
    driver.quit()
