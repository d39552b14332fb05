"""What the browser journeys of tests/web share: a headless Chromium and the demo's people."""

import pytest

from demo.world import (
    World,
    build_devices,
    build_organisations,
    build_signing_keys,
    build_users,
)
from tests.browser import chromium


@pytest.fixture
def browser():
    """Headless Chromium at a desk's width (a module may define its own)."""
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def demo_world(db):
    """The demo's organisations, blocs, personas, their devices and signing keys (idempotent:
    present when the session's demo world is, rebuilt after an earlier transactional test
    emptied it)."""
    build_organisations()
    build_users()
    build_devices()
    build_signing_keys()
    return World()
