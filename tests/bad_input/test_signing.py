"""Signatures without fresh proof, and malformed signing forms: a clear 4xx, nothing written.

Every signature carries a new authenticator code of the signer: in the API body (`otp`) and on
the UI form. Missing → 403 `otp_required`; already used → 403 `otp_invalid`; a malformed or
unknown form field → a form error (400) that consumes no code."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.models import Decision
from tests.signin import fresh_code, signin

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"
BODY = {"number": "4242/QĐ-TTg", "signed_on": "2026-11-20"}


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch):
    from accounts import auth

    monkeypatch.setattr(auth, "sleep", lambda seconds: None)


@pytest.fixture
def draft() -> Decision:
    return Decision.objects.filter(decider="TTG", state="draft").first()


def _last_t(username: str) -> int:
    return TOTPDevice.objects.get(user__username=username).last_t


def _sign(api, decision, body, **headers):
    return api("pm").post(f"/api/v1/decisions/{decision.pk}/sign/", body, format="json", **headers)


def test_api_signature_without_a_code_is_refused(api, draft, nothing_written):
    with nothing_written():
        answer = _sign(api, draft, BODY)
    assert answer.status_code == 403 and answer.json()["code"] == "otp_required"
    assert Decision.objects.get(pk=draft.pk).state == "draft"
    with nothing_written():  # blank, null: the same
        for otp in ("", None):
            blank = _sign(api, draft, {**BODY, "otp": otp})
            assert blank.status_code == 403 and blank.json()["code"] == "otp_required"
    with nothing_written():  # a missing code wins over the other fields' problems
        both = _sign(api, draft, {"signed_on": "2024-02-30"})
        assert both.status_code == 403 and both.json()["code"] == "otp_required"


def test_api_signature_with_a_used_code_is_refused(api, draft, nothing_written):
    code = fresh_code("pm")
    # The code signs the API client in: it is used.
    got = Client().post(
        TOKEN, {"username": "pm", "password": "demo", "otp": code}, content_type="application/json"
    )
    assert got.status_code == 200
    with nothing_written():
        replay = _sign(api, draft, {**BODY, "otp": code}, HTTP_IDEMPOTENCY_KEY="k-replay")
    assert replay.status_code == 403 and replay.json()["code"] == "otp_invalid"
    assert Decision.objects.get(pk=draft.pk).state == "draft"
    with nothing_written():
        for otp in ("000000", "12345", "1" * 50, "١٢٣٤٥٦", "12\x0034"):
            wrong = _sign(api, draft, {**BODY, "otp": otp})
            assert wrong.status_code == 403 and wrong.json()["code"] == "otp_invalid", otp
    assert Decision.objects.get(pk=draft.pk).state == "draft"


def test_api_signature_with_a_new_code_signs_once(api, draft):
    code = fresh_code("pm")
    signed = _sign(api, draft, {**BODY, "otp": code}, HTTP_IDEMPOTENCY_KEY="k-sign")
    assert signed.status_code == 200 and signed.json()["state"] == "signed"
    # A retry after a lost answer needs a new code; with the same key it acts once (200).
    retry = _sign(api, draft, {**BODY, "otp": fresh_code("pm")}, HTTP_IDEMPOTENCY_KEY="k-sign")
    assert retry.status_code == 200 and retry.json()["number"] == BODY["number"]
    assert Decision.objects.filter(number=BODY["number"]).count() == 1


def test_api_malformed_fields_consume_no_code(api, draft, nothing_written):
    code = fresh_code("pm")
    before = _last_t("pm")
    with nothing_written():
        bad = _sign(api, draft, {**BODY, "signed_on": "2024-02-30", "otp": code})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert _last_t("pm") == before  # the code is still unused


def test_api_proposal_to_the_president_needs_a_code_too(api, nothing_written):
    proposed = Decision.objects.filter(decider="CTN", state="draft").first()
    if proposed is None:
        pytest.skip("the demo world has no President draft")
    url = f"/api/v1/decisions/{proposed.pk}/propose/"
    with nothing_written():
        missing = api("pm").post(url, {"number": "9/TTr-TTg"}, format="json")
        assert missing.status_code == 403 and missing.json()["code"] == "otp_required"
        wrong = api("pm").post(url, {"number": "9/TTr-TTg", "otp": "000000"}, format="json")
        assert wrong.status_code == 403 and wrong.json()["code"] == "otp_invalid"
    ok = api("pm").post(url, {"number": "9/TTr-TTg", "otp": fresh_code("pm")}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "proposed"


@pytest.fixture
def pm_browser(db) -> Client:
    client = Client()
    assert signin(client, "pm")
    return client


@pytest.mark.parametrize(
    "fields",
    [
        {"decline_abc": "x"},
        {"decline_": "x"},
        {"decline_²": "x"},
        {"decline_999999999": "x"},  # names no nominee of the batch
        {"signed_on": "2024-02-30"},
        {"signed_on": "2023-13-45"},
        {"signed_on": ""},
        {"number": ""},
        {"number": "9" * 41},
        {"number": "1\x00/QĐ"},
        {"whatever": "1"},
    ],
    ids=lambda fields: ",".join(fields),
)
def test_ui_malformed_sign_form_is_a_form_error(pm_browser, draft, nothing_written, fields):
    url = f"/decisions/{draft.pk}/"
    code = fresh_code("pm")
    before = _last_t("pm")
    with nothing_written():
        page = pm_browser.post(url, {**BODY, "otp": code, **fields})
    assert page.status_code == 400
    assert 'id="sign-errors"' in page.content.decode()
    assert Decision.objects.get(pk=draft.pk).state == "draft"
    assert _last_t("pm") == before  # nothing consumed: the same code still signs
    signed = pm_browser.post(url, {**BODY, "otp": code})
    assert signed.status_code == 302 and Decision.objects.get(pk=draft.pk).state == "signed"


def test_ui_sign_without_a_code_or_with_a_used_one(pm_browser, draft, nothing_written):
    url = f"/decisions/{draft.pk}/"
    with nothing_written():
        missing = pm_browser.post(url, BODY)
        assert missing.status_code == 403
    code = fresh_code("pm")
    user = get_user_model().objects.get(username="pm")
    assert TOTPDevice.objects.get(user=user).verify_token(code)  # used elsewhere
    with nothing_written():
        used = pm_browser.post(url, {**BODY, "otp": code})
    assert used.status_code == 403 and 'value="4242/QĐ-TTg"' in used.content.decode()
    assert f'value="{code}"' not in used.content.decode()  # the next code is asked for
    assert Decision.objects.get(pk=draft.pk).state == "draft"


def test_ui_proposal_to_the_president_needs_a_code(pm_browser, nothing_written):
    proposed = Decision.objects.filter(decider="CTN", state="draft").first()
    nominee = proposed.dossiers.first().nominees.first()
    url = f"/decisions/{proposed.pk}/"
    form = {"op": "propose", "number": "10/TTr-TTg"}
    page = pm_browser.get(url).content.decode()
    assert 'name="otp"' in page and "decline_" not in page  # declines belong to the signature
    with nothing_written():
        assert pm_browser.post(url, form).status_code == 403
        declined = pm_browser.post(url, {**form, f"decline_{nominee.pk}": "x", "otp": "123456"})
        assert declined.status_code == 400
    done = pm_browser.post(url, {**form, "otp": fresh_code("pm")})
    assert done.status_code == 302 and Decision.objects.get(pk=proposed.pk).state == "proposed"
