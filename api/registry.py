"""The registry over the API: its people with their history of titles and awards, the look-up
by identity number (CCCD), the import of history from a spreadsheet, and a dossier's nominee
list from the unit's spreadsheet. Who sees and imports what: workflows/registry_access.py."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import jobs
from api import schema as doc
from api.pagination import DossierPagination
from api.serializers import DossierDetailSerializer
from dossiers import errors, imports
from dossiers.errors import DossierError
from dossiers.models import HistoryEntry, Person
from workflows import policy, registry_access, selectors
from workflows import services as wf

FILE_NEEDED = _("Attach the spreadsheet (XLSX or CSV) in the field “file”.")
IDENTITY_PATTERN = r"^[0-9]{12}$"
UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": "An Excel workbook (XLSX, its first sheet) or a CSV file in UTF-8.",
            }
        },
    }
}


class HistoryEntrySerializer(serializers.ModelSerializer):
    title = serializers.SlugRelatedField(source="kind", slug_field="code", read_only=True)
    title_name = serializers.CharField(source="kind.name", read_only=True)
    category = serializers.CharField(source="kind.category", read_only=True)
    decision_date = serializers.DateField(source="awarded_on", read_only=True)
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = HistoryEntry
        fields = [
            "id", "title", "title_name", "category", "year", "decision_number",
            "decision_date", "sudden", "source", "revoked", "revoked_on", "revoked_reason",
        ]  # fmt: skip

    def get_revoked(self, entry: HistoryEntry) -> bool:
        return entry.revoked_on is not None


class PersonSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "identity", "full_name", "birth_date", "sex", "position", "organization"]


class PersonDetailSerializer(PersonSerializer):
    """A person with every title and award the registry holds for them, oldest first."""

    history = HistoryEntrySerializer(source="entries", many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "history"]


class RowReportSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The row's number in the sheet."))
    status = serializers.ChoiceField(choices=[imports.REFUSED, imports.DUPLICATE])
    reasons = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "ImportRow"


class ImportReportSerializer(serializers.Serializer):
    """`rows` = `imported` + `refused`; `duplicates` counts the refused rows that were
    duplicates. `report` names each row not imported (the first 1,000 by row number;
    `truncated` says more were left out)."""

    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    refused = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    people_created = serializers.IntegerField()
    collectives_created = serializers.IntegerField()
    report = RowReportSerializer(many=True)
    truncated = serializers.BooleanField()

    class Meta:
        ref_name = "ImportReport"


class NomineeImportSerializer(ImportReportSerializer):
    dossier = DossierDetailSerializer()

    class Meta:
        ref_name = "NomineeImport"


def _upload(request) -> tuple[bytes, str]:
    """The uploaded file's bytes (refused before reading when larger than the upload limit)."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": [str(FILE_NEEDED)]})
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise DossierError(
            errors.FILE_TOO_LARGE, code="file_too_large", size=upload.size, limit=limit
        )
    upload.seek(0)
    return upload.read(), upload.name or ""


class LookupSerializer(serializers.Serializer):
    identity = serializers.RegexField(
        IDENTITY_PATTERN, required=False, allow_blank=True, max_length=12
    )


class RegistryPeople(generics.ListAPIView):
    """The registry's people this user may see (a unit: its own organisation and the units
    under it; boards, councils and inspectors: everyone), by name, filtered by organisation
    code and name. With `identity`: the one person with exactly that CCCD (never a partial
    match), if the user may see them; each such look-up is logged and counts towards the
    user's hourly limit (429 `rate_limited` beyond it)."""

    serializer_class = PersonSerializer
    pagination_class = DossierPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = registry_access.PersonFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        # Kept for the request: a renderer asking again must not count or log a second look-up.
        if not hasattr(self, "_people"):
            params = self.request.query_params
            query = LookupSerializer(data={"identity": params.get("identity", "")})
            query.is_valid(raise_exception=True)
            identity = query.validated_data.get("identity")
            self._people = (
                registry_access.person_lookup(actor=self.request.user, identity=identity)
                if identity
                else registry_access.people_visible_to(self.request.user)
            )
        return self._people

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "identity",
                {"type": "string", "pattern": IDENTITY_PATTERN},
                OpenApiParameter.QUERY,
                description=_(
                    "A citizen identity number (CCCD), 12 digits: exact match, logged, "
                    "limited per user and hour."
                ),
            )
        ],
        responses={
            200: PersonSerializer(many=True),
            429: OpenApiResponse(
                doc.ErrorSerializer, description=_("Too many look-ups by identity this hour.")
            ),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RegistryPerson(generics.RetrieveAPIView):
    """One person of the registry with their history (404 if this user may not see them)."""

    serializer_class = PersonDetailSerializer

    def get_object(self):
        return registry_access.person_get_for_user(self.request.user, self.kwargs["pk"])


class RegistryImport(APIView):
    """Import titles and awards into the registry from a spreadsheet: one row per title, of a
    person (columns identity, full_name, birth_date, sex, organization, position) or of a
    collective (collective_name, organization), with title (a title code), year,
    decision_number, decision_date and sudden (yes/no). Vietnamese header names are accepted
    ("Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Đơn vị", "Chức vụ", "Danh hiệu/Hình
    thức", "Năm", "Số quyết định", "Ngày quyết định"). Good rows land, the others are
    reported with their reasons; a row already in the registry is a duplicate, so importing a
    file twice adds nothing. Board officers and heads import for any organisation, a unit's
    officer for their own and the units under it. A file larger than
    `REGISTRY_IMPORT_INLINE_MAX_BYTES` is imported by the background worker: 202 with the
    job's address, which answers this report once done."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request=UPLOAD,
        parameters=[jobs.RETRY_AFTER],
        responses={200: ImportReportSerializer, 202: jobs.ACCEPTED},
    )
    def post(self, request):
        registry_access.import_scope(request.user)  # 403 before the file is read
        data, name = _upload(request)
        if registry_access.import_deferred(len(data)):
            job = registry_access.history_import_queue(actor=request.user, data=data, name=name)
            return jobs.accepted(job, "api-registry-import-job")
        report = registry_access.history_import(actor=request.user, data=data, name=name)
        return Response(report.body())


class RegistryImportJob(APIView):
    """A large history import done by the worker: 202 (with `Retry-After`) while it runs, then
    the report the import answers (200), or the error it would have answered (a file it
    refuses: 400), or 409 `job_failed`. For the uploader, inspectors and staff (404 for
    anyone else)."""

    @extend_schema(
        parameters=[jobs.RETRY_AFTER],
        responses={200: ImportReportSerializer, 202: jobs.PENDING, 409: jobs.FAILED},
    )
    def get(self, request, pk: int):
        return jobs.answer(
            request,
            pk,
            kind=registry_access.HISTORY_IMPORT_JOB,
            url_name="api-registry-import-job",
            done=lambda job: Response(job.result),
        )


class NomineeListImport(APIView):
    """Replace a draft's (or a returned dossier's) nominees with the unit's list: columns
    kind (cá nhân / tập thể, or individual / collective), name, identity, birth_date, sex,
    position, organization, achievements, criterion (Vietnamese header names accepted). All
    or nothing: if any row is refused, the answer is 400 `import_refused` with the report and
    the dossier is left as it was. Only the proposing unit, while it holds the dossier."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=UPLOAD, responses={200: NomineeImportSerializer})
    def post(self, request, pk: int):
        dossier = selectors.dossier_get_for_user(request.user, pk)
        policy.require_edit(request.user, dossier)  # 403, or 409 once it left the unit
        data, _name = _upload(request)
        sheet = imports.nominee_list_read(dossier=dossier, data=data)
        if sheet.refused:
            error = DossierError(
                imports.IMPORT_REFUSED, code="import_refused", count=sheet.refused, rows=sheet.rows
            )
            error.extra = sheet.body()  # type: ignore[attr-defined]  # read by api.errors
            raise error
        wf.dossier_edit(actor=request.user, dossier=dossier.pk, nominees=sheet.nominees)
        dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
        body = sheet.body()
        body["dossier"] = DossierDetailSerializer(dossier, context={"request": request}).data
        return Response(body)
