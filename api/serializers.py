from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api import schema as doc
from approvals.models import Decision
from audit.models import LedgerEvent
from dossiers import calendar, levels
from dossiers.models import (
    Attachment,
    AwardForm,
    Bloc,
    Dossier,
    Nominee,
    NomineeKind,
    Organization,
)
from workflows import policy, registry_access
from workflows.inputs import TITLE_MAX, NomineeInputSerializer


class LocalDateTimeField(serializers.DateTimeField):
    """A moment in the site's time zone (`TIME_ZONE`; no request activates another). DRF
    otherwise looks the active time zone up for every value it writes: measured on a list of
    200 dossiers, their three moments took 3.4 ms that way and 1.1 ms this way."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", timezone.get_default_timezone())
        super().__init__(*args, **kwargs)


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializers: moments written as `LocalDateTimeField` does."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: LocalDateTimeField,
    }


class OrganizationSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Organization
        fields = ["code", "name", "short_name", "level", "kind", "parent"]


class AwardFormSerializer(ModelSerializer):
    reviewing_body = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subjects = serializers.SerializerMethodField()
    required_documents = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = AwardForm
        fields = [
            "code", "name", "name_en", "level", "subjects", "decider", "reviewing_body",
            "stages", "bloc_vote_rule", "vote_threshold_percent", "vote_denominator",
            "quorum_percent", "absentee_written_vote", "public_notice_days", "stage_days",
            "required_documents", "valid_from", "valid_until", "legal_basis",
        ]  # fmt: skip

    def get_subjects(self, form: AwardForm) -> list[str]:
        return [kind for kind in NomineeKind.values if form.allows(kind)]


class BlocSerializer(ModelSerializer):
    organizer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = serializers.SerializerMethodField()
    leader = serializers.SerializerMethodField()
    deputy = serializers.SerializerMethodField()

    class Meta:
        model = Bloc
        fields = [
            "code",
            "name",
            "kind",
            "level",
            "organizer",
            "year",
            "members",
            "leader",
            "deputy",
        ]

    year = serializers.SerializerMethodField()

    def get_year(self, bloc) -> int | None:
        return self.context.get("year")

    def get_members(self, bloc) -> list[str]:
        return [m.organization.code for m in bloc.year_members]

    def _lead(self, bloc):
        return bloc.year_leads[0] if bloc.year_leads else None

    def get_leader(self, bloc) -> str | None:
        lead = self._lead(bloc)
        return lead.leader.code if lead else None

    def get_deputy(self, bloc) -> str | None:
        lead = self._lead(bloc)
        return lead.deputy.code if lead and lead.deputy else None


class CheckSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text=_("The rule's code, e.g. `pm_certificate`."))
    outcome = serializers.ChoiceField(choices=["pass", "fail", "warning", "overridden"])
    message = serializers.CharField()
    citation = serializers.CharField()
    blocking = serializers.BooleanField(
        required=False, help_text=_("A failure that stops the submission or the signature.")
    )
    overridable = serializers.BooleanField(required=False)
    override = serializers.ChoiceField(
        choices=["pending", "confirmed"], required=False, help_text=_("A board's override.")
    )
    override_reason = serializers.CharField(required=False)


class NomineeListSerializer(ModelSerializer):
    """A nominee in a list item; the dossier's own JSON adds its eligibility `checks`."""

    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Nominee
        fields = [
            "id", "name", "kind", "organization", "achievements", "outcome", "outcome_reason",
            "person", "criterion",
        ]  # fmt: skip


class NomineeSerializer(NomineeListSerializer):
    checks = CheckSerializer(
        many=True,
        read_only=True,
        help_text=_("The eligibility rules' last run on this nominee (domain.md §6.4)."),
    )

    class Meta(NomineeListSerializer.Meta):
        fields = [*NomineeListSerializer.Meta.fields, "checks", "checked_at"]

    def to_representation(self, nominee):
        """The checks as the requesting user is told them: a person's history details only to
        those who may read them (workflows.registry_access.history_visible), the outcomes to
        all; without a request (no user), none of the details."""
        data = super().to_representation(nominee)
        sees = self.context.get("_history_visible")
        if sees is None:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            sees = registry_access.history_visible(user) if user is not None else None
            self.context["_history_visible"] = sees or (lambda nominee: False)
            sees = self.context["_history_visible"]
        if not sees(nominee):
            shown = registry_access.checks_shown(nominee, sees)
            data["checks"] = CheckSerializer(shown, many=True).data
        return data


class AttachmentSerializer(ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id", "kind", "original_name", "content_type", "size", "sha256", "version",
            "uploaded_by", "uploaded_at",
        ]  # fmt: skip


class DossierSerializer(ModelSerializer):
    """A list item: `nominees` holds the first 20 nominees (`DOSSIER_LIST_NOMINEES`),
    `nominee_count` counts all of them, `nominees_truncated` says whether some are left out."""

    award_form = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)
    bloc = serializers.SlugRelatedField(slug_field="code", read_only=True)
    nominees = serializers.SerializerMethodField()
    nominee_count = serializers.SerializerMethodField()
    nominees_truncated = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField()
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignment_actions = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id", "reference", "title", "state", "version", "award_form", "year",
            "organization", "bloc", "nominees", "nominee_count", "nominees_truncated",
            "available_actions", "due_date", "overdue", "reason_code", "created_at",
            "updated_at", "submitted_at", "holder", "assignee", "assignment_actions",
        ]  # fmt: skip

    def _shown(self, dossier) -> list[Nominee]:
        # The list's selector prefetches only the first ones, as `listed_nominees`.
        shown = getattr(dossier, "listed_nominees", None)
        if shown is None:
            shown = list(dossier.nominees.all())[: settings.DOSSIER_LIST_NOMINEES]
        return shown

    @cached_property
    def _nominee(self) -> NomineeListSerializer:
        """One nominee serializer for every row of a list: a serializer builds its fields when
        it is first used, and that costs more than the few nominees of a row it writes."""
        return NomineeListSerializer(context=self.context)

    @extend_schema_field(NomineeListSerializer(many=True))
    def get_nominees(self, dossier) -> list[dict]:
        nominee = self._nominee
        return [nominee.to_representation(n) for n in self._shown(dossier)]

    def get_nominee_count(self, dossier) -> int:
        count = getattr(dossier, "nominee_count", None)
        return count if count is not None else len(dossier.nominees.all())

    def get_nominees_truncated(self, dossier) -> bool:
        return self.get_nominee_count(dossier) > len(self._shown(dossier))

    @cached_property
    def _today(self):
        """Today, read once for the whole list."""
        return calendar.today()

    def get_overdue(self, dossier) -> bool:
        return dossier.overdue_on(self._today)

    def get_available_actions(self, dossier) -> list[str]:
        return policy.actions(self.context["request"].user, dossier)

    def get_assignment_actions(self, dossier) -> list[str]:
        return policy.assignment_actions(self.context["request"].user, dossier)

    def get_holder(self, dossier) -> str | None:
        """The level holding the dossier now: its authority's code (TTG for the central level,
        a province's People's Committee, a ministry), null for a draft."""
        return levels.code_of(dossier.holder_id)


class DossierDetailSerializer(DossierSerializer):
    """One dossier: every nominee (`nominees_truncated` is always false)."""

    nominees = NomineeSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(DossierSerializer.Meta):
        fields = [*DossierSerializer.Meta.fields, "attachments"]

    def _shown(self, dossier) -> list[Nominee]:
        return list(dossier.nominees.all())


class DossierPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    nominees = NomineeInputSerializer(many=True, required=False, allow_empty=False)


class EventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = LedgerEvent
        fields = ["seq", "at", "actor", "action", "from_state", "to_state", "version", "reason"]


class DecisionCreateSerializer(serializers.Serializer):
    """The decider is checked by the service (`bad_decider`, listing the deciders), after the
    slug field has refused what no code can be (a NUL byte, a space…)."""

    decider = serializers.SlugField(
        max_length=32,
        help_text=_(
            "Who decides: TTG (the Prime Minister), CTN (the President), a province's People's "
            "Committee (T-UBND, T2-UBND) or a ministry (BTP)."
        ),
    )
    dossiers = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class DecisionSerializer(ModelSerializer):
    dossiers = serializers.SerializerMethodField()
    awarded = serializers.SerializerMethodField()
    declined = serializers.SerializerMethodField()
    signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id", "decider", "state", "number", "year", "signed_on", "signed_by",
            "proposal_number", "dossiers", "awarded", "declined", "created_at",
        ]  # fmt: skip

    def _nominees(self, decision) -> list[Nominee]:
        return [n for d in decision.dossiers.all() for n in d.nominees.all()]

    @extend_schema_field(doc.DecisionDossierSerializer(many=True))
    def get_dossiers(self, decision) -> list[dict]:
        return [
            {
                "id": d.id,
                "reference": d.reference,
                "state": d.state,
                "organization": d.organization.code,
            }
            for d in decision.dossiers.all()
        ]

    def _list(self, decision, outcomes: set[str]) -> list[dict]:
        return [
            {"nominee": n.id, "name": n.name, "kind": n.kind, "dossier": n.dossier_id,
             "outcome": n.outcome, "reason": n.outcome_reason}
            for n in self._nominees(decision)
            if n.outcome in outcomes
        ]  # fmt: skip

    @extend_schema_field(doc.DecisionNomineeSerializer(many=True))
    def get_awarded(self, decision) -> list[dict]:
        return self._list(decision, {"awarded", "revoked"})

    @extend_schema_field(doc.DecisionNomineeSerializer(many=True))
    def get_declined(self, decision) -> list[dict]:
        return self._list(decision, {"declined"})


class BallotOpenSerializer(serializers.Serializer):
    bloc = serializers.CharField(required=False, max_length=32)
    council = serializers.CharField(required=False, max_length=32)
    year = serializers.IntegerField(min_value=1945, max_value=2100)
    nominees = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class BallotVoteSerializer(serializers.Serializer):
    choices = serializers.DictField(child=serializers.CharField(), allow_empty=True)
    conflicts = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    in_writing = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "A council member absent from the meeting sends its written vote (phiếu bằng văn "
            "bản) until the ballot closes; counted like any ballot, and as secret. Refused (409 "
            "`written_votes_refused`) on a ballot whose `written_votes` is false."
        ),
    )


class BallotAttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(
        # A blank name is no member's: the service refuses it with the other unknown names
        # (after the permission check), not the parser before it.
        child=serializers.CharField(max_length=150, allow_blank=True),
        allow_empty=True,
        help_text=_(
            "The usernames of the council's members present at the meeting; every other member "
            "on the roll is recorded as absent."
        ),
    )


class LedgerEventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)
    dossier = serializers.IntegerField(source="dossier_id", read_only=True)

    class Meta:
        model = LedgerEvent
        fields = [
            "seq", "at", "actor", "roles", "organizations", "action", "object_type", "object_id",
            "dossier", "from_state", "to_state", "version", "reason", "request_id", "client_ip",
            "prev_hash", "hash",
        ]  # fmt: skip


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )
    otp = serializers.CharField(required=False, allow_blank=True, max_length=10)


class TokenSerializer(serializers.Serializer):
    """A new API token: shown once (only its digest is stored), valid until `expires_at`."""

    token = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
