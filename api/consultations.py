"""Consultation (hiệp y) over the API: the board of the level holding a dossier asks bodies for
their opinion, each body answers (JSON, or multipart with its reply letter as `document`), and
anyone who sees the dossier reads where it stands and downloads the reply letters."""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from consultations import rules
from consultations import services as cs
from consultations.models import Consultation
from consultations.selectors import consultation_inbox
from workflows import policy, selectors


class ConsultationDocumentSerializer(serializers.Serializer):
    """The reply letter: one of the dossier's documents, downloaded from `url` by whoever sees
    the dossier."""

    id = serializers.IntegerField(help_text=_("The dossier attachment's id."))
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.URLField()


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
    document = serializers.SerializerMethodField(
        help_text=_("The body's reply letter (PDF), if it sent one with its answer.")
    )

    class Meta:
        model = Consultation
        fields = [
            "id", "dossier", "body", "body_name", "requested_by", "requested_at", "due_date",
            "silence_is_agreement", "answered_at", "agree", "reason", "answered_by", "outcome",
            "document",
        ]  # fmt: skip

    def get_outcome(self, row: Consultation) -> str:
        return cs.outcome(row)

    @extend_schema_field(ConsultationDocumentSerializer(allow_null=True))
    def get_document(self, row: Consultation) -> dict | None:
        attachment = row.document
        if attachment is None:
            return None
        url = reverse("api-consultation-document", args=[row.pk])
        request = self.context.get("request")
        return {
            "id": attachment.pk,
            "name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "url": request.build_absolute_uri(url) if request is not None else url,
        }


class ConsultationStatusSerializer(serializers.Serializer):
    required = serializers.BooleanField(
        help_text=_(
            "The award form's data names bodies to consult: the dossier is not forwarded until "
            "each was asked and none refused."
        )
    )
    requested = serializers.BooleanField()
    complete = serializers.BooleanField(
        help_text=_("Every named body asked, every request answered or past its due date.")
    )
    refused = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Bodies the award form names that were never asked."),
    )
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


class ConsultationAnswerUploadSerializer(ConsultationAnswerSerializer):
    """The answer as multipart/form-data, with the reply letter."""

    document = serializers.FileField(
        required=False,
        help_text=_(
            "The reply letter: a PDF, checked by its content as the dossier's documents are."
        ),
    )


def _status(request, dossier) -> dict:
    state = cs.status(dossier)
    rows = cs.consultation_list(dossier)
    return {
        "required": state.required,
        "requested": state.requested,
        "complete": state.complete,
        "refused": state.refused,
        "missing": state.missing,
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
        rows = consultation_inbox(request.user)[:200]
        context = {"request": request}
        return Response(ConsultationSerializer(rows, many=True, context=context).data)


def _visible(request, pk: int) -> Consultation:
    """The request, if the user may see its dossier (404 otherwise: per object)."""
    row = Consultation.objects.select_related("dossier", "document").filter(pk=pk).first()
    if row is None or not policy.can_view(request.user, row.dossier):
        raise Http404
    return row


class ConsultationAnswer(APIView):
    @extend_schema(
        request={
            "application/json": ConsultationAnswerSerializer,
            "multipart/form-data": ConsultationAnswerUploadSerializer,
        },
        responses=ConsultationSerializer,
    )
    def post(self, request, pk: int):
        _visible(request, pk)
        data = ConsultationAnswerUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answered = cs.consultation_answer(
            actor=request.user,
            consultation=pk,
            agree=data.validated_data["agree"],
            reason=data.validated_data["reason"],
            document=data.validated_data.get("document"),
        )
        return Response(ConsultationSerializer(answered, context={"request": request}).data)


class ConsultationDocument(APIView):
    """The reply letter of an answer, for whoever may see the dossier (404 otherwise)."""

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, pk: int):
        attachment = _visible(request, pk).document
        if attachment is None:
            raise Http404
        return FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            as_attachment=True,
            filename=attachment.original_name,
        )
