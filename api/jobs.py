"""Jobs over the API: a large import or export answers 202 with the job's address; that address
answers 202 (with Retry-After) while the worker is at it, then what the request would have
answered: the import's report, the export's file; or the error it would have answered (a file
the import refuses), or 409 `job_failed` when the task failed for good. The uploader reads it,
and inspectors and staff; anyone else gets 404 (jobs/services.py `job_get_for_user`)."""

from collections.abc import Callable

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from dossiers.permissions import is_inspector
from jobs.models import Job, JobStatus
from jobs.services import job_get_for_user, retry_after

BEING_PROCESSED = _(
    "Being processed: ask for the answer at the job’s address after Retry-After seconds."
)


class JobAccepted(serializers.Serializer):
    job = serializers.IntegerField(help_text="The job's id.")
    status = serializers.ChoiceField(choices=JobStatus.choices)
    url = serializers.CharField(help_text="Where to ask for the job's answer.")
    retry_after = serializers.IntegerField(help_text="Seconds, as in the Retry-After header.")
    detail = serializers.CharField(help_text="In the site's language (Vietnamese first).")

    class Meta:
        ref_name = "JobAccepted"


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    description="Seconds to wait before asking the job's address (202 only).",
    response=[202],
)
ACCEPTED = OpenApiResponse(
    JobAccepted,
    description=(
        "Large: the worker does it. Ask the job's address (`url`) after `Retry-After` seconds."
    ),
)
# The same, for a list view's operation (a serializer there would be documented as an array).
ACCEPTED_ON_LIST = OpenApiResponse(
    {"$ref": "#/components/schemas/JobAccepted"}, description=ACCEPTED.description
)
PENDING = OpenApiResponse(
    JobAccepted, description="Still being processed: ask again after `Retry-After` seconds."
)
FAILED = OpenApiResponse(
    {"$ref": "#/components/schemas/Error"},
    description="`job_failed`: the task failed for good (administrators see it).",
)


def reads_all(user) -> bool:
    """Inspectors and staff read anyone's job; others only their own."""
    return bool(user.is_staff or user.is_superuser or is_inspector(user))


def accepted(job: Job, url_name: str) -> Response:
    """202 with the job's address (a header too: Location)."""
    wait = retry_after()
    url = reverse(url_name, args=[job.pk])
    body = {
        "job": job.pk,
        "status": job.status,
        "url": url,
        "retry_after": wait,
        "detail": str(BEING_PROCESSED),
    }
    return Response(body, status=202, headers={"Retry-After": str(wait), "Location": url})


def answer(request, pk: int, *, kind: str, url_name: str, done: Callable[[Job], HttpResponse]):
    """The job's answer for this user: pending (202), failed (its error), or `done(job)`."""
    job = job_get_for_user(user=request.user, pk=pk, kind=kind, reads_all=reads_all(request.user))
    if job.pending:
        return accepted(job, url_name)
    if job.status == JobStatus.FAILED:
        body = {"detail": job.error, "code": job.error_code or "job_failed"}
        return Response(body, status=job.error_status or 409)
    return done(job)


def file_download(job: Job) -> FileResponse:
    """A finished export's file, streamed from the shared media storage."""
    return FileResponse(
        job.output.open("rb"),
        as_attachment=True,
        filename=job.output_name,
        content_type=job.content_type,
    )
