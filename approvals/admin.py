from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from approvals.models import BallotSession, Decision, DecisionEntry


class EntryInline(admin.TabularInline):
    model = DecisionEntry
    extra = 0
    raw_id_fields = ["dossier"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    list_display = ["id", "decider", "state", "number", "signed_on", "signed_by"]
    list_select_related = ["signed_by"]
    list_filter = ["decider", "state", "year"]
    readonly_fields = [
        "state",
        "number",
        "year",
        "signed_on",
        "signed_by",
        "proposal_number",
        "created_by",
    ]
    inlines = [EntryInline]


@admin.register(BallotSession)
class BallotSessionAdmin(SimpleHistoryAdmin):
    """Sessions, turnout and tallies; never the anonymous ballots (kept out of the admin)."""

    list_display = ["id", "body", "bloc", "council", "year", "state", "opened_at", "closed_at"]
    list_select_related = ["bloc", "council"]
    list_filter = ["body", "state", "year"]
    readonly_fields = [f.name for f in BallotSession._meta.fields if f.name != "sealing_salt"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
