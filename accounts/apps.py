from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The admin's names of the sign-in packages' apps and models, which ship no Vietnamese (django-
# otp's and knox's model names are not even translatable): set on their app configs and models'
# `_meta` at start-up. Only the displayed names change; migrations read a model's declared
# options (`_meta.original_attrs`), which stay as the packages declare them.
THIRD_PARTY_NAMES = {
    "axes": (
        _("Sign-in lockout"),
        {
            "accessattempt": (_("failed sign-in attempt"), _("failed sign-in attempts")),
            "accessfailurelog": (_("failed sign-in"), _("failed sign-ins")),
            "accesslog": (_("sign-in"), _("sign-ins")),
        },
    ),
    "knox": (_("API tokens"), {"authtoken": (_("API token"), _("API tokens"))}),
    "otp_totp": (
        _("Authenticator apps"),
        {"totpdevice": (_("authenticator app (TOTP)"), _("authenticator apps (TOTP)"))},
    ),
}


class AccountsConfig(AppConfig):
    """Sign-in, the second factor and the API's tokens (their admin registers from here)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps

        for label, (app_name, models) in THIRD_PARTY_NAMES.items():
            try:
                config = apps.get_app_config(label)
            except LookupError:  # not installed here
                continue
            config.verbose_name = app_name
            for model_name, (singular, plural) in models.items():
                meta = config.get_model(model_name)._meta
                meta.verbose_name, meta.verbose_name_plural = singular, plural
