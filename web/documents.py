"""The decision's documents in the browser: the draft the decider reads before signing, the
signed PDF, the certificates to print, and the public register of signed decisions (no
sign-in). Each file is fetched through documents.services, which asks
`decision_get_for_user` first: 404 for a decision the user may not see."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from approvals.models import DecisionState
from approvals.selectors import decision_get_for_user
from documents import selectors, services
from dossiers.errors import DossierError
from dossiers.models import AwardForm

PUBLIC_PAGE_SIZE = 20
FILTER_IGNORED = _("A search value was not valid and has been ignored.")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_GET
def decision_preview(request, pk: int):
    """The decision as it will read once signed ("DỰ THẢO" across it), for whoever may see the
    submission; a signed decision's own document instead."""
    decision = decision_get_for_user(request.user, pk)
    if decision.state == DecisionState.SIGNED:
        return redirect("workflows:decision_document", pk=pk)
    return _pdf(services.decision_preview(decision=decision), f"du-thao-{pk}.pdf")


@login_required
@require_GET
def decision_document(request, pk: int):
    document, data = services.decision_document_read(user=request.user, pk=pk)
    return _pdf(data, services.document_file_name(document))


@login_required
@require_GET
def decision_certificates(request, pk: int):
    """The batch to print; a large decision's is rendered by the worker: until its file is
    ready, a page saying so (202, `Retry-After`, refreshed after that many seconds)."""
    try:
        got = services.decision_certificates_read(user=request.user, pk=pk)
    except DossierError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:decision", pk=pk)
    if got.data is None:
        context = {"message": got.message, "retry_after": got.retry_after, "pk": pk}
        response = render(request, "documents/certificates_preparing.html", context, status=202)
        response["Retry-After"] = str(got.retry_after)
        return response
    return _pdf(got.data, got.name)


class NoticeFilter(forms.Form):
    organization = forms.SlugField(required=False, max_length=32)


@login_required
@require_GET
def dossier_submission_letter(request, pk: int):
    """The unit's submission letter with its list, for whoever may see the dossier."""
    name, data = services.submission_letter(user=request.user, pk=pk)
    return _pdf(data, name)


@login_required
@require_GET
def decision_not_awarded(request, pk: int):
    """The notice of the nominees not awarded, `?organization=` for one unit's (the decision
    page links one per unit the user may read)."""
    search = NoticeFilter(request.GET)
    if not search.is_valid():
        raise Http404
    try:
        name, data = services.not_awarded_notice(
            user=request.user, pk=pk, organization=search.cleaned_data["organization"] or None
        )
    except DossierError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:decision", pk=pk)
    return _pdf(data, name)


@require_GET
def public_decisions(request):
    """Signed decisions for anyone: search by year, award form, organisation and name."""
    search = selectors.PublicDecisionFilter(request.GET)
    values = search.cleaned_data if search.is_valid() else {}
    if search.is_bound and request.GET and not search.is_valid():
        messages.error(request, FILTER_IGNORED)
    page = Paginator(selectors.public_decisions(values), PUBLIC_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    kept = {k: request.GET.get(k, "") for k in ("year", "form", "organization", "name")}
    context = {
        "page": page,
        "entries": [selectors.public_entry(d) for d in page.object_list],
        "values": kept,
        "forms": AwardForm.objects.order_by("name").values_list("code", "name"),
        "query": urlencode({k: v for k, v in kept.items() if v}) if values else "",
    }
    return render(request, "documents/public.html", context)


urlpatterns = [
    path("decisions/public/", public_decisions, name="decisions_public"),
    path("decisions/<int:pk>/preview.pdf", decision_preview, name="decision_preview"),
    path("decisions/<int:pk>/document.pdf", decision_document, name="decision_document"),
    path(
        "decisions/<int:pk>/certificates.pdf", decision_certificates, name="decision_certificates"
    ),
    path("decisions/<int:pk>/not-awarded.pdf", decision_not_awarded, name="decision_not_awarded"),
    path(
        "dossiers/<int:pk>/submission.pdf",
        dossier_submission_letter,
        name="dossier_submission_letter",
    ),
]
