"""Shared fixtures: the demo world is built once per test session, through the real services."""

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from demo.world import (
    World,
    build_devices,
    build_organisations,
    build_signing_keys,
    build_users,
    demo_pdf,
    seed_demo,
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo()


@pytest.fixture
def world(db) -> World:
    return World()


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


@pytest.fixture
def api(db):
    """api("board-officer") → an APIClient that authenticates with that persona's token."""

    def make(username: str) -> APIClient:
        user = get_user_model().objects.get(username=username)
        _instance, token = AuthToken.objects.create(user=user)  # knox: stored as a digest
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def pdf():
    return demo_pdf


@pytest.fixture(autouse=True)
def _append_only_teardown(request):
    """A transactional test ends by emptying every table, which the ledger and history tables
    refuse. For that teardown only, the test database's owner lets it through, as an
    administrator recreating a database would (PostgreSQL: replica mode for the session;
    SQLite: the triggers dropped, and put back by the post_migrate that follows the flush).
    The tests themselves run with the triggers on."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker and marker.kwargs.get("transaction")
    if not transactional and "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # so this fixture is torn down before the flush
    from django.db import connection

    from audit.triggers import protected_tables

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            for table in protected_tables():
                for op in ("update", "delete"):
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{table}_no_{op}"')


@pytest.fixture(autouse=True)
def _organisation_tree(django_db_blocker):
    """The organisation tree (dossiers/levels.py) is read once per process and kept until an
    organisation changes: each test starts from the seeded tree, read before the test so that a
    test counting queries does not pay for it, and a test's rolled-back changes do not leak."""
    from dossiers import levels

    levels.forget()
    with django_db_blocker.unblock():
        levels.level(levels.CENTRAL)
    yield
    levels.forget()
