"""Sign-in: password (with lockout per user and address, and a growing delay per user against
password spraying), a TOTP second factor for the board head, the deciders and administrators,
a fresh code on every signature, and the API's tokens (django-rest-knox: one per client,
hashed at rest, expiring, revocable)."""

from __future__ import annotations

import datetime
import re
import time
from hmac import compare_digest

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from audit import ledger
from dossiers.errors import ProofRequired
from dossiers.models import Role
from dossiers.permissions import user_roles

SECOND_FACTOR_ROLES = {Role.BOARD_HEAD, Role.DECIDER}
REAUTH_KEY = "kt_reauth_at"

WRONG_PASSWORD = gettext_lazy("Wrong username or password.")
CODE_NEEDED = gettext_lazy("Enter the 6-digit code from your authenticator app.")
CODE_WRONG = gettext_lazy("The code is wrong or has already been used.")
LOCKED = gettext_lazy(
    "Too many failed sign-ins from this address: signing in to this account from here is "
    "paused for a while."
)
CODE_TO_SIGN = gettext_lazy("Signing needs a new code from your authenticator app.")
CODE_USED = gettext_lazy(
    "The code is wrong or has already been used: wait for the next code and sign again."
)
TOKEN_EXPIRED = gettext_lazy("The token has expired: ask for a new one.")
TOKEN_INVALID = gettext_lazy("Invalid token.")
CODE_FORMAT = re.compile(r"[0-9]{6,8}")


def second_factor_required(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(role in SECOND_FACTOR_ROLES for role, _o in user_roles(user))


def verify_code(user, code: str) -> TOTPDevice | None:
    """The user's confirmed TOTP device if `code` is valid for it now, and consume it.

    A code works once: the device remembers the last time step used (`last_t`) and refuses it
    and earlier ones. The device rows are locked while checking, so two requests carrying the
    same code cannot both pass; a wrong code counts toward the device's throttling."""
    code = (code or "").strip()
    if not CODE_FORMAT.fullmatch(code):
        return None
    with transaction.atomic():
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices.order_by("pk"):
            if device.verify_token(code):
                return device
    return None


def require_fresh_code(request, user, code: str) -> TOTPDevice:
    """Before a signature-like act: an unused code of the user, consumed now (its own commit).

    Raises ProofRequired: `otp_required` without a code, `otp_invalid` with a wrong or used one
    (which also counts toward the sign-in lockout of this user at this address)."""
    if not (code or "").strip():
        raise ProofRequired(CODE_TO_SIGN)
    device = verify_code(user, code)
    if device is None:
        _failed(request, user.get_username())
        raise ProofRequired(CODE_USED, code="otp_invalid")
    return device


def _failed(request, username: str) -> None:
    """A wrong second factor counts toward the lockout like a wrong password."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def signin_delay(username: str) -> float:
    """Seconds every sign-in attempt for `username` waits: 0 until it has SIGNIN_DELAY_AFTER
    failures within SIGNIN_DELAY_WINDOW from any addresses, then SIGNIN_DELAY_BASE doubling
    with each further failure, at most SIGNIN_DELAY_MAX.

    The failures are axes' own records (one row per user, address and browser), so the count
    holds across processes and addresses. A delay, not a lock: the user's own attempt, from
    its own address, still goes through once the wait is over."""
    from axes.models import AccessAttempt

    since = timezone.now() - datetime.timedelta(seconds=settings.SIGNIN_DELAY_WINDOW)
    failures = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
            n=Sum("failures_since_start")
        )["n"]
        or 0
    )
    if failures < settings.SIGNIN_DELAY_AFTER:
        return 0.0
    steps = min(failures - settings.SIGNIN_DELAY_AFTER, 32)
    return min(settings.SIGNIN_DELAY_BASE * 2**steps, settings.SIGNIN_DELAY_MAX)


sleep = time.sleep  # the tests record the waits instead of sleeping


def slow_down(username: str) -> float:
    """Wait before checking a password for `username` (browser sign-in and API token alike),
    before the password is checked so that right and wrong passwords wait the same."""
    delay = signin_delay(username)
    if delay:
        sleep(delay)
    return delay


def locked_out(request, credentials, *args, **kwargs) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(LOCKED), "code": "locked_out"}, status=429)
    return render(request, "registration/locked.html", {"message": LOCKED}, status=429)


class SignInForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput)
    otp = forms.CharField(max_length=10, required=False)


def sign_in(request):
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        slow_down(username)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request, {"username": username})
        if user is None:
            error = WRONG_PASSWORD
        elif second_factor_required(user):
            device = verify_code(user, form.cleaned_data["otp"])
            if device is None:
                if form.cleaned_data["otp"]:
                    _failed(request, username)
                    error = CODE_WRONG
                else:
                    error = CODE_NEEDED
            else:
                login(request, user)
                otp_login(request, device)
        else:
            login(request, user)
        if request.user.is_authenticated and not error:
            request.session[REAUTH_KEY] = time.time()
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target or settings.LOGIN_REDIRECT_URL)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    return render(
        request, "registration/login.html", {"form": form, "error": error, "next": next_url}
    )


def reauthenticate(request, password: str, code: str) -> str:
    """Before a signature in the browser: '' when the user proved it is them again, else the
    message to show.

    Every signature carries a new code of the signer (consumed here); the password is asked
    again as well unless the sign-in was within REAUTH_SECONDS."""
    user = request.user
    recent = time.time() - request.session.get(REAUTH_KEY, 0) < settings.REAUTH_SECONDS
    if not recent or password:
        if not user.check_password(password or ""):
            _failed(request, user.get_username())
            return str(WRONG_PASSWORD)
    try:
        require_fresh_code(request, user, code)
    except ProofRequired as exc:
        return str(exc)
    request.session[REAUTH_KEY] = time.time()
    return ""


class RequireSecondFactorMiddleware:
    """A browser session of a user who needs a second factor must have passed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and second_factor_required(user)
            and not user.is_verified()
        ):
            logout(request)
            if request.path.startswith("/api/"):
                body = {"detail": str(CODE_NEEDED), "code": "otp_required"}
                return JsonResponse(body, status=401)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token check, with an expired token answered 401 `token_expired` (knox itself
    deletes it and says only "invalid"). Expired rows stay until their user asks for a new
    token (`token_issue`), so the answer stays `token_expired`."""

    def authenticate_credentials(self, token: bytes):
        try:
            raw = token.decode("utf-8")
            digest = hash_token(raw)
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            raise exceptions.AuthenticationFailed(TOKEN_INVALID) from exc
        candidates = AuthToken.objects.filter(
            token_key=raw[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user")
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
                raise exceptions.AuthenticationFailed(TOKEN_EXPIRED, code="token_expired")
            return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(TOKEN_INVALID)


def token_issue(user) -> tuple[AuthToken, str]:
    """A new token for one client of `user` (its other clients keep theirs); the user's expired
    tokens are purged. Only the digest is stored: the token string is shown once."""
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    return AuthToken.objects.create(user=user)


def token_revoke(*, actor, token: AuthToken, how: str) -> None:
    """Revoke one API token (`how`: "self" for DELETE /api/v1/auth/token/, "admin") and record
    it in the ledger; the event names the token by a prefix of its digest, never the token."""
    data = {
        "user": token.user.get_username(),
        "how": how,
        "created": ledger.utc(token.created),
        "expiry": ledger.utc(token.expiry) if token.expiry else None,
    }
    with transaction.atomic():
        with ledger.recording(
            actor=actor,
            action="api_token.revoked",
            object_type="knox.authtoken",
            object_id=token.digest[:16],
            data=data,
        ):
            AuthToken.objects.filter(digest=token.digest).delete()
