"""Sign-in hardening: lockout, a second factor for the board head, deciders and administrators
(browser and API token), re-authentication before a signature, sessions that expire."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from accounts.auth import verify_code
from approvals.models import Decision
from demo.world import SECOND_FACTOR_PERSONAS
from tests.signin import code_now, fresh_code, signin

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
    assert ok.status_code == 200 and len(ok.json()["token"]) == 64 and ok.json()["expires_at"]


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
    assert client.post(url, body).status_code == 403
    assert Decision.objects.get(pk=decision.pk).state == "draft"
    assert client.post(url, {**body, "password": "demo", "otp": "000000"}).status_code == 403
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
        .exclude(pk__in=__import__("workflows.policy", fromlist=["x"]).visible_dossiers(newcomer))
        .filter(holder__code="TTG")  # held by the central level, whose board this is
        .exists()
    )
    removed = client.post(f"/admin/dossiers/rolegrant/{grant.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302 and not RoleGrant.objects.filter(user=newcomer).exists()
    assert LedgerEvent.objects.filter(action="role.withdrawn").exists()
    newcomer = get_user_model().objects.get(pk=newcomer.pk)
    assert not newcomer.groups.exists()


# --- API tokens (django-rest-knox): per client, hashed at rest, expiring, revocable ---------


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """The spraying delays asked for, recorded instead of slept."""
    from accounts import auth

    asked: list[float] = []
    monkeypatch.setattr(auth, "sleep", asked.append)
    return asked


def _bearer(token: str):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_tokens_are_per_client_hashed_at_rest_and_carry_their_expiry(client, settings):
    import datetime

    from django.db import connection
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime
    from knox.models import AuthToken

    first = _token(client, username="board-officer", password="demo").json()
    second = _token(client, username="board-officer", password="demo").json()
    assert first["token"] != second["token"]  # one per client: the first stays valid
    assert _bearer(first["token"]).get("/api/v1/dossiers/").status_code == 200
    assert _bearer(second["token"]).get("/api/v1/dossiers/").status_code == 200
    expires = parse_datetime(first["expires_at"])
    expected = timezone.now() + datetime.timedelta(seconds=8 * 3600)
    assert abs((expires - expected).total_seconds()) < 60
    # Only a digest is stored: no column of any row holds the token.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert AuthToken.objects.filter(user__username="board-officer").count() >= 2
    assert first["token"] not in stored and second["token"] not in stored


def test_an_expired_token_is_refused_with_token_expired(client, settings):
    import datetime

    import time_machine
    from django.utils import timezone

    token = _token(client, username="board-officer", password="demo").json()["token"]
    api = _bearer(token)
    assert api.get("/api/v1/dossiers/").status_code == 200
    later = timezone.now() + datetime.timedelta(seconds=settings.REST_KNOX["TOKEN_TTL"].seconds)
    with time_machine.travel(later + datetime.timedelta(minutes=1), tick=False):
        expired = api.get("/api/v1/dossiers/")
        assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
        assert expired["WWW-Authenticate"] == "Token"
        # Asking for a new token ignores the old header, and the new one works.
        fresh = api.post(
            TOKEN, {"username": "board-officer", "password": "demo"}, format="json"
        ).json()["token"]
        assert _bearer(fresh).get("/api/v1/dossiers/").status_code == 200
    assert _bearer("0" * 64).get("/api/v1/dossiers/").json()["code"] == "authentication_failed"


def test_delete_revokes_the_token_used_and_leaves_a_ledger_event(client):
    from knox.models import AuthToken

    from audit.models import LedgerEvent

    one = _token(client, username="inspector", password="demo").json()["token"]
    other = _token(client, username="inspector", password="demo").json()["token"]
    before = LedgerEvent.objects.count()
    answer = _bearer(one).delete(TOKEN)
    assert answer.status_code == 204
    assert _bearer(one).get("/api/v1/dossiers/").status_code == 401
    assert _bearer(other).get("/api/v1/dossiers/").status_code == 200  # the other client's
    event = LedgerEvent.objects.get(seq=before + 1)
    assert event.action == "api_token.revoked" and event.actor.username == "inspector"
    assert '"how":"self"' in event.body and one not in event.body
    assert not AuthToken.objects.filter(token_key=one[:15]).exists()
    assert _bearer(one).delete(TOKEN).status_code == 401  # already gone
    assert client.delete(TOKEN).status_code == 401  # no token, nothing to revoke


def test_an_administrator_revokes_a_token_in_the_admin(client):
    from knox.models import AuthToken

    from audit.models import LedgerEvent

    token = _token(client, username="board-officer", password="demo").json()["token"]
    row = AuthToken.objects.get(token_key=token[:15])
    admin = Client()
    assert signin(admin, "admin")
    listing = admin.get("/admin/knox/authtoken/")
    assert listing.status_code == 200 and row.digest[:16] in listing.content.decode()
    gone = admin.post(f"/admin/knox/authtoken/{row.digest}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not AuthToken.objects.filter(pk=row.pk).exists()
    event = LedgerEvent.objects.order_by("-seq").first()
    assert event.action == "api_token.revoked" and event.actor.username == "admin"
    assert '"how":"admin"' in event.body and '"user":"board-officer"' in event.body
    assert _bearer(token).get("/api/v1/dossiers/").status_code == 401


# --- Lockout by (user, address); spraying slowed per user; the client address -------------

ATTACKER, OWN = "203.0.113.66", "198.51.100.7"


def _fail(username: str, address: str, times: int) -> int:
    status = 0
    for _ in range(times):
        status = (
            Client(REMOTE_ADDR=address)
            .post("/accounts/login/", {"username": username, "password": "wrong-password"})
            .status_code
        )
    return status


def test_an_attacker_locks_only_its_own_address_out(settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert _fail("pm", ATTACKER, limit) == 429
    # From the attacker's address even the right password and code are refused ...
    attacker = Client(REMOTE_ADDR=ATTACKER)
    assert not signin(attacker, "pm")
    api = attacker.post(
        TOKEN,
        {"username": "pm", "password": "demo", "otp": fresh_code("pm")},
        content_type="application/json",
    )
    assert api.status_code == 429 and api.json()["code"] == "locked_out"
    # ... while the decider, from its own address, signs in with password and code: browser ...
    own = Client(REMOTE_ADDR=OWN)
    assert signin(own, "pm") and own.get("/").status_code == 200
    # ... and API.
    token = Client(REMOTE_ADDR=OWN).post(
        TOKEN,
        {"username": "pm", "password": "demo", "otp": fresh_code("pm")},
        content_type="application/json",
    )
    assert token.status_code == 200 and token.json()["token"]


def test_password_spraying_across_addresses_is_slowed_not_locked(settings, waits):
    settings.SIGNIN_DELAY_AFTER, settings.SIGNIN_DELAY_BASE, settings.SIGNIN_DELAY_MAX = 3, 0.5, 4
    for n in range(8):  # one failure from each of eight addresses: no pair reaches the limit
        assert _fail("head-HND", f"192.0.2.{n + 1}", 1) == 200
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0]  # from the 4th attempt: doubling, capped
    # The user is slowed too, but gets in from its own address; so does its API client.
    assert signin(Client(REMOTE_ADDR=OWN), "head-HND")
    answer = Client(REMOTE_ADDR=OWN).post(
        TOKEN, {"username": "head-HND", "password": "demo"}, content_type="application/json"
    )
    assert answer.status_code == 200 and waits[-2:] == [4.0, 4.0]
    # Other users are not slowed.
    waits.clear()
    assert signin(Client(REMOTE_ADDR=OWN), "head-HCCB") and waits == []


def test_x_forwarded_for_counts_only_behind_a_configured_proxy(settings):
    from axes.models import AccessAttempt

    limit = settings.AXES_FAILURE_LIMIT
    proxy = "10.0.0.2"

    def fail_via_proxy(forwarded: str) -> int:
        return (
            Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)
            .post("/accounts/login/", {"username": "proposer-VUFO", "password": "x"})
            .status_code
        )

    # No proxy configured: the header is the client's own word and is ignored, so changing it
    # on every attempt does not escape the lockout of the address the request really came from.
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    statuses = [fail_via_proxy(f"192.0.2.{n}") for n in range(limit)]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {proxy}
    call_command("axes_reset")

    # One proxy configured (PROXY_COUNT=1): the address the proxy appended, the right-most,
    # whatever the client put in front of it.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    assert fail_via_proxy("6.6.6.6, 203.0.113.9") == 200
    assert fail_via_proxy("7.7.7.7, 203.0.113.9") == 200
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    assert AccessAttempt.objects.get().failures_since_start == 2
    # A user behind that proxy at another address is not locked by it.
    assert [fail_via_proxy(f"1.1.1.{n}, 203.0.113.9") for n in range(limit)][-1] == 429
    own = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert (
        own.post("/accounts/login/", {"username": "proposer-VUFO", "password": "demo"}).status_code
        == 302
    )


def test_proxy_settings_follow_the_environment():
    import importlib
    import os

    from config.settings import base

    old = os.environ.get("PROXY_COUNT")
    os.environ["PROXY_COUNT"] = "2"
    try:
        module = importlib.reload(base)
        assert module.AXES_IPWARE_PROXY_COUNT == 1
        assert module.AXES_IPWARE_META_PRECEDENCE_ORDER == ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    finally:
        if old is None:
            os.environ.pop("PROXY_COUNT")
        else:
            os.environ["PROXY_COUNT"] = old
        module = importlib.reload(base)
    assert module.AXES_IPWARE_PROXY_COUNT is None
    assert module.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)


# --- Signing in the browser: a new code each time, the form kept filled in ----------------


def test_ui_signature_needs_a_new_code_and_keeps_the_form_filled_in(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    decision = Decision.objects.filter(decider="TTG", state="draft").first()
    nominee = decision.dossiers.first().nominees.first()
    assert signin(client, "pm")  # recent: no password needed, but a code is
    url = f"/decisions/{decision.pk}/"
    body = {"number": "78/QĐ-TTg", "signed_on": "2026-11-20", f"decline_{nominee.pk}": "Lý do"}
    used = fresh_code("pm")
    assert verify_code(get_user_model().objects.get(username="pm"), used)  # used, e.g. to sign in
    page = client.post(url, {**body, "otp": used})
    assert page.status_code == 403 and Decision.objects.get(pk=decision.pk).state == "draft"
    html = page.content.decode()
    for value in ('value="78/QĐ-TTg"', 'value="2026-11-20"', 'value="Lý do"'):
        assert value in html
    assert f'value="{used}"' not in html  # the used code is not offered again: the next one is
    # The next code signs (here: the device forgets the last one, and the failed try).
    code = fresh_code("pm")
    done = client.post(url, {**body, "otp": code})
    assert done.status_code == 302 and Decision.objects.get(pk=decision.pk).state == "signed"
    assert Decision.objects.get(pk=decision.pk).number == "78/QĐ-TTg"
    # A code works once: the same code again is refused (before the batch's state is looked at).
    again = client.post(url, {**body, "otp": code})
    assert again.status_code == 403 and TOTPDevice.objects.get(user__username="pm").last_t > 0


def test_the_ledger_records_the_address_the_lockout_uses(client, settings):
    from audit.models import LedgerEvent

    token = _token(client, username="inspector", password="demo").json()["token"]
    settings.AXES_IPWARE_PROXY_COUNT = 0  # one proxy (PROXY_COUNT=1)
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    _bearer(token).delete(TOKEN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.44")
    event = LedgerEvent.objects.order_by("-seq").first()
    assert event.action == "api_token.revoked" and event.client_ip == "192.0.2.44"
