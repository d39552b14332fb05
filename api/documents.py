"""The decision's documents over the API: the signed PDF, the certificates, the verification of
a signed PDF, and the public register of signed decisions (documents/)."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from documents import selectors, services

ERROR = {"$ref": "#/components/schemas/Error"}
PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}
NOT_FOUND = OpenApiResponse(ERROR, description="No such decision for this user, or no document.")
BAD = OpenApiResponse(ERROR, description="A query value or the file is not valid.")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


class DecisionDocument(APIView):
    """The signed decision (PAdES: the decider, then the issuing body), for whoever may see the
    decision (404 otherwise, and before it is signed); its bytes are checked against the stored
    SHA-256 first (409 `document_altered`)."""

    @extend_schema(responses={**PDF, 404: NOT_FOUND, 409: OpenApiResponse(ERROR)})
    def get(self, request, pk: int):
        document, data = services.decision_document_read(user=request.user, pk=pk)
        response = _pdf(data, services.document_file_name(document))
        response["X-Content-SHA256"] = document.sha256
        return response


class CertificatesQuery(serializers.Serializer):
    nominee = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class CertificatesPreparing(serializers.Serializer):
    detail = serializers.CharField(help_text="In the site's language (Vietnamese first).")
    code = serializers.CharField(help_text="`certificates_preparing`.")
    retry_after = serializers.IntegerField(help_text="Seconds, as in the Retry-After header.")


PREPARING = OpenApiResponse(
    CertificatesPreparing,
    description=(
        "A decision with more awardees than `CERTIFICATES_INLINE_MAX`: its certificates are "
        "being rendered by the background worker; ask again after `Retry-After` seconds."
    ),
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    description="Seconds to wait before asking again (202 only).",
    response=[202],
)
SHA256_HEADER = OpenApiParameter(
    "X-Content-SHA256",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="The SHA-256 of a stored batch (a large decision's), checked before serving.",
    response=[200],
)


class DecisionCertificates(APIView):
    """Every awardee's certificate (Bằng khen / Giấy chứng nhận), one landscape page each, in
    one PDF to print; `?nominee=` for one awardee's. A decision with more awardees than
    `CERTIFICATES_INLINE_MAX` is printed once by the background worker: 202 with `Retry-After`
    until the stored file is ready, then that file (`X-Content-SHA256`, checked first: 409
    `document_altered`). 409 `not_signed` before the signature."""

    @extend_schema(
        parameters=[CertificatesQuery, RETRY_AFTER, SHA256_HEADER],
        responses={
            **PDF,
            202: PREPARING,
            400: BAD,
            404: NOT_FOUND,
            409: OpenApiResponse(ERROR),
        },
    )
    def get(self, request, pk: int):
        query = CertificatesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        got = services.decision_certificates_read(
            user=request.user, pk=pk, nominee=query.validated_data.get("nominee")
        )
        if got.data is None:
            body = {
                "detail": got.message,
                "code": "certificates_preparing",
                "retry_after": got.retry_after,
            }
            return Response(body, status=202, headers={"Retry-After": str(got.retry_after)})
        response = _pdf(got.data, got.name)
        if got.sha256:
            response["X-Content-SHA256"] = got.sha256
        return response


class DossierSubmissionLetter(APIView):
    """The proposing unit's submission (Tờ trình) of the dossier with its list of nominees
    (Danh sách), in the Decree 30 format, addressed to the head of the level that receives it;
    for whoever may see the dossier (404 otherwise). No identity number or birth date."""

    @extend_schema(
        responses={**PDF, 404: OpenApiResponse(ERROR, description="No such dossier for this user.")}
    )
    def get(self, request, pk: int):
        name, data = services.submission_letter(user=request.user, pk=pk)
        return _pdf(data, name)


class NotAwardedQuery(serializers.Serializer):
    organization = serializers.SlugField(
        required=False,
        max_length=32,
        help_text="The proposing organisation's code; without it, every notice you may read.",
    )


class DecisionNotAwarded(APIView):
    """The notice of the nominees not awarded in a signed decision, with each reason, from its
    issuing board to the proposing unit: `?organization=` for one unit's, else one notice per
    unit the user may read (a unit: its own only; the board, the decider: all). 404 for a
    decision or a unit the user may not read or with no such nominee, 409 `not_signed`."""

    @extend_schema(
        parameters=[NotAwardedQuery],
        responses={**PDF, 400: BAD, 404: NOT_FOUND, 409: OpenApiResponse(ERROR)},
    )
    def get(self, request, pk: int):
        query = NotAwardedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        name, data = services.not_awarded_notice(
            user=request.user, pk=pk, organization=query.validated_data.get("organization")
        )
        return _pdf(data, name)


class VerifyInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)

    def validate_file(self, value):
        if value.size > settings.UPLOAD_MAX_BYTES:
            raise ValidationError(f"The file is larger than {settings.UPLOAD_MAX_BYTES} bytes.")
        return value


class SignatureRow(serializers.Serializer):
    field = serializers.CharField()
    signer = serializers.CharField()
    organization = serializers.CharField()
    intact = serializers.BooleanField()
    trusted = serializers.BooleanField()
    signed_at = serializers.DateTimeField(allow_null=True)


class VerifyAnswer(serializers.Serializer):
    intact = serializers.BooleanField(help_text="Every signed byte unchanged, signatures valid.")
    trusted = serializers.BooleanField(help_text="Every signer's certificate from a trusted CA.")
    signer = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(
        allow_null=True, help_text="The signer's own claim: no timestamp authority."
    )
    signed_at_source = serializers.CharField()
    signatures = SignatureRow(many=True)
    problem = serializers.CharField(allow_blank=True)


class DocumentVerify(APIView):
    """POST a PDF (multipart field `file`): its integrity and its trust, reported apart; the
    signing time is the signer's claim (no timestamp authority offline)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": VerifyInput},
        responses={200: VerifyAnswer, 400: BAD},
    )
    def post(self, request):
        data = VerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        return Response(VerifyAnswer(services.document_verify(data=upload.read())).data)


class PublicAwardee(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    organization = serializers.CharField()
    award_form = serializers.CharField()
    year = serializers.IntegerField()


class PublicForm(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PublicDecision(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    signed_on = serializers.DateField()
    year = serializers.IntegerField()
    decider = serializers.CharField()
    issuer = serializers.CharField()
    award_forms = PublicForm(many=True)
    awardees = PublicAwardee(many=True)
    document_sha256 = serializers.CharField(allow_null=True)


class PublicPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE


SLUG = "^[-a-zA-Z0-9_]+$"
FILTERS = [  # the limits documents.selectors.PublicDecisionFilter checks (400 outside them)
    OpenApiParameter(
        "year",
        {"type": "integer", "minimum": 1945, "maximum": 2100},
        description="Year of signature.",
    ),
    OpenApiParameter(
        "form",
        {"type": "string", "maxLength": 40, "pattern": SLUG},
        description="Award form code (e.g. BK-TTG).",
    ),
    OpenApiParameter(
        "organization",
        {"type": "string", "maxLength": 32, "pattern": SLUG},
        description="Organisation code (the proposer or an awardee's).",
    ),
    OpenApiParameter(
        "name",
        {"type": "string", "maxLength": 100, "pattern": "^[^\\x00]*$"},
        description="Part of an awardee's name.",
    ),
]
PUBLIC_403 = OpenApiResponse(
    ERROR, description="Not returned: the register is public (listed as for every operation)."
)


class PublicDecisionList(generics.ListAPIView):
    """Signed decisions for anyone, without sign-in: number, date, issuer, forms and awardees
    (name, kind, organisation). No identity number, birth date, declined nominee or reason."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PublicDecision
    pagination_class = PublicPagination

    def get_queryset(self):
        form = selectors.PublicDecisionFilter(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return selectors.public_decisions(form.cleaned_data)

    @extend_schema(
        parameters=FILTERS, responses={200: PublicDecision(many=True), 400: BAD, 403: PUBLIC_403}
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [selectors.public_entry(d) for d in page]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
