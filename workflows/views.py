"""The web UI: inbox, dossier lists and pages, actions, decisions, the flow chart."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from viewflow.workflow import chart

from approvals.ballots import ballot_abilities
from approvals.selectors import (
    ballot_get_for_user,
    ballots_waiting_for,
    decision_get_for_user,
    decision_list_visible_to,
    decisions_waiting_for,
)
from dossiers import lifecycle, permissions, selectors
from dossiers.errors import DossierError
from dossiers.models import AwardForm, Bloc, DocumentKind, DossierState
from dossiers.services import (
    HOLD_REASONS,
    REJECT_REASONS,
    REVOKE_REASONS,
    attachment_add,
)
from workflows import services as wf
from workflows.api.serializers import BallotSerializer
from workflows.auth import reauthenticate
from workflows.flows import AwardFlow
from workflows.models import DossierProcess

PAGE_SIZE = 25
OUTCOME_LABELS = {
    "passed": gettext_lazy("Passed"),
    "no_quorum": gettext_lazy("Failed: no quorum"),
    "below_threshold": gettext_lazy("Failed: below the threshold"),
    "tie": gettext_lazy("Failed: tie"),
}


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def inbox(request):
    dossiers = _page(request, selectors.dossier_inbox(request.user))
    decisions = decisions_waiting_for(request.user)[:50]
    context = {
        "page": dossiers,
        "decisions": decisions,
        "ballots": ballots_waiting_for(request.user),
        "can_open_ballot": bool(
            permissions.led_blocs(request.user)
            or permissions.orgs_with_role(request.user, "council_secretary")
        ),
    }
    return render(request, "workflows/inbox.html", context)


@login_required
def dossier_list(request):
    queryset = selectors.dossier_list_visible_to(request.user)
    state = request.GET.get("state")
    if state in DossierState.values:
        queryset = queryset.filter(state=state)
    return render(
        request,
        "workflows/dossier_list.html",
        {"page": _page(request, queryset), "states": DossierState.choices, "state": state},
    )


@login_required
def dossier_detail(request, pk: int):
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    process = DossierProcess.objects.filter(dossier=dossier).first()
    context = {
        "dossier": dossier,
        "actions": [
            (action, lifecycle.ACTION_LABELS[action])
            for action in permissions.dossier_actions(request.user, dossier)
        ],
        "can_edit": permissions.can_edit(request.user, dossier),
        "events": selectors.dossier_events(dossier),
        "process": process,
        "tasks": process.task_set.order_by("id") if process else [],
        "document_kinds": DocumentKind.objects.all(),
        "reject_reasons": REJECT_REASONS,
        "hold_reasons": HOLD_REASONS,
        "revoke_reasons": REVOKE_REASONS,
        "request_key": uuid.uuid4().hex,
        "changes": _changes(dossier) if permissions.is_inspector(request.user) else None,
        "ballots": dossier_ballots(request.user, dossier),
    }
    return render(request, "workflows/dossier_detail.html", context)


def dossier_ballots(user, dossier) -> list:
    """The ballot sessions this dossier's nominees are on, as far as the user may see them."""
    from approvals.selectors import ballot_list_visible_to

    return list(
        ballot_list_visible_to(user).filter(items__dossier=dossier).distinct().order_by("id")
    )


def _changes(dossier) -> list[dict]:
    """Each saved version of the dossier with the fields that changed (for inspectors)."""
    records = list(dossier.history.select_related("history_user").order_by("history_id"))
    rows, previous = [], None
    for record in records:
        diffs = []
        if previous is not None:
            diffs = [(c.field, c.old, c.new) for c in record.diff_against(previous).changes]
        rows.append({"record": record, "diffs": diffs})
        previous = record
    return rows


@login_required
@require_POST
def dossier_action(request, pk: int, action: str):
    selectors.dossier_get_for_user(request.user, pk)
    payload = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
    try:
        wf.dossier_act(
            actor=request.user,
            dossier=pk,
            action=action,
            payload=payload,
            request_key=request.POST.get("request_key"),
        )
    except DossierError as exc:
        messages.error(request, str(exc))
        return redirect("workflows:dossier", pk=pk)
    label = lifecycle.ACTION_LABELS.get(action, action)
    messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect("workflows:dossier", pk=pk)


@login_required
@require_POST
def dossier_upload(request, pk: int):
    dossier = selectors.dossier_get_for_user(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("workflows:dossier", pk=pk)
    try:
        attachment_add(
            actor=request.user,
            dossier=dossier,
            kind_code=request.POST.get("kind", ""),
            upload=upload,
        )
    except DossierError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Document stored."))
    return redirect("workflows:dossier", pk=pk)


@login_required
def dossier_create(request):
    forms = AwardForm.objects.all()
    if request.method == "POST":
        from dossiers.models import Organization

        units = sorted(
            {
                o
                for r, o in permissions.user_roles(request.user)
                if r in ("unit_officer", "unit_head") and o
            }
        )
        if not units:
            raise PermissionDenied
        try:
            form = AwardForm.objects.filter(code=request.POST.get("award_form")).first()
            if form is None:
                raise DossierError(_("Choose an award form."), code="invalid")
            year = request.POST.get("year", "")
            if not year.isdigit():
                raise DossierError(_("The year must be a number."), code="invalid")
            dossier = wf.dossier_start(
                actor=request.user,
                organization=Organization.objects.get(code=units[0]),
                award_form=form,
                year=int(year),
                title=request.POST.get("title", ""),
                nominees=[
                    {
                        "kind": request.POST.get("nominee_kind"),
                        "name": request.POST.get("nominee_name", ""),
                        "organization": units[0],
                        "achievements": request.POST.get("achievements", ""),
                    }
                ],
            )
        except DossierError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("workflows:dossier", pk=dossier.pk)
    return render(request, "workflows/dossier_create.html", {"forms": forms})


@login_required
def decision_list(request):
    return render(
        request,
        "workflows/decision_list.html",
        {"page": _page(request, decision_list_visible_to(request.user).order_by("-id"))},
    )


@login_required
def decision_detail(request, pk: int):
    decision = decision_get_for_user(request.user, pk)
    if request.method == "POST":
        problem = reauthenticate(
            request, request.POST.get("password", ""), request.POST.get("otp", "")
        )
        if problem:
            messages.error(request, problem)
            return redirect("workflows:decision", pk=pk)
        try:
            if request.POST.get("op") == "propose":
                wf.decision_propose(
                    actor=request.user, decision=decision, number=request.POST.get("number", "")
                )
            else:
                signed_on = parse_date(request.POST.get("signed_on", ""))
                if signed_on is None:
                    raise DossierError(_("Give the signing date as YYYY-MM-DD."), code="invalid")
                declined = [
                    {"nominee": int(key.split("_", 1)[1]), "reason": value}
                    for key, value in request.POST.items()
                    if key.startswith("decline_") and value.strip()
                ]
                wf.decision_sign(
                    actor=request.user,
                    decision=decision,
                    number=request.POST.get("number", ""),
                    signed_on=signed_on,
                    declined=declined,
                    request_key=request.POST.get("request_key"),
                )
        except DossierError as exc:
            messages.error(request, str(exc))
        return redirect("workflows:decision", pk=pk)
    return render(
        request,
        "workflows/decision_detail.html",
        {"decision": decision, "request_key": uuid.uuid4().hex},
    )


@login_required
def flow_chart(request):
    """The flow drawn by viewflow; with ?process=<id> the dossier's own path is marked."""
    grid = chart.calc_layout_data(AwardFlow)
    process_pk = request.GET.get("process")
    if process_pk and process_pk.isdigit():
        process = DossierProcess.objects.filter(pk=process_pk).select_related("dossier").first()
        if process is None or not permissions.can_view(request.user, process.dossier):
            raise PermissionDenied
        chart.calc_cell_status(AwardFlow, grid, process.pk)
    return HttpResponse(chart.grid_to_svg(grid), content_type="image/svg+xml")


@login_required
def ballot_detail(request, pk: int):
    """The voter casts its ballot on one page; the leader watches turnout and closes."""
    session = ballot_get_for_user(request.user, pk)
    abilities = ballot_abilities(request.user, session)
    receipt = None
    if request.method == "POST":
        try:
            if request.POST.get("op") == "close":
                wf.ballot_close(actor=request.user, session=pk)
                messages.success(request, _("The ballot is closed and counted."))
                return redirect("workflows:ballot", pk=pk)
            choices, conflicts = {}, []
            for item in session.items.all():
                value = request.POST.get(f"choice_{item.nominee_id}", "")
                if value == "conflict":
                    conflicts.append(item.nominee_id)
                else:
                    choices[str(item.nominee_id)] = value
            receipt = wf.ballot_cast(
                actor=request.user, session=pk, choices=choices, conflicts=conflicts
            )
        except DossierError as exc:
            messages.error(request, str(exc))
            return redirect("workflows:ballot", pk=pk)
        session = ballot_get_for_user(request.user, pk)
        abilities = ballot_abilities(request.user, session)
    data = BallotSerializer(session, context={"request": request, **abilities}).data
    for row in data["nominees"]:
        row["outcome_label"] = OUTCOME_LABELS.get(row.get("outcome", ""), "")
    return render(
        request,
        "workflows/ballot_detail.html",
        {"session": session, "ballot": data, "receipt": receipt, **abilities},
    )


@login_required
def ballot_open(request):
    """The bloc leader (or the council secretary) puts waiting nominees on a new ballot."""
    led = sorted(permissions.led_blocs(request.user))
    secretary = sorted(permissions.orgs_with_role(request.user, "council_secretary"))
    if request.method == "POST":
        target = request.POST.get("target", "")
        kind, _sep, rest = target.partition(":")
        try:
            if kind == "bloc":
                bloc_id, year = (int(x) for x in rest.split("-"))
                bloc = Bloc.objects.get(pk=bloc_id)
                kwargs = {"bloc_code": bloc.code, "year": year}
            else:
                kwargs = {"council_code": rest, "year": int(request.POST.get("year", "0") or 0)}
            session = wf.ballot_open(
                actor=request.user,
                nominee_ids=[int(v) for v in request.POST.getlist("nominees")],
                **kwargs,
            )
        except (DossierError, ValueError, Bloc.DoesNotExist) as exc:
            messages.error(request, str(exc))
        else:
            return redirect("workflows:ballot", pk=session.pk)
    waiting = []
    for bloc_id, year in led:
        dossiers = selectors.dossier_list_visible_to(request.user).filter(
            state=DossierState.BLOC_VOTING, bloc_id=bloc_id, year=year
        )
        waiting.append((f"bloc:{bloc_id}-{year}", Bloc.objects.get(pk=bloc_id), year, dossiers))
    for code in secretary:
        dossiers = selectors.dossier_list_visible_to(request.user).filter(
            state=DossierState.COUNCIL_REVIEW, award_form__level="central"
        )
        waiting.append((f"council:{code}", code, None, dossiers))
    if not waiting:
        raise PermissionDenied
    return render(request, "workflows/ballot_open.html", {"waiting": waiting})


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
