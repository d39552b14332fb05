"""The inspector's views: ledger search with CSV/JSON export, the signed full export."""

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.export import export_lines
from audit.selectors import EXPORT_FIELDS, BadFilter, ledger_search
from audit.verify import verify
from dossiers.permissions import is_inspector

FILTERS = ["dossier", "actor", "organization", "action", "object_type", "since", "until"]


def _inspector(request) -> None:
    if not is_inspector(request.user):
        raise PermissionDenied


def _row(event) -> dict:
    row = {field: getattr(event, field) for field in EXPORT_FIELDS}
    row["at"] = event.at.isoformat()
    return row


@login_required
def search(request):
    _inspector(request)
    params = {k: request.GET.get(k, "").strip() for k in FILTERS}
    error = ""
    try:
        events = ledger_search({k: v for k, v in params.items() if v})
    except BadFilter as exc:
        events, error = ledger_search({}), str(exc)
    fmt = request.GET.get("format")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for event in events.iterator(chunk_size=2000):
            writer.writerow(_row(event))
        return response
    if fmt == "json":
        rows = (json.dumps(_row(e), ensure_ascii=False) for e in events.iterator(chunk_size=2000))
        body = "[" + ",\n".join(rows) + "]"
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.json"'
        return response
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return render(
        request,
        "audit/search.html",
        {"page": page, "params": params, "query": query, "error": error},
    )


@login_required
def export(request):
    """The whole ledger with a signed head, for offline verification."""
    _inspector(request)
    response = StreamingHttpResponse(export_lines(), content_type="application/x-ndjson")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.jsonl"'
    return response


@login_required
def status(request):
    _inspector(request)
    return render(request, "audit/status.html", {"report": verify()})
