"""The inspector's views: ledger search with CSV/JSON export, the signed full export (a long
ledger's written on the worker: a page saying so, then the file at the job's address)."""

import csv
import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from audit import export as ledger_export
from audit import hooks
from audit.export import export_lines
from audit.selectors import EXPORT_FIELDS, ledger_filter
from audit.verify import verify
from jobs.models import JobStatus
from jobs.services import job_get_for_user, retry_after

FILTERS = ["dossier", "actor", "organization", "action", "object_type", "since", "until"]
# OWASP CSV injection: a cell a spreadsheet would read as a formula is prefixed with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inspector(request) -> None:
    if not hooks.is_inspector(request.user):
        raise PermissionDenied


def _row(event) -> dict:
    row = {field: getattr(event, field) for field in EXPORT_FIELDS}
    row["at"] = event.at.isoformat()
    return row


def csv_cell(value):
    """The value as a spreadsheet shows it as text: `=HYPERLINK(...)` becomes `'=HYPERLINK(...)`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@login_required
def search(request):
    _inspector(request)
    params = {k: request.GET.get(k, "") for k in FILTERS}
    search = ledger_filter(request.GET)
    if not search.is_valid():
        context = {
            "form": search.form,
            "params": params,
            "page": None,
            "query": "",
            "actions": hooks.action_choices(params["action"]),
            "organizations": hooks.organization_choices(params["organization"]),
        }
        return render(request, "audit/search.html", context, status=400)
    events = search.qs
    fmt = request.GET.get("format")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for event in events.iterator(chunk_size=2000):
            writer.writerow({k: csv_cell(v) for k, v in _row(event).items()})
        return response
    if fmt == "json":
        rows = (json.dumps(_row(e), ensure_ascii=False) for e in events.iterator(chunk_size=2000))
        body = "[" + ",\n".join(rows) + "]"
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.json"'
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in params.items() if v})
    context = {
        "form": search.form,
        "page": page,
        "lines": hooks.describe(page.object_list),  # the events in words
        "params": params,
        "query": query,
        "actions": hooks.action_choices(params["action"]),
        "organizations": hooks.organization_choices(params["organization"]),
    }
    return render(request, "audit/search.html", context)


def _job_page(request, job):
    """A job not done yet (202, asked again after Retry-After), or failed (its error)."""
    wait = retry_after()
    context = {"job": job, "retry_after": wait, "url": reverse("audit:export_job", args=[job.pk])}
    if job.status == JobStatus.FAILED:
        return render(request, "audit/export_job.html", context, status=job.error_status or 409)
    response = render(request, "audit/export_job.html", context, status=202)
    response["Retry-After"] = str(wait)
    return response


@login_required
def export(request):
    """The whole ledger with a signed head, for offline verification; a long one is written on
    the worker, and this answers 202 with the address of the file to come."""
    _inspector(request)
    if ledger_export.export_deferred():
        return _job_page(request, ledger_export.export_queue(actor=request.user))
    response = StreamingHttpResponse(export_lines(), content_type="application/x-ndjson")
    name = ledger_export.export_file_name()
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_job(request, pk: int):
    """A long ledger's export: 202 while the worker writes it, then the file (any inspector may
    fetch it: each may export the ledger)."""
    _inspector(request)
    job = job_get_for_user(
        user=request.user, pk=pk, kind=ledger_export.LEDGER_EXPORT_JOB, reads_all=True
    )
    if job.status != JobStatus.DONE:
        return _job_page(request, job)
    return FileResponse(
        job.output.open("rb"),
        as_attachment=True,
        filename=job.output_name,
        content_type=job.content_type,
    )


@login_required
def status(request):
    _inspector(request)
    return render(request, "audit/status.html", {"report": verify()})
