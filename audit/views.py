"""The inspector's views: ledger search with CSV/JSON export, the signed full export."""

import csv
import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit import hooks
from audit.export import export_lines
from audit.selectors import EXPORT_FIELDS, ledger_filter
from audit.verify import verify

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
    }
    return render(request, "audit/search.html", context)


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
