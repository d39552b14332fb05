"""Sign-in hardening: lockout, a second factor for the board head, deciders and administrators
(browser and API token), re-authentication before a signature, sessions that expire."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from approvals.models import Decision
from tests.signin import code_now, fresh_code, signin
from workflows.demo import SECOND_FACTOR_PERSONAS

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


def _token(client, **body):
    return client.post(TOKEN, body, content_type="application/json")


def test_lockout_after_the_configured_failures(client):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        answer = client.post("/accounts/login/", {"username": "proposer-HND", "password": "x"})
        assert answer.status_code == 200
    locked = client.post("/accounts/login/", {"username": "proposer-HND", "password": "x"})
    assert locked.status_code == 429
    # Even the right password is refused while locked, in the browser and the API.
    right = client.post("/accounts/login/", {"username": "proposer-HND", "password": "demo"})
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    api = _token(client, username="proposer-HND", password="demo")
    assert api.status_code == 429 and api.json()["code"] == "locked_out"
    call_command("axes_reset")
    assert signin(Client(), "proposer-HND")


@pytest.mark.parametrize("username", SECOND_FACTOR_PERSONAS)
def test_second_factor_is_required_for_deciders_board_head_and_admins(client, username):
    without = client.post("/accounts/login/", {"username": username, "password": "demo"})
    assert without.status_code == 200 and "_auth_user_id" not in client.session
    wrong = client.post(
        "/accounts/login/", {"username": username, "password": "demo", "otp": "000000"}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert signin(client, username)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("username", SECOND_FACTOR_PERSONAS)
def test_api_token_needs_the_code_too(client, username):
    missing = _token(client, username=username, password="demo")
    assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
    wrong = _token(client, username=username, password="demo", otp="123456")
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    ok = _token(client, username=username, password="demo", otp=fresh_code(username))
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40


def test_others_sign_in_with_a_password(client):
    assert _token(client, username="board-officer", password="demo").status_code == 200
    assert signin(client, "inspector")


def test_a_session_without_the_second_factor_is_refused(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="pm"))  # bypasses the sign-in page
    answer = client.get("/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    assert admin.get("/admin/").status_code == 302


def test_signing_a_decision_asks_again(client, settings):
    settings.REAUTH_SECONDS = 0  # the sign-in is no longer recent
    decision = Decision.objects.filter(decider="TTG", state="draft").first()
    assert signin(client, "pm")
    url = f"/decisions/{decision.pk}/"
    body = {"number": "77/QĐ-TTg", "signed_on": "2026-11-20"}
    client.post(url, body)
    assert Decision.objects.get(pk=decision.pk).state == "draft"
    client.post(url, {**body, "password": "demo", "otp": "000000"})
    assert Decision.objects.get(pk=decision.pk).state == "draft"
    client.post(url, {**body, "password": "demo", "otp": fresh_code("pm")})
    assert Decision.objects.get(pk=decision.pk).state == "signed"


def test_sessions_expire_and_cookies_are_guarded():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY


def test_security_headers(client):
    answer = client.get("/accounts/login/")
    assert "default-src 'self'" in answer["Content-Security-Policy"]
    assert answer["X-Frame-Options"] == "DENY"


def test_code_helper_matches_the_demo_secret():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username="pm")
    assert device.verify_token(code_now())


def test_sign_out_needs_a_post(client):
    assert signin(client, "inspector")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_language_switch(client):
    assert signin(client, "inspector")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies["django_language"].value == "en"


def test_administrator_grants_and_withdraws_roles_in_the_admin(client):
    from django.contrib.auth import get_user_model

    from audit.models import LedgerEvent
    from dossiers.models import Dossier, Organization, RoleGrant

    newcomer = get_user_model().objects.create_user("officer-new", password="Mot-mat-khau-dai-9")
    board = Organization.objects.get(code="BTDKT-TW")
    assert signin(client, "admin")
    added = client.post(
        "/admin/dossiers/rolegrant/add/",
        {"user": newcomer.pk, "role": "board_officer", "organization": board.pk},
    )
    assert added.status_code == 302
    grant = RoleGrant.objects.get(user=newcomer)
    assert grant.history.first().history_user.username == "admin"
    assert LedgerEvent.objects.filter(action="role.granted", actor__username="admin").exists()
    # The new officer sees at once what the board already holds.
    assert (
        not Dossier.objects.filter(state="intake")
        .exclude(
            pk__in=__import__("dossiers.permissions", fromlist=["x"]).visible_dossiers(newcomer)
        )
        .filter(award_form__reviewing_body=board)
        .exists()
    )
    removed = client.post(f"/admin/dossiers/rolegrant/{grant.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302 and not RoleGrant.objects.filter(user=newcomer).exists()
    assert LedgerEvent.objects.filter(action="role.withdrawn").exists()
    newcomer = get_user_model().objects.get(pk=newcomer.pk)
    assert not newcomer.groups.exists()
