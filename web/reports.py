"""The dashboard page and the dossier list's Excel export. Thin: the figures are
reports.summary's (the same the API's `reports/summary/` answers), the file reports.excel's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from reports import access, excel
from reports.forms import SummaryForm
from reports.summary import dashboard_summary
from web.lists import FILTER_NAMES
from workflows import selectors
from workflows.filters import DossierFilter


@login_required
def dashboard(request):
    """Charts drawn in the browser from the JSON endpoint, each beside its table (drawn here, so
    the figures are read without script and by screen readers). 403 for a proposing unit."""
    access.require_reports(request.user)
    form = SummaryForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/dashboard.html", {"form": form}, status=400)
    year = form.cleaned_data.get("year")
    context = {"form": form, "year": year, "summary": dashboard_summary(request.user, year=year)}
    return render(request, "reports/dashboard.html", context)


@login_required
def dossier_list_export(request):
    """The dossier list as the page shows it (same FilterSet, same order), as an Excel file; a
    filter value the FilterSet refuses is a 400."""
    data = {name: request.GET[name] for name in FILTER_NAMES if request.GET.get(name)}
    visible = selectors.dossier_list_visible_to(request.user)
    chosen = DossierFilter(data, queryset=visible, request=request)
    if not chosen.is_valid():
        return render(request, "400.html", {"errors": chosen.errors}, status=400)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    body = excel.dossier_list_workbook(chosen.qs.iterator(chunk_size=2000))
    response = HttpResponse(body, content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="ho-so-{stamp}.xlsx"'
    return response


urlpatterns = [
    path("reports/", dashboard, name="dashboard"),
    path("dossiers/export.xlsx", dossier_list_export, name="dossiers_export"),
]
