"""Errors at the edges: request bodies past the limits, the API's own failures, a database that
cannot be reached, idempotency keys reused or too long, and the Content-Security-Policy.

Each refused request asserts its status and `code` and, with `nothing_written`, that no row,
file or ledger event was written."""

import importlib
import json
import logging
import re
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.db import connections
from django.test import Client
from django.urls import path
from django.utils.translation import gettext
from rest_framework.response import Response
from rest_framework.views import APIView

import config.urls
from audit.models import LedgerEvent
from dossiers.errors import Conflict
from dossiers.models import ActionRequest, Dossier
from workflows import guards
from workflows.policy import actions as dossier_actions
from workflows.selectors import dossier_list_visible_to

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _post_json(client, url: str, body: str | bytes, method: str = "post"):
    return getattr(client, method)(url, data=body, content_type="application/json")


def _code(response) -> str:
    return response.json()["code"]


def _board_dossier(world, action: str = "return") -> Dossier:
    """A dossier on which the board officer may `action` now (from the demo world): offered to
    the officer, and let through by the action's guards (a return waits while the dossier's
    nominees are on an open ballot)."""
    officer = world.user("board-officer")
    found = [
        d
        for d in Dossier.objects.order_by("pk")
        if action in dossier_actions(officer, d) and _guards_pass(action, d)
    ]
    assert found, f"the demo world has no dossier to {action}"
    return found[0]


def _guards_pass(action: str, dossier: Dossier) -> bool:
    try:
        guards.check(action, dossier)
    except Conflict:
        return False
    return True


def _other_visible(world, dossier: Dossier) -> Dossier:
    """Another dossier the board officer sees (the key is checked before what may be done)."""
    visible = dossier_list_visible_to(world.user("board-officer")).exclude(pk=dossier.pk)
    return visible.order_by("pk").first()


# --- Request bodies: nesting depth, size, encoding ---------------------------------------------


def test_json_nested_1000_deep_on_the_token_endpoint_is_400(client, nothing_written):
    body = '{"username": ' + _nested(1000) + ', "password": "demo"}'
    with nothing_written():
        response = _post_json(client, TOKEN_URL, body)
        bare = _post_json(client, TOKEN_URL, _nested(1000))
    assert response.status_code == 400 and _code(response) == "too_deep"
    assert bare.status_code == 400 and _code(bare) == "too_deep"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/dossiers/"),
        ("patch", "/api/v1/dossiers/{pk}/"),
        ("post", "/api/v1/dossiers/{pk}/actions/withdraw/"),
        ("post", "/api/v1/decisions/"),
        ("post", "/api/v1/ballots/"),
    ],
)
def test_json_nested_1000_deep_on_dossier_endpoints_is_400(api, method, url, nothing_written):
    dossier = Dossier.objects.filter(organization__code="VUSTA", state="draft").first()
    pk = dossier.pk if dossier else 1
    body = json.dumps({"title": "x", "nominees": "PLACEHOLDER"}).replace(
        '"PLACEHOLDER"', _nested(1000)
    )
    with nothing_written():
        response = _post_json(api("proposer-VUSTA"), url.format(pk=pk), body, method)
    assert response.status_code == 400, response.content
    assert _code(response) == "too_deep"


def test_depth_limit_is_the_configured_one(client, settings, nothing_written):
    settings.API_JSON_MAX_DEPTH = 5
    at_limit = '{"username": ' + _nested(4) + ', "password": "demo"}'  # depth 5
    past_limit = '{"username": ' + _nested(5) + ', "password": "demo"}'  # depth 6
    brackets_in_strings = json.dumps({"username": "[" * 50, "password": "{" * 50})
    with nothing_written():
        within = _post_json(client, TOKEN_URL, at_limit)
        beyond = _post_json(client, TOKEN_URL, past_limit)
        quoted = _post_json(client, TOKEN_URL, brackets_in_strings)
    # within the limit, the serializer answers (a list is not a username)
    assert within.status_code == 400 and _code(within) == "invalid"
    assert beyond.status_code == 400 and _code(beyond) == "too_deep"
    assert quoted.status_code == 400 and _code(quoted) != "too_deep"  # strings are not nesting


def test_json_body_over_the_default_2_mb_is_413(api, nothing_written):
    assert django_settings.API_JSON_MAX_BYTES == 2 * 1024 * 1024
    body = json.dumps({"title": "x" * (2 * 1024 * 1024), "award_form": "BK-TTG", "year": 2024})
    with nothing_written():
        response = _post_json(api("proposer-VUSTA"), "/api/v1/dossiers/", body)
    assert response.status_code == 413
    assert _code(response) == "too_large"


def test_json_body_limit_is_configurable(client, settings, nothing_written):
    settings.API_JSON_MAX_BYTES = 1000
    body = json.dumps({"username": "u" * 1000, "password": "demo"})
    with nothing_written():
        response = _post_json(client, TOKEN_URL, body)
    assert response.status_code == 413 and _code(response) == "too_large"
    assert "1000" in response.json()["detail"]
    # a form-encoded body to the API has the same cap (uploads, multipart, have their own)
    with nothing_written():
        form = client.post(TOKEN_URL, data=f"username={'u' * 1000}&password=demo",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert form.status_code == 413 and _code(form) == "too_large"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"username": "\xff\xfe", "password": "demo"}', "invalid_encoding"),
        (b'{"username": "pm", "password": ', "parse_error"),
        (b"username=pm&password=demo", "parse_error"),
        (b'{"username": NaN, "password": "demo"}', "parse_error"),
    ],
)
def test_a_body_that_is_not_json_or_not_utf8_is_400(client, body, code, nothing_written):
    with nothing_written():
        response = _post_json(client, TOKEN_URL, body)
    assert response.status_code == 400
    assert _code(response) == code


# --- The API's own failures are JSON -----------------------------------------------------------


class _Failing(APIView):
    """A view that fails the way a bug would (only in this test's URLconf)."""

    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        return Response({"ratio": 1 / 0})


def _failing_plain_view(request):
    raise RuntimeError("a bug outside DRF")


urlpatterns = [
    path("api/v1/failing/", _Failing.as_view()),
    path("api/v1/failing-plain/", _failing_plain_view),
    path("failing-page/", _failing_plain_view),
    *config.urls.urlpatterns,
]
handler400, handler403 = config.urls.handler400, config.urls.handler403
handler404, handler500 = config.urls.handler404, config.urls.handler500


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.mark.parametrize("url", ["/api/v1/failing/", "/api/v1/failing-plain/"])
def test_an_unexpected_exception_under_api_is_json_500_logged_with_the_request_id(
    failing_urls, url, caplog, nothing_written
):
    client = Client(raise_request_exception=False)
    with nothing_written(), caplog.at_level(logging.ERROR, logger="workflows.errors"):
        response = client.get(url, HTTP_X_REQUEST_ID="probe-500-request")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "server_error" and body["detail"]
    assert body["request_id"] == "probe-500-request"
    assert "Traceback" not in response.content.decode() and "<html" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "workflows.errors"]
    assert logged and "request_id=probe-500-request" in logged[0].getMessage()
    assert logged[0].exc_info is not None  # the traceback is in the log, not in the answer


def test_an_unexpected_exception_in_the_ui_is_the_500_page(failing_urls, nothing_written):
    client = Client(raise_request_exception=False)
    with nothing_written():
        response = client.get("/failing-page/", HTTP_X_REQUEST_ID="probe-500-page")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "probe-500-page" in text and "Traceback" not in text and "RuntimeError" not in text


def test_an_unknown_api_url_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- A database that refuses connections: 503, and the next request succeeds --------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@contextmanager
def database_down():
    """The real connection is closed and pointed at a database that is not there: a file in a
    directory that does not exist (SQLite) or a closed port (PostgreSQL). Every query of the
    request then fails on connect, as when the server is down; afterwards the settings are put
    back and the application must connect again by itself."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-khenthuong/down.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_database_down_is_503_on_the_api_and_the_ui_and_the_next_request_succeeds(
    nothing_written,
):
    user = get_user_model().objects.create_user("outage-probe", password="a long probe pass 1")
    api, ui, anonymous = Client(raise_request_exception=False), Client(), Client()
    ui.raise_request_exception = False
    api.force_login(user)
    ui.force_login(user)

    with nothing_written():
        with database_down():
            listed = api.get("/api/v1/dossiers/")  # the session is read first: middleware fails
            created = api.post(
                "/api/v1/dossiers/",
                data={"title": "x", "award_form": "BK-TTG", "year": 2024},
                content_type="application/json",
            )
            token = anonymous.post(  # inside a DRF view: the exception handler answers
                TOKEN_URL, data={"username": "outage-probe", "password": "x"}
            )
            page = ui.get("/dossiers/", HTTP_ACCEPT_LANGUAGE="vi")
        after_api = api.get("/api/v1/dossiers/")
        after_ui = ui.get("/dossiers/")

    for response in (listed, created, token):
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "unavailable"
        assert response["Retry-After"]
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert gettext("Service briefly unavailable") in page.content.decode()
    assert "OperationalError" not in page.content.decode()
    assert after_api.status_code == 200 and after_api.json()["results"] == []
    assert after_ui.status_code == 200


# --- Idempotency keys: bound to user, method, path and body ------------------------------------


def _return(client, dossier: Dossier, key: str, reason: str = "Thiếu biên bản họp xét."):
    return client.post(
        f"/api/v1/dossiers/{dossier.pk}/actions/return/",
        {"reason": reason},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retry_with_the_same_key_acts_once_and_answers_the_same(api, world):
    dossier = _board_dossier(world)
    client = api("board-officer")
    events = LedgerEvent.objects.count()
    first = _return(client, dossier, "retry-key-1")
    second = _return(client, dossier, "retry-key-1")
    assert first.status_code == 200 and second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["state"] == "returned"
    assert ActionRequest.objects.filter(key="retry-key-1").count() == 1
    assert LedgerEvent.objects.count() > events
    after_first = LedgerEvent.objects.count()
    third = _return(client, dossier, "retry-key-1")
    assert third.status_code == 200 and LedgerEvent.objects.count() == after_first  # acted once


def test_a_key_reused_on_another_dossier_action_or_body_is_422(api, world, nothing_written):
    first = _board_dossier(world)
    other = _other_visible(world, first)
    client = api("board-officer")
    assert _return(client, first, "reuse-key-1").status_code == 200
    with nothing_written():
        on_other_dossier = _return(client, other, "reuse-key-1")
        other_body = _return(client, first, "reuse-key-1", reason="Another reason entirely.")
        other_action = client.post(
            f"/api/v1/dossiers/{first.pk}/actions/withdraw/",
            {"reason": "Thiếu biên bản họp xét."},
            format="json",
            HTTP_IDEMPOTENCY_KEY="reuse-key-1",
        )
    for response in (on_other_dossier, other_body, other_action):
        assert response.status_code == 422, response.content
        assert _code(response) == "idempotency_key_reused"
    assert Dossier.objects.get(pk=other.pk).state != "returned"


def test_a_key_reused_on_another_action_of_the_same_dossier_is_422(api, world, nothing_written):
    dossier = _board_dossier(world)
    client = api("board-officer")
    assert "accept" in dossier_actions(world.user("board-officer"), dossier)
    assert _return(client, dossier, "reuse-key-2").status_code == 200
    with nothing_written():
        response = client.post(
            f"/api/v1/dossiers/{dossier.pk}/actions/accept/",
            {"reason": "Thiếu biên bản họp xét."},
            format="json",
            HTTP_IDEMPOTENCY_KEY="reuse-key-2",
        )
    assert response.status_code == 422 and _code(response) == "idempotency_key_reused"


def test_the_same_key_of_another_user_is_its_own(api, world):
    """Keys are per user: another user's key of the same text does not collide."""
    dossier = _board_dossier(world)
    ActionRequest.objects.create(user=world.user("inspector"), key="shared-text", action="x")
    response = _return(api("board-officer"), dossier, "shared-text")
    assert response.status_code == 200 and response.json()["state"] == "returned"


@pytest.mark.parametrize("key", ["k" * 129, "k" * 1000, "bad key with spaces", "ключ"])
def test_a_key_too_long_or_not_visible_ascii_is_400_not_cut(api, world, key, nothing_written):
    dossier = _board_dossier(world)
    with nothing_written():
        response = _return(api("board-officer"), dossier, key)
    assert response.status_code == 400, response.content
    assert _code(response) == "idempotency_key_invalid"


def test_a_key_at_the_configured_limit_is_accepted(api, world, settings):
    settings.IDEMPOTENCY_KEY_MAX_LENGTH = 100
    dossier = _board_dossier(world)
    assert _return(api("board-officer"), dossier, "k" * 100).status_code == 200
    assert ActionRequest.objects.filter(key="k" * 100).exists()  # stored whole


def test_ui_request_key_retry_acts_once_and_reuse_on_another_dossier_is_refused(
    client, world, nothing_written
):
    first = _board_dossier(world)
    other = _other_visible(world, first)
    client.force_login(world.user("board-officer"))
    form = {"request_key": "ui-key-1-return", "reason": "Thiếu biên bản họp xét."}
    client.post(f"/dossiers/{first.pk}/actions/return/", form)
    assert Dossier.objects.get(pk=first.pk).state == "returned"
    with nothing_written():
        replay = client.post(f"/dossiers/{first.pk}/actions/return/", form)
        elsewhere = client.post(f"/dossiers/{other.pk}/actions/return/", form, follow=True)
    assert replay.status_code == 302
    assert elsewhere.status_code == 200
    assert Dossier.objects.get(pk=other.pk).state != "returned"
    shown = [str(m) for m in elsewhere.context["messages"]]
    assert any("idempotency key" in m.lower() or "khóa" in m.lower() for m in shown), shown


# --- Content-Security-Policy ------------------------------------------------------------------


def test_csp_allows_no_inline_script_or_style_and_is_the_production_policy(
    client, world, monkeypatch
):
    client.force_login(world.user("board-officer"))
    header = client.get("/dossiers/")["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in header.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "example.org")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:5432/x")
    sys.modules.pop("config.settings.production", None)
    production = importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)
    assert production.CONTENT_SECURITY_POLICY == django_settings.CONTENT_SECURITY_POLICY
    assert "csp.middleware.CSPMiddleware" in production.MIDDLEWARE


def test_only_the_flow_chart_may_be_framed_and_only_by_the_site(client, world):
    """The dossier page shows the flow chart in an <object>: that response alone may be framed
    by the site itself (and keeps its inline SVG styles); every other page is never framed."""
    client.force_login(world.user("board-officer"))
    chart, page = client.get("/flow.svg"), client.get("/dossiers/")
    assert chart.status_code == 200 and page.status_code == 200
    assert "frame-ancestors 'self'" in chart["Content-Security-Policy"]
    assert "script-src 'self';" in chart["Content-Security-Policy"] + ";"
    assert chart["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def test_no_template_carries_inline_script_handlers_or_styles():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style = re.compile(r"<style|\sstyle\s*=", re.I)
    offenders = []
    for template in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        for name, pattern in (("script", inline_script), ("handler", handler), ("style", style)):
            if pattern.search(text):
                offenders.append(f"{template.name}: inline {name}")
    assert not offenders


def test_the_static_script_and_stylesheet_are_found_by_staticfiles():
    for name in ("js/site.js", "css/site.css"):
        found = finders.find(name)
        assert found and Path(found).stat().st_size > 100
