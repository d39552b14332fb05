"""The web UI: inbox, dossier lists and pages, actions, decisions, the flow chart."""

import uuid

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.auth import reauthenticate
from approvals import services as approval_services
from approvals.policy import may_prepare_any
from approvals.selectors import (
    decision_get_for_user,
    decision_list_visible_to,
)
from consultations import services as consultation_services
from documents import services as document_services
from dossiers import lifecycle, permissions
from dossiers.errors import DossierError
from dossiers.models import DocumentKind, Dossier, DossierState, Organization
from notices import services as notice_services
from web import decisions as batches
from web.consultations import request_form
from web.eligibility import dossier_checks
from web.forms import DossierActionForm, FlowChartForm, UploadForm
from workflows import policy, selectors, wording
from workflows import services as wf
from workflows.chart import lifecycle_svg, path_text, route_states
from workflows.idempotency import RequestKey, form_request_key
from workflows.inputs import (
    DecisionProposeSerializer,
    DecisionSignSerializer,
)
from workflows.selectors import state_path

PAGE_SIZE = 25


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def dossier_detail(request, pk: int):
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    rows = nominee_rows(request.user, dossier)
    context = {
        "dossier": dossier,
        "actions": [
            (action, lifecycle.ACTION_LABELS[action])
            for action in policy.actions(request.user, dossier)
        ],
        "can_edit": policy.can_edit(request.user, dossier),
        "nominee_rows": rows,
        "nominee_actions": any(actions for _nominee, actions in rows),
        "assignment_actions": [
            (action, policy.ASSIGNMENT_LABELS[action])
            for action in policy.assignment_actions(request.user, dossier)
        ],
        "officers": selectors.board_officers(dossier),
        "events": wording.describe(selectors.dossier_events(dossier), dossier=dossier),
        "flow_text": path_text(state_path(dossier)),
        "document_kinds": DocumentKind.objects.all(),
        "reject_reasons": wording.reason_choices("reject"),
        "hold_reasons": wording.reason_choices("hold"),
        "revoke_reasons": wording.reason_choices("revoke"),
        "reason_code_label": wording.reason_label(dossier.reason_code),
        "request_key": uuid.uuid4().hex,
        "changes": _changes(dossier) if permissions.is_inspector(request.user) else None,
        "ballots": dossier_ballots(request.user, dossier),
        "board_work": board_work(request.user, dossier),
        "eligibility": dossier_checks(request.user, dossier),
    }
    return render(request, "workflows/dossier_detail.html", context)


UNIT_HOLDS = (DossierState.DRAFT, DossierState.RETURNED)
NOMINEE_DONE = {
    "hold": gettext_lazy(
        "%(name)s is on hold: left out of ballots and of the decision until released."
    ),
    "release": gettext_lazy("The hold on %(name)s is released."),
}


def nominee_rows(user, dossier) -> list[tuple]:
    """Each nominee (prefetched) with the hold or release the policy lets this user do now."""
    return policy.nominee_actions(user, dossier, dossier.nominees.all())


@login_required
@require_POST
def nominee_action(request, pk: int, nominee: int, action: str):
    """Hold one nominee (a reason code and a reason) or release the hold (a reason): the API's
    service. 404 unless the user sees the dossier and the nominee is one of its own, 403 unless
    the policy lets the user; what the service refuses is shown as a message."""
    if action not in wf.NOMINEE_ACTIONS:
        raise Http404
    dossier = selectors.dossier_get_for_user(request.user, pk)
    named = dossier.nominees.filter(pk=nominee).values_list("name", flat=True).first()
    if named is None:
        raise Http404
    back = reverse("workflows:dossier", args=[pk]) + f"#nominee-{nominee}"
    form = DossierActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect(back)
    try:
        wf.nominee_act(
            actor=request.user,
            dossier=dossier.pk,
            nominee=nominee,
            action=action,
            payload=form.cleaned_data["payload"],
            request_key=form_request_key(request),
        )
    except DossierError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, NOMINEE_DONE[action] % {"name": named})
    return redirect(back)


def board_work(user, dossier) -> dict:
    """The consultation requests with their answers and due dates, and the public comments, for
    the dossier page; `may_handle`: the user is of the board that handles the comments (their
    contacts are shown to it only)."""
    rows = list(consultation_services.consultation_list(dossier))
    consultation = consultation_services.status(dossier)
    comments = list(notice_services.dossier_comments(dossier))
    form = request_form(user, dossier)
    return {
        # Nothing to show while the unit still holds the dossier (a draft or a return).
        "show": bool(rows or comments or form)
        or (bool(consultation.required) and dossier.state not in UNIT_HOLDS),
        "consultations": [
            {
                "row": row,
                "outcome": (outcome := consultation_services.outcome(row)),
                "label": consultation_services.OUTCOME_LABELS[outcome],
            }
            for row in rows
        ],
        "status": consultation,
        "comments": comments,
        "open_comments": sum(1 for c in comments if not c.handled),
        "may_handle": notice_services.may_handle(user, dossier),
        "missing_names": list(
            Organization.objects.filter(code__in=consultation.missing)
            .order_by("name")
            .values_list("name", flat=True)
        )
        if consultation.missing
        else [],
        "request_form": form,
    }


@login_required
@require_POST
def comment_handle(request, pk: int, comment_id: int):
    """Mark a public comment handled with a note (the API's service): 404 unless the user sees
    the dossier and the comment is one of its own, 403 unless the user is of its board."""
    dossier = selectors.dossier_get_for_user(request.user, pk)
    if not notice_services.dossier_comments(dossier).filter(pk=comment_id).exists():
        raise Http404
    try:
        notice_services.comment_handle(
            actor=request.user, comment_id=comment_id, note=request.POST.get("note", "")
        )
    except DossierError as exc:
        if exc.status == 403:
            raise PermissionDenied(str(exc)) from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The comment is marked handled."))
    return redirect(reverse("workflows:dossier", args=[pk]) + "#board-work")


def dossier_ballots(user, dossier) -> list:
    """The ballot sessions this dossier's nominees are on, as far as the user may see them."""
    from approvals.selectors import ballot_list_visible_to

    return list(
        ballot_list_visible_to(user).filter(items__dossier=dossier).distinct().order_by("id")
    )


def _changes(dossier) -> list[dict]:
    """Each saved version of the dossier with the fields that changed, in words (inspectors)."""
    return wording.dossier_changes(dossier)


@login_required
@require_POST
def dossier_action(request, pk: int, action: str):
    seen = selectors.dossier_get_for_user(request.user, pk)
    form = DossierActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect("workflows:dossier", pk=pk)
    payload = form.cleaned_data["payload"]
    sharing = policy.assignment_applies(action, seen)
    try:
        wf.dossier_perform(
            actor=request.user,
            dossier=seen,
            action=action,
            payload=payload,
            request_key=form_request_key(request),  # bound to user, path and form body
        )
    except DossierError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:dossier", pk=pk)
    labels = policy.ASSIGNMENT_LABELS if sharing else lifecycle.ACTION_LABELS
    label = labels.get(action, action)
    messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect("workflows:dossier", pk=pk)


@login_required
@require_POST
def dossier_upload(request, pk: int):
    dossier = selectors.dossier_get_for_user(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("workflows:dossier", pk=pk)
    try:
        wf.attachment_add(
            actor=request.user,
            dossier=dossier,
            kind_code=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except DossierError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Document stored."))
    return redirect("workflows:dossier", pk=pk)


@login_required
def decision_list(request):
    return render(
        request,
        "workflows/decision_list.html",
        {
            "page": _page(request, decision_list_visible_to(request.user).order_by("-id")),
            "can_prepare_batch": may_prepare_any(request.user),
        },
    )


# "decline": the boxes ticked for nominees not awarded (web/decisions.py: ticked_declines)
SIGN_FORM_FIELDS = {
    "csrfmiddlewaretoken", "request_key", "password", "otp", "op", "number", "decline"
}  # fmt: skip
UNKNOWN_FIELD = gettext_lazy("Unknown field: %(name)s.")


def _flat_errors(errors) -> list[str]:
    """A serializer's errors as messages, each after its field's name."""
    if isinstance(errors, dict):
        return [
            f"{field}: {message}" if field != "non_field_errors" else message
            for field, problems in errors.items()
            for message in _flat_errors(problems)
        ]
    if isinstance(errors, list):
        return [message for item in errors for message in _flat_errors(item)]
    return [str(errors)]


def _decision_form(request, decision, propose: bool) -> tuple[dict, dict, list[str]]:
    """The sign (or propose) form read as the API's serializer reads its body: the values to
    show again, the checked values, and what is wrong (unknown fields included: a
    `decline_<id>` that names no nominee of the batch is refused, not ignored). A nominee is
    declined by its ticked box or its reason; the code typed is never shown again."""
    nominees = {
        n.pk: n.name for d in decision.dossiers.all() for n in d.nominees.all()
    }  # prefetched by decision_get_for_user
    values = {name: request.POST.get(name, "") for name in ("number", "signed_on")}
    known = SIGN_FORM_FIELDS | ({"signed_on"} if not propose else set())
    ticked, problems = batches.ticked_declines(request.POST.getlist("decline"), nominees, propose)
    values["declined_ids"] = ticked
    declined: list[dict] = []
    for name, value in request.POST.items():
        raw = name.removeprefix("decline_")
        if raw != name and raw.isascii() and raw.isdigit() and int(raw) in nominees:
            values[name] = value
            if value.strip() and propose:  # nominees are declined when signing, not proposing
                problems.append(UNKNOWN_FIELD % {"name": name})
            elif value.strip():
                declined.append({"nominee": int(raw), "reason": value})
            continue
        if name not in known:
            problems.append(UNKNOWN_FIELD % {"name": name[:80]})
    problems += batches.reasons_missing(ticked, declined, nominees)
    body = {"number": values["number"], "otp": "000000"}  # the code is checked after the form
    if not propose:
        body = {**body, "signed_on": values["signed_on"], "declined": declined}
    serializer_class = DecisionProposeSerializer if propose else DecisionSignSerializer
    data = serializer_class(data=body)
    if not data.is_valid():
        problems += _flat_errors(data.errors)
        return values, {}, problems
    return values, dict(data.validated_data), problems


@login_required
def decision_detail(request, pk: int):
    """The submission; its decider signs it here (the PM proposes a President form to the
    President). The form is checked as the API checks its body (same serializer): a malformed
    or unknown field is a form error (400) and consumes nothing; then the password (unless the
    sign-in was recent) and a new authenticator code of the signer (403 without one, the form
    kept filled in so the signer only waits for the next code); then the signature."""
    decision = decision_get_for_user(request.user, pk)
    values: dict = batches.sign_defaults()
    problems: list[str] = []
    status, proof_refused = 200, False
    if request.method == "POST":
        propose = request.POST.get("op") == "propose"
        values, checked, problems = _decision_form(request, decision, propose)
        if problems:
            status = 400
        else:
            problem = reauthenticate(
                request, request.POST.get("password", ""), request.POST.get("otp", "")
            )
            if problem:
                problems, status, proof_refused = [problem], 403, True
        if not problems:
            try:
                if propose:
                    approval_services.decision_propose(
                        actor=request.user, decision=decision, number=checked["number"]
                    )
                else:
                    approval_services.decision_sign(
                        actor=request.user,
                        decision=decision,
                        number=checked["number"],
                        signed_on=checked["signed_on"],
                        declined=checked["declined"],
                        request_key=_sign_request_key(request),
                    )
            except DossierError as exc:
                problems, status = [str(exc)], exc.status
            else:
                return redirect("workflows:decision", pk=pk)
    actions = policy.actions(request.user, decision)
    context = {
        "decision": decision,
        "actions": actions,
        "can_decline": "sign" in actions,
        "not_awarded": document_services.not_awarded_organizations(
            user=request.user, decision=decision
        ),
        "groups": batches.review_rows(decision, values, request.user),
        "proof_refused": proof_refused,  # ask for the next code, the rest kept as typed
        "values": values,
        "problems": problems,
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "workflows/decision_detail.html", context, status=status)


def _sign_request_key(request) -> RequestKey | None:
    """The form's `request_key`, bound to the path and the fields that say what is signed (not
    the password or the code, which prove who signs and are never stored, even hashed)."""
    key = request.POST.get("request_key")
    if not key:
        return None
    proof = {"csrfmiddlewaretoken", "request_key", "password", "otp"}
    body = {k: v for k, v in request.POST.lists() if k not in proof}
    return RequestKey.of(key, request.method, request.path, body)


@login_required
@csp_replace({"frame-ancestors": ["'self'"]})  # shown in the dossier page's <object>
@xframe_options_sameorigin
def flow_chart(request):
    """The lifecycle drawn from its declaration; with ?dossier=<id> that dossier's path is
    marked."""
    form = FlowChartForm(request.GET)
    if not form.is_valid():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    path = route = None
    dossier_pk = form.cleaned_data["dossier"]
    if dossier_pk is not None:
        dossier = Dossier.objects.filter(pk=dossier_pk).first()
        if dossier is None or not policy.can_view(request.user, dossier):
            raise PermissionDenied
        path, route = state_path(dossier), route_states(dossier)
    return HttpResponse(lifecycle_svg(path, route), content_type="image/svg+xml")


@login_required
def attachment_download(request, pk: int, attachment_id: int):
    """Documents are served only to those who may see the dossier (never as public media)."""
    dossier = selectors.dossier_get_for_user(request.user, pk)
    attachment = dossier.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )
