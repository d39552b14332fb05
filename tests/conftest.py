"""Shared fixtures: the demo world is built once per test session, through the real services."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflows.demo import World, demo_pdf, seed_demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo()


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture
def api(db):
    """api("board-officer") → an APIClient that authenticates with that persona's token."""

    def make(username: str) -> APIClient:
        user = get_user_model().objects.get(username=username)
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def pdf():
    return demo_pdf


@pytest.fixture(autouse=True)
def _append_only_teardown(request):
    """A transactional test ends by emptying every table with TRUNCATE, which the ledger and
    history tables refuse. For that teardown only, the test database's owner (a superuser here)
    lets it through, as an administrator recreating a database would; the tests themselves
    run with the triggers on."""
    marker = request.node.get_closest_marker("django_db")
    if not marker or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # so this fixture is torn down before the flush
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
