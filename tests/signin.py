"""Sign a test client in through the real sign-in page: lockout counting and TOTP included."""

from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.world import demo_totp_key


def code_now(drift: int = 0) -> str:
    return f"{totp(bytes.fromhex(demo_totp_key()), drift=drift):06d}"


def fresh_code(username: str) -> str:
    """The current code, after forgetting the last one used (a code works once)."""
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.filter(user=user).update(  # test-only: devices have no history
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return code_now()


def signin(client, username: str, password: str = "demo") -> bool:
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password, "otp": fresh_code(username)},
    )
    return response.status_code == 302
