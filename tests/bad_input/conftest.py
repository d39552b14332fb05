"""Shared checks for the bad-input suite: a refused request writes nothing.

`nothing_written` counts every row of the project's own tables (history and ledger included) and
every stored file before and after a block; any difference fails the test.
"""

import contextlib
import os

import pytest
from django.apps import apps
from django.conf import settings

from audit.verify import verify

PROJECT_APPS = ("audit", "dossiers", "approvals", "workflows")


def _counts() -> dict[str, int]:
    counts = {
        model._meta.label: model._default_manager.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }
    files = sum(len(names) for _root, _dirs, names in os.walk(settings.MEDIA_ROOT))
    counts["<media files>"] = files
    return counts


@pytest.fixture
def nothing_written(db):
    """with nothing_written(): <bad request> — fails if any row or file was added or removed."""

    @contextlib.contextmanager
    def check():
        before = _counts()
        yield
        after = _counts()
        changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
        assert not changed, f"a refused request wrote: {changed}"

    return check


@pytest.fixture(scope="module", autouse=True)
def _ledger_intact_after_module(django_db_setup, django_db_blocker):
    """The audit ledger verifies after every module of bad input has run."""
    yield
    with django_db_blocker.unblock():
        report = verify()
    assert report.ok, report.as_dict()
