"""API tokens in the admin: an administrator sees every client's token (by digest, never the
token), its owner and expiry, and revokes it; each revocation is a ledger event. The user and
group pages name the permissions in the reader's language."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken
from knox.settings import knox_settings
from simple_history.models import HistoricalChanges

from accounts import auth

admin.site.unregister(AuthToken)
admin.site.unregister(User)
admin.site.unregister(Group)

# Django stores a model's default permissions at migrate time with English names ("Can add
# dossier"); the admin shows them from the codename's action and the model's translated name.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def model_words(model) -> str:
    """A model's name in the reader's language; a history table's ("historical dossier",
    django-simple-history's English) as the history of its model's."""
    if issubclass(model, HistoricalChanges):
        return _("history of %(model)s") % {"model": model.instance_type._meta.verbose_name}
    return str(model._meta.verbose_name)


def permission_label(permission: Permission) -> str:
    """ "Hồ sơ | hồ sơ | Có thể thêm hồ sơ": the app's and the model's names and the action on
    the model; a permission that is not one of a model's defaults keeps its stored name. Reads
    the content type the field's queryset selects: no query."""
    model = permission.content_type.model_class()
    action = permission.codename.partition("_")[0]
    words = PERMISSION_ACTIONS.get(action)
    if (
        model is None
        or words is None
        or permission.codename != f"{action}_{model._meta.model_name}"
    ):
        return str(permission)
    name = model_words(model)
    return f"{model._meta.app_config.verbose_name} | {name} | {words % {'model': name}}"


class PermissionWords(admin.ModelAdmin):
    """The permissions' picker labels its choices with `permission_label`."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


@admin.register(User)
class UserWordsAdmin(PermissionWords, UserAdmin):
    pass


@admin.register(Group)
class GroupWordsAdmin(PermissionWords, GroupAdmin):
    pass


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
