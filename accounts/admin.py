"""API tokens in the admin: an administrator sees every client's token (by digest, never the
token), its owner and expiry, and revokes it; each revocation is a ledger event."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts import auth

admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class RevocableAuthTokenAdmin(AuthTokenAdmin):
    list_display = ["user", "created", "expiry", "short_digest"]
    list_filter = ["created", "expiry"]
    search_fields = ["user__username"]
    actions = ["revoke"]

    @admin.display(description=_("Digest"))
    def short_digest(self, token: AuthToken) -> str:
        return token.digest[:16]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a token is issued or revoked, never edited

    def save_model(self, request, obj, form, change):
        if not change and obj.expiry is None:  # a token an administrator mints expires too
            obj.expiry = timezone.now() + knox_settings.TOKEN_TTL
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        auth.token_revoke(actor=request.user, token=obj, how="admin")

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            auth.token_revoke(actor=request.user, token=token, how="admin")

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["delete"])
    def revoke(self, request, queryset):
        self.delete_queryset(request, queryset)
