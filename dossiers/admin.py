"""The Django admin (Vietnamese by default) for the domain; history is visible on every model.

State changes go through the workflow (dossier page or API), so the admin shows a dossier's
state, version and clock read-only; events are read-only for everyone."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dossiers import models, services


class SharedChoicesInline(admin.TabularInline):
    """An inline whose foreign keys' selects read their choices once per request, shared by
    the rows (each row's select would otherwise ask the database again: one query per row)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None or db_field.name in (*self.raw_id_fields, *self.autocomplete_fields):
            return field  # their widgets read no choices
        read = request.__dict__.setdefault("_shared_choices", {})
        key = (self.model, db_field.name)
        if key not in read:
            read[key] = [choice for choice in field.choices]  # not list(): no COUNT first
        field.choices = read[key]
        return field


@admin.register(models.Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "short_name", "level", "kind", "parent"]
    list_select_related = ["parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name", "short_name"]


class MembershipInline(admin.TabularInline):
    model = models.BlocMembership
    extra = 0
    autocomplete_fields = ["organization"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bloc", "organization")


class LeadershipInline(SharedChoicesInline):
    model = models.BlocLeadership
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bloc", "leader")


@admin.register(models.Bloc)
class BlocAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "level", "organizer"]
    list_select_related = ["organizer"]
    inlines = [LeadershipInline, MembershipInline]


@admin.register(models.DocumentKind)
class DocumentKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(models.AwardForm)
class AwardFormAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "decider",
        "level",
        "bloc_vote_rule",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["decider", "level"]
    search_fields = ["code", "name", "name_en"]
    filter_horizontal = ["required_documents"]


class NomineeInline(SharedChoicesInline):
    model = models.Nominee
    extra = 0
    fields = ["kind", "name", "organization", "outcome", "outcome_reason"]
    readonly_fields = ["outcome", "outcome_reason"]


class AttachmentInline(admin.TabularInline):
    model = models.Attachment
    extra = 0
    fields = ["kind", "original_name", "size", "sha256", "version", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kind", "uploaded_by")


@admin.register(models.Dossier)
class DossierAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "title", "organization", "award_form", "year", "state", "due_date"]
    list_filter = ["state", "award_form", "year"]
    search_fields = ["reference", "title", "organization__code"]
    list_select_related = ["organization", "award_form"]
    readonly_fields = [
        "reference", "state", "version", "bloc", "held_from", "stage_started_on", "due_date",
        "reason_code", "created_by", "submitted_at",
    ]  # fmt: skip
    inlines = [NomineeInline, AttachmentInline]


@admin.register(models.Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "organization", "position"]
    search_fields = ["full_name", "=identity"]
    list_select_related = ["organization"]


@admin.register(models.Collective)
class CollectiveAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organization"]
    search_fields = ["name"]
    list_select_related = ["organization"]


@admin.register(models.HistoryEntry)
class HistoryEntryAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "year", "person", "collective", "decision_number", "source"]
    list_select_related = ["kind", "person", "collective"]
    list_filter = ["source", "kind"]
    raw_id_fields = ["person", "collective", "nominee"]


@admin.register(models.Restriction)
class RestrictionAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "person", "collective", "opened_on", "closed_on"]
    list_select_related = ["person", "collective"]
    raw_id_fields = ["person", "collective"]


@admin.register(models.TitleKind)
class TitleKindAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category"]


@admin.register(models.RoleGrant)
class RoleGrantAdmin(SimpleHistoryAdmin):
    """Administrators grant and withdraw roles here; both go through the services (ledger)."""

    list_display = ["user", "role", "organization"]
    list_select_related = ["user", "organization"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__code"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # grant or withdraw

    def save_model(self, request, obj, form, change) -> None:
        obj.pk = services.role_grant(
            actor=request.user, user=obj.user, role=obj.role, organization=obj.organization
        ).pk

    def delete_model(self, request, obj) -> None:
        services.role_withdraw(actor=request.user, grant=obj, reason="admin")

    def delete_queryset(self, request, queryset) -> None:
        for grant in queryset:
            services.role_withdraw(actor=request.user, grant=grant, reason="admin")


admin.site.site_header = _("Commendation dossiers — administration")
admin.site.site_title = _("Commendation dossiers")
