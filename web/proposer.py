"""The proposing unit's pages: its officer creates a dossier with several nominees, sees the
award form's required documents (which are attached, which missing), edits the title and the
nominees and replaces or removes documents while the unit holds the dossier (draft or
returned); its head signs and submits (after a return, answering the board's points one by
one) or withdraws, each on a confirmation page.

Who may do what is the policy's (`workflows.policy`: `can_create_for`, `require_edit`,
`rules` and `actions`), asked again by the entry points the API calls too
(`workflows.services`: `dossier_start`, `dossier_edit` as `PATCH /api/v1/dossiers/<id>/`,
`attachment_add`, `attachment_replace`, `attachment_remove`, `dossier_perform`). Every value
posted is parsed by a Django form or by the API's own serializers (`workflows.inputs`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework import serializers

from audit.models import LedgerEvent
from dossiers import calendar, lifecycle, permissions
from dossiers import services as dossier_services
from dossiers.errors import Conflict, DossierError
from dossiers.models import (
    Attachment,
    AwardForm,
    DocumentKind,
    Dossier,
    DossierState,
    Nominee,
    NomineeKind,
    Role,
    Sex,
)
from web.forms import CHOOSE_FILE, DossierActionForm, UploadForm
from workflows import policy, selectors
from workflows import services as wf
from workflows.idempotency import form_request_key, max_length
from workflows.inputs import (
    ACTION_REASON_MAX_LENGTH,
    TITLE_MAX,
    ActionSerializer,
    DossierCreateSerializer,
    NomineeInputSerializer,
)

# The page's field names: the dossier's, and each nominee block's (every block posts the same
# names, so the n-th value of a name is the n-th nominee's; the first block's names are the
# ones the one-nominee page had).
CREATE_FIELDS = {"award_form": "award_form", "year": "year", "title": "title"}
NOMINEE_FIELDS = {
    "kind": "nominee_kind",
    "name": "nominee_name",
    "achievements": "achievements",
    # an individual's registry entry (CCCD) and the criterion claimed (README: eligibility)
    "identity": "nominee_identity",
    "birth_date": "nominee_birth_date",
    "sex": "nominee_sex",
    "position": "nominee_position",
    "criterion": "nominee_criterion",
}
ORG_FIELD = "nominee_org"  # the edit page keeps each nominee's organisation (the service checks)
ROW_FORM = "nominee_form"  # a nominee's errors that belong to no one field

NOMINEE_ADDED = gettext_lazy("A nominee block is added: fill it in, then save.")
NOMINEE_DROPPED = gettext_lazy("The nominee is taken off the list: save to keep the change.")
DOSSIER_SAVED = gettext_lazy("The dossier is saved.")
DOCUMENT_STORED = gettext_lazy("Document stored.")
DOCUMENT_REPLACED = gettext_lazy("The document is replaced; the earlier file stays in the audit.")
DOCUMENT_REMOVED = gettext_lazy("The document is removed; its file stays in the audit.")
DOCUMENT_NOT_REMOVABLE = dossier_services.ATTACHMENT_NOT_THE_UNITS
ANSWER_NEEDED = gettext_lazy("Answer the board's points before sending the dossier again.")
ANSWER_LINE = gettext_lazy("%(number)s. %(point)s\n→ %(answer)s")
SUBMITTED = gettext_lazy("The dossier is signed and submitted.")
RESUBMITTED = gettext_lazy("The dossier is sent again with your answers (version %(version)s).")
WITHDRAWN = gettext_lazy("The dossier is withdrawn.")
INPUT_INVALID = gettext_lazy("The form was not sent correctly: %(field)s: %(error)s")
MAX_POINTS = 20  # a return's reason split into more points than this is answered as a whole


# --- nominee blocks: read, resized, checked ------------------------------------------------------


def nominee_rows(post: QueryDict, *, with_org: bool) -> list[dict[str, str]]:
    """Each nominee block's values, by position. Text inputs, selects and text areas are sent
    whether filled in or not, so the lists line up; a shorter list (a request not sent by the
    page) leaves the missing values empty, for the serializer to refuse."""
    names = [*NOMINEE_FIELDS.values(), *([ORG_FIELD] if with_org else [])]
    columns = {name: post.getlist(name) for name in names}
    count = max(len(values) for values in columns.values())
    return [
        {name: values[i] if i < len(values) else "" for name, values in columns.items()}
        for i in range(count)
    ]


def empty_row(*, with_org: bool = False) -> dict[str, str]:
    return dict.fromkeys([*NOMINEE_FIELDS.values(), *([ORG_FIELD] if with_org else [])], "")


class NomineeListForm(forms.Form):
    """The buttons that add a nominee block or take one off, so the page works without
    JavaScript (static/js/proposer.js does the same in the page when it runs)."""

    nominee_add = forms.BooleanField(required=False)
    nominee_drop = forms.IntegerField(required=False, min_value=0, max_value=10**6)


def resize(post: QueryDict, rows: list[dict[str, str]], *, with_org: bool) -> tuple[bool, str]:
    """Apply an add or drop button: whether one was pressed (the page is shown again, nothing
    is saved), and what to tell the person."""
    form = NomineeListForm(post)
    if not form.is_valid():
        return True, ""
    if form.cleaned_data["nominee_add"]:
        if len(rows) < settings.DOSSIER_MAX_NOMINEES:
            rows.append(empty_row(with_org=with_org))
        return True, str(NOMINEE_ADDED)
    drop = form.cleaned_data["nominee_drop"]
    if drop is not None:
        if len(rows) > 1 and drop < len(rows):
            del rows[drop]
        return True, str(NOMINEE_DROPPED)
    return False, ""


def nominee_payload(rows: Iterable[Mapping[str, str]], organization: str) -> list[dict]:
    """The nominees as the API's body names them. A field left empty is not given (an empty
    date is no date); a nominee's organisation is its block's (edit) or the unit's."""
    return [
        {
            **{key: row[name] for key, name in NOMINEE_FIELDS.items() if row.get(name)},
            "organization": row.get(ORG_FIELD) or organization,
        }
        for row in rows
    ]


def _messages(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [m for item in problems.values() for m in _messages(item)]
    if isinstance(problems, list):
        return [m for item in problems for m in _messages(item)]
    return [str(problems)]


def form_errors(errors: Mapping[str, Any], count: int) -> tuple[dict, list[dict]]:
    """The serializer's errors under the page's field names: the dossier's fields (and "form"
    for the rest) in one dict, each nominee's under its block. The dict also carries each
    nominee field's messages under the field's name, as the one-nominee page had them."""
    flat: dict[str, list[str]] = {}
    rows: list[dict[str, list[str]]] = [{} for _ in range(count)]
    for field, problems in errors.items():
        if field != "nominees":
            name = CREATE_FIELDS.get(field, "form")
            flat.setdefault(name, []).extend(_messages(problems))
            continue
        if isinstance(problems, dict):
            items = [(int(i), item) for i, item in problems.items() if str(i).isdigit()]
        else:
            items = list(enumerate(problems)) if isinstance(problems, list) else []
        for index, item in items:
            if not isinstance(item, dict):  # "the list may not be empty"
                flat.setdefault("form", []).extend(_messages(item))
                continue
            for key, messages_ in item.items():
                name = NOMINEE_FIELDS.get(key, ROW_FORM)
                texts = _messages(messages_)
                flat.setdefault(name if name != ROW_FORM else "form", []).extend(texts)
                if 0 <= index < count:
                    rows[index].setdefault(name, []).extend(texts)
    return flat, rows


def _blocks(rows: list[dict[str, str]], row_errors: list[dict] | None = None) -> list[dict]:
    row_errors = row_errors or [{} for _ in rows]
    return [
        {"index": i, "number": i + 1, "values": row, "errors": row_errors[i]}
        for i, row in enumerate(rows)
    ]


def _form_context(**extra: Any) -> dict[str, Any]:
    kinds = sorted(NomineeKind.choices, key=lambda c: c[0] != NomineeKind.COLLECTIVE)
    # The block static/js/proposer.js copies for "Add a nominee" (numbered by the script).
    blank = {"index": "", "number": "", "values": empty_row(with_org=True), "errors": {}}
    return {"kinds": kinds, "sexes": Sex.choices, "blank_block": blank, **extra}


def _own_unit(user: Any) -> str:
    """The unit the user proposes for (the first, for someone of several); 403 for no unit."""
    units = sorted(permissions.orgs_with_role(user, Role.UNIT_OFFICER, Role.UNIT_HEAD))
    if not units:
        raise PermissionDenied
    return units[0]


# --- create and edit -----------------------------------------------------------------------------


@login_required
def dossier_create(request: HttpRequest) -> HttpResponse:
    """The create form, validated as `POST /api/v1/dossiers/` is: the same serializer, then the
    same service; whatever either refuses is shown on the form (status 400, 403 or 409 as the
    API answers), and nothing is stored. "Add a nominee" and "Remove" post the form back with
    one block more or less (the values typed are kept)."""
    values: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    rows, row_errors = [empty_row()], None
    status = 200
    if request.method == "POST":
        unit = _own_unit(request.user)
        values = {name: request.POST.get(name, "") for name in CREATE_FIELDS.values()}
        rows = nominee_rows(request.POST, with_org=False) or [empty_row()]
        resized, note = resize(request.POST, rows, with_org=False)
        if resized:
            if note:
                messages.info(request, note)
        else:
            data = DossierCreateSerializer(
                data={
                    **{key: values[name] for key, name in CREATE_FIELDS.items()},
                    "organization": unit,
                    "nominees": nominee_payload(rows, unit),
                },
                context={"request": request},
            )
            if not data.is_valid():
                problems, row_errors = form_errors(data.errors, len(rows))
                status = 400
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
    forms_ = list(AwardForm.objects.prefetch_related("required_documents"))
    context = _form_context(
        forms=forms_,
        values=values,
        default_year=calendar.today().year - 1,  # the year of the achievements, as a rule
        errors=problems,
        nominees=_blocks(rows, row_errors),
        editing=False,
    )
    return render(request, "proposer/dossier_form.html", context, status=status)


class DossierEditInput(serializers.Serializer):
    """The edit form's body: the fields of `PATCH /api/v1/dossiers/<id>/` (the same title limit
    and the API's own nominee serializer), both given, as the page always sends both."""

    title = serializers.CharField(max_length=TITLE_MAX)
    nominees = NomineeInputSerializer(many=True, allow_empty=False)


def _row_of(nominee: Nominee) -> dict[str, str]:
    person = nominee.person
    return {
        "nominee_kind": nominee.kind,
        "nominee_name": nominee.name,
        "achievements": nominee.achievements,
        "nominee_identity": person.identity if person else "",
        "nominee_birth_date": person.birth_date.isoformat() if person and person.birth_date else "",
        "nominee_sex": person.sex if person else "",
        "nominee_position": person.position if person else "",
        "nominee_criterion": nominee.criterion,
        ORG_FIELD: nominee.organization.code if nominee.organization else "",
    }


def _refused(request: HttpRequest, dossier: Dossier, exc: DossierError) -> HttpResponse:
    """A page that says why the action cannot be done now (409), with the way back."""
    return render(
        request,
        "proposer/refused.html",
        {"dossier": dossier, "message": str(exc)},
        status=exc.status,
    )


@login_required
def dossier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The title and the nominees, while the unit holds the dossier: 404 for a dossier the user
    may not see, 403 for anyone but the proposing unit, 409 once it is submitted. Saved through
    the API's entry point (`workflows.services.dossier_edit`), which asks the policy again."""
    dossier = selectors.dossier_get_for_user(request.user, pk)
    try:
        policy.require_edit(request.user, dossier)
    except DossierError as exc:
        return _refused(request, dossier, exc)
    problems: dict[str, list[str]] = {}
    row_errors = None
    status = 200
    if request.method == "POST":
        values = {"title": request.POST.get("title", "")}
        rows = nominee_rows(request.POST, with_org=True) or [empty_row(with_org=True)]
        resized, note = resize(request.POST, rows, with_org=True)
        if resized:
            if note:
                messages.info(request, note)
        else:
            data = DossierEditInput(
                data={
                    "title": values["title"],
                    "nominees": nominee_payload(rows, dossier.organization.code),
                }
            )
            if not data.is_valid():
                problems, row_errors = form_errors(data.errors, len(rows))
                status = 400
            else:
                try:
                    wf.dossier_edit(
                        actor=request.user,
                        dossier=dossier,
                        title=data.validated_data["title"],
                        nominees=[dict(n) for n in data.validated_data["nominees"]],
                    )
                except DossierError as exc:
                    problems, status = {"form": [str(exc)]}, exc.status
                else:
                    messages.success(request, DOSSIER_SAVED)
                    return redirect("workflows:dossier", pk=pk)
    else:
        values = {"title": dossier.title}
        nominees = Nominee.objects.filter(dossier=dossier).select_related("person", "organization")
        rows = [_row_of(n) for n in nominees.order_by("id")] or [empty_row(with_org=True)]
    context = _form_context(
        dossier=dossier,
        values=values,
        errors=problems,
        nominees=_blocks(rows, row_errors),
        editing=True,
    )
    return render(request, "proposer/dossier_form.html", context, status=status)


# --- documents -----------------------------------------------------------------------------------


def checklist(dossier: Dossier) -> dict[str, Any]:
    """The award form's required documents, each with the files attached for it (read from the
    dossier's prefetched attachments), and the kinds still missing. One query."""
    files: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.all():
        files.setdefault(attachment.kind_id, []).append(attachment)
    rows = [
        {"kind": kind, "files": files.get(kind.pk, [])}
        for kind in dossier.award_form.required_documents.all()
    ]
    missing = [row["kind"] for row in rows if not row["files"]]
    return {"rows": rows, "missing": missing, "complete": not missing}


class KeyForm(forms.Form):
    """A form whose one field is the page's `request_key` (idempotency: one act per page)."""

    request_key = forms.CharField(required=False, max_length=max_length())


class ReplaceForm(KeyForm):
    file = forms.FileField(error_messages={"required": CHOOSE_FILE})


def _flat(form: forms.Form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def _documents_page(
    request: HttpRequest, dossier: Dossier, problems: list[str] | None = None, status: int = 200
) -> HttpResponse:
    can_edit = policy.can_edit(request.user, dossier)
    removable = dossier_services.unit_document_ids(dossier) if can_edit else set()
    context = {
        "dossier": dossier,
        "checklist": checklist(dossier),
        "attachments": [(a, a.pk in removable) for a in dossier.attachments.all()],
        "can_edit": can_edit,
        "document_kinds": DocumentKind.objects.all() if can_edit else [],
        "problems": problems or [],
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "proposer/dossier_documents.html", context, status=status)


@login_required
def dossier_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """The documents and the award form's checklist, for anyone who may see the dossier; the
    unit adds, replaces and removes documents here while it holds the dossier."""
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    if request.method != "POST":
        return _documents_page(request, dossier)
    try:
        policy.require_edit(request.user, dossier)
    except DossierError as exc:
        return _refused(request, dossier, exc)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _documents_page(request, dossier, _flat(form), 400)
    try:
        wf.attachment_add(
            actor=request.user,
            dossier=dossier,
            kind_code=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except DossierError as exc:
        return _documents_page(request, dossier, [str(exc)], exc.status)
    messages.success(request, DOCUMENT_STORED)
    return redirect("workflows:dossier_documents", pk=pk)


def _attachment(dossier: Dossier, attachment_id: int) -> Attachment:
    for attachment in dossier.attachments.all():  # prefetched with its kind and uploader
        if attachment.pk == attachment_id:
            return attachment
    raise Http404


@login_required
@require_POST
def attachment_replace(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A new file of the same kind in place of one the unit added (the old file stays in the
    audit): 403 for anyone but the unit, 409 once the unit no longer holds the dossier."""
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    form = ReplaceForm(request.POST, request.FILES)
    if not form.is_valid():
        try:
            policy.require_edit(request.user, dossier)
        except DossierError as exc:
            return _refused(request, dossier, exc)
        return _documents_page(request, dossier, _flat(form), 400)
    # The entry point asks the policy (403, 409) and finds the document (404) after the
    # request key: a second click of the same form acts once and answers as the first.
    try:
        wf.attachment_replace(
            actor=request.user,
            dossier=dossier,
            attachment=attachment_id,
            upload=form.cleaned_data["file"],
            request_key=form_request_key(request),
        )
    except DossierError as exc:
        return _refused(request, dossier, exc)
    messages.success(request, DOCUMENT_REPLACED)
    return redirect("workflows:dossier_documents", pk=pk)


@login_required
def attachment_remove(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Asks first (the document, its kind and what the checklist will lack), then removes it
    through the entry point (the same rules as a replacement)."""
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    if request.method == "POST":
        # The entry point asks the policy and finds the document after the request key (a
        # second click of the same form acts once), as for a replacement.
        form = KeyForm(request.POST)
        if not form.is_valid():
            return _refused(request, dossier, DossierError("; ".join(_flat(form))))
        try:
            wf.attachment_remove(
                actor=request.user,
                dossier=dossier,
                attachment=attachment_id,
                request_key=form_request_key(request),
            )
        except DossierError as exc:
            return _refused(request, dossier, exc)
        messages.success(request, DOCUMENT_REMOVED)
        return redirect("workflows:dossier_documents", pk=pk)
    attachment = _attachment(dossier, attachment_id)
    try:
        policy.require_edit(request.user, dossier)
    except DossierError as exc:
        return _refused(request, dossier, exc)
    if attachment.pk not in dossier_services.unit_document_ids(dossier):
        return _refused(
            request,
            dossier,
            DossierError(DOCUMENT_NOT_REMOVABLE, name=attachment.original_name),
        )
    required = {k.pk for k in dossier.award_form.required_documents.all()}
    same_kind = [a for a in dossier.attachments.all() if a.kind_id == attachment.kind_id]
    context = {
        "dossier": dossier,
        "attachment": attachment,
        "leaves_missing": attachment.kind_id in required and len(same_kind) == 1,
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "proposer/attachment_remove.html", context)


# --- the return, the submission and the withdrawal -----------------------------------------------


def last_return(dossier: Dossier) -> LedgerEvent | None:
    """The board's latest return of the dossier (its reason, who, when), while it is returned."""
    if dossier.state != DossierState.RETURNED:
        return None
    return (
        LedgerEvent.objects.filter(dossier_id=dossier.pk, action="return")
        .select_related("actor")
        .order_by("-seq")
        .first()
    )


_NUMBERED = re.compile(r"^\(?\d{1,2}[.)]\s*")
_INLINE_NUMBER = re.compile(r"\s(?=\(?\d{1,2}[.)]\s)")


def return_points(reason: str) -> list[str]:
    """The board's reason as points to answer one by one: its lines, or its numbered items
    ("1. … 2. …") when written on one line; a list item's number or bullet is dropped (the page
    numbers them). A reason of more than MAX_POINTS points is answered as a whole."""
    lines = [line.strip(" \t-•*") for line in reason.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        lines = [part.strip() for part in _INLINE_NUMBER.split(lines[0]) if part.strip()]
    points = [_NUMBERED.sub("", line) or line for line in lines]
    if not points or len(points) > MAX_POINTS:
        return [reason.strip()] if reason.strip() else []
    return points


class SubmitForm(forms.Form):
    """The unit head's confirmation: after a return, an answer to each of the board's points
    and a note; the whole becomes the submission's reason (the ledger keeps it), checked by the
    API's ActionSerializer (its length, no NUL)."""

    request_key = forms.CharField(required=False, max_length=max_length())
    response = forms.CharField(
        required=False, max_length=ACTION_REASON_MAX_LENGTH, widget=forms.Textarea
    )

    def __init__(self, *args: Any, points: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points = points
        for i, point in enumerate(points):
            self.fields[f"answer_{i}"] = forms.CharField(
                required=False,
                max_length=ACTION_REASON_MAX_LENGTH,
                label=point,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def answers(self) -> list[tuple[str, forms.BoundField]]:
        return [(point, self[f"answer_{i}"]) for i, point in enumerate(self.points)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        lines = [
            str(ANSWER_LINE % {"number": i + 1, "point": point, "answer": answer})
            for i, point in enumerate(self.points)
            if (answer := cleaned.get(f"answer_{i}", ""))
        ]
        note = cleaned.get("response", "")
        if self.points and not lines and not note:
            raise ValidationError(ANSWER_NEEDED, code="answer_needed")
        reason = "\n".join([*lines, *([note] if note else [])])
        data = ActionSerializer(data={"reason": reason})
        if not data.is_valid():
            for field, problems in data.errors.items():
                for problem in problems:
                    self.add_error(None, str(INPUT_INVALID % {"field": field, "error": problem}))
            return cleaned
        cleaned["reason"] = data.validated_data["reason"]
        return cleaned


def _may_now(request: HttpRequest, dossier: Dossier, action: str) -> Conflict | None:
    """403 (raised) unless the user's roles allow `action`; for the page (GET), a Conflict to
    show when the dossier's state does not let it happen now. A POST goes on to the entry
    point, which checks the state after the request key: a second click of the same form acts
    once and answers as the first did."""
    if not policy.rules(request.user, dossier).get(action):
        raise PermissionDenied
    if request.method == "POST":
        return None
    if action not in policy.actions(request.user, dossier):
        return lifecycle.refusal(action, dossier)
    return None


@login_required
def dossier_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit head reads what is sent (nominees, the checklist, the board's points after a
    return), answers, and signs and submits: the actions endpoint's entry point
    (`dossier_perform`) with the page's `request_key`, so a second click acts once."""
    dossier = selectors.dossier_get_for_user(request.user, pk, detail=True)
    refusal = _may_now(request, dossier, "submit")
    if refusal is not None:
        return _refused(request, dossier, refusal)
    returned = last_return(dossier)
    points = return_points(returned.reason) if returned else []
    form = SubmitForm(request.POST or None, points=points)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                done = wf.dossier_perform(
                    actor=request.user,
                    dossier=dossier,
                    action="submit",
                    payload={"reason": form.cleaned_data["reason"]},
                    request_key=form_request_key(request),
                )
            except DossierError as exc:
                problems, status = [str(exc)], exc.status
            else:
                text = RESUBMITTED % {"version": done.version} if returned else SUBMITTED
                messages.success(request, text)
                return redirect("workflows:dossier", pk=pk)
    context = {
        "dossier": dossier,
        "returned": returned,
        "form": form,
        "checklist": checklist(dossier),
        "problems": problems,
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "proposer/dossier_submit.html", context, status=status)


@login_required
def dossier_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit head withdraws the dossier, on a page that says what follows and asks why (the
    reason is required, as the service requires it)."""
    dossier = selectors.dossier_get_for_user(request.user, pk)
    refusal = _may_now(request, dossier, "withdraw")
    if refusal is not None:
        return _refused(request, dossier, refusal)
    problems: list[str] = []
    status = 200
    reason = ""
    if request.method == "POST":
        form = DossierActionForm(request.POST)
        reason = request.POST.get("reason", "")
        if not form.is_valid():
            problems, status = [form.first_error()], 400
        else:
            try:
                wf.dossier_perform(
                    actor=request.user,
                    dossier=dossier,
                    action="withdraw",
                    payload={"reason": form.cleaned_data["payload"]["reason"]},
                    request_key=form_request_key(request),
                )
            except DossierError as exc:
                problems, status = [str(exc)], exc.status
            else:
                messages.success(request, WITHDRAWN)
                return redirect("workflows:dossier", pk=pk)
    context = {
        "dossier": dossier,
        "problems": problems,
        "reason": reason,
        "reason_max": ACTION_REASON_MAX_LENGTH,
        "request_key": uuid.uuid4().hex,
    }
    return render(request, "proposer/dossier_withdraw.html", context, status=status)


def panel(user: Any, dossier: Dossier) -> dict[str, Any]:
    """What the dossier page shows the unit at its top: the board's return (to everyone who
    sees the dossier, while it is returned), and for the unit while it holds the dossier its
    links and the checklist. Reads the dossier's prefetched attachments: one or two queries."""
    unit = policy.is_unit_member(user, dossier)
    returned = last_return(dossier)
    editable = unit and policy.can_edit(user, dossier)
    return {
        "dossier": dossier,
        "returned": returned,
        "points": return_points(returned.reason) if returned else [],
        "editable": editable,
        "checklist": checklist(dossier) if editable else None,
        "may_submit": editable and "submit" in policy.actions(user, dossier),
    }


urlpatterns = [
    path("dossiers/<int:pk>/edit/", dossier_edit, name="dossier_edit"),
    path("dossiers/<int:pk>/documents/", dossier_documents, name="dossier_documents"),
    path(
        "dossiers/<int:pk>/documents/<int:attachment_id>/replace/",
        attachment_replace,
        name="attachment_replace",
    ),
    path(
        "dossiers/<int:pk>/documents/<int:attachment_id>/remove/",
        attachment_remove,
        name="attachment_remove",
    ),
    path("dossiers/<int:pk>/submit/", dossier_submit, name="dossier_submit"),
    path("dossiers/<int:pk>/withdraw/", dossier_withdraw, name="dossier_withdraw"),
]
