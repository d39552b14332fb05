"""The Django admin (Vietnamese by default) for the domain; history is visible on every model.

State changes go through the workflow (dossier page or API), so the admin shows a dossier's
state, version and clock read-only; events are read-only for everyone."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dossiers import models, services


@admin.register(models.Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "short_name", "level", "kind", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name", "short_name"]


class MembershipInline(admin.TabularInline):
    model = models.BlocMembership
    extra = 0
    autocomplete_fields = ["organization"]


class LeadershipInline(admin.TabularInline):
    model = models.BlocLeadership
    extra = 0


@admin.register(models.Bloc)
class BlocAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "level", "organizer"]
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


class NomineeInline(admin.TabularInline):
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


@admin.register(models.PriorAward)
class PriorAwardAdmin(SimpleHistoryAdmin):
    list_display = ["holder_name", "holder_kind", "award_name", "year", "decision_number"]
    search_fields = ["holder_name", "decision_number"]
    raw_id_fields = ["nominee"]


@admin.register(models.RoleGrant)
class RoleGrantAdmin(SimpleHistoryAdmin):
    """Administrators grant and withdraw roles here; both go through the services (ledger)."""

    list_display = ["user", "role", "organization"]
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
