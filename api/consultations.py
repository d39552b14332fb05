"""Consultation (hiệp y) over the API: the board of the level holding a dossier asks bodies for
their opinion, each body answers, and anyone who sees the dossier reads where it stands."""

from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import rules
from consultations import services as cs
from consultations.models import Consultation
from dossiers.models import Role
from dossiers.permissions import orgs_with_role
from workflows import policy, selectors


class ConsultationSerializer(serializers.ModelSerializer):
    body = serializers.SlugRelatedField(slug_field="code", read_only=True)
    body_name = serializers.CharField(source="body.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    answered_by = serializers.CharField(
        source="answered_by.username", read_only=True, allow_null=True, default=None
    )
    outcome = serializers.SerializerMethodField(
        help_text=_("pending, agreed, disagreed, silent_agreed or silent_refused (past due).")
    )

    class Meta:
        model = Consultation
        fields = [
            "id", "dossier", "body", "body_name", "requested_by", "requested_at", "due_date",
            "silence_is_agreement", "answered_at", "agree", "reason", "answered_by", "outcome",
        ]  # fmt: skip

    def get_outcome(self, row: Consultation) -> str:
        return cs.outcome(row)


class ConsultationStatusSerializer(serializers.Serializer):
    required = serializers.BooleanField(
        help_text=_("The award form's data names bodies to consult (a warning, not a refusal).")
    )
    requested = serializers.BooleanField()
    complete = serializers.BooleanField()
    refused = serializers.ListField(child=serializers.CharField())
    default_bodies = serializers.ListField(child=serializers.CharField())
    results = ConsultationSerializer(many=True)


class ConsultationRequestSerializer(serializers.Serializer):
    bodies = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=cs.MAX_BODIES
    )
    due_in_days = serializers.IntegerField(
        min_value=1, max_value=rules.MAX_DUE_IN_DAYS, required=False, default=None,
        allow_null=True, help_text=_("Working days; 10 when left out (Decree 39/2012)."),
    )  # fmt: skip


class ConsultationAnswerSerializer(serializers.Serializer):
    agree = serializers.BooleanField()
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=cs.REASON_LIMIT
    )


def _status(request, dossier) -> dict:
    state = cs.status(dossier)
    rows = cs.consultation_list(dossier)
    return {
        "required": state.required,
        "requested": state.requested,
        "complete": state.complete,
        "refused": state.refused,
        "default_bodies": list(rules.for_form(dossier.award_form.code).bodies),
        "results": ConsultationSerializer(rows, many=True, context={"request": request}).data,
    }


class DossierConsultations(APIView):
    @extend_schema(responses=ConsultationStatusSerializer)
    def get(self, request, pk: int):
        dossier = selectors.dossier_get_for_user(request.user, pk)
        return Response(_status(request, dossier))

    @extend_schema(
        request=ConsultationRequestSerializer, responses={201: ConsultationSerializer(many=True)}
    )
    def post(self, request, pk: int):
        selectors.dossier_get_for_user(request.user, pk)
        data = ConsultationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = cs.consultation_request(
            actor=request.user,
            dossier=pk,
            bodies=data.validated_data["bodies"],
            due_in_days=data.validated_data["due_in_days"],
        )
        body = ConsultationSerializer(made, many=True, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ConsultationInbox(APIView):
    """The requests made to the user's bodies (Role.CONSULTED), open ones first."""

    @extend_schema(responses=ConsultationSerializer(many=True))
    def get(self, request):
        bodies = orgs_with_role(request.user, Role.CONSULTED)
        rows = (
            Consultation.objects.filter(body__code__in=bodies)
            .select_related("body", "requested_by", "answered_by")
            .order_by(F("answered_at").asc(nulls_first=True), "due_date", "id")[:200]
            if bodies
            else []
        )
        return Response(ConsultationSerializer(rows, many=True).data)


class ConsultationAnswer(APIView):
    @extend_schema(request=ConsultationAnswerSerializer, responses=ConsultationSerializer)
    def post(self, request, pk: int):
        row = Consultation.objects.select_related("dossier").filter(pk=pk).first()
        if row is None or not policy.can_view(request.user, row.dossier):
            raise Http404
        data = ConsultationAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answered = cs.consultation_answer(
            actor=request.user,
            consultation=pk,
            agree=data.validated_data["agree"],
            reason=data.validated_data["reason"],
        )
        return Response(ConsultationSerializer(answered).data)
