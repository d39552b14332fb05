"""The consulted bodies' pages: their requests on the home page (open ones, then those answered)
and one request's page, where the body's user reads what it is asked about and answers: agrees,
or disagrees and says why, with its reply letter (a PDF) if it has one.

The list is the API's (`consultations.selectors.consultation_inbox`, as
`GET /api/v1/consultations/`); the answer is the API's service
(`consultations.services.consultation_answer`, as `POST /api/v1/consultations/<id>/answer/`),
which decides who may answer and refuses what it refuses: the page shows its refusals on the
form. 404 for a user who may not see the request's dossier, 403 for one who sees it but does
not answer for the body asked."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from consultations import rules
from consultations import services as cs
from consultations.models import Consultation
from consultations.selectors import consultation_inbox
from dossiers import calendar, lifecycle, permissions
from dossiers.errors import DossierError
from dossiers.models import Dossier, Nominee, Organization, Role
from workflows import policy, selectors

SHOWN = 25  # rows of each of the home page's lists (open, answered)

ANSWER_CHOICES = [("yes", _("I agree")), ("no", _("I disagree"))]
CHOOSE_ANSWER = _("Choose whether your body agrees or disagrees.")
ANSWERED = _("Your answer is recorded; the board sees it on the dossier.")
ANSWERED_ALREADY = _("Your body has answered this request: the answer cannot be changed.")
DOSSIER_CLOSED = _("The dossier is “%(state)s”: the request can no longer be answered.")
# The service's refusals that belong to a field of the form (the others are the whole form's).
REASON_ERRORS = {"reason_required", "nul_character", "text_too_long"}


class AnswerForm(forms.Form):
    """The answer as the API's serializer takes it: `agree`, `reason`, `document`. The rules
    (a reason when disagreeing, its length, the document a PDF) are the service's."""

    agree = forms.TypedChoiceField(
        label=_("Your body's opinion"),
        choices=ANSWER_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_ANSWER, "invalid_choice": CHOOSE_ANSWER},
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": cs.REASON_LIMIT}),
    )
    document = forms.FileField(label=_("Reply document (PDF)"), required=False)

    def refuse(self, exc: DossierError) -> None:
        """Show the service's refusal on the field it is about, else on the whole form."""
        field: str | None = None
        if exc.code in REASON_ERRORS:
            field = "reason"
        elif exc.status == 400 and self.cleaned_data.get("document") is not None:
            field = "document"  # the upload checks' refusals (size, type, content)
        self.add_error(field, str(exc))


# --- the home page's section -----------------------------------------------------------------


@dataclass(frozen=True)
class HomeRequests:
    open: list[Consultation]
    open_total: int
    answered: list[Consultation]


def _described(rows: list[Consultation]) -> list[Consultation]:
    today = calendar.today()
    for row in rows:
        row.outcome = cs.outcome(row, today)
        row.outcome_label = cs.OUTCOME_LABELS[row.outcome]
        row.overdue = row.outcome in ("silent_agreed", "silent_refused")
        row.closed = row.dossier.state in lifecycle.TERMINAL
    return rows


def home_requests(user) -> HomeRequests | None:
    """The requests made to the user's consulted bodies for the home page: the open ones by due
    date, then the latest answered; each with its dossier's reference, award form and
    nominees' names (nothing else of theirs). None for a user of no consulted body. Five
    queries at most, whatever the number of requests or nominees."""
    if not permissions.has_role(user, Role.CONSULTED):
        return None
    rows = (
        consultation_inbox(user)
        .select_related("dossier__award_form")
        .prefetch_related(
            Prefetch(
                "dossier__nominees",
                queryset=Nominee.objects.only("id", "dossier_id", "name").order_by("id"),
                to_attr="listed_nominees",
            )
        )
    )
    waiting = _described(list(rows.filter(answered_at__isnull=True)[:SHOWN]))
    total = len(waiting)
    if total == SHOWN:
        total = rows.filter(answered_at__isnull=True).count()
    answered = list(rows.filter(answered_at__isnull=False).order_by("-answered_at", "-id")[:SHOWN])
    return HomeRequests(open=waiting, open_total=total, answered=_described(answered))


# --- one request's page ------------------------------------------------------------------------


def _visible(user, pk: int) -> Consultation:
    """The request with its dossier, if the user may see the dossier (404 otherwise)."""
    row = (
        Consultation.objects.select_related(
            "body",
            "requested_by",
            "answered_by",
            "document",
            "dossier__award_form",
            "dossier__organization",
        )
        .filter(pk=pk)
        .first()
    )
    if row is None or not policy.can_view(user, row.dossier):
        raise Http404
    return row


@login_required
def consultation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The request and, until the body answers, the answer form. 404 unless the user sees the
    dossier, 403 unless the user answers for the body asked."""
    row = _visible(request.user, pk)
    if not cs.may_answer(request.user, row):
        raise PermissionDenied
    form = AnswerForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                cs.consultation_answer(
                    actor=request.user,
                    consultation=row.pk,
                    agree=form.cleaned_data["agree"],
                    reason=form.cleaned_data["reason"],
                    document=form.cleaned_data["document"],
                )
            except DossierError as exc:
                form.refuse(exc)
                status = exc.status
                row = _visible(request.user, pk)  # as it stands now (answered meanwhile?)
            else:
                messages.success(request, ANSWERED)
                return redirect("workflows:consultation", pk=pk)
    dossier = row.dossier
    closed = dossier.state in lifecycle.TERMINAL
    outcome = cs.outcome(row)
    context = {
        "row": row,
        "dossier": dossier,
        "nominees": list(dossier.nominees.only("id", "dossier_id", "name").order_by("id")),
        "outcome_label": cs.OUTCOME_LABELS[outcome],
        "overdue": outcome in ("silent_agreed", "silent_refused"),
        "silence_label": cs.OUTCOME_LABELS[
            "silent_agreed" if row.silence_is_agreement else "silent_refused"
        ],
        "form": form,
        "may_answer_now": row.answered_at is None and not closed,
        "answered_already": ANSWERED_ALREADY,
        "closed_message": DOSSIER_CLOSED % {"state": dossier.get_state_display()} if closed else "",
        "reason_limit": cs.REASON_LIMIT,
    }
    return render(request, "consultations/answer.html", context, status=status)


# --- the board's request, on the dossier page ---------------------------------------------------

REQUESTED = _("The request is sent to: %(bodies)s. Their answers are due on %(due)s.")


def consulted_bodies() -> list[tuple[str, str]]:
    """The bodies that answer consultations here: organisations someone answers for."""
    rows = (
        Organization.objects.filter(role_grants__role=Role.CONSULTED)
        .distinct()
        .order_by("name")
        .values_list("code", "name")
    )
    return [(code, name) for code, name in rows]


class RequestForm(forms.Form):
    """The request as the API's serializer takes it: `bodies` and `due_in_days`. The rules (a
    body already asked and not answered, the dossier's own levels, the state) are the service's."""

    bodies = forms.MultipleChoiceField(
        label=_("Bodies to consult"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one body to consult.")},
    )
    due_in_days = forms.IntegerField(
        label=_("Answer due in (working days)"),
        min_value=1,
        max_value=rules.MAX_DUE_IN_DAYS,
    )

    def __init__(self, *args, dossier: Dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bodies"].choices = consulted_bodies()
        self.fields["due_in_days"].initial = rules.default_due_in_days()
        asked = cs.status(dossier)
        self.fields["bodies"].initial = asked.missing


def request_form(user, dossier: Dossier) -> RequestForm | None:
    """The request form for the dossier page: for the board holding the dossier, while it may
    still consult (None otherwise)."""
    if dossier.state not in cs.OPEN_STATES or not cs.may_request(user, dossier):
        return None
    return RequestForm(dossier=dossier)


@login_required
@require_POST
def consultation_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the board's consultation request (the API's service, as
    `POST /api/v1/dossiers/<id>/consultations/`): 404 unless the user sees the dossier, 403
    unless the user is of the board holding it; a refusal is shown on the dossier page."""
    dossier = selectors.dossier_get_for_user(request.user, pk)
    if not cs.may_request(request.user, dossier):
        raise PermissionDenied
    form = RequestForm(request.POST, dossier=dossier)
    back = reverse("workflows:dossier", args=[pk]) + "#board-work"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        made = cs.consultation_request(
            actor=request.user,
            dossier=dossier,
            bodies=form.cleaned_data["bodies"],
            due_in_days=form.cleaned_data["due_in_days"],
        )
    except DossierError as exc:
        if exc.status == 403:
            raise PermissionDenied(str(exc)) from exc
        messages.error(request, str(exc))
    else:
        names = ", ".join(row.body.name for row in made)
        due = made[0].due_date.strftime("%d/%m/%Y")
        messages.success(request, REQUESTED % {"bodies": names, "due": due})
    return redirect(back)


urlpatterns = [
    path("consultations/<int:pk>/", consultation_answer, name="consultation"),
    path(
        "dossiers/<int:pk>/consultations/new/",
        consultation_request,
        name="consultation_request",
    ),
]
