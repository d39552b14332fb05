"""Sign-in: password (with lockout), a TOTP second factor for the board head, the deciders and
administrators, re-authentication before signing a decision."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from dossiers.models import Role
from dossiers.permissions import user_roles

SECOND_FACTOR_ROLES = {Role.BOARD_HEAD, Role.DECIDER}
REAUTH_KEY = "kt_reauth_at"

WRONG_PASSWORD = gettext_lazy("Wrong username or password.")
CODE_NEEDED = gettext_lazy("Enter the 6-digit code from your authenticator app.")
CODE_WRONG = gettext_lazy("The code is wrong or has already been used.")
LOCKED = gettext_lazy("Too many failed sign-ins: this account is locked for a while.")


def second_factor_required(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(role in SECOND_FACTOR_ROLES for role, _o in user_roles(user))


def verify_code(user, code: str) -> TOTPDevice | None:
    """The user's confirmed TOTP device if `code` is valid for it now (a code works once)."""
    code = (code or "").strip()
    if not code.isdigit():
        return None
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def _failed(request, username: str) -> None:
    """A wrong second factor counts toward the lockout like a wrong password."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


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
    """Before a signature: '' when the user proved it is them again, else the message to show.

    A sign-in within REAUTH_SECONDS counts; otherwise the password (and the code, for users with
    a second factor) must be given again."""
    user = request.user
    recent = time.time() - request.session.get(REAUTH_KEY, 0) < settings.REAUTH_SECONDS
    if recent and not password:
        return ""
    if not user.check_password(password or ""):
        _failed(request, user.get_username())
        return str(WRONG_PASSWORD)
    if second_factor_required(user) and verify_code(user, code) is None:
        _failed(request, user.get_username())
        return str(CODE_WRONG if code else CODE_NEEDED)
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
