"""Reports in the API: the dossier list as an Excel file (the list's own FilterSet), a decision's
annex, the yearly statistics of awards, and the dashboard's figures. Thin: the query parameters
are parsed by the FilterSet or reports/forms.py (400), the figures and files come from reports/.
"""

from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api import jobs
from approvals.models import BallotBody
from approvals.selectors import decision_get_for_user
from dossiers.models import DossierState
from reports import access, excel, exports
from reports.forms import AwardsReportForm, SummaryForm
from reports.statistics import award_statistics
from reports.summary import dashboard_summary
from workflows import selectors
from workflows.filters import YEAR_MAX, YEAR_MIN, DossierFilter

XLSX_RESPONSE = {(200, excel.XLSX): OpenApiTypes.BINARY}
YEAR_SCHEMA = {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX}


def xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _parsed(form) -> dict:
    """The form's cleaned values, or a 400 naming each refused parameter."""
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form.cleaned_data


class ReportReaders(BasePermission):
    """The boards, the deciding heads, inspectors and administrators (reports/access.py)."""

    message = access.NOT_FOR_YOU

    def has_permission(self, request, view) -> bool:
        return access.may_see_reports(request.user)


class DossierListExport(generics.ListAPIView):
    """The dossiers `GET /api/v1/dossiers/` lists with the same filters and order, as one Excel
    file (every page). More than `DOSSIER_EXPORT_INLINE_MAX` dossiers are written by the
    background worker: 202 with the job's address, which answers the file once done."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = DossierFilter
    pagination_class = None
    serializer_class = serializers.Serializer  # no JSON body: the answer is the file

    def get_queryset(self):
        return selectors.dossier_list_visible_to(self.request.user)

    @extend_schema(
        parameters=[jobs.RETRY_AFTER], responses={**XLSX_RESPONSE, 202: jobs.ACCEPTED_ON_LIST}
    )
    def get(self, request, *args, **kwargs):
        dossiers = self.filter_queryset(self.get_queryset())  # 400 for a refused filter value
        if exports.dossier_list_deferred(dossiers):
            job = exports.dossier_list_queue(actor=request.user, params=request.query_params)
            return jobs.accepted(job, "api-dossiers-export-job")
        rows = dossiers.iterator(chunk_size=2000)
        return xlsx(excel.dossier_list_workbook(rows), exports.dossier_list_file_name())


class DossierListExportJob(APIView):
    """A long dossier list written by the worker: 202 (with `Retry-After`) while it runs, then
    the Excel file, or 409 `job_failed`. For whoever asked for it, inspectors and staff (404
    for anyone else)."""

    @extend_schema(
        parameters=[jobs.RETRY_AFTER],
        responses={**XLSX_RESPONSE, 202: jobs.PENDING, 409: jobs.FAILED},
    )
    def get(self, request, pk: int):
        return jobs.answer(
            request,
            pk,
            kind=exports.DOSSIER_LIST_JOB,
            url_name="api-dossiers-export-job",
            done=jobs.file_download,
        )


class DecisionAnnex(APIView):
    """The annex of a decision (awarded and declined, with each awardee's reward) as Excel; 404
    for a decision the user may not see."""

    @extend_schema(responses=XLSX_RESPONSE)
    def get(self, request, pk: int):
        decision = decision_get_for_user(request.user, pk)
        return xlsx(excel.decision_annex_workbook(decision), f"phu-luc-quyet-dinh-{pk}.xlsx")


class AwardsReport(APIView):
    """The yearly statistics of awards by form, level and organisation with the reward money,
    for `?year=` or `?from=&to=` (this year when neither is given)."""

    permission_classes = [ReportReaders]

    @extend_schema(
        responses=XLSX_RESPONSE,
        parameters=[
            OpenApiParameter("year", YEAR_SCHEMA, description="One year (of the signing)."),
            OpenApiParameter("from", YEAR_SCHEMA, description="A range's first year."),
            OpenApiParameter("to", YEAR_SCHEMA, description="A range's last year."),
        ],
    )
    def get(self, request):
        values = _parsed(AwardsReportForm(request.query_params))
        first, last = values["first"], values["last"]
        stats = award_statistics(request.user, first, last)
        name = f"thong-ke-khen-thuong-{first}" + (f"-{last}" if last != first else "")
        return xlsx(excel.statistics_workbook(stats), f"{name}.xlsx")


# The dashboard's figures, described for the schema.


class _StateFields(serializers.Serializer):
    state = serializers.ChoiceField(choices=DossierState.choices)
    state_label = serializers.CharField()
    stage = serializers.CharField(allow_blank=True)
    stage_label = serializers.CharField(allow_blank=True)


class SummaryStateSerializer(_StateFields):
    level = serializers.CharField(allow_blank=True, help_text="The holding level's authority.")
    level_name = serializers.CharField(allow_blank=True)
    count = serializers.IntegerField()

    class Meta:
        ref_name = "SummaryState"


class SummaryOverdueSerializer(_StateFields):
    owner = serializers.CharField(allow_null=True, help_text="The assignee; null: unassigned.")
    owner_name = serializers.CharField(
        allow_null=True, help_text="The assignee's full name; null: unassigned."
    )
    count = serializers.IntegerField()

    class Meta:
        ref_name = "SummaryOverdue"


class SummaryStageTimeSerializer(_StateFields):
    count = serializers.IntegerField(help_text="Finished stays in the state.")
    median_days = serializers.FloatField()
    p90_days = serializers.FloatField()

    class Meta:
        ref_name = "SummaryStageTime"


class SummaryAwardSerializer(serializers.Serializer):
    award_form = serializers.CharField()
    award_form_name = serializers.CharField()
    year = serializers.IntegerField(help_text="The year the decision was signed.")
    count = serializers.IntegerField()

    class Meta:
        ref_name = "SummaryAward"


class SummaryBallotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.ChoiceField(choices=BallotBody.choices)
    name = serializers.CharField()
    year = serializers.IntegerField()
    closed_at = serializers.DateTimeField(allow_null=True)
    eligible = serializers.IntegerField()
    voted = serializers.IntegerField()
    turnout_percent = serializers.FloatField()

    class Meta:
        ref_name = "SummaryBallot"


class SummaryTotalsSerializer(serializers.Serializer):
    dossiers = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    awarded = serializers.IntegerField()

    class Meta:
        ref_name = "SummaryTotals"


class SummarySerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    totals = SummaryTotalsSerializer()
    by_state = SummaryStateSerializer(many=True)
    overdue = SummaryOverdueSerializer(many=True)
    stage_times = SummaryStageTimeSerializer(many=True)
    awards = SummaryAwardSerializer(many=True)
    ballots = SummaryBallotSerializer(many=True)

    class Meta:
        ref_name = "Summary"


class ReportSummary(APIView):
    """The dashboard's figures for the user (what the policy lets them see): dossiers by state
    and level, overdue by state and owner, time per state (median, 90th percentile, days),
    awards by form and year, the latest closed ballots' turnout. `?year=`: that achievement
    year only."""

    permission_classes = [ReportReaders]

    @extend_schema(
        responses=SummarySerializer,
        parameters=[OpenApiParameter("year", YEAR_SCHEMA, description="The achievement year.")],
    )
    def get(self, request):
        values = _parsed(SummaryForm(request.query_params))
        data = dashboard_summary(request.user, year=values.get("year"))
        return Response(SummarySerializer(data).data)
