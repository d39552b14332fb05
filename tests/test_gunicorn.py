"""gunicorn's hooks (config/gunicorn.py): a worker freezes its objects once the app is loaded
and again after its first requests, so full collections no longer walk what it keeps for life."""

import gc
from types import SimpleNamespace

import pytest

from config import gunicorn


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.django_db  # the suite's organisation tree is read before every test
def test_a_worker_freezes_after_loading_and_after_its_first_requests(unfrozen):
    worker = SimpleNamespace()
    gunicorn.post_worker_init(worker)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    kept = []  # what the first requests made and keep
    for served in range(1, 301):
        kept.append(SimpleNamespace())
        gunicorn.post_request(worker, None, {}, None)
        frozen = gc.get_freeze_count()
        if served < gunicorn.FREEZE_AT[0]:
            assert frozen == 0, served
        if served == gunicorn.FREEZE_AT[0]:
            assert frozen > 0
            gc.unfreeze()
        if served == gunicorn.FREEZE_AT[1]:
            assert frozen > 0
            gc.unfreeze()
    assert gc.get_freeze_count() == 0  # no freeze past the last point
    assert worker.khenthuong_served == 300
