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
from approvals import ballots
from approvals import services as approval_services
from approvals.policy import ballot_abilities
from approvals.selectors import (
    ballot_get_for_user,
    ballot_summary,
    ballots_waiting_for,
    decision_get_for_user,
    decision_list_visible_to,
    decisions_waiting_for,
)
from consultations import services as consultation_services
from dossiers import levels, lifecycle, permissions
from dossiers.errors import DossierError
from dossiers.models import AwardForm, Bloc, DocumentKind, Dossier, DossierState, NomineeKind
from dossiers.services import (
    HOLD_REASONS,
    REJECT_REASONS,
    REVOKE_REASONS,
)
from notices import services as notice_services
from web.forms import BallotOpenForm, DossierActionForm, FlowChartForm
from workflows import policy, selectors
from workflows import services as wf
from workflows.chart import lifecycle_svg
from workflows.filters import DossierFilter
from workflows.idempotency import RequestKey, form_request_key
from workflows.inputs import (
    DecisionProposeSerializer,
    DecisionSignSerializer,
    DossierCreateSerializer,
)
from workflows.selectors import dossier_inbox, state_path

PAGE_SIZE = 25
OUTCOME_LABELS = {
    "passed": gettext_lazy("Passed"),
    "no_quorum": gettext_lazy("Failed: no quorum"),
    "below_threshold": gettext_lazy("Failed: below the threshold"),
    "tie": gettext_lazy("Failed: tie"),
    "held": gettext_lazy("Left the ballot: held"),
    "withdrawn": gettext_lazy("Left the ballot: withdrawn"),
}


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def inbox(request):
    waiting = dossier_inbox(request.user)
    dossiers = _page(request, waiting)
    decisions = decisions_waiting_for(request.user)[:50]
    boards = selectors.boards_levels(request.user)
    context = {
        "mine": waiting.filter(assignee_id=request.user.pk)[:PAGE_SIZE] if boards else [],
        "unassigned": (
            waiting.filter(assignee__isnull=True, holder_id__in=boards)[:PAGE_SIZE]
            if boards
            else []
        ),
        "is_board": bool(boards),
        "overdue_by_officer": selectors.overdue_by_officer(request.user),
        "page": dossiers,
        "decisions": decisions,
        "ballots": ballots_waiting_for(request.user),
        "can_open_ballot": bool(
            permissions.led_blocs(request.user)
            or permissions.orgs_with_role(request.user, "council_secretary")
        ),
    }
    return render(request, "workflows/inbox.html", context)


FILTER_IGNORED = gettext_lazy("A filter value was not valid and has been ignored.")


@login_required
def dossier_list(request):
    """Dossiers the user may see, filtered by the API's own FilterSet: a value it refuses (an
    unknown state, a NUL byte) is ignored with a message. The rows name no nominee, so none is
    loaded."""
    queryset = selectors.dossier_list_visible_to(request.user).prefetch_related(None)
    chosen = DossierFilter(request.GET, queryset=queryset)
    state = ""
    if chosen.is_valid():
        queryset, state = chosen.qs, chosen.form.cleaned_data.get("state") or ""
    else:
        messages.error(request, FILTER_IGNORED)
    return render(
        request,
        "workflows/dossier_list.html",
        {"page": _page(request, queryset), "states": DossierState.choices, "state": state},
    )


@login_required
def dossier_detail(request, pk: int):
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    context = {
        "dossier": dossier,
        "actions": [
            (action, lifecycle.ACTION_LABELS[action])
            for action in policy.actions(request.user, dossier)
        ],
        "can_edit": policy.can_edit(request.user, dossier),
        "assignment_actions": [
            (action, policy.ASSIGNMENT_LABELS[action])
            for action in policy.assignment_actions(request.user, dossier)
        ],
        "officers": selectors.board_officers(dossier),
        "events": selectors.dossier_events(dossier),
        "document_kinds": DocumentKind.objects.all(),
        "reject_reasons": REJECT_REASONS,
        "hold_reasons": HOLD_REASONS,
        "revoke_reasons": REVOKE_REASONS,
        "request_key": uuid.uuid4().hex,
        "changes": _changes(dossier) if permissions.is_inspector(request.user) else None,
        "ballots": dossier_ballots(request.user, dossier),
        "board_work": board_work(request.user, dossier),
    }
    return render(request, "workflows/dossier_detail.html", context)


def board_work(user, dossier) -> dict:
    """The consultation requests with their answers and due dates, and the public comments, for
    the dossier page; `may_handle`: the user is of the board that handles the comments (their
    contacts are shown to it only)."""
    rows = list(consultation_services.consultation_list(dossier))
    consultation = consultation_services.status(dossier)
    comments = list(notice_services.dossier_comments(dossier))
    return {
        "show": bool(rows or consultation.required or comments),
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
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("workflows:dossier", pk=pk)
    try:
        wf.attachment_add(
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


CREATE_FIELDS = {"award_form": "award_form", "year": "year", "title": "title"}
NOMINEE_FIELDS = {"kind": "nominee_kind", "name": "nominee_name", "achievements": "achievements"}


def _form_errors(errors, names: dict[str, str], into: dict[str, list[str]]) -> dict:
    """The serializer's errors under the page's field names ("form" for the rest)."""
    for field, problems in errors.items():
        if field == "nominees":  # {index: {field: [...]}}, or a list of messages
            items = problems.values() if isinstance(problems, dict) else problems
            for item in items:
                if isinstance(item, dict):
                    _form_errors(item, NOMINEE_FIELDS, into)
                else:
                    into.setdefault("form", []).extend(
                        str(p) for p in (item if isinstance(item, list) else [item])
                    )
            continue
        if isinstance(problems, dict):
            _form_errors(problems, {}, into)
            continue
        items = problems if isinstance(problems, list) else [problems]
        into.setdefault(names.get(field, "form"), []).extend(str(p) for p in items)
    return into


@login_required
def dossier_create(request):
    """The create form, validated as `POST /api/v1/dossiers/` is: the same serializer, then the
    same service; whatever either refuses is shown on the form (status 400, 403 or 409 as the
    API answers), and nothing is stored."""
    values: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        units = sorted(
            {
                o
                for r, o in permissions.user_roles(request.user)
                if r in ("unit_officer", "unit_head") and o
            }
        )
        if not units:
            raise PermissionDenied
        names = [*CREATE_FIELDS.values(), *NOMINEE_FIELDS.values()]
        values = {name: request.POST.get(name, "") for name in names}
        nominee = {key: values[name] for key, name in NOMINEE_FIELDS.items()}
        data = DossierCreateSerializer(
            data={
                **{key: values[name] for key, name in CREATE_FIELDS.items()},
                "organization": units[0],
                "nominees": [{**nominee, "organization": units[0]}],
            },
            context={"request": request},
        )
        if not data.is_valid():
            problems, status = _form_errors(data.errors, CREATE_FIELDS, {}), 400
        else:
            checked = data.validated_data
            try:
                dossier = wf.dossier_start(
                    actor=request.user,
                    organization=checked["organization"],
                    award_form=checked["award_form"],
                    year=checked["year"],
                    title=checked["title"],
                    nominees=[dict(n) for n in checked["nominees"]],
                )
            except DossierError as exc:
                problems, status = {"form": [str(exc)]}, exc.status
            else:
                return redirect("workflows:dossier", pk=dossier.pk)
    kinds = sorted(NomineeKind.choices, key=lambda c: c[0] != NomineeKind.COLLECTIVE)
    context = {
        "forms": AwardForm.objects.all(),
        "kinds": kinds,
        "values": values,
        "errors": problems,
    }
    return render(request, "workflows/dossier_create.html", context, status=status)


@login_required
def decision_list(request):
    return render(
        request,
        "workflows/decision_list.html",
        {"page": _page(request, decision_list_visible_to(request.user).order_by("-id"))},
    )


SIGN_FORM_FIELDS = {"csrfmiddlewaretoken", "request_key", "password", "otp", "op", "number"}
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
    `decline_<id>` that names no nominee of the batch is refused, not ignored)."""
    nominees = {
        n.pk for d in decision.dossiers.all() for n in d.nominees.all()
    }  # prefetched by decision_get_for_user
    values = {name: request.POST.get(name, "") for name in ("number", "signed_on", "otp")}
    known = SIGN_FORM_FIELDS | ({"signed_on"} if not propose else set())
    problems, declined = [], []
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
    values: dict = {}
    problems: list[str] = []
    status = 200
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
                problems, status = [problem], 403
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
    rows = [
        {"dossier": d, "nominee": n, "decline": values.get(f"decline_{n.pk}", "")}
        for d in decision.dossiers.all()
        for n in d.nominees.all()
    ]
    actions = policy.actions(request.user, decision)
    context = {
        "decision": decision,
        "actions": actions,
        "can_decline": "sign" in actions,
        "rows": rows,
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
    path = None
    dossier_pk = form.cleaned_data["dossier"]
    if dossier_pk is not None:
        dossier = Dossier.objects.filter(pk=dossier_pk).first()
        if dossier is None or not policy.can_view(request.user, dossier):
            raise PermissionDenied
        path = state_path(dossier)
    return HttpResponse(lifecycle_svg(path), content_type="image/svg+xml")


@login_required
def ballot_detail(request, pk: int):
    """The voter casts its ballot on one page; the leader watches turnout and closes."""
    session = ballot_get_for_user(request.user, pk)
    abilities = ballot_abilities(request.user, session)
    receipt = None
    if request.method == "POST":
        try:
            if request.POST.get("op") == "close":
                ballots.ballot_close(actor=request.user, session=pk)
                messages.success(request, _("The ballot is closed and counted."))
                return redirect("workflows:ballot", pk=pk)
            choices, conflicts = {}, []
            for item in session.items.all():
                value = request.POST.get(f"choice_{item.nominee_id}", "")
                if value == "conflict":
                    conflicts.append(item.nominee_id)
                else:
                    choices[str(item.nominee_id)] = value
            receipt = ballots.ballot_cast(
                actor=request.user, session=pk, choices=choices, conflicts=conflicts
            )
        except DossierError as exc:
            messages.error(request, str(exc))
            return redirect("workflows:ballot", pk=pk)
        session = ballot_get_for_user(request.user, pk)
        abilities = ballot_abilities(request.user, session)
    data = ballot_summary(session, **abilities)
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
    waiting, targets = [], {}
    for bloc_id, year in led:
        dossiers = selectors.dossier_list_visible_to(request.user).filter(
            state=DossierState.BLOC_VOTING, bloc_id=bloc_id, year=year
        )
        bloc = Bloc.objects.get(pk=bloc_id)
        waiting.append((f"bloc:{bloc_id}-{year}", bloc, year, dossiers))
        targets[f"bloc:{bloc_id}-{year}"] = {"bloc_code": bloc.code, "year": year}
    for code in secretary:
        held = [levels.id_of(a) for a in levels.authorities_where("council", {code})]
        dossiers = selectors.dossier_list_visible_to(request.user).filter(
            state=DossierState.COUNCIL_REVIEW, holder_id__in=held
        )
        waiting.append((f"council:{code}", code, None, dossiers))
        targets[f"council:{code}"] = {"council_code": code}
    if not waiting:
        raise PermissionDenied
    form, status = None, 200
    if request.method == "POST":
        form = BallotOpenForm(request.POST, targets=targets)
        if form.is_valid():
            try:
                session = ballots.ballot_open(
                    actor=request.user,
                    nominee_ids=form.cleaned_data["nominees"],
                    **form.cleaned_data["ballot"],
                )
            except DossierError as exc:
                messages.error(request, str(exc))
                status = exc.status
            else:
                return redirect("workflows:ballot", pk=session.pk)
        else:
            status = 400
    return render(
        request, "workflows/ballot_open.html", {"waiting": waiting, "form": form}, status=status
    )


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
